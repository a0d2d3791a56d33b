"""The clock of an immediate concern: it is assessed within ``IMMEDIATE_CONCERN_ASSESSMENT_HOURS`` of being
recorded. Those who assess concerns at the organisation that recorded it (for one the provider recorded itself or
that came from a public enquiry, the regulators and the provider's oversight body) are reminded before the time
runs out; when it does, national oversight hears too. Assessing it, or proposing a case from it, stops the
clock."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q

from accounts.models import Membership, OrganisationKind, Role, User
from failure_regime.models import Concern, ConcernSource, DeadlineKind, Severity
from failure_regime.permissions import CONCERN_ASSESSOR_ROLES
from failure_regime.services.clock import (
    DeadlineFacts,
    Recipients,
    deadline_meet,
    deadline_open,
    members_by_role,
    register_resolver,
)


def concern_clock_start(concern: Concern) -> None:
    """Starts the assessment clock of an immediate concern (a routine one has none)."""
    if concern.severity != Severity.IMMEDIATE:
        return
    deadline_open(
        kind=DeadlineKind.CONCERN_ASSESSMENT,
        title=f"Assess the immediate concern about {concern.provider.name}",
        provider=concern.provider,
        subject=concern,
        due_at=concern.raised_at + timedelta(hours=settings.IMMEDIATE_CONCERN_ASSESSMENT_HOURS),
    )


def concern_clock_stop(concerns: Sequence[Concern]) -> None:
    """The concerns no longer wait for an assessment: assessed, or taken up by a case."""
    for concern in concerns:
        deadline_meet(subject=concern, kind=DeadlineKind.CONCERN_ASSESSMENT)


def _assessment_recipients(deadlines: Sequence[DeadlineFacts], overdue: bool) -> Recipients:
    """The assessors (``CONCERN_ASSESSOR_ROLES``) of the organisation that recorded the concern; for one the
    provider recorded itself, or that came from a public enquiry, the regulators' assessors and the provider's
    oversight body's oversight leads; national oversight too once the time has run out."""
    rows = Concern.objects.filter(pk__in=[d.subject_id for d in deadlines]).values_list(
        "pk", "raised_by_organisation", "provider", "source", "provider__oversight_body"
    )
    elsewhere: set[int] = set()
    wanted: dict[int, list[tuple[int, str]]] = {}
    for pk, recorded_by, provider, source, oversight_body in rows:
        if recorded_by == provider or source == ConcernSource.PUBLIC_ENQUIRY:
            elsewhere.add(pk)
            wanted[pk] = [(oversight_body, Role.OVERSIGHT_LEAD)] if oversight_body else []
        else:
            wanted[pk] = [(recorded_by, role) for role in sorted(CONCERN_ASSESSOR_ROLES)]
    members = members_by_role({pair for pairs in wanted.values() for pair in pairs})
    regulators = _members(_REGULATOR_ASSESSORS, OrganisationKind.REGULATOR) if elsewhere else []
    national = _members({Role.NATIONAL_OVERSIGHT}) if overdue else []
    recipients: Recipients = {}
    for deadline in deadlines:
        people = [u for pair in wanted.get(deadline.subject_id, []) for u in members.get(pair, [])]
        if deadline.subject_id in elsewhere:
            people += regulators
        recipients[deadline.pk] = list({u.pk: u for u in people + national}.values())
    return recipients


# A concern the provider recorded itself, or a family liaison officer raised from a public enquiry, is assessed by
# the regulators' inspectors and decision-makers and the provider's oversight body, not where it was recorded.
_REGULATOR_ASSESSORS = frozenset({Role.INSPECTOR, Role.REGULATOR_DECISION_MAKER})
_ASSESSED_ELSEWHERE = Q(raised_by_organisation=F("provider")) | Q(source=ConcernSource.PUBLIC_ENQUIRY)


def _members(roles: Collection[str], kind: str | None = None) -> list[User]:
    """The active people holding any of ``roles`` anywhere (in organisations of ``kind``, if given)."""
    memberships = Membership.objects.filter(role__in=list(roles), user__is_active=True)
    if kind is not None:
        memberships = memberships.filter(organisation__kind=kind)
    return [m.user for m in memberships.select_related("user")]


def concerns_falling_to_q(memberships: Sequence[Membership], roles: Collection[str]) -> Q:
    """The concerns whose next step falls to someone with ``memberships`` holding one of ``roles``, as a condition on
    concern rows: those their organisation recorded, and those the provider recorded itself or that came from a
    public enquiry, for a regulator's staff and the provider's oversight body's oversight leads. The rule the clock
    chases assessors by (``_assessment_recipients``) and the home page lists concerns by."""
    mine = Q(pk__in=[])
    recording = [m.organisation_id for m in memberships if m.role in roles]
    if recording:
        mine |= Q(raised_by_organisation__in=recording) & ~_ASSESSED_ELSEWHERE
    regulator_roles = set(roles) & _REGULATOR_ASSESSORS
    if any(m.role in regulator_roles and m.organisation.kind == OrganisationKind.REGULATOR for m in memberships):
        mine |= _ASSESSED_ELSEWHERE
    leads = [m.organisation_id for m in memberships if m.role == Role.OVERSIGHT_LEAD and Role.OVERSIGHT_LEAD in roles]
    if leads:
        mine |= _ASSESSED_ELSEWHERE & Q(provider__oversight_body__in=leads)
    return mine


def _assessment_mine(memberships: Sequence[Membership], now: datetime) -> Q:
    """``_assessment_recipients`` as a condition on the deadline rows."""
    assessed_by = Concern.objects.filter(concerns_falling_to_q(memberships, CONCERN_ASSESSOR_ROLES))
    mine = Q(subject_id__in=assessed_by.values("pk"))
    if any(m.role == Role.NATIONAL_OVERSIGHT for m in memberships):
        mine |= Q(due_at__lt=now)
    return mine


register_resolver(
    DeadlineKind.CONCERN_ASSESSMENT,
    _assessment_recipients,
    reminders=[timedelta(hours=settings.IMMEDIATE_CONCERN_REMINDER_HOURS)],
    mine=_assessment_mine,
)
