"""Public enquiries: receiving one, who handles and sees it, triage and its response clocks, notes, the response,
closing and reopening, referrals to support services, and escalation of an overdue enquiry exactly once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection
from django.http import Http404
from django.utils import timezone

from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import AuditEvent, Organisation, Role, User
from communications.models import (
    ContactMethod,
    Enquiry,
    EnquiryCategory,
    EnquiryStatus,
    NoteKind,
    ReferralStatus,
    Relation,
    SupportService,
    Urgency,
)
from communications.selectors.enquiries import enquiry_get_for_user, enquiry_list_for_user
from communications.services.enquiries import (
    enquiry_close,
    enquiry_escalation_sweep,
    enquiry_note_add,
    enquiry_receive,
    enquiry_respond,
    enquiry_triage,
    enquiry_view,
    handling_organisation_for,
    referral_decide,
    referral_offer,
)
from communications.tasks import sweep_enquiries
from communications.workdays import LONDON
from failure_regime.models import Area, Case, OutboxMessage
from failure_regime.services.accountability import lead_hand_over
from failure_regime.services.concerns import concern_raise
from reviews.models import Cohort
from tests.factories import OrganisationFactory, member, sole_organisation
from tests.failure_regime.conftest import propose

pytestmark = pytest.mark.django_db

MONDAY_10AM = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)
MONDAY_5PM = datetime(2026, 3, 2, 17, 0, tzinfo=LONDON)
WEDNESDAY_5PM = datetime(2026, 3, 4, 17, 0, tzinfo=LONDON)


def answers(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Alex Example",
        "relation": Relation.FAMILY,
        "worry": "My mother was left without pain relief for a day on the maternity ward.",
        "contact_method": ContactMethod.EMAIL,
        "email": "alex@example.org",
        "consent": True,
        **overrides,
    }


def receive(provider: Organisation | None = None, **overrides: Any) -> Enquiry:
    return enquiry_receive(provider=provider, **answers(**overrides))


@pytest.fixture
def enquiry(family_support_case: Case, provider: Organisation) -> Enquiry:
    """An enquiry about ``provider`` received on Monday 2 March 2026 at 10:00, handled by ``provider`` (its
    case's family-support lead organisation)."""
    with time_machine.travel(MONDAY_10AM, tick=False):
        return receive(provider)


def triage(enquiry: Enquiry, actor: User, **overrides: Any) -> Enquiry:
    fields = {"category": EnquiryCategory.INFORMATION, "urgency": Urgency.ROUTINE, **overrides}
    return enquiry_triage(actor=actor, enquiry=enquiry, **fields)


# --- Receiving ------------------------------------------------------------------------------------------------


def test_an_enquiry_gets_a_reference(enquiry: Enquiry) -> None:
    assert enquiry.reference.startswith("ENQ-") and len(enquiry.reference) == 13


def test_an_enquiry_is_due_within_two_working_days_of_receipt(enquiry: Enquiry) -> None:
    assert enquiry.response_due_at == WEDNESDAY_5PM


def test_receiving_is_audited_without_personal_data(enquiry: Enquiry) -> None:
    event = AuditEvent.objects.get(verb="enquiry.received", target_id=str(enquiry.pk))
    recorded = f"{event.before}{event.after}{event.target_label}"
    assert enquiry.reference in recorded and "Alex" not in recorded and "alex@example.org" not in recorded


def test_the_sender_gets_one_acknowledgement_with_the_reference(enquiry: Enquiry) -> None:
    [message] = OutboxMessage.objects.filter(to="alex@example.org")
    assert enquiry.reference in message.body and "5pm on Wednesday 4 March 2026" in message.body


def test_the_acknowledgement_subject_carries_no_personal_data(enquiry: Enquiry) -> None:
    message = OutboxMessage.objects.get(to="alex@example.org")
    assert message.subject == "We have received your message"


def test_a_sender_who_wants_a_phone_call_gets_no_email(provider: Organisation) -> None:
    receive(provider, contact_method=ContactMethod.PHONE, email="", phone="01632 960 001")
    assert not OutboxMessage.objects.exists()


def test_a_phone_number_is_kept_as_digits(provider: Organisation) -> None:
    enquiry = receive(provider, contact_method=ContactMethod.PHONE, phone="(01632) 960-001")
    assert enquiry.phone == "01632960001"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter your name"),
        ({"relation": ""}, "relation", "Select how you are connected to the patient"),
        ({"relation": Relation.OTHER}, "relation_detail", "Tell us how you are connected to the patient"),
        ({"worry": ""}, "worry", "Tell us what worries you"),
        ({"worry": "x" * 5001}, "worry", "What worries you must be 5,000 characters or fewer"),
        ({"contact_method": "pigeon"}, "contact_method", "Select how you would like us to contact you"),
        ({"email": ""}, "email", "Enter your email address"),
        ({"email": "alex@"}, "email", "Enter an email address in the correct format, like name@example.com"),
        ({"contact_method": ContactMethod.PHONE}, "phone", "Enter your phone number"),
        ({"phone": "call me"}, "phone", "Enter a phone number, like 01632 960 001 or 07700 900 982"),
        ({"consent": False}, "consent", "Confirm that you agree to us keeping and using your details to help you"),
    ],
)
def test_bad_answers_are_refused_with_a_message_on_the_field(
    provider: Organisation, overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        receive(provider, **overrides)
    assert error.value.message_dict == {field: [message]}


def test_the_provider_must_be_named(db: None) -> None:
    with pytest.raises(ValidationError) as error:
        receive(None, provider_name="")
    assert list(error.value.message_dict) == ["provider_name"]


def test_a_refused_enquiry_stores_nothing(provider: Organisation) -> None:
    with pytest.raises(ValidationError):
        receive(provider, worry="")
    assert not Enquiry.objects.exists() and not OutboxMessage.objects.exists()


def test_a_provider_named_by_its_ods_code_is_recognised(provider: Organisation) -> None:
    assert receive(None, provider_name="rxx").provider == provider


def test_a_repeated_reference_is_replaced_by_a_fresh_one(enquiry: Enquiry, provider: Organisation) -> None:
    with mock.patch(
        "communications.services.enquiries.enquiry_reference_new", side_effect=[enquiry.reference, "ENQ-AAAA-BBBB"]
    ):
        assert receive(provider).reference == "ENQ-AAAA-BBBB"


def test_a_reference_that_keeps_repeating_gives_up(enquiry: Enquiry, provider: Organisation) -> None:
    with (
        mock.patch("communications.services.enquiries.enquiry_reference_new", return_value=enquiry.reference),
        pytest.raises(IntegrityError),
    ):
        receive(provider)


# --- Who handles it -------------------------------------------------------------------------------------------


def test_the_family_support_lead_organisation_of_the_providers_case_handles_it(
    family_support_case: Case, provider: Organisation
) -> None:
    assert handling_organisation_for(provider=provider) == provider


def test_without_a_family_support_lead_the_oversight_body_handles_it(
    case: Case, provider: Organisation, monitor: Organisation
) -> None:
    assert handling_organisation_for(provider=provider) == monitor


def test_a_provider_without_an_oversight_body_goes_to_nhs_england(nhs_england: Organisation) -> None:
    practice = OrganisationFactory.create(name="Riverside Practice", ods_code="Y90009", kind="gp_practice")
    assert handling_organisation_for(provider=practice) == nhs_england


def test_a_provider_named_in_the_senders_words_goes_to_nhs_england(nhs_england: Organisation) -> None:
    assert receive(None, provider_name="The hospital in Mid Shire").handled_by == nhs_england


# --- Who sees it ----------------------------------------------------------------------------------------------


def test_the_handling_organisations_liaison_officer_sees_it(enquiry: Enquiry, liaison_officer: User) -> None:
    assert list(enquiry_list_for_user(user=liaison_officer)) == [enquiry]


def test_a_liaison_officer_of_another_organisation_does_not(enquiry: Enquiry, other_liaison_officer: User) -> None:
    with pytest.raises(Http404):
        enquiry_get_for_user(user=other_liaison_officer, pk=enquiry.pk)


def test_another_role_of_the_handling_organisation_does_not(enquiry: Enquiry, trust_manager: User) -> None:
    assert not enquiry_list_for_user(user=trust_manager).exists()


def test_national_oversight_does_not_see_enquiries(enquiry: Enquiry, national: User) -> None:
    assert not enquiry_list_for_user(user=national).exists()


def test_linking_it_to_a_case_shows_it_to_the_case_family_support_organisations(
    case: Case, provider: Organisation, monitor: Organisation, regulator: User, liaison_officer: User
) -> None:
    monitor_liaison = member(monitor, Role.FAMILY_LIAISON_OFFICER, full_name="Mo Liaison")
    enquiry = receive(provider)  # no family-support lead yet: Monitor handles it
    triage(enquiry, monitor_liaison, case=case)
    lead_hand_over(
        actor=regulator, case=case, area=Area.FAMILY_SUPPORT, lead=liaison_officer, organisation=provider, reason="x"
    )
    assert list(enquiry_list_for_user(user=liaison_officer)) == [enquiry]


def test_every_staff_read_is_audited(enquiry: Enquiry, liaison_officer: User) -> None:
    enquiry_view(actor=liaison_officer, enquiry=enquiry)
    enquiry_view(actor=liaison_officer, enquiry=enquiry)
    assert AuditEvent.objects.filter(verb="enquiry.viewed", actor=liaison_officer).count() == 2


def test_an_outsider_cannot_record_a_read(enquiry: Enquiry, other_liaison_officer: User) -> None:
    with pytest.raises(PermissionDenied):
        enquiry_view(actor=other_liaison_officer, enquiry=enquiry)


# --- Triage and the response clock -----------------------------------------------------------------------------


def test_triage_files_the_enquiry(enquiry: Enquiry, liaison_officer: User) -> None:
    enquiry = triage(enquiry, liaison_officer, category=EnquiryCategory.DISTRESS, assigned_to=liaison_officer)
    assert (enquiry.status, enquiry.category, enquiry.assigned_to) == (
        EnquiryStatus.TRIAGED,
        EnquiryCategory.DISTRESS,
        liaison_officer,
    )


def test_triage_is_audited_without_personal_data(enquiry: Enquiry, liaison_officer: User) -> None:
    triage(enquiry, liaison_officer)
    event = AuditEvent.objects.get(verb="enquiry.triaged")
    assert (event.before["status"], event.after["status"]) == ("new", "triaged") and "Alex" not in str(event.after)


def test_an_urgent_enquiry_is_due_the_same_working_day(enquiry: Enquiry, liaison_officer: User) -> None:
    with time_machine.travel(MONDAY_10AM + timedelta(minutes=30), tick=False):
        enquiry = triage(enquiry, liaison_officer, urgency=Urgency.URGENT)
    assert enquiry.response_due_at == MONDAY_5PM


def test_an_enquiry_made_routine_again_gets_its_two_days_back(enquiry: Enquiry, liaison_officer: User) -> None:
    triage(enquiry, liaison_officer, urgency=Urgency.URGENT)
    assert triage(enquiry, liaison_officer, urgency=Urgency.ROUTINE).response_due_at == WEDNESDAY_5PM


def test_only_its_handlers_can_triage_it(enquiry: Enquiry, other_liaison_officer: User) -> None:
    with pytest.raises(PermissionDenied):
        triage(enquiry, other_liaison_officer)


def test_it_can_be_assigned_only_to_an_officer_who_handles_it(
    enquiry: Enquiry, liaison_officer: User, other_liaison_officer: User
) -> None:
    with pytest.raises(ValidationError) as error:
        triage(enquiry, liaison_officer, assigned_to=other_liaison_officer)
    assert list(error.value.message_dict) == ["assigned_to"]


def test_it_can_be_linked_only_to_a_case_the_officer_can_see(
    enquiry: Enquiry, liaison_officer: User, other_provider: Organisation, regulator: User
) -> None:
    elsewhere = propose(
        regulator,
        other_provider,
        concern_raise(
            actor=regulator,
            organisation=sole_organisation(regulator),
            provider=other_provider,
            source="complaints",
            summary="Complaints about nursing care.",
        ),
    )
    with pytest.raises(ValidationError) as error:
        triage(enquiry, liaison_officer, case=elsewhere)
    assert list(error.value.message_dict) == ["case"]


def test_linking_to_a_case_is_recorded_on_the_case(
    enquiry: Enquiry, liaison_officer: User, family_support_case: Case
) -> None:
    triage(enquiry, liaison_officer, case=family_support_case)
    event = AuditEvent.objects.get(verb="enquiry.linked_to_case")
    assert event.scope_id == str(family_support_case.pk)


def test_triage_alone_does_not_pass_a_request_for_a_review_on(
    enquiry: Enquiry, liaison_officer: User, family_support_case: Case, regulator: User
) -> None:
    # Passing it on is its own step, with text the review team may read (tests/communications/test_handoffs.py).
    Cohort.objects.create(
        case=family_support_case, title="Maternity deaths 2019 to 2024", created_by=regulator, created_at=timezone.now()
    )
    enquiry = triage(enquiry, liaison_officer, category=EnquiryCategory.CARE_REVIEW, case=family_support_case)
    assert enquiry.cohort is None and enquiry.review_request is None


# --- Notes, the response and closing ---------------------------------------------------------------------------


def test_a_note_is_added_and_audited_without_its_text(enquiry: Enquiry, liaison_officer: User) -> None:
    note = enquiry_note_add(actor=liaison_officer, enquiry=enquiry, kind=NoteKind.CONTACT_ATTEMPT, text="No answer.")
    event = AuditEvent.objects.get(verb="enquiry.note_added")
    assert event.after == {"note": note.pk, "kind": "contact_attempt"}


def test_an_empty_note_is_refused(enquiry: Enquiry, liaison_officer: User) -> None:
    with pytest.raises(ValidationError):
        enquiry_note_add(actor=liaison_officer, enquiry=enquiry, kind=NoteKind.NOTE, text=" ")


def test_the_response_stops_the_clock(enquiry: Enquiry, liaison_officer: User) -> None:
    triage(enquiry, liaison_officer)
    enquiry = enquiry_respond(actor=liaison_officer, enquiry=enquiry, text="Phoned Alex and explained the review.")
    assert enquiry.status == EnquiryStatus.RESPONDED and enquiry.notes.get().kind == NoteKind.CONTACT


def test_an_enquiry_is_triaged_before_it_is_answered(enquiry: Enquiry, liaison_officer: User) -> None:
    with pytest.raises(TransitionNotAllowed):
        enquiry_respond(actor=liaison_officer, enquiry=enquiry, text="Phoned.")


def test_closing_needs_a_reason(enquiry: Enquiry, liaison_officer: User) -> None:
    with pytest.raises(ValidationError):
        enquiry_close(actor=liaison_officer, enquiry=enquiry, reason="")


def test_a_closed_enquiry_is_reopened_by_triage_with_a_new_clock(enquiry: Enquiry, liaison_officer: User) -> None:
    enquiry_close(actor=liaison_officer, enquiry=enquiry, reason="It repeats another enquiry")
    with time_machine.travel(datetime(2026, 3, 9, 11, 0, tzinfo=LONDON), tick=False):
        enquiry = triage(enquiry, liaison_officer)
    assert (enquiry.status, enquiry.response_due_at) == (
        EnquiryStatus.TRIAGED,
        datetime(2026, 3, 11, 17, 0, tzinfo=LONDON),
    )


def test_reopening_is_audited(enquiry: Enquiry, liaison_officer: User) -> None:
    enquiry_close(actor=liaison_officer, enquiry=enquiry, reason="It repeats another enquiry")
    triage(enquiry, liaison_officer)
    assert AuditEvent.objects.filter(verb="enquiry.reopened", target_id=str(enquiry.pk)).exists()


# --- Referrals ------------------------------------------------------------------------------------------------


def test_a_support_service_is_offered(enquiry: Enquiry, liaison_officer: User, helpline: SupportService) -> None:
    referral = referral_offer(actor=liaison_officer, enquiry=enquiry, service=helpline)
    assert referral.status == ReferralStatus.OFFERED


def test_an_offer_is_audited_on_the_enquiry(enquiry: Enquiry, liaison_officer: User, helpline: SupportService) -> None:
    referral_offer(actor=liaison_officer, enquiry=enquiry, service=helpline)
    assert AuditEvent.objects.get(verb="referral.offered").scope_id == str(enquiry.pk)


def test_the_sender_accepts_an_offer(enquiry: Enquiry, liaison_officer: User, helpline: SupportService) -> None:
    referral = referral_offer(actor=liaison_officer, enquiry=enquiry, service=helpline)
    referral = referral_decide(actor=liaison_officer, referral=referral, accepted=True)
    assert (referral.status, referral.recorded_by) == (ReferralStatus.ACCEPTED, liaison_officer)


def test_the_sender_declines_an_offer(enquiry: Enquiry, liaison_officer: User, helpline: SupportService) -> None:
    referral = referral_offer(actor=liaison_officer, enquiry=enquiry, service=helpline)
    referral_decide(actor=liaison_officer, referral=referral, accepted=False)
    assert AuditEvent.objects.filter(verb="referral.declined").exists()


def test_an_answer_is_recorded_once(enquiry: Enquiry, liaison_officer: User, helpline: SupportService) -> None:
    referral = referral_offer(actor=liaison_officer, enquiry=enquiry, service=helpline)
    referral_decide(actor=liaison_officer, referral=referral, accepted=True)
    with pytest.raises(TransitionNotAllowed):
        referral_decide(actor=liaison_officer, referral=referral, accepted=False)


def test_a_service_is_not_offered_twice_while_the_offer_stands(
    enquiry: Enquiry, liaison_officer: User, helpline: SupportService
) -> None:
    referral_offer(actor=liaison_officer, enquiry=enquiry, service=helpline)
    with pytest.raises(ConflictError):
        referral_offer(actor=liaison_officer, enquiry=enquiry, service=helpline)


def test_a_declined_service_can_be_offered_again(
    enquiry: Enquiry, liaison_officer: User, helpline: SupportService
) -> None:
    referral = referral_offer(actor=liaison_officer, enquiry=enquiry, service=helpline)
    referral_decide(actor=liaison_officer, referral=referral, accepted=False)
    referral_offer(actor=liaison_officer, enquiry=enquiry, service=helpline)
    assert enquiry.referrals.count() == 2


# --- Escalation ----------------------------------------------------------------------------------------------


def sweep_at(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return enquiry_escalation_sweep()


def escalation_mail() -> Any:
    return OutboxMessage.objects.filter(subject__endswith="response overdue")


def test_nothing_is_escalated_before_it_is_due(enquiry: Enquiry) -> None:
    assert sweep_at(WEDNESDAY_5PM - timedelta(minutes=1)) == 0


def test_an_overdue_enquiry_is_escalated_to_the_handling_liaison_officers(
    enquiry: Enquiry, liaison_officer: User
) -> None:
    sweep_at(WEDNESDAY_5PM + timedelta(minutes=5))
    assert list(escalation_mail().values_list("to", flat=True)) == [liaison_officer.email]


def test_an_overdue_enquiry_is_escalated_once(enquiry: Enquiry) -> None:
    sweep_at(WEDNESDAY_5PM + timedelta(minutes=5))
    sweep_at(WEDNESDAY_5PM + timedelta(minutes=10))
    assert escalation_mail().count() == 1 and AuditEvent.objects.filter(verb="enquiry.escalated").count() == 1


def test_an_urgent_enquiry_escalates_at_the_end_of_the_day(enquiry: Enquiry, liaison_officer: User) -> None:
    triage(enquiry, liaison_officer, urgency=Urgency.URGENT)
    assert sweep_at(MONDAY_5PM + timedelta(minutes=1)) == 1


def test_an_answered_enquiry_is_not_escalated(enquiry: Enquiry, liaison_officer: User) -> None:
    triage(enquiry, liaison_officer)
    enquiry_respond(actor=liaison_officer, enquiry=enquiry, text="Phoned.")
    assert sweep_at(WEDNESDAY_5PM + timedelta(hours=1)) == 0


def test_the_escalation_mail_names_no_one(enquiry: Enquiry) -> None:
    sweep_at(WEDNESDAY_5PM + timedelta(minutes=5))
    message = escalation_mail().get()
    assert message.subject == f"Enquiry {enquiry.reference}: response overdue" and "Alex" not in message.body


def test_the_assigned_officer_and_the_family_support_lead_hear_once_each(
    enquiry: Enquiry, liaison_officer: User, provider: Organisation, family_support_case: Case
) -> None:
    colleague = member(provider, Role.FAMILY_LIAISON_OFFICER, full_name="Col League")
    triage(enquiry, liaison_officer, case=family_support_case, assigned_to=colleague)
    sweep_at(WEDNESDAY_5PM + timedelta(minutes=5))
    assert sorted(escalation_mail().values_list("to", flat=True)) == sorted([liaison_officer.email, colleague.email])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_escalate_each_enquiry_once(
    family_support_case: Case, provider: Organisation, liaison_officer: User
) -> None:
    with time_machine.travel(MONDAY_10AM, tick=False):
        for _ in range(20):
            receive(provider)
    barrier = threading.Barrier(2)
    moment = WEDNESDAY_5PM + timedelta(minutes=5)

    def sweep() -> None:
        try:
            barrier.wait()
            sweep_at(moment)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert escalation_mail().count() == 20
    assert AuditEvent.objects.filter(verb="enquiry.escalated").count() == 20


def test_the_beat_task_runs_the_sweep(enquiry: Enquiry) -> None:
    with time_machine.travel(WEDNESDAY_5PM + timedelta(minutes=5), tick=False):
        assert sweep_enquiries.delay().get() == 1
