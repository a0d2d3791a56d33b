"""The audit verbs of the regime: what happened, in the users' words."""

from enum import StrEnum


class RegimeVerb(StrEnum):
    CONCERN_RAISED = "concern.raised"
    CONCERN_EVIDENCE_ADDED = "concern.evidence_added"
    CONCERN_EVIDENCE_DOWNLOADED = "concern.evidence_downloaded"
    CONCERN_ASSESSED = "concern.assessed"
    CONCERN_OUTCOME_DECIDED = "concern.outcome_decided"
    CONCERN_CLOSED = "concern.closed"
    CASE_PROPOSED = "case.proposed"
    CASE_PARTY_ADDED = "case.party_added"
    CASE_TERMS_REVISED = "case.terms_revised"
    SIGN_OFF_RECORDED = "case.sign_off_recorded"
    SIGN_OFF_WITHDRAWN = "case.sign_off_withdrawn"
    CASE_TRIGGERED = "case.triggered"
    LEAD_HANDED_OVER = "case.lead_handed_over"
    LEAD_REMOVED = "case.lead_removed"
    RESPONSIBILITY_ORGANISATIONS_SET = "case.responsibility_organisations_set"
    CASE_ACTIVATED = "case.activated"
    CASE_CLOSED = "case.closed"
    ENFORCEMENT_RECORDED = "enforcement.recorded"
    ENFORCEMENT_OUTCOME_RECORDED = "enforcement.outcome_recorded"


LABELS: dict[str, str] = {
    RegimeVerb.CONCERN_RAISED: "Concern recorded",
    RegimeVerb.CONCERN_EVIDENCE_ADDED: "Evidence added",
    RegimeVerb.CONCERN_EVIDENCE_DOWNLOADED: "Evidence downloaded",
    RegimeVerb.CONCERN_ASSESSED: "Concern assessed",
    RegimeVerb.CONCERN_OUTCOME_DECIDED: "Outcome of the concern decided",
    RegimeVerb.CONCERN_CLOSED: "Concern closed",
    RegimeVerb.CASE_PROPOSED: "Case proposed",
    RegimeVerb.CASE_PARTY_ADDED: "Party added",
    RegimeVerb.CASE_TERMS_REVISED: "Terms of reference revised",
    RegimeVerb.SIGN_OFF_RECORDED: "Decision given",
    RegimeVerb.SIGN_OFF_WITHDRAWN: "Decision withdrawn",
    RegimeVerb.CASE_TRIGGERED: "Case triggered",
    RegimeVerb.LEAD_HANDED_OVER: "Accountable lead appointed",
    RegimeVerb.LEAD_REMOVED: "Accountable lead removed: they left the organisation",
    RegimeVerb.RESPONSIBILITY_ORGANISATIONS_SET: "Responsible and consulted organisations changed",
    RegimeVerb.CASE_ACTIVATED: "Case made active",
    RegimeVerb.CASE_CLOSED: "Case closed",
    RegimeVerb.ENFORCEMENT_RECORDED: "Enforcement action recorded",
    RegimeVerb.ENFORCEMENT_OUTCOME_RECORDED: "Enforcement outcome recorded",
}


class MeasuresVerb(StrEnum):
    EPISODE_ENTERED = "special_measures.entered"
    EPISODE_EXTENDED = "special_measures.extended"
    EPISODE_EXITED = "special_measures.exited"
    EPISODE_REGISTRATION_CANCELLED = "special_measures.registration_cancelled"
    EPISODE_HISTORY_RECORDED = "special_measures.history_recorded"
    INSPECTION_SCHEDULED = "inspection.scheduled"
    INSPECTION_RECORDED = "inspection.recorded"
    INSPECTION_PUBLISHED = "inspection.published"
    ACTION_ADDED = "action_plan.action_added"
    ACTION_CHANGED = "action_plan.action_changed"
    REPORT_SUBMITTED = "monthly_report.submitted"
    REPORT_ACCEPTED = "monthly_report.accepted"
    REPORT_RETURNED = "monthly_report.returned"


LABELS.update(
    {
        MeasuresVerb.EPISODE_ENTERED: "Entered special measures",
        MeasuresVerb.EPISODE_EXTENDED: "Special measures extended",
        MeasuresVerb.EPISODE_EXITED: "Left special measures",
        MeasuresVerb.EPISODE_REGISTRATION_CANCELLED: "Registration cancelled",
        MeasuresVerb.EPISODE_HISTORY_RECORDED: "Past episode recorded from the record of the time",
        MeasuresVerb.INSPECTION_SCHEDULED: "Inspection scheduled",
        MeasuresVerb.INSPECTION_RECORDED: "Inspection recorded",
        MeasuresVerb.INSPECTION_PUBLISHED: "Inspection report published",
        MeasuresVerb.ACTION_ADDED: "Action added to the plan",
        MeasuresVerb.ACTION_CHANGED: "Action changed",
        MeasuresVerb.REPORT_SUBMITTED: "Monthly report submitted",
        MeasuresVerb.REPORT_ACCEPTED: "Monthly report accepted and published",
        MeasuresVerb.REPORT_RETURNED: "Monthly report returned",
    }
)


class RecommendationVerb(StrEnum):
    RECOMMENDED = "recommendation.made"
    PLACED = "recommendation.placed"
    NOT_PLACED = "recommendation.not_placed"
    WITHDRAWN = "recommendation.withdrawn"


LABELS.update(
    {
        RecommendationVerb.RECOMMENDED: "CQC recommended special measures",
        RecommendationVerb.PLACED: "Placed in special measures on CQC's recommendation",
        RecommendationVerb.NOT_PLACED: "Not placed in special measures",
        RecommendationVerb.WITHDRAWN: "CQC withdrew its recommendation",
    }
)


class InterventionVerb(StrEnum):
    ADDED = "intervention.added"
    STATUS_CHANGED = "intervention.status_changed"
    DIRECTOR_HANDED_OVER = "intervention.director_handed_over"
    ENDED = "intervention.ended"


LABELS.update(
    {
        InterventionVerb.ADDED: "Intervention recorded",
        InterventionVerb.STATUS_CHANGED: "Intervention reviewed",
        InterventionVerb.DIRECTOR_HANDED_OVER: "Improvement director handed over",
        InterventionVerb.ENDED: "Intervention ended",
    }
)


class NotificationVerb(StrEnum):
    PREFERENCES_CHANGED = "notifications.preferences_changed"
    CALENDAR_FEED_CREATED = "calendar_feed.created"
    CALENDAR_FEED_REVOKED = "calendar_feed.revoked"


LABELS.update(
    {
        NotificationVerb.PREFERENCES_CHANGED: "Notification choices changed",
        NotificationVerb.CALENDAR_FEED_CREATED: "Calendar address made",
        NotificationVerb.CALENDAR_FEED_REVOKED: "Calendar address turned off",
    }
)


def label(verb: str) -> str:
    """The verb in plain words, for timelines."""
    return LABELS.get(verb) or verb.replace(".", ": ").replace("_", " ").capitalize()


def register_labels(labels: dict[str, str]) -> None:
    """Lets the apps above the regime name their own verbs for the timelines."""
    LABELS.update(labels)
