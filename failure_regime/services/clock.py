"""Deadlines and their reminders. Each deadline is a row; a periodic sweep sends what has fallen due.

The sweep reads only deadlines whose ``next_alert_at`` has passed, locks them with SKIP LOCKED so
that concurrent sweeps share the work instead of repeating it, records each reminder as an ``Alert``
(unique per deadline and step) and queues its mail in the outbox, all in one transaction. If the
sweep dies before it commits, nothing is recorded and the next sweep does the work; if beat was
down for hours, the next sweep sends the most recent reminder that fell due and marks the older
ones as superseded, so nobody gets a pile of stale reminders.

Each reminder and escalation is also listed among the person's notifications, in the same
transaction and with one statement per batch. Deadlines are statutory, so the clock mails them
itself, at once, and records the notifications as already mailed: one mail per person and step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership, Organisation, Role, User
from failure_regime.dates import london_date, long_date, morning_of
from failure_regime.links import deadline_subject_url
from failure_regime.models import (
    Alert,
    Case,
    CaseParty,
    Deadline,
    DeadlineKind,
    EnforcementAction,
    NotificationEvent,
    SignOff,
)
from failure_regime.permissions import SIGN_OFF_ROLE_BY_KIND
from failure_regime.services.notifications import Told, notifications_record_mailed
from failure_regime.services.outbox import Mail, outbox_enqueue

OVERDUE = "overdue"
SWEEP_BATCH = 5000


@dataclass(frozen=True)
class Step:
    key: str
    at: datetime

    @property
    def is_overdue(self) -> bool:
        return self.key == OVERDUE


def immediate_sign_off_offsets() -> list[timedelta]:
    """When the parties to an immediate case are chased before its sign-off deadline: every
    ``IMMEDIATE_SIGN_OFF_CHASE_HOURS`` from the start of the window, and a last call
    ``IMMEDIATE_SIGN_OFF_LAST_CALL_HOURS`` before it (with the defaults, 20, 16, 12, 8, 4 and 2 hours before)."""
    window = settings.IMMEDIATE_SIGN_OFF_HOURS
    every = max(1, settings.IMMEDIATE_SIGN_OFF_CHASE_HOURS)
    hours = set(range(window - every, 0, -every))
    if 0 < settings.IMMEDIATE_SIGN_OFF_LAST_CALL_HOURS < window:
        hours.add(settings.IMMEDIATE_SIGN_OFF_LAST_CALL_HOURS)
    return [timedelta(hours=h) for h in sorted(hours, reverse=True)]


def _offsets(kind: str) -> list[timedelta]:
    table = settings.DEADLINE_REMINDER_OFFSETS
    if kind in table:
        return list(table[kind])
    if kind == DeadlineKind.SIGN_OFF:
        # Only immediate cases have a sign-off deadline.
        return immediate_sign_off_offsets()
    return list(table["default"])


def deadline_steps(*, kind: str, due_at: datetime) -> list[Step]:
    """Every alert of a deadline, in time order: the reminders before it, then the escalation. Offsets are
    elapsed time, computed in UTC, so a deadline reads the same whether it came from a form or the database."""
    due_at = due_at.astimezone(UTC)
    steps = []
    for offset in _offsets(kind):
        at = morning_of(london_date(due_at)) if offset == timedelta(0) else due_at - offset
        steps.append(Step(str(int(offset.total_seconds())), min(at, due_at)))
    steps.append(Step(OVERDUE, due_at))
    return sorted(steps, key=lambda s: (s.at, s.is_overdue))


def _next_alert_at(kind: str, due_at: datetime, after: datetime) -> datetime | None:
    upcoming = [s.at for s in deadline_steps(kind=kind, due_at=due_at) if s.at > after]
    return min(upcoming) if upcoming else None


def deadline_build(
    *,
    kind: str,
    title: str,
    provider: Organisation,
    subject: models.Model,
    due_at: datetime,
    case: Case | None = None,
    case_id: int | None = None,
    chase: bool = True,
) -> Deadline:
    """An unsaved deadline whose first alert is the first reminder still ahead (or, if ``due_at`` has already
    passed, the escalation at the next sweep). With ``chase=False`` the deadline is shown (and overdue once it
    passes) but the sweep never alerts anyone about it: for dates that passed before the service knew of them.
    For bulk creation; ``deadline_open`` saves one."""
    now = timezone.now()
    first = [s.at for s in deadline_steps(kind=kind, due_at=due_at) if s.at >= now] or [due_at]
    return Deadline(
        kind=kind,
        title=title,
        provider=provider,
        case_id=case.pk if case is not None else case_id,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        due_at=due_at,
        next_alert_at=min(first) if chase else None,
    )


def deadline_open(
    *,
    kind: str,
    title: str,
    provider: Organisation,
    subject: models.Model,
    due_at: datetime,
    case: Case | None = None,
    chase: bool = True,
) -> Deadline:
    """Starts the clock on something that must happen by ``due_at``. Reminders already past are not sent;
    a deadline that has already passed is escalated at the next sweep, unless ``chase`` is False."""
    deadline = deadline_build(
        kind=kind, title=title, provider=provider, subject=subject, due_at=due_at, case=case, chase=chase
    )
    deadline.save()
    return deadline


def deadline_meet(*, subject: models.Model, kind: str | None = None) -> int:
    """Stops the clock: the thing happened (or no longer needs to). Returns how many deadlines closed."""
    deadlines = Deadline.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk, met_at__isnull=True
    )
    if kind is not None:
        deadlines = deadlines.filter(kind=kind)
    return deadlines.update(met_at=timezone.now(), next_alert_at=None)


# --- Who hears about each kind of deadline ----------------------------------------------------------

Recipients = dict[int, list[User]]
Resolver = Callable[[list[Deadline], bool], Recipients]


def members_by_role(organisation_roles: Iterable[tuple[int, str]]) -> dict[tuple[int, str], list[User]]:
    """The active members holding each (organisation id, role) pair, in one query."""
    pairs = set(organisation_roles)
    if not pairs:
        return {}
    found: dict[tuple[int, str], list[User]] = defaultdict(list)
    memberships = Membership.objects.filter(
        organisation_id__in={o for o, _ in pairs}, role__in={r for _, r in pairs}, user__is_active=True
    ).select_related("user")
    for membership in memberships:
        key = (membership.organisation_id, membership.role)
        if key in pairs:
            found[key].append(membership.user)
    return found


def _national_oversight() -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(role=Role.NATIONAL_OVERSIGHT, user__is_active=True).select_related("user")
    ]


def _sign_off_recipients(deadlines: list[Deadline], overdue: bool) -> Recipients:
    """Reminders chase the parties that have not decided; an overdue deadline alerts national oversight."""
    if overdue:
        national = _national_oversight()
        return {d.pk: national for d in deadlines}
    case_ids = [d.subject_id for d in deadlines]
    decided = set(
        SignOff.objects.filter(case_id__in=case_ids, withdrawn_at__isnull=True).values_list(
            "case_id", "organisation_id"
        )
    )
    undecided: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for party in CaseParty.objects.filter(case_id__in=case_ids).select_related("organisation"):
        if (party.case_id, party.organisation_id) not in decided:
            undecided[party.case_id].append((party.organisation_id, SIGN_OFF_ROLE_BY_KIND[party.organisation.kind]))
    members = members_by_role(pair for pairs in undecided.values() for pair in pairs)
    return {d.pk: [u for pair in undecided[d.subject_id] for u in members.get(pair, [])] for d in deadlines}


# Who hears about an enforcement deadline: the provider's managers, then the regulator that served it.
_ENFORCEMENT_REMINDED = (Role.TRUST_MANAGER, Role.TRUST_SIGN_OFF_OFFICER)
_ENFORCEMENT_ESCALATED = Role.REGULATOR_DECISION_MAKER


def _enforcement_recipients(deadlines: list[Deadline], overdue: bool) -> Recipients:
    """The provider's managers are reminded; when the date passes, the regulator and overseer hear too."""
    actions = EnforcementAction.objects.in_bulk([d.subject_id for d in deadlines])
    wanted: dict[int, list[tuple[int, str]]] = {}
    for deadline in deadlines:
        action = actions[deadline.subject_id]
        pairs: list[tuple[int, str]] = [(deadline.provider_id, role) for role in _ENFORCEMENT_REMINDED]
        if overdue:
            pairs.append((action.recorded_by_organisation_id, _ENFORCEMENT_ESCALATED))
        wanted[deadline.pk] = pairs
    members = members_by_role(pair for pairs in wanted.values() for pair in pairs)
    return {pk: [u for pair in pairs for u in members.get(pair, [])] for pk, pairs in wanted.items()}


