"""The interventions register of an episode of special measures: improvement directors and their hand-overs,
partner (buddy) trust agreements, leadership and board changes, licence conditions and undertakings, financial and
intensive support. Each has an owner, a review date and a status; every change is in the episode's audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organisation
from failure_regime.models.special_measures import Episode


class InterventionKind(models.TextChoices):
    IMPROVEMENT_DIRECTOR = "improvement_director", "Improvement director"
    PARTNER_AGREEMENT = "partner_agreement", "Partner or buddy trust agreement"
    LEADERSHIP_CHANGE = "leadership_change", "Leadership or board change"
    LICENCE_CONDITION = "licence_condition", "Licence condition"
    UNDERTAKING = "undertaking", "Undertaking"
    FINANCIAL_SUPPORT = "financial_support", "Financial support"
    INTENSIVE_SUPPORT = "intensive_support", "Intensive support"
    OTHER = "other", "Other"


# The oversight body's own regulatory powers: only its oversight leads record them.
LICENSING_KINDS = frozenset({InterventionKind.LICENCE_CONDITION, InterventionKind.UNDERTAKING})


class InterventionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PLACE = "in_place", "In place"
    UNDER_REVIEW = "under_review", "Under review"
    ENDED = "ended", "Ended"


class Intervention(models.Model):
    """One intervention over the life of an episode. An improvement director handed over to a successor keeps
    their row, with the date they stood down; the successor's row says whom they replaced."""

    # Where a status may go by ``intervention_update_status``; ending has its own service.
    TRANSITIONS = {
        InterventionStatus.PLANNED: {InterventionStatus.IN_PLACE},
        InterventionStatus.IN_PLACE: {InterventionStatus.UNDER_REVIEW, InterventionStatus.IN_PLACE},
        InterventionStatus.UNDER_REVIEW: {InterventionStatus.IN_PLACE, InterventionStatus.UNDER_REVIEW},
        InterventionStatus.ENDED: set(),
    }

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="interventions")
    kind = models.CharField(max_length=32, choices=InterventionKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=10_000, blank=True)
    person_name = models.CharField(
        "Name", max_length=150, blank=True, help_text="Improvement directors: the person appointed. Never published."
    )
    person_organisation = models.CharField(
        "Their organisation", max_length=200, blank=True, help_text="Improvement directors: who employs them."
    )
    partner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Partner or buddy trust agreements: the partner organisation.",
    )
    starts_on = models.DateField("From")
    ends_on = models.DateField("To", null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    owner_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    review_on = models.DateField("Review by", null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=InterventionStatus.choices, default=InterventionStatus.PLANNED, editable=False
    )
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        editable=False,
        help_text="The improvement director this one took over from.",
    )
    end_reason = models.TextField(max_length=10_000, blank=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["episode", "kind", "-starts_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=Q(kind="improvement_director") & ~Q(status="ended"),
                name="intervention_one_current_improvement_director",
            ),
            models.CheckConstraint(
                name="intervention_ends_after_it_starts",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
            ),
            models.CheckConstraint(
                name="intervention_ended_has_an_end_date",
                condition=~Q(status="ended") | Q(ends_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        kind = self.get_kind_display()
        return self.title if self.title == kind else f"{kind}: {self.title}"

    @property
    def is_current(self) -> bool:
        return self.status != InterventionStatus.ENDED
