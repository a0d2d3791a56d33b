"""The cohort part of a case's review page: ``{% case_cohort case user %}``. It reads through the selectors, so
that the page's template holds no queries or permission checks."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import User
from failure_regime.models import Case
from reviews.selectors import cohort as selectors
from reviews.selectors.team import is_review_manager

register = template.Library()


@register.inclusion_tag("reviews/staff/cohort/_case_cohort_panel.html")
def case_cohort(case: Case, user: User) -> dict[str, Any]:
    """Review managers see the cohort's size and how many reviews wait, with links to run it; anyone else sees
    nothing of it."""
    manager = is_review_manager(user=user, case=case)
    cohort = selectors.cohort_for_case(case=case) if manager else None
    totals = selectors.specialty_totals(cohort=cohort) if cohort is not None else []
    return {
        "case": case,
        "is_manager": manager,
        "cohort": cohort,
        "waves": cohort.waves.count() if cohort is not None else 0,
        "patients": sum(t.patients for t in totals),
        "assigned": sum(t.first_assigned + t.second_assigned for t in totals),
        "waiting": sum(t.unassigned for t in totals),
    }
