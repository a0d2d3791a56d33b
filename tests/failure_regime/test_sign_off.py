from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import AuditEvent, Organisation, OrganisationKind, Role, User
from failure_regime.models import (
    Case,
    CaseStatus,
    Concern,
    Decision,
    Notification,
    NotificationEvent,
    OutboxMessage,
    SignOff,
)
from failure_regime.services.cases import case_party_add
from failure_regime.services.sign_off import sign_off_record, sign_off_withdraw
from tests.factories import OrganisationFactory, member, sole_organisation

pytestmark = pytest.mark.django_db


def agree(case: Case, user: User, organisation: Organisation) -> SignOff:
    return sign_off_record(actor=user, case=case, organisation=organisation, decision=Decision.AGREE)


def everyone_agrees(case: Case, regulator: User, oversight_lead: User, sign_off_officer: User) -> None:
    for user in (regulator, oversight_lead, sign_off_officer):
        agree(case, user, user.memberships.get().organisation)


def test_the_required_parties_come_from_the_provider(
    case: Case, provider: Organisation, cqc: Organisation, monitor: Organisation
) -> None:
    assert {p.organisation for p in case.parties.all()} == {provider, cqc, monitor}


def test_a_gp_practice_needs_only_itself_and_cqc(regulator: User, cqc: Organisation, inspector: User) -> None:
    from failure_regime.services.concerns import concern_raise
    from tests.failure_regime.conftest import propose

    practice = OrganisationFactory.create(kind=OrganisationKind.GP_PRACTICE)
    concern = concern_raise(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=practice,
        source="complaints",
        summary="Repeated complaints.",
    )
    case = propose(regulator, practice, concern)
    assert {p.organisation for p in case.parties.all()} == {practice, cqc}


def test_it_triggers_when_the_last_party_agrees(
    case: Case, regulator: User, oversight_lead: User, sign_off_officer: User
) -> None:
    everyone_agrees(case, regulator, oversight_lead, sign_off_officer)
    case.refresh_from_db()
    assert case.status == CaseStatus.TRIGGERED and case.triggered_at is not None


def test_it_does_not_trigger_with_one_party_missing(case: Case, regulator: User, oversight_lead: User) -> None:
    agree(case, regulator, regulator.memberships.get().organisation)
    agree(case, oversight_lead, oversight_lead.memberships.get().organisation)
    case.refresh_from_db()
    assert case.status == CaseStatus.PROPOSED


def test_the_trigger_is_audited_with_the_decision(
    case: Case, regulator: User, oversight_lead: User, sign_off_officer: User
) -> None:
    everyone_agrees(case, regulator, oversight_lead, sign_off_officer)
    event = AuditEvent.objects.get(verb="case.triggered")
    assert (event.actor, event.before, event.after) == (
        sign_off_officer,
        {"status": "proposed"},
        {"status": "triggered"},
    )


def test_an_objection_holds_the_case(
    case: Case, regulator: User, oversight_lead: User, sign_off_officer: User, provider: Organisation
) -> None:
    sign_off_record(
        actor=sign_off_officer,
        case=case,
        organisation=provider,
        decision=Decision.OBJECT,
        reason="The evidence predates the new leadership.",
    )
    agree(case, regulator, regulator.memberships.get().organisation)
    agree(case, oversight_lead, oversight_lead.memberships.get().organisation)
    case.refresh_from_db()
    assert case.status == CaseStatus.PROPOSED


def test_withdrawing_an_objection_lets_the_party_agree(
    case: Case, regulator: User, oversight_lead: User, sign_off_officer: User, provider: Organisation
) -> None:
    sign_off_record(
        actor=sign_off_officer, case=case, organisation=provider, decision=Decision.OBJECT, reason="Not yet."
    )
    agree(case, regulator, regulator.memberships.get().organisation)
    agree(case, oversight_lead, oversight_lead.memberships.get().organisation)
    sign_off_withdraw(actor=sign_off_officer, case=case, organisation=provider, reason="New evidence persuades us.")
    agree(case, sign_off_officer, provider)
    case.refresh_from_db()
    assert case.status == CaseStatus.TRIGGERED


def test_a_withdrawal_is_recorded_and_kept(case: Case, sign_off_officer: User, provider: Organisation) -> None:
    agree(case, sign_off_officer, provider)
    sign_off_withdraw(actor=sign_off_officer, case=case, organisation=provider, reason="Board asked to reconsider.")
    withdrawn = SignOff.objects.get(case=case, organisation=provider)
    assert (withdrawn.withdrawn_by, withdrawn.withdrawal_reason) == (sign_off_officer, "Board asked to reconsider.")
    assert AuditEvent.objects.filter(verb="case.sign_off_withdrawn", scope_id=str(case.pk)).count() == 1


def test_an_objection_needs_reasons(case: Case, sign_off_officer: User, provider: Organisation) -> None:
    with pytest.raises(ValidationError) as error:
        sign_off_record(actor=sign_off_officer, case=case, organisation=provider, decision=Decision.OBJECT)
    assert "reason" in error.value.message_dict


def test_a_second_decision_by_the_same_party_is_refused(
    case: Case, sign_off_officer: User, provider: Organisation
) -> None:
    agree(case, sign_off_officer, provider)
    second = member(provider, Role.TRUST_SIGN_OFF_OFFICER)
    with pytest.raises(ConflictError):
        agree(case, second, provider)


def test_a_member_without_the_sign_off_role_is_refused(case: Case, trust_manager: User, provider: Organisation) -> None:
    with pytest.raises(PermissionDenied):
        agree(case, trust_manager, provider)


