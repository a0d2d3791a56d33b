"""The directory of support services (helplines, counselling, advocacy, PALS, bereavement support) that the
public site offers on every notice of the cases they are linked to. Everything here is public information."""

from __future__ import annotations

from datetime import time

from django.db import models
from django.db.models import F, Q

from accounts.models import Organisation, Region
from failure_regime.models import Case


class SupportKind(models.TextChoices):
    HELPLINE = "helpline", "Helpline"
    COUNSELLING = "counselling", "Counselling"
    ADVOCACY = "advocacy", "Advocacy"
    PALS = "pals", "Patient advice and liaison service (PALS)"
    BEREAVEMENT = "bereavement", "Bereavement support"


class SupportServiceQuerySet(models.QuerySet["SupportService"]):
    def active(self) -> SupportServiceQuerySet:
        return self.filter(active=True)


class SupportService(models.Model):
    """A service people can turn to, how to reach it and when it is open. Its reach is a region (national
    services have region "national") and, for a provider's own PALS, the provider. Linked to cases, it is
    shown on every public notice of those cases; ``maintained_by`` is the organisation whose staff keep the
    entry up to date (object permissions go to its group)."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=SupportKind.choices)
    run_by = models.CharField(max_length=200, blank=True, help_text="The charity or organisation that runs it.")
    description = models.TextField(max_length=5000, help_text="Who it is for and what it offers, in plain English.")
    phone = models.CharField(max_length=32, blank=True)
    textphone = models.CharField(max_length=32, blank=True, help_text="Textphone or Relay UK number.")
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    open_24_hours = models.BooleanField(default=False)
    opening_hours_note = models.CharField(
        max_length=300, blank=True, help_text="For example: closed on bank holidays; calls are free from mobiles."
    )
    region = models.CharField(max_length=32, choices=Region.choices, default=Region.NATIONAL)
    provider = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="support_services",
        help_text="Only for a service of one provider, such as its PALS.",
    )
    cases = models.ManyToManyField(Case, related_name="support_services", blank=True)
    active = models.BooleanField(default=True, help_text="Inactive services are no longer offered anywhere.")
    maintained_by = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    objects = SupportServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["kind", "name"], name="support_active_kind_idx", condition=Q(active=True)),
            models.Index(fields=["region", "name"], name="support_active_region_idx", condition=Q(active=True)),
        ]
        constraints = [
            models.CheckConstraint(name="support_service_kind_known", condition=Q(kind__in=SupportKind.values)),
            models.CheckConstraint(name="support_service_has_name", condition=~Q(name="")),
            models.CheckConstraint(
                name="support_service_has_a_way_in",
                condition=~Q(phone="") | ~Q(textphone="") | ~Q(website="") | ~Q(email=""),
            ),
            models.CheckConstraint(
                name="support_service_updated_after_created", condition=Q(updated_at__gte=F("created_at"))
            ),
        ]

    def __str__(self) -> str:
        return self.name


MIDNIGHT = time(0, 0)


class Weekday(models.IntegerChoices):
    """ISO weekdays, so ``date.isoweekday()`` finds today's hours."""

    MONDAY = 1, "Monday"
    TUESDAY = 2, "Tuesday"
    WEDNESDAY = 3, "Wednesday"
    THURSDAY = 4, "Thursday"
    FRIDAY = 5, "Friday"
    SATURDAY = 6, "Saturday"
    SUNDAY = 7, "Sunday"


class OpeningTime(models.Model):
    """A span of a weekday when a service is open, in UK local time. A day with a break has two spans; a span
    past midnight is two spans, one each side; ``closes`` at 00:00 means midnight at the end of the day.
    Rendered as a list of days ("Monday: 9am to 5pm"); a service that is ``open_24_hours`` has none."""

    service = models.ForeignKey(SupportService, on_delete=models.CASCADE, related_name="opening_times")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["service", "weekday", "opens"]
        constraints = [
            models.UniqueConstraint(fields=["service", "weekday", "opens"], name="opening_time_once"),
            models.CheckConstraint(
                name="opening_time_closes_after_opening", condition=Q(closes__gt=F("opens")) | Q(closes=MIDNIGHT)
            ),
            models.CheckConstraint(name="opening_time_weekday_known", condition=Q(weekday__in=Weekday.values)),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M} to {self.closes:%H:%M}"
