"""The audit service: every state change in the service is recorded here, in its own transaction.

``audit_record`` is the only writer of ``AuditEvent``. Events form a hash chain: each event's hash
covers its content and the previous event's hash, so ``audit_chain_verify`` detects a row that was
edited, deleted or reordered after the fact. Writers are serialised on the chain's head row; call
``audit_record`` after taking any other locks so that the head is held for as short a time as
possible and always in the same order.

The hash is an HMAC keyed with ``AUDIT_CHAIN_KEY``, so a person who can write to the database but
does not hold the key cannot rebuild the chain after an edit. ``audit_anchor_write`` regularly signs
the chain's head into a file outside the database; verification checks the latest anchor file, so
events deleted from the end of the chain, or a chain rebuilt with the key, are found too. Anchor files are
write-once: one is never written over another (``accounts.storage``).

Checking the whole chain reads every event, so it runs in the background (``audit_check_run``): every hour after
the anchor, and when someone asks on the audit trail page. Each ``AuditCheck`` keeps when it ran, how many events it
checked, and whether the chain was intact or where it broke.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import (
    AuditAnchor,
    AuditChainHead,
    AuditCheck,
    AuditCheckStatus,
    AuditEvent,
    Organisation,
    User,
)
from accounts.request_id import current_request_id

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# Version 1 hashes are plain SHA-256 (events recorded before the chain was keyed); version 2 are keyed.
KEYED_HASH_VERSION = 2
ANCHOR_DIRECTORY = "audit-anchors"


class AccountsVerb(StrEnum):
    ORGANISATION_CREATED = "organisation.created"
    ORGANISATION_UPDATED = "organisation.updated"
    USER_CREATED = "user.created"
    USER_DEACTIVATED = "user.deactivated"
    MEMBERSHIP_CREATED = "membership.created"
    MEMBERSHIP_DELETED = "membership.deleted"
    SECOND_FACTOR_SET_UP = "second_factor.set_up"
    API_TOKEN_ISSUED = "api_token.issued"  # noqa: S105 - a verb, not a secret
    API_TOKEN_REVOKED = "api_token.revoked"  # noqa: S105 - a verb, not a secret
    AUDIT_CHECK_REQUESTED = "audit_trail.check_requested"


def _normalise(data: dict[str, Any] | None) -> dict[str, Any]:
    """Returns ``data`` exactly as it reads back from a JSON column, so that hashes can be recomputed."""
    normalised: dict[str, Any] = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    return normalised


def audit_chain_key() -> bytes:
    """The key of the chain's HMACs: ``AUDIT_CHAIN_KEY``, or one derived from ``SECRET_KEY`` when it is not set
    (a deployment check warns about that, since changing ``SECRET_KEY`` would then break every later hash)."""
    key = settings.AUDIT_CHAIN_KEY or hmac.new(settings.SECRET_KEY.encode(), b"audit-chain", hashlib.sha256).hexdigest()
    return key.encode()


def _sign(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hmac.new(audit_chain_key(), canonical.encode(), hashlib.sha256).hexdigest()


def _event_hash(event: AuditEvent) -> str:
    payload: dict[str, Any] = {
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
    if event.hash_version >= KEYED_HASH_VERSION:
        payload["hash_version"] = event.hash_version
        return _sign(payload)
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
        hash_version=KEYED_HASH_VERSION,
    )
    event.hash = _event_hash(event)
    event.save()
    AuditChainHead.objects.filter(pk=1).update(sequence=event.sequence, hash=event.hash)
    return event


@dataclass(frozen=True)
class AnchorNote:
    """What an anchor file holds: the chain's last event then, its hash, how many events led to it, and when."""

    sequence: int
    head_hash: str
    event_count: int
    created_at: str
    signature: str = ""

    def signed_fields(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "signature"}

    def is_signed(self) -> bool:
        return hmac.compare_digest(self.signature, _sign(self.signed_fields()))

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)


