"""Reads of people and organisations that depend on who is asking."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from guardian.shortcuts import get_objects_for_user

from accounts.models import PROVIDER_KINDS, Membership, Organisation, User


def organisation_list_for_user(*, user: User) -> QuerySet[Organisation]:
    """Organisations the user may see: their own, those they oversee, or all with a model-wide grant."""
    return get_objects_for_user(
        user, "accounts.view_organisation", klass=Organisation, accept_global_perms=True
    ).select_related("oversight_body")


def provider_list_for_user(*, user: User) -> QuerySet[Organisation]:
    """The providers of care among the organisations the user may see."""
    return organisation_list_for_user(user=user).filter(kind__in=PROVIDER_KINDS)


def organisation_get_for_user(*, user: User, pk: int) -> Organisation:
    """One organisation, or 404 when the user may not see it."""
    return get_object_or_404(organisation_list_for_user(user=user), pk=pk)


def organisation_members_for_user(*, user: User, organisation: Organisation) -> QuerySet[Membership] | None:
    """The organisation's members, for its own members and those who may see every membership."""
    is_member = user.memberships.filter(organisation=organisation).exists()
    if not (is_member or user.has_perm("accounts.view_membership")):
        return None
    return organisation.memberships.select_related("user").order_by("user__full_name", "role")


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    """The signed-in user's own roles."""
    return Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name", "role")


def audit_events_visible(*, user: User, organisation: Organisation) -> bool:
    """Whether the user may read an organisation's audit trail: its members and national oversight."""
    return user.has_perm("accounts.view_auditevent") or user.memberships.filter(organisation=organisation).exists()
