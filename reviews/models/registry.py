"""The expert registry, conflicts of interest and appointments to lead or review a case."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from accounts.models import Organisation
from failure_regime.models import Case


class Regulator(models.TextChoices):
    """The body that registers a profession; each has its own registration number format."""

    GMC = "gmc", "General Medical Council (GMC)"
    NMC = "nmc", "Nursing and Midwifery Council (NMC)"
    HCPC = "hcpc", "Health and Care Professions Council (HCPC)"
    OTHER = "other", "Other or none"


# Registration number formats, as stored (upper case). Shared by the service and the database constraint.
REGISTRATION_NUMBER_FORMATS: dict[str, tuple[str, str]] = {
    Regulator.GMC: (r"^[0-9]{7}$", "A GMC number is 7 digits, for example 1234567."),
    Regulator.NMC: (
        r"^[0-9]{2}[A-Z][0-9]{4}[A-Z]$",
        "An NMC PIN is 2 digits, a letter, 4 digits and a letter, for example 12A3456B.",
    ),
    Regulator.HCPC: (r"^[A-Z]{2}[0-9]{4,6}$", "An HCPC number is 2 letters then digits, for example PA12345."),
}


class Seniority(models.IntegerChoices):
    """How senior an expert is; higher is more senior, so candidates can be filtered and ranked by it."""

    PRACTITIONER = 1, "Practitioner"
    SENIOR_PRACTITIONER = 2, "Senior practitioner"
    CONSULTANT = 3, "Consultant or equivalent"
    CLINICAL_LEAD = 4, "Clinical or professional lead"
    NATIONAL_EXPERT = 5, "National expert"


class Specialty(models.Model):
    """A field of expertise, such as obstetrics or midwifery, shared by experts and the work they review."""

    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"
        constraints = [models.UniqueConstraint(Lower("name"), name="specialty_unique_name")]

    def __str__(self) -> str:
        return self.name


class Expert(models.Model):
    """A clinician or other expert who may chair, lead or review a case, with their professional registration."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="expert",
        help_text="The expert's account, once they have one.",
    )
    name = models.CharField(max_length=150)
    profession = models.CharField(max_length=100)
    regulator = models.CharField("professional regulator", max_length=8, choices=Regulator.choices)
    registration_number = models.CharField(max_length=20, blank=True)
    specialties = models.ManyToManyField(Specialty, related_name="experts", blank=True)
    seniority = models.PositiveSmallIntegerField(choices=Seniority.choices)
    capacity_per_week = models.PositiveSmallIntegerField(help_text="How many cases the expert can take each week.")
    available = models.BooleanField(default=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["regulator", "registration_number"],
                condition=~Q(registration_number=""),
                name="expert_unique_registration",
            ),
            models.CheckConstraint(
                name="expert_registration_number_format",
                condition=Q(regulator=Regulator.OTHER)
                | Q(regulator=Regulator.GMC, registration_number__regex=REGISTRATION_NUMBER_FORMATS[Regulator.GMC][0])
                | Q(regulator=Regulator.NMC, registration_number__regex=REGISTRATION_NUMBER_FORMATS[Regulator.NMC][0])
                | Q(
                    regulator=Regulator.HCPC, registration_number__regex=REGISTRATION_NUMBER_FORMATS[Regulator.HCPC][0]
                ),
            ),
            models.CheckConstraint(name="expert_seniority_known", condition=Q(seniority__in=Seniority.values)),
        ]

    def __str__(self) -> str:
        return self.name


