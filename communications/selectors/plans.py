"""Reads of communications plans, and who works on a case's communications.

A case's communications staff are the communications officers of the organisations that are parties to it, and
the case's accountable lead for public communications (whatever their role). They write the plan and draft,
publish and correct notices; approval is a separate question (see ``communications.selectors.notices``).

A plan is visible exactly when its case is: to the members of the case's parties and to national oversight.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import Organisation, Role, User
from communications.models import CommunicationsPlan, PlanItem
from failure_regime import areas
from failure_regime import selectors as regime
from failure_regime.models import Area, Case, Responsibility
from failure_regime.permissions import choose_organisation


def public_communications_lead(*, case: Case) -> Responsibility | None:
    """The case's public-communications area, with its accountable lead (who may be None before appointment)."""
    return areas.area_of(case=case, area=Area.PUBLIC_COMMUNICATIONS)


def is_public_communications_lead(*, user: User, case: Case) -> bool:
    return areas.is_area_lead(user=user, case=case, area=Area.PUBLIC_COMMUNICATIONS)


def communications_organisations(*, user: User, case: Case) -> list[Organisation]:
    """Every organisation ``user`` works on the case's communications for, by name: each party where they are a
    communications officer, and the lead organisation when they are the case's accountable public-communications
    lead. Empty when they are neither. The one rule for who is a case's communications staff, and for whom."""
    as_officer = Q(memberships__user=user, memberships__role=Role.COMMUNICATIONS_OFFICER, case_parties__case=case)
    as_lead = Q(
        pk__in=areas.areas_led_by(user=user, areas=[Area.PUBLIC_COMMUNICATIONS])
        .filter(case=case)
        .values("lead_organisation")
    )
    return list(Organisation.objects.filter(as_officer | as_lead).distinct().order_by("name", "pk"))


def communications_acting_for(
    *, user: User, case: Case, chosen: Organisation | None = None, doing: str
) -> Organisation:
    """The organisation ``user`` acts for on the case's communications: the one chosen (which must be one of
    ``communications_organisations``), else their only one (``permissions.choose_organisation``)."""
    return choose_organisation(communications_organisations(user=user, case=case), chosen, doing=doing)


def is_communications_staff(*, user: User, case: Case) -> bool:
    return bool(communications_organisations(user=user, case=case))


def communications_cases_for_user(*, user: User) -> QuerySet[Case]:
    """The cases the user may see and works on as communications staff, newest first."""
    as_officer = Case.objects.filter(
        parties__organisation__memberships__user=user,
        parties__organisation__memberships__role=Role.COMMUNICATIONS_OFFICER,
    ).values("pk")
    as_lead = areas.cases_led_by(user=user, areas=[Area.PUBLIC_COMMUNICATIONS])
    return (
        regime.case_list_for_user(user=user)
        .filter(Q(pk__in=as_officer) | Q(pk__in=as_lead))
        .order_by("-proposed_at", "-pk")
    )


def plan_for_case(*, case: Case) -> CommunicationsPlan | None:
    """The case's plan with its audiences and items (owners and notices), or None if it has none yet. The caller
    has already checked that the user may see the case."""
    return (
        CommunicationsPlan.objects.filter(case=case)
        .select_related("created_by", "created_by_organisation", "updated_by")
        .prefetch_related(
            "audiences",
            Prefetch(
                "items",
                queryset=PlanItem.objects.select_related("owner", "done_by", "notice").order_by("due_on", "pk"),
            ),
        )
        .first()
    )


def plan_item_get_for_user(*, user: User, case: Case, pk: int) -> PlanItem:
    """An item of the case's plan, or 404: the case must be visible to the user and the item part of its plan."""
    regime.case_get_for_user(user=user, pk=case.pk)
    item = PlanItem.objects.filter(plan__case=case, pk=pk).select_related("plan__case", "owner").first()
    if item is None:
        raise Http404("No such item.")
    return item


def plan_item_owner_candidates(*, case: Case) -> QuerySet[User]:
    """Who may own an item: the active members of the case's parties."""
    return (
        User.objects.filter(is_active=True, memberships__organisation__case_parties__case=case)
        .distinct()
        .order_by("full_name", "email")
    )


def plan_items_owned_by(*, user: User) -> QuerySet[PlanItem]:
    """The items still to do that ``user`` owns, in plans of cases they may see, soonest due first."""
    return (
        PlanItem.objects.filter(
            owner=user, done_at__isnull=True, plan__case__in=regime.case_list_for_user(user=user).values("pk")
        )
        .select_related("plan__case")
        .prefetch_related("plan__case__parties")
        .order_by("due_on", "pk")
    )
