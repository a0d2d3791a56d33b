"""Writes of a case-note review cohort: the cohort and its waves, CSV imports checked and saved in the
background, the assignment of patients to expert reviewers, second reviews and reassignment. Each records its
audit event in the same transaction as the change.

Only the case's review managers (``selectors.team``) run the cohort. NHS numbers never appear in a message, a
log line, a task argument or an audit event: patients are named by their review reference.
"""

from __future__ import annotations

import datetime
import io
import logging
import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import User
from failure_regime.models import Case, CaseStatus
from failure_regime.uploads import CSV, display_name, storage_name
from reviews.models import (
    Assignment,
    AssignmentKind,
    Cohort,
    CohortImport,
    CohortPatient,
    Expert,
    ImportStatus,
    JudgementStatus,
    SecondReviewReason,
    Specialty,
    Wave,
)
from reviews.selectors.cohort import Reviewer, eligible_reviewers
from reviews.selectors.team import is_review_manager
from reviews.services.cohort_balance import Need, Place, Plan, plan_reviews
from reviews.services.cohort_rows import (
    CsvProblem,
    PatientRow,
    RowChecker,
    RowError,
    delimiter_of,
    header_columns,
    records,
)
from reviews.verbs import ReviewsVerb

logger = logging.getLogger(__name__)

DEFAULT_SECOND_REVIEW_SHARE = Decimal("0.20")
DEFAULT_COHORT_UPLOAD_MAX_BYTES = 50 * 1024 * 1024
# How many errors an import keeps to show (all are counted), how often it records its progress, and how many
# patients it saves per statement.
MAX_KEPT_ERRORS = 1000
PROGRESS_EVERY_ROWS = 2000
INSERT_BATCH_SIZE = 5000
UNFINISHED_IMPORTS = (ImportStatus.QUEUED, ImportStatus.CHECKING, ImportStatus.IMPORTING)


def default_second_review_share() -> Decimal:
    """The share of a new cohort's patients chosen at random for a second review (``REVIEWS_SECOND_REVIEW_SHARE``)."""
    return Decimal(str(getattr(settings, "REVIEWS_SECOND_REVIEW_SHARE", DEFAULT_SECOND_REVIEW_SHARE)))


def cohort_upload_max_bytes() -> int:
    return int(getattr(settings, "REVIEWS_COHORT_UPLOAD_MAX_BYTES", DEFAULT_COHORT_UPLOAD_MAX_BYTES))


def _require_manager(actor: User, case: Case) -> None:
    if not is_review_manager(user=actor, case=case):
        raise PermissionDenied("Only the people who run this case's review may change its cohort.")


