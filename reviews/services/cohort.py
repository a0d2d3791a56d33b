"""Writes of a case-note review cohort: the cohort and its waves, the assignment of patients to expert reviewers,
second reviews and reassignment (imports are in ``cohort_import``). Each records its audit event in the same
transaction as the change.

Only the case's review managers (``selectors.team``) run the cohort. NHS numbers never appear in a message, a
log line, a task argument or an audit event: patients are named by their review reference.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.limits import max_length_of
from accounts.models import User
from failure_regime.models import Case, CaseStatus
from reviews.models import (
    Assignment,
    AssignmentKind,
    Cohort,
    CohortPatient,
    Expert,
    JudgementStatus,
    SecondReviewReason,
    Specialty,
    Wave,
)
from reviews.selectors.cohort import Reviewer, eligible_reviewers
from reviews.selectors.team import is_review_manager
from reviews.services.cohort_balance import Need, Place, Plan, plan_reviews
from reviews.services.notification_events import review_assignment_notify, reviews_assigned_notify
from reviews.verbs import ReviewsVerb

DEFAULT_SECOND_REVIEW_SHARE = Decimal("0.20")
DEFAULT_COHORT_UPLOAD_MAX_BYTES = 50 * 1024 * 1024
# How many rows go to the database in one statement.
INSERT_BATCH_SIZE = 10000


def default_second_review_share() -> Decimal:
    """The share of a new cohort's patients chosen at random for a second review (``REVIEWS_SECOND_REVIEW_SHARE``)."""
    return Decimal(str(getattr(settings, "REVIEWS_SECOND_REVIEW_SHARE", DEFAULT_SECOND_REVIEW_SHARE)))


def cohort_upload_max_bytes() -> int:
    return int(getattr(settings, "REVIEWS_COHORT_UPLOAD_MAX_BYTES", DEFAULT_COHORT_UPLOAD_MAX_BYTES))


def review_manager_required(actor: User, case: Case) -> None:
    if not is_review_manager(user=actor, case=case):
        raise PermissionDenied("Only the people who run this case's review may change its cohort.")


def open_case_required(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise TransitionNotAllowed("The case is closed; its review cannot change.")


def cohort_lock(cohort: Cohort) -> Cohort:
    # Every write that gives out reviews takes this lock first, so that two of them never give the same review.
    # Only the cohort's row, and NO KEY: rows that refer to it (or to the case) can still be written meanwhile.
    return Cohort.objects.select_for_update(no_key=True, of=("self",)).select_related("case").get(pk=cohort.pk)


def csv_lines_insert(model: type[models.Model], fields: Sequence[str], lines: Iterable[str]) -> int:
    """Inserts rows given as lines of CSV text, one value for each of ``fields`` (attribute names), a batch at a
    time: with COPY on PostgreSQL, many times faster than building a model instance for each of 100,000 rows;
    else with ``bulk_create``. Quote an empty string (``""``): an empty value unquoted is NULL to COPY. Every field
    without a database default must be given. Returns how many rows were inserted."""
    if connection.vendor != "postgresql":
        return _bulk_create(model, fields, csv.reader(lines))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(model, name)) for name in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN WITH (FORMAT csv)"
    count = 0
    buffer = io.StringIO()
    for line in lines:
        buffer.write(line)
        count += 1
        if count % INSERT_BATCH_SIZE == 0:
            _copy(sql, buffer)
            buffer = io.StringIO()
    _copy(sql, buffer)
    return count


def _copy(sql: str, buffer: io.StringIO) -> None:
    if buffer.tell():
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(sql, buffer)


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise ValueError(f"{name} is not a column of {model.__name__}.")
    return field.column


