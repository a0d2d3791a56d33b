"""The audit verbs of reviews: what happened, in the users' words."""

from enum import StrEnum


class ReviewsVerb(StrEnum):
    EXPERT_REGISTERED = "expert.registered"
    EXPERT_CHANGED = "expert.changed"
    EMPLOYMENT_ADDED = "expert.employment_added"
    INTEREST_DECLARED = "expert.interest_declared"
    TRAINING_RECORDED = "expert.training_recorded"
    CONFLICT_WAIVED = "case.conflict_waived"
    APPOINTMENT_MADE = "case.appointment_made"
    APPOINTMENT_ENDED = "case.appointment_ended"
    CAMPAIGN_OPENED = "campaign.opened"
    CAMPAIGN_CLOSED = "campaign.closed"
    APPLICATION_RECEIVED = "application.received"
    APPLICATION_VIEWED = "application.viewed"
    APPLICATION_CHECKED = "application.checked"
    APPLICATION_APPROVED = "application.approved"
    APPLICATION_REJECTED = "application.rejected"
    INVITATION_SENT = "invitation.sent"
    INVITATION_ACCEPTED = "invitation.accepted"
    COHORT_CREATED = "cohort.created"
    WAVE_ADDED = "cohort.wave_added"
    COHORT_IMPORT_STARTED = "cohort.import_started"
    COHORT_IMPORT_FINISHED = "cohort.import_finished"
    COHORT_PATIENT_VIEWED = "cohort.patient_viewed"
    COHORT_ASSIGNED = "cohort.assigned"
    ASSIGNMENT_REASSIGNED = "cohort.reassigned"
    ASSIGNMENTS_ENDED = "cohort.assignments_ended"
    SECOND_REVIEW_ADDED = "cohort.second_review_added"
    JUDGEMENT_SAVED = "judgement.saved"
    JUDGEMENT_SUBMITTED = "judgement.submitted"
    SAFETY_CONCERN_RAISED = "judgement.safety_concern_raised"
    FINDINGS_EXPORTED = "findings.exported"
    FINDINGS_PUBLISHED = "findings.published"
    REVIEW_REQUEST_RECEIVED = "review_request.received"
    REVIEW_REQUEST_ACCEPTED = "review_request.accepted"
    REVIEW_REQUEST_DECLINED = "review_request.declined"
    REVIEW_REQUEST_ANSWERED = "review_request.answered"


LABELS: dict[str, str] = {
    ReviewsVerb.EXPERT_REGISTERED: "Expert registered",
    ReviewsVerb.EXPERT_CHANGED: "Expert's record changed",
    ReviewsVerb.EMPLOYMENT_ADDED: "Employment added",
    ReviewsVerb.INTEREST_DECLARED: "Interest declared",
    ReviewsVerb.TRAINING_RECORDED: "Training recorded",
    ReviewsVerb.CONFLICT_WAIVED: "Conflict of interest waived",
    ReviewsVerb.APPOINTMENT_MADE: "Expert appointed",
    ReviewsVerb.APPOINTMENT_ENDED: "Appointment ended",
    ReviewsVerb.CAMPAIGN_OPENED: "Recruitment opened",
    ReviewsVerb.CAMPAIGN_CLOSED: "Recruitment closed",
    ReviewsVerb.APPLICATION_RECEIVED: "Application received",
    ReviewsVerb.APPLICATION_VIEWED: "Application viewed",
    ReviewsVerb.APPLICATION_CHECKED: "Application check recorded",
    ReviewsVerb.APPLICATION_APPROVED: "Application approved",
    ReviewsVerb.APPLICATION_REJECTED: "Application rejected",
    ReviewsVerb.INVITATION_SENT: "Invitation sent",
    ReviewsVerb.INVITATION_ACCEPTED: "Invitation accepted",
    ReviewsVerb.COHORT_CREATED: "Review cohort created",
    ReviewsVerb.WAVE_ADDED: "Cohort wave added",
    ReviewsVerb.COHORT_IMPORT_STARTED: "Cohort file uploaded",
    ReviewsVerb.COHORT_IMPORT_FINISHED: "Cohort file imported",
    ReviewsVerb.COHORT_PATIENT_VIEWED: "Patient record viewed",
    ReviewsVerb.COHORT_ASSIGNED: "Cases assigned to reviewers",
    ReviewsVerb.ASSIGNMENT_REASSIGNED: "Case reassigned",
    ReviewsVerb.ASSIGNMENTS_ENDED: "Reviews ended: the reviewer's role was removed",
    ReviewsVerb.SECOND_REVIEW_ADDED: "Second review added",
    ReviewsVerb.JUDGEMENT_SAVED: "Structured judgement saved",
    ReviewsVerb.JUDGEMENT_SUBMITTED: "Structured judgement submitted",
    ReviewsVerb.SAFETY_CONCERN_RAISED: "Safety concern raised in a review",
    ReviewsVerb.FINDINGS_EXPORTED: "Findings exported",
    ReviewsVerb.FINDINGS_PUBLISHED: "Findings summary published",
    ReviewsVerb.REVIEW_REQUEST_RECEIVED: "Review request received",
    ReviewsVerb.REVIEW_REQUEST_ACCEPTED: "Review request accepted into the review",
    ReviewsVerb.REVIEW_REQUEST_DECLINED: "Review request declined",
    ReviewsVerb.REVIEW_REQUEST_ANSWERED: "Review request outcome recorded",
}
