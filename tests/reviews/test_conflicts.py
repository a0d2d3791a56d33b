from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import Organisation, Role, User
from accounts.services import membership_create
from failure_regime.models import Case
from reviews.models import ConflictWaiver, Expert, InterestKind, Seniority, Specialty
from reviews.selectors import ConflictKind, conflicts_for, lead_candidates
from reviews.services import conflict_waive, employment_add, interest_declare
from tests.reviews.conftest import MakeExpert

pytestmark = pytest.mark.django_db

LEFT_ON = datetime.date(2020, 6, 30)


def at(day: datetime.date) -> time_machine.travel:
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def former_employee(expert: Expert, oversight_lead: User, provider: Organisation) -> Expert:
    employment_add(
        actor=oversight_lead,
        expert=expert,
        organisation=provider,
        started_on=datetime.date(2012, 9, 1),
        ended_on=LEFT_ON,
    )
    return expert


@pytest.fixture
def recent_employee(expert: Expert, oversight_lead: User, provider: Organisation) -> Expert:
    employment_add(
        actor=oversight_lead,
        expert=expert,
        organisation=provider,
        started_on=datetime.date(2012, 9, 1),
        ended_on=timezone.localdate() - datetime.timedelta(days=365),
    )
    return expert


def declare(expert: Expert, actor: User, organisation: Organisation, kind: str) -> None:
    interest_declare(actor=actor, expert=expert, organisation=organisation, kind=kind, description="Declared.")


def test_it_has_no_conflict_without_employment_or_interest(expert: Expert, provider: Organisation) -> None:
    assert conflicts_for(expert=expert, provider=provider) == []


def test_employment_that_ended_within_the_look_back_is_a_conflict(
    former_employee: Expert, provider: Organisation
) -> None:
    with at(datetime.date(2025, 6, 30)):
        conflicts = conflicts_for(expert=former_employee, provider=provider)
    assert [c.kind for c in conflicts] == [ConflictKind.EMPLOYMENT]


def test_employment_that_ended_before_the_look_back_is_no_conflict(
    former_employee: Expert, provider: Organisation
) -> None:
    with at(datetime.date(2025, 7, 1)):
        assert conflicts_for(expert=former_employee, provider=provider) == []


def test_the_look_back_comes_from_the_settings(former_employee: Expert, provider: Organisation, settings: Any) -> None:
    settings.REVIEWS_CONFLICT_LOOKBACK_YEARS = 10
    with at(datetime.date(2029, 1, 1)):
        assert len(conflicts_for(expert=former_employee, provider=provider)) == 1


def test_the_look_back_can_be_measured_from_another_day(former_employee: Expert, provider: Organisation) -> None:
    assert len(conflicts_for(expert=former_employee, provider=provider, on=datetime.date(2021, 1, 1))) == 1


def test_current_employment_is_a_conflict(expert: Expert, oversight_lead: User, provider: Organisation) -> None:
    employment_add(actor=oversight_lead, expert=expert, organisation=provider, started_on=datetime.date(2001, 1, 1))
    assert [c.kind for c in conflicts_for(expert=expert, provider=provider)] == [ConflictKind.EMPLOYMENT]


def test_employment_elsewhere_is_no_conflict(
    expert: Expert, oversight_lead: User, provider: Organisation, other_provider: Organisation
) -> None:
    employment_add(
        actor=oversight_lead, expert=expert, organisation=other_provider, started_on=datetime.date(2001, 1, 1)
    )
    assert conflicts_for(expert=expert, provider=provider) == []


def test_a_financial_interest_is_a_conflict(expert: Expert, oversight_lead: User, provider: Organisation) -> None:
    declare(expert, oversight_lead, provider, InterestKind.FINANCIAL)
    assert [c.kind for c in conflicts_for(expert=expert, provider=provider)] == [ConflictKind.FINANCIAL_INTEREST]


def test_personal_involvement_is_a_conflict(expert: Expert, oversight_lead: User, provider: Organisation) -> None:
    declare(expert, oversight_lead, provider, InterestKind.PERSONAL_INVOLVEMENT)
    assert [c.kind for c in conflicts_for(expert=expert, provider=provider)] == [ConflictKind.PERSONAL_INVOLVEMENT]


def test_any_other_interest_naming_the_provider_is_a_conflict(
    expert: Expert, oversight_lead: User, provider: Organisation
) -> None:
    declare(expert, oversight_lead, provider, InterestKind.OTHER)
    assert [c.kind for c in conflicts_for(expert=expert, provider=provider)] == [ConflictKind.OTHER_INTEREST]


def test_an_interest_in_another_provider_is_no_conflict(
    expert: Expert, oversight_lead: User, provider: Organisation, other_provider: Organisation
) -> None:
    declare(expert, oversight_lead, other_provider, InterestKind.FINANCIAL)
    assert conflicts_for(expert=expert, provider=provider) == []


def test_candidates_never_include_a_conflicted_expert(
    case: Case, make_expert: MakeExpert, oversight_lead: User, provider: Organisation
) -> None:
    independent, conflicted = make_expert(name="Dr Independent"), make_expert(name="Dr Conflicted")
    declare(conflicted, oversight_lead, provider, InterestKind.PERSONAL_INVOLVEMENT)
    assert lead_candidates(case=case) == [independent]


