"""A cohort import whose worker dies is started again by the periodic resume, exactly once: a run claims the
import and keeps a heartbeat; a stale heartbeat means the run died; an import whose every run died is failed."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from accounts.models import AuditEvent, User
from failure_regime.models import Notification, NotificationEvent
from reviews import tasks
from reviews.models import Cohort, CohortImport, ImportStatus, Wave
from reviews.services import cohort_import as imports
from reviews.services.cohort_import import (
    MAX_ATTEMPTS,
    cohort_import_run,
    cohort_import_start,
    cohort_imports_abandon,
    cohort_imports_waiting,
)
from reviews.verbs import ReviewsVerb
from tests.reviews.cohort_fixtures import *  # noqa: F403
from tests.reviews.cohort_fixtures import csv_text, upload

pytestmark = pytest.mark.django_db


def _running(manager: User, wave: Wave, *, beat_seconds_ago: int, attempts: int = 1) -> CohortImport:
    """An import a run claimed and last heard from ``beat_seconds_ago`` seconds ago."""
    started = cohort_import_start(actor=manager, wave=wave, upload=upload(csv_text(3)))
    CohortImport.objects.filter(pk=started.pk).update(
        status=ImportStatus.CHECKING,
        processed_rows=2,
        attempts=attempts,
        heartbeat_at=timezone.now() - datetime.timedelta(seconds=beat_seconds_ago),
    )
    return started


def _stale() -> int:
    return settings.COHORT_IMPORT_STALE_SECONDS + 1


def test_a_run_records_its_attempt_and_heartbeat(manager: User, wave: Wave) -> None:
    started = cohort_import_start(actor=manager, wave=wave, upload=upload(csv_text(3)))
    done = cohort_import_run(cohort_import_id=started.pk)
    assert done is not None and done.status == ImportStatus.DONE
    assert done.attempts == 1 and done.heartbeat_at is not None


def test_an_import_another_run_is_working_on_is_left_to_it(manager: User, wave: Wave, cohort: Cohort) -> None:
    running = _running(manager, wave, beat_seconds_ago=5)
    assert cohort_import_run(cohort_import_id=running.pk) is None
    running.refresh_from_db()
    assert (running.status, running.attempts) == (ImportStatus.CHECKING, 1)
    assert not cohort.patients.exists()
    assert running.pk not in cohort_imports_waiting()


def test_an_import_whose_run_died_is_found_and_done_once(manager: User, wave: Wave, cohort: Cohort) -> None:
    dead = _running(manager, wave, beat_seconds_ago=_stale())
    assert cohort_imports_waiting() == [dead.pk]
    done = cohort_import_run(cohort_import_id=dead.pk)
    assert done is not None and (done.status, done.attempts) == (ImportStatus.DONE, 2)
    assert cohort.patients.count() == 3
    assert cohort_import_run(cohort_import_id=dead.pk) is None
    assert cohort.patients.count() == 3
    assert AuditEvent.objects.filter(verb=ReviewsVerb.COHORT_IMPORT_FINISHED).count() == 1


def test_the_resume_task_queues_the_dead_and_leaves_the_living(
    manager: User, wave: Wave, cohort: Cohort, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = _running(manager, wave, beat_seconds_ago=_stale())
    _running(manager, wave, beat_seconds_ago=5)
    queued: list[int] = []
    monkeypatch.setattr(tasks.cohort_import_run, "delay", queued.append)
    assert tasks.cohort_imports_resume() == 1
    assert queued == [dead.pk]


def test_an_import_whose_every_run_died_is_failed_and_its_uploader_told(
    manager: User, wave: Wave, cohort: Cohort
) -> None:
    dead = _running(manager, wave, beat_seconds_ago=_stale(), attempts=MAX_ATTEMPTS)
    assert cohort_imports_waiting() == []
    assert cohort_import_run(cohort_import_id=dead.pk) is None
    assert cohort_imports_abandon() == 1
    dead.refresh_from_db()
    assert dead.status == ImportStatus.FAILED and dead.finished_at is not None
    assert not cohort.patients.exists()
    assert AuditEvent.objects.filter(verb=ReviewsVerb.COHORT_IMPORT_FINISHED, target_id=str(dead.pk)).count() == 1
    told = Notification.objects.get(user=manager, event=NotificationEvent.IMPORT_FINISHED)
    assert "the import failed" in told.title
    assert cohort_imports_abandon() == 0


def test_a_heartbeat_goes_stale_as_the_clock_moves(manager: User, wave: Wave) -> None:
    running = _running(manager, wave, beat_seconds_ago=0)
    assert cohort_imports_waiting() == []
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=_stale())):
        assert cohort_imports_waiting() == [running.pk]


def test_a_run_stopped_by_its_time_limit_is_recorded_as_failed(
    manager: User, wave: Wave, cohort: Cohort, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = cohort_import_start(actor=manager, wave=wave, upload=upload(csv_text(3)))

    def out_of_time(*args: object) -> None:
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(imports, "_check_rows", out_of_time)
    done = cohort_import_run(cohort_import_id=started.pk)
    assert done is not None and done.status == ImportStatus.FAILED
    assert not cohort.patients.exists()


def test_the_import_task_has_its_own_time_limit() -> None:
    soft, hard = tasks.cohort_import_run.soft_time_limit, tasks.cohort_import_run.time_limit
    assert soft == settings.COHORT_IMPORT_TIME_LIMIT_SECONDS
    assert hard is not None and hard > soft
