"""Who may act for which organisation in the regime. Services call these; views only pass the answer on."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied

from accounts.models import PROVIDER_KINDS, Membership, Organisation, OrganisationKind, Role, User

# The role through which each kind of organisation gives its decision on a joint trigger.
SIGN_OFF_ROLE_BY_KIND: dict[str, Role] = {
    **dict.fromkeys(PROVIDER_KINDS, Role.TRUST_SIGN_OFF_OFFICER),
    OrganisationKind.REGULATOR: Role.REGULATOR_DECISION_MAKER,
    OrganisationKind.OVERSIGHT_BODY: Role.OVERSIGHT_LEAD,
    OrganisationKind.COMMISSIONER: Role.OVERSIGHT_LEAD,
}

CONCERN_ROLES = frozenset({Role.INSPECTOR, Role.REGULATOR_DECISION_MAKER, Role.OVERSIGHT_LEAD, Role.NATIONAL_OVERSIGHT})
PROPOSER_ROLES = frozenset({Role.REGULATOR_DECISION_MAKER, Role.OVERSIGHT_LEAD})
OVERSEER_ROLES = frozenset({Role.REGULATOR_DECISION_MAKER, Role.OVERSIGHT_LEAD})
ENFORCEMENT_ROLES = frozenset({Role.INSPECTOR, Role.REGULATOR_DECISION_MAKER})
INSPECTION_ROLES = frozenset({Role.INSPECTOR, Role.REGULATOR_DECISION_MAKER})
PLAN_ROLES = frozenset({Role.TRUST_MANAGER})


def special_measures_decider(provider: Organisation) -> tuple[Organisation | None, Role]:
    """Who decides a provider's special measures (entry, extension, exit, accepting its reports): the oversight
    body's oversight lead for a trust, CQC's decision-maker for providers that CQC alone regulates."""
    if provider.is_trust and provider.oversight_body is not None:
        return provider.oversight_body, Role.OVERSIGHT_LEAD
    return None, Role.REGULATOR_DECISION_MAKER


def memberships_with_roles(
    user: User, roles: Iterable[str], organisations: Iterable[Organisation] | None = None
) -> list[Membership]:
    """The user's memberships holding any of ``roles``, optionally only in ``organisations``."""
    memberships = user.memberships.filter(role__in=list(roles)).select_related("organisation")
    if organisations is not None:
        memberships = memberships.filter(organisation__in=list(organisations))
    return list(memberships)


def acting_organisation(
    user: User, roles: Iterable[str], organisation: Organisation | None = None, *, doing: str
) -> Organisation:
    """The organisation the user acts for in a role; refuses (403) a user without such a role.

    With ``organisation`` given, the user must hold the role there; otherwise their first such role counts.
    """
    memberships = memberships_with_roles(user, roles, [organisation] if organisation else None)
    if not memberships:
        raise PermissionDenied(f"Your role does not allow you to {doing}.")
    return memberships[0].organisation


def sign_off_role_for(organisation: Organisation) -> Role:
    return SIGN_OFF_ROLE_BY_KIND[organisation.kind]


def is_national_oversight(user: User) -> bool:
    return user.memberships.filter(role=Role.NATIONAL_OVERSIGHT).exists()
