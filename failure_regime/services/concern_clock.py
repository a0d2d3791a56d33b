"""The clock of an immediate concern: it is assessed within ``IMMEDIATE_CONCERN_ASSESSMENT_HOURS`` of being
recorded. Those who assess concerns at the organisation that recorded it are reminded before the time runs out;
when it does, national oversight hears too. Assessing it, or proposing a case from it, stops the clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from accounts.models import Membership, Role
from failure_regime.models import Concern, DeadlineKind, Severity
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
    """The assessors (``CONCERN_ASSESSOR_ROLES``) of the organisation that recorded the concern; national
    oversight too once the time has run out."""
    recorded_by = dict(
        Concern.objects.filter(pk__in=[d.subject_id for d in deadlines]).values_list("pk", "raised_by_organisation")
    )
    members = members_by_role({(o, role) for o in recorded_by.values() for role in CONCERN_ASSESSOR_ROLES})
    national = (
        [m.user for m in Membership.objects.filter(role=Role.NATIONAL_OVERSIGHT, user__is_active=True)]
        if overdue
        else []
    )
    recipients: Recipients = {}
    for deadline in deadlines:
        organisation = recorded_by.get(deadline.subject_id, 0)
        people = [u for role in sorted(CONCERN_ASSESSOR_ROLES) for u in members.get((organisation, role), [])]
        recipients[deadline.pk] = list({u.pk: u for u in people + national}.values())
    return recipients


def _assessment_mine(memberships: Sequence[Membership], now: datetime) -> Q:
    """``_assessment_recipients`` as a condition on the deadline rows."""
    assessing = [m.organisation_id for m in memberships if m.role in CONCERN_ASSESSOR_ROLES]
    mine = Q(pk__in=[])
    if assessing:
        mine |= Q(subject_id__in=Concern.objects.filter(raised_by_organisation__in=assessing).values("pk"))
    if any(m.role == Role.NATIONAL_OVERSIGHT for m in memberships):
        mine |= Q(due_at__lt=now)
    return mine


register_resolver(
    DeadlineKind.CONCERN_ASSESSMENT,
    _assessment_recipients,
    reminders=[timedelta(hours=settings.IMMEDIATE_CONCERN_REMINDER_HOURS)],
    mine=_assessment_mine,
)