@dataclass
class ChainReport:
    """What ``audit_chain_verify`` found: how many events it checked, the anchor it checked them against, and
    every break in the chain."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    anchor: AnchorNote | None = None

    @property
    def intact(self) -> bool:
        return not self.problems


def _walk(
    report: ChainReport, *, after: int = 0, previous_hash: str = GENESIS_HASH, hash_version: int = 1
) -> tuple[int, str]:
    """Checks every event after sequence ``after`` against the chain; returns the last sequence and hash."""
    expected_previous = previous_hash
    expected_sequence = after + 1
    events: Iterator[AuditEvent] = (
        AuditEvent.objects.filter(sequence__gt=after).order_by("sequence").iterator(chunk_size=2000)
    )
    for event in events:
        report.checked += 1
        if event.sequence != expected_sequence:
            report.problems.append(
                f"Event #{expected_sequence} is missing (next is #{event.sequence}): a row was deleted."
            )
        if event.previous_hash != expected_previous:
            report.problems.append(f"Event #{event.sequence} does not follow the event before it.")
        if event.hash_version < hash_version or event.hash_version > KEYED_HASH_VERSION:
            # Once the chain is keyed it stays keyed: an unkeyed hash after a keyed one was made without the key.
            report.problems.append(f"Event #{event.sequence} claims an older kind of hash than the event before it.")
        if not hmac.compare_digest(_event_hash(event), event.hash):
            report.problems.append(f"Event #{event.sequence} was changed after it was recorded.")
        expected_previous = event.hash
        expected_sequence = event.sequence + 1
        hash_version = max(hash_version, event.hash_version)
    return expected_sequence - 1, expected_previous


def audit_chain_verify() -> ChainReport:
    """Recomputes every hash in sequence order, reports each event that does not fit the chain, then checks the
    chain against the latest anchor file (which a person who rewrites the database cannot rewrite)."""
    report = ChainReport()
    last_sequence, last_hash = _walk(report)
    expected_sequence, expected_previous = last_sequence + 1, last_hash
    head = AuditChainHead.objects.filter(pk=1).first() or AuditChainHead()
    if head.sequence != expected_sequence - 1 or head.hash != expected_previous:
        report.problems.append(
            f"The chain should end at event #{head.sequence}, but it ends at #{expected_sequence - 1}: "
            "the latest events were deleted."
        )
    report.anchor = _latest_anchor(report)
    if report.anchor is not None:
        _check_anchor(report, report.anchor)
    return report


def _check_anchor(report: ChainReport, anchor: AnchorNote) -> None:
    when = f"anchored at {anchor.created:%d %B %Y %H:%M} UTC"
    event = AuditEvent.objects.filter(sequence=anchor.sequence).first()
    if event is None:
        report.problems.append(f"Event #{anchor.sequence}, {when}, is missing: events were deleted.")
    elif not hmac.compare_digest(event.hash, anchor.head_hash):
        report.problems.append(f"Event #{anchor.sequence} is not the event {when}: the chain was rewritten.")
    count = AuditEvent.objects.filter(sequence__lte=anchor.sequence).count()
    if count != anchor.event_count:
        report.problems.append(
            f"There are {count} events up to #{anchor.sequence}, but there were {anchor.event_count} when it was "
            f"{when}: events were deleted or added."
        )


def _anchor_storage() -> Storage:
    """Where anchor files go: the ``audit_anchors`` storage if one is configured (best write-once, and out of
    reach of the database's owner), otherwise the default storage."""
    return storages["audit_anchors" if "audit_anchors" in settings.STORAGES else "default"]


def _anchor_file_name(sequence: int) -> str:
    # Zero-padded, so that the names sort in the order of the chain.
    return f"{ANCHOR_DIRECTORY}/{sequence:020d}.json"


def _read_anchor(storage: Storage, name: str) -> AnchorNote | None:
    try:
        with storage.open(name) as file:
            data = json.loads(file.read())
        return AnchorNote(
            sequence=int(data["sequence"]),
            head_hash=str(data["head_hash"]),
            event_count=int(data["event_count"]),
            created_at=str(data["created_at"]),
            signature=str(data["signature"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _latest_anchor(report: ChainReport) -> AnchorNote | None:
    """The latest anchor file signed with the chain's key; each later file that is not is a problem."""
    storage = _anchor_storage()
    try:
        _, names = storage.listdir(ANCHOR_DIRECTORY)
    except (FileNotFoundError, NotImplementedError):
        return None
    for name in sorted((n for n in names if n.endswith(".json")), reverse=True):
        anchor = _read_anchor(storage, f"{ANCHOR_DIRECTORY}/{name}")
        if anchor is not None and anchor.is_signed():
            return anchor
        report.problems.append(f"The anchor file {name} is not signed with the audit chain's key.")
    return None


def audit_anchor_write() -> AuditAnchor | None:
    """Signs the chain's last event into a new anchor file and row; safe to run twice (a head already anchored
    is not anchored again). Anchors nothing, and logs an error, if the events since the last anchor do not fit
    the chain, so that an anchor never vouches for a rewritten chain."""
    last = AuditEvent.objects.order_by("-sequence").first()
    if last is None:
        return None
    report = ChainReport()
    previous = _latest_anchor(report)
    if previous is not None and previous.sequence == last.sequence and previous.head_hash == last.hash:
        return _anchor_row(previous)
    if previous is None:
        _walk(report)
    else:
        _check_anchor(report, previous)
        anchored = AuditEvent.objects.filter(sequence=previous.sequence).first()
        if anchored is not None:
            _walk(report, after=anchored.sequence, previous_hash=anchored.hash, hash_version=anchored.hash_version)
    if report.problems:
        logger.error("The audit chain is broken, so it was not anchored: %s", " ".join(report.problems))
        return None
    unsigned = AnchorNote(
        sequence=last.sequence,
        head_hash=last.hash,
        event_count=AuditEvent.objects.filter(sequence__lte=last.sequence).count(),
        created_at=timezone.now().astimezone(UTC).isoformat(),
    )
    anchor = AnchorNote(**unsigned.signed_fields(), signature=_sign(unsigned.signed_fields()))
    storage = _anchor_storage()
    name = _anchor_file_name(anchor.sequence)
    try:
        _anchor_file_write(storage, name, anchor)
    except FileExistsError:
        existing = _read_anchor(storage, name)
        if existing is None or not existing.is_signed() or not hmac.compare_digest(existing.head_hash, last.hash):
            logger.error(
                "The anchor file %s exists and does not vouch for event #%s; it is left as it is.", name, last.sequence
            )
            return None
        anchor = existing  # another run anchored the same head first
    return _anchor_row(anchor)


def _anchor_file_write(storage: Storage, name: str, anchor: AnchorNote) -> None:
    """Writes an anchor file, never over another: ``FileExistsError`` if the name is taken. The ``audit_anchors``
    storage refuses by itself, and atomically (``accounts.storage.WriteOnceFileSystemStorage``); any other storage
    is asked first, and a name it changed because another run wrote it meanwhile is refused too."""
    if storage.exists(name):
        raise FileExistsError(f"{name} already exists, and anchor files are never replaced.")
    saved = storage.save(name, ContentFile(json.dumps(asdict(anchor), indent=2).encode()))
    if saved != name:
        raise FileExistsError(f"{name} was written by another run meanwhile.")


def _anchor_row(anchor: AnchorNote) -> AuditAnchor:
    row, _ = AuditAnchor.objects.get_or_create(
        sequence=anchor.sequence,
        defaults={
            "head_hash": anchor.head_hash,
            "event_count": anchor.event_count,
            "created_at": anchor.created,
            "signature": anchor.signature,
            "file_name": _anchor_file_name(anchor.sequence),
        },
    )
    return row


# --- Checks of the whole chain, run in the background ----------------------------------------------------------

# How many of a check's problems are kept for the page; the first says where the chain broke.
PROBLEMS_KEPT = 20


def _check_stale_before() -> datetime:
    """A check still running after this long has lost its worker: no task runs longer than its time limit."""
    return timezone.now() - timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 660)))


def _check_claimable() -> models.Q:
    """Checks a run may claim: waiting ones, and running ones whose worker died."""
    return models.Q(status=AuditCheckStatus.QUEUED) | models.Q(
        status=AuditCheckStatus.RUNNING, started_at__lt=_check_stale_before()
    )


def audit_checks_under_way() -> models.QuerySet[AuditCheck]:
    """Checks waiting to start or being run by a live worker."""
    return AuditCheck.objects.filter(
        models.Q(status=AuditCheckStatus.QUEUED)
        | models.Q(status=AuditCheckStatus.RUNNING, started_at__gte=_check_stale_before())
    )


def _send_check(check_id: int) -> None:
    from accounts.tasks import check_audit_chain

    try:
        check_audit_chain.delay(check_id)
    except Exception:  # noqa: BLE001 - the hourly run sends it again
        logger.warning("Could not queue audit trail check %s; the hourly run will.", check_id)


@transaction.atomic
def audit_check_request(*, actor: User) -> tuple[AuditCheck, bool]:
    """Queues a check of the whole chain for ``actor``, unless one is already waiting or under way; returns the check
    and whether it is new. A new request is audited. The check is sent to a worker once the request commits; if the
    broker is down then, the hourly run sends it."""
    # The chain's head row serialises requests (audit_record takes it next anyway), so two at once queue one check.
    AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    pending = audit_checks_under_way().order_by("requested_at", "pk").first()
    if pending is not None:
        return pending, False
    check = AuditCheck.objects.create(requested_by=actor, requested_at=timezone.now())
    audit_record(actor=actor, verb=AccountsVerb.AUDIT_CHECK_REQUESTED, target=check)
    check_id = check.pk
    transaction.on_commit(lambda: _send_check(check_id))
    return check, True


def audit_checks_due() -> list[int]:
    """For the hourly run: the checks to send to a worker. Those left waiting (the broker was down) or whose worker
    died, or else a new scheduled check when none is waiting or under way. A run claims its check before it starts,
    so a check sent twice still runs once."""
    due = list(
        AuditCheck.objects.filter(_check_claimable()).order_by("requested_at", "pk").values_list("pk", flat=True)
    )
    if not due and not audit_checks_under_way().exists():
        due.append(AuditCheck.objects.create(requested_by=None, requested_at=timezone.now()).pk)
    return due


def _verify_in_one_snapshot() -> ChainReport:
    """``audit_chain_verify`` over one snapshot of the database, so that events recorded while the walk runs are
    not taken for deleted ones (on PostgreSQL, each statement would otherwise see the latest rows)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return audit_chain_verify()


def audit_check_run(*, check_id: int) -> AuditCheck | None:
    """Claims the check and runs it: the whole chain against the latest anchor file, recording when, how many
    events, and every problem (where the chain broke), or that it could not finish. Returns None when another run
    has it or it is done: safe to run twice."""
    started = timezone.now()
    claimed = AuditCheck.objects.filter(_check_claimable(), pk=check_id).update(
        status=AuditCheckStatus.RUNNING, started_at=started, finished_at=None, attempts=models.F("attempts") + 1
    )
    if not claimed:
        return None
    # Only this run's claim is finished below: a run that outlived its claim (reclaimed as stale) writes nothing.
    mine = AuditCheck.objects.filter(pk=check_id, status=AuditCheckStatus.RUNNING, started_at=started)
    try:
        report = _verify_in_one_snapshot()
    except Exception:
        mine.update(status=AuditCheckStatus.FAILED, finished_at=timezone.now())
        logger.exception("The audit trail check %s could not finish.", check_id)
        raise
    mine.update(
        status=AuditCheckStatus.DONE,
        finished_at=timezone.now(),
        events_checked=report.checked,
        intact=report.intact,
        anchor_sequence=report.anchor.sequence if report.anchor is not None else None,
        problems=report.problems[:PROBLEMS_KEPT],
        problem_count=len(report.problems),
    )
    check = AuditCheck.objects.get(pk=check_id)
    if not report.intact:
        logger.error(
            "The audit trail check %s found %s problem(s); the first: %s",
            check_id,
            len(report.problems),
            report.problems[0],
        )
        if _breaks_news(check):
            # Who is told, and how, is decided above the ground floor: settings name the function.
            import_string(settings.ACCOUNTS_AUDIT_CHAIN_BROKEN)(check=check)
    return check


def _breaks_news(check: AuditCheck) -> bool:
    """Whether what ``check`` found is news: the check finished before it found the chain intact, or other
    problems. The hourly checks of a trail that stays broken tell people once, not every hour."""
    before = (
        AuditCheck.objects.filter(status=AuditCheckStatus.DONE, finished_at__lt=check.finished_at)
        .order_by("-finished_at", "-pk")
        .first()
    )
    return (
        before is None
        or bool(before.intact)
        or (before.problem_count, before.problems)
        != (
            check.problem_count,
            check.problems,
        )
    )


def audit_events_for(*, obj: models.Model) -> models.QuerySet[AuditEvent]:
    """The events of ``obj`` and of its parts, oldest first. The caller has already checked access."""
    return AuditEvent.objects.for_object(obj).select_related("actor", "organisation", "target_type")
