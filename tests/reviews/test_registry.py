from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AuditEvent, Organisation, Role, User
from accounts.services import membership_create
from reviews.models import Expert, InterestKind, Regulator, TrainingKind
from reviews.services import (
    employment_add,
    expert_register,
    interest_declare,
    registration_number_normalise,
    training_record,
)
from reviews.verbs import ReviewsVerb
from tests.reviews.conftest import MakeExpert

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("regulator", "number", "stored"),
    [
        (Regulator.GMC, "1234567", "1234567"),
        (Regulator.GMC, " 7654321 ", "7654321"),
        (Regulator.NMC, "12A3456B", "12A3456B"),
        (Regulator.NMC, "12a3456b", "12A3456B"),
        (Regulator.HCPC, "PA12345", "PA12345"),
        (Regulator.HCPC, "ot123456", "OT123456"),
        (Regulator.OTHER, "", ""),
        (Regulator.OTHER, "gphc 2012345", "GPHC 2012345"),
    ],
)
def test_it_accepts_and_normalises_a_valid_registration_number(regulator: str, number: str, stored: str) -> None:
    assert registration_number_normalise(regulator=regulator, number=number) == stored


@pytest.mark.parametrize(
    ("regulator", "number"),
    [
        (Regulator.GMC, "123456"),
        (Regulator.GMC, "12345678"),
        (Regulator.GMC, "123456A"),
        (Regulator.GMC, ""),
        (Regulator.NMC, "1A3456B"),
        (Regulator.NMC, "12A345B"),
        (Regulator.NMC, "12A34567"),
        (Regulator.NMC, "123456BB"),
        (Regulator.HCPC, "P12345"),
        (Regulator.HCPC, "PA"),
        (Regulator.HCPC, "12345PA"),
        (Regulator.HCPC, "PA12 345"),
    ],
)
def test_it_refuses_a_registration_number_in_the_wrong_format(regulator: str, number: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        registration_number_normalise(regulator=regulator, number=number)
    assert "registration_number" in excinfo.value.message_dict


def test_it_registers_an_expert_with_their_specialties_and_an_audit_event(make_expert: MakeExpert) -> None:
    expert = make_expert(regulator=Regulator.NMC, registration_number="12a3456b", specialties=["Midwifery"])
    assert (expert.registration_number, [s.name for s in expert.specialties.all()]) == ("12A3456B", ["Midwifery"])
    assert AuditEvent.objects.filter(verb=ReviewsVerb.EXPERT_REGISTERED, target_id=str(expert.pk)).count() == 1


def test_it_shares_a_specialty_between_experts_whatever_its_case(make_expert: MakeExpert) -> None:
    first = make_expert(specialties=["Obstetrics"])
    second = make_expert(specialties=["obstetrics "])
    assert list(first.specialties.all()) == list(second.specialties.all())


def test_it_refuses_a_registration_number_already_registered(make_expert: MakeExpert) -> None:
    make_expert(registration_number="1234567")
    with pytest.raises(ValidationError) as excinfo:
        make_expert(registration_number="1234567")
    assert "registration_number" in excinfo.value.message_dict


def test_a_refused_registration_writes_no_audit_event(make_expert: MakeExpert) -> None:
    with pytest.raises(ValidationError):
        make_expert(registration_number="12345")
    assert not AuditEvent.objects.filter(verb=ReviewsVerb.EXPERT_REGISTERED).exists()


def _register(actor: User, **fields: Any) -> Expert:
    return expert_register(
        actor=actor,
        name="Dr Bo",
        profession="Surgeon",
        regulator=Regulator.GMC,
        registration_number="1234567",
        specialties=[],
        seniority=3,
        capacity_per_week=2,
        **fields,
    )


def test_a_trust_manager_cannot_register_an_expert(trust_manager: User) -> None:
    with pytest.raises(PermissionDenied):
        _register(trust_manager)


def test_it_adds_an_employment_with_an_audit_event(
    expert: Expert, oversight_lead: User, provider: Organisation
) -> None:
    employment = employment_add(
        actor=oversight_lead, expert=expert, organisation=provider, started_on=datetime.date(2015, 1, 1)
    )
    assert employment.employer_name == provider.name
    assert AuditEvent.objects.filter(verb=ReviewsVerb.EMPLOYMENT_ADDED, target_id=str(employment.pk)).count() == 1


def test_an_employment_cannot_end_before_it_starts(expert: Expert, oversight_lead: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        employment_add(
            actor=oversight_lead,
            expert=expert,
            employer_name="A hospital abroad",
            started_on=datetime.date(2015, 1, 1),
            ended_on=datetime.date(2014, 1, 1),
        )
    assert "ended_on" in excinfo.value.message_dict


def test_an_expert_with_an_account_can_add_to_their_own_record(
    make_expert: MakeExpert, reviewer: User, other_provider: Organisation
) -> None:
    expert = make_expert(user=reviewer)
    employment = employment_add(
        actor=reviewer, expert=expert, organisation=other_provider, started_on=datetime.date(2020, 1, 1)
    )
    assert employment.recorded_by == reviewer


def test_an_outsider_cannot_add_to_an_experts_record(
    expert: Expert, trust_manager: User, other_provider: Organisation
) -> None:
    with pytest.raises(PermissionDenied):
        employment_add(
            actor=trust_manager, expert=expert, organisation=other_provider, started_on=datetime.date(2020, 1, 1)
        )


def test_it_records_a_declared_interest_with_an_audit_event(
    expert: Expert, oversight_lead: User, provider: Organisation
) -> None:
    interest = interest_declare(
        actor=oversight_lead,
        expert=expert,
        organisation=provider,
        kind=InterestKind.FINANCIAL,
        description="Shares in the trust's private patient subsidiary.",
    )
    assert AuditEvent.objects.filter(verb=ReviewsVerb.INTEREST_DECLARED, target_id=str(interest.pk)).count() == 1


def test_a_declared_interest_needs_a_description(expert: Expert, oversight_lead: User, provider: Organisation) -> None:
    with pytest.raises(ValidationError) as excinfo:
        interest_declare(
            actor=oversight_lead, expert=expert, organisation=provider, kind=InterestKind.OTHER, description=" "
        )
    assert "description" in excinfo.value.message_dict


def test_it_records_training_with_an_audit_event(expert: Expert, oversight_lead: User) -> None:
    training = training_record(
        actor=oversight_lead,
        expert=expert,
        kind=TrainingKind.STRUCTURED_JUDGEMENT_REVIEW,
        completed_on=datetime.date(2023, 3, 1),
    )
    assert AuditEvent.objects.filter(verb=ReviewsVerb.TRAINING_RECORDED, target_id=str(training.pk)).count() == 1


def test_training_cannot_be_completed_in_the_future(expert: Expert, oversight_lead: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        training_record(
            actor=oversight_lead,
            expert=expert,
            kind=TrainingKind.STRUCTURED_JUDGEMENT_REVIEW,
            completed_on=timezone.localdate() + datetime.timedelta(days=30),
        )
    assert "completed_on" in excinfo.value.message_dict


# --- Whom a keeper of the registry with several organisations acts for ------------------------------------


@pytest.fixture
def keeper_of_two(oversight_lead: User, nhs_england: Organisation) -> User:
    """Monitor's oversight lead, who is also in national oversight at NHS England: both keep the registry."""
    membership_create(actor=None, user=oversight_lead, organisation=nhs_england, role=Role.NATIONAL_OVERSIGHT)
    return oversight_lead


def test_a_keeper_with_two_organisations_is_asked_which_and_nothing_is_registered(keeper_of_two: User) -> None:
    with pytest.raises(ValidationError) as error:
        _register(keeper_of_two)
    assert "acting_for" in error.value.message_dict
    assert not Expert.objects.exists()


def test_a_keeper_registers_for_the_organisation_chosen(keeper_of_two: User, nhs_england: Organisation) -> None:
    expert = _register(keeper_of_two, acting_for=nhs_england)
    event = AuditEvent.objects.get(verb=ReviewsVerb.EXPERT_REGISTERED, target_id=str(expert.pk))
    assert event.organisation == nhs_england


def test_a_keeper_cannot_act_for_an_organisation_where_they_do_not_keep_the_registry(
    oversight_lead: User, provider: Organisation
) -> None:
    with pytest.raises(PermissionDenied):
        _register(oversight_lead, acting_for=provider)
    assert not Expert.objects.exists()
