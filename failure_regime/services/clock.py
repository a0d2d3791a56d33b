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

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership, Organisation, Role, User
from failure_regime.dates import london_date, long_date, morning_of
from failure_regime.links import DeadlinePaths
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
from failure_regime.pg_arrays import number_array
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


@dataclass(frozen=True)
class MorningBefore:
    """A reminder at the start of the working day (``morning_of``), ``days`` days before the day a deadline falls
    due, whatever its time: for things due on a date rather than at a moment."""

    days: int


Reminder = timedelta | MorningBefore


def _offsets(kind: str) -> list[Reminder]:
    table = settings.DEADLINE_REMINDER_OFFSETS
    if kind in table:
        return list(table[kind])
    if kind in REMINDERS:
        return list(REMINDERS[kind])
    if kind == DeadlineKind.SIGN_OFF:
        # Only immediate cases have a sign-off deadline.
        return list[Reminder](immediate_sign_off_offsets())
    return list(table["default"])


def _step(reminder: Reminder, due_at: datetime) -> Step:
    if isinstance(reminder, MorningBefore):
        return Step(f"morning-{reminder.days}", morning_of(london_date(due_at) - timedelta(days=reminder.days)))
    at = morning_of(london_date(due_at)) if reminder == timedelta(0) else due_at - reminder
    return Step(str(int(reminder.total_seconds())), at)


def deadline_steps(*, kind: str, due_at: datetime) -> list[Step]:
    """Every alert of a deadline, in time order: the reminders before it, then the escalation. Offsets are
    elapsed time, computed in UTC, so a deadline reads the same whether it came from a form or the database; a
    ``MorningBefore`` is the morning of a day in London."""
    due_at = due_at.astimezone(UTC)
    steps = []
    for reminder in _offsets(kind):
        step = _step(reminder, due_at)
        steps.append(Step(step.key, min(step.at, due_at)))
    steps.append(Step(OVERDUE, due_at))
    return sorted(steps, key=lambda s: (s.at, s.is_overdue))


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


class DeadlineFacts(Protocol):
    """What a resolver may read of a deadline: a ``Deadline``, or the sweep's ``DueDeadline`` read without a model
    instance."""

    @property
    def pk(self) -> Any: ...
    @property
    def kind(self) -> str: ...
    @property
    def provider_id(self) -> int: ...
    @property
    def case_id(self) -> int | None: ...
    @property
    def subject_id(self) -> int: ...
    @property
    def due_at(self) -> datetime: ...


Recipients = dict[int, list[User]]
# Who hears about a batch of deadlines of one kind, all upcoming or all overdue: each deadline's pk to its people.
Resolver = Callable[[Sequence[DeadlineFacts], bool], Recipients]
# A resolver's rule as a condition on deadline rows of its kind: given a person's memberships (with their
# organisations) and the time, exactly the deadlines the resolver would name them for. A list can then ask the
# database for a person's first deadlines and their count instead of resolving every deadline within reach.
Mine = Callable[[Sequence[Membership], datetime], Q]


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


def _sign_off_recipients(deadlines: Sequence[DeadlineFacts], overdue: bool) -> Recipients:
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


def _enforcement_mine(memberships: Sequence[Membership], now: datetime) -> Q:
    """``_enforcement_recipients`` as a condition: the provider's managers always, the serving regulator's
    decision-makers once the date has passed."""
    managed = [m.organisation_id for m in memberships if m.role in _ENFORCEMENT_REMINDED]
    serving = [m.organisation_id for m in memberships if m.role == _ENFORCEMENT_ESCALATED]
    mine = Q(provider__in=managed) if managed else Q(pk__in=[])
    if serving:
        served = EnforcementAction.objects.filter(recorded_by_organisation__in=serving).values("pk")
        mine |= Q(due_at__lt=now, subject_id__in=served)
    return mine


def _enforcement_recipients(deadlines: Sequence[DeadlineFacts], overdue: bool) -> Recipients:
    """The provider's managers are reminded; when the date passes, the serving regulator's decision-makers hear
    too."""
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