@dataclass(frozen=True)
class Reach:
    """The roles a resolver's recipients hold, before a deadline (``upcoming``) and once it has passed
    (``overdue``), so that a person's own deadlines can be looked for only where they could be. None: anyone
    (a resolver that names people, such as an intervention's owner)."""

    upcoming: frozenset[str] | None
    overdue: frozenset[str] | None


ANYONE = Reach(None, None)
_ENFORCEMENT_REACH = Reach(
    frozenset(_ENFORCEMENT_REMINDED), frozenset({*_ENFORCEMENT_REMINDED, _ENFORCEMENT_ESCALATED})
)

RESOLVERS: dict[str, Resolver] = {
    DeadlineKind.SIGN_OFF: _sign_off_recipients,
    DeadlineKind.ENFORCEMENT_COMPLIANCE: _enforcement_recipients,
    DeadlineKind.REPRESENTATION_WINDOW: _enforcement_recipients,
}
REACHES: dict[str, Reach] = {
    DeadlineKind.ENFORCEMENT_COMPLIANCE: _ENFORCEMENT_REACH,
    DeadlineKind.REPRESENTATION_WINDOW: _ENFORCEMENT_REACH,
}


def register_resolver(kind: str, resolver: Resolver, reach: Reach = ANYONE) -> None:
    """Lets another part of the regime say who hears about its own kind of deadline, and which roles they hold."""
    RESOLVERS[kind] = resolver
    REACHES[kind] = reach


