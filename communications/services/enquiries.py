"""Writes of public enquiries: receiving one from the public form, triage, notes, the response, closing,
referrals to support services, and the response clock that escalates an overdue enquiry once.

Personal data (``Enquiry.PERSONAL_FIELDS``, notes, referral notes) never goes into audit events, e-mail
subjects or log lines: those carry the reference, statuses and ids only.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.audit import audit_record
from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.limits import max_length_of
from accounts.models import Organisation, Role, User
from communications.models import (
    AWAITING_RESPONSE,
    ContactMethod,
    Enquiry,
    EnquiryCategory,
    EnquiryNote,
    EnquiryStatus,
    NoteKind,
    Referral,
    ReferralStatus,
    Relation,
    SupportService,
    Urgency,
    enquiry_reference_new,
)
from communications.selectors.enquiries import (
    enquiry_acting_organisation,
    enquiry_officers,
    national_triage_organisation,
    organisations_with_officers,
)
from communications.selectors.providers import provider_match
from communications.services.notification_events import enquiry_assigned_notify, enquiry_escalated_notify
from communications.verbs import CommunicationsVerb
from communications.workdays import LONDON, deadline_words, same_working_day_due, working_days_due
from failure_regime import areas
from failure_regime.models import Area, Case, CaseStatus, Concern, Severity
from failure_regime.selectors import case_list_for_user
from failure_regime.services.concerns import concern_from_enquiry
from failure_regime.services.outbox import Mail, outbox_enqueue
from reviews.models import ReviewRequest, ReviewRequestStatus
from reviews.services.requests import pseudonymity_errors, review_request_receive

# Longest accepted answers on the public form: the limits of the model's fields, which set them once.
LIMITS = {
    field: max_length_of(Enquiry, field)
    for field in (
        "name",
        "relation_detail",
        "provider_name",
        "worry",
        "email",
        "phone",
        "contact_times",
        "communication_needs",
    )
}
_PHONE = re.compile(r"^\+?[0-9]{8,15}$")
REFERENCE_ATTEMPTS = 5


# --- Who handles an enquiry ---------------------------------------------------------------------------------


def _family_support_lead_organisation(*, case: Case | None = None, provider: Organisation | None = None) -> int | None:
    """The organisation leading family support on ``case``, or on ``provider``'s most recent case that is not
    closed."""
    return areas.current_lead_organisation_id(area=Area.FAMILY_SUPPORT, case=case, provider=provider)


def handling_organisation_for(*, provider: Organisation | None, case: Case | None = None) -> Organisation | None:
    """Whose family liaison officers handle an enquiry about ``provider`` (and ``case``, when the sender wrote
    from its notice): the first of these that has an active family liaison officer, so that an enquiry is never
    filed where nobody can read it:

    1. the organisation leading family support on ``case``, or else on the provider's most recent case that is not
       closed (the regime's response is running, and families are its first concern);
    2. the provider's oversight body (Monitor, NHS TDA or NHS England for a trust);
    3. otherwise, and for a provider nobody could identify, the national triage organisation
       (``ENQUIRY_DEFAULT_ORGANISATION``: NHS England), whose family liaison officers keep the national queue.
    """
    candidates: list[int] = []
    if provider is not None or case is not None:
        lead = _family_support_lead_organisation(case=case) if case is not None else None
        lead = lead or _family_support_lead_organisation(provider=provider)
        if lead is not None:
            candidates.append(lead)
        if provider is not None and provider.oversight_body_id is not None:
            candidates.append(provider.oversight_body_id)
    staffed = organisations_with_officers(organisation_ids=candidates) if candidates else set()
    for candidate in candidates:
        if candidate in staffed:
            return Organisation.objects.get(pk=candidate)
    return national_triage_organisation()


def _handler_organisation(actor: User, enquiry: Enquiry) -> Organisation:
    """The organisation for which ``actor`` handles ``enquiry`` (``enquiry_acting_organisation``, the one rule);
    anyone else is refused."""
    organisation = enquiry_acting_organisation(user=actor, enquiry=enquiry)
    if organisation is None:
        raise PermissionDenied("Only the family liaison officers handling this enquiry can do this.")
    return organisation


def _lock(enquiry: Enquiry) -> Enquiry:
    return Enquiry.objects.select_for_update(of=("self",)).select_related("case", "handled_by").get(pk=enquiry.pk)


def _state(enquiry: Enquiry) -> dict[str, Any]:
    """What the audit trail keeps of an enquiry: never the sender's personal data."""
    return {
        "status": enquiry.status,
        "category": enquiry.category,
        "urgency": enquiry.urgency,
        "case": enquiry.case.reference if enquiry.case_id and enquiry.case else None,
        "assigned_to": enquiry.assigned_to_id,
        "cohort": enquiry.cohort_id,
        "response_due_at": enquiry.response_due_at,
    }


def _require(enquiry: Enquiry, status: str, doing: str) -> None:
    if not enquiry.can_become(status):
        raise TransitionNotAllowed(f"A {enquiry.get_status_display().lower()} enquiry cannot be {doing}.")


def response_due(*, urgency: str, start: datetime) -> datetime:
    """When the first response is due: urgent the same working day, routine within 2 working days."""
    return same_working_day_due(start) if urgency == Urgency.URGENT else working_days_due(start)


# --- Receiving an enquiry from the public -------------------------------------------------------------------


def _text(value: str) -> str:
    return value.strip()


def _phone(value: str) -> str:
    """A phone number as digits, keeping a leading +, so that it can be dialled whatever the sender typed."""
    return re.sub(r"[\s\-().]", "", value)


def _validated(
    *,
    name: str,
    relation: str,
    relation_detail: str,
    provider: Organisation | None,
    provider_name: str,
    worry: str,
    contact_method: str,
    email: str,
    phone: str,
    contact_times: str,
    communication_needs: str,
    consent: bool,
) -> dict[str, Any]:
    """What the sender wrote, tidied, or a ValidationError with a plain-English message for each field."""
    data = {
        "name": _text(name),
        "relation": relation,
        "relation_detail": _text(relation_detail),
        "provider_name": _text(provider_name),
        "worry": worry.strip(),
        "contact_method": contact_method,
        "email": _text(email),
        "phone": _phone(phone),
        "contact_times": _text(contact_times),
        "communication_needs": communication_needs.strip(),
    }
    errors: dict[str, str] = {}
    if not data["name"]:
        errors["name"] = "Enter your name"
    if relation not in Relation.values:
        errors["relation"] = "Select how you are connected to the patient"
    elif relation == Relation.OTHER and not data["relation_detail"]:
        errors["relation_detail"] = "Tell us how you are connected to the patient"
    if provider is not None and not provider.is_provider:
        errors["provider"] = "Select a hospital, GP practice or care service from the list"
    elif provider is None and not data["provider_name"]:
        errors["provider_name"] = "Enter the name of the hospital, GP practice or care service"
    if not data["worry"]:
        errors["worry"] = "Tell us what worries you"
    if contact_method not in ContactMethod.values:
        errors["contact_method"] = "Select how you would like us to contact you"
    if data["email"]:
        try:
            validate_email(data["email"])
        except ValidationError:
            errors["email"] = "Enter an email address in the correct format, like name@example.com"
    elif contact_method == ContactMethod.EMAIL:
        errors["email"] = "Enter your email address"
    if data["phone"] and not _PHONE.match(data["phone"]):
        errors["phone"] = "Enter a phone number, like 01632 960 001 or 07700 900 982"
    elif not data["phone"] and contact_method == ContactMethod.PHONE:
        errors["phone"] = "Enter your phone number"
    if consent is not True:
        errors["consent"] = "Confirm that you agree to us keeping and using your details to help you"
    labels = {
        "name": "Your name",
        "relation_detail": "How you are connected to the patient",
        "provider_name": "The name of the hospital, GP practice or care service",
        "worry": "What worries you",
        "email": "Your email address",
        "phone": "Your phone number",
        "contact_times": "When to contact you",
        "communication_needs": "Your communication needs",
    }
    for field, limit in LIMITS.items():
        if field not in errors and len(data[field]) > limit:
            errors[field] = f"{labels[field]} must be {limit:,} characters or fewer"
    if errors:
        raise ValidationError(errors)
    return data


def _acknowledgement(enquiry: Enquiry) -> Mail:
    body = (
        f"Thank you for contacting {settings.PUBLIC_SERVICE_NAME}.\n\n"
        f"Your reference is {enquiry.reference}. Please give it if you contact us again.\n\n"
        f"Someone from our family support team will contact you by {deadline_words(enquiry.response_due_at)}, "
        "and usually sooner.\n\n"
        "If you think someone's life is at risk, call 999. For urgent medical help, call 111.\n"
        "You can find support, such as helplines and counselling, at "
        f"{settings.SITE_URL}{reverse('communications:support')}\n\n"
        "This email was sent automatically. Please do not reply to it.\n"
    )
    return Mail(
        dedupe_key=f"enquiry-acknowledgement:{enquiry.pk}",
        to=enquiry.email,
        subject="We have received your message",
        body=body,
    )


def _create_with_reference(fields: dict[str, Any]) -> Enquiry:
    """Creates the enquiry under a fresh random reference, trying another if it is (very rarely) taken."""
    for attempt in range(1, REFERENCE_ATTEMPTS + 1):
        reference = enquiry_reference_new()
        try:
            with transaction.atomic():
                return Enquiry.objects.create(reference=reference, **fields)
        except IntegrityError:
            if attempt == REFERENCE_ATTEMPTS or not Enquiry.objects.filter(reference=reference).exists():
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@transaction.atomic
def enquiry_receive(
    *,
    name: str,
    relation: str,
    worry: str,
    contact_method: str,
    consent: bool,
    relation_detail: str = "",
    provider: Organisation | None = None,
    provider_name: str = "",
    email: str = "",
    phone: str = "",
    contact_times: str = "",
    communication_needs: str = "",
    wants_case_note_review: bool = False,
    case: Case | None = None,
) -> Enquiry:
    """Receives an enquiry from a member of the public (no account): checks every answer, files it under a
    random reference with the organisation that handles it, starts the routine response clock (2 working days;
    triage shortens it if urgent) and sends the sender an acknowledgement with the reference.

    The provider is the one the sender chose from the register, or else the one that the name they wrote clearly
    matches (``provider_match``); ``case`` is the case whose public notice they wrote from (kept only while open,
    and only if it is about that provider). An enquiry about nobody identifiable goes to the national queue."""
    if case is not None and provider is None:
        provider = case.provider
    data = _validated(
        name=name,
        relation=relation,
        relation_detail=relation_detail,
        provider=provider,
        provider_name=provider_name,
        worry=worry,
        contact_method=contact_method,
        email=email,
        phone=phone,
        contact_times=contact_times,
        communication_needs=communication_needs,
        consent=consent,
    )
    provider = provider or provider_match(text=data["provider_name"])
    if case is not None and (case.status == CaseStatus.CLOSED or provider is None or case.provider_id != provider.pk):
        case = None
    handled_by = handling_organisation_for(provider=provider, case=case)
    now = timezone.now()
    enquiry = _create_with_reference(
        {
            **data,
            "provider": provider,
            "case": case,
            "wants_case_note_review": wants_case_note_review,
            "consent": True,
            "consented_at": now,
            "received_at": now,
            "urgency": Urgency.ROUTINE,
            "response_due_at": response_due(urgency=Urgency.ROUTINE, start=now),
            "handled_by": handled_by,
        }
    )
    if handled_by is not None:
        assign_perm("communications.view_enquiry", handled_by.group, enquiry)
        assign_perm("communications.change_enquiry", handled_by.group, enquiry)
    if enquiry.email:
        outbox_enqueue(messages=[_acknowledgement(enquiry)])
    audit_record(
        actor=None,
        organisation=handled_by,
        verb=CommunicationsVerb.ENQUIRY_RECEIVED,
        target=enquiry,
        after={**_state(enquiry), "handled_by": handled_by.ods_code if handled_by else None},
    )
    return enquiry


# --- Staff reading and handling it --------------------------------------------------------------------------


@transaction.atomic
def enquiry_view(*, actor: User, enquiry: Enquiry) -> Enquiry:
    """Records that ``actor`` read the enquiry's personal data: every staff read is in the audit trail."""
    organisation = _handler_organisation(actor, enquiry)
    audit_record(actor=actor, organisation=organisation, verb=CommunicationsVerb.ENQUIRY_VIEWED, target=enquiry)
    return enquiry


@transaction.atomic
def enquiry_triage(
    *,
    actor: User,
    enquiry: Enquiry,
    category: str,
    urgency: str,
    case: Case | None = None,
    assigned_to: User | None = None,
) -> Enquiry:
    """Files the enquiry: what it is about, how urgent it is, the case it belongs to and the officer who handles
    it. Urgent enquiries are due the same working day they were received (triage may find one already overdue,
    and the clock then escalates it at once). A request for a review of care is passed to the case's review
    separately (``enquiry_pass_to_review``). Triage again to change any of it; triage of a closed enquiry reopens it,
    with a new clock from now."""
    enquiry = _lock(enquiry)
    organisation = _handler_organisation(actor, enquiry)
    reopening = enquiry.status == EnquiryStatus.CLOSED
    if enquiry.status != EnquiryStatus.TRIAGED:
        _require(enquiry, EnquiryStatus.TRIAGED, "triaged (close it first, and reopen it if the sender writes again)")
    errors: dict[str, str] = {}
    if category not in EnquiryCategory.values:
        errors["category"] = "Select what the enquiry is about"
    if urgency not in Urgency.values:
        errors["urgency"] = "Select how urgent it is"
    if case is not None and not case_list_for_user(user=actor).filter(pk=case.pk).exists():
        errors["case"] = "Choose a case you can see"
    elif (
        assigned_to is not None and not enquiry_officers(enquiry=enquiry, case=case).filter(pk=assigned_to.pk).exists()
    ):
        errors["assigned_to"] = "Choose a family liaison officer who handles this enquiry or its case"
    if errors:
        raise ValidationError(errors)
    before = _state(enquiry)
    now = timezone.now()
    start = now if reopening else enquiry.received_at
    if reopening:
        enquiry.closed_at, enquiry.closed_by, enquiry.closure_reason = None, None, ""
        enquiry.responded_at, enquiry.escalated_at = None, None
    if reopening or urgency != enquiry.urgency or enquiry.status == EnquiryStatus.NEW:
        enquiry.response_due_at = response_due(urgency=urgency, start=start)
    case_changed = (case.pk if case else None) != enquiry.case_id
    assignee_changed = (assigned_to.pk if assigned_to else None) != enquiry.assigned_to_id
    enquiry.status = EnquiryStatus.TRIAGED
    enquiry.category, enquiry.urgency, enquiry.case, enquiry.assigned_to = category, urgency, case, assigned_to
    enquiry.triaged_by, enquiry.triaged_at = actor, now
    enquiry.save()
    if reopening:
        audit_record(
            actor=actor,
            organisation=organisation,
            verb=CommunicationsVerb.ENQUIRY_REOPENED,
            target=enquiry,
            before=before,
        )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.ENQUIRY_TRIAGED,
        target=enquiry,
        before=before,
        after=_state(enquiry),
    )
    if case_changed and case is not None:
        audit_record(
            actor=actor,
            organisation=organisation,
            verb=CommunicationsVerb.ENQUIRY_LINKED_TO_CASE,
            target=enquiry,
            scope=case,
            before={"case": before["case"]},
            after={"case": case.reference},
        )
    if assignee_changed and assigned_to is not None:
        audit_record(
            actor=actor,
            organisation=organisation,
            verb=CommunicationsVerb.ENQUIRY_ASSIGNED,
            target=enquiry,
            before={"assigned_to": before["assigned_to"]},
            after={"assigned_to": assigned_to.pk},
        )
        enquiry_assigned_notify(enquiry=enquiry, actor=actor)
    return enquiry