def _bulk_create(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    count = 0
    batch: list[models.Model] = []
    for row in rows:
        batch.append(model(**dict(zip(fields, row, strict=True))))
        if len(batch) >= INSERT_BATCH_SIZE:
            count += len(model._default_manager.bulk_create(batch))
            batch = []
    return count + len(model._default_manager.bulk_create(batch))


# --- Cohorts and waves --------------------------------------------------------------------------


@transaction.atomic
def cohort_create(*, actor: User, case: Case, title: str, second_review_share: Decimal | None = None) -> Cohort:
    """Starts the case's review cohort (one per case). ``second_review_share`` is the share of patients chosen
    at random for a second review; by default ``REVIEWS_SECOND_REVIEW_SHARE`` (20%)."""
    review_manager_required(actor, case)
    case = Case.objects.select_for_update(no_key=True).get(pk=case.pk)
    open_case_required(case)
    share = default_second_review_share() if second_review_share is None else second_review_share
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Enter a title for the cohort."
    if not Decimal(0) <= share <= Decimal(1):
        errors["second_review_share"] = "The share of second reviews must be between 0% and 100%."
    if errors:
        raise ValidationError(errors)
    if Cohort.objects.filter(case=case).exists():
        raise ConflictError("This case already has a review cohort.")
    cohort = Cohort.objects.create(
        case=case,
        title=title.strip(),
        second_review_share=share.quantize(Decimal("0.01")),
        created_by=actor,
        created_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        verb=ReviewsVerb.COHORT_CREATED,
        target=cohort,
        scope=case,
        after={"title": cohort.title, "second_review_share": cohort.second_review_share},
    )
    return cohort


@transaction.atomic
def wave_add(*, actor: User, cohort: Cohort, criteria_version: str, inclusion_criteria: str) -> Wave:
    """Adds the next wave to the cohort with the version and text of the inclusion criteria it uses."""
    review_manager_required(actor, cohort.case)
    cohort = cohort_lock(cohort)
    open_case_required(cohort.case)
    version_limit, criteria_limit = max_length_of(Wave, "criteria_version"), max_length_of(Wave, "inclusion_criteria")
    errors: dict[str, str] = {}
    if not criteria_version.strip():
        errors["criteria_version"] = "Enter the version of the inclusion criteria."
    elif len(criteria_version.strip()) > version_limit:
        errors["criteria_version"] = f"The version must be {version_limit} characters or fewer."
    if not inclusion_criteria.strip():
        errors["inclusion_criteria"] = "Enter the inclusion criteria."
    elif len(inclusion_criteria.strip()) > criteria_limit:
        errors["inclusion_criteria"] = f"The inclusion criteria must be {criteria_limit:,} characters or fewer."
    if errors:
        raise ValidationError(errors)
    last = cohort.waves.order_by("-number").values_list("number", flat=True).first() or 0
    wave = Wave.objects.create(
        cohort=cohort,
        number=last + 1,
        criteria_version=criteria_version.strip(),
        inclusion_criteria=inclusion_criteria.strip(),
        created_by=actor,
        created_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        verb=ReviewsVerb.WAVE_ADDED,
        target=wave,
        scope=cohort.case,
        after={"number": wave.number, "criteria_version": wave.criteria_version},
    )
    return wave


def cohort_patient_view(*, actor: User, patient: CohortPatient) -> None:
    """Records that ``actor`` read the patient's identifiable record (NHS number, dates of birth and of care)."""
    audit_record(
        actor=actor,
        verb=ReviewsVerb.COHORT_PATIENT_VIEWED,
        target=patient,
        scope=patient.cohort.case,
        after={"reference": patient.reference},
    )


# --- Assignment ---------------------------------------------------------------------------------


@dataclass
class SpecialtyAssignment:
    """What one assignment run did in one specialty."""

    specialty: str
    first_assigned: int = 0
    second_assigned: int = 0
    first_unassigned: int = 0
    second_unassigned: int = 0


@dataclass
class AssignmentReport:
    """What one assignment run did: reviews given out and reviews left for lack of capacity, per specialty."""

    by_specialty: list[SpecialtyAssignment]

    @property
    def assigned(self) -> int:
        return sum(s.first_assigned + s.second_assigned for s in self.by_specialty)

    @property
    def unassigned(self) -> int:
        return sum(s.first_unassigned + s.second_unassigned for s in self.by_specialty)


def _places(reviewers: list[Reviewer]) -> list[Place]:
    return [Place(r.expert_id, r.capacity, r.load, r.specialty_ids) for r in reviewers]


def _needs(cohort: Cohort) -> list[Need]:
    """The cohort's patients still waiting for a first review, or for a second review they are marked for, in
    order of reference, each with everyone who has or had them. Two queries, read in chunks."""
    held: dict[int, set[str]] = {}
    taken: dict[int, set[int]] = {}
    assignments = Assignment.objects.filter(patient__cohort=cohort).values_list(
        "patient_id", "kind", "reviewer_id", "ended_at"
    )
    for patient_id, kind, reviewer_id, ended_at in assignments.iterator(chunk_size=20000):
        taken.setdefault(patient_id, set()).add(reviewer_id)
        if ended_at is None:
            held.setdefault(patient_id, set()).add(kind)
    patients = (
        CohortPatient.objects.filter(cohort=cohort)
        .order_by("reference")
        .values_list("pk", "specialty_id", "second_review")
    )
    needs: list[Need] = []
    nobody: frozenset[int] = frozenset()
    for pk, specialty_id, second_review in patients.iterator(chunk_size=20000):
        kinds = held.get(pk, ())
        first = AssignmentKind.FIRST not in kinds
        second = bool(second_review) and AssignmentKind.SECOND not in kinds
        if first or second:
            needs.append(Need(pk, specialty_id, first, second, frozenset(taken[pk]) if pk in taken else nobody))
    return needs


def _report(plan: Plan, given_specialty: dict[int, int]) -> AssignmentReport:
    names = dict(Specialty.objects.values_list("pk", "name"))
    lines: dict[int, SpecialtyAssignment] = {}

    def line(specialty_id: int) -> SpecialtyAssignment:
        return lines.setdefault(specialty_id, SpecialtyAssignment(names.get(specialty_id, "")))

    for patient_id, kind, _ in plan.given:
        entry = line(given_specialty[patient_id])
        if kind == AssignmentKind.FIRST:
            entry.first_assigned += 1
        else:
            entry.second_assigned += 1
    for (specialty_id, kind), count in plan.left.items():
        entry = line(specialty_id)
        if kind == AssignmentKind.FIRST:
            entry.first_unassigned += count
        else:
            entry.second_unassigned += count
    return AssignmentReport(sorted(lines.values(), key=lambda s: s.specialty.lower()))


@transaction.atomic
def cohort_assign(*, actor: User, cohort: Cohort) -> AssignmentReport:
    """Gives every patient waiting for a first review, and every patient marked for a second review without one,
    to reviewers: the least-loaded reviewer with the patient's specialty, within capacity, never one who has a
    conflict with the provider or is not appointed to the case, and never the first reviewer for the second
    review. Capacity is ``capacity_per_week`` times ``REVIEWS_ASSIGNMENT_WEEKS`` (4), less the reviewer's open
    reviews on every case. Reviews that find no one with capacity are counted and wait for the next run."""
    review_manager_required(actor, cohort.case)
    cohort = cohort_lock(cohort)
    open_case_required(cohort.case)
    needs = _needs(cohort)
    plan = plan_reviews(needs=needs, reviewers=_places(eligible_reviewers(case=cohort.case)))
    specialty_of = {need.patient_id: need.specialty_id for need in needs}
    stamp = timezone.now().isoformat()
    # Ids, a fixed word and a timestamp need no quoting; the empty reason is quoted so that it is not NULL.
    csv_lines_insert(
        Assignment,
        ["patient_id", "reviewer_id", "kind", "assigned_at", "assigned_by_id", "end_reason"],
        (f'{patient_id},{expert_id},{kind},{stamp},{actor.pk},""\n' for patient_id, kind, expert_id in plan.given),
    )
    report = _report(plan, specialty_of)
    audit_record(
        actor=actor,
        verb=ReviewsVerb.COHORT_ASSIGNED,
        target=cohort,
        scope=cohort.case,
        after={
            "assigned": report.assigned,
            "unassigned": report.unassigned,
            "by_specialty": {
                s.specialty: {
                    "first": s.first_assigned,
                    "second": s.second_assigned,
                    "first_unassigned": s.first_unassigned,
                    "second_unassigned": s.second_unassigned,
                }
                for s in report.by_specialty
            },
        },
    )
    reviews_assigned_notify(
        case=cohort.case,
        reviewer_ids=[expert_id for _, _, expert_id in plan.given],
        key=f"cohort:{cohort.pk}:assigned:{stamp}",
        actor=actor,
    )
    return report


def _reviewers_of(patient: CohortPatient) -> set[int]:
    return set(Assignment.objects.filter(patient=patient).values_list("reviewer_id", flat=True))


def _choose_for(patient: CohortPatient, kind: str, reviewers: list[Reviewer], taken: set[int]) -> int | None:
    need = Need(
        patient_id=patient.pk,
        specialty_id=patient.specialty_id,
        first=kind == AssignmentKind.FIRST,
        second=kind == AssignmentKind.SECOND,
        taken=frozenset(taken),
    )
    plan = plan_reviews(needs=[need], reviewers=_places(reviewers))
    return plan.given[0][2] if plan.given else None


@transaction.atomic
def second_review_require(
    *, patient: CohortPatient, reason: str = SecondReviewReason.POOR_CARE, actor: User
) -> Assignment | None:
    """Makes sure ``patient`` gets an independent second review, and gives it at once to the least-loaded
    eligible reviewer with capacity who has never had the patient (so never the first reviewer).

    Call it when a submitted first review rates overall care poor or very poor (1 or 2), with the reviewer who
    submitted as ``actor``; the rule, not the actor's role, decides, so there is no permission check. The patient
    keeps an earlier reason (a patient already in the random sample stays counted as sampled). When no reviewer
    has capacity, the patient stays marked and the next ``cohort_assign`` gives the review out.

    It runs inside the caller's transaction (the judgement's submission) and takes the cohort's lock, as
    assignment runs do, then the patient's: do not lock the patient's row yourself before calling it.

    Idempotent: returns the patient's current second-review assignment if there is one, else the new one, else
    None; an audit event is recorded only when something changed."""
    if reason not in SecondReviewReason.values:
        raise ValidationError({"reason": "Choose why the patient needs a second review."})
    cohort = cohort_lock(Cohort(pk=patient.cohort_id))
    patient = CohortPatient.objects.select_for_update(no_key=True).get(pk=patient.pk)
    current = Assignment.objects.filter(Assignment.ACTIVE, patient=patient, kind=AssignmentKind.SECOND).first()
    if current is not None:
        return current
    marked = not patient.second_review
    if marked:
        patient.second_review = reason
        patient.save(update_fields=["second_review"])
    assignment = None
    if cohort.case.status != CaseStatus.CLOSED:
        reviewers = eligible_reviewers(case=cohort.case)
        expert_id = _choose_for(patient, AssignmentKind.SECOND, reviewers, _reviewers_of(patient))
        if expert_id is not None:
            assignment = Assignment.objects.create(
                patient=patient,
                reviewer_id=expert_id,
                kind=AssignmentKind.SECOND,
                assigned_at=timezone.now(),
                assigned_by=actor,
            )
    if marked or assignment is not None:
        audit_record(
            actor=actor,
            verb=ReviewsVerb.SECOND_REVIEW_ADDED,
            target=patient,
            scope=cohort.case,
            after={
                "reason": patient.second_review,
                "reviewer": assignment.reviewer_id if assignment else None,
            },
        )
    if assignment is not None:
        review_assignment_notify(assignment=assignment, case=cohort.case, actor=actor)
    return assignment


@transaction.atomic
def assignment_reassign(
    *, actor: User, assignment: Assignment, reason: str, reviewer: Expert | None = None
) -> Assignment:
    """Ends the assignment with the reason given and gives the review to ``reviewer``, or when none is named to
    the least-loaded eligible reviewer with capacity who has never had the patient. A submitted review cannot be
    reassigned."""
    case = assignment.patient.cohort.case
    review_manager_required(actor, case)
    cohort = cohort_lock(assignment.patient.cohort)
    open_case_required(cohort.case)
    assignment = (
        Assignment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("patient", "reviewer")
        .get(pk=assignment.pk)
    )
    if assignment.ended_at is not None:
        raise TransitionNotAllowed("This assignment has already ended.")
    judgement = getattr(assignment, "judgement", None)
    if judgement is not None and judgement.status == JudgementStatus.SUBMITTED:
        raise TransitionNotAllowed("The review has been submitted, so it cannot be given to someone else.")
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = "Say why the review is being given to someone else."
    patient = assignment.patient
    taken = _reviewers_of(patient)
    reviewers = eligible_reviewers(case=case)
    expert_id: int | None = None
    if reviewer is not None:
        candidate = next((r for r in reviewers if r.expert_id == reviewer.pk), None)
        if reviewer.pk in taken:
            errors["reviewer"] = f"{reviewer} has already had this patient; choose someone else."
        elif candidate is None:
            errors["reviewer"] = (
                f"{reviewer} cannot review this case: they must be appointed to it as an expert reviewer, be "
                "available, have an account and have no conflict of interest with the provider."
            )
        elif patient.specialty_id not in candidate.specialty_ids:
            errors["reviewer"] = f"{reviewer} does not have the patient's specialty."
        elif candidate.load >= candidate.capacity:
            errors["reviewer"] = f"{reviewer} has no capacity left."
        else:
            expert_id = reviewer.pk
    else:
        expert_id = _choose_for(patient, assignment.kind, reviewers, taken)
        if expert_id is None:
            errors["reviewer"] = "No other eligible reviewer with the patient's specialty has capacity."
    if errors or expert_id is None:
        raise ValidationError(errors)
    now = timezone.now()
    assignment.ended_at = now
    assignment.ended_by = actor
    assignment.end_reason = reason.strip()
    assignment.save(update_fields=["ended_at", "ended_by", "end_reason"])
    new = Assignment.objects.create(
        patient=patient, reviewer_id=expert_id, kind=assignment.kind, assigned_at=now, assigned_by=actor
    )
    audit_record(
        actor=actor,
        verb=ReviewsVerb.ASSIGNMENT_REASSIGNED,
        target=new,
        scope=case,
        before={"assignment": assignment.pk, "reviewer": assignment.reviewer_id},
        after={"reviewer": expert_id, "kind": assignment.kind, "reason": assignment.end_reason},
    )
    review_assignment_notify(assignment=new, case=case, actor=actor)
    return new
