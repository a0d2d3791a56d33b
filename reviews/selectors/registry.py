"""Reads of the expert registry: who conflicts with a provider, and who could lead a case."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Exists, F, Max, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Organisation, Role, User
from failure_regime import areas as regime_areas
from failure_regime.models import Area, Case, Responsibility
from failure_regime.permissions import OVERSEER_ROLES
from reviews.models import (
    Appointment,
    ConflictWaiver,
    DeclaredInterest,
    Employment,
    Expert,
    InterestKind,
    Specialty,
)
from reviews.selectors.team import review_case_list_for_user

DEFAULT_CONFLICT_LOOKBACK_YEARS = 5

# Who keeps the registry: the people who run cases. An expert with an account may also add to their own record.
REGISTRY_ROLES = frozenset({*OVERSEER_ROLES, Role.NATIONAL_OVERSIGHT, Role.ADMINISTRATOR})


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


def conflict_lookback_years() -> int:
    """How many years back employment at a provider counts as a conflict (``REVIEWS_CONFLICT_LOOKBACK_YEARS``)."""
    return int(getattr(settings, "REVIEWS_CONFLICT_LOOKBACK_YEARS", DEFAULT_CONFLICT_LOOKBACK_YEARS))


def conflict_lookback_start(*, on: datetime.date | None = None) -> datetime.date:
    """The first day of the look-back window: employment that ended on or after it is a conflict."""
    return (on or timezone.localdate()) - relativedelta(years=conflict_lookback_years())


# The rules live in these two filters so that the check on one expert and the search over all agree.
def _conflicting_employment(*, provider: Organisation, on: datetime.date | None) -> Q:
    started = conflict_lookback_start(on=on)
    return Q(organisation=provider) & (Q(ended_on__isnull=True) | Q(ended_on__gte=started))


def _conflicting_interest(*, provider: Organisation) -> Q:
    return Q(organisation=provider)


def _employment_conflict(employment: Employment, provider: Organisation) -> Conflict:
    until = f"until {employment.ended_on:%d %B %Y}" if employment.ended_on else "to date"
    return Conflict(
        kind=ConflictKind.EMPLOYMENT,
        reason=f"Employed by {provider} from {employment.started_on:%d %B %Y} {until}.",
        recorded_at=employment.recorded_at,
    )


def _interest_conflict(interest: DeclaredInterest, provider: Organisation) -> Conflict:
    return Conflict(
        kind=INTEREST_CONFLICT_KINDS[interest.kind],
        reason=f"Declared {interest.get_kind_display().lower()} in {provider}: {interest.description}",
        recorded_at=interest.recorded_at,
    )


def conflicts_for(*, expert: Expert, provider: Organisation, on: datetime.date | None = None) -> list[Conflict]:
    """Every reason ``expert`` is not independent of ``provider`` on the day ``on`` (today by default):
    employment there within the look-back window (current employment included) and any interest declared in it."""
    employments = Employment.objects.filter(_conflicting_employment(provider=provider, on=on), expert=expert)
    interests = DeclaredInterest.objects.filter(_conflicting_interest(provider=provider), expert=expert)
    return [
        *(_employment_conflict(e, provider) for e in employments.order_by("started_on", "pk")),
        *(_interest_conflict(i, provider) for i in interests.order_by("declared_on", "pk")),
    ]


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


def lead_candidate_queryset(
    *, case: Case, specialty: Specialty | None = None, min_seniority: int | None = None, specialty_only: bool = False
) -> QuerySet[Expert]:
    """The experts of ``lead_candidates`` as a queryset, for pages that show them a page at a time. With
    ``specialty_only`` those without ``specialty`` are left out rather than ranked last."""
    provider = case.provider
    employments = Employment.objects.filter(_conflicting_employment(provider=provider, on=None))
    interests = DeclaredInterest.objects.filter(_conflicting_interest(provider=provider))
    experts = Expert.objects.exclude(_unwaived(employments, case)).exclude(_unwaived(interests, case))
    if min_seniority is not None:
        experts = experts.filter(seniority__gte=min_seniority)
    if specialty is not None and specialty_only:
        experts = experts.filter(specialties=specialty).order_by("-seniority", "-available", "name", "pk")
    elif specialty is not None:
        has_specialty = Expert.specialties.through.objects.filter(expert=OuterRef("pk"), specialty=specialty)
        experts = experts.alias(specialty_match=Exists(has_specialty)).order_by(
            "-specialty_match", "-seniority", "-available", "name", "pk"
        )
    else:
        experts = experts.order_by("-seniority", "-available", "name", "pk")
    return experts


def lead_candidates(
    *, case: Case, specialty: Specialty | None = None, min_seniority: int | None = None
) -> list[Expert]:
    """Experts who could chair or lead the case, best fit first: those with ``specialty``, then the most senior,
    then those available. Anyone with a conflict with the provider not waived on this case is left out."""
    experts = lead_candidate_queryset(case=case, specialty=specialty, min_seniority=min_seniority)
    return list(experts.prefetch_related("specialties"))


@dataclass(frozen=True)
class ConflictedExpert:
    """An expert left off a case's candidates, with the conflicts that no waiver on the case covers."""

    expert: Expert
    conflicts: list[Conflict]


