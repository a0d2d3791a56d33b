"""Writes of structured judgement reviews: a reviewer's draft and its submission, the safety alert, and the
review team's export and published summary of the findings.

- Only the assigned reviewer writes a judgement, and only while it is a draft: submission locks it for good.
- A **safety concern** alerts the case's investigation lead as soon as it is first saved with its detail, in a
  draft or at submission, and exactly once: the alert time is set under the assignment's row lock and the mail
  is queued in the outbox in the same transaction. With no investigation lead, the case's review managers and
  national oversight are alerted instead, so that someone acts and a lead is named. The e-mail carries the case
  and review references and a staff link, never anything that identifies the patient, nor the concern's text.
- Nothing written here names a reviewer outside the review team: audit events of judgements are not put on the
  case's timeline, and the export names reviewers only by a code ("Reviewer 7").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import TransitionNotAllowed
from accounts.limits import max_length_of
from accounts.models import Membership, Role, User
from failure_regime.models import Case
from failure_regime.services.outbox import Mail, outbox_enqueue
from reviews.models import (
    POOR_RATINGS,
    Assignment,
    AssignmentKind,
    Avoidability,
    CareRating,
    Cohort,
    EventKind,
    FindingsSummary,
    JudgementStatus,
    ProblemType,
    SecondReviewReason,
    StructuredJudgement,
)
from reviews.selectors.judgement import (
    RATED,
    RATED_LABELS,
    cohort_for_case,
    patients_reviewed,
    problem_types_decode,
    reviewer_assignment_list_for_user,
    submitted_judgements,
)
from reviews.selectors.team import investigation_lead, is_review_manager, review_managers
from reviews.services.cohort import second_review_require
from reviews.verbs import ReviewsVerb

RATING_FIELDS = tuple(f"{key}_rating" for key in RATED)
NARRATIVE_FIELDS = tuple(f"{key}_narrative" for key in RATED)
# Everything a reviewer may write; the status, the avoidability scale and the times are the service's.
EDITABLE_FIELDS = (
    *RATING_FIELDS,
    *NARRATIVE_FIELDS,
    "problem_types",
    "avoidability",
    "safety_concern",
    "safety_concern_detail",
)
SUBMITTED_MESSAGE = "This review has been submitted and can no longer be changed."


# --- A reviewer's judgement ------------------------------------------------------------------------------------


def _lock_own(actor: User, assignment: Assignment) -> tuple[Assignment, StructuredJudgement]:
    """Locks the assignment (only its own row), checks that it is one ``actor`` may write as its reviewer (the rule
    their pages and API read with: their own, active, while they hold a reviewing role), and returns it with its
    judgement, new and unsaved if there is none yet. The lock serialises every write to the judgement, including its
    creation, and waits for a removal of the reviewer's role that is ending it."""
    locked = (
        reviewer_assignment_list_for_user(user=actor)
        .select_for_update(of=("self",))
        .select_related("reviewer", "patient__cohort__case")
        .filter(pk=assignment.pk)
        .first()
    )
    if locked is None:
        raise PermissionDenied("Only the reviewer assigned to this case can record its review.")
    judgement = StructuredJudgement.objects.select_for_update().filter(assignment=locked).first()
    if judgement is None:
        judgement = StructuredJudgement(assignment=locked, updated_at=timezone.now())
    elif judgement.status == JudgementStatus.SUBMITTED:
        raise TransitionNotAllowed(SUBMITTED_MESSAGE)
    return locked, judgement


def _score(value: Any, allowed: list[int], field: str, errors: dict[str, str]) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or str(value).strip() not in map(str, allowed):
        errors[field] = f"Choose a score from {allowed[0]} to {allowed[-1]}."
        return None
    return int(value)


