"""A real Celery worker killed (SIGKILL) in the middle of a cohort import, on PostgreSQL and Redis: the import is
left as the dead run left it, beat's periodic resume finds its stale heartbeat, a new worker does it again from the
start, and the cohort ends with every patient once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test import override_settings

from accounts.models import AuditEvent, User
from failure_regime.celery import app
from reviews.models import Cohort, CohortImport, CohortPatient, ImportStatus, Wave
from reviews.services import cohort_import as imports
from reviews.verbs import ReviewsVerb
from tests.reviews.cohort_fixtures import *  # noqa: F403
from tests.reviews.cohort_fixtures import csv_text, upload

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL.startswith("redis://") or connection.vendor != "postgresql",
        reason="needs PostgreSQL and a Redis broker (set DATABASE_URL and CELERY_BROKER_URL)",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

ROOT = Path(__file__).resolve().parents[2]
CELERY = [sys.executable, "-m", "celery", "-A", "failure_regime"]
ROWS = 60_000
STALE_SECONDS = 3


def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def media(tmp_path: Path) -> Iterator[Path]:
    """Uploads on a real file system that the worker processes read too."""
    storages = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    with override_settings(STORAGES=storages, MEDIA_ROOT=tmp_path):
        yield tmp_path


@pytest.fixture
def start(media: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Starts a Celery process (worker or beat) on the test database, the same broker and the same file system."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TEST_MEDIA_ROOT": str(media),
        "COHORT_IMPORT_STALE_SECONDS": str(STALE_SECONDS),
        "COHORT_IMPORT_RESUME_SECONDS": "1",
    }
    started: list[subprocess.Popen[bytes]] = []
    # Nothing left in the queue by an earlier test (beat's periodic tasks, say) runs before this test's import.
    app.control.purge()

    def _start(*arguments: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([*CELERY, *arguments], cwd=ROOT, env=env)  # noqa: S603 - fixed arguments
        started.append(process)
        return process

    yield _start
    for process in started:
        if process.poll() is None:
            process.terminate()
    for process in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    connection.close()


def _worker(start: Callable[..., subprocess.Popen[bytes]], *queues: str) -> subprocess.Popen[bytes]:
    """A worker on ``queues`` (Celery's default queue when none is named)."""
    named = ["--queues", ",".join(queues)] if queues else []
    return start("worker", "--pool=solo", "--loglevel=WARNING", "--without-mingle", "--without-gossip", *named)


def _status(pk: int) -> tuple[str, int]:
    return CohortImport.objects.values_list("status", "processed_rows").get(pk=pk)


@pytest.mark.parametrize("killed_while", [ImportStatus.CHECKING, ImportStatus.IMPORTING])
def test_an_import_whose_worker_is_killed_finishes_once_with_no_duplicate_rows(
    start: Callable[..., subprocess.Popen[bytes]],
    manager: User,
    wave: Wave,
    cohort: Cohort,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    killed_while: str,
) -> None:
    # The upload is queued through the broker, as in production (the test process itself runs tasks eagerly).
    monkeypatch.setattr(imports, "_request_import", lambda pk: None)
    started = imports.cohort_import_start(actor=manager, wave=wave, upload=upload(csv_text(ROWS)))
    # The first run goes through a queue of this test's own, so no other worker on the broker (another test's) can
    # take it; the resumed run goes through the default queue, as beat's periodic resume sends it.
    queue = f"cohort-import-crash-{os.getpid()}"
    first = _worker(start, queue)
    app.send_task("reviews.tasks.cohort_import_run", args=[started.pk], queue=queue)

    def mid_run() -> bool:
        status, processed = _status(started.pk)
        return status == killed_while and (killed_while == ImportStatus.IMPORTING or processed > 0)

    assert _wait_for(mid_run, 240), (
        f"the import never reached {killed_while}: {_status(started.pk)}; worker exit code {first.poll()}"
    )
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=20)

    left = CohortImport.objects.get(pk=started.pk)
    assert left.status == killed_while and left.attempts == 1
    # The save is one transaction: a worker killed in it leaves no rows (PostgreSQL rolls it back).
    assert _wait_for(lambda: not CohortPatient.objects.filter(cohort=cohort).exists(), 20)

    _worker(start)
    start("beat", "--loglevel=WARNING", f"--schedule={tmp_path_factory.mktemp('beat') / 'schedule'}")
    assert _wait_for(lambda: _status(started.pk)[0] == ImportStatus.DONE, 180), _status(started.pk)

    done = CohortImport.objects.get(pk=started.pk)
    assert (done.imported_rows, done.attempts) == (ROWS, 2)
    patients = CohortPatient.objects.filter(cohort=cohort)
    assert patients.count() == ROWS
    assert not patients.values("nhs_number").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert not patients.values("reference").annotate(n=Count("pk")).filter(n__gt=1).exists()
    finished = AuditEvent.objects.filter(verb=ReviewsVerb.COHORT_IMPORT_FINISHED, target_id=str(started.pk))
    assert finished.count() == 1