class Employment(models.Model):
    """A post the expert holds or held: where, from when and until when (no end date while it lasts)."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="employments")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The registered organisation, when the employer is one.",
    )
    employer_name = models.CharField(max_length=200)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["expert", "-started_on", "pk"]
        indexes = [models.Index(fields=["organisation", "ended_on"], name="employment_organisation_idx")]
        constraints = [
            models.CheckConstraint(
                name="employment_ends_after_it_starts",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
            ),
            models.CheckConstraint(name="employment_has_employer", condition=~Q(employer_name="")),
        ]

    def __str__(self) -> str:
        return f"{self.expert} at {self.employer_name}"


class InterestKind(models.TextChoices):
    FINANCIAL = "financial", "Financial interest"
    PERSONAL_INVOLVEMENT = "personal_involvement", "Personal involvement"
    OTHER = "other", "Other interest"


class DeclaredInterest(models.Model):
    """An interest the expert declares in an organisation, such as shares in it or care of a relative there."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="interests")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=InterestKind.choices)
    description = models.TextField(max_length=10_000)
    declared_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["expert", "-declared_on", "pk"]
        indexes = [models.Index(fields=["organisation"], name="interest_organisation_idx")]
        constraints = [models.CheckConstraint(name="interest_has_description", condition=~Q(description=""))]

    def __str__(self) -> str:
        return f"{self.expert}: {self.get_kind_display().lower()} in {self.organisation}"


class TrainingKind(models.TextChoices):
    STRUCTURED_JUDGEMENT_REVIEW = "structured_judgement_review", "Structured judgement review"
    PATIENT_SAFETY_INVESTIGATION = "patient_safety_investigation", "Patient safety incident investigation"
    OTHER = "other", "Other"


class Training(models.Model):
    """A course the expert completed, such as structured judgement review training, and when."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="training")
    kind = models.CharField(max_length=32, choices=TrainingKind.choices)
    completed_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["expert", "-completed_on", "pk"]
        verbose_name_plural = "training"

    def __str__(self) -> str:
        return f"{self.expert}: {self.get_kind_display()} ({self.completed_on:%d %B %Y})"


class ConflictWaiver(models.Model):
    """An oversight lead's written decision that an expert may act on a case despite their conflicts with its
    provider. It covers the conflicts recorded up to the moment of the waiver; a later one needs a new waiver."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="conflict_waivers")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="waivers")
    reason = models.TextField(help_text="The conflicts waived, as they stood when the waiver was given.")
    rationale = models.TextField(max_length=10_000, help_text="Why the expert may act despite them.")
    waived_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    waived_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    waived_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "waived_at", "pk"]
        indexes = [models.Index(fields=["case", "expert", "waived_at"], name="waiver_case_expert_idx")]
        constraints = [
            models.CheckConstraint(name="waiver_has_rationale", condition=~Q(rationale="")),
            models.CheckConstraint(name="waiver_has_reason", condition=~Q(reason="")),
        ]

    def __str__(self) -> str:
        return f"Conflicts of {self.expert} waived on {self.case.reference}"


class AppointmentRole(models.TextChoices):
    REVIEW_CHAIR = "review_chair", "Review chair"
    INVESTIGATION_LEAD = "investigation_lead", "Investigation lead"
    EXPERT_REVIEWER = "expert_reviewer", "Expert reviewer"


# Roles that lead the case's investigation, and so fill its investigation area when the expert can hold it.
LEADING_ROLES = frozenset({AppointmentRole.REVIEW_CHAIR, AppointmentRole.INVESTIGATION_LEAD})


class Appointment(models.Model):
    """An expert appointed to a case in a role, with the independence declaration they signed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="appointments")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="appointments")
    role = models.CharField(max_length=24, choices=AppointmentRole.choices)
    declaration = models.TextField(max_length=20_000, help_text="The independence declaration, as signed.")
    signed_at = models.DateTimeField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who received the signed declaration and recorded it.",
    )
    appointed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    appointed_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    appointed_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    end_reason = models.TextField(max_length=10_000, blank=True, editable=False)

    class Meta:
        ordering = ["case", "appointed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "expert", "role"],
                condition=Q(ended_at__isnull=True),
                name="appointment_one_active_per_role",
            ),
            models.CheckConstraint(name="appointment_has_declaration", condition=~Q(declaration="")),
            models.CheckConstraint(
                name="appointment_end_has_reason", condition=Q(ended_at__isnull=True) | ~Q(end_reason="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert}, {self.get_role_display().lower()} on {self.case.reference}"

    @property
    def active(self) -> bool:
        return self.ended_at is None
