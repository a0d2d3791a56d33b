"""Importing a cohort's patients from a CSV file: the upload is kept and queued, then a worker checks the whole
file as it streams (every bad row reported with its line and reason, duplicates in the file and in the cohort
found), and saves the valid rows in one transaction: all of them, or none when any row is bad unless the user
chose to import only the valid rows. Progress is recorded as it goes, for the progress page.

Memory stays flat whatever the size of the file: rows are checked one at a time and the valid ones are written to
a temporary file; only the NHS numbers seen, with their lines, are held, to find duplicates. No message, log line
or task argument carries an NHS number.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import random
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from failure_regime.screening import screen_content
from failure_regime.uploads import CSV, display_name, storage_name
from reviews.models import Cohort, CohortImport, CohortPatient, ImportStatus, SecondReviewReason, Specialty, Wave
from reviews.services.cohort import (
    cohort_lock,
    cohort_upload_max_bytes,
    csv_lines_insert,
    open_case_required,
    review_manager_required,
)
from reviews.services.cohort_rows import CsvProblem, RowChecker, RowError, delimiter_of, header_columns, records
from reviews.services.notification_events import import_finished_notify
from reviews.verbs import ReviewsVerb

logger = logging.getLogger(__name__)

# How many errors an import keeps to show (all are counted), and how often it records its progress.
MAX_KEPT_ERRORS = 1000
PROGRESS_EVERY_ROWS = 2000
UNFINISHED_IMPORTS = (ImportStatus.QUEUED, ImportStatus.CHECKING, ImportStatus.IMPORTING)
RUNNING_IMPORTS = (ImportStatus.CHECKING, ImportStatus.IMPORTING)
# How many runs an import gets. A file that kills its worker each time (by exhausting its memory, say) is failed
# after this many, rather than started again for ever.
MAX_ATTEMPTS = 3
_SNIFF_BYTES = 64 * 1024
# The fields of a patient, in the order the checked rows are kept in the temporary file.
_KEPT = [
    "nhs_number",
    "date_of_birth",
    "admitted_on",
    "event_kind",
    "event_on",
    "specialty_id",
    "category",
    "identification_source",
    "age_band",
]


# --- The upload ---------------------------------------------------------------------------------


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
    try:
        screen_content(upload, name=name)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None


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
    lines = text.splitlines()
    return bool(lines) and any(delimiter in lines[0] for delimiter in ",;\t")


@transaction.atomic
def cohort_import_start(
    *, actor: User, wave: Wave, upload: UploadedFile, valid_rows_only: bool = False
) -> CohortImport:
    """Keeps the uploaded CSV file under a generated name and queues it, by its id only, to be checked and
    imported in the background once this transaction commits. Unless ``valid_rows_only``, a file with any bad
    row imports nothing."""
    cohort = wave.cohort
    review_manager_required(actor, cohort.case)
    open_case_required(cohort.case)
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


def _stale_before() -> datetime.datetime:
    """A running import whose heartbeat is older than this has lost its worker."""
    return timezone.now() - datetime.timedelta(seconds=settings.COHORT_IMPORT_STALE_SECONDS)


def _runnable(stale_before: datetime.datetime) -> Q:
    """Imports a run may claim: queued ones, and running ones whose heartbeat is stale (or was never given)."""
    stale = Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True)
    return Q(status=ImportStatus.QUEUED) | (Q(status__in=RUNNING_IMPORTS) & stale)


def cohort_imports_waiting(*, older_than_seconds: int = 300) -> list[int]:
    """Imports to start again: those still queued some minutes after upload (the broker was down, say) and those
    whose run died (their heartbeat is stale) with attempts left. For the periodic resume; a run claims an import
    before it starts, so one queued twice still runs once."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    queued = Q(status=ImportStatus.QUEUED, uploaded_at__lt=cutoff)
    dead = _runnable(_stale_before()) & Q(status__in=RUNNING_IMPORTS)
    return list(
        CohortImport.objects.filter(queued | dead, attempts__lt=MAX_ATTEMPTS)
        .order_by("uploaded_at", "pk")
        .values_list("pk", flat=True)
    )


def cohort_imports_abandon() -> int:
    """Fails the imports whose every attempt died part-way, and tells their uploader. Returns how many."""
    dead = CohortImport.objects.filter(
        _runnable(_stale_before()), status__in=RUNNING_IMPORTS, attempts__gte=MAX_ATTEMPTS
    ).select_related("wave__cohort__case", "uploaded_by")
    count = 0
    for cohort_import in dead:
        with transaction.atomic():
            claimed = (
                CohortImport.objects.filter(pk=cohort_import.pk, status__in=RUNNING_IMPORTS)
                .filter(_runnable(_stale_before()))
                .update(status=ImportStatus.FAILED)
            )
            if claimed:
                logger.error("Cohort import %s failed: its run died %s times.", cohort_import.pk, MAX_ATTEMPTS)
                _finish(cohort_import, _Checked(kept=io.StringIO()), status=ImportStatus.FAILED)
                count += 1
    return count


# --- The check ----------------------------------------------------------------------------------


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


def _rows(text: io.TextIOWrapper) -> Iterator[tuple[int, list[str]]]:
    first = text.readline()
    return records(chain([first], text), delimiter=delimiter_of(first))


@dataclass
class _Checked:
    """What the check of a whole file found: the valid rows (kept as CSV lines in ``kept``, a temporary file),
    the first line of each valid NHS number, and the errors."""

    kept: IO[str]
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


def _count_rows(cohort_import: CohortImport, checked: _Checked) -> None:
    """Counts the rows, for the progress bar, and checks the header line."""
    header: tuple[int, list[str]] | None = None
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


