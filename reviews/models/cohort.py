"""A case-note review cohort: the patients whose care is reviewed, imported in waves from CSV files, and the
assignment of each to one or two expert reviewers.

Personal data: ``CohortPatient.nhs_number`` and ``date_of_birth`` (and the dates of care). Reviewers never see
them: they work from ``reference`` and ``age_band``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from failure_regime.models import Case
from reviews.models.registry import Expert, Specialty


class Cohort(models.Model):
    """The patients reviewed for one case. It grows in waves; each wave keeps the inclusion criteria it used."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="cohort")
    title = models.CharField(max_length=200)
    second_review_share = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.20"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="The share of patients, chosen at random, who also get an independent second review.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    next_number = models.PositiveIntegerField(
        default=1, editable=False, help_text="The number of the next patient's review reference."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="cohort_share_is_a_fraction", condition=Q(second_review_share__gte=0, second_review_share__lte=1)
            )
        ]

    def __str__(self) -> str:
        return self.title


class Wave(models.Model):
    """One addition of patients to a cohort, with the version of the inclusion criteria it used."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="waves")
    number = models.PositiveSmallIntegerField()
    criteria_version = models.CharField(max_length=40, help_text="For example 'v2, March 2026'.")
    inclusion_criteria = models.TextField(max_length=20_000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["cohort", "number"]
        constraints = [models.UniqueConstraint(fields=["cohort", "number"], name="wave_unique_number")]

    def __str__(self) -> str:
        return f"Wave {self.number} ({self.criteria_version})"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    CHECKING = "checking", "Checking the file"
    INVALID = "invalid", "Not imported: the file has errors"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class CohortImport(models.Model):
    """A CSV file of patients for a wave, checked and imported in the background with its progress and errors.
    The file is kept under a generated name; errors name the line and the reason, never the NHS number."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="imports")
    file = models.FileField(upload_to="cohorts/%Y/%m/")
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    valid_rows_only = models.BooleanField(
        default=False, help_text="Import the valid rows even when others have errors."
    )
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED, editable=False)
    total_rows = models.PositiveIntegerField(default=0, editable=False)
    processed_rows = models.PositiveIntegerField(default=0, editable=False)
    imported_rows = models.PositiveIntegerField(default=0, editable=False)
    error_count = models.PositiveIntegerField(default=0, editable=False)
    errors = models.JSONField(
        default=list, editable=False, help_text="The first errors, as {'line': n, 'field': ..., 'reason': ...}."
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A run claims the import and touches this as it goes; a run whose heartbeat is stale has died (its worker was
    # killed, say) and the periodic resume starts the import again. Attempts bound how often that happens.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def percent_done(self) -> int:
        if not self.total_rows:
            return 100 if self.status in {ImportStatus.DONE, ImportStatus.INVALID} else 0
        return min(100, self.processed_rows * 100 // self.total_rows)


class EventKind(models.TextChoices):
    DEATH = "death", "Death"
    INCIDENT = "incident", "Incident"


class IdentificationSource(models.TextChoices):
    MORTALITY_REVIEW = "mortality_review", "Mortality review"
    INCIDENT_REPORT = "incident_report", "Incident report"
    COMPLAINT = "complaint", "Complaint"
    FAMILY = "family", "Family came forward"
    LITIGATION = "litigation", "Litigation"
    CORONER = "coroner", "Coroner"
    OTHER = "other", "Other"


class SecondReviewReason(models.TextChoices):
    SAMPLED = "sampled", "Chosen at random"
    POOR_CARE = "poor_care", "Care rated poor or very poor"


class CohortPatient(models.Model):
    """A patient whose care is reviewed. Identifiers stay here; everything shown to reviewers uses the
    reference and the age band."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="patients")
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="patients")
    reference = models.CharField(max_length=20, help_text="The review reference reviewers see, e.g. R12-000042.")
    nhs_number = models.CharField("NHS number", max_length=10)
    date_of_birth = models.DateField()
    admitted_on = models.DateField("date of admission")
    event_kind = models.CharField(max_length=8, choices=EventKind.choices)
    event_on = models.DateField("date of the incident or death")
    age_band = models.CharField(max_length=12, help_text="Age at the incident or death, in bands.")
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=100)
    identification_source = models.CharField(max_length=20, choices=IdentificationSource.choices)
    second_review = models.CharField(
        max_length=10,
        choices=SecondReviewReason.choices,
        blank=True,
        editable=False,
        help_text="Why the patient gets a second, independent review; empty for none.",
    )

    class Meta:
        ordering = ["cohort", "reference"]
        indexes = [models.Index(fields=["cohort", "specialty"], name="patient_cohort_specialty_idx")]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "nhs_number"], name="patient_unique_in_cohort"),
            models.UniqueConstraint(fields=["cohort", "reference"], name="patient_unique_reference"),
            models.CheckConstraint(name="patient_nhs_number_digits", condition=Q(nhs_number__regex=r"^[0-9]{10}$")),
            models.CheckConstraint(
                name="patient_admitted_after_birth", condition=Q(admitted_on__gte=F("date_of_birth"))
            ),
            models.CheckConstraint(name="patient_event_after_birth", condition=Q(event_on__gte=F("date_of_birth"))),
        ]

    def __str__(self) -> str:
        return self.reference


class AssignmentKind(models.TextChoices):
    FIRST = "first", "First review"
    SECOND = "second", "Second review"


class Assignment(models.Model):
    """A patient's case notes given to one reviewer, for the first or an independent second review. Reassignment
    ends the assignment with a reason and makes a new one, and removing the reviewer's role ends it too (see
    ``reviews.services.role_removal``); nothing is deleted."""

    patient = models.ForeignKey(CohortPatient, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="assignments")
    kind = models.CharField(max_length=8, choices=AssignmentKind.choices)
    assigned_at = models.DateTimeField()
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="Who ended it: who gave the review to someone else, or who removed the reviewer's role. Empty for "
        "the system, and for assignments ended before this was kept.",
    )
    end_reason = models.TextField(max_length=10_000, blank=True, editable=False)

    ACTIVE: ClassVar[Q] = Q(ended_at__isnull=True)

    class Meta:
        ordering = ["patient", "kind", "assigned_at", "pk"]
        indexes = [models.Index(fields=["reviewer", "ended_at"], name="assignment_reviewer_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind"], condition=Q(ended_at__isnull=True), name="assignment_one_active_per_kind"
            ),
            # The second review is independent: never by the first reviewer.
            models.UniqueConstraint(
                fields=["patient", "reviewer"],
                condition=Q(ended_at__isnull=True),
                name="assignment_one_reviewer_per_patient",
            ),
            models.CheckConstraint(
                name="assignment_end_has_reason", condition=Q(ended_at__isnull=True) | ~Q(end_reason="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} ({self.get_kind_display().lower()})"