def _note(enquiry: Enquiry, actor: User, kind: str, text: str, field: str = "text") -> EnquiryNote:
    text = text.strip()
    if kind not in NoteKind.values:
        raise ValidationError({"kind": "Select what kind of note this is"})
    if not text:
        raise ValidationError({field: "Write the note"})
    limit = max_length_of(EnquiryNote, "text")
    if len(text) > limit:
        raise ValidationError({field: f"The note must be {limit:,} characters or fewer"})
    return EnquiryNote.objects.create(
        enquiry=enquiry, kind=kind, text=text, written_by=actor, written_at=timezone.now()
    )


@transaction.atomic
def enquiry_note_add(*, actor: User, enquiry: Enquiry, kind: str, text: str) -> EnquiryNote:
    """Adds to the enquiry's handling log: an internal note, a contact with the sender or an attempt to reach
    them."""
    enquiry = _lock(enquiry)
    organisation = _handler_organisation(actor, enquiry)
    note = _note(enquiry, actor, kind, text)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.ENQUIRY_NOTE_ADDED,
        target=enquiry,
        after={"note": note.pk, "kind": kind},
    )
    return note


@transaction.atomic
def enquiry_respond(*, actor: User, enquiry: Enquiry, text: str) -> Enquiry:
    """Records the first response to the sender (what was said, and how): this stops the response clock."""
    enquiry = _lock(enquiry)
    organisation = _handler_organisation(actor, enquiry)
    _require(enquiry, EnquiryStatus.RESPONDED, "answered before it is triaged")
    note = _note(enquiry, actor, NoteKind.CONTACT, text)
    before = _state(enquiry)
    enquiry.status, enquiry.responded_at = EnquiryStatus.RESPONDED, timezone.now()
    enquiry.save(update_fields=["status", "responded_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.ENQUIRY_RESPONDED,
        target=enquiry,
        before=before,
        after={**_state(enquiry), "note": note.pk, "late": enquiry.responded_at > enquiry.response_due_at},
    )
    return enquiry


@transaction.atomic
def enquiry_close(*, actor: User, enquiry: Enquiry, reason: str) -> Enquiry:
    """Closes the enquiry, with the reason. A closed enquiry can be reopened by triaging it again."""
    enquiry = _lock(enquiry)
    organisation = _handler_organisation(actor, enquiry)
    _require(enquiry, EnquiryStatus.CLOSED, "closed")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the enquiry is closed"})
    limit = max_length_of(Enquiry, "closure_reason")
    if len(reason) > limit:
        raise ValidationError({"reason": f"The reason must be {limit:,} characters or fewer"})
    before = _state(enquiry)
    enquiry.status, enquiry.closed_at, enquiry.closed_by, enquiry.closure_reason = (
        EnquiryStatus.CLOSED,
        timezone.now(),
        actor,
        reason,
    )
    enquiry.save(update_fields=["status", "closed_at", "closed_by", "closure_reason"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.ENQUIRY_CLOSED,
        target=enquiry,
        before=before,
        after=_state(enquiry),
    )
    return enquiry


@transaction.atomic
def enquiry_pass_to_review(*, actor: User, enquiry: Enquiry, text: str, age_band: str = "") -> ReviewRequest:
    """Passes the family's request for a review of the patient's care to the case's review, where its chair
    accepts it into the case-note review cohort or declines it. ``text`` is what the family asks, written so that
    it does not identify the patient or the family (the review team works on pseudonymised cases): it is refused
    if it holds the sender's name or contact details, an NHS number or a full date. Needs the enquiry to be linked
    to a case, and not closed; a request declined before may be passed again."""
    enquiry = _lock(enquiry)
    organisation = _handler_organisation(actor, enquiry)
    if enquiry.status == EnquiryStatus.CLOSED:
        raise TransitionNotAllowed("A closed enquiry cannot be passed to a review. Reopen it first.")
    if enquiry.case is None:
        raise ValidationError({"text": "Link the enquiry to its case first: the request goes to that case's review"})
    standing = enquiry.review_request
    if standing is not None and standing.status != ReviewRequestStatus.DECLINED:
        raise ConflictError("The request is already with the case's review.")
    before = _state(enquiry)
    review_request = review_request_receive(
        actor=actor,
        organisation=organisation,
        case=enquiry.case,
        source_reference=enquiry.reference,
        text=text,
        age_band=age_band,
        withheld=tuple(v for v in (enquiry.name, enquiry.email, enquiry.phone) if len(v.strip()) >= 3),
    )
    enquiry.review_request, enquiry.cohort = review_request, review_request.cohort
    enquiry.save(update_fields=["review_request", "cohort"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.ENQUIRY_PASSED_TO_REVIEW,
        target=enquiry,
        scope=enquiry.case,
        before=before,
        after={**_state(enquiry), "review_request": review_request.pk},
    )
    return review_request


@transaction.atomic
def enquiry_raise_concern(*, actor: User, enquiry: Enquiry, summary: str, severity: str = Severity.ROUTINE) -> Concern:
    """Raises a concern about the enquiry's provider from what the family said, as the family liaison officer
    handling it: an urgent enquiry about unsafe care reaches those who assess concerns. ``summary`` is written for
    them and is refused if it holds the sender's name or contact details, an NHS number or a full date: those stay
    with the enquiry, which the concern links back to. Once per enquiry; needs its provider, and not closed."""
    enquiry = _lock(enquiry)
    organisation = _handler_organisation(actor, enquiry)
    if enquiry.status == EnquiryStatus.CLOSED:
        raise TransitionNotAllowed("A closed enquiry cannot be raised as a concern. Reopen it first.")
    if enquiry.concern_id is not None:
        raise ConflictError("This enquiry has already been raised as a concern.")
    if enquiry.provider is None:
        raise ValidationError({"summary": "Say which provider the enquiry is about first (triage it)"})
    withheld = tuple(v for v in (enquiry.name, enquiry.email, enquiry.phone) if len(v.strip()) >= 3)
    errors = pseudonymity_errors(
        text=summary, field="summary", withheld=withheld, readers="those who assess the concern"
    )
    if errors:
        raise ValidationError(errors)
    before = _state(enquiry)
    concern = concern_from_enquiry(
        actor=actor, organisation=organisation, provider=enquiry.provider, summary=summary, severity=severity
    )
    enquiry.concern = concern
    enquiry.save(update_fields=["concern"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.ENQUIRY_RAISED_AS_CONCERN,
        target=enquiry,
        scope=enquiry.case,
        before=before,
        after={**_state(enquiry), "concern": concern.pk},
    )
    return concern


# --- Referrals to support services --------------------------------------------------------------------------


@transaction.atomic
def referral_offer(*, actor: User, enquiry: Enquiry, service: SupportService, note: str = "") -> Referral:
    """Records that a support service was offered to the sender. One standing offer per service: a declined one
    may be offered again later."""
    enquiry = _lock(enquiry)
    organisation = _handler_organisation(actor, enquiry)
    if enquiry.status == EnquiryStatus.CLOSED:
        raise TransitionNotAllowed("A closed enquiry cannot have new referrals.")
    if not SupportService.objects.filter(pk=service.pk, active=True).exists():
        raise ValidationError({"service": "Choose a service that is still offered"})
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                enquiry=enquiry, service=service, note=note.strip(), offered_by=actor, offered_at=timezone.now()
            )
    except IntegrityError as exc:
        raise ConflictError(f"{service} has already been offered, and the sender has not declined it.") from exc
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.REFERRAL_OFFERED,
        target=referral,
        scope=enquiry,
        after={"service": service.pk, "status": referral.status},
    )
    return referral


@transaction.atomic
def referral_decide(*, actor: User, referral: Referral, accepted: bool) -> Referral:
    """Records the sender's answer to an offer: accepted or declined."""
    referral = Referral.objects.select_for_update(of=("self",)).select_related("enquiry__case").get(pk=referral.pk)
    organisation = _handler_organisation(actor, referral.enquiry)
    status = ReferralStatus.ACCEPTED if accepted else ReferralStatus.DECLINED
    if not referral.can_become(status):
        raise TransitionNotAllowed(f"This referral was already {referral.get_status_display().lower()}.")
    referral.status, referral.decided_at, referral.recorded_by = status, timezone.now(), actor
    referral.save(update_fields=["status", "decided_at", "recorded_by"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.REFERRAL_ACCEPTED if accepted else CommunicationsVerb.REFERRAL_DECLINED,
        target=referral,
        scope=referral.enquiry,
        before={"status": ReferralStatus.OFFERED},
        after={"status": status, "service": referral.service_id},
    )
    return referral


# --- The response clock ------------------------------------------------------------------------------------


def _escalation_recipients(enquiry: Enquiry) -> list[User]:
    """The assigned officer, the handling organisation's family liaison officers and the case's accountable
    lead for family support."""
    people: list[User] = []
    if enquiry.assigned_to is not None and enquiry.assigned_to.is_active:
        people.append(enquiry.assigned_to)
    if enquiry.handled_by_id is not None:
        people += list(
            User.objects.filter(
                is_active=True,
                memberships__organisation_id=enquiry.handled_by_id,
                memberships__role=Role.FAMILY_LIAISON_OFFICER,
            ).order_by("pk")
        )
    if enquiry.case_id is not None:
        lead = areas.area_lead(case=enquiry.case_id, area=Area.FAMILY_SUPPORT)
        if lead is not None and lead.is_active:
            people.append(lead)
    return list({person.email: person for person in people}.values())


def _escalation_body(enquiry: Enquiry) -> str:
    """What the people handling an overdue enquiry are told of it: never the sender's details or words."""
    due = enquiry.response_due_at.astimezone(LONDON)
    received = enquiry.received_at.astimezone(LONDON)
    category = enquiry.get_category_display() if enquiry.category else "Not triaged yet"
    return (
        f"Enquiry {enquiry.reference} has not been answered and its response is overdue.\n\n"
        f"What it is about: {category}\n"
        f"How urgent: {enquiry.get_urgency_display()}\n"
        f"Received: {received:%d %B %Y, %H:%M}\n"
        f"Response was due: {due:%d %B %Y, %H:%M}"
    )


@transaction.atomic
def _escalate(pk: int, now: datetime) -> bool:
    # The conditional update is the claim: of two sweeps that reach the same enquiry, the second waits for the
    # first to commit, then finds escalated_at set and updates nothing. So each enquiry escalates once.
    claimed = Enquiry.objects.filter(
        pk=pk, status__in=sorted(AWAITING_RESPONSE), escalated_at__isnull=True, response_due_at__lt=now
    ).update(escalated_at=now)
    if not claimed:
        return False
    enquiry = Enquiry.objects.select_related("assigned_to", "handled_by").get(pk=pk)
    audit_record(
        actor=None,
        organisation=enquiry.handled_by,
        verb=CommunicationsVerb.ENQUIRY_ESCALATED,
        target=enquiry,
        after={"status": enquiry.status, "response_due_at": enquiry.response_due_at, "escalated_at": now},
    )
    enquiry_escalated_notify(
        enquiry=enquiry, recipients=_escalation_recipients(enquiry), body=_escalation_body(enquiry)
    )
    return True


def enquiry_escalation_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Escalates, once each, the enquiries whose first response is overdue: stamps ``escalated_at`` and tells
    the people handling them. Safe to run at the same time as another sweep. Returns how many it escalated."""
    now = now or timezone.now()
    overdue = list(
        Enquiry.objects.filter(status__in=sorted(AWAITING_RESPONSE), escalated_at__isnull=True, response_due_at__lt=now)
        .order_by("response_due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(_escalate(pk, now) for pk in overdue)
