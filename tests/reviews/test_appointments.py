from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AuditEvent, Organisation, Role, User
from failure_regime.models import Area, Case
from reviews.models import Appointment, AppointmentRole, ConflictWaiver, Expert, InterestKind
from reviews.services import appointment_make, conflict_waive, employment_add, interest_declare
from reviews.verbs import ReviewsVerb
from tests.factories import member
from tests.reviews.conftest import MakeExpert

pytestmark = pytest.mark.django_db

DECLARATION = "I have no interest in the trust and have not worked there in the last five years."


@pytest.fixture
def conflicted(expert: Expert, oversight_lead: User, provider: Organisation) -> Expert:
    interest_declare(
        actor=oversight_lead,
        expert=expert,
        organisation=provider,
        kind=InterestKind.PERSONAL_INVOLVEMENT,
        description="A relative was cared for on the unit under review.",
    )
    return expert


def appoint(case: Case, actor: User, expert: Expert, role: str = AppointmentRole.EXPERT_REVIEWER) -> Appointment:
    return appointment_make(actor=actor, case=case, expert=expert, role=role, declaration=DECLARATION)


def test_it_appoints_an_independent_expert_with_their_declaration(case: Case, expert: Expert, regulator: User) -> None:
    appointment = appoint(case, regulator, expert)
    assert (appointment.declaration, appointment.signed_by) == (DECLARATION, regulator)
    assert AuditEvent.objects.filter(verb=ReviewsVerb.APPOINTMENT_MADE, target_id=str(appointment.pk)).count() == 1


def test_it_refuses_a_conflicted_expert(case: Case, conflicted: Expert, regulator: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        appoint(case, regulator, conflicted)
    assert "expert" in excinfo.value.message_dict


def test_a_refused_appointment_writes_no_audit_event(case: Case, conflicted: Expert, regulator: User) -> None:
    with pytest.raises(ValidationError):
        appoint(case, regulator, conflicted)
    assert not AuditEvent.objects.filter(verb=ReviewsVerb.APPOINTMENT_MADE).exists()


def test_it_refuses_a_recent_employee_of_the_provider(
    case: Case, expert: Expert, oversight_lead: User, regulator: User, provider: Organisation
) -> None:
    employment_add(
        actor=oversight_lead,
        expert=expert,
        organisation=provider,
        started_on=datetime.date(2010, 1, 1),
        ended_on=timezone.localdate() - datetime.timedelta(days=365),
    )
    with pytest.raises(ValidationError):
        appoint(case, regulator, expert)


def test_it_appoints_a_conflicted_expert_once_waived_with_a_rationale(
    case: Case, conflicted: Expert, oversight_lead: User, regulator: User
) -> None:
    conflict_waive(actor=oversight_lead, case=case, expert=conflicted, rationale="The only neonatal pathologist.")
    assert appoint(case, regulator, conflicted).expert == conflicted


def test_a_waiver_records_the_conflicts_and_the_rationale_with_an_audit_event(
    case: Case, conflicted: Expert, oversight_lead: User
) -> None:
    waiver = conflict_waive(actor=oversight_lead, case=case, expert=conflicted, rationale="No one else qualified.")
    assert (waiver.rationale, "personal involvement" in waiver.reason) == ("No one else qualified.", True)
    assert AuditEvent.objects.filter(verb=ReviewsVerb.CONFLICT_WAIVED, target_id=str(waiver.pk)).count() == 1


def test_national_oversight_may_waive_a_conflict(case: Case, conflicted: Expert, national: User) -> None:
    waiver = conflict_waive(actor=national, case=case, expert=conflicted, rationale="Agreed nationally.")
    assert waiver.waived_by == national


def test_a_trust_manager_cannot_waive_a_conflict(case: Case, conflicted: Expert, trust_manager: User) -> None:
    with pytest.raises(PermissionDenied):
        conflict_waive(actor=trust_manager, case=case, expert=conflicted, rationale="We trust them.")


def test_a_regulator_cannot_waive_a_conflict(case: Case, conflicted: Expert, regulator: User) -> None:
    with pytest.raises(PermissionDenied):
        conflict_waive(actor=regulator, case=case, expert=conflicted, rationale="We trust them.")


def test_a_waiver_needs_a_rationale(case: Case, conflicted: Expert, oversight_lead: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        conflict_waive(actor=oversight_lead, case=case, expert=conflicted, rationale="  ")
    assert "rationale" in excinfo.value.message_dict
    assert not ConflictWaiver.objects.exists()


def test_there_is_nothing_to_waive_for_an_independent_expert(case: Case, expert: Expert, oversight_lead: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        conflict_waive(actor=oversight_lead, case=case, expert=expert, rationale="Just in case.")
    assert "expert" in excinfo.value.message_dict


def test_an_appointment_needs_a_declaration(case: Case, expert: Expert, regulator: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        appointment_make(actor=regulator, case=case, expert=expert, role=AppointmentRole.REVIEW_CHAIR, declaration=" ")
    assert "declaration" in excinfo.value.message_dict


def test_a_trust_manager_cannot_appoint(case: Case, expert: Expert, trust_manager: User) -> None:
    with pytest.raises(PermissionDenied):
        appoint(case, trust_manager, expert)


def test_an_expert_holds_a_role_on_a_case_once(case: Case, expert: Expert, regulator: User) -> None:
    appoint(case, regulator, expert)
    with pytest.raises(ValidationError):
        appoint(case, regulator, expert)


def test_a_chair_who_is_a_member_of_a_party_becomes_the_investigation_lead(
    case: Case, make_expert: MakeExpert, regulator: User, cqc: Organisation
) -> None:
    chair = make_expert(user=member(cqc, Role.REVIEW_CHAIR, full_name="Dr Chair"))
    appoint(case, regulator, chair, AppointmentRole.REVIEW_CHAIR)
    investigation = case.responsibilities.get(area=Area.INVESTIGATION)
    assert (investigation.lead, investigation.lead_organisation) == (chair.user, cqc)


def test_a_chair_outside_the_parties_leaves_the_investigation_lead_alone(
    case: Case, make_expert: MakeExpert, regulator: User, reviewer: User
) -> None:
    chair = make_expert(user=reviewer)
    appoint(case, regulator, chair, AppointmentRole.REVIEW_CHAIR)
    assert case.responsibilities.get(area=Area.INVESTIGATION).lead is None


def test_an_expert_reviewer_does_not_become_the_investigation_lead(
    case: Case, make_expert: MakeExpert, regulator: User, cqc: Organisation
) -> None:
    expert = make_expert(user=member(cqc, Role.EXPERT_REVIEWER))
    appoint(case, regulator, expert, AppointmentRole.EXPERT_REVIEWER)
    assert case.responsibilities.get(area=Area.INVESTIGATION).lead is None


def test_the_case_timeline_names_an_appointment_in_plain_words() -> None:
    from failure_regime.verbs import label
    from reviews.verbs import ReviewsVerb

    assert label(ReviewsVerb.APPOINTMENT_MADE) == "Expert appointed"