def _require_open(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise TransitionNotAllowed("The case is closed; its review cannot change.")


def _lock_cohort(cohort: Cohort) -> Cohort:
    # Every write that gives out reviews takes this lock first, so that two of them never give the same review.
    return Cohort.objects.select_for_update().select_related("case").get(pk=cohort.pk)


# --- Cohorts and waves --------------------------------------------------------------------------


@transaction.atomic
def cohort_create(*, actor: User, case: Case, title: str, second_review_share: Decimal | None = None) -> Cohort:
    """Starts the case's review cohort (one per case). ``second_review_share`` is the share of patients chosen
    at random for a second review; by default ``REVIEWS_SECOND_REVIEW_SHARE`` (20%)."""
    _require_manager(actor, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_open(case)
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
    _require_manager(actor, cohort.case)
    cohort = _lock_cohort(cohort)
    _require_open(cohort.case)
    errors: dict[str, str] = {}
    if not criteria_version.strip():
        errors["criteria_version"] = "Enter the version of the inclusion criteria."
    elif len(criteria_version.strip()) > 40:
        errors["criteria_version"] = "The version must be 40 characters or fewer."
    if not inclusion_criteria.strip():
        errors["inclusion_criteria"] = "Enter the inclusion criteria."
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


# --- Imports ------------------------------------------------------------------------------------

_SNIFF_BYTES = 64 * 1024


def cohort_file_check(upload: UploadedFile) -> None:
    """Refuses anything but a CSV text file within ``REVIEWS_COHORT_UPLOAD_MAX_BYTES`` (50 MB by default). The
    type is judged from the content as well as the name; the rows are checked later, in the background."""
    name = display_name(upload.name or "")
    limit = cohort_upload_max_bytes()
    if not upload.size:
        raise ValidationError({"file": f"The file {name} is empty."})
    if upload.size > limit:
        raise ValidationError({"file": f"The file {name} is larger than {filesizeformat(limit)}."})
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    if not name.lower().endswith(".csv") or not _looks_like_text(head):
        raise ValidationError({"file": f"The file {name} must be a CSV file saved as UTF-8 text."})


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head or head.lstrip().startswith((b"<", b"#!", b"%PDF", b"PK\x03\x04", b"{\\rtf")):
        return False
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the sniff is not an error; anything earlier is.
        if error.start < len(head) - 3:
            return False
        text = head[: error.start].decode("utf-8-sig")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    return any(delimiter in first_line for delimiter in ",;\t")


@transaction.atomic
def cohort_import_start(
    *, actor: User, wave: Wave, upload: UploadedFile, valid_rows_only: bool = False
) -> CohortImport:
    """Keeps the uploaded CSV file under a generated name and queues it to be checked and imported in the
    background. Unless ``valid_rows_only``, a file with any bad row imports nothing."""
    cohort = wave.cohort
    _require_manager(actor, cohort.case)
    _require_open(cohort.case)
    cohort_file_check(upload)
    cohort_import = CohortImport(
        wave=wave,
        original_name=display_name(upload.name or ""),
        size=upload.size or 0,
        valid_rows_only=valid_rows_only,
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    cohort_import.file.save(storage_name(CSV), upload, save=False)
    cohort_import.save()
    audit_record(
        actor=actor,
        verb=ReviewsVerb.COHORT_IMPORT_STARTED,
        target=cohort_import,
        scope=cohort.case,
        after={"wave": wave.number, "size": cohort_import.size, "valid_rows_only": valid_rows_only},
    )
    import_id = cohort_import.pk
    transaction.on_commit(lambda: _request_import(import_id))
    return cohort_import


def _request_import(import_id: int) -> None:
    from reviews.tasks import cohort_import_run as task

    try:
        task.delay(import_id)
    except Exception:  # noqa: BLE001 - the periodic resume picks it up
        logger.warning("Could not queue cohort import %s; it will be resumed later.", import_id)


def cohort_imports_waiting(*, older_than_seconds: int = 300) -> list[int]:
    """Imports still queued some minutes after upload (the broker was down, say), for a periodic resume."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    return list(
        CohortImport.objects.filter(status=ImportStatus.QUEUED, uploaded_at__lt=cutoff).values_list("pk", flat=True)
    )


@contextmanager
def _text_of(cohort_import: CohortImport) -> Iterator[io.TextIOWrapper]:
    """The stored file as text, read as it streams. Bytes that are not UTF-8 become U+FFFD, which the row checks
    report on their line; a byte-order mark is dropped."""
    with cohort_import.file.storage.open(cohort_import.file.name or "", "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        try:
            yield text
        finally:
            text.detach()


@dataclass
class _Checked:
    """What the check of a whole file found: the first line of each valid NHS number, and the errors."""

    total: int = 0
    columns: dict[str, int] = field(default_factory=dict)
    first_lines: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    unreadable: bool = False
    next_number: int = 1

    def add(self, errors: list[RowError]) -> None:
        self.error_count += len(errors)
        room = MAX_KEPT_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])

    @property
    def error_dicts(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.errors]


def _checker(checked: _Checked) -> RowChecker:
    specialties = {name.lower(): pk for pk, name in Specialty.objects.values_list("pk", "name")}
    return RowChecker(columns=checked.columns, specialties=specialties, today=timezone.localdate())


def _rows(text: io.TextIOWrapper) -> Iterator[tuple[int, list[str]]]:
    first = text.readline()
    return records(chain([first], text), delimiter=delimiter_of(first))


def _count_rows(cohort_import: CohortImport, checked: _Checked) -> None:
    with _text_of(cohort_import) as text:
        try:
            rows = _rows(text)
            header = next(rows, None)
            checked.total = sum(1 for _ in rows)
        except CsvProblem as problem:
            checked.unreadable = True
            checked.add([RowError(problem.line, "", problem.reason)])
            return
    if header is None:
        checked.unreadable = True
        checked.add([RowError(1, "", "The file is empty.")])
        return
    checked.columns, header_errors = header_columns(header[1])
    if header_errors:
        checked.unreadable = True
        checked.add(header_errors)
    elif not checked.total:
        checked.unreadable = True
        checked.add([RowError(2, "", "The file has no patients: only a header line.")])


def _check_rows(cohort_import: CohortImport, checked: _Checked, checker: RowChecker) -> None:
    """Checks every row, keeping only the first line of each valid NHS number (and the errors) in memory."""
    cohort = cohort_import.wave.cohort
    checked.next_number = Cohort.objects.values_list("next_number", flat=True).get(pk=cohort.pk)
    existing = set(CohortPatient.objects.filter(cohort=cohort).values_list("nhs_number", flat=True))
    progress = CohortImport.objects.filter(pk=cohort_import.pk)
    done = 0
    with _text_of(cohort_import) as text:
        rows = _rows(text)
        next(rows)
        try:
            for line, record in rows:
                row, errors = checker.check(line, record)
                if row is not None:
                    first = checked.first_lines.get(row.nhs_number)
                    if first is not None:
                        errors = [RowError(line, "nhs_number", f"The same NHS number is on line {first}.")]
                    elif row.nhs_number in existing:
                        errors = [RowError(line, "nhs_number", "This patient is already in the cohort.")]
                    else:
                        checked.first_lines[row.nhs_number] = line
                if errors:
                    checked.add(errors)
                done += 1
                if done % PROGRESS_EVERY_ROWS == 0:
                    progress.update(processed_rows=done)
        except CsvProblem as problem:
            checked.unreadable = True
            checked.add([RowError(problem.line, "", problem.reason)])
    progress.update(processed_rows=done, error_count=checked.error_count, errors=checked.error_dicts)


def _sampler() -> random.Random:
    seed = getattr(settings, "REVIEWS_SECOND_REVIEW_SEED", None)
    if seed is None:
        return secrets.SystemRandom()
    return random.Random(seed)  # noqa: S311 - a fixed seed for tests and benchmarks; not for secrets


def _share_of(count: int, share: Decimal) -> int:
    return int((Decimal(count) * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _finish(cohort_import: CohortImport, checked: _Checked, *, status: str, imported: int = 0) -> None:
    changes: dict[str, Any] = {
        "status": status,
        "total_rows": checked.total,
        "imported_rows": imported,
        "error_count": checked.error_count,
        "errors": checked.error_dicts,
        "finished_at": timezone.now(),
    }
    if status != ImportStatus.FAILED:
        changes["processed_rows"] = checked.total
    CohortImport.objects.filter(pk=cohort_import.pk).update(**changes)
    cohort_import.refresh_from_db()
    audit_record(
        actor=cohort_import.uploaded_by,
        verb=ReviewsVerb.COHORT_IMPORT_FINISHED,
        target=cohort_import,
        scope=cohort_import.wave.cohort.case,
        after={
            "status": status,
            "rows": checked.total,
            "imported": imported,
            "errors": checked.error_count,
        },
    )


def _patient(row: PatientRow, cohort: Cohort, wave: Wave, number: int, sampled: bool) -> CohortPatient:
    return CohortPatient(
        cohort=cohort,
        wave=wave,
        reference=f"R{cohort.pk}-{number:06d}",
        nhs_number=row.nhs_number,
        date_of_birth=row.date_of_birth,
        admitted_on=row.admitted_on,
        event_kind=row.event_kind,
        event_on=row.event_on,
        age_band=row.age_band,
        specialty_id=row.specialty_id,
        category=row.category,
        identification_source=row.identification_source,
        second_review=SecondReviewReason.SAMPLED if sampled else "",
    )


@transaction.atomic
def _save_rows(cohort_import: CohortImport, checked: _Checked, checker: RowChecker) -> None:
    """Saves the valid rows in one transaction, so that an import is all or nothing. The cohort is locked: the
    review references are numbered from it, and another import may have added the same patients since the
    check, which is looked at again here."""
    locked = CohortImport.objects.select_for_update().get(pk=cohort_import.pk)
    if locked.status not in UNFINISHED_IMPORTS:
        return  # another run finished it
    cohort = _lock_cohort(cohort_import.wave.cohort)
    added_since: set[str] = set()
    if cohort.next_number != checked.next_number:
        now_in = set(CohortPatient.objects.filter(cohort=cohort).values_list("nhs_number", flat=True))
        added_since = {number for number in checked.first_lines if number in now_in}
    if added_since:
        lines = sorted(checked.first_lines[number] for number in added_since)
        checked.add([RowError(line, "nhs_number", "This patient is already in the cohort.") for line in lines])
        if not cohort_import.valid_rows_only:
            _finish(cohort_import, checked, status=ImportStatus.INVALID)
            return
    count = len(checked.first_lines) - len(added_since)
    if count == 0:
        _finish(cohort_import, checked, status=ImportStatus.INVALID)
        return
    sampled = set(_sampler().sample(range(count), _share_of(count, cohort.second_review_share)))
    start = cohort.next_number
    Cohort.objects.filter(pk=cohort.pk).update(next_number=start + count)
    wave = cohort_import.wave
    batch: list[CohortPatient] = []
    index = 0
    with _text_of(cohort_import) as text:
        rows = _rows(text)
        next(rows)
        for line, record in rows:
            row, _ = checker.check(line, record)
            if row is None or checked.first_lines.get(row.nhs_number) != line or row.nhs_number in added_since:
                continue
            batch.append(_patient(row, cohort, wave, start + index, index in sampled))
            index += 1
            if len(batch) >= INSERT_BATCH_SIZE:
                CohortPatient.objects.bulk_create(batch)
                batch = []
    CohortPatient.objects.bulk_create(batch)
    if index != count:
        raise RuntimeError("The file changed while it was imported.")
    _finish(cohort_import, checked, status=ImportStatus.DONE, imported=count)


def cohort_import_run(*, cohort_import_id: int) -> CohortImport | None:
    """Checks a queued import's whole file, streaming it, then saves its valid rows in one transaction: all of
    them, or (with ``valid_rows_only``) those without errors. Progress is recorded as it goes. Safe to run twice:
    a finished import is left alone, and one whose run died part-way is done again from the start. Returns the
    import, or None when there was nothing to do."""
    claimed = CohortImport.objects.filter(pk=cohort_import_id, status__in=UNFINISHED_IMPORTS).update(
        status=ImportStatus.CHECKING, processed_rows=0
    )
    if not claimed:
        return None
    cohort_import = CohortImport.objects.select_related("wave__cohort__case", "uploaded_by").get(pk=cohort_import_id)
    checked = _Checked()
    try:
        _count_rows(cohort_import, checked)
        CohortImport.objects.filter(pk=cohort_import.pk).update(total_rows=checked.total)
        if checked.unreadable:
            with transaction.atomic():
                _finish(cohort_import, checked, status=ImportStatus.INVALID)
            return cohort_import
        checker = _checker(checked)
        _check_rows(cohort_import, checked, checker)
        if checked.unreadable or not checked.first_lines or (checked.error_count and not cohort_import.valid_rows_only):
            with transaction.atomic():
                _finish(cohort_import, checked, status=ImportStatus.INVALID)
            return cohort_import
        CohortImport.objects.filter(pk=cohort_import.pk).update(status=ImportStatus.IMPORTING)
        _save_rows(cohort_import, checked, checker)
    except Exception as error:  # noqa: BLE001 - recorded on the import; the message may quote a patient's data
        logger.error("Cohort import %s failed: %s", cohort_import_id, type(error).__name__)
        with transaction.atomic():
            _finish(cohort_import, checked, status=ImportStatus.FAILED)
    cohort_import.refresh_from_db()
    return cohort_import


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


def _active(kind: str) -> Exists:
    return Exists(Assignment.objects.filter(Assignment.ACTIVE, patient=OuterRef("pk"), kind=kind))


def _needs(cohort: Cohort) -> list[Need]:
    waiting = (
        CohortPatient.objects.filter(cohort=cohort)
        .alias(has_first=_active(AssignmentKind.FIRST), has_second=_active(AssignmentKind.SECOND))
        .filter(Q(has_first=False) | (~Q(second_review="") & Q(has_second=False)))
        .annotate(needs_first=~_active(AssignmentKind.FIRST), needs_second=~_active(AssignmentKind.SECOND))
        .order_by("reference")
        .values_list("pk", "specialty_id", "second_review", "needs_first", "needs_second")
    )
    rows = list(waiting)
    taken: dict[int, set[int]] = {}
    if rows:
        had = Assignment.objects.filter(patient__cohort=cohort).values_list("patient_id", "reviewer_id")
        for patient_id, reviewer_id in had.iterator(chunk_size=10000):
            taken.setdefault(patient_id, set()).add(reviewer_id)
    return [
        Need(
            patient_id=pk,
            specialty_id=specialty_id,
            first=needs_first,
            second=bool(second_review) and needs_second,
            taken=frozenset(taken.get(pk, ())),
        )
        for pk, specialty_id, second_review, needs_first, needs_second in rows
    ]


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
    _require_manager(actor, cohort.case)
    cohort = _lock_cohort(cohort)
    _require_open(cohort.case)
    needs = _needs(cohort)
    plan = plan_reviews(needs=needs, reviewers=_places(eligible_reviewers(case=cohort.case)))
    specialty_of = {need.patient_id: need.specialty_id for need in needs}
    now = timezone.now()
    Assignment.objects.bulk_create(
        (
            Assignment(patient_id=patient_id, reviewer_id=expert_id, kind=kind, assigned_at=now, assigned_by=actor)
            for patient_id, kind, expert_id in plan.given
        ),
        batch_size=INSERT_BATCH_SIZE,
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

    Idempotent: returns the patient's current second-review assignment if there is one, else the new one, else
    None; an audit event is recorded only when something changed."""
    if reason not in SecondReviewReason.values:
        raise ValidationError({"reason": "Choose why the patient needs a second review."})
    cohort = _lock_cohort(Cohort(pk=patient.cohort_id))
    patient = CohortPatient.objects.select_for_update().get(pk=patient.pk)
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
    return assignment


@transaction.atomic
def assignment_reassign(
    *, actor: User, assignment: Assignment, reason: str, reviewer: Expert | None = None
) -> Assignment:
    """Ends the assignment with the reason given and gives the review to ``reviewer``, or when none is named to
    the least-loaded eligible reviewer with capacity who has never had the patient. A submitted review cannot be
    reassigned."""
    case = assignment.patient.cohort.case
    _require_manager(actor, case)
    cohort = _lock_cohort(assignment.patient.cohort)
    _require_open(cohort.case)
    assignment = Assignment.objects.select_for_update().select_related("patient", "reviewer").get(pk=assignment.pk)
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
    assignment.end_reason = reason.strip()
    assignment.save(update_fields=["ended_at", "end_reason"])
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
    return new
