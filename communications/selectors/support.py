"""Reads of the support directory. Support services are public information: staff see every one, including
those no longer offered; the public, and the notices of a case, only those still offered."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from itertools import groupby

from django.db import models
from django.db.models import Count, IntegerField, Max, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from accounts.models import Region, User
from communications.models import MIDNIGHT, OpeningTime, SupportKind, SupportService, Weekday
from communications.services.support import support_organisations
from communications.workdays import clock_words
from failure_regime.models import Case, CaseStatus
from failure_regime.selectors import case_list_for_user

# Services are listed helplines first, as SupportKind declares the kinds, then by name.
_KIND_ORDER = models.Case(
    *[When(kind=kind, then=Value(rank)) for rank, kind in enumerate(SupportKind.values)],
    default=Value(len(SupportKind.values)),
    output_field=IntegerField(),
)


def support_service_list_for_user(*, user: User) -> QuerySet[SupportService]:
    """Every service in the directory, for staff: the directory is public, so all staff may read all of it."""
    return SupportService.objects.select_related("maintained_by", "provider").order_by("name", "pk")


def support_service_get_for_user(*, user: User, pk: int) -> SupportService:
    return get_object_or_404(support_service_list_for_user(user=user), pk=pk)


def support_service_detail(*, service: SupportService) -> SupportService:
    """The service with its opening times, for its staff page (access already checked)."""
    return (
        SupportService.objects.select_related("maintained_by", "provider")
        .prefetch_related("opening_times")
        .get(pk=service.pk)
    )


def may_maintain(*, user: User, service: SupportService) -> bool:
    """Whether ``user`` keeps this service up to date (its organisation's communications or liaison staff)."""
    return service.maintained_by in support_organisations(user)


def linked_cases_for_user(*, user: User, service: SupportService) -> QuerySet[Case]:
    """The cases the service is linked to, among those ``user`` may see."""
    return case_list_for_user(user=user).filter(support_services=service).order_by("reference")


def linkable_cases_for_user(*, user: User, service: SupportService) -> QuerySet[Case]:
    """Open cases ``user`` may see that the service is not yet linked to."""
    return (
        case_list_for_user(user=user)
        .exclude(status=CaseStatus.CLOSED)
        .exclude(support_services=service)
        .order_by("reference")
    )


def public_support_services(*, kind: str = "", region: str = "") -> QuerySet[SupportService]:
    """The services offered to the public, helplines first. A region shows its own services and the national
    ones, which serve everyone."""
    services = SupportService.objects.active()
    if kind:
        services = services.filter(kind=kind)
    if region and region != Region.NATIONAL:
        services = services.filter(region__in=[region, Region.NATIONAL])
    elif region == Region.NATIONAL:
        services = services.filter(region=Region.NATIONAL)
    return (
        services.select_related("provider")
        .prefetch_related("opening_times")
        .annotate(kind_rank=_KIND_ORDER)
        .order_by("kind_rank", "name", "pk")
    )


def with_opening_hours(services: Iterable[SupportService]) -> list[SupportService]:
    """The services, each with ``opening_hours`` in plain English from its prefetched opening times."""
    listed = list(services)
    for service in listed:
        service.opening_hours = describe_opening_hours(  # type: ignore[attr-defined]
            times=service.opening_times.all(), open_24_hours=service.open_24_hours
        )
    return listed


def public_support_version() -> str:
    """Changes whenever the public directory would: a service added, changed, taken out of use or back."""
    summary = SupportService.objects.aggregate(
        n=Count("pk"), active=Count("pk", filter=Q(active=True)), latest=Max("updated_at")
    )
    shown = "|".join(str(summary[k]) for k in ("n", "active", "latest"))
    return hashlib.sha256(shown.encode()).hexdigest()[:32]


# --- The services of a case, for its public notices ---------------------------------------------------------

_CARD_FIELDS = (
    "pk",
    "name",
    "kind",
    "run_by",
    "description",
    "phone",
    "textphone",
    "website",
    "email",
    "open_24_hours",
    "opening_hours_note",
    "region",
)


def support_services_for_case(*, case: Case | int) -> list[SupportService]:
    """The services still offered that are linked to ``case``, helplines first, each with its opening hours in
    plain English as ``opening_hours`` (see ``describe_opening_hours``). One query: the opening times come on
    the same rows, so a notice page pays the same however many services it shows. The objects are for
    showing, not for saving."""
    case_id = case if isinstance(case, int) else case.pk
    rows = (
        SupportService.objects.active()
        .filter(cases=case_id)
        .annotate(kind_rank=_KIND_ORDER)
        .order_by("kind_rank", "name", "pk", "opening_times__weekday", "opening_times__opens")
        .values(*_CARD_FIELDS, "opening_times__weekday", "opening_times__opens", "opening_times__closes")
    )
    services: list[SupportService] = []
    for _, group in groupby(rows, key=lambda row: row["pk"]):
        spans = list(group)
        first = spans[0]
        service = SupportService(**{("id" if f == "pk" else f): first[f] for f in _CARD_FIELDS})
        times = [
            OpeningTime(
                weekday=s["opening_times__weekday"], opens=s["opening_times__opens"], closes=s["opening_times__closes"]
            )
            for s in spans
            if s["opening_times__weekday"] is not None
        ]
        service.opening_hours = describe_opening_hours(times=times, open_24_hours=first["open_24_hours"])  # type: ignore[attr-defined]
        services.append(service)
    return services


def support_services_version_for_case(*, case: Case | int) -> str:
    """Changes whenever ``support_services_for_case`` would: for the ETag of a page that shows them."""
    case_id = case if isinstance(case, int) else case.pk
    summary = SupportService.objects.active().filter(cases=case_id).aggregate(n=Count("pk"), latest=Max("updated_at"))
    return f"{summary['n']}-{summary['latest'].isoformat() if summary['latest'] else ''}"


# --- Opening hours in plain English ------------------------------------------------------------------------


def _day_text(spans: list[OpeningTime]) -> str:
    if not spans:
        return "Closed"
    if len(spans) == 1 and spans[0].opens == MIDNIGHT and spans[0].closes == MIDNIGHT:
        return "Open all day"
    return " and ".join(
        f"{clock_words(s.opens)} to {clock_words(s.closes)}" for s in sorted(spans, key=lambda s: s.opens)
    )


def _days(first: int, last: int) -> str:
    if first == last:
        return Weekday(first).label
    joiner = " and " if last == first + 1 else " to "
    return f"{Weekday(first).label}{joiner}{Weekday(last).label}"


def describe_opening_hours(*, times: Iterable[OpeningTime], open_24_hours: bool = False) -> list[tuple[str, str]]:
    """Opening hours as people say them, one line per run of days with the same hours:
    [("Monday to Friday", "9am to 5pm"), ("Saturday", "10am to 1pm"), ("Sunday", "Closed")]. A service open
    24 hours is one line; one with no opening times at all has none (its note says when to call)."""
    if open_24_hours:
        return [("Every day", "Open 24 hours")]
    by_day: dict[int, list[OpeningTime]] = {day: [] for day in Weekday.values}
    for span in times:
        by_day[span.weekday].append(span)
    if not any(by_day.values()):
        return []
    lines: list[tuple[str, str]] = []
    run_start = Weekday.MONDAY.value
    for day in Weekday.values:
        text = _day_text(by_day[day])
        if day == Weekday.SUNDAY or _day_text(by_day[day + 1]) != text:
            lines.append((_days(run_start, day), text))
            run_start = day + 1
    return lines
