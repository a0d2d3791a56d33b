"""Changing the registry and ending appointments: ``expert_update`` and ``appointment_end``."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.errors import TransitionNotAllowed
from accounts.models import AuditEvent, Organisation, OrganisationKind, Role, User
from accounts.services import membership_create
from failure_regime.models import Case
from reviews.models import Appointment, AppointmentRole, Expert, Seniority
from reviews.services.registry import appointment_end, appointment_make, expert_update
from reviews.verbs import ReviewsVerb
from tests.factories import OrganisationFactory, member
from tests.reviews.conftest import MakeExpert

pytestmark = pytest.mark.django_db

DECLARATION = "I am independent of the trust."


def appoint(case: Case, actor: User, expert: Expert, role: str = AppointmentRole.EXPERT_REVIEWER) -> Appointment:
    return appointment_make(actor=actor, case=case, expert=expert, role=role, declaration=DECLARATION)


@pytest.fixture
def appointment(case: Case, expert: Expert, regulator: User) -> Appointment:
    return appoint(case, regulator, expert)


@pytest.fixture
def own_expert(make_expert: MakeExpert, reviewer: User) -> Expert:
    return make_expert(name="Dr Rae Reviewer", user=reviewer)


# --- expert_update ----------------------------------------------------------------------------------------


def test_a_registry_keeper_changes_the_seniority(expert: Expert, regulator: User) -> None:
    expert_update(actor=regulator, expert=expert, seniority=Seniority.NATIONAL_EXPERT)
    expert.refresh_from_db()
    assert expert.seniority == Seniority.NATIONAL_EXPERT


def test_a_change_is_audited_with_before_and_after(expert: Expert, regulator: User) -> None:
    expert_update(actor=regulator, expert=expert, capacity_per_week=2)
    event = AuditEvent.objects.get(verb=ReviewsVerb.EXPERT_CHANGED, target_id=str(expert.pk))
    assert (event.before, event.after) == ({"capacity_per_week": 5}, {"capacity_per_week": 2})


def test_it_replaces_the_specialties(expert: Expert, regulator: User) -> None:
    expert_update(actor=regulator, expert=expert, specialties=["Midwifery", "Neonatology"])
    assert sorted(s.name for s in expert.specialties.all()) == ["Midwifery", "Neonatology"]


def test_no_change_records_nothing(expert: Expert, regulator: User) -> None:
    expert_update(
        actor=regulator, expert=expert, capacity_per_week=expert.capacity_per_week, specialties=["Obstetrics"]
    )
    assert not AuditEvent.objects.filter(verb=ReviewsVerb.EXPERT_CHANGED).exists()


def test_an_expert_changes_their_own_availability(own_expert: Expert, reviewer: User) -> None:
    expert_update(actor=reviewer, expert=own_expert, available=False, capacity_per_week=1)
    own_expert.refresh_from_db()
    assert (own_expert.available, own_expert.capacity_per_week) == (False, 1)


def test_an_expert_cannot_raise_their_own_seniority(own_expert: Expert, reviewer: User) -> None:
    with pytest.raises(PermissionDenied):
        expert_update(actor=reviewer, expert=own_expert, seniority=Seniority.NATIONAL_EXPERT)


def test_an_expert_cannot_change_their_own_specialties(own_expert: Expert, reviewer: User) -> None:
    with pytest.raises(PermissionDenied):
        expert_update(actor=reviewer, expert=own_expert, specialties=["Cardiology"])


def test_an_expert_cannot_change_someone_elses_record(expert: Expert, own_expert: Expert, reviewer: User) -> None:
    with pytest.raises(PermissionDenied):
        expert_update(actor=reviewer, expert=expert, available=False)


def test_a_trust_manager_cannot_change_the_registry(expert: Expert, trust_manager: User) -> None:
    with pytest.raises(PermissionDenied):
        expert_update(actor=trust_manager, expert=expert, available=False)


def test_capacity_cannot_be_negative(expert: Expert, regulator: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        expert_update(actor=regulator, expert=expert, capacity_per_week=-1)
    assert "capacity_per_week" in excinfo.value.message_dict


def test_the_profession_cannot_be_blank(expert: Expert, regulator: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        expert_update(actor=regulator, expert=expert, profession="  ")
    assert "profession" in excinfo.value.message_dict


# --- appointment_end --------------------------------------------------------------------------------------


def test_the_appointing_organisation_ends_an_appointment_with_a_reason(
    appointment: Appointment, regulator: User
) -> None:
    ended = appointment_end(actor=regulator, appointment=appointment, reason="Moved abroad.")
    assert (ended.active, ended.ended_by, ended.end_reason) == (False, regulator, "Moved abroad.")


def test_ending_an_appointment_is_audited(appointment: Appointment, regulator: User) -> None:
    appointment_end(actor=regulator, appointment=appointment, reason="Moved abroad.")
    event = AuditEvent.objects.get(verb=ReviewsVerb.APPOINTMENT_ENDED, target_id=str(appointment.pk))
    assert event.after["reason"] == "Moved abroad."


def test_the_cases_oversight_lead_may_end_another_organisations_appointment(
    appointment: Appointment, oversight_lead: User
) -> None:
    assert not appointment_end(actor=oversight_lead, appointment=appointment, reason="Conflict found.").active


def test_an_overseer_of_another_organisation_may_not_end_it(appointment: Appointment) -> None:
    other_regulator = OrganisationFactory.create(kind=OrganisationKind.REGULATOR, ods_code="HIW")
    with pytest.raises(PermissionDenied):
        appointment_end(
            actor=member(other_regulator, Role.REGULATOR_DECISION_MAKER), appointment=appointment, reason="No."
        )


def test_a_trust_manager_may_not_end_an_appointment(appointment: Appointment, trust_manager: User) -> None:
    with pytest.raises(PermissionDenied):
        appointment_end(actor=trust_manager, appointment=appointment, reason="We disagree.")


def test_ending_needs_a_reason(appointment: Appointment, regulator: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        appointment_end(actor=regulator, appointment=appointment, reason=" ")
    assert "reason" in excinfo.value.message_dict
    assert not AuditEvent.objects.filter(verb=ReviewsVerb.APPOINTMENT_ENDED).exists()


def test_an_ended_appointment_cannot_end_again(appointment: Appointment, regulator: User) -> None:
    appointment_end(actor=regulator, appointment=appointment, reason="Moved abroad.")
    with pytest.raises(TransitionNotAllowed):
        appointment_end(actor=regulator, appointment=appointment, reason="Again.")


def test_the_expert_can_be_appointed_again_once_it_ended(
    case: Case, appointment: Appointment, expert: Expert, regulator: User
) -> None:
    appointment_end(actor=regulator, appointment=appointment, reason="Paused.")
    assert appoint(case, regulator, expert).active


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_people_ending_the_same_appointment_end_it_once(
    provider: Organisation, cqc: Organisation, monitor: Organisation
) -> None:
    from failure_regime.services.concerns import concern_raise
    from reviews.services.registry import expert_register
    from tests.failure_regime.conftest import propose

    regulator, oversight = member(cqc, Role.REGULATOR_DECISION_MAKER), member(monitor, Role.OVERSIGHT_LEAD)
    member(provider, Role.TRUST_SIGN_OFF_OFFICER)
    concern = concern_raise(
        actor=member(cqc, Role.INSPECTOR),
        organisation=cqc,
        provider=provider,
        source="media",
        summary="Reports.",
    )
    case = propose(regulator, provider, concern)
    expert = expert_register(
        actor=regulator,
        name="Dr Ada Expert",
        profession="Obstetrician",
        regulator="gmc",
        registration_number="1234567",
        specialties=["Obstetrics"],
        seniority=Seniority.CONSULTANT,
        capacity_per_week=5,
    )
    appointment = appoint(case, regulator, expert)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def end(user: User) -> None:
        try:
            barrier.wait()
            appointment_end(actor=user, appointment=appointment, reason="Ended.")
            outcomes.append("ended")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=end, args=(user,)) for user in (regulator, oversight)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ended", "refused"]
    assert AuditEvent.objects.filter(verb=ReviewsVerb.APPOINTMENT_ENDED).count() == 1


def test_an_oversight_lead_who_is_also_national_oversight_says_which_ends_it(
    appointment: Appointment, oversight_lead: User, nhs_england: Organisation
) -> None:
    """Ending another organisation's appointment, someone who could do it for their party or as national oversight
    is asked which (it was once the first found); the appointing organisation's own staff are not asked."""
    membership_create(actor=None, user=oversight_lead, organisation=nhs_england, role=Role.NATIONAL_OVERSIGHT)
    with pytest.raises(ValidationError) as excinfo:
        appointment_end(actor=oversight_lead, appointment=appointment, reason="Conflict found.")
    assert "acting_for" in excinfo.value.message_dict
    appointment_end(actor=oversight_lead, appointment=appointment, reason="Conflict found.", organisation=nhs_england)
    event = AuditEvent.objects.get(verb=ReviewsVerb.APPOINTMENT_ENDED, target_id=str(appointment.pk))
    assert event.organisation == nhs_england
