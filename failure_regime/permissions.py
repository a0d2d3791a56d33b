"""Who may act for which organisation in the regime. Services call these; views only pass the answer on."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, overload

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q

from accounts.models import PROVIDER_KINDS, Membership, Organisation, OrganisationKind, Role, User

if TYPE_CHECKING:
    from failure_regime.models import Concern, Episode

# The role through which each kind of organisation gives its decision on a joint trigger.
SIGN_OFF_ROLE_BY_KIND: dict[str, Role] = {
    **dict.fromkeys(PROVIDER_KINDS, Role.TRUST_SIGN_OFF_OFFICER),
    OrganisationKind.REGULATOR: Role.REGULATOR_DECISION_MAKER,
    OrganisationKind.OVERSIGHT_BODY: Role.OVERSIGHT_LEAD,
    OrganisationKind.COMMISSIONER: Role.OVERSIGHT_LEAD,
}

CONCERN_ROLES = frozenset({Role.INSPECTOR, Role.REGULATOR_DECISION_MAKER, Role.OVERSIGHT_LEAD, Role.NATIONAL_OVERSIGHT})
# A concern is assessed by an inspector or a decision-maker, and its outcome decided and it closed by a
# decision-maker, of an organisation that handles it (``concern_handlers``).
CONCERN_ASSESSOR_ROLES = frozenset({Role.INSPECTOR, Role.REGULATOR_DECISION_MAKER, Role.OVERSIGHT_LEAD})
CONCERN_DECIDER_ROLES = frozenset({Role.REGULATOR_DECISION_MAKER, Role.OVERSIGHT_LEAD})
# A provider's managers and sign-off officers report concerns about their own organisation.
OWN_REPORT_ROLES = frozenset({Role.TRUST_MANAGER, Role.TRUST_SIGN_OFF_OFFICER})
PROPOSER_ROLES = frozenset({Role.REGULATOR_DECISION_MAKER, Role.OVERSIGHT_LEAD})
# A commissioner's oversight lead joins a case as a party but does not propose one.
PROPOSER_KINDS = frozenset({OrganisationKind.REGULATOR, OrganisationKind.OVERSIGHT_BODY})
OVERSEER_ROLES = frozenset({Role.REGULATOR_DECISION_MAKER, Role.OVERSIGHT_LEAD})
ENFORCEMENT_ROLES = frozenset({Role.INSPECTOR, Role.REGULATOR_DECISION_MAKER})
INSPECTION_ROLES = frozenset({Role.INSPECTOR, Role.REGULATOR_DECISION_MAKER})
PLAN_ROLES = frozenset({Role.TRUST_MANAGER})
# CQC's decision-makers recommend special measures for a trust; its oversight body's oversight leads decide.
RECOMMENDATION_ROLES = frozenset({Role.REGULATOR_DECISION_MAKER})
RECOMMENDATION_DECIDER_ROLES = frozenset({Role.OVERSIGHT_LEAD})


@overload
def special_measures_decider(provider: Organisation, episode: Episode) -> tuple[int, Role]: ...
@overload
def special_measures_decider(provider: Organisation, episode: None = None) -> tuple[int | None, Role]: ...
def special_measures_decider(provider: Organisation, episode: Episode | None = None) -> tuple[int | None, Role]:
    """Who decides a provider's special measures (entry, extension, exit, accepting its reports), as the deciding
    organisation's id and the role: the oversight body's oversight lead for a trust; for providers that CQC alone
    regulates, a decision-maker of the regulator that placed ``episode``, or, before there is an episode, of the
    regulator the person acts for (None here: see ``special_measures_deciders``)."""
    if episode is not None:
        return episode_decider(
            is_trust=provider.is_trust,
            oversight_body_id=provider.oversight_body_id,
            placed_by_id=episode.decided_by_organisation_id,
        )
    if provider.is_trust and provider.oversight_body_id is not None:
        return provider.oversight_body_id, Role.OVERSIGHT_LEAD
    return None, Role.REGULATOR_DECISION_MAKER


def episode_decider(*, is_trust: bool, oversight_body_id: int | None, placed_by_id: int) -> tuple[int, Role]:
    """``special_measures_decider`` for an episode read as columns (its provider's kind and oversight body, and
    the organisation that placed it), for the clock, which asks about thousands at once."""
    if is_trust and oversight_body_id is not None:
        return oversight_body_id, Role.OVERSIGHT_LEAD
    return placed_by_id, Role.REGULATOR_DECISION_MAKER


def special_measures_deciders(user: User, provider: Organisation, episode: Episode | None = None) -> list[Organisation]:
    """The organisations through which ``user`` decides (and so manages) the provider's special measures, by the
    rule of ``special_measures_decider``: at most one once the organisation is settled, else every regulator where
    they are a decision-maker. Empty if they do not. Every check of who manages an episode comes here."""
    organisation_id, role = special_measures_decider(provider, episode)
    if organisation_id is None:
        return deciding_regulators(user)
    return list(Organisation.objects.filter(pk=organisation_id, memberships__user=user, memberships__role=role)[:1])


def deciding_regulators(user: User) -> list[Organisation]:
    """The regulators where ``user`` is a decision-maker, by name: those they may place a provider CQC alone
    regulates into special measures for, which a form or the API asks them to choose between."""
    return acting_choices(user, [Role.REGULATOR_DECISION_MAKER], kinds=[OrganisationKind.REGULATOR])


def special_measures_decider_for(
    user: User,
    provider: Organisation,
    *,
    doing: str,
    episode: Episode | None = None,
    chosen: Organisation | None = None,
) -> Organisation:
    """The organisation ``user`` decides the provider's special measures for: the one chosen, which must be one of
    ``special_measures_deciders``, else their only one. Where the rule settles the organisation (a trust's
    oversight body, an episode's placing regulator) a choice is not needed and is not asked for, so one made for
    another provider on the same form is set aside. Refuses (403) anyone who does not decide them, with the rule;
    with several and none chosen, asks them to choose (a field error on ``acting_for``)."""
    organisation_id, role = special_measures_decider(provider, episode)
    choices = special_measures_deciders(user, provider, episode)
    if not choices:
        raise PermissionDenied(f"Only a {role.label.lower()} responsible for {provider} can {doing}.")
    return choose_organisation(choices, None if organisation_id is not None else chosen, doing=doing)


def licensing_body_organisation(user: User, provider: Organisation) -> Organisation | None:
    """Licence conditions and undertakings are the oversight body's own powers (Monitor, NHS England): only an
    oversight lead of the provider's own oversight body records them. Returns that body, or None."""
    body = provider.oversight_body
    if body is None or body.kind != OrganisationKind.OVERSIGHT_BODY:
        return None
    if not user.memberships.filter(role=Role.OVERSIGHT_LEAD, organisation=body).exists():
        return None
    return body


def special_measures_decider_membership(
    memberships: Iterable[Membership], provider: Organisation, episode: Episode | None = None
) -> Membership | None:
    """Which of ``memberships`` (read beforehand, with their organisations) decides the provider's special measures,
    if any: the rule of ``special_measures_decider``, applied without a query so that a list can use it."""
    organisation_id, role = special_measures_decider(provider, episode)
    for membership in memberships:
        if membership.role != role:
            continue
        if organisation_id is None and membership.organisation.kind == OrganisationKind.REGULATOR:
            return membership
        if membership.organisation_id == organisation_id:
            return membership
    return None


def case_overseer_memberships(memberships: Iterable[Membership], party_ids: Iterable[int]) -> list[Membership]:
    """Which of ``memberships`` run a case whose parties are ``party_ids``: those of a regulator decision-maker or
    oversight lead of a party, or else those of national oversight. None for anyone else."""
    memberships = list(memberships)
    parties = set(party_ids)
    at_party = [m for m in memberships if m.role in OVERSEER_ROLES and m.organisation_id in parties]
    return at_party or [m for m in memberships if m.role == Role.NATIONAL_OVERSIGHT]


def case_overseer_membership(memberships: Iterable[Membership], party_ids: Iterable[int]) -> Membership | None:
    """The first of ``case_overseer_memberships``, to say on a page which organisation someone runs a case
    through; None for anyone who does not."""
    return next(iter(case_overseer_memberships(memberships, party_ids)), None)


def case_overseers(user: User, party_ids: Iterable[int]) -> list[Organisation]:
    """The organisations through which ``user`` runs a case whose parties are ``party_ids`` (the rule of
    ``case_overseer_memberships``), by name: what a form or the API asks them to choose between when there are
    several. Empty if they do not run it."""
    memberships = user.memberships.select_related("organisation").order_by("organisation__name", "role")
    found: dict[int, Organisation] = {}
    for membership in case_overseer_memberships(memberships, party_ids):
        found.setdefault(membership.organisation_id, membership.organisation)
    return list(found.values())


def membership_of(
    user: User, organisation: Organisation, roles: Iterable[str], kinds: Iterable[str] | None = None
) -> Membership | None:
    """The rule behind ``membership_for``, as a question a page can ask before offering the action: the user's
    membership of ``organisation`` in one of ``roles`` (the organisation of one of ``kinds``, if given), or None."""
    if kinds is not None and organisation.kind not in set(kinds):
        return None
    return (
        user.memberships.filter(organisation=organisation, role__in=list(roles)).select_related("organisation").first()
    )


def membership_for(
    user: User, organisation: Organisation, roles: Iterable[str], *, doing: str, kinds: Iterable[str] | None = None
) -> Membership:
    """The one check that ``user`` acts for ``organisation`` in one of ``roles`` (and, given ``kinds``, that the
    organisation is of one of them): every service that acts for an organisation is told which, and asks this.
    Refuses (403) a user without such a role there."""
    membership = membership_of(user, organisation, roles, kinds)
    if membership is None:
        raise PermissionDenied(f"Your role at {organisation} does not allow you to {doing}.")
    return membership


def concern_handlers(user: User, concern: Concern, roles: Iterable[str]) -> list[Organisation]:
    """The organisations through which ``user`` handles ``concern`` (assesses it, decides its outcome, closes it)
    in one of ``roles``, by name: the organisation that recorded it, the provider's oversight body, or a regulator.
    National oversight sees every concern but acts through cases; the provider never handles (or sees) one."""
    handling = Q(pk=concern.raised_by_organisation_id) | Q(kind=OrganisationKind.REGULATOR)
    if concern.provider.oversight_body_id is not None:
        handling |= Q(pk=concern.provider.oversight_body_id)
    organisations = Organisation.objects.filter(handling, memberships__user=user, memberships__role__in=list(roles))
    return list(organisations.distinct().order_by("name"))


def own_report_choices(user: User) -> list[Organisation]:
    """The providers ``user`` may report a concern about: their own, where they hold one of ``OWN_REPORT_ROLES``."""
    return acting_choices(user, OWN_REPORT_ROLES, kinds=PROVIDER_KINDS)


def acting_choices(user: User, roles: Iterable[str], kinds: Iterable[str] | None = None) -> list[Organisation]:
    """The organisations ``user`` can act for in any of ``roles`` (of ``kinds``, if given), by name: what a form or
    the API lets them choose from when there is more than one."""
    organisations = Organisation.objects.filter(memberships__user=user, memberships__role__in=list(roles))
    if kinds is not None:
        organisations = organisations.filter(kind__in=list(kinds))
    return list(organisations.distinct().order_by("name"))


def acting_for(
    user: User,
    roles: Iterable[str],
    chosen: Organisation | None = None,
    *,
    doing: str,
    kinds: Iterable[str] | None = None,
) -> Organisation:
    """The organisation a person acts for, from a form's or a request's choice: the one chosen, else their only
    one. Refuses (403) a person with none; with several and none chosen, asks them to choose (``acting_for``)."""
    roles = list(roles)
    if chosen is not None:
        return membership_for(user, chosen, roles, doing=doing, kinds=kinds).organisation
    return choose_organisation(acting_choices(user, roles, kinds), None, doing=doing)


def choose_organisation(
    choices: Sequence[Organisation], chosen: Organisation | None, *, doing: str, field: str = "acting_for"
) -> Organisation:
    """Which of ``choices`` (the organisations a person may do this for, however a rule finds them) they act for:
    the one chosen, which must be among them (403 otherwise); else the only one. Refuses (403) a person with none;
    with several and none chosen, asks them to choose (a field error on ``field``: the form's ``acting_for``, or
    the name of an API's own field)."""
    if chosen is not None:
        if any(organisation.pk == chosen.pk for organisation in choices):
            return chosen
        raise PermissionDenied(f"Your role at {chosen} does not allow you to {doing}.")
    if not choices:
        raise PermissionDenied(f"Your role does not allow you to {doing}.")
    if len(choices) > 1:
        names = ", ".join(str(organisation) for organisation in choices)
        raise ValidationError({field: f"Choose which organisation you act for: {names}."})
    return choices[0]


def recommendation_decider_membership(user: User, provider: Organisation) -> Membership | None:
    """Who decides on CQC's recommendation of special measures for ``provider``: an oversight lead of its oversight
    body (read now, not when the recommendation was made). None for anyone else."""
    body = provider.oversight_body
    return membership_of(user, body, RECOMMENDATION_DECIDER_ROLES) if body is not None else None


def sign_off_role_for(organisation: Organisation) -> Role:
    return SIGN_OFF_ROLE_BY_KIND[organisation.kind]


def is_national_oversight(user: User) -> bool:
    return user.memberships.filter(role=Role.NATIONAL_OVERSIGHT).exists()