def _text(value: Any, field: str, errors: dict[str, str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or "\x00" in value:
        errors[field] = "Enter plain text."
        return ""
    limit = max_length_of(StructuredJudgement, field)
    if len(value) > limit:
        errors[field] = f"Keep this to {limit:,} characters or fewer."
    return value.strip()


def _problem_types(value: Any, errors: dict[str, str]) -> list[str]:
    chosen = list(value or [])
    if not all(isinstance(v, str) for v in chosen) or not set(chosen) <= set(ProblemType.values):
        errors["problem_types"] = "Choose problem types from the list."
        return []
    return [v for v in ProblemType.values if v in chosen]  # in the list's order, once each


def _apply(judgement: StructuredJudgement, changes: Mapping[str, Any]) -> list[str]:
    """Checks and writes the reviewer's changes to the judgement; returns the names of the fields that changed.
    Raises a ValidationError with a message for each field that is not right."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not fields a reviewer writes: {', '.join(sorted(unknown))}")
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name in RATING_FIELDS:
            cleaned[name] = _score(value, CareRating.values, name, errors)
        elif name == "avoidability":
            cleaned[name] = _score(value, Avoidability.values, name, errors)
        elif name == "problem_types":
            cleaned[name] = _problem_types(value, errors)
        elif name == "safety_concern":
            cleaned[name] = bool(value)
        else:
            cleaned[name] = _text(value, name, errors)
    concern = cleaned.get("safety_concern", judgement.safety_concern)
    if concern and not cleaned.get("safety_concern_detail", judgement.safety_concern_detail):
        errors.setdefault("safety_concern_detail", "Describe the safety concern, so that the lead can act on it.")
    if errors:
        raise ValidationError(errors)
    changed = [name for name, value in cleaned.items() if getattr(judgement, name) != value]
    for name in changed:
        setattr(judgement, name, cleaned[name])
    return changed


def _check_complete(assignment: Assignment, judgement: StructuredJudgement) -> None:
    """What a review needs before it can be submitted. Avoidability is asked of every patient for now, deaths
    and incidents alike, because the database requires it on every submitted review; only deaths' scores feed
    the estimate of avoidable deaths."""
    errors: dict[str, str] = {}
    for key in RATED:
        rating, narrative = getattr(judgement, f"{key}_rating"), getattr(judgement, f"{key}_narrative")
        label = RATED_LABELS[key].lower()
        if key == "overall":
            if rating is None:
                errors["overall_rating"] = "Rate the overall care."
            if not narrative:
                errors["overall_narrative"] = "Explain your rating of the overall care."
        elif rating is not None and not narrative:
            errors[f"{key}_narrative"] = f"Explain your rating of {label}."
        elif rating is None and narrative:
            errors[f"{key}_rating"] = f"Rate {label}, or clear its notes if it did not happen."
    if judgement.avoidability is None:
        outcome = "death" if assignment.patient.event_kind == EventKind.DEATH else "harm"
        errors["avoidability"] = f"Choose how avoidable the {outcome} was."
    if errors:
        raise ValidationError(errors)


def _safety_alert(*, actor: User, assignment: Assignment, judgement: StructuredJudgement) -> None:
    """Alerts the case's investigation lead (or, with none, its review managers and national oversight) to a
    flagged safety concern, once. Called under the assignment's lock, after the judgement is saved."""
    if not judgement.safety_concern or judgement.safety_alerted_at is not None:
        return
    case = assignment.patient.cohort.case
    lead = investigation_lead(case=case)
    findings_link = settings.SITE_URL + reverse("reviews:findings", args=[case.pk]) + "#safety-concerns"
    recipients: list[tuple[User, str]]
    if lead is not None and lead.is_active:
        recipients = [(lead, findings_link)]
    else:
        managers = list(review_managers(case=case))
        national = [
            m.user
            for m in Membership.objects.filter(role=Role.NATIONAL_OVERSIGHT, user__is_active=True).select_related(
                "user"
            )
        ]
        case_link = settings.SITE_URL + reverse("regime:case-detail", args=[case.pk])
        recipients = [(user, findings_link) for user in managers]
        recipients += [(user, case_link) for user in national if user not in managers]
    outbox_enqueue(
        messages=[
            _safety_mail(judgement, assignment, case, user, link, has_lead=lead is not None)
            for user, link in recipients
        ]
    )
    judgement.safety_alerted_at = timezone.now()
    judgement.save(update_fields=["safety_alerted_at"])
    audit_record(
        actor=actor,
        verb=ReviewsVerb.SAFETY_CONCERN_RAISED,
        target=judgement,
        after={"review_reference": assignment.patient.reference, "alerted": [user.email for user, _ in recipients]},
    )


def _safety_mail(
    judgement: StructuredJudgement, assignment: Assignment, case: Case, user: User, link: str, *, has_lead: bool
) -> Mail:
    lines = [
        f"Hello {user.get_short_name()},",
        "",
        f"A reviewer has flagged a safety concern in the case-note review of case {case.reference}.",
        f"Review reference: {assignment.patient.reference} ({assignment.get_kind_display().lower()}).",
        "",
    ]
    if not has_lead:
        lines += ["The case has no investigation lead to act on it, so you are told instead.", ""]
    lines += [f"Read the concern and act on it: {link}", ""]
    return Mail(
        dedupe_key=f"safety-concern:{judgement.pk}:{user.pk}",
        to=user.email,
        subject=f"Safety concern raised in the review of case {case.reference}",
        body="\n".join(lines),
    )


def _poor_care_second_review(*, actor: User, assignment: Assignment, judgement: StructuredJudgement) -> None:
    """The poor-care rule: a submitted first review that rates the overall care poor or very poor gets an
    independent second review, whatever the sample. The cohort's assignment service chooses the reviewer;
    this is the one place that asks it to."""
    if assignment.kind != AssignmentKind.FIRST or judgement.overall_rating not in POOR_RATINGS:
        return
    second_review_require(actor=actor, patient=assignment.patient, reason=SecondReviewReason.POOR_CARE)


@transaction.atomic
def judgement_save(*, actor: User, assignment: Assignment, changes: Mapping[str, Any]) -> StructuredJudgement:
    """Saves the assigned reviewer's draft with ``changes`` (any of ``EDITABLE_FIELDS``), creating it on the
    first save. Refused once the review is submitted. A newly flagged safety concern alerts the lead at once."""
    locked, judgement = _lock_own(actor, assignment)
    created = judgement.pk is None
    changed = _apply(judgement, changes)
    judgement.updated_at = timezone.now()
    judgement.save()
    _safety_alert(actor=actor, assignment=locked, judgement=judgement)
    audit_record(
        actor=actor,
        verb=ReviewsVerb.JUDGEMENT_SAVED,
        target=judgement,
        after={"created": created, "changed": changed},
    )
    return judgement


@transaction.atomic
def judgement_submit(
    *, actor: User, assignment: Assignment, changes: Mapping[str, Any] | None = None
) -> StructuredJudgement:
    """Submits the assigned reviewer's review, with any last ``changes``, once it is complete; it can never be
    changed again. Alerts the lead to a safety concern not yet raised, and asks for a second review when a first
    review finds poor care. Submitting twice, even at the same moment, is refused the second time."""
    # The cohort first, as the cohort's services lock it (reassignment, second reviews), then the assignment.
    list(Cohort.objects.select_for_update(of=("self",)).filter(patients__assignments=assignment).values("pk"))
    locked, judgement = _lock_own(actor, assignment)
    changed = _apply(judgement, changes or {})
    _check_complete(locked, judgement)
    now = timezone.now()
    judgement.status = JudgementStatus.SUBMITTED
    judgement.submitted_at = now
    judgement.updated_at = now
    judgement.save()
    _safety_alert(actor=actor, assignment=locked, judgement=judgement)
    _poor_care_second_review(actor=actor, assignment=locked, judgement=judgement)
    audit_record(
        actor=actor,
        verb=ReviewsVerb.JUDGEMENT_SUBMITTED,
        target=judgement,
        before={"status": JudgementStatus.DRAFT},
        after={"status": JudgementStatus.SUBMITTED, "changed": changed},
    )
    return judgement


# --- The review team's findings --------------------------------------------------------------------------------


def _managed_cohort(actor: User, case: Case, doing: str) -> Cohort:
    if not is_review_manager(user=actor, case=case):
        raise PermissionDenied(f"Only the case's review team can {doing}.")
    cohort = cohort_for_case(case=case)
    if cohort is None:
        raise ValidationError("This case has no review cohort yet.")
    return cohort


def _reviewer_codes(cohort: Cohort) -> dict[int, str]:
    """A code for each of the cohort's reviewers, numbered in the order they were first assigned, so that a
    reviewer keeps their code as the cohort grows (assignments are never deleted)."""
    firsts = (
        Assignment.objects.filter(patient__cohort=cohort)
        .values("reviewer_id")
        .annotate(first=Min("pk"))
        .order_by("first")
        .values_list("reviewer_id", flat=True)
    )
    return {reviewer_id: f"Reviewer {number}" for number, reviewer_id in enumerate(firsts, start=1)}


CSV_HEADER = [
    "review_reference",
    "wave",
    "inclusion_criteria_version",
    "specialty",
    "event",
    "category",
    "review",
    "reviewer",
    "submitted_on",
    *RATING_FIELDS,
    "problem_types",
    "avoidability",
    "avoidability_scale",
    "avoidability_direction",
    "safety_concern",
]
# A cell starting with one of these is a formula to a spreadsheet; imported categories could hold one.
_FORMULA = re.compile(r"^[=+\-@\t\r]")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return "" if value is None else value


def _csv_rows(cohort: Cohort) -> Iterator[str]:
    codes = _reviewer_codes(cohort)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(v) for v in values])
        return buffer.getvalue()

    yield line(CSV_HEADER)
    rows = (
        submitted_judgements(cohort=cohort)
        .order_by("assignment__patient__reference", "assignment__kind")
        .values_list(
            "assignment__patient__reference",
            "assignment__patient__wave__number",
            "assignment__patient__wave__criteria_version",
            "assignment__patient__specialty__name",
            "assignment__patient__event_kind",
            "assignment__patient__category",
            "assignment__kind",
            "assignment__reviewer_id",
            "submitted_at",
            *RATING_FIELDS,
            "problem_types",
            "avoidability",
            "avoidability_scale",
            "avoidability_direction",
            "safety_concern",
        )
    )
    for row in rows.iterator(chunk_size=2000):
        reference, wave, version, specialty, event, category, kind, reviewer_id, submitted_at, *rest = row
        *ratings, problem_types, avoidability, scale, direction, concern = rest
        yield line(
            [
                reference,
                wave,
                version,
                specialty,
                EventKind(event).label,
                category,
                AssignmentKind(kind).label,
                codes.get(reviewer_id, "Reviewer"),
                timezone.localtime(submitted_at).date().isoformat() if submitted_at else "",
                *ratings,
                "; ".join(problem_types_decode(problem_types)),
                avoidability,
                scale,
                direction,
                "yes" if concern else "no",
            ]
        )


