"""Celery tasks of reviews. Each is an adapter: it takes ids, calls one service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


@shared_task(
    name="reviews.tasks.cohort_import_run",
    soft_time_limit=settings.COHORT_IMPORT_TIME_LIMIT_SECONDS,
    time_limit=settings.COHORT_IMPORT_TIME_LIMIT_SECONDS + 60,
)
def cohort_import_run(cohort_import_id: int) -> str:
    """Checks and imports an uploaded cohort file; a second run of a finished import does nothing."""
    from reviews.services.cohort_import import cohort_import_run as run

    cohort_import = run(cohort_import_id=cohort_import_id)
    return cohort_import.status if cohort_import is not None else "already done"


@shared_task(name="reviews.tasks.cohort_imports_resume")
def cohort_imports_resume() -> int:
    """Beat runs this every few minutes: fails the imports whose every run died, and queues again any import left
    waiting (the broker was down when it was uploaded, say) or whose worker died part-way (its heartbeat is stale).
    Returns how many were queued."""
    from reviews.services.cohort_import import cohort_imports_abandon, cohort_imports_waiting

    cohort_imports_abandon()
    waiting = cohort_imports_waiting()
    for cohort_import_id in waiting:
        cohort_import_run.delay(cohort_import_id)
    return len(waiting)
