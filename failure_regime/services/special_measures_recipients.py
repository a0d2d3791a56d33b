"""Who hears about the deadlines of special measures. The resolvers are registered with the clock when this
module loads, which ``FailureRegimeConfig.ready`` makes sure of.

A monthly report is chased with the provider's trust managers and, once overdue, escalated to whoever accepts
reports and to the case's accountable oversight lead. The re-inspection, the end of an extension and the
registration decision go to CQC's inspectors and decision-makers and to whoever decides the provider's special
measures, and to national oversight once overdue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from accounts.models import TRUST_KINDS, Membership, OrganisationKind, Role, User
from failure_regime.models import Area, DeadlineKind, Episode, MonthlyReport, Responsibility
from failure_regime.permissions import episode_decider
from failure_regime.services.clock import DeadlineFacts, Recipients, members_by_role, register_resolver


def _role_everywhere(role: str, kind: str | None = None) -> list[User]:
    memberships = Membership.objects.filter(role=role, user__is_active=True)
    if kind:
        memberships = memberships.filter(organisation__kind=kind)
    return [m.user for m in memberships.select_related("user")]


@dataclass(frozen=True, slots=True)
class _Episode:
    """What the resolvers need of an episode, read as columns rather than as model instances: a sweep after beat
    was down asks about thousands."""

    pk: int
    case_id: int | None
    decider: tuple[int, Role]


def _episodes_of(deadlines: Sequence[DeadlineFacts]) -> dict[int, _Episode]:
    """The episode behind each deadline: the deadline's subject, or the report's episode."""
    episode_ids = {d.subject_id for d in deadlines if d.kind != DeadlineKind.MONTHLY_REPORT}
    report_episode = dict(
        MonthlyReport.objects.filter(
            pk__in=[d.subject_id for d in deadlines if d.kind == DeadlineKind.MONTHLY_REPORT]
        ).values_list("pk", "episode_id")
    )
    rows = Episode.objects.filter(pk__in=episode_ids | set(report_episode.values())).values_list(
        "pk", "case_id", "provider__kind", "provider__oversight_body_id", "decided_by_organisation_id"
    )
    episodes = {
        pk: _Episode(
            pk,
            case_id,
            episode_decider(is_trust=kind in TRUST_KINDS, oversight_body_id=body_id, placed_by_id=placed_by_id),
        )
        for pk, case_id, kind, body_id, placed_by_id in rows
    }
    return {
        d.pk: episodes[report_episode[d.subject_id] if d.kind == DeadlineKind.MONTHLY_REPORT else d.subject_id]
        for d in deadlines
    }


def _case_oversight_leads(episodes: list[_Episode]) -> dict[int, list[User]]:
    leads = Responsibility.objects.filter(
        case_id__in={e.case_id for e in episodes if e.case_id}, area=Area.OVERSIGHT, lead__isnull=False
    ).select_related("lead")
    by_case = {r.case_id: [r.lead] for r in leads if r.lead is not None}
    return {e.pk: by_case.get(e.case_id, []) if e.case_id else [] for e in episodes}


def _report_recipients(deadlines: Sequence[DeadlineFacts], overdue: bool) -> Recipients:
    """Reminders go to the provider's trust managers; an overdue report is escalated to whoever accepts reports
    (the oversight body, or CQC) and to the case's accountable oversight lead."""
    if not overdue:
        # A deadline's provider is its report's (``deadline_build``), so reminders need not read the episodes.
        members = members_by_role({(d.provider_id, Role.TRUST_MANAGER) for d in deadlines})
        return {d.pk: members.get((d.provider_id, Role.TRUST_MANAGER), []) for d in deadlines}
    episodes = _episodes_of(deadlines)
    members = members_by_role({e.decider for e in episodes.values()})
    leads = _case_oversight_leads(list(episodes.values()))
    return {pk: members.get(e.decider, []) + leads[e.pk] for pk, e in episodes.items()}


def _inspection_recipients(deadlines: Sequence[DeadlineFacts], overdue: bool) -> Recipients:
    """CQC's inspectors and decision-makers must re-inspect; the overseer hears too, and national oversight
    when the date passes."""
    episodes = _episodes_of(deadlines)
    cqc = [u for role in sorted(_CQC_ROLES) for u in _role_everywhere(role, OrganisationKind.REGULATOR)]
    members = members_by_role({e.decider for e in episodes.values()})
    national = _role_everywhere(Role.NATIONAL_OVERSIGHT) if overdue else []
    return {
        pk: list({u.pk: u for u in cqc + members.get(e.decider, []) + national}.values()) for pk, e in episodes.items()
    }


def _inspection_mine(memberships: Sequence[Membership], now: datetime) -> Q:
    """``_inspection_recipients`` as a condition on the deadlines of episodes (their subjects): every one for
    CQC's inspectors and decision-makers; a trust's for its oversight body's oversight leads, another provider's
    for the placing organisation's decision-makers (``special_measures_decider``); overdue ones for national
    oversight."""
    if any(m.role in _CQC_ROLES and m.organisation.kind == OrganisationKind.REGULATOR for m in memberships):
        return Q()
    mine = Q(pk__in=[])
    leads = [m.organisation_id for m in memberships if m.role == Role.OVERSIGHT_LEAD]
    if leads:
        mine |= Q(provider__kind__in=TRUST_KINDS, provider__oversight_body__in=leads)
    placing = [m.organisation_id for m in memberships if m.role == Role.REGULATOR_DECISION_MAKER]
    if placing:
        placed = Episode.objects.filter(decided_by_organisation__in=placing).values("pk")
        decided_by_placer = ~Q(provider__kind__in=TRUST_KINDS) | Q(provider__oversight_body__isnull=True)
        mine |= decided_by_placer & Q(subject_id__in=placed)
    if any(m.role == Role.NATIONAL_OVERSIGHT for m in memberships):
        mine |= Q(due_at__lt=now)
    return mine


register_resolver(DeadlineKind.MONTHLY_REPORT, _report_recipients)
_CQC_ROLES = frozenset({Role.INSPECTOR, Role.REGULATOR_DECISION_MAKER})
for _kind in (DeadlineKind.REINSPECTION, DeadlineKind.EXTENSION_END, DeadlineKind.REGISTRATION_DECISION):
    register_resolver(_kind, _inspection_recipients, mine=_inspection_mine)
