"""Celery tasks of the ground floor. Each is an adapter: it takes ids, calls a service, and is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="accounts.tasks.sweep_webhooks")
def sweep_webhooks() -> int:
    """Beat runs this every minute: makes the deliveries of new events and queues those due. Returns how many."""
    from accounts.webhooks import webhook_sweep

    due = webhook_sweep()
    for delivery_id in due:
        try:
            deliver_webhook.delay(delivery_id)
        except Exception:  # noqa: BLE001 - the next sweep queues it again
            logger.warning("Could not queue webhook delivery %s; the next sweep will.", delivery_id)
    return len(due)


@shared_task(name="accounts.tasks.deliver_webhook")
def deliver_webhook(delivery_id: int) -> bool:
    """Sends one delivery if no other worker has it; a second run for the same delivery sends nothing."""
    from accounts.webhooks import webhook_deliver

    return webhook_deliver(delivery_id=delivery_id)


@shared_task(name="accounts.tasks.anchor_audit_chain")
def anchor_audit_chain() -> int | None:
    """Beat runs this hourly: signs the audit chain's head into an anchor file, then sends the checks of the whole
    chain that are due (a new one each hour, and any left waiting or whose worker died) to ``check_audit_chain``.
    Returns the anchored event's number."""
    from accounts.audit import audit_anchor_write, audit_checks_due

    anchor = audit_anchor_write()
    for check_id in audit_checks_due():
        check_audit_chain.delay(check_id)
    return anchor.sequence if anchor is not None else None


@shared_task(name="accounts.tasks.check_audit_chain")
def check_audit_chain(check_id: int) -> bool | None:
    """Checks the whole audit chain against its latest anchor and records what it found, for the audit trail page.
    Returns whether the chain is intact, or None when another run has the check or it is done."""
    from accounts.audit import audit_check_run

    check = audit_check_run(check_id=check_id)
    return check.intact if check is not None else None
