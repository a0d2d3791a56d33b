"""Importing a cohort file: every bad row reported, all or nothing unless only the valid rows are wanted,
duplicates, waves, the random second-review sample, progress, and a task that is safe to run twice."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.models import AuditEvent, User
from failure_regime.models import Case
from reviews.models import Cohort, CohortPatient, ImportStatus, SecondReviewReason, Wave
from reviews.services.cohort import cohort_create, wave_add
from reviews.services.cohort_import import cohort_import_run, cohort_import_start, cohort_imports_waiting
from reviews.verbs import ReviewsVerb
from tests.reviews.cohort_fixtures import *  # noqa: F403
from tests.reviews.cohort_fixtures import HEADER, ImportFile, csv_text, nhs_numbers, row, upload

pytestmark = pytest.mark.django_db


def test_it_imports_a_valid_file(import_file: ImportFile, cohort: Cohort) -> None:
    done = import_file(csv_text(5))
    assert (done.status, done.imported_rows, done.error_count) == (ImportStatus.DONE, 5, 0)
    assert cohort.patients.count() == 5


def test_patients_get_numbered_references_and_age_bands(import_file: ImportFile, cohort: Cohort) -> None:
    import_file(csv_text(2))
    patients = list(cohort.patients.order_by("reference"))
    assert [p.reference for p in patients] == [f"R{cohort.pk}-000001", f"R{cohort.pk}-000002"]
    assert patients[0].age_band == "30 to 39"


def test_a_file_with_a_bad_row_imports_nothing(import_file: ImportFile, cohort: Cohort) -> None:
    done = import_file(csv_text(3, extra=[row("9434765918")]))
    assert (done.status, done.imported_rows) == (ImportStatus.INVALID, 0)
    assert not cohort.patients.exists()


def test_every_bad_row_is_reported_with_its_line_and_reason(import_file: ImportFile) -> None:
    bad = [row("9434765918"), row("9434765919", event_type="illness", specialty="Dentistry")]
    done = import_file(csv_text(1, extra=bad))
    assert [(e["line"], e["field"]) for e in done.errors] == [
        (3, "nhs_number"),
        (4, "event_type"),
        (4, "specialty"),
    ]


def test_errors_never_quote_the_nhs_number(import_file: ImportFile) -> None:
    done = import_file(csv_text(1, extra=[row("9434765918"), row("9990000018")]))
    assert "943476591" not in str(done.errors) and "999000001" not in str(done.errors)


def test_valid_rows_only_imports_the_good_rows(import_file: ImportFile, cohort: Cohort) -> None:
    done = import_file(csv_text(3, extra=[row("9434765918")]), valid_rows_only=True)
    assert (done.status, done.imported_rows, done.error_count) == (ImportStatus.DONE, 3, 1)
    assert cohort.patients.count() == 3


def test_a_duplicate_in_the_file_names_the_first_line(import_file: ImportFile) -> None:
    first = next(nhs_numbers())
    done = import_file(csv_text(1, extra=[row(first)]))
    assert done.errors == [{"line": 3, "field": "nhs_number", "reason": "The same NHS number is on line 2."}]


def test_a_duplicate_in_the_file_keeps_the_first_when_importing_valid_rows(
    import_file: ImportFile, cohort: Cohort
) -> None:
    first = next(nhs_numbers())
    import_file(csv_text(1, extra=[row(first, category="Second copy")]), valid_rows_only=True)
    assert list(cohort.patients.values_list("category", flat=True)) == ["Maternal death"]


def test_a_patient_already_in_the_cohort_is_a_duplicate(import_file: ImportFile, cohort: Cohort) -> None:
    import_file(csv_text(2))
    done = import_file(csv_text(3))
    assert done.status == ImportStatus.INVALID and done.error_count == 2
    assert cohort.patients.count() == 2


def test_a_later_wave_adds_to_the_cohort(import_file: ImportFile, cohort: Cohort, manager: User) -> None:
    import_file(csv_text(2))
    second = wave_add(actor=manager, cohort=cohort, criteria_version="v2", inclusion_criteria="Also stillbirths.")
    import_file(csv_text(3, start=50), into=second)
    assert list(cohort.patients.filter(wave=second).values_list("reference", flat=True)) == [
        f"R{cohort.pk}-000003",
        f"R{cohort.pk}-000004",
        f"R{cohort.pk}-000005",
    ]


def test_waves_are_numbered_with_their_criteria_version(cohort: Cohort, manager: User, wave: Wave) -> None:
    second = wave_add(actor=manager, cohort=cohort, criteria_version="v2", inclusion_criteria="Also stillbirths.")
    assert (second.number, second.criteria_version) == (2, "v2")


def test_a_header_problem_imports_nothing_even_for_valid_rows_only(import_file: ImportFile) -> None:
    text = csv_text(2).replace("category", "patient_name")
    done = import_file(text, valid_rows_only=True)
    assert done.status == ImportStatus.INVALID and done.errors[0]["line"] == 1


def test_a_file_with_only_a_header_is_invalid(import_file: ImportFile) -> None:
    assert import_file(HEADER + "\n").status == ImportStatus.INVALID


def test_a_byte_order_mark_and_windows_line_ends_are_accepted(import_file: ImportFile) -> None:
    text = "\ufeff" + csv_text(2).replace("\n", "\r\n")
    assert import_file(text.encode("utf-8")).imported_rows == 2


def test_the_upload_refuses_a_file_that_is_not_utf8(manager: User, wave: Wave) -> None:
    text = csv_text(1, extra=[row("9434765919", category="Caf\xe9")]).encode("latin-1")
    with pytest.raises(ValidationError):
        cohort_import_start(actor=manager, wave=wave, upload=upload(text))


def test_bytes_that_are_not_utf8_further_on_are_reported_on_their_line(import_file: ImportFile) -> None:
    text = csv_text(800, extra=[row("9434765919", category="Caf\xe9")]).encode("latin-1")
    done = import_file(text)
    assert done.errors[0]["line"] == 802 and "UTF-8" in done.errors[0]["reason"]


def test_semicolon_files_are_read(import_file: ImportFile) -> None:
    assert import_file(csv_text(2).replace(",", ";")).imported_rows == 2


def test_progress_counts_every_row(import_file: ImportFile) -> None:
    done = import_file(csv_text(4, extra=[row("9434765918")]), valid_rows_only=True)
    assert (done.total_rows, done.processed_rows, done.percent_done) == (5, 5, 100)


def test_a_second_run_of_a_finished_import_does_nothing(import_file: ImportFile, cohort: Cohort) -> None:
    done = import_file(csv_text(3))
    assert cohort_import_run(cohort_import_id=done.pk) is None
    assert cohort.patients.count() == 3


def test_a_run_that_died_part_way_is_done_again(manager: User, wave: Wave, cohort: Cohort) -> None:
    started = cohort_import_start(actor=manager, wave=wave, upload=upload(csv_text(3)))
    type(started).objects.filter(pk=started.pk).update(status=ImportStatus.IMPORTING, processed_rows=2)
    assert cohort_import_run(cohort_import_id=started.pk).status == ImportStatus.DONE  # type: ignore[union-attr]
    assert cohort.patients.count() == 3


def test_the_upload_queues_the_import_once_committed(
    manager: User, wave: Wave, cohort: Cohort, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        started = cohort_import_start(actor=manager, wave=wave, upload=upload(csv_text(2)))
    started.refresh_from_db()
    assert started.status == ImportStatus.DONE and cohort.patients.count() == 2


def test_the_upload_and_the_finish_are_audited(import_file: ImportFile) -> None:
    done = import_file(csv_text(1))
    events = AuditEvent.objects.filter(target_id=str(done.pk), verb__startswith="cohort.import")
    verbs = set(events.values_list("verb", flat=True))
    assert verbs == {ReviewsVerb.COHORT_IMPORT_STARTED, ReviewsVerb.COHORT_IMPORT_FINISHED}


def test_the_audit_trail_never_holds_an_nhs_number(import_file: ImportFile) -> None:
    import_file(csv_text(2, extra=[row("9434765918")]), valid_rows_only=True)
    events = list(AuditEvent.objects.values_list("before", "after", "target_label"))
    assert "99900000" not in str(events) and "943476591" not in str(events)


@override_settings(REVIEWS_SECOND_REVIEW_SEED=7)
def test_the_random_sample_is_the_cohort_share_of_each_import(import_file: ImportFile, cohort: Cohort) -> None:
    import_file(csv_text(12))
    sampled = cohort.patients.filter(second_review=SecondReviewReason.SAMPLED).count()
    assert sampled == 2  # 20% of 12 is 2.4


@override_settings(REVIEWS_SECOND_REVIEW_SEED=7)
def test_the_sample_is_repeatable_with_a_seed(import_file: ImportFile, cohort: Cohort, manager: User) -> None:
    import_file(csv_text(10))
    chosen = set(cohort.patients.filter(second_review=SecondReviewReason.SAMPLED).values_list("reference", flat=True))
    CohortPatient.objects.all().delete()
    Cohort.objects.filter(pk=cohort.pk).update(next_number=1)
    import_file(csv_text(10, start=100))
    again = set(cohort.patients.filter(second_review=SecondReviewReason.SAMPLED).values_list("reference", flat=True))
    assert chosen == again


def test_the_share_rounds_half_up(case: Case, manager: User, obstetrics: object, import_file: ImportFile) -> None:
    Cohort.objects.filter(case=case).update(second_review_share=Decimal("0.25"))
    import_file(csv_text(10))
    assert CohortPatient.objects.filter(second_review=SecondReviewReason.SAMPLED).count() == 3  # 2.5 -> 3


def test_the_upload_refuses_a_file_that_is_not_csv(manager: User, wave: Wave) -> None:
    with pytest.raises(ValidationError) as error:
        cohort_import_start(actor=manager, wave=wave, upload=upload(b"%PDF-1.4 ...", name="cohort.csv"))
    assert "must be a CSV file" in str(error.value)


@override_settings(REVIEWS_COHORT_UPLOAD_MAX_BYTES=100)
def test_the_upload_refuses_a_file_over_the_size_limit(manager: User, wave: Wave) -> None:
    with pytest.raises(ValidationError) as error:
        cohort_import_start(actor=manager, wave=wave, upload=upload(csv_text(5)))
    assert "larger than" in str(error.value)


def test_only_a_review_manager_may_upload(trust_manager: User, wave: Wave) -> None:
    with pytest.raises(PermissionDenied):
        cohort_import_start(actor=trust_manager, wave=wave, upload=upload(csv_text(1)))


def test_a_case_has_one_cohort(manager: User, case: Case, cohort: Cohort) -> None:
    from accounts.errors import ConflictError

    with pytest.raises(ConflictError):
        cohort_create(actor=manager, case=case, title="Another")


def test_creating_a_cohort_is_audited_with_its_default_share(cohort: Cohort) -> None:
    event = AuditEvent.objects.get(verb=ReviewsVerb.COHORT_CREATED)
    assert event.target_id == str(cohort.pk) and cohort.second_review_share == Decimal("0.20")


@override_settings(REVIEWS_SECOND_REVIEW_SHARE="0.5")
def test_the_default_share_comes_from_the_setting(manager: User, case: Case) -> None:
    assert cohort_create(actor=manager, case=case, title="Half").second_review_share == Decimal("0.50")


def test_imports_left_queued_are_found_for_resuming(manager: User, wave: Wave) -> None:
    started = cohort_import_start(actor=manager, wave=wave, upload=upload(csv_text(1)))
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=10)):
        assert cohort_imports_waiting() == [started.pk]


def test_commas_and_quotes_in_a_category_are_kept(import_file: ImportFile, cohort: Cohort) -> None:
    import_file(csv_text(1, extra=[row("9434765919", category='"Sepsis, late ""red flag"""')]))
    assert set(cohort.patients.values_list("category", flat=True)) == {"Maternal death", 'Sepsis, late "red flag"'}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_same_import_save_it_once(manager: User, wave: Wave, cohort: Cohort) -> None:
    started = cohort_import_start(actor=manager, wave=wave, upload=upload(csv_text(50)))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            cohort_import_run(cohort_import_id=started.pk)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and cohort.patients.count() == 50
    assert AuditEvent.objects.filter(verb=ReviewsVerb.COHORT_IMPORT_FINISHED).count() == 1
