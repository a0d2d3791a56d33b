"""The clock: every deadline of the regime is a row here, swept periodically by Celery beat."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from accounts.models import Organisation
from failure_regime.models.cases import Case


class DeadlineKind(models.TextChoices):
    SIGN_OFF = "sign_off", "Joint sign-off"
    ENFORCEMENT_COMPLIANCE = "enforcement_compliance", "Enforcement compliance"
    REPRESENTATION_WINDOW = "representation_window", "Representations window"
    REINSPECTION = "reinspection", "Re-inspection"
    MONTHLY_REPORT = "monthly_report", "Monthly progress report"
    EXTENSION_END = "extension_end", "End of extension"
    REGISTRATION_DECISION = "registration_decision", "Registration decision"
    RECOMMENDATION_DECISION = "recommendation_decision", "Decision on CQC's recommendation"
    INTERVENTION_REVIEW = "intervention_review", "Review of an intervention"
    COMMUNICATIONS_ITEM = "communications_item", "Communications plan item"
    CONCERN_ASSESSMENT = "concern_assessment", "Assessment of an immediate concern"


class Deadline(models.Model):
    """A date something must happen by. Reminders fall due at offsets before it and an escalation after it;
    ``next_alert_at`` says when the sweep should next look at it, so the sweep reads only what is due."""

    kind = models.CharField(max_length=32, choices=DeadlineKind.choices)
    title = models.CharField(max_length=200)
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="deadlines")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines", null=True, blank=True)
    # Indexed by ``deadline_subject_idx``, which starts with it.
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", db_index=False)
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    next_alert_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["next_alert_at"], name="deadline_next_alert_idx", condition=Q(met_at__isnull=True)),
            models.Index(fields=["subject_type", "subject_id"], name="deadline_subject_idx"),
            # The lists: open deadlines, soonest first.
            models.Index(fields=["due_at", "id"], name="deadline_open_due_idx", condition=Q(met_at__isnull=True)),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind"],
                condition=Q(met_at__isnull=True),
                name="deadline_one_open_per_subject_and_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (due {self.due_at:%d %B %Y %H:%M})"


class Alert(models.Model):
    """A reminder or escalation that was sent for a deadline. Unique per deadline and step, so each
    goes out exactly once however many sweeps run."""

    # Indexed by ``alert_once_per_step``, which starts with it.
    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="alerts", db_index=False)
    step = models.CharField(max_length=32, help_text="Which reminder: seconds before the deadline, or 'overdue'.")
    sent_at = models.DateTimeField()
    superseded = models.BooleanField(
        default=False, help_text="Not sent because a later reminder was already due when the sweep ran."
    )

    class Meta:
        ordering = ["deadline", "sent_at"]
        constraints = [models.UniqueConstraint(fields=["deadline", "step"], name="alert_once_per_step")]

    def __str__(self) -> str:
        return f"{self.deadline}: {self.step}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxMessage(models.Model):
    """An e-mail waiting to be sent. A worker claims it with a conditional update, so two workers never
    send the same message; ``dedupe_key`` stops the same notification being queued twice."""

    # Unique by a constraint rather than ``unique=True``, which on PostgreSQL also builds a second index for LIKE
    # that nothing asks: the clock queues tens of thousands of messages at once.
    dedupe_key = models.CharField(max_length=200)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbox_status_idx")]
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="outbox_dedupe_key_unique")]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to} ({self.status})"
