"""The findings part of a case's review page: ``{% case_findings case user %}``. It reads through the selectors,
so that the page's template holds no queries or permission checks."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import User
from failure_regime.models import Case
from reviews.selectors import judgement as selectors
from reviews.selectors.team import is_review_manager

register = template.Library()


@register.inclusion_tag("reviews/staff/judgement/_case_findings_panel.html")
def case_findings(case: Case, user: User) -> dict[str, Any]:
    """Review managers see how far the review has got and reach the findings; a reviewer reaches their own
    cases; everyone sees what has been published."""
    manager = is_review_manager(user=user, case=case)
    return {
        "case": case,
        "is_manager": manager,
        "overview": selectors.findings_overview(case=case) if manager else None,
        "my_cases": selectors.reviewer_case_count(user=user, case=case),
        "summaries": list(selectors.summaries_for_case(case=case).only("pk", "title", "published_at")),
    }