RESOLVERS: dict[str, Resolver] = {
    DeadlineKind.SIGN_OFF: _sign_off_recipients,
    DeadlineKind.ENFORCEMENT_COMPLIANCE: _enforcement_recipients,
    DeadlineKind.REPRESENTATION_WINDOW: _enforcement_recipients,
}
MINE: dict[str, Mine] = {
    DeadlineKind.ENFORCEMENT_COMPLIANCE: _enforcement_mine,
    DeadlineKind.REPRESENTATION_WINDOW: _enforcement_mine,
}


# Kinds whose reminders are not the default ones, as their parts of the regime register them (settings'
# DEADLINE_REMINDER_OFFSETS still come first).
REMINDERS: dict[str, tuple[Reminder, ...]] = {}


def register_resolver(
    kind: str,
    resolver: Resolver,
    reminders: Sequence[Reminder] | None = None,
    mine: Mine | None = None,
) -> None:
    """Lets another part of the regime say who hears about its own kind of deadline, (if not the default ones)
    when they are reminded before it falls due, and (``mine``) the same rule as a condition on the deadline rows,
    which must name exactly the people the resolver does."""
    RESOLVERS[kind] = resolver
    if mine is not None:
        MINE[kind] = mine
    if reminders is not None:
        REMINDERS[kind] = tuple(reminders)


def deadlines_mine_q(*, user: User, kinds: Iterable[str], now: datetime) -> Q:
    """Of ``kinds``, the deadlines the clock would remind ``user`` of at ``now``, as a condition the database
    answers (each kind's registered ``mine``; a kind without one is a mistake, refused with ``LookupError``).
    Nobody's once they are no longer active."""
    kinds = list(kinds)
    missing = [kind for kind in kinds if kind not in MINE]
    if missing:
        raise LookupError(f"No condition is registered for these kinds of deadline: {', '.join(missing)}.")
    if not user.is_active:
        return Q(pk__in=[])
    memberships = list(user.memberships.select_related("organisation"))
    mine = Q(pk__in=[])
    for kind in kinds:
        mine |= Q(kind=kind) & MINE[kind](memberships, now)
    return mine


def deadlines_of(*, user: User, deadlines: Iterable[Deadline]) -> list[Deadline]:
    """Of ``deadlines``, those the clock would remind ``user`` of now: the one rule for whose deadline something
    is, shared by reminders and the calendar feed (the home page asks the same rule as a condition,
    ``deadlines_mine_q``). A constant number of queries per kind."""
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


# One template for every reminder and escalation mail; ``opening`` says which it is.
_MAIL_BODY = "Hello {name},\n\n{title}\n\n{opening}\n\nSee it here: {link}\n"


class DueDeadline(NamedTuple):
    """A deadline as the sweep reads it: the columns it needs, without building a model instance (or running a
    constructor) for each of thousands. Resolvers read the same attributes of it as of a ``Deadline``."""

    pk: int
    kind: str
    title: str
    provider_id: int
    case_id: int | None
    subject_type_id: int
    subject_id: int
    due_at: datetime
    next_alert_at: datetime | None


_DUE_COLUMNS = DueDeadline._fields


