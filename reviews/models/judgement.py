"""Structured judgement reviews (the Royal College of Physicians' method): phases of care and overall care rated
1 (very poor) to 5 (excellent) with a narrative, problem types, and the avoidability of death on a 1 to 6 scale,
stored with the scale and its direction. A submitted review is locked."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from reviews.models.cohort import Assignment, Cohort


class CareRating(models.IntegerChoices):
    VERY_POOR = 1, "1: very poor care"
    POOR = 2, "2: poor care"
    ADEQUATE = 3, "3: adequate care"
    GOOD = 4, "4: good care"
    EXCELLENT = 5, "5: excellent care"


# Ratings that send a patient to a second review whatever the sample.
POOR_RATINGS = frozenset({CareRating.VERY_POOR, CareRating.POOR})


class Phase(models.TextChoices):
    ADMISSION = "admission", "Admission and initial management"
    ONGOING = "ongoing", "Ongoing care"
    PROCEDURE = "procedure", "Care during a procedure"
    PERIOPERATIVE = "perioperative", "Perioperative care"
    END_OF_LIFE = "end_of_life", "End-of-life care"


class ProblemType(models.TextChoices):
    ASSESSMENT = "assessment", "Problem in assessment, investigation or diagnosis"
    MEDICATION = "medication", "Problem with medication or fluids"
    TREATMENT = "treatment", "Problem in treatment or management planning"
    INFECTION = "infection", "Problem with infection management"
    PROCEDURE = "procedure", "Problem related to an operation or procedure"
    MONITORING = "monitoring", "Problem in clinical monitoring"
    RESUSCITATION = "resuscitation", "Problem in resuscitation"
    OTHER = "other", "Other problem"


class Avoidability(models.IntegerChoices):
    DEFINITELY = 1, "1: definitely avoidable"
    STRONG = 2, "2: strong evidence of avoidability"
    PROBABLY = 3, "3: probably avoidable (more than 50:50)"
    POSSIBLY = 4, "4: possibly avoidable, but not very likely (less than 50:50)"
    SLIGHT = 5, "5: slight evidence of avoidability"
    NOT_AVOIDABLE = 6, "6: definitely not avoidable"


AVOIDABILITY_SCALE = "RCP structured judgement review avoidability of death, 1 to 6"
AVOIDABILITY_DIRECTION = "1 is definitely avoidable, 6 is definitely not avoidable"
# Scores counted as an avoidable death: more likely than not (1 to 3).
AVOIDABLE_SCORES = frozenset({Avoidability.DEFINITELY, Avoidability.STRONG, Avoidability.PROBABLY})


class JudgementStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


def _rating_field(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, choices=CareRating.choices, null=True, blank=True)


class StructuredJudgement(models.Model):
    """One reviewer's structured judgement of one patient's care. Phases that did not happen stay empty."""

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="judgement")
    status = models.CharField(
        max_length=10, choices=JudgementStatus.choices, default=JudgementStatus.DRAFT, editable=False
    )
    admission_rating = _rating_field("admission and initial management")
    admission_narrative = models.TextField(max_length=20_000, blank=True)
    ongoing_rating = _rating_field("ongoing care")
    ongoing_narrative = models.TextField(max_length=20_000, blank=True)
    procedure_rating = _rating_field("care during a procedure")
    procedure_narrative = models.TextField(max_length=20_000, blank=True)
    perioperative_rating = _rating_field("perioperative care")
    perioperative_narrative = models.TextField(max_length=20_000, blank=True)
    end_of_life_rating = _rating_field("end-of-life care")
    end_of_life_narrative = models.TextField(max_length=20_000, blank=True)
    overall_rating = _rating_field("overall care")
    overall_narrative = models.TextField(max_length=20_000, blank=True)
    problem_types = models.JSONField(default=list, blank=True, help_text="ProblemType values.")
    avoidability = models.PositiveSmallIntegerField(
        "avoidability of death", choices=Avoidability.choices, null=True, blank=True
    )
    avoidability_scale = models.CharField(max_length=100, default=AVOIDABILITY_SCALE, editable=False)
    avoidability_direction = models.CharField(max_length=100, default=AVOIDABILITY_DIRECTION, editable=False)
    safety_concern = models.BooleanField(default=False)
    safety_concern_detail = models.TextField(max_length=20_000, blank=True)
    safety_alerted_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the investigation lead was alerted (once)."
    )
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["assignment"]
        indexes = [models.Index(fields=["status"], name="judgement_status_idx")]
        constraints = [
            *(
                models.CheckConstraint(
                    name=f"judgement_{phase}_rating_range",
                    condition=Q(**{f"{phase}_rating__isnull": True}) | Q(**{f"{phase}_rating__range": (1, 5)}),
                )
                for phase in [*Phase.values, "overall"]
            ),
            models.CheckConstraint(
                name="judgement_avoidability_range",
                condition=Q(avoidability__isnull=True) | Q(avoidability__range=(1, 6)),
            ),
            models.CheckConstraint(
                name="judgement_submitted_is_complete",
                condition=Q(status=JudgementStatus.DRAFT)
                | Q(overall_rating__isnull=False, avoidability__isnull=False, submitted_at__isnull=False),
            ),
            models.CheckConstraint(
                name="judgement_concern_has_detail", condition=Q(safety_concern=False) | ~Q(safety_concern_detail="")
            ),
        ]

    def __str__(self) -> str:
        return f"Structured judgement of {self.assignment}"


class FindingsSummary(models.Model):
    """A plain-English summary of a cohort's findings that the review chair publishes. It holds counts and
    conclusions only; nothing in it identifies a patient or attributes a judgement to a reviewer."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="summaries")
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=20_000)
    patients_reviewed = models.PositiveIntegerField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name_plural = "findings summaries"

    def __str__(self) -> str:
        return self.title
