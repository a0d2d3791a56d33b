"""Webhooks: other organisations' systems are sent, signed, the audit events their subscription may see.

- A subscription belongs to an organisation and sends what the person who set it up may see in the event
  feed (``accounts.visibility``). Only someone whose every role is in that organisation, and who holds one of
  ``WEBHOOK_MANAGER_ROLES`` there, may set one up; if that stops being true, the subscription is disabled.
- A periodic sweep (``webhook_sweep``) makes one ``WebhookDelivery`` per new event and subscription, after the
  event is recorded, so recording an event is never slowed; the database refuses a second one.
- ``webhook_deliver`` claims a delivery with a conditional update, so two workers never send the same one,
  POSTs the event's summary and retries failures with exponential back-off. After
  ``WEBHOOK_DISABLE_AFTER_FAILURES`` failed attempts in a row the subscription is disabled.

Each request is signed: ``X-SFR-Signature: sha256=<hex HMAC-SHA256 of "<X-SFR-Timestamp>.<body>">`` with the
subscription's secret. Receivers check it with ``webhook_signature_verify`` and refuse old timestamps, so a
recorded request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import TransitionNotAllowed
from accounts.models import (
    AuditChainHead,
    AuditEvent,
    DeliveryStatus,
    Organisation,
    Role,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from accounts.visibility import event_summary, personal_content_type_ids, visible_events_q

logger = logging.getLogger(__name__)

# Roles that run an organisation's dealings with the regime, and so may connect its systems. Roles that handle
# members of the public's or patients' records (family liaison, reviewers) may not: their events would leave the
# service with them.
WEBHOOK_MANAGER_ROLES = frozenset(
    {
        Role.ADMINISTRATOR,
        Role.TRUST_MANAGER,
        Role.OVERSIGHT_LEAD,
        Role.REGULATOR_DECISION_MAKER,
        Role.NATIONAL_OVERSIGHT,
    }
)
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
VERB_PATTERN = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")
SIGNATURE_PREFIX = "sha256="
# A claim older than this belongs to a worker that died mid-send; the request itself times out much sooner.
CLAIM_TIMEOUT = timedelta(minutes=5)


class WebhookVerb:
    SUBSCRIPTION_CREATED = "webhook.created"
    SECRET_ROTATED = "webhook.secret_rotated"  # noqa: S105 - a verb, not a secret
    SUBSCRIPTION_DISABLED = "webhook.disabled"


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def allow_local_http() -> bool:
    """Plain http to this machine is allowed for local use and tests only (``WEBHOOK_ALLOW_LOCAL_HTTP``)."""
    return bool(_setting("WEBHOOK_ALLOW_LOCAL_HTTP", settings.DEBUG))


# --- Signing (receivers can copy these two functions) ---------------------------------------------------------


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-SFR-Signature`` header for ``body`` sent at ``timestamp`` (whole seconds since 1970, UTC)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def webhook_signature_verify(
    secret: str, timestamp: str, body: bytes, header: str, *, tolerance: int = 300, now: float | None = None
) -> bool:
    """For receivers: whether ``header`` (``X-SFR-Signature``) signs exactly ``body`` (the raw request body) and
    ``timestamp`` (``X-SFR-Timestamp``) with ``secret``, and the timestamp is within ``tolerance`` seconds of now.

    Compare before parsing the body, and remember each ``X-SFR-Event-Id`` handled: a delivery is retried until it
    is answered with a 2xx status, so the same event can arrive more than once if an answer is lost."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        return False
    return hmac.compare_digest(webhook_signature(secret, timestamp, body), header or "")


# --- Subscriptions ---------------------------------------------------------------------------------------------