def test_candidates_never_include_a_recent_employee(case: Case, recent_employee: Expert) -> None:
    assert recent_employee not in lead_candidates(case=case)


def test_candidates_include_a_former_employee_outside_the_look_back(case: Case, former_employee: Expert) -> None:
    with at(datetime.date(2025, 7, 1)):
        assert lead_candidates(case=case) == [former_employee]


def test_candidates_include_a_conflicted_expert_once_waived_on_the_case(
    case: Case, recent_employee: Expert, oversight_lead: User
) -> None:
    conflict_waive(actor=oversight_lead, case=case, expert=recent_employee, rationale="Only specialist in the field.")
    assert lead_candidates(case=case) == [recent_employee]


def test_a_waiver_on_another_case_does_not_count(
    case: Case, recent_employee: Expert, oversight_lead: User, regulator: User, provider: Organisation
) -> None:
    from tests.failure_regime.conftest import propose

    other_case = propose(regulator, provider, case.concerns.get(), title="Surgical services")
    conflict_waive(actor=oversight_lead, case=other_case, expert=recent_employee, rationale="Needed there.")
    assert lead_candidates(case=case) == []


def test_a_conflict_recorded_after_the_waiver_excludes_the_expert_again(
    case: Case, recent_employee: Expert, oversight_lead: User, provider: Organisation
) -> None:
    conflict_waive(actor=oversight_lead, case=case, expert=recent_employee, rationale="Left a year ago.")
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1)):
        declare(recent_employee, oversight_lead, provider, InterestKind.FINANCIAL)
    assert lead_candidates(case=case) == []


def test_candidates_rank_the_specialty_first_then_seniority(case: Case, make_expert: MakeExpert) -> None:
    senior_surgeon = make_expert(name="Senior surgeon", specialties=["Surgery"], seniority=Seniority.NATIONAL_EXPERT)
    junior_obstetrician = make_expert(name="Junior", specialties=["Obstetrics"], seniority=Seniority.PRACTITIONER)
    senior_obstetrician = make_expert(name="Senior", specialties=["Obstetrics"], seniority=Seniority.CLINICAL_LEAD)
    obstetrics = Specialty.objects.get(name="Obstetrics")
    assert lead_candidates(case=case, specialty=obstetrics) == [
        senior_obstetrician,
        junior_obstetrician,
        senior_surgeon,
    ]


def test_candidates_rank_the_available_above_the_unavailable_of_equal_seniority(
    case: Case, make_expert: MakeExpert
) -> None:
    busy = make_expert(name="A busy expert", available=False)
    free = make_expert(name="Z free expert", available=True)
    assert lead_candidates(case=case) == [free, busy]


def test_candidates_can_be_limited_to_a_minimum_seniority(case: Case, make_expert: MakeExpert) -> None:
    make_expert(seniority=Seniority.SENIOR_PRACTITIONER)
    consultant = make_expert(seniority=Seniority.CONSULTANT)
    assert lead_candidates(case=case, min_seniority=Seniority.CONSULTANT) == [consultant]


@pytest.mark.parametrize("experts", [3, 30])
def test_finding_candidates_takes_the_same_queries_however_many_experts(
    experts: int,
    case: Case,
    make_expert: MakeExpert,
    oversight_lead: User,
    provider: Organisation,
    other_provider: Organisation,
    django_assert_max_num_queries: Any,
) -> None:
    for number in range(experts):
        made = make_expert(name=f"Expert {number}", specialties=["Obstetrics", f"Specialty {number % 4}"])
        employment_add(actor=oversight_lead, expert=made, organisation=other_provider, started_on=LEFT_ON)
        if number % 3 == 0:
            declare(made, oversight_lead, provider, InterestKind.FINANCIAL)
    case = Case.objects.get(pk=case.pk)
    obstetrics = Specialty.objects.get(name="Obstetrics")
    with django_assert_max_num_queries(3):
        candidates = lead_candidates(case=case, specialty=obstetrics, min_seniority=Seniority.PRACTITIONER)
        assert all(c.specialties.all() for c in candidates)


def test_someone_who_could_waive_for_two_organisations_says_which(
    case: Case,
    recent_employee: Expert,
    oversight_lead: User,
    monitor: Organisation,
    nhs_england: Organisation,
    cqc: Organisation,
) -> None:
    """An oversight lead of a party who is also national oversight elsewhere waives for the one they choose."""
    membership_create(actor=None, user=oversight_lead, organisation=nhs_england, role=Role.NATIONAL_OVERSIGHT)
    with pytest.raises(ValidationError) as error:
        conflict_waive(actor=oversight_lead, case=case, expert=recent_employee, rationale="Only specialist.")
    assert "acting_for" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        conflict_waive(
            actor=oversight_lead, case=case, expert=recent_employee, rationale="Only specialist.", organisation=cqc
        )
    assert not ConflictWaiver.objects.exists()
    waiver = conflict_waive(
        actor=oversight_lead, case=case, expert=recent_employee, rationale="Only specialist.", organisation=nhs_england
    )
    assert waiver.waived_by_organisation == nhs_england
