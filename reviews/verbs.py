"""The audit verbs of reviews: what happened, in the users' words."""

from enum import StrEnum


class ReviewsVerb(StrEnum):
    EXPERT_REGISTERED = "expert.registered"
    EMPLOYMENT_ADDED = "expert.employment_added"
    INTEREST_DECLARED = "expert.interest_declared"
    TRAINING_RECORDED = "expert.training_recorded"
    CONFLICT_WAIVED = "case.conflict_waived"
    APPOINTMENT_MADE = "case.appointment_made"


LABELS: dict[str, str] = {
    ReviewsVerb.EXPERT_REGISTERED: "Expert registered",
    ReviewsVerb.EMPLOYMENT_ADDED: "Employment added",
    ReviewsVerb.INTEREST_DECLARED: "Interest declared",
    ReviewsVerb.TRAINING_RECORDED: "Training recorded",
    ReviewsVerb.CONFLICT_WAIVED: "Conflict of interest waived",
    ReviewsVerb.APPOINTMENT_MADE: "Expert appointed",
}