def webhook_url_validate(url: str) -> None:
    """Refuses anything but an https address (or, locally, http to this machine), and addresses with a password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.username or parts.password:
        raise ValidationError({"target_url": "Enter an address without a user name or password in it."})
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host in LOCAL_HOSTS and allow_local_http():
        return
    raise ValidationError({"target_url": "Enter an address that starts with https://"})


def _validate_verbs(verbs: list[str]) -> list[str]:
    cleaned = sorted({v.strip() for v in verbs if v.strip()})
    wrong = [v for v in cleaned if not VERB_PATTERN.match(v)]
    if wrong or len(cleaned) > 50:
        raise ValidationError({"verbs": "Enter verbs like case.triggered, one for each kind of event to send."})
    return cleaned


def may_manage_webhooks(*, user: User, organisation: Organisation) -> bool:
    """Whether ``user`` holds a webhook manager role in ``organisation``."""
    return (
        user.is_active and user.memberships.filter(organisation=organisation, role__in=WEBHOOK_MANAGER_ROLES).exists()
    )


def _only_in(user: User, organisation: Organisation) -> bool:
    return not user.memberships.exclude(organisation=organisation).exists()


@transaction.atomic
def webhook_subscription_create(
    *, actor: User, organisation: Organisation, target_url: str, verbs: list[str] | None = None
) -> WebhookSubscription:
    """Sets up a subscription sending the events ``actor`` may see from now on, with a new secret (shown once)."""
    if not may_manage_webhooks(user=actor, organisation=organisation):
        raise PermissionDenied("Only the organisation's administrators and managers may set up webhooks.")
    if not _only_in(actor, organisation):
        # A subscription sends what its creator sees; with roles elsewhere, that would include another
        # organisation's events.
        raise ValidationError(
            {"organisation": "You have roles in more than one organisation, so you cannot set up a webhook."}
        )
    webhook_url_validate(target_url)
    head = AuditChainHead.objects.filter(pk=1).values_list("sequence", flat=True).first() or 0
    subscription = WebhookSubscription.objects.create(
        organisation=organisation,
        target_url=target_url,
        verbs=_validate_verbs(verbs or []),
        secret=secrets.token_hex(32),
        last_sequence=head,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=WebhookVerb.SUBSCRIPTION_CREATED,
        target=subscription,
        scope=organisation,
        after={"host": urlsplit(target_url).hostname, "verbs": subscription.verbs},
    )
    return subscription


@transaction.atomic
def webhook_secret_rotate(*, actor: User, subscription: WebhookSubscription) -> WebhookSubscription:
    """Replaces the secret at once (shown once): deliveries from now on, retries included, are signed with it."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if not may_manage_webhooks(user=actor, organisation=subscription.organisation):
        raise PermissionDenied("Only the organisation's administrators and managers may change webhooks.")
    subscription.secret = secrets.token_hex(32)
    subscription.save(update_fields=["secret"])
    audit_record(
        actor=actor,
        organisation=subscription.organisation,
        verb=WebhookVerb.SECRET_ROTATED,
        target=subscription,
        scope=subscription.organisation,
    )
    return subscription


def _disable(subscription: WebhookSubscription, *, actor: User | None, reason: str) -> WebhookSubscription:
    subscription.is_active = False
    subscription.disabled_at = timezone.now()
    subscription.disabled_reason = reason[:200]
    subscription.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    audit_record(
        actor=actor,
        organisation=subscription.organisation,
        verb=WebhookVerb.SUBSCRIPTION_DISABLED,
        target=subscription,
        scope=subscription.organisation,
        after={"reason": subscription.disabled_reason},
    )
    return subscription


