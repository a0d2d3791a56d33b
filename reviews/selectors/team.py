"""Who is on a case's review team, and what each may see.

- The **review managers** of a case run its review: the accountable investigation lead, the accountable
  expert-recruitment lead, and the experts appointed to it as chair or investigation lead (through their
  accounts). They see the whole review: the cohort, every assignment and judgement, and the findings.
- The **recruitment lead** is the case's accountable expert-recruitment lead; they run campaigns and vet.
- **Reviewers** see only the patients assigned to them, pseudonymised (see ``selectors/judgement.py``).

Everyone else gets 404 for the review's objects, whether or not they can see the case.
"""

from __future__ import annotations

from django.db.models import Exists, Q, QuerySet
from django.http import Http404

from accounts.models import Membership, Role, User
from failure_regime import areas as regime_areas
from failure_regime.models import Area, Case, Responsibility
from failure_regime.selectors import case_list_for_user
from reviews.models import LEADING_ROLES, Appointment, Expert

# The roles a person reviews through. Their reviews and their appointments to cases last only while they hold one
# of them (``reviews.services.role_removal`` ends the rest when one is removed).
REVIEWING_ROLES = frozenset({Role.EXPERT_REVIEWER, Role.REVIEW_CHAIR})


def holds_reviewing_role(*, user: User) -> Exists:
    """The condition that ``user`` holds a reviewing role somewhere, for a query about their own reviews."""
    return Exists(Membership.objects.filter(user=user, role__in=REVIEWING_ROLES))


def _leads(case: Case, areas: list[str]) -> Q:
    return Q(pk__in=regime_areas.area_leads(case=case, areas=areas))


def _appointed_leaders(case: Case) -> Q:
    appointed = Appointment.objects.filter(
        case=case, role__in=LEADING_ROLES, ended_at__isnull=True, expert__user__isnull=False
    )
    return Q(pk__in=appointed.values("expert__user"))


def review_managers(*, case: Case) -> QuerySet[User]:
    """The people who run the case's review (see the module docstring)."""
    return User.objects.filter(
        _leads(case, [Area.INVESTIGATION, Area.EXPERT_RECRUITMENT]) | _appointed_leaders(case), is_active=True
    )


def is_review_manager(*, user: User, case: Case) -> bool:
    return user.is_authenticated and review_managers(case=case).filter(pk=user.pk).exists()


def recruitment_led_case_ids(*, user: User) -> QuerySet[Responsibility, int]:
    """The ids of the cases where ``user`` is the accountable expert-recruitment lead, who runs campaigns and vets."""
    return regime_areas.areas_led_by(user=user, areas=[Area.EXPERT_RECRUITMENT]).values_list("case_id", flat=True)


def is_recruitment_lead(*, user: User, case: Case) -> bool:
    return recruitment_led_case_ids(user=user).filter(case=case).exists()


def investigation_lead(*, case: Case) -> User | None:
    """The case's accountable investigation lead, who is alerted to safety concerns found in reviews."""
    return regime_areas.area_lead(case=case, area=Area.INVESTIGATION)


def managed_case_list_for_user(*, user: User) -> QuerySet[Case]:
    """Cases whose review the user manages."""
    led = regime_areas.cases_led_by(user=user, areas=[Area.INVESTIGATION, Area.EXPERT_RECRUITMENT])
    appointed = Appointment.objects.filter(expert__user=user, role__in=LEADING_ROLES, ended_at__isnull=True)
    return Case.objects.filter(Q(pk__in=led) | Q(pk__in=appointed.values("case"))).select_related("provider")


def managed_case_get_for_user(*, user: User, pk: int) -> Case:
    """A case whose review the user manages; 404 otherwise, including for a case they can see but do not run."""
    case = managed_case_list_for_user(user=user).filter(pk=pk).first()
    if case is None:
        raise Http404("No such case review.")
    return case


def review_case_list_for_user(*, user: User) -> QuerySet[Case]:
    """Cases whose review the user may look at: those they can see as a case (their organisation is a party,
    or national oversight) and those whose review they manage."""
    visible = case_list_for_user(user=user).values("pk")
    managed = managed_case_list_for_user(user=user).values("pk")
    return Case.objects.filter(Q(pk__in=visible) | Q(pk__in=managed)).select_related("provider")


def expert_for_user(*, user: User) -> Expert | None:
    """The registry entry of the signed-in expert, if they have one."""
    if not user.is_authenticated:
        return None
    return Expert.objects.filter(user=user).first()
