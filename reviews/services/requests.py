"""Writes of review requests: receiving one passed to a case's review, and the chair accepting it into the cohort,
declining it with the reason, and recording its outcome. Each records its audit event in the same transaction.

The request's text must not identify the patient (see ``reviews.models.requests``): it is refused if it holds
what looks like an NHS number or a full date (a date of birth, say).
"""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.limits import max_length_of
from accounts.models import Organisation, User
from failure_regime.models import Case, CaseStatus, NotificationEvent
from failure_regime.services.notification_events import tell
from reviews.models import AGE_BAND_CHOICES, Cohort, ReviewRequest, ReviewRequestStatus
from reviews.selectors.requests import review_chairs, review_request_may_decide
from reviews.verbs import ReviewsVerb

# The longest texts accepted: the limits of the model's fields, which set them once.
LIMITS = {field: max_length_of(ReviewRequest, field) for field in ("text", "decline_reason", "outcome")}

# Ten digits, maybe spaced or dashed 3-3-4: an NHS number.
_NHS_NUMBER = re.compile(r"(?<![0-9])[0-9]{3}[\s-]?[0-9]{3}[\s-]?[0-9]{4}(?![0-9])")
# A full date, as 12/03/1941, 12-3-41 or 1941-03-12.
_FULL_DATE = re.compile(r"(?<![0-9])([0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2})(?![0-9])")


def pseudonymity_errors(
    *, text: str, field: str = "text", withheld: tuple[str, ...] = (), readers: str = "the review team"
) -> dict[str, str]:
    """Messages for a text passed on from a family (a review request's, say) that could identify the patient or the
    family: an NHS number, a full date, or any of ``withheld`` (the family's own details, which the caller knows).
    ``readers`` are who would see it."""
    if _NHS_NUMBER.search(text):
        return {field: f"Remove the NHS number: {readers} must not see who the patient is"}
    if _FULL_DATE.search(text):
        return {field: "Remove the full date (a date of birth, say): give the month and year, or the age band"}
    lowered = text.lower()
    digits = re.sub(r"\D", "", text)
    for value in withheld:
        value_digits = re.sub(r"\D", "", value)
        # A telephone number is found however it is spaced.
        found = value.strip() and value.strip().lower() in lowered
        if found or (len(value_digits) >= 6 and value_digits in digits):
            return {field: f"Remove the family's name and contact details: {readers} must not see them"}
    return {}


def _state(review_request: ReviewRequest) -> dict[str, object]:
    """What the audit trail keeps: never the text, which is the family's account."""
    return {
        "status": review_request.status,
        "case": review_request.case.reference,
        "cohort": review_request.cohort_id,
        "source_reference": review_request.source_reference,
    }


def _case_name(case: Case) -> str:
    return f"case {case.reference} at {case.provider.name}"


def review_request_received_notify(*, review_request: ReviewRequest, actor: User) -> list[User]:
    """Tells the case's review chairs that a family's request waits on them. The title names the case, never the
    patient."""
    return tell(
        event=NotificationEvent.REVIEW_REQUEST_RECEIVED,
        audience=[(None, list(review_chairs(case=review_request.case)))],
        title=f"A family's request for a review of care on {_case_name(review_request.case)}",
        link=reverse("reviews:review-request-detail", args=[review_request.pk]),
        key=f"review-request:{review_request.pk}:received",
        about=review_request,
        leave_out=actor,
    )


def review_request_answered_notify(*, review_request: ReviewRequest, actor: User) -> list[User]:
    """Tells the family liaison officer who passed the request on that the chair accepted, declined or answered
    it. The link is their enquiry queue, found by the request's reference (the enquiry's own)."""
    queue = reverse("communications:enquiry-queue")
    return tell(
        event=NotificationEvent.REVIEW_REQUEST_ANSWERED,
        audience=[(review_request.requested_by_organisation, [review_request.requested_by])],
        title=f"Review request {review_request.source_reference}: {review_request.get_status_display().lower()}",
        link=f"{queue}?status=&reference={review_request.source_reference}",
        key=f"review-request:{review_request.pk}:{review_request.status}",
        about=review_request,
        leave_out=actor,
    )