@transaction.atomic
def webhook_subscription_disable(*, actor: User, subscription: WebhookSubscription) -> WebhookSubscription:
    """Stops a subscription for good: nothing more is sent to it, including deliveries waiting to be retried."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if not may_manage_webhooks(user=actor, organisation=subscription.organisation):
        raise PermissionDenied("Only the organisation's administrators and managers may change webhooks.")
    if not subscription.is_active:
        raise TransitionNotAllowed("This webhook is already disabled.")
    return _disable(subscription, actor=actor, reason=f"Disabled by {actor.email}")


# --- Making deliveries -----------------------------------------------------------------------------------------


def _creator_still_entitled(subscription: WebhookSubscription) -> bool:
    creator = subscription.created_by
    return may_manage_webhooks(user=creator, organisation=subscription.organisation) and _only_in(
        creator, subscription.organisation
    )


def webhook_deliveries_create(*, subscription_id: int, limit: int = 500) -> int:
    """Makes a delivery for each event after the subscription's last one that its creator may see (and whose verb
    it asks for), up to ``limit``. Safe to run twice or at once: the row lock and the unique constraint see to it
    that each event is delivered once. Returns how many deliveries were made."""
    with transaction.atomic():
        subscription = (
            WebhookSubscription.objects.select_for_update()
            .select_related("created_by", "organisation")
            .filter(pk=subscription_id, is_active=True)
            .first()
        )
        if subscription is None:
            return 0
        if not _creator_still_entitled(subscription):
            _disable(
                subscription,
                actor=None,
                reason="The person who set it up no longer manages this organisation's webhooks.",
            )
            return 0
        # Events are numbered while the chain's head is locked, so every event up to the head is committed.
        head = AuditChainHead.objects.filter(pk=1).values_list("sequence", flat=True).first() or 0
        events = AuditEvent.objects.filter(
            visible_events_q(user=subscription.created_by),
            sequence__gt=subscription.last_sequence,
            sequence__lte=head,
        )
        if subscription.verbs:
            events = events.filter(verb__in=subscription.verbs)
        found = list(events.order_by("sequence").values_list("pk", "sequence")[:limit])
        last = found[-1][1] if len(found) == limit else head
        WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(subscription=subscription, event_id=pk) for pk, _ in found], ignore_conflicts=True
        )
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            last_sequence=max(last, subscription.last_sequence)
        )
    return len(found)


def webhook_deliveries_due(*, limit: int = 500) -> list[int]:
    """The deliveries of active subscriptions waiting to be sent now (or left claimed by a dead worker)."""
    now = timezone.now()
    due = WebhookDelivery.objects.filter(
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT),
        subscription__is_active=True,
    ).order_by("next_attempt_at", "pk")
    return list(due.values_list("pk", flat=True)[:limit])


def webhook_sweep() -> list[int]:
    """Makes the deliveries of every active subscription and returns those due to be sent."""
    for subscription_id in WebhookSubscription.objects.filter(is_active=True).values_list("pk", flat=True):
        webhook_deliveries_create(subscription_id=subscription_id)
    return webhook_deliveries_due()


# --- Sending ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status_code: int | None
    error: str = ""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other: it is not followed (it could point anywhere)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _address_allowed(url: str) -> bool:
    """Refuses addresses that resolve to this machine or a private network, unless local http is allowed."""
    if allow_local_http():
        return True
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return True  # the request itself will fail and be retried
    return all(ipaddress.ip_address(info[4][0]).is_global for info in infos)


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """POSTs ``body``; the one place the service talks to receivers."""
    if not _address_allowed(url):
        return Response(None, "The address is on a private network.")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
    try:
        with _opener.open(request, timeout=timeout) as answer:
            return Response(answer.status)
    except urllib.error.HTTPError as exc:
        return Response(exc.code, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Response(None, f"{type(exc).__name__}: {reason}"[:200])


Transport = Callable[[str, bytes, dict[str, str], float], Response]


def webhook_body(event: AuditEvent) -> bytes:
    """The JSON body sent for ``event``: the same summary the event feed gives."""
    summary = event_summary(event, personal_type_ids=personal_content_type_ids())
    return json.dumps(summary, separators=(",", ":"), sort_keys=True).encode()


def _claim(delivery_id: int, now: datetime) -> bool:
    # Only columns of the delivery itself in the condition, so that the database re-checks them under the row lock.
    claimable = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    )
    return bool(
        WebhookDelivery.objects.filter(claimable, pk=delivery_id).update(status=DeliveryStatus.SENDING, claimed_at=now)
    )


def backoff(attempts: int) -> timedelta:
    """The pause before the next try after ``attempts`` failed ones: doubling from the base, up to the maximum."""
    base = int(_setting("WEBHOOK_RETRY_BASE_SECONDS", 60))
    ceiling = int(_setting("WEBHOOK_RETRY_MAX_SECONDS", 6 * 3600))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), ceiling))


def webhook_deliver(*, delivery_id: int, transport: Transport | None = None) -> bool:
    """Sends one delivery if this worker can claim it and its subscription is active. Safe to call twice or at
    once: only one call sends. Returns whether it was delivered now."""
    if not WebhookDelivery.objects.filter(pk=delivery_id, subscription__is_active=True).exists():
        return False
    now = timezone.now()
    if not _claim(delivery_id, now):
        return False
    delivery = WebhookDelivery.objects.select_related(
        "subscription", "event__target_type", "event__scope_type", "event__organisation"
    ).get(pk=delivery_id)
    subscription = delivery.subscription
    body = webhook_body(delivery.event)
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "single-failure-regime-webhooks/1",
        "X-SFR-Event-Id": str(delivery.event.sequence),
        "X-SFR-Delivery-Id": str(delivery.pk),
        "X-SFR-Timestamp": timestamp,
        "X-SFR-Signature": webhook_signature(subscription.secret, timestamp, body),
    }
    started = time.monotonic()
    answer = (transport or http_post)(
        subscription.target_url, body, headers, float(_setting("WEBHOOK_TIMEOUT_SECONDS", 5))
    )
    duration_ms = int((time.monotonic() - started) * 1000)
    succeeded = answer.status_code is not None and 200 <= answer.status_code < 300
    _record(delivery, answer, succeeded=succeeded, duration_ms=duration_ms)
    return succeeded


@transaction.atomic
def _record(delivery: WebhookDelivery, answer: Response, *, succeeded: bool, duration_ms: int) -> None:
    now = timezone.now()
    attempts = delivery.attempts + 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        status_code=answer.status_code,
        error=answer.error[:200],
        succeeded=succeeded,
        duration_ms=duration_ms,
    )
    sending = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING)
    subscriptions = WebhookSubscription.objects.filter(pk=delivery.subscription_id)
    if succeeded:
        sending.update(
            status=DeliveryStatus.DELIVERED,
            attempts=attempts,
            delivered_at=now,
            last_status_code=answer.status_code,
            last_error="",
        )
        subscriptions.update(consecutive_failures=0)
        return
    gives_up = attempts >= int(_setting("WEBHOOK_MAX_ATTEMPTS", 8))
    sending.update(
        status=DeliveryStatus.FAILED if gives_up else DeliveryStatus.PENDING,
        attempts=attempts,
        next_attempt_at=now + backoff(attempts),
        last_status_code=answer.status_code,
        last_error=answer.error[:200],
    )
    subscriptions.update(consecutive_failures=F("consecutive_failures") + 1)
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    limit = int(_setting("WEBHOOK_DISABLE_AFTER_FAILURES", 10))
    if subscription.is_active and subscription.consecutive_failures >= limit:
        _disable(subscription, actor=None, reason=f"Disabled after {limit} failed attempts in a row.")
    logger.warning("Webhook delivery %s failed (attempt %s): %s", delivery.pk, attempts, answer.error)
