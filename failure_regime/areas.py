"""Who is accountable for each area of a case's response, as every app reads it.

Each area of a case (``Area``: investigation, expert recruitment, family support, public communications…) has at
most one accountable lead, a person acting for one organisation, and the organisations responsible for it. The
regime keeps them (``services.accountability``); communications and reviews ask here rather than read
``Responsibility`` rows themselves, so that "the lead" and "the organisations of an area" mean one thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Organisation, User
from failure_regime.models import Case, CaseStatus, Responsibility


def area_of(*, case: Case | int, area: str) -> Responsibility | None:
    """The case's responsibility for ``area``, with its lead and the lead's organisation; None if the case has no
    such area."""
    return Responsibility.objects.filter(case=case, area=area).select_related("lead", "lead_organisation").first()


def current_lead_organisation_id(
    *, area: str, case: Case | None = None, provider: Organisation | None = None
) -> int | None:
    """The organisation leading ``area`` on ``case``, or on ``provider``'s most recent case that is not closed."""
    leads = Responsibility.objects.filter(area=area, lead_organisation__isnull=False).exclude(
        case__status=CaseStatus.CLOSED
    )
    if case is not None:
        leads = leads.filter(case=case)
    elif provider is not None:
        leads = leads.filter(case__provider=provider)
    else:
        return None
    return leads.order_by("-case__proposed_at", "-case__pk").values_list("lead_organisation_id", flat=True).first()


def area_lead(*, case: Case | int, area: str) -> User | None:
    """The accountable lead of the case's ``area``, or None before one is appointed."""
    responsibility = area_of(case=case, area=area)
    return responsibility.lead if responsibility is not None else None


def area_leads_by_case(*, cases: Iterable[int], area: str) -> dict[int, User]:
    """The accountable lead of ``area`` on each of ``cases`` that has one, by case id: one query for many cases."""
    responsibilities = Responsibility.objects.filter(case__in=list(cases), area=area, lead__isnull=False)
    return {r.case_id: r.lead for r in responsibilities.select_related("lead") if r.lead is not None}


def is_area_lead(*, user: User, case: Case | int, area: str) -> bool:
    """Whether ``user`` is the accountable lead of the case's ``area``."""
    return Responsibility.objects.filter(case=case, area=area, lead=user).exists()


def areas_led_by(*, user: User, areas: Iterable[str]) -> QuerySet[Responsibility]:
    """The responsibilities in ``areas`` that ``user`` leads, on any case."""
    return Responsibility.objects.filter(lead=user, area__in=list(areas))


def cases_led_by(*, user: User, areas: Iterable[str]) -> QuerySet[Responsibility, Any]:
    """The ids of the cases where ``user`` leads one of ``areas``, as a subquery (``case__in=…``)."""
    return areas_led_by(user=user, areas=areas).values("case_id")


def area_leads(*, case: Case | int, areas: Iterable[str]) -> QuerySet[Responsibility, Any]:
    """The ids of the accountable leads of the case's ``areas``, as a subquery (``pk__in=…``)."""
    return Responsibility.objects.filter(case=case, area__in=list(areas), lead__isnull=False).values("lead")


def area_organisation_ids(*, case: Case | int | None, area: str) -> set[int]:
    """The organisations of the case's ``area``: the lead's organisation and the organisations responsible."""
    if case is None:
        return set()
    responsibility = Responsibility.objects.filter(case=case, area=area)
    lead = responsibility.exclude(lead_organisation=None).values_list("lead_organisation_id", flat=True)
    responsible = responsibility.values_list("responsible__id", flat=True)
    return {pk for pk in [*lead, *responsible] if pk is not None}


def areas_involving(*, organisations: QuerySet[Any] | Iterable[int], area: str) -> QuerySet[Responsibility]:
    """The responsibilities for ``area`` (on any case) that one of ``organisations`` leads or is responsible for."""
    return Responsibility.objects.filter(area=area).filter(
        Q(lead_organisation__in=organisations) | Q(responsible__in=organisations)
    )


def area_lead_organisations(*, case: Case | int, area: str) -> QuerySet[Organisation]:
    """The organisation of the case's ``area`` lead, as a queryset (empty before a lead is appointed)."""
    return Organisation.objects.filter(
        pk__in=Responsibility.objects.filter(case=case, area=area).values("lead_organisation")
    )


def led_areas(*, case: Case | int) -> QuerySet[Responsibility]:
    """The case's areas that have a lead, with the lead's organisation, in the order they were set up. Public pages
    name these organisations, never the people."""
    return (
        Responsibility.objects.filter(case=case, lead_organisation__isnull=False)
        .select_related("lead_organisation")
        .order_by("pk")
    )