def test_a_member_of_a_non_party_organisation_is_refused(
    case: Case, other_trust_manager: User, other_provider: Organisation
) -> None:
    signatory = member(other_provider, Role.TRUST_SIGN_OFF_OFFICER)
    with pytest.raises(PermissionDenied):
        agree(case, signatory, other_provider)


def test_no_decision_after_the_trigger(
    case: Case, regulator: User, oversight_lead: User, sign_off_officer: User, provider: Organisation
) -> None:
    everyone_agrees(case, regulator, oversight_lead, sign_off_officer)
    with pytest.raises(TransitionNotAllowed):
        sign_off_withdraw(actor=sign_off_officer, case=case, organisation=provider, reason="Too late")


def test_the_proposer_adds_a_party_before_sign_off(case: Case, regulator: User) -> None:
    commissioner = OrganisationFactory.create(kind=OrganisationKind.COMMISSIONER)
    case_party_add(actor=regulator, case=case, organisation=commissioner)
    assert case.parties.filter(organisation=commissioner, basis="as_appropriate").exists()


def test_an_added_party_must_agree_too(
    case: Case, regulator: User, oversight_lead: User, sign_off_officer: User
) -> None:
    commissioner = OrganisationFactory.create(kind=OrganisationKind.COMMISSIONER)
    case_party_add(actor=regulator, case=case, organisation=commissioner)
    everyone_agrees(case, regulator, oversight_lead, sign_off_officer)
    case.refresh_from_db()
    assert case.status == CaseStatus.PROPOSED


def test_no_party_can_be_added_once_sign_off_has_started(
    case: Case, regulator: User, sign_off_officer: User, provider: Organisation
) -> None:
    agree(case, sign_off_officer, provider)
    with pytest.raises(TransitionNotAllowed):
        case_party_add(
            actor=regulator, case=case, organisation=OrganisationFactory.create(kind=OrganisationKind.COMMISSIONER)
        )


def test_only_the_proposers_organisation_adds_parties(case: Case, oversight_lead: User) -> None:
    with pytest.raises(PermissionDenied):
        case_party_add(
            actor=oversight_lead, case=case, organisation=OrganisationFactory.create(kind=OrganisationKind.COMMISSIONER)
        )


def test_the_trigger_notifies_each_signatory_once(
    case: Case, regulator: User, oversight_lead: User, sign_off_officer: User
) -> None:
    everyone_agrees(case, regulator, oversight_lead, sign_off_officer)
    told = Notification.objects.filter(event=NotificationEvent.CASE_TRIGGERED, about_id=case.pk)
    triggered = OutboxMessage.objects.filter(dedupe_key__in=[f"notification:{n.pk}" for n in told])
    assert sorted(triggered.values_list("to", flat=True)) == sorted(
        u.email for u in (regulator, oversight_lead, sign_off_officer)
    )


def test_the_trigger_mail_is_sent_and_names_no_person(
    case: Case, regulator: User, oversight_lead: User, sign_off_officer: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        everyone_agrees(case, regulator, oversight_lead, sign_off_officer)
    subjects = {m.subject for m in mail.outbox if m.subject.endswith("has been triggered")}
    assert subjects == {f"Case {case.reference} at {case.provider.name} has been triggered"}
    names = [u.full_name for u in (regulator, oversight_lead, sign_off_officer)]
    assert not any(name in m.subject for m in mail.outbox for name in names)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_last_decisions_trigger_exactly_once(
    provider: Organisation, monitor: Organisation, cqc: Organisation
) -> None:
    from failure_regime.services.concerns import concern_raise
    from tests.failure_regime.conftest import propose

    regulator = member(cqc, Role.REGULATOR_DECISION_MAKER)
    signatories = [regulator, member(monitor, Role.OVERSIGHT_LEAD), member(provider, Role.TRUST_SIGN_OFF_OFFICER)]
    concern = concern_raise(
        actor=member(cqc, Role.INSPECTOR),
        organisation=cqc,
        provider=provider,
        source="media",
        summary="Reports.",
    )
    case = propose(regulator, provider, concern)
    barrier = threading.Barrier(len(signatories))
    errors: list[BaseException] = []

    def decide(user: User) -> None:
        try:
            barrier.wait()
            agree(case, user, user.memberships.get().organisation)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(user,)) for user in signatories]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Case.objects.get(pk=case.pk).status == CaseStatus.TRIGGERED
    assert AuditEvent.objects.filter(verb="case.triggered", target_id=str(case.pk)).count() == 1
    assert Notification.objects.filter(event=NotificationEvent.CASE_TRIGGERED, about_id=case.pk).count() == 3
    assert SignOff.objects.filter(case=case).count() == 3


def test_an_immediate_concern_gives_a_24_hour_deadline(
    immediate_concern: Concern, regulator: User, provider: Organisation
) -> None:
    from tests.failure_regime.conftest import propose

    case = propose(regulator, provider, immediate_concern)
    assert case.sign_off_deadline is not None
    assert case.sign_off_deadline - case.proposed_at == timedelta(hours=24)


def test_a_routine_case_has_no_sign_off_deadline(case: Case) -> None:
    assert case.sign_off_deadline is None and not case.deadlines.exists()


def test_the_trigger_stops_the_sign_off_clock(
    immediate_concern: Concern, regulator: User, oversight_lead: User, sign_off_officer: User, provider: Organisation
) -> None:
    from tests.failure_regime.conftest import propose

    case = propose(regulator, provider, immediate_concern)
    everyone_agrees(case, regulator, oversight_lead, sign_off_officer)
    met_at = case.deadlines.get().met_at
    assert met_at is not None and met_at <= timezone.now()
