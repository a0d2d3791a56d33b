"""The enforcement log: notices and sanctions served on a provider, with their deadlines and outcomes."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organisation
from failure_regime.models.cases import Case


class EnforcementKind(models.TextChoices):
    REQUIREMENT_NOTICE = "requirement_notice", "Requirement notice"
    WARNING_NOTICE = "warning_notice", "Warning notice"
    CONDITIONS = "conditions", "Conditions imposed or varied"
    SUSPENSION = "suspension", "Suspension"
    NOTICE_OF_PROPOSAL = "notice_of_proposal", "Notice of proposal to cancel registration"
    NOTICE_OF_DECISION = "notice_of_decision", "Notice of decision"
    CANCELLATION = "cancellation", "Cancellation of registration"
    PROSECUTION = "prosecution", "Prosecution"
    FIXED_PENALTY = "fixed_penalty", "Fixed penalty notice"


# A notice of proposal gives the provider 28 days to make representations.
REPRESENTATION_WINDOW = timedelta(days=28)
# The deadline of these kinds is a window for representations, not a date to comply by.
REPRESENTATION_KINDS = frozenset({EnforcementKind.NOTICE_OF_PROPOSAL})


class EnforcementOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    COMPLIED = "complied", "Complied"
    NOT_COMPLIED = "not_complied", "Not complied"
    REPRESENTATIONS_UPHELD = "representations_upheld", "Representations upheld"
    REPRESENTATIONS_REJECTED = "representations_rejected", "Representations rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CONCLUDED = "concluded", "Concluded"


class EnforcementAction(models.Model):
    """One enforcement step against a provider, linked to a case where there is one."""

    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="enforcement_actions")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="enforcement_actions", null=True, blank=True)
    kind = models.CharField(max_length=32, choices=EnforcementKind.choices)
    summary = models.TextField(max_length=10_000)
    served_on = models.DateField()
    deadline_on = models.DateField(
        null=True, blank=True, help_text="The compliance deadline, or the end of the window for representations."
    )
    outcome = models.CharField(max_length=32, choices=EnforcementOutcome.choices, default=EnforcementOutcome.PENDING)
    outcome_notes = models.TextField(max_length=10_000, blank=True)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-served_on", "-pk"]
        indexes = [models.Index(fields=["-served_on", "-id"], name="enforcement_served_idx")]
        constraints = [
            models.CheckConstraint(
                name="enforcement_deadline_after_service",
                condition=Q(deadline_on__isnull=True) | Q(deadline_on__gte=models.F("served_on")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} served on {self.provider} on {self.served_on:%d %B %Y}"

    @property
    def is_representation_window(self) -> bool:
        return self.kind in REPRESENTATION_KINDS
