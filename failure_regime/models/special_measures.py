"""Special measures: episodes, the dated rule sets that govern them, action plans, monthly progress
reports and re-inspections."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind
from failure_regime.models.cases import Case, StoredFile


class RuleSet(models.Model):
    """The rules of special measures for one kind of provider from a given date. Rules change (special
    measures 2013, the Recovery Support Programme 2021, the NHS Oversight Framework 2025), so each
    version is a row; an episode keeps the rule set in force on its entry date."""

    name = models.CharField(max_length=120)
    provider_kind = models.CharField(max_length=32, choices=OrganisationKind.choices)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Empty while the rules are still in force.")
    reinspection_months = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(36)],
        help_text="CQC re-inspects within this many months of entry.",
    )
    extension_max_months = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(24)], help_text="The longest extension allowed after re-inspection."
    )
    registration_decision_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Primary care and adult social care: the registration decision is due by then."
    )
    representation_days = models.PositiveSmallIntegerField(default=28)
    monthly_report_day = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="The day of the month each progress report is due; empty means the month's last day.",
    )
    recommendation_decision_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Trusts: the oversight body decides on CQC's recommendation within this many days. Empty where "
        "CQC places the provider itself.",
    )
    notes = models.TextField(max_length=5000, blank=True)

    class Meta:
        ordering = ["provider_kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["provider_kind", "effective_from"], name="ruleset_one_per_kind_and_start"),
            models.CheckConstraint(
                name="ruleset_ends_after_it_starts",
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=models.F("effective_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_kind_display()}, from {self.effective_from:%d %B %Y})"


class Basis(models.TextChoices):
    CQC_RECOMMENDATION = "cqc_recommendation", "On CQC's recommendation"
    OWN_EVIDENCE = "own_evidence", "On the oversight body's own evidence"
    CQC_DECISION = "cqc_decision", "By CQC's decision (primary care and adult social care)"


class EpisodeStatus(models.TextChoices):
    OPEN = "open", "In special measures"
    EXITED = "exited", "Left special measures"
    REGISTRATION_CANCELLED = "registration_cancelled", "Registration cancelled"


class Rating(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"


class Episode(models.Model):
    """A provider's time in special measures, from the decision to enter to exit (or cancellation)."""

    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="episodes")
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="episodes")
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="episodes")
    entered_on = models.DateField()
    basis = models.CharField(max_length=32, choices=Basis.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    recommending_inspection = models.ForeignKey(
        "Inspection", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    improvement_director = models.CharField(max_length=150, blank=True)
    buddy_trust = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=32, choices=EpisodeStatus.choices, default=EpisodeStatus.OPEN, editable=False)
    reinspection_due_on = models.DateField()
    registration_decision_due_on = models.DateField(null=True, blank=True)
    extended_until = models.DateField(null=True, blank=True, editable=False)
    exited_on = models.DateField(null=True, blank=True, editable=False)
    days_in_special_measures = models.PositiveIntegerField(null=True, blank=True, editable=False)
    recorded_at = models.DateTimeField(
        default=timezone.now,
        editable=False,
        help_text="When the episode was recorded in the service: only what falls due after this is chased.",
    )
    historic = models.BooleanField(
        default=False,
        editable=False,
        help_text="Recorded after it ended, from the record of the time: nothing of it is chased.",
    )

    class Meta:
        ordering = ["-entered_on", "-pk"]
        constraints = [
            models.CheckConstraint(name="episode_history_has_ended", condition=Q(historic=False) | ~Q(status="open")),
            models.UniqueConstraint(
                fields=["provider"], condition=Q(status="open"), name="episode_one_open_per_provider"
            ),
            models.CheckConstraint(
                name="episode_exit_after_entry",
                condition=Q(exited_on__isnull=True) | Q(exited_on__gte=models.F("entered_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} in special measures from {self.entered_on:%d %B %Y}"

    @property
    def is_open(self) -> bool:
        return self.status == EpisodeStatus.OPEN


class Extension(models.Model):
    """An extension of special measures after re-inspection, within the rule set's cap."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="extensions")
    until = models.DateField()
    reason = models.TextField(max_length=10_000)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField()

    class Meta:
        ordering = ["episode", "approved_at"]

    def __str__(self) -> str:
        return f"Extension to {self.until:%d %B %Y}"


class InspectionKind(models.TextChoices):
    INSPECTION = "inspection", "Inspection"
    REINSPECTION = "reinspection", "Re-inspection"


class Inspection(models.Model):
    """A CQC inspection: when it is scheduled, when it happened, and its ratings for the five key questions."""

    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="inspections")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, null=True, blank=True, related_name="inspections")
    kind = models.CharField(max_length=16, choices=InspectionKind.choices, default=InspectionKind.INSPECTION)
    scheduled_for = models.DateField(null=True, blank=True)
    carried_out_on = models.DateField(null=True, blank=True)
    safe = models.CharField(max_length=32, choices=Rating.choices, blank=True)
    effective = models.CharField(max_length=32, choices=Rating.choices, blank=True)
    caring = models.CharField(max_length=32, choices=Rating.choices, blank=True)
    responsive = models.CharField(max_length=32, choices=Rating.choices, blank=True)
    well_led = models.CharField(max_length=32, choices=Rating.choices, blank=True)
    overall = models.CharField(max_length=32, choices=Rating.choices, blank=True)
    report_reference = models.CharField(
        "Report reference", max_length=40, blank=True, help_text="CQC's reference of the published report."
    )
    report_url = models.URLField("Report web address", max_length=500, blank=True)
    published_on = models.DateField(
        null=True, blank=True, help_text="When CQC published the report; its ratings are public from then."
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-carried_out_on", "-scheduled_for", "-pk"]
        indexes = [models.Index(fields=["provider", "-published_on"], name="inspection_published_idx")]
        constraints = [
            models.CheckConstraint(
                name="inspection_not_before_scheduled",
                condition=Q(scheduled_for__isnull=True)
                | Q(carried_out_on__isnull=True)
                | Q(carried_out_on__gte=models.F("scheduled_for")),
            ),
            models.CheckConstraint(
                name="inspection_published_after_carried_out",
                condition=Q(published_on__isnull=True)
                | (Q(carried_out_on__isnull=False) & Q(published_on__gte=models.F("carried_out_on"))),
            ),
        ]

    def __str__(self) -> str:
        when = self.carried_out_on or self.scheduled_for
        return f"{self.get_kind_display()} of {self.provider}" + (f" on {when:%d %B %Y}" if when else "")

    @property
    def is_rated(self) -> bool:
        return bool(self.overall)

    @property
    def is_published(self) -> bool:
        return self.published_on is not None


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETE = "complete", "Complete"


class Rag(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


class Action(models.Model):
    """One improvement action of the trust's plan. Every change is in the audit trail."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="actions")
    reference = models.CharField(max_length=20)
    description = models.TextField(max_length=10_000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED)
    rag = models.CharField("RAG rating", max_length=8, choices=Rag.choices, default=Rag.RED)
    evidence = models.TextField(
        max_length=10_000, blank=True, help_text="What shows progress, in words; files go with the monthly report."
    )

    class Meta:
        ordering = ["episode", "reference"]
        constraints = [models.UniqueConstraint(fields=["episode", "reference"], name="action_reference_per_episode")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.description[:60]}"


class ReportStatus(models.TextChoices):
    DUE = "due", "Due"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned for changes"
    ACCEPTED = "accepted", "Accepted and published"


class MonthlyReport(models.Model):
    """The provider's progress report for one calendar month. One per month per episode, guaranteed by the
    database; once accepted its published snapshot never changes."""

    TRANSITIONS = {
        ReportStatus.DUE: {ReportStatus.SUBMITTED},
        ReportStatus.SUBMITTED: {ReportStatus.ACCEPTED, ReportStatus.RETURNED},
        ReportStatus.RETURNED: {ReportStatus.SUBMITTED},
        ReportStatus.ACCEPTED: set(),
    }

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="reports")
    month = models.DateField(help_text="The first day of the month reported on.")
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=ReportStatus.choices, default=ReportStatus.DUE, editable=False)
    narrative = models.TextField(max_length=20_000, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comments = models.TextField(max_length=10_000, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    snapshot = models.JSONField(
        null=True, blank=True, editable=False, help_text="What the public sees: fixed when the report is accepted."
    )

    class Meta:
        ordering = ["episode", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "month"], name="report_one_per_month"),
            models.CheckConstraint(name="report_month_starts_on_the_first", condition=Q(month__day=1)),
            models.CheckConstraint(
                name="report_published_only_when_accepted",
                condition=Q(status="accepted", snapshot__isnull=False, published_at__isnull=False)
                | (~Q(status="accepted") & Q(published_at__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.episode.provider} progress report for {self.month:%B %Y}"


class ReportActionStatus(models.Model):
    """Where one action stood in one month's report."""

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="action_statuses")
    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=ActionStatus.choices)
    rag = models.CharField(max_length=8, choices=Rag.choices)
    note = models.TextField(max_length=10_000, blank=True)

    class Meta:
        ordering = ["report", "action__reference"]
        constraints = [models.UniqueConstraint(fields=["report", "action"], name="report_action_once")]

    def __str__(self) -> str:
        return f"{self.action.reference}: {self.get_status_display()}"


class ReportEvidence(StoredFile):
    """A file sent with a monthly report."""

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="evidence/reports/%Y/%m/")

    class Meta:
        ordering = ["report", "uploaded_at"]
