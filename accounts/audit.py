"""The audit service: every state change in the service is recorded here, in its own transaction.

``audit_record`` is the only writer of ``AuditEvent``. Events form a hash chain: each event's hash
covers its content and the previous event's hash, so ``audit_chain_verify`` detects a row that was
edited, deleted or reordered after the fact. Writers are serialised on the chain's head row; call
``audit_record`` after taking any other locks so that the head is held for as short a time as
possible and always in the same order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from enum import StrEnum
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from accounts.models import AuditChainHead, AuditEvent, Organisation, User
from accounts.request_id import current_request_id

GENESIS_HASH = "0" * 64


class AccountsVerb(StrEnum):
    ORGANISATION_CREATED = "organisation.created"
    ORGANISATION_UPDATED = "organisation.updated"
    USER_CREATED = "user.created"
    USER_DEACTIVATED = "user.deactivated"
    MEMBERSHIP_CREATED = "membership.created"
    MEMBERSHIP_DELETED = "membership.deleted"
    SECOND_FACTOR_SET_UP = "second_factor.set_up"
    API_TOKEN_ISSUED = "api_token.issued"  # noqa: S105 - a verb, not a secret


def _normalise(data: dict[str, Any] | None) -> dict[str, Any]:
    """Returns ``data`` exactly as it reads back from a JSON column, so that hashes can be recomputed."""
    normalised: dict[str, Any] = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    return normalised


def _event_hash(event: AuditEvent) -> str:
    payload = {
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "organisation": event.organisation_id,
        "verb": event.verb,
        "target_type": event.target_type_id,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "scope_type": event.scope_type_id,
        "scope_id": event.scope_id,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "previous_hash": event.previous_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _acting_organisation(actor: User | None) -> Organisation | None:
    if actor is None:
        return None
    organisations = {m.organisation for m in actor.memberships.select_related("organisation")}
    return organisations.pop() if len(organisations) == 1 else None


@transaction.atomic
def audit_record(
    *,
    actor: User | None,
    verb: str,
    target: models.Model,
    organisation: Organisation | None = None,
    scope: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Appends one event to the audit chain, inside the caller's transaction.

    ``organisation`` is the organisation the actor acted for; when omitted it is the actor's only
    organisation, if they have exactly one. ``scope`` is the object whose timeline shows the event.
    """
    # The head row comes with the migrations; get_or_create only matters for a flushed test database.
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    scope_type = ContentType.objects.get_for_model(scope) if scope is not None else None
    event = AuditEvent(
        sequence=head.sequence + 1,
        occurred_at=timezone.now(),
        actor=actor,
        actor_label=(actor.email if actor else "system"),
        organisation=organisation or _acting_organisation(actor),
        verb=str(verb),
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        target_label=str(target)[:254],
        scope_type=scope_type,
        scope_id=str(scope.pk) if scope is not None else "",
        before=_normalise(before),
        after=_normalise(after),
        request_id=current_request_id.get(),
        previous_hash=head.hash,
    )
    event.hash = _event_hash(event)
    event.save()
    AuditChainHead.objects.filter(pk=1).update(sequence=event.sequence, hash=event.hash)
    return event


@dataclass
class ChainReport:
    """What ``audit_chain_verify`` found: how many events it checked and every break in the chain."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def _events_in_order() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000)


def audit_chain_verify() -> ChainReport:
    """Recomputes every hash in sequence order and reports each event that does not fit the chain."""
    report = ChainReport()
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    for event in _events_in_order():
        report.checked += 1
        if event.sequence != expected_sequence:
            report.problems.append(
                f"Event #{expected_sequence} is missing (next is #{event.sequence}): a row was deleted."
            )
        if event.previous_hash != expected_previous:
            report.problems.append(f"Event #{event.sequence} does not follow the event before it.")
        if _event_hash(event) != event.hash:
            report.problems.append(f"Event #{event.sequence} was changed after it was recorded.")
        expected_previous = event.hash
        expected_sequence = event.sequence + 1
    head = AuditChainHead.objects.filter(pk=1).first() or AuditChainHead()
    if head.sequence != expected_sequence - 1 or head.hash != expected_previous:
        report.problems.append(
            f"The chain should end at event #{head.sequence}, but it ends at #{expected_sequence - 1}: "
            "the latest events were deleted."
        )
    return report


def audit_events_for(*, obj: models.Model) -> models.QuerySet[AuditEvent]:
    """The events of ``obj`` and of its parts, oldest first. The caller has already checked access."""
    return AuditEvent.objects.for_object(obj).select_related("actor", "organisation", "target_type")
