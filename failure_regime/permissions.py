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
# CQC's decision-makers recommend special measures for a trust; its oversight body's oversight leads decide.
RECOMMENDATION_ROLES = frozenset({Role.REGULATOR_DECISION_MAKER})
RECOMMENDATION_DECIDER_ROLES = frozenset({Role.OVERSIGHT_LEAD})


def special_measures_decider(provider: Organisation) -> tuple[Organisation | None, Role]:
    """Who decides a provider's special measures (entry, extension, exit, accepting its reports): the oversight
    body's oversight lead for a trust, CQC's decision-maker for providers that CQC alone regulates."""
    if provider.is_trust and provider.oversight_body is not None:
        return provider.oversight_body, Role.OVERSIGHT_LEAD
    return None, Role.REGULATOR_DECISION_MAKER


def special_measures_decider_organisation(user: User, provider: Organisation) -> Organisation | None:
    """The organisation through which ``user`` decides (and so manages) the provider's special measures, by the rule
    of ``special_measures_decider``; None if they do not. Every check of who manages an episode comes here."""
    organisation, role = special_measures_decider(provider)
    memberships = user.memberships.filter(role=role)
    memberships = (
        memberships.filter(organisation=organisation)
        if organisation is not None
        else memberships.filter(organisation__kind=OrganisationKind.REGULATOR)
    )
    membership = memberships.select_related("organisation").first()
    return membership.organisation if membership is not None else None


def licensing_body_organisation(user: User, provider: Organisation) -> Organisation | None:
    """Licence conditions and undertakings are the oversight body's own powers (Monitor, NHS England): only an
    oversight lead of the provider's own oversight body records them. Returns that body, or None."""
    body = provider.oversight_body
    if body is None or body.kind != OrganisationKind.OVERSIGHT_BODY:
        return None
    if not user.memberships.filter(role=Role.OVERSIGHT_LEAD, organisation=body).exists():
        return None
    return body


def special_measures_decider_membership(memberships: Iterable[Membership], provider: Organisation) -> Membership | None:
    """Which of ``memberships`` (read beforehand, with their organisations) decides the provider's special measures,
    if any: the rule of ``special_measures_decider``, applied without a query so that a list can use it."""
    organisation, role = special_measures_decider(provider)
    for membership in memberships:
        if membership.role != role:
            continue
        if organisation is not None and membership.organisation_id == organisation.pk:
            return membership
        if organisation is None and membership.organisation.kind == OrganisationKind.REGULATOR:
            return membership
    return None


def case_overseer_membership(memberships: Iterable[Membership], party_ids: Iterable[int]) -> Membership | None:
    """Which of ``memberships`` runs a case whose parties are ``party_ids``: a regulator decision-maker or oversight
    lead of a party, or else national oversight. None for anyone else."""
    memberships = list(memberships)
    parties = set(party_ids)
    for membership in memberships:
        if membership.role in OVERSEER_ROLES and membership.organisation_id in parties:
            return membership
    return next((m for m in memberships if m.role == Role.NATIONAL_OVERSIGHT), None)


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
