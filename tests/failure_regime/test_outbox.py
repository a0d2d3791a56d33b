from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from failure_regime.models import OutboxMessage, OutboxStatus
from failure_regime.services.outbox import Mail, outbox_deliver, outbox_enqueue, outbox_flush

pytestmark = pytest.mark.django_db


def queue(key: str = "k1") -> OutboxMessage:
    outbox_enqueue(messages=[Mail(dedupe_key=key, to="someone@example.org", subject="Subject", body="Body")])
    return OutboxMessage.objects.get(dedupe_key=key)


def test_the_same_notification_is_queued_once() -> None:
    queue("same")
    queue("same")
    assert OutboxMessage.objects.count() == 1


def test_delivering_twice_sends_once() -> None:
    message = queue()
    outbox_deliver(message_id=message.pk)
    outbox_deliver(message_id=message.pk)
    assert len(mail.outbox) == 1


def test_a_message_claimed_by_a_live_worker_is_left_alone() -> None:
    message = queue()
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.SENDING, claimed_at=timezone.now())
    assert outbox_flush() == 0 and not mail.outbox


def test_a_message_left_by_a_dead_worker_is_sent_later() -> None:
    message = queue()
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.SENDING, claimed_at=timezone.now())
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        sent = outbox_flush()
    assert sent == 1 and len(mail.outbox) == 1


def test_a_failed_send_is_retried() -> None:
    message = queue()
    with mock.patch("failure_regime.services.outbox.send_mail", side_effect=ConnectionRefusedError):
        outbox_deliver(message_id=message.pk)
    outbox_flush()
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.SENT


def test_a_message_that_keeps_failing_is_marked_failed() -> None:
    message = queue()
    with mock.patch("failure_regime.services.outbox.send_mail", side_effect=ConnectionRefusedError):
        for _ in range(5):
            outbox_deliver(message_id=message.pk)
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.FAILED
