"""What is waiting for a person: the things each app asks them to do, gathered for their home page.

The regime sits below reviews and communications, so it cannot ask them directly. Each app instead
registers its work sources here when it loads (in ``AppConfig.ready``); a source is a function of the
user that returns that person's work items, found through the app's own selectors and rules, in a
fixed number of queries whatever the volume.
"""

from __future__ import annotations

import contextlib
import datetime
import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from django.db.models import BooleanField, Case, Count, Model, Q, QuerySet, When
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

if TYPE_CHECKING:
    from accounts.models import Membership, Organisation, User


END_OF_DAY = datetime.time(23, 59)


class Urgency(enum.IntEnum):
    """How soon a person should act on an item, beyond its due date; higher sorts first among equals."""

    ROUTINE = 0
    HIGH = 1
    URGENT = 2

    @property
    def label(self) -> str:
        return {Urgency.ROUTINE: "", Urgency.HIGH: "High priority", Urgency.URGENT: "Urgent"}[self]

    @property
    def tag_class(self) -> str:
        """The NHS.UK tag colour that shows it."""
        return {Urgency.ROUTINE: "", Urgency.HIGH: "nhsuk-tag--orange", Urgency.URGENT: "nhsuk-tag--red"}[self]


@dataclass(frozen=True)
class WorkItem:
    """One thing a person is asked to do, with the page where they do it.

    ``group`` is the heading it is listed under ("Reports to send"); ``kind`` says what it is in a
    word or two ("Monthly report"); ``organisation`` says which of the person's organisations and roles
    it is for. ``due`` is a date (due by the end of that day) or an aware date and time; ``overdue`` is
    set by the source, which knows its own rule (a report is late the day after it is due, a clock
    the moment it passes).
    """

    group: str
    kind: str
    title: str
    url: str
    organisation: str
    due: datetime.date | datetime.datetime | None = None
    overdue: bool = False
    urgency: Urgency = Urgency.ROUTINE
    progress: str = ""
    detail: str = ""

    def due_at(self) -> datetime.datetime | None:
        """The due moment as an aware date and time: a due date means the end of that day."""
        if self.due is None:
            return None
        if isinstance(self.due, datetime.datetime):
            return self.due
        end_of_day = datetime.datetime.combine(self.due, datetime.time.max)
        return timezone.make_aware(end_of_day)

    def sort_key(self) -> tuple[int, int, datetime.datetime, int, str]:
        """Overdue first, then soonest due, then most urgent; items without a due date come last."""
        due_at = self.due_at()
        far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
        return (0 if self.overdue else 1, 1 if due_at is None else 0, due_at or far, -int(self.urgency), self.title)

    @property
    def due_is_soon(self) -> bool:
        """Due by the end of tomorrow and not yet overdue."""
        due_at = self.due_at()
        if due_at is None or self.overdue:
            return False
        return timezone.localdate(due_at) <= timezone.localdate() + datetime.timedelta(days=1)

    def due_text(self, *, now: datetime.datetime | None = None) -> str:
        """ "due 4 December 2026", "due today", "overdue by 2 days", or "" when nothing is due."""
        if self.due is None:
            return ""
        now = now or timezone.now()
        today = timezone.localdate(now)
        due_day = self.due if not isinstance(self.due, datetime.datetime) else timezone.localdate(self.due)
        # A deadline at the end of a day is shown as that day, as a due date is.
        with_time = isinstance(self.due, datetime.datetime) and timezone.localtime(self.due).time() < END_OF_DAY
        if self.overdue:
            days = (today - due_day).days
            if days <= 0:
                return "overdue"
            return f"overdue by {days} day{'s' if days != 1 else ''}"
        if due_day == today:
            if with_time:
                return f"due today at {_time_text(self.due)}"  # type: ignore[arg-type]
            return "due today"
        text = f"due {date_format(due_day, 'j F Y')}"
        if with_time:
            text += f" at {_time_text(self.due)}"  # type: ignore[arg-type]
        return text


