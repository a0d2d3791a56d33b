"""Reads of the expert registry: who conflicts with a provider, and who could lead a case."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Organisation
from failure_regime.models import Case
from reviews.models import ConflictWaiver, DeclaredInterest, Employment, Expert, InterestKind, Specialty

DEFAULT_CONFLICT_LOOKBACK_YEARS = 5


class ConflictKind(StrEnum):
    EMPLOYMENT = "employment"
    FINANCIAL_INTEREST = "financial_interest"
    PERSONAL_INVOLVEMENT = "personal_involvement"
    OTHER_INTEREST = "other_interest"


INTEREST_CONFLICT_KINDS: dict[str, ConflictKind] = {
    InterestKind.FINANCIAL: ConflictKind.FINANCIAL_INTEREST,
    InterestKind.PERSONAL_INVOLVEMENT: ConflictKind.PERSONAL_INVOLVEMENT,
    InterestKind.OTHER: ConflictKind.OTHER_INTEREST,
}


@dataclass(frozen=True)
class Conflict:
    """One reason an expert is not independent of a provider, and when the record behind it was made."""

    kind: ConflictKind
    reason: str
    recorded_at: datetime.datetime


def conflict_lookback_start(*, on: datetime.date | None = None) -> datetime.date:
    """The first day of the look-back window: employment that ended on or after it is a conflict."""
    years = int(getattr(settings, "REVIEWS_CONFLICT_LOOKBACK_YEARS", DEFAULT_CONFLICT_LOOKBACK_YEARS))
    return (on or timezone.localdate()) - relativedelta(years=years)


# The rules live in these two filters so that the check on one expert and the search over all agree.
def _conflicting_employment(*, provider: Organisation, on: datetime.date | None) -> Q:
    started = conflict_lookback_start(on=on)
    return Q(organisation=provider) & (Q(ended_on__isnull=True) | Q(ended_on__gte=started))


def _conflicting_interest(*, provider: Organisation) -> Q:
    return Q(organisation=provider)


def conflicts_for(*, expert: Expert, provider: Organisation, on: datetime.date | None = None) -> list[Conflict]:
    """Every reason ``expert`` is not independent of ``provider`` on the day ``on`` (today by default):
    employment there within the look-back window (current employment included) and any interest declared in it."""
    conflicts: list[Conflict] = []
    employments = Employment.objects.filter(_conflicting_employment(provider=provider, on=on), expert=expert)
    for employment in employments.order_by("started_on", "pk"):
        until = f"until {employment.ended_on:%d %B %Y}" if employment.ended_on else "to date"
        conflicts.append(
            Conflict(
                kind=ConflictKind.EMPLOYMENT,
                reason=f"Employed by {provider} from {employment.started_on:%d %B %Y} {until}.",
                recorded_at=employment.recorded_at,
            )
        )
    interests = DeclaredInterest.objects.filter(_conflicting_interest(provider=provider), expert=expert)
    for interest in interests.order_by("declared_on", "pk"):
        conflicts.append(
            Conflict(
                kind=INTEREST_CONFLICT_KINDS[interest.kind],
                reason=f"Declared {interest.get_kind_display().lower()} in {provider}: {interest.description}",
                recorded_at=interest.recorded_at,
            )
        )
    return conflicts


def unwaived_conflicts_for(*, expert: Expert, case: Case) -> list[Conflict]:
    """The expert's conflicts with the case's provider that no waiver on the case covers. A waiver covers the
    conflicts recorded up to the moment it was given."""
    latest = ConflictWaiver.objects.filter(case=case, expert=expert).order_by("-waived_at").first()
    conflicts = conflicts_for(expert=expert, provider=case.provider)
    return [c for c in conflicts if latest is None or c.recorded_at > latest.waived_at]


def _unwaived(records: QuerySet[Employment] | QuerySet[DeclaredInterest], case: Case) -> Exists:
    covering = ConflictWaiver.objects.filter(
        case=case, expert=OuterRef("expert"), waived_at__gte=OuterRef("recorded_at")
    )
    return Exists(records.filter(expert=OuterRef("pk")).exclude(Exists(covering)))


def lead_candidates(
    *, case: Case, specialty: Specialty | None = None, min_seniority: int | None = None
) -> list[Expert]:
    """Experts who could chair or lead the case, best fit first: those with ``specialty``, then the most senior,
    then those available. Anyone with a conflict with the provider not waived on this case is left out."""
    provider = case.provider
    employments = Employment.objects.filter(_conflicting_employment(provider=provider, on=None))
    interests = DeclaredInterest.objects.filter(_conflicting_interest(provider=provider))
    experts = Expert.objects.exclude(_unwaived(employments, case)).exclude(_unwaived(interests, case))
    if min_seniority is not None:
        experts = experts.filter(seniority__gte=min_seniority)
    if specialty is not None:
        has_specialty = Expert.specialties.through.objects.filter(expert=OuterRef("pk"), specialty=specialty)
        experts = experts.alias(specialty_match=Exists(has_specialty)).order_by(
            "-specialty_match", "-seniority", "-available", "name", "pk"
        )
    else:
        experts = experts.order_by("-seniority", "-available", "name", "pk")
    return list(experts.prefetch_related("specialties"))
