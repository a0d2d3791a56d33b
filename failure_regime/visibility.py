"""Which of the regime's objects each user's lists show, registered for the audit event feed and webhooks."""

from __future__ import annotations

from accounts.visibility import register_visible
from failure_regime import selectors


def register() -> None:
    """Called from the app's ``ready``: events about these objects (or on their timelines) follow their lists."""
    register_visible("failure_regime.Case", lambda user: selectors.case_list_for_user(user=user))
    # A provider never sees concerns about itself, nor their events: they may come from whistleblowers.
    register_visible("failure_regime.Concern", lambda user: selectors.concern_list_for_user(user=user))
    register_visible("failure_regime.EnforcementAction", lambda user: selectors.enforcement_list_for_user(user=user))
    register_visible("failure_regime.Deadline", lambda user: selectors.deadline_list_for_user(user=user))
    register_visible("failure_regime.Episode", lambda user: selectors.episode_list_for_user(user=user))
    register_visible("failure_regime.MonthlyReport", lambda user: selectors.report_list_for_user(user=user))
    register_visible("failure_regime.Inspection", lambda user: selectors.inspection_list_for_user(user=user))
    # The provider sees CQC's recommendation about it, and its events, once its oversight body has decided.
    register_visible("failure_regime.Recommendation", lambda user: selectors.recommendation_list_for_user(user=user))
