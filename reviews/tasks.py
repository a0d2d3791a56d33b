"""Celery tasks of reviews. Each is an adapter: it takes ids, calls one service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="reviews.tasks.cohort_import_run")
def cohort_import_run(cohort_import_id: int) -> str:
    """Checks and imports an uploaded cohort file; a second run of a finished import does nothing."""
    from reviews.services.cohort_import import cohort_import_run as run

    cohort_import = run(cohort_import_id=cohort_import_id)
    return cohort_import.status if cohort_import is not None else "already done"


@shared_task(name="reviews.tasks.cohort_imports_resume")
def cohort_imports_resume() -> int:
    """Beat runs this every few minutes: queues again any import left waiting (the broker was down when it was
    uploaded, say). Returns how many were queued."""
    from reviews.services.cohort_import import cohort_imports_waiting

    waiting = cohort_imports_waiting()
    for cohort_import_id in waiting:
        cohort_import_run.delay(cohort_import_id)
    return len(waiting)
