"""Recruitment of experts for a case: campaigns with the specialties and numbers needed, and the applications
that members of the public (clinicians, without an account) send to them, with their vetting."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organisation
from failure_regime.models import Case
from reviews.models.registry import Expert, Regulator, Seniority, Specialty


class CampaignStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Campaign(models.Model):
    """A call for experts to review a case: what is needed and until when applications are taken. Run by the
    case's expert-recruitment lead for their organisation, which invited experts join."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="campaigns")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The organisation running the recruitment; approved experts join it as expert reviewers.",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(
        max_length=20_000, help_text="What the review is and what reviewers will do, in plain English."
    )
    closes_on = models.DateField(help_text="The last day applications are taken.")
    status = models.CharField(max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.OPEN, editable=False)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        CampaignStatus.OPEN: frozenset({CampaignStatus.CLOSED}),
        CampaignStatus.CLOSED: frozenset(),
    }

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["status", "closes_on"], name="campaign_open_idx")]
        constraints = [models.CheckConstraint(name="campaign_has_title", condition=~Q(title=""))]

    def __str__(self) -> str:
        return self.title


class CampaignNeed(models.Model):
    """How many experts of one specialty a campaign needs."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="needs")
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="+")
    number_needed = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["campaign", "specialty__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "specialty"], name="campaign_need_unique_specialty"),
            models.CheckConstraint(name="campaign_need_positive", condition=Q(number_needed__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.number_needed} × {self.specialty}"


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", "Waiting for vetting"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Application(models.Model):
    """An expert's application to a campaign, sent from the public form without an account.

    Personal data: name, email, phone, registration number, employment history, referees and declared interests.
    It is shown only to the case's recruitment team; ``__str__`` uses the reference.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="applications")
    reference = models.CharField(max_length=16, unique=True, editable=False)
    name = models.CharField(max_length=150)
    email = models.EmailField()
    phone = models.CharField(max_length=32, blank=True)
    profession = models.CharField(max_length=100)
    regulator = models.CharField("professional regulator", max_length=8, choices=Regulator.choices)
    registration_number = models.CharField(max_length=20, blank=True)
    specialties = models.ManyToManyField(Specialty, related_name="+")
    seniority = models.PositiveSmallIntegerField(choices=Seniority.choices)
    current_employer = models.CharField(max_length=200)
    # The limits on these texts are the ones the public form enforces: forms read them from here.
    employment_history = models.TextField(max_length=10_000, help_text="Posts held in the last 5 years, with dates.")
    interests = models.TextField(
        max_length=10_000, blank=True, help_text="Interests declared in any provider, or empty for none."
    )
    no_other_interests = models.BooleanField(
        default=False, help_text="The applicant confirms they have declared every interest."
    )
    sjr_trained_on = models.DateField(
        "structured judgement review training", null=True, blank=True, help_text="When they completed the training."
    )
    capacity_per_week = models.PositiveSmallIntegerField()
    first_referee = models.TextField(max_length=1000, help_text="Name, role and contact details of the first referee.")
    second_referee = models.TextField(
        max_length=1000, help_text="Name, role and contact details of the second referee."
    )
    consent_given_at = models.DateTimeField(help_text="When the applicant consented to the use of their data.")
    submitted_at = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED, editable=False
    )
    registration_checked = models.BooleanField(default=False, editable=False)
    references_checked = models.BooleanField(default=False, editable=False)
    interests_checked = models.BooleanField(default=False, editable=False)
    training_checked = models.BooleanField(default=False, editable=False)
    decision_reason = models.TextField(max_length=10_000, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    expert = models.OneToOneField(
        Expert,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="application",
        editable=False,
        help_text="The registry entry made when the application was approved.",
    )

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        ApplicationStatus.SUBMITTED: frozenset({ApplicationStatus.APPROVED, ApplicationStatus.REJECTED}),
        ApplicationStatus.APPROVED: frozenset(),
        ApplicationStatus.REJECTED: frozenset(),
    }

    class Meta:
        ordering = ["campaign", "submitted_at", "pk"]
        indexes = [models.Index(fields=["campaign", "status"], name="application_campaign_idx")]
        constraints = [
            # One application per person per campaign: the same registration, or the same e-mail address.
            models.UniqueConstraint(
                fields=["campaign", "regulator", "registration_number"],
                condition=~Q(registration_number=""),
                name="application_unique_registration",
            ),
            models.UniqueConstraint(fields=["campaign", "email"], name="application_unique_email"),
            models.CheckConstraint(
                name="application_rejection_has_reason",
                condition=~Q(status=ApplicationStatus.REJECTED) | ~Q(decision_reason=""),
            ),
            models.CheckConstraint(
                name="application_approval_is_vetted",
                condition=~Q(status=ApplicationStatus.APPROVED)
                | Q(
                    registration_checked=True,
                    references_checked=True,
                    interests_checked=True,
                    training_checked=True,
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"Application {self.reference}"

    @property
    def vetted(self) -> bool:
        return (
            self.registration_checked and self.references_checked and self.interests_checked and self.training_checked
        )


class Invitation(models.Model):
    """An approved expert's invitation to create their account. Only a hash of the token is kept; the token
    itself is in the e-mail. Accepting it sets the password and gives the expert reviewer role."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="invitation")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"Invitation for {self.application}"