@transaction.atomic
def findings_export(*, actor: User, case: Case) -> Iterator[str]:
    """Records the export of the case's findings and returns the CSV, line by line: one row per submitted
    review with its ratings, problem types and avoidability score with its scale and direction. Reviewers
    appear only as codes ("Reviewer 7"); narratives and safety concerns' text stay in the service."""
    cohort = _managed_cohort(actor, case, "export its findings")
    audit_record(actor=actor, verb=ReviewsVerb.FINDINGS_EXPORTED, target=cohort, scope=case, after={"format": "csv"})
    return _csv_rows(cohort)


# An NHS number (10 digits, perhaps spaced 3-3-4) has no place in a public summary.
_NHS_NUMBER = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")


@transaction.atomic
def findings_publish(*, actor: User, case: Case, title: str, body: str) -> FindingsSummary:
    """Publishes a plain-English summary of the cohort's findings for the public, with the number of patients
    reviewed so far. Refused if it looks like it holds an NHS number or names one of the cohort's reviewers."""
    cohort = _managed_cohort(actor, case, "publish its findings")
    title, body = title.strip(), body.strip()
    title_limit, body_limit = max_length_of(FindingsSummary, "title"), max_length_of(FindingsSummary, "body")
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Enter a title."
    elif len(title) > title_limit:
        errors["title"] = f"Keep the title to {title_limit:,} characters or fewer."
    if not body:
        errors["body"] = "Enter the summary."
    elif len(body) > body_limit:
        errors["body"] = f"Keep the summary to {body_limit:,} characters or fewer."
    for name, text in (("title", title), ("body", body)):
        if "\x00" in text:
            errors[name] = "Enter plain text."
        elif _NHS_NUMBER.search(text):
            errors[name] = "Remove what looks like an NHS number: the summary is public."
        elif any(reviewer.lower() in text.lower() for reviewer in _reviewer_names(cohort)):
            errors[name] = "Remove the reviewer's name: the summary must not say who judged what."
    reviewed = patients_reviewed(cohort=cohort)
    if not reviewed:
        errors.setdefault("body", "No review has been submitted yet, so there is nothing to summarise.")
    if errors:
        raise ValidationError(errors)
    summary = FindingsSummary.objects.create(
        cohort=cohort,
        title=title,
        body=body,
        patients_reviewed=reviewed,
        published_by=actor,
        published_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        verb=ReviewsVerb.FINDINGS_PUBLISHED,
        target=summary,
        scope=case,
        after={"title": title, "patients_reviewed": reviewed},
    )
    return summary


def _reviewer_names(cohort: Cohort) -> set[str]:
    names = Assignment.objects.filter(patient__cohort=cohort).values_list("reviewer__name", flat=True).distinct()
    return {name.strip() for name in names if len(name.strip()) > 3}