def _check_rows(cohort_import: CohortImport, checked: _Checked) -> None:
    """Checks every row. Each valid row seen for the first time is written to the temporary file with its line."""
    cohort = cohort_import.wave.cohort
    checked.next_number = Cohort.objects.values_list("next_number", flat=True).get(pk=cohort.pk)
    existing = set(CohortPatient.objects.filter(cohort=cohort).values_list("nhs_number", flat=True))
    specialties = {name.lower(): pk for pk, name in Specialty.objects.values_list("pk", "name")}
    checker = RowChecker(columns=checked.columns, specialties=specialties, today=timezone.localdate())
    # Quoted, one line each (no value can hold a line break), ready to be sent to the database as they are.
    keep = csv.writer(checked.kept, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow
    first_lines = checked.first_lines
    progress = CohortImport.objects.filter(pk=cohort_import.pk)
    done = 0
    with _text_of(cohort_import) as text:
        rows = _rows(text)
        next(rows)
        try:
            for line, record in rows:
                row, errors = checker.check(line, record)
                if row is not None:
                    first = first_lines.get(row.nhs_number)
                    if first is not None:
                        errors = [RowError(line, "nhs_number", f"The same NHS number is on line {first}.")]
                    elif row.nhs_number in existing:
                        errors = [RowError(line, "nhs_number", "This patient is already in the cohort.")]
                    else:
                        first_lines[row.nhs_number] = line
                        keep(row)
                if errors:
                    checked.add(errors)
                done += 1
                if done % PROGRESS_EVERY_ROWS == 0:
                    progress.update(processed_rows=done, heartbeat_at=timezone.now())
        except CsvProblem as problem:
            checked.unreadable = True
            checked.add([RowError(problem.line, "", problem.reason)])
    progress.update(processed_rows=done, error_count=checked.error_count, errors=checked.error_dicts)


# --- The save -----------------------------------------------------------------------------------


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
        after={"status": status, "rows": checked.total, "imported": imported, "errors": checked.error_count},
    )
    import_finished_notify(cohort_import=cohort_import)


@transaction.atomic
def _save_rows(cohort_import: CohortImport, checked: _Checked) -> None:
    """Saves the valid rows in one transaction, so that an import is all or nothing. The cohort is locked: the
    review references are numbered from it, and another import may have added some of the same patients since
    the check, which is looked at again here."""
    locked = CohortImport.objects.select_for_update().get(pk=cohort_import.pk)
    if locked.status not in UNFINISHED_IMPORTS:
        return  # another run finished it
    cohort = cohort_lock(cohort_import.wave.cohort)
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
    checked.kept.seek(0)
    kept: Iterator[str] = iter(checked.kept)
    if added_since:
        kept = (line for line in kept if next(csv.reader([line]))[0] not in added_since)
    prefix = f"{cohort.pk},{cohort_import.wave_id},"
    reference = f"R{cohort.pk}-"
    flags = ('"",', f'"{SecondReviewReason.SAMPLED}",')
    inserted = csv_lines_insert(
        CohortPatient,
        ["cohort_id", "wave_id", "reference", "second_review", *_KEPT],
        (
            f'{prefix}"{reference}{start + index:06d}",{flags[index in sampled]}{line}'
            for index, line in enumerate(kept)
        ),
    )
    if inserted != count:
        raise RuntimeError("The checked rows changed before they were saved.")
    _finish(cohort_import, checked, status=ImportStatus.DONE, imported=count)


def cohort_import_run(*, cohort_import_id: int) -> CohortImport | None:
    """Checks a queued import's whole file, streaming it, then saves its valid rows in one transaction: all of
    them, or (with ``valid_rows_only``) those without errors. Progress is recorded as it goes. Safe to run twice:
    a finished import is left alone, one another run is working on (its heartbeat is fresh) too, and one whose run
    died part-way (its heartbeat is stale) is done again from the start: nothing is saved until the one transaction
    at the end, so a run that dies leaves no rows. Returns the import, or None when there was nothing to do."""
    claimed = (
        CohortImport.objects.filter(pk=cohort_import_id, attempts__lt=MAX_ATTEMPTS)
        .filter(_runnable(_stale_before()))
        .update(status=ImportStatus.CHECKING, processed_rows=0, heartbeat_at=timezone.now(), attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    cohort_import = CohortImport.objects.select_related("wave__cohort__case", "uploaded_by").get(pk=cohort_import_id)
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="") as kept:
        checked = _Checked(kept=kept)
        try:
            _count_rows(cohort_import, checked)
            CohortImport.objects.filter(pk=cohort_import.pk).update(
                total_rows=checked.total, heartbeat_at=timezone.now()
            )
            if not checked.unreadable:
                _check_rows(cohort_import, checked)
            has_errors = checked.error_count and not cohort_import.valid_rows_only
            if checked.unreadable or has_errors or not checked.first_lines:
                with transaction.atomic():
                    _finish(cohort_import, checked, status=ImportStatus.INVALID)
            else:
                # The save holds the import's row lock until it commits, so a resume that finds this heartbeat
                # stale meanwhile waits for the save and then finds the import done.
                CohortImport.objects.filter(pk=cohort_import.pk).update(
                    status=ImportStatus.IMPORTING, heartbeat_at=timezone.now()
                )
                _save_rows(cohort_import, checked)
        except Exception as error:  # noqa: BLE001 - recorded on the import; its message may quote a patient's data
            logger.error("Cohort import %s failed: %s", cohort_import_id, type(error).__name__)
            with transaction.atomic():
                _finish(cohort_import, checked, status=ImportStatus.FAILED)
    cohort_import.refresh_from_db()
    return cohort_import
