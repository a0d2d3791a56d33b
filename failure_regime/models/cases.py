"""Concerns about providers, and the single failure cases that regulators and providers trigger jointly."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organisation


class ConcernSource(models.TextChoices):
    INSPECTION = "inspection", "Inspection"
    WHISTLEBLOWING = "whistleblowing", "Whistleblowing"
    COMPLAINTS = "complaints", "Complaints"
    MORTALITY_DATA = "mortality_data", "Mortality data"
    CORONER = "coroner", "Coroner"
    MEDIA = "media", "Media"
    PROVIDER_REPORT = "provider_report", "The provider's own report"
    PUBLIC_ENQUIRY = "public_enquiry", "A public enquiry"
    OTHER = "other", "Other"


# Where a concern recorded by regulator or oversight staff may come from: a provider's own report is the provider's,
# and a public enquiry becomes a concern through its family liaison officer.
STAFF_CONCERN_SOURCES = [
    (value, label) for value, label in ConcernSource.choices if value not in {"provider_report", "public_enquiry"}
]


class Severity(models.TextChoices):
    ROUTINE = "routine", "Routine"
    IMMEDIATE = "immediate", "Immediate"


class ConcernStatus(models.TextChoices):
    """Where a concern is in its handling: received, assessed, an outcome decided (or made part of a case), and
    closed. ``concern_steps.NEXT`` says which step may follow which."""

    RECEIVED = "received", "Received"
    ASSESSED = "assessed", "Assessed"
    OUTCOME = "outcome", "Outcome decided"
    IN_CASE = "in_case", "Part of a case"
    CLOSED = "closed", "Closed"


# A concern not yet closed nor part of a case: a case may be proposed from it.
CONCERN_OPEN_STATUSES = (ConcernStatus.RECEIVED, ConcernStatus.ASSESSED, ConcernStatus.OUTCOME)


class ConcernOutcome(models.TextChoices):
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    MONITOR = "monitor", "Monitor the provider"
    ENFORCEMENT = "enforcement", "Enforcement action"
    PROPOSE_CASE = "propose_case", "Propose a single failure case"
    REFER = "refer", "Refer to another body"


class Concern(models.Model):
    """A worry about the care at a provider, raised by regulator or oversight staff, with its evidence."""

    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="concerns")
    source = models.CharField(max_length=32, choices=ConcernSource.choices)
    summary = models.TextField(max_length=10_000)  # the one limit: forms and the API read it from here
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.ROUTINE)
    status = models.CharField(
        max_length=16, choices=ConcernStatus.choices, default=ConcernStatus.RECEIVED, editable=False
    )
    # The outcome decided, once it is (the step that decided it says why).
    outcome = models.CharField(max_length=32, choices=ConcernOutcome.choices, blank=True, editable=False)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]

    def __str__(self) -> str:
        return f"Concern {self.pk} about {self.provider}"


class ConcernStep(models.Model):
    """One step in the handling of a concern, with its reasons: assessed, an outcome decided, or closed. The steps
    of a concern are its history; the concern's ``status`` and ``outcome`` are where the last one left it."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(max_length=16, choices=ConcernStatus.choices)
    outcome = models.CharField(max_length=32, choices=ConcernOutcome.choices, blank=True)
    referred_to = models.CharField(max_length=200, blank=True)
    reasons = models.TextField(max_length=5000)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField()

    class Meta:
        ordering = ["made_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: concern {self.concern_id}"


class StoredFile(models.Model):
    """A file someone uploaded: kept under a generated name, offered back under its original name."""

    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name


class ConcernEvidence(StoredFile):
    """A file that supports a concern."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="evidence/concerns/%Y/%m/")

    class Meta:
        ordering = ["uploaded_at", "pk"]


class CaseStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    TRIGGERED = "triggered", "Triggered"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class ClosureReason(models.TextChoices):
    COMPLETED = "completed", "The response is complete"
    NOT_AGREED = "not_agreed", "The parties did not agree to trigger it"
    WITHDRAWN = "withdrawn", "The proposal was withdrawn"
    MERGED = "merged", "Merged into another case"


class Case(models.Model):
    """A single failure case about one provider: proposed, triggered when every party agrees, active
    once every area of the response has an accountable lead, and finally closed."""

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        CaseStatus.PROPOSED: {CaseStatus.TRIGGERED, CaseStatus.CLOSED},
        CaseStatus.TRIGGERED: {CaseStatus.ACTIVE, CaseStatus.CLOSED},
        CaseStatus.ACTIVE: {CaseStatus.CLOSED},
        CaseStatus.CLOSED: set(),
    }

    reference = models.CharField(max_length=20, unique=True, editable=False)
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases")
    title = models.CharField(max_length=200)
    summary = models.TextField(max_length=10_000)
    scope = models.TextField(max_length=10_000)
    concerns = models.ManyToManyField(Concern, related_name="cases")
    immediate = models.BooleanField(
        default=False, help_text="Raised from an immediate concern: short sign-off deadline."
    )
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.PROPOSED, editable=False)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    sign_off_deadline = models.DateTimeField(null=True, blank=True)
    triggered_at = models.DateTimeField(null=True, blank=True, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closure_reason = models.CharField(max_length=16, choices=ClosureReason.choices, blank=True, editable=False)
    closing_summary = models.TextField(max_length=10_000, blank=True, editable=False)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        indexes = [models.Index(fields=["status", "-proposed_at"], name="case_status_idx")]
        constraints = [
            models.CheckConstraint(
                name="case_triggered_has_time",
                condition=Q(status="proposed") | Q(triggered_at__isnull=False) | Q(status="closed"),
            ),
            models.CheckConstraint(
                name="case_closed_has_reason",
                condition=~Q(status="closed") | (Q(closed_at__isnull=False) & ~Q(closure_reason="")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]


class TermsOfReference(models.Model):
    """One version of a case's terms of reference; every version is kept."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="terms_versions")
    version = models.PositiveIntegerField()
    text = models.TextField(max_length=20_000)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "-version"]
        constraints = [models.UniqueConstraint(fields=["case", "version"], name="terms_one_per_version")]

    def __str__(self) -> str:
        return f"{self.case.reference} terms of reference v{self.version}"


