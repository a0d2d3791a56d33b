"""Communications plans: per case, who we need to reach, what we want them to understand, and the scheduled
items (a briefing, a letter, a public notice) that get it done."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organisation
from failure_regime.models import Case


class Audience(models.TextChoices):
    """The groups a case's communications must reach."""

    AFFECTED_FAMILIES = "affected_families", "Affected families"
    PATIENTS = "patients", "Patients"
    STAFF = "staff", "Staff"
    PUBLIC = "public", "The public"
    MEDIA = "media", "Media"
    MPS_AND_SCRUTINY = "mps_and_scrutiny", "MPs and scrutiny committees"


class Channel(models.TextChoices):
    """How a plan item reaches its audience."""

    PUBLIC_NOTICE = "public_notice", "Public notice on this service"
    LETTER = "letter", "Letter"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone calls"
    MEETING = "meeting", "Meeting"
    PUBLIC_MEETING = "public_meeting", "Public meeting"
    STAFF_BRIEFING = "staff_briefing", "Staff briefing"
    MEDIA_BRIEFING = "media_briefing", "Media briefing or press release"
    SOCIAL_MEDIA = "social_media", "Social media"
    PARLIAMENTARY_BRIEFING = "parliamentary_briefing", "Briefing for MPs or a scrutiny committee"
    OTHER = "other", "Other"


class CommunicationsPlan(models.Model):
    """A case's communications plan: its objectives and key messages, with one row per audience it reaches
    and the scheduled items. Each case has at most one; changes are recorded in the audit trail."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="communications_plan")
    objectives = models.TextField(max_length=5000, help_text="What the communications must achieve.")
    key_messages = models.TextField(max_length=5000, help_text="The messages every item should carry, one a line.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(name="comms_plan_has_objectives", condition=~Q(objectives="")),
            models.CheckConstraint(
                name="comms_plan_updated_after_created", condition=Q(updated_at__gte=models.F("created_at"))
            ),
        ]

    def __str__(self) -> str:
        return f"Communications plan for {self.case.reference}"


class PlanAudience(models.Model):
    """An audience the plan reaches, with what that audience needs from us."""

    plan = models.ForeignKey(CommunicationsPlan, on_delete=models.CASCADE, related_name="audiences")
    audience = models.CharField(max_length=24, choices=Audience.choices)
    needs = models.TextField(
        max_length=2000, blank=True, help_text="What this audience needs to know, and how best to reach them."
    )

    class Meta:
        ordering = ["plan", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "audience"], name="plan_audience_once"),
            models.CheckConstraint(name="plan_audience_known", condition=Q(audience__in=Audience.values)),
        ]

    def __str__(self) -> str:
        return f"{self.get_audience_display()} in {self.plan}"


class PlanItem(models.Model):
    """One scheduled piece of communication: what, through which channel, to whom, who owns it and by when.
    Each open item is a deadline on the regime's clock (``communications.services.plans``); an item may point at
    the notice that fulfils it."""

    plan = models.ForeignKey(CommunicationsPlan, on_delete=models.CASCADE, related_name="items")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    channel = models.CharField(max_length=32, choices=Channel.choices)
    audience = models.CharField(max_length=24, choices=Audience.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="communications_items")
    due_on = models.DateField()
    notice = models.ForeignKey(
        "communications.Notice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_items",
        help_text="The notice that carries this item, when it is a public notice.",
    )
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["plan", "due_on", "pk"]
        indexes = [
            models.Index(fields=["plan", "due_on"], name="plan_item_plan_due_idx"),
            # "My open items", soonest first.
            models.Index(
                fields=["owner", "due_on"], name="plan_item_open_owner_idx", condition=Q(done_at__isnull=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="plan_item_done_by_with_time",
                condition=Q(done_at__isnull=True, done_by__isnull=True)
                | Q(done_at__isnull=False, done_by__isnull=False),
            ),
            models.CheckConstraint(name="plan_item_has_title", condition=~Q(title="")),
            models.CheckConstraint(name="plan_item_audience_known", condition=Q(audience__in=Audience.values)),
            models.CheckConstraint(name="plan_item_channel_known", condition=Q(channel__in=Channel.values)),
        ]

    def __str__(self) -> str:
        return f"{self.title} (due {self.due_on:%d %B %Y})"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
