"""A real Celery worker and beat, started as processes, talking through the real broker (Redis in CI)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from failure_regime.celery import app
from failure_regime.tasks import HEARTBEAT_CACHE_KEY

pytestmark = [
    pytest.mark.integration,
    # One worker and beat for the whole module, however the suite is split across processes.
    pytest.mark.xdist_group("celery"),
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL.startswith("redis://"), reason="needs a Redis broker (set CELERY_BROKER_URL)"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
CELERY = [sys.executable, "-m", "celery", "-A", "failure_regime"]
# The module's worker also takes this queue, which no other test's worker does: the echo cannot be taken elsewhere.
OWN_QUEUE = f"integration-{os.getpid()}"


def _wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def celery_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "CELERY_HEARTBEAT_SECONDS": "1"}
    schedule = tmp_path_factory.mktemp("beat") / "schedule"
    processes = [
        subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                *CELERY,
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "--without-mingle",
                "--without-gossip",
                f"--queues=celery,{OWN_QUEUE}",
            ],
            cwd=ROOT,
            env=env,
        ),
        subprocess.Popen(  # noqa: S603 - fixed arguments
            [*CELERY, "beat", "--loglevel=WARNING", f"--schedule={schedule}"],
            cwd=ROOT,
            env=env,
        ),
    ]
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_celery_sends_through_the_broker_the_settings_name() -> None:
    # Celery prefers CELERY_BROKER_URL from the environment to its settings: the two must agree, or the workers a
    # test starts and the messages it sends meet on another test process's broker.
    assert app.conf.broker_url == settings.CELERY_BROKER_URL


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_a_task_goes_through_the_broker_and_runs_on_the_worker(celery_processes: None) -> None:
    token = uuid.uuid4().hex
    app.send_task("failure_regime.tasks.echo", args=[token], queue=OWN_QUEUE)
    assert _wait_for(lambda: cache.get(f"celery:echo:{token}") == token)


def test_beat_runs_the_schedule(celery_processes: None) -> None:
    started = timezone.now()

    def beat_seen() -> bool:
        value = cache.get(HEARTBEAT_CACHE_KEY)
        return bool(value) and datetime.fromisoformat(value) > started

    assert _wait_for(beat_seen)