def deadlines_within_reach_q(*, user: User, kinds: Iterable[str]) -> Q:
    """Of ``kinds``, the deadlines whose resolvers could name ``user`` by the roles they hold (``Reach``): a
    condition to narrow what ``deadlines_of`` is asked about, never to decide it."""
    roles = set(user.memberships.values_list("role", flat=True))
    now = timezone.now()
    within = Q(pk__in=[])
    for kind in kinds:
        reach = REACHES.get(kind, ANYONE)
        before = reach.upcoming is None or bool(roles & reach.upcoming)
        after = reach.overdue is None or bool(roles & reach.overdue)
        if before and after:
            within |= Q(kind=kind)
        elif before:
            within |= Q(kind=kind, due_at__gte=now)
        elif after:
            within |= Q(kind=kind, due_at__lt=now)
    return within


def deadlines_of(*, user: User, deadlines: Iterable[Deadline]) -> list[Deadline]:
    """Of ``deadlines``, those the clock would remind ``user`` of now: the one rule for whose deadline something
    is, shared by reminders, the home page and the calendar feed. A constant number of queries per kind."""
    now = timezone.now()
    deadlines = list(deadlines)
    batches: dict[tuple[str, bool], list[Deadline]] = defaultdict(list)
    for deadline in deadlines:
        batches[(deadline.kind, deadline.due_at < now)].append(deadline)
    theirs: set[int] = set()
    for (kind, overdue), batch in batches.items():
        resolver = RESOLVERS.get(kind)
        if resolver is None:
            continue
        recipients = resolver(batch, overdue)
        theirs |= {pk for pk, people in recipients.items() if any(person.pk == user.pk for person in people)}
    return [deadline for deadline in deadlines if deadline.pk in theirs]


def _subject(deadline: Deadline, step: Step) -> str:
    if step.is_overdue:
        return f"Overdue: {deadline.title}"
    return f"Reminder: {deadline.title} is due on {long_date(timezone.localtime(deadline.due_at).date())}"


def _mail(deadline: Deadline, step: Step, user: User, link: str) -> Mail:
    local_due = timezone.localtime(deadline.due_at)
    due = f"{long_date(local_due.date())} at {local_due:%H:%M}"
    opening = f"This deadline passed on {due} and has not been met." if step.is_overdue else f"This is due by {due}."
    body = f"Hello {user.get_short_name()},\n\n{deadline.title}\n\n{opening}\n\nSee it here: {link}\n"
    return Mail(
        dedupe_key=f"deadline:{deadline.pk}:{step.key}:{user.pk}",
        to=user.email,
        subject=_subject(deadline, step),
        body=body,
    )


