"""The outbox for outgoing mail: messages are written in the transaction that causes them and sent
afterwards by a worker that claims each one with a conditional update."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from failure_regime.models import OutboxMessage, OutboxStatus
from failure_regime.pg_arrays import text_array

logger = logging.getLogger(__name__)

# A claim older than this is taken to belong to a worker that died mid-send.
CLAIM_TIMEOUT = timedelta(minutes=10)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Mail:
    """One e-mail to queue. Subjects never carry personal data: they name cases by reference only."""

    dedupe_key: str
    to: str
    subject: str
    body: str


def outbox_enqueue(*, messages: list[Mail]) -> int:
    """Queues messages in the caller's transaction; a message whose key is already queued is skipped by the
    database. Delivery is requested once the transaction commits. Returns how many were offered."""
    if not messages:
        return 0
    unique = list({m.dedupe_key: m for m in messages}.values())
    if connection.vendor == "postgresql":
        _insert_postgresql(unique)
    else:
        OutboxMessage.objects.bulk_create(
            [OutboxMessage(dedupe_key=m.dedupe_key, to=m.to, subject=m.subject[:200], body=m.body) for m in unique],
            ignore_conflicts=True,
        )
    from failure_regime.tasks import flush_outbox

    transaction.on_commit(lambda: _request_flush(flush_outbox))
    return len(unique)


def _insert_postgresql(messages: list[Mail]) -> None:
    """One INSERT from four arrays: the clock may queue tens of thousands of reminders in one sweep, and a model
    instance and a parameter list for each are most of the cost of ``bulk_create``."""
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    sql = (
        f"INSERT INTO {table} (dedupe_key, {connection.ops.quote_name('to')}, subject, body, status, attempts, "  # noqa: S608 - fixed names
        "created_at, last_error) SELECT *, %s, 0, %s, '' FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) "
        "ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                OutboxStatus.PENDING.value,
                timezone.now(),
                text_array([m.dedupe_key for m in messages]),
                text_array([m.to for m in messages]),
                text_array([m.subject[:200] for m in messages]),
                text_array([m.body for m in messages]),
            ],
        )


def outbox_enqueue_one(*, dedupe_key: str, to: str, subject: str, body: str) -> int:
    """Queues one message; for callers below this floor (accounts), which cannot build a ``Mail``."""
    return outbox_enqueue(messages=[Mail(dedupe_key=dedupe_key, to=to, subject=subject, body=body)])


def _request_flush(task: object) -> None:
    try:
        task.delay()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - the periodic flush sends it anyway
        logger.warning("Could not queue the outbox flush; the periodic flush will send the mail.")


def _claim(message_id: int) -> bool:
    """Marks the message as being sent by this worker; False if another worker has it or it is done."""
    now = timezone.now()
    claimable = Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    return bool(
        OutboxMessage.objects.filter(claimable, pk=message_id).update(status=OutboxStatus.SENDING, claimed_at=now)
    )


def outbox_deliver(*, message_id: int) -> bool:
    """Sends one message if this worker can claim it. Safe to call twice: the second call sends nothing."""
    if not _claim(message_id):
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to])
    except Exception as exc:  # noqa: BLE001 - any mail failure is retried later
        attempts = message.attempts + 1
        OutboxMessage.objects.filter(pk=message_id).update(
            status=OutboxStatus.FAILED if attempts >= MAX_ATTEMPTS else OutboxStatus.PENDING,
            attempts=attempts,
            last_error=type(exc).__name__,
        )
        logger.warning("Outbox message %s failed (attempt %s)", message_id, attempts)
        return False
    OutboxMessage.objects.filter(pk=message_id).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), attempts=message.attempts + 1
    )
    return True


def outbox_flush(*, limit: int = 500) -> int:
    """Sends what is waiting (and what a dead worker left claimed). Returns how many were sent."""
    stale = timezone.now() - CLAIM_TIMEOUT
    waiting = OutboxMessage.objects.filter(
        Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.SENDING, claimed_at__lt=stale)
    ).values_list("pk", flat=True)[:limit]
    return sum(outbox_deliver(message_id=pk) for pk in list(waiting))