@transaction.atomic
def review_request_receive(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    source_reference: str,
    text: str,
    age_band: str = "",
    withheld: tuple[str, ...] = (),
) -> ReviewRequest:
    """Files a family's request for a review of care with ``case``'s review, for its chair to decide. The caller
    (the family liaison service) has checked that ``actor`` handles the family's enquiry for ``organisation``.
    Refused unless the case is open, has a case-note review cohort and a chair who can act on it, so that the
    request never waits on nobody; and refused if the text could identify the patient."""
    text = text.strip()
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = "Say what the family would like the review to look at"
    elif len(text) > LIMITS["text"]:
        errors["text"] = f"The request must be {LIMITS['text']:,} characters or fewer"
    else:
        errors.update(pseudonymity_errors(text=text, withheld=withheld))
    if age_band not in dict(AGE_BAND_CHOICES):
        errors["age_band"] = "Select the patient's age band, or not known"
    if errors:
        raise ValidationError(errors)
    case = Case.objects.select_for_update(no_key=True).get(pk=case.pk)
    if case.status == CaseStatus.CLOSED:
        raise TransitionNotAllowed("The case is closed; its review takes no new requests.")
    cohort = Cohort.objects.filter(case=case).first()
    if cohort is None:
        raise ValidationError({"case": "This case has no case-note review yet, so there is nobody to pass it to"})
    if not review_chairs(case=case).exists():
        raise ValidationError({"case": "This case's review has no chair yet, so there is nobody to decide on it"})
    try:
        with transaction.atomic():
            review_request = ReviewRequest.objects.create(
                case=case,
                cohort=cohort,
                source_reference=source_reference,
                age_band=age_band,
                text=text,
                requested_by=actor,
                requested_by_organisation=organisation,
                requested_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise ConflictError("This request is already with the case's review.") from exc
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=ReviewsVerb.REVIEW_REQUEST_RECEIVED,
        target=review_request,
        scope=case,
        after=_state(review_request),
    )
    review_request_received_notify(review_request=review_request, actor=actor)
    return review_request


def _lock_for_chair(actor: User, review_request: ReviewRequest) -> ReviewRequest:
    review_request = (
        ReviewRequest.objects.select_for_update(of=("self",)).select_related("case").get(pk=review_request.pk)
    )
    if not review_request_may_decide(user=actor, review_request=review_request):
        raise PermissionDenied("Only the chair of this case's review can decide on its review requests.")
    return review_request


def _move(review_request: ReviewRequest, status: str, doing: str) -> dict[str, object]:
    if not review_request.can_become(status):
        current = review_request.get_status_display().lower()
        raise TransitionNotAllowed(f"This request cannot be {doing}: it is {current}.")
    before = _state(review_request)
    review_request.status = status
    return before


def _record(actor: User, review_request: ReviewRequest, verb: str, before: dict[str, object]) -> None:
    audit_record(
        actor=actor,
        verb=verb,
        target=review_request,
        scope=review_request.case,
        before=before,
        after=_state(review_request),
    )
    review_request_answered_notify(review_request=review_request, actor=actor)


@transaction.atomic
def review_request_accept(*, actor: User, review_request: ReviewRequest) -> ReviewRequest:
    """The chair accepts the request into the case-note review: the patient's care will be reviewed."""
    review_request = _lock_for_chair(actor, review_request)
    before = _move(review_request, ReviewRequestStatus.ACCEPTED, "accepted")
    review_request.decided_by, review_request.decided_at = actor, timezone.now()
    review_request.save(update_fields=["status", "decided_by", "decided_at"])
    _record(actor, review_request, ReviewsVerb.REVIEW_REQUEST_ACCEPTED, before)
    return review_request


@transaction.atomic
def review_request_decline(*, actor: User, review_request: ReviewRequest, reason: str) -> ReviewRequest:
    """The chair declines the request, with the reason the family will be told."""
    review_request = _lock_for_chair(actor, review_request)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the request is declined: the family will be told"})
    if len(reason) > LIMITS["decline_reason"]:
        raise ValidationError({"reason": f"The reason must be {LIMITS['decline_reason']:,} characters or fewer"})
    before = _move(review_request, ReviewRequestStatus.DECLINED, "declined")
    review_request.decided_by, review_request.decided_at = actor, timezone.now()
    review_request.decline_reason = reason
    review_request.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
    _record(actor, review_request, ReviewsVerb.REVIEW_REQUEST_DECLINED, before)
    return review_request


@transaction.atomic
def review_request_answer(*, actor: User, review_request: ReviewRequest, outcome: str) -> ReviewRequest:
    """The chair records the outcome of an accepted request's review, for the family liaison officer to tell the
    family. It must not identify the patient either."""
    review_request = _lock_for_chair(actor, review_request)
    outcome = outcome.strip()
    errors: dict[str, str] = {}
    if not outcome:
        errors["outcome"] = "Write the outcome of the review"
    elif len(outcome) > LIMITS["outcome"]:
        errors["outcome"] = f"The outcome must be {LIMITS['outcome']:,} characters or fewer"
    else:
        errors.update(pseudonymity_errors(text=outcome, field="outcome"))
    if errors:
        raise ValidationError(errors)
    before = _move(review_request, ReviewRequestStatus.ANSWERED, "answered before it is accepted")
    review_request.outcome, review_request.answered_by, review_request.answered_at = outcome, actor, timezone.now()
    review_request.save(update_fields=["status", "outcome", "answered_by", "answered_at"])
    _record(actor, review_request, ReviewsVerb.REVIEW_REQUEST_ANSWERED, before)
    return review_request