def conflicted_experts(
    *, case: Case, specialty: Specialty | None = None, min_seniority: int | None = None
) -> list[ConflictedExpert]:
    """The experts ``lead_candidate_queryset`` leaves out for a conflict with the case's provider, each with its
    unwaived conflicts, by name; in a fixed number of queries however many there are."""
    provider = case.provider
    employments = list(
        Employment.objects.filter(_conflicting_employment(provider=provider, on=None)).order_by("started_on", "pk")
    )
    interests = list(
        DeclaredInterest.objects.filter(_conflicting_interest(provider=provider)).order_by("declared_on", "pk")
    )
    latest_waiver = {
        row["expert"]: row["latest"]
        for row in ConflictWaiver.objects.filter(case=case).values("expert").annotate(latest=Max("waived_at"))
    }
    found: dict[int, list[Conflict]] = {}
    for conflict, expert_id in [
        *((_employment_conflict(e, provider), e.expert_id) for e in employments),
        *((_interest_conflict(i, provider), i.expert_id) for i in interests),
    ]:
        waived_at = latest_waiver.get(expert_id)
        if waived_at is None or conflict.recorded_at > waived_at:
            found.setdefault(expert_id, []).append(conflict)
    experts = Expert.objects.filter(pk__in=found).prefetch_related("specialties").order_by("name", "pk")
    if min_seniority is not None:
        experts = experts.filter(seniority__gte=min_seniority)
    if specialty is not None:
        experts = experts.filter(specialties=specialty)
    return [ConflictedExpert(expert=expert, conflicts=found[expert.pk]) for expert in experts]


# --- Who may read the registry --------------------------------------------------------------------------


def keeps_registry(*, user: User) -> bool:
    """Whether ``user`` keeps the expert registry (regulator decision-makers, oversight leads, national
    oversight and administrators), and so may read it."""
    return user.is_authenticated and user.memberships.filter(role__in=REGISTRY_ROLES).exists()


def expert_list_for_user(*, user: User) -> QuerySet[Expert]:
    """The experts ``user`` may read: the whole registry for those who keep it, none for anyone else. An expert's
    own record is reached through ``expert_for_user``."""
    if not keeps_registry(user=user):
        return Expert.objects.none()
    return Expert.objects.prefetch_related("specialties")


def expert_get_for_user(*, user: User, pk: int) -> Expert:
    """One expert of the registry, or 404 for anyone who does not keep it."""
    expert = expert_list_for_user(user=user).prefetch_related(None).filter(pk=pk).first()
    if expert is None:
        raise Http404("No such expert.")
    return expert


def expert_detail(*, expert: Expert) -> Expert:
    """The expert with their posts, interests and training, in a fixed number of queries."""
    return (
        Expert.objects.filter(pk=expert.pk)
        .select_related("user")
        .prefetch_related(
            "specialties",
            Prefetch("employments", queryset=Employment.objects.select_related("organisation")),
            Prefetch("interests", queryset=DeclaredInterest.objects.select_related("organisation")),
            "training",
        )
        .get()
    )


def appointment_list_for_user(*, user: User) -> QuerySet[Appointment]:
    """Appointments on the cases whose review ``user`` may look at (see ``team.review_case_list_for_user``)."""
    return Appointment.objects.filter(case__in=review_case_list_for_user(user=user).values("pk"))


def appointment_get_for_user(*, user: User, pk: int) -> Appointment:
    """One appointment on a case whose review the user may look at, or 404."""
    appointment = appointment_list_for_user(user=user).select_related("case__provider", "expert").filter(pk=pk).first()
    if appointment is None:
        raise Http404("No such appointment.")
    return appointment


def case_appointments(*, case: Case) -> QuerySet[Appointment]:
    """The case's appointments, active first, then oldest first, with who signed and who ended them."""
    return (
        Appointment.objects.filter(case=case)
        .select_related("expert", "signed_by", "appointed_by", "appointed_by_organisation", "ended_by")
        .order_by(F("ended_at").asc(nulls_first=True), "appointed_at", "pk")
    )


def expert_appointments(*, expert: Expert, user: User) -> QuerySet[Appointment]:
    """The expert's appointments on cases whose review ``user`` may look at, newest first."""
    return (
        appointment_list_for_user(user=user)
        .filter(expert=expert)
        .select_related("case__provider")
        .order_by("-appointed_at", "-pk")
    )


def own_appointments(*, expert: Expert) -> QuerySet[Appointment]:
    """Every appointment of the expert, newest first: what an expert sees on their own record."""
    return (
        Appointment.objects.filter(expert=expert)
        .select_related("case__provider", "signed_by")
        .order_by("-appointed_at", "-pk")
    )


def active_roles_on_case(*, case: Case, experts: list[Expert]) -> dict[int, list[str]]:
    """The roles each of ``experts`` holds on ``case`` now, by expert id, in one query."""
    roles: dict[int, list[str]] = {}
    active = Appointment.objects.filter(case=case, expert__in=experts, ended_at__isnull=True).order_by("pk")
    for appointment in active:
        roles.setdefault(appointment.expert_id, []).append(appointment.get_role_display())
    return roles


def review_leads(*, case: Case) -> list[Responsibility]:
    """The case's accountable investigation lead and expert-recruitment lead, in that order."""
    found = [regime_areas.area_of(case=case, area=area) for area in (Area.INVESTIGATION, Area.EXPERT_RECRUITMENT)]
    return [responsibility for responsibility in found if responsibility is not None]
