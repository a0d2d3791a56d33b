"""A request for a review of a patient's care, passed to a case's review by the family liaison officer who heard
it from the family. The case's review chair accepts it into the case-note review cohort, declines it with the
reason, and records the outcome, which the officer then tells the family.

Pseudonymised as the cohort's rules require: the request names the patient by a reference (the enquiry's, which
is not personal data) and an age band, never by name, NHS number or date of birth. Who the patient is stays with
the family liaison team, who tell the review team through their usual secure route once the request is accepted.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organisation
from failure_regime.models import Case
from reviews.models.cohort import Cohort

AGE_BAND_CHOICES = [
    ("", "Not known"),
    ("Under 1", "Under 1"),
    ("1 to 17", "1 to 17"),
    ("18 to 29", "18 to 29"),
    *((f"{d} to {d + 9}", f"{d} to {d + 9}") for d in range(30, 90, 10)),
    ("90 and over", "90 and over"),
]


class ReviewRequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for the chair"
    ACCEPTED = "accepted", "Accepted into the review"
    DECLINED = "declined", "Declined"
    ANSWERED = "answered", "Outcome recorded"


# Requests that still wait on the chair: to decide (open), or to record the outcome (accepted).
WAITING = frozenset({ReviewRequestStatus.OPEN, ReviewRequestStatus.ACCEPTED})


class ReviewRequest(models.Model):
    """A family's request for a review of care, passed to the case's review. Open until the chair accepts it into
    the cohort or declines it; an accepted request is answered when the chair records the outcome."""

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        ReviewRequestStatus.OPEN: {ReviewRequestStatus.ACCEPTED, ReviewRequestStatus.DECLINED},
        ReviewRequestStatus.ACCEPTED: {ReviewRequestStatus.ANSWERED},
        ReviewRequestStatus.DECLINED: set(),
        ReviewRequestStatus.ANSWERED: set(),
    }

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="review_requests")
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="review_requests")
    source_reference = models.CharField(
        max_length=20, help_text="The reference the family liaison team knows the request by (an enquiry's)."
    )
    age_band = models.CharField(max_length=12, choices=AGE_BAND_CHOICES, blank=True)
    text = models.TextField(
        max_length=4000, help_text="What the family asks to be reviewed, without anything that identifies them."
    )
    status = models.CharField(
        max_length=10, choices=ReviewRequestStatus.choices, default=ReviewRequestStatus.OPEN, editable=False
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decline_reason = models.TextField(max_length=4000, blank=True, editable=False)
    outcome = models.TextField(max_length=4000, blank=True, editable=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    answered_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["requested_at", "pk"]
        indexes = [models.Index(fields=["case", "status"], name="review_request_case_status_idx")]
        constraints = [
            models.CheckConstraint(
                name="review_request_status_known", condition=Q(status__in=ReviewRequestStatus.values)
            ),
            models.CheckConstraint(name="review_request_has_text", condition=~Q(text="")),
            # One standing request per family's request: passing it again is refused until it is declined.
            models.UniqueConstraint(
                fields=["source_reference"],
                condition=Q(status__in=[ReviewRequestStatus.OPEN, ReviewRequestStatus.ACCEPTED]),
                name="review_request_one_standing",
            ),
            models.CheckConstraint(
                name="review_request_decision_recorded",
                condition=Q(status=ReviewRequestStatus.OPEN) | Q(decided_by__isnull=False, decided_at__isnull=False),
            ),
            models.CheckConstraint(
                name="review_request_declined_has_reason",
                condition=~Q(status=ReviewRequestStatus.DECLINED) | ~Q(decline_reason=""),
            ),
            models.CheckConstraint(
                name="review_request_answered_has_outcome",
                condition=~Q(status=ReviewRequestStatus.ANSWERED)
                | (~Q(outcome="") & Q(answered_by__isnull=False, answered_at__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return f"Review request {self.source_reference} on {self.case.reference}"

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    @property
    def waiting(self) -> bool:
        return self.status in WAITING