@dataclass
class SweepReport:
    deadlines: int = 0
    reminders: int = 0
    escalations: int = 0
    superseded: int = 0
    emails: int = 0
    batches: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class _Sweep:
    """What one sweep works out once and uses for every deadline: each (kind, due time)'s steps, each due time in
    words, and the path of each kind of page."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.paths = DeadlinePaths()
        self.deadline_type_id = ContentType.objects.get_for_model(Deadline).pk
        self._steps: dict[tuple[str, datetime], list[Step]] = {}
        self._due_words: dict[datetime, tuple[str, str]] = {}

    def steps(self, deadline: DueDeadline) -> list[Step]:
        key = (deadline.kind, deadline.due_at)
        if key not in self._steps:
            self._steps[key] = deadline_steps(kind=deadline.kind, due_at=deadline.due_at)
        return self._steps[key]

    def due_words(self, due_at: datetime) -> tuple[str, str]:
        """The due date in words, and the date and time: "4 March 2027", "4 March 2027 at 23:59"."""
        if due_at not in self._due_words:
            local = timezone.localtime(due_at)
            day = long_date(local.date())
            self._due_words[due_at] = (day, f"{day} at {local:%H:%M}")
        return self._due_words[due_at]

    def subject(self, deadline: DueDeadline, step: Step) -> str:
        if step.is_overdue:
            return f"Overdue: {deadline.title}"
        return f"Reminder: {deadline.title} is due on {self.due_words(deadline.due_at)[0]}"

    def opening(self, deadline: DueDeadline, step: Step) -> str:
        due = self.due_words(deadline.due_at)[1]
        return f"This deadline passed on {due} and has not been met." if step.is_overdue else f"This is due by {due}."


def _due_batch(now: datetime) -> list[DueDeadline]:
    due = Deadline.objects.filter(met_at__isnull=True, next_alert_at__lte=now).order_by("next_alert_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    rows = due.values_list(*_DUE_COLUMNS)[:SWEEP_BATCH]
    if connection.vendor != "postgresql":
        return list(map(DueDeadline._make, rows))
    # On PostgreSQL the rows as the driver gives them (aware datetimes already): Django's conversions, row by
    # row, would add nothing.
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(map(DueDeadline._make, cursor.fetchall()))


def _steps_already_sent(deadline_ids: list[int]) -> set[tuple[int, str]]:
    """The (deadline id, step) of every alert already recorded for these deadlines: normally none, since each
    sweep moves a deadline's next alert past what it sent; but a deadline whose date moved may meet a step again.
    On PostgreSQL the ids go as one array, not as thousands of parameters."""
    if connection.vendor != "postgresql":
        return set(Alert.objects.filter(deadline_id__in=deadline_ids).values_list("deadline_id", "step"))
    table = connection.ops.quote_name(Alert._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT deadline_id, step FROM {table} WHERE deadline_id = ANY(%s::bigint[])",  # noqa: S608 - fixed names
            [number_array(deadline_ids)],
        )
        return {(row[0], row[1]) for row in cursor.fetchall()}


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the sweep does to every deadline of one kind, due time and next alert that has sent the same steps
    (normally none): the alerts it records, each marked superseded or sent, and when it next looks."""

    number: int
    alerts: tuple[tuple[Step, bool], ...]
    next_alert_at: datetime | None

    @property
    def sent(self) -> list[Step]:
        return [step for step, superseded in self.alerts if not superseded]


def _plan(sweep: _Sweep, deadline: DueDeadline, already: frozenset[str], number: int) -> _Plan:
    """The one rule for what falls due: of the steps from the deadline's next alert up to now that were not sent
    before, the latest reminder is sent and any earlier ones are superseded (nobody gets a pile of stale
    reminders after beat was down); the escalation is sent once the deadline has passed."""
    now = sweep.now
    steps = sweep.steps(deadline)
    since = deadline.next_alert_at or now
    fallen_due = [s for s in steps if since <= s.at <= now and s.key not in already]
    reminders = [s for s in fallen_due if not s.is_overdue]
    alerts = [(s, True) for s in reminders[:-1]] + [(s, False) for s in reminders[-1:]]
    alerts += [(s, False) for s in fallen_due if s.is_overdue]
    # The steps are in time order, so the first still ahead is the next alert.
    return _Plan(number, tuple(alerts), next((s.at for s in steps if s.at > now), None))


