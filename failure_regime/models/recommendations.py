"""CQC's recommendation that a trust enter special measures, and the oversight body's decision on it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organisation
from failure_regime.models.special_measures import Episode, Inspection


class RecommendationStatus(models.TextChoices):
    AWAITING_DECISION = "awaiting_decision", "Awaiting decision"
    PLACED = "placed", "Placed in special measures"
    NOT_PLACED = "not_placed", "Not placed in special measures"
    WITHDRAWN = "withdrawn", "Withdrawn by CQC"


DECIDED_STATUSES = (RecommendationStatus.PLACED, RecommendationStatus.NOT_PLACED)


class Recommendation(models.Model):
    """CQC recommends, from an inspection, that a trust enter special measures; the trust's oversight body
    decides once, by the deadline of the rules in force on the day CQC recommended."""

    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="recommendations")
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="recommendations")
    recommended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recommended_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recommended_at = models.DateTimeField()
    reasons = models.TextField(max_length=10_000)
    decision_due_on = models.DateField()
    status = models.CharField(
        max_length=32,
        choices=RecommendationStatus.choices,
        default=RecommendationStatus.AWAITING_DECISION,
        editable=False,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    decided_by_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decision_reasons = models.TextField(max_length=10_000, blank=True, editable=False)
    episode = models.OneToOneField(
        Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="recommendation", editable=False
    )

    class Meta:
        ordering = ["decision_due_on", "pk"]
        indexes = [models.Index(fields=["status", "decision_due_on"], name="recommendation_queue_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(status="awaiting_decision"),
                name="recommendation_one_awaiting_per_provider",
            ),
            models.CheckConstraint(
                name="recommendation_decided_whole",
                condition=Q(status="awaiting_decision", decided_at__isnull=True, decided_by__isnull=True)
                | (~Q(status="awaiting_decision") & Q(decided_at__isnull=False, decided_by__isnull=False)),
            ),
            models.CheckConstraint(
                name="recommendation_episode_only_when_placed",
                condition=Q(status="placed", episode__isnull=False) | (~Q(status="placed") & Q(episode__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"CQC's recommendation of special measures for {self.provider}"

    @property
    def is_awaiting(self) -> bool:
        return self.status == RecommendationStatus.AWAITING_DECISION