class PartyBasis(models.TextChoices):
    PROVIDER = "provider", "The provider"
    REGULATOR = "regulator", "The regulator"
    OVERSIGHT_BODY = "oversight_body", "The provider's oversight body"
    AS_APPROPRIATE = "as_appropriate", "Added as appropriate"


class CaseParty(models.Model):
    """An organisation whose agreement the case needs before it is triggered."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="case_parties")
    basis = models.CharField(max_length=16, choices=PartyBasis.choices)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "added_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "organisation"], name="party_once_per_case")]

    def __str__(self) -> str:
        return f"{self.organisation} on {self.case.reference}"


class Decision(models.TextChoices):
    AGREE = "agree", "Agrees"
    OBJECT = "object", "Objects"


class SignOff(models.Model):
    """A party's decision on triggering the case. At most one stands per party; a withdrawn one is kept."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sign_offs")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.TextField(max_length=10_000, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(max_length=10_000, blank=True)

    class Meta:
        ordering = ["case", "decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "organisation"],
                condition=Q(withdrawn_at__isnull=True),
                name="sign_off_one_standing_per_party",
            ),
            models.CheckConstraint(name="sign_off_objection_has_reason", condition=Q(decision="agree") | ~Q(reason="")),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.get_decision_display().lower()} on {self.case.reference}"

    @property
    def standing(self) -> bool:
        return self.withdrawn_at is None


class Area(models.TextChoices):
    """The mandatory areas of every case's response, each with one accountable lead."""

    INVESTIGATION = "investigation", "Investigation and review lead"
    EXPERT_RECRUITMENT = "expert_recruitment", "Expert recruitment"
    PUBLIC_COMMUNICATIONS = "public_communications", "Public communications"
    FAMILY_SUPPORT = "family_support", "Family and public support"
    OVERSIGHT = "oversight", "Oversight"


class Responsibility(models.Model):
    """One area of a case's response: its single accountable lead and the organisations involved."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="responsibilities")
    area = models.CharField(max_length=32, choices=Area.choices)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lead_responsibilities", null=True, blank=True
    )
    lead_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    responsible = models.ManyToManyField(Organisation, related_name="+", blank=True)
    consulted = models.ManyToManyField(Organisation, related_name="+", blank=True)

    class Meta:
        ordering = ["case", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "area"], name="responsibility_one_per_area"),
            models.CheckConstraint(
                name="responsibility_lead_with_organisation",
                condition=Q(lead__isnull=True, lead_organisation__isnull=True)
                | Q(lead__isnull=False, lead_organisation__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_area_display()} on {self.case.reference}"


class Handover(models.Model):
    """A change of accountable lead: from whom, to whom, when, why and who made it."""

    responsibility = models.ForeignKey(Responsibility, on_delete=models.CASCADE, related_name="handovers")
    from_lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    from_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", null=True)
    to_lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=10_000)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField()

    class Meta:
        ordering = ["responsibility", "made_at", "pk"]

    def __str__(self) -> str:
        return f"{self.responsibility}: to {self.to_lead}"
