"""A person's deadlines in iCalendar form, for the calendar app of their choice (RFC 5545)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import TRANSP, Calendar, Event

from failure_regime.links import deadline_subject_url
from failure_regime.models import Deadline


def _link(deadline: Deadline) -> str:
    return settings.SITE_URL + deadline_subject_url(deadline)


def deadlines_calendar(*, deadlines: Iterable[Deadline]) -> bytes:
    """One event per deadline, at the moment it falls due. Summaries name the deadline and provider, which the
    person may see anyway, and never a patient, family or member of staff."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    now = timezone.now()
    events = []
    for deadline in deadlines:
        summary = f"{deadline.title} ({deadline.provider.name})"
        events.append(
            Event.new(
                uid=f"deadline-{deadline.pk}@{host}",
                stamp=now,
                start=deadline.due_at,
                summary=summary,
                description=f"Due by this time. See it here: {_link(deadline)}",
                url=_link(deadline),
                transparency=TRANSP.TRANSPARENT,
            )
        )
    calendar = Calendar.new(
        prodid=f"-//{settings.SERVICE_NAME}//Deadlines//EN",
        name=f"{settings.SERVICE_NAME}: your deadlines",
        refresh_interval=timedelta(hours=1),
        subcomponents=events,
    )
    return calendar.to_ical()