def _write_plans(now: datetime, assigned: list[tuple[int, _Plan]]) -> None:
    """Records every planned alert and moves each deadline's next alert on. On PostgreSQL, two statements that
    join the batch's ids to its few plans; elsewhere, row by row."""
    if connection.vendor != "postgresql":
        Alert.objects.bulk_create(
            [
                Alert(deadline_id=pk, step=step.key, sent_at=now, superseded=superseded)
                for pk, plan in assigned
                for step, superseded in plan.alerts
            ]
        )
        Deadline.objects.bulk_update(
            [Deadline(pk=pk, next_alert_at=plan.next_alert_at) for pk, plan in assigned],
            ["next_alert_at"],
            batch_size=500,
        )
        return
    plans = {plan.number: plan for _, plan in assigned}.values()
    # The batch's ids and plans as array literals (``pg_arrays``); the few plans' own arrays go as they are.
    batch = [number_array(pk for pk, _ in assigned), number_array(plan.number for _, plan in assigned)]
    steps: list[list[Any]] = [
        [plan.number for plan in plans for _ in plan.alerts],
        [step.key for plan in plans for step, _ in plan.alerts],
        [superseded for plan in plans for _, superseded in plan.alerts],
    ]
    alert = connection.ops.quote_name(Alert._meta.db_table)
    deadline = connection.ops.quote_name(Deadline._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {alert} (deadline_id, step, superseded, sent_at) "  # noqa: S608 - fixed names
            "SELECT b.id, p.step, p.superseded, %s FROM unnest(%s::bigint[], %s::integer[]) AS b(id, plan) "
            "JOIN unnest(%s::integer[], %s::text[], %s::boolean[]) AS p(plan, step, superseded) USING (plan)",
            [now, *batch, *steps],
        )
        cursor.execute(
            f"UPDATE {deadline} AS d SET next_alert_at = p.at "  # noqa: S608 - fixed names
            "FROM unnest(%s::bigint[], %s::integer[]) AS b(id, plan) "
            "JOIN unnest(%s::integer[], %s::timestamptz[]) AS p(plan, at) USING (plan) WHERE d.id = b.id",
            [*batch, [plan.number for plan in plans], [plan.next_alert_at for plan in plans]],
        )


def _sweep_batch(sweep: _Sweep, report: SweepReport) -> int:
    now = sweep.now
    batch = _due_batch(now)
    if not batch:
        return 0
    sent: dict[int, set[str]] = defaultdict(set)
    for pk, key in _steps_already_sent([d.pk for d in batch]):
        sent[pk].add(key)
    plans: dict[tuple[str, datetime, datetime | None, frozenset[str]], _Plan] = {}
    assigned: list[tuple[int, _Plan]] = []
    to_send: dict[tuple[str, bool], list[tuple[DueDeadline, Step]]] = defaultdict(list)
    for deadline in batch:
        already = frozenset(sent.get(deadline.pk, ()))
        shape = (deadline.kind, deadline.due_at, deadline.next_alert_at, already)
        plan = plans.get(shape)
        if plan is None:
            plan = plans[shape] = _plan(sweep, deadline, already, len(plans))
        assigned.append((deadline.pk, plan))
        for step in plan.sent:
            to_send[(deadline.kind, step.is_overdue)].append((deadline, step))
    uses = Counter(plan.number for _, plan in assigned)
    for plan in plans.values():
        count = uses[plan.number]
        report.superseded += count * sum(1 for _, superseded in plan.alerts if superseded)
        report.escalations += count * sum(1 for step in plan.sent if step.is_overdue)
        report.reminders += count * sum(1 for step in plan.sent if not step.is_overdue)
    _write_plans(now, assigned)
    mails: list[Mail] = []
    told: list[Told] = []
    site = settings.SITE_URL
    for (kind, overdue), items in to_send.items():
        recipients = RESOLVERS[kind]([d for d, _ in items], overdue)
        event = NotificationEvent.DEADLINE_OVERDUE if overdue else NotificationEvent.DEADLINE_REMINDER
        for deadline, step in items:
            people = {user.pk: user for user in recipients.get(deadline.pk, []) if user.is_active}.values()
            if not people:
                continue
            path = sweep.paths.path(
                subject_type_id=deadline.subject_type_id, subject_id=deadline.subject_id, case_id=deadline.case_id
            )
            title = sweep.subject(deadline, step)
            opening = sweep.opening(deadline, step)
            key = f"deadline:{deadline.pk}:{step.key}"
            for user in people:
                body = _MAIL_BODY.format(
                    name=user.get_short_name(), title=deadline.title, opening=opening, link=site + path
                )
                mails.append(Mail(dedupe_key=f"{key}:{user.pk}", to=user.email, subject=title, body=body))
                told.append(
                    Told(
                        user_id=user.pk,
                        event=event,
                        title=title,
                        link=path,
                        key=key,
                        about_type_id=sweep.deadline_type_id,
                        about_id=deadline.pk,
                    )
                )
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
    sweep = _Sweep(now)
    while True:
        with transaction.atomic():
            if _sweep_batch(sweep, report) < SWEEP_BATCH:
                return report