def _time_text(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    minute = f":{local.minute:02d}" if local.minute else ""
    hour = local.hour % 12 or 12
    if local.hour == 12 and not local.minute:
        return "midday"
    return f"{hour}{minute}{'am' if local.hour < 12 else 'pm'}"


def organisation_label(organisation: Organisation, role: str | None = None) -> str:
    """Which of a person's organisations (and roles) an item is for: "Medway NHS Foundation Trust, trust manager"."""
    if not role:
        return organisation.name
    from accounts.models import Role

    return f"{organisation.name}, {Role(role).label.lower()}"


class RoleLabels:
    """The user's memberships, read once, to say which of their organisations and roles an item is for."""

    def __init__(self, memberships: Iterable[Membership]) -> None:
        self.memberships = list(memberships)

    @classmethod
    def of(cls, user: User) -> RoleLabels:
        """The user's memberships: one query, shared by the sources of one ``work_for_user``."""
        cached: RoleLabels | None = getattr(user, "_work_role_labels", None)
        if cached is None:
            cached = cls(user.memberships.select_related("organisation").order_by("organisation__name", "role"))
            user._work_role_labels = cached  # type: ignore[attr-defined]
        return cached

    def find(
        self, *, organisations: Iterable[int] | None = None, roles: Iterable[str] | None = None
    ) -> Membership | None:
        """The first membership in one of ``organisations`` (ids) holding one of ``roles``; either may be left out."""
        wanted_orgs = None if organisations is None else set(organisations)
        wanted_roles = None if roles is None else {str(r) for r in roles}
        for membership in self.memberships:
            if wanted_orgs is not None and membership.organisation_id not in wanted_orgs:
                continue
            if wanted_roles is not None and membership.role not in wanted_roles:
                continue
            return membership
        return None

    def label(
        self,
        *,
        organisations: Iterable[int] | None = None,
        roles: Iterable[str] | None = None,
        default: str = "",
    ) -> str:
        """The label of the first matching membership (see ``find``), or ``default``."""
        membership = self.find(organisations=organisations, roles=roles)
        if membership is None:
            return default
        return organisation_label(membership.organisation, membership.role)


class WorkList(list[WorkItem]):
    """Work items, and how many more a source found under each heading than it built (``unlisted``, of which
    ``unlisted_overdue`` are overdue): a source whose list can run to thousands builds only the first
    ``HEADING_LIMIT``, most pressing first, and counts the rest."""

    def __init__(
        self,
        items: Iterable[WorkItem] = (),
        unlisted: dict[str, int] | None = None,
        unlisted_overdue: dict[str, int] | None = None,
    ) -> None:
        super().__init__(items)
        self.unlisted: dict[str, int] = dict(unlisted or {})
        self.unlisted_overdue: dict[str, int] = dict(unlisted_overdue or {})


_Row = TypeVar("_Row", bound=Model)


def first_listed(queryset: QuerySet[_Row], *, heading: str, overdue: Q | None = None) -> tuple[list[_Row], WorkList]:
    """The first ``HEADING_LIMIT`` of ``queryset`` (ordered most pressing first, as the home page sorts), and an
    empty ``WorkList`` for the source's items that counts the rest and how many of them are overdue. ``overdue``
    is the source's rule for an overdue row (none: nothing it lists is ever overdue), answered by the database
    alone: each row carries it as ``work_overdue``, for the item. The page costs its first rows and, when there
    are more, one count, however long the list. (A count over the window of the first query would save the second
    but read every row with the list's joins before the limit: slower wherever an index gives the order.)"""
    # CASE rather than the bare condition, which is unknown (NULL) for a row without a due date.
    is_overdue = Case(When(overdue or Q(pk__in=[]), then=True), default=False, output_field=BooleanField())
    listed = list(queryset.annotate(work_overdue=is_overdue)[:HEADING_LIMIT])
    if len(listed) < HEADING_LIMIT:
        return listed, WorkList()
    counts = queryset.order_by().aggregate(total=Count("pk"), overdue=Count("pk", filter=overdue or Q(pk__in=[])))
    listed_overdue = sum(bool(row.work_overdue) for row in listed)  # type: ignore[attr-defined]
    return listed, WorkList(
        unlisted={heading: counts["total"] - len(listed)},
        unlisted_overdue={heading: counts["overdue"] - listed_overdue},
    )


WorkSource = Callable[["User"], list[WorkItem]]

_SOURCES: dict[str, WorkSource] = {}
# The page listing everything under a heading, by heading: where "See all" goes when the home page shows only the
# most pressing (a URL name; headings without a list of their own have none).
_SEE_ALL: dict[str, str] = {}
# How many items the home page lists under one heading; the rest are counted and linked.
HEADING_LIMIT = 20


def register_work_source(name: str, fn: WorkSource) -> None:
    """Add a source of work items under a unique name. Registering the same function again is harmless;
    a different function under a name already taken is a mistake and is refused."""
    existing = _SOURCES.get(name)
    if existing is not None and existing is not fn:
        raise ValueError(f"A work source named {name!r} is already registered.")
    _SOURCES[name] = fn


def register_see_all(heading: str, url_name: str) -> None:
    """The page where everything under ``heading`` is listed, for when the home page shows only the first."""
    _SEE_ALL[heading] = url_name


def work_sources() -> dict[str, WorkSource]:
    """The registered sources, by name, in the order they were registered."""
    return dict(_SOURCES)


def sort_work(items: Iterable[WorkItem]) -> list[WorkItem]:
    return sorted(items, key=WorkItem.sort_key)


@dataclass
class WorkGroup:
    """Items under one heading, most pressing first: the first ``HEADING_LIMIT`` of them in ``items``, with the
    whole number and how many are overdue counted over all."""

    heading: str
    items: list[WorkItem] = field(default_factory=list)
    total: int = 0
    overdue_count: int = 0

    @property
    def hidden(self) -> int:
        """How many more there are than the page lists."""
        return self.total - len(self.items)

    @property
    def see_all_url(self) -> str:
        url_name = _SEE_ALL.get(self.heading)
        return reverse(url_name) if url_name else ""


def work_for_user(*, user: User) -> WorkList:
    """Everything waiting for the user, from every registered source, overdue first and then by due date (with
    what the sources counted but did not list in ``unlisted``)."""
    from failure_regime.selectors import access_read_once

    _forget_role_labels(user)
    items: list[WorkItem] = []
    unlisted: dict[str, int] = {}
    unlisted_overdue: dict[str, int] = {}
    try:
        # The sources only read, so what the user may see is read once for all of them.
        with access_read_once(user):
            for source in _SOURCES.values():
                found = source(user)
                items.extend(found)
                for heading, count in getattr(found, "unlisted", {}).items():
                    unlisted[heading] = unlisted.get(heading, 0) + count
                for heading, count in getattr(found, "unlisted_overdue", {}).items():
                    unlisted_overdue[heading] = unlisted_overdue.get(heading, 0) + count
    finally:
        _forget_role_labels(user)
    return WorkList(sort_work(items), unlisted, unlisted_overdue)


def _forget_role_labels(user: User) -> None:
    # The memberships are shared by the sources of one gathering only, so a later one sees role changes.
    with contextlib.suppress(AttributeError):
        delattr(user, "_work_role_labels")


def work_groups(items: list[WorkItem], *, limit: int = HEADING_LIMIT) -> list[WorkGroup]:
    """Items under their headings, at most ``limit`` listed under each, counted with what the sources found but
    did not list (``WorkList.unlisted``). A heading comes where its most pressing item would in the sorted list,
    so a group holding something overdue comes before one that does not."""
    groups: dict[str, WorkGroup] = {}
    for item in sort_work(items):
        group = groups.setdefault(item.group, WorkGroup(heading=item.group))
        group.total += 1
        group.overdue_count += item.overdue
        if len(group.items) < limit:
            group.items.append(item)
    for heading, count in getattr(items, "unlisted", {}).items():
        if heading in groups:
            groups[heading].total += count
    for heading, count in getattr(items, "unlisted_overdue", {}).items():
        if heading in groups:
            groups[heading].overdue_count += count
    return list(groups.values())
