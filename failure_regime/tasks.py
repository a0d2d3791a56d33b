"""Celery tasks of the regime. Each is an adapter: it takes ids, calls a service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "celery:heartbeat"


@shared_task(name="failure_regime.tasks.heartbeat")
def heartbeat() -> str:
    """Beat runs this on a schedule; /healthz and operators read when the scheduler last ran."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, now, timeout=None)
    return now


@shared_task(name="failure_regime.tasks.echo")
def echo(token: str) -> str:
    """Writes ``token`` to the shared cache: proof that a message went through the broker and back."""
    cache.set(f"celery:echo:{token}", token, timeout=300)
    return token


@shared_task(name="failure_regime.tasks.sweep_deadlines")
def sweep_deadlines() -> dict[str, int]:
    """Beat runs this every few minutes: sends the reminders and escalations that have fallen due."""
    from django.utils import timezone

    from failure_regime.services.clock import deadline_sweep
    from failure_regime.services.report_slots import monthly_reports_open

    monthly_reports_open(today=timezone.localdate())
    report = deadline_sweep()
    return {"deadlines": report.deadlines, "reminders": report.reminders, "escalations": report.escalations}


@shared_task(name="failure_regime.tasks.flush_outbox")
def flush_outbox() -> int:
    """Sends the mail waiting in the outbox; runs after each commit that queues mail, and every minute."""
    from failure_regime.services.outbox import outbox_flush

    return outbox_flush()


@shared_task(name="failure_regime.tasks.send_notification_digests")
def send_notification_digests() -> int:
    """Beat runs this each morning: one digest mail per person with "daily" notifications waiting."""
    from failure_regime.services.notifications import notification_digests_send

    return notification_digests_send()
