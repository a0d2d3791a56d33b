"""Notifications: what a person is told of the events that ask them to act or decide on their work, how they
choose to hear of it, and their private calendar feed of deadlines."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from accounts.models import Organisation


class NotificationEvent(models.TextChoices):
    CASE_PROPOSED = "case_proposed", "A case is proposed for your sign-off"
    SIGN_OFF_DECIDED = "sign_off_decided", "A party decides on a proposed case"
    SIGN_OFF_OBJECTED = "sign_off_objected", "A party objects to a proposed case"
    CASE_TRIGGERED = "case_triggered", "A case is triggered"
    LEAD_APPOINTED = "lead_appointed", "You are appointed or handed over as accountable lead"
    CASE_ACTIVATED = "case_activated", "A case becomes active"
    REPORT_SUBMITTED = "report_submitted", "A monthly report is submitted"
    REPORT_ACCEPTED = "report_accepted", "A monthly report is accepted"
    REPORT_RETURNED = "report_returned", "A monthly report is returned"
    INSPECTION_SCHEDULED = "inspection_scheduled", "An inspection is scheduled"
    SPECIAL_MEASURES_RECOMMENDED = "special_measures_recommended", "CQC recommends special measures"
    SPECIAL_MEASURES_DECIDED = "special_measures_decided", "A decision is made on CQC's recommendation"
    ENQUIRY_ASSIGNED = "enquiry_assigned", "An enquiry is assigned to you"
    ENQUIRY_ESCALATED = "enquiry_escalated", "An enquiry is escalated"
    NOTICE_AWAITING_APPROVAL = "notice_awaiting_approval", "A notice awaits approval"
    NOTICE_APPROVED = "notice_approved", "A notice is approved"
    NOTICE_PUBLISHED = "notice_published", "A notice is published"
    REVIEW_ASSIGNED = "review_assigned", "A review is assigned to you"
    IMPORT_FINISHED = "import_finished", "An import finishes"
    REVIEW_REQUEST_RECEIVED = "review_request_received", "A review request is received"
    REVIEW_REQUEST_ANSWERED = "review_request_answered", "A review request is answered"
    DEADLINE_REMINDER = "deadline_reminder", "A deadline is coming up"
    DEADLINE_OVERDUE = "deadline_overdue", "A deadline has passed"
    AUDIT_CHAIN_BROKEN = "audit_chain_broken", "The audit trail check finds the trail changed"


# Statutory and safety messages: always mailed at once, whatever the person chose. A proposed case starts the
# statutory window for joint sign-off (24 hours for an immediate case); a triggered case starts the regime's
# duties; an escalated enquiry is a family's unanswered worry about care; and every deadline reminder and
# escalation is a statutory date (sign-off, monthly report, re-inspection, enforcement compliance); and a
# changed audit trail means the record the regime rests on may have been tampered with.
STATUTORY_EVENTS: frozenset[str] = frozenset(
    {
        NotificationEvent.CASE_PROPOSED,
        NotificationEvent.CASE_TRIGGERED,
        NotificationEvent.ENQUIRY_ESCALATED,
        NotificationEvent.DEADLINE_REMINDER,
        NotificationEvent.DEADLINE_OVERDUE,
        NotificationEvent.AUDIT_CHAIN_BROKEN,
    }
)


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "By e-mail at once"
    DAILY = "daily", "In a daily e-mail summary"
    OFF = "off", "Only in the service, no e-mail"


class Notification(models.Model):
    """One thing one person was told, once per event and occurrence (``key``). It is listed in the service until
    read, and mailed at once or in the daily digest as ``delivery`` was when it was made."""

    # Indexed by the constraint and the list's index below, which both start with it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    event = models.CharField(max_length=40, choices=NotificationEvent.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, help_text="A path on this site where the person acts on it.")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        help_text="Which of the person's organisations this is for.",
    )
    about_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    key = models.CharField(max_length=200, help_text="Which occurrence of the event: told once per key.")
    statutory = models.BooleanField(default=False)
    delivery = models.CharField(max_length=16, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event", "key"], name="notification_once_per_user_event_key"),
            models.CheckConstraint(
                condition=Q(about_type__isnull=True, about_id__isnull=True)
                | Q(about_type__isnull=False, about_id__isnull=False),
                name="notification_about_whole_or_none",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_list_idx"),
            models.Index(fields=["user"], name="notification_unread_idx", condition=Q(read_at__isnull=True)),
            models.Index(
                fields=["user", "created_at"],
                name="notification_undigested_idx",
                condition=Q(delivery="daily", digested_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_event_display()})"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How one person wants to hear of one kind of event. Without a row, they hear at once; statutory events are
    mailed at once whatever is stored here."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(max_length=40, choices=NotificationEvent.choices)
    delivery = models.CharField(max_length=16, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "event"]
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notification_preference_once_per_event")]

    def __str__(self) -> str:
        return f"{self.user}: {self.event} {self.delivery}"


class CalendarFeed(models.Model):
    """A private calendar address of one person's deadlines. Only a hash of its secret token is kept, so the
    address is shown once; revoking it stops it for good."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="calendar_feed_one_live_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