@dataclass
class SweepReport:
    deadlines: int = 0
    reminders: int = 0
    escalations: int = 0
    superseded: int = 0
    emails: int = 0
    batches: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def _save_next_alerts(batch: list[Deadline]) -> None:
    """Saves each deadline's next alert time in one statement (``bulk_update`` builds a slow CASE per row)."""
    if connection.vendor != "postgresql":
        Deadline.objects.bulk_update(batch, ["next_alert_at"])
        return
    table = Deadline._meta.db_table
    values = ", ".join(["(%s, %s::timestamptz)"] * len(batch))
    params: list[Any] = [value for d in batch for value in (d.pk, d.next_alert_at)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS d SET next_alert_at = v.at FROM (VALUES {values}) AS v(id, at) "  # noqa: S608 - fixed names
            "WHERE d.id = v.id",
            params,
        )


def _sweep_batch(now: datetime, report: SweepReport) -> int:
    due = Deadline.objects.filter(met_at__isnull=True, next_alert_at__lte=now).order_by("next_alert_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    batch = list(due[:SWEEP_BATCH])
    if not batch:
        return 0
    sent = set(Alert.objects.filter(deadline__in=batch).values_list("deadline_id", "step"))
    alerts: list[Alert] = []
    to_send: dict[tuple[str, bool], list[tuple[Deadline, Step]]] = defaultdict(list)
    for deadline in batch:
        steps = [
            s
            for s in deadline_steps(kind=deadline.kind, due_at=deadline.due_at)
            if s.at <= now and s.at >= (deadline.next_alert_at or now) and (deadline.pk, s.key) not in sent
        ]
        reminders = [s for s in steps if not s.is_overdue]
        for stale in reminders[:-1]:
            alerts.append(Alert(deadline=deadline, step=stale.key, sent_at=now, superseded=True))
            report.superseded += 1
        chosen = reminders[-1:] + [s for s in steps if s.is_overdue]
        for step in chosen:
            alerts.append(Alert(deadline=deadline, step=step.key, sent_at=now))
            to_send[(deadline.kind, step.is_overdue)].append((deadline, step))
            if step.is_overdue:
                report.escalations += 1
            else:
                report.reminders += 1
        deadline.next_alert_at = _next_alert_at(deadline.kind, deadline.due_at, now)
    Alert.objects.bulk_create(alerts)
    _save_next_alerts(batch)
    mails: list[Mail] = []
    told: list[Told] = []
    for (kind, overdue), items in to_send.items():
        recipients = RESOLVERS[kind]([d for d, _ in items], overdue)
        event = NotificationEvent.DEADLINE_OVERDUE if overdue else NotificationEvent.DEADLINE_REMINDER
        for deadline, step in items:
            path = deadline_subject_url(deadline)
            people = {user.pk: user for user in recipients.get(deadline.pk, []) if user.is_active}.values()
            mails.extend(_mail(deadline, step, user, settings.SITE_URL + path) for user in people)
            title = _subject(deadline, step)
            key = f"deadline:{deadline.pk}:{step.key}"
            told.extend(Told(user=u, event=event, title=title, link=path, key=key, about=deadline) for u in people)
        report.by_kind[kind] = report.by_kind.get(kind, 0) + len(items)
    # Deadlines are statutory, so their mail always goes at once: the clock queues it and lists the
    # notifications as already mailed, so nobody gets the same reminder twice.
    notifications_record_mailed(told=told)
    report.emails += outbox_enqueue(messages=mails)
    report.deadlines += len(batch)
    report.batches += 1
    return len(batch)


def deadline_sweep(*, now: datetime | None = None) -> SweepReport:
    """Sends every reminder and escalation that has fallen due, each exactly once."""
    now = now or timezone.now()
    report = SweepReport()
    while True:
        with transaction.atomic():
            if _sweep_batch(now, report) < SWEEP_BATCH:
                return report
