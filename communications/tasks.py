"""Celery tasks of communications. Each is an adapter: it calls one service and is safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="communications.tasks.sweep_enquiries")
def sweep_enquiries() -> int:
    """Beat runs this every few minutes: escalates, once each, the enquiries whose first response is overdue."""
    from communications.services.enquiries import enquiry_escalation_sweep

    return enquiry_escalation_sweep()
