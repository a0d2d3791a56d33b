"""Calendar arithmetic for deadlines, in Europe/London whatever the clocks are doing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

LONDON = ZoneInfo("Europe/London")
MORNING = time(9, 0)


def end_of_day(day: date) -> datetime:
    """The last moment of ``day`` in London: a deadline on a date is met by the end of that date."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=LONDON)


def morning_of(day: date) -> datetime:
    """09:00 in London on ``day``: when an "on the day" reminder goes out."""
    return datetime.combine(day, MORNING, tzinfo=LONDON)


def add_months(day: date, months: int) -> date:
    """``months`` calendar months after ``day``; a day missing from the target month becomes its last day
    (12 months after 29 February is 28 February)."""
    return day + relativedelta(months=months)


def london_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return add_months(month_start(day), 1) - timedelta(days=1)


def report_due_on(month: date, day_of_month: int | None) -> date:
    """When the report for ``month`` is due: on ``day_of_month``, or the month's last day if that is None."""
    return month.replace(day=day_of_month) if day_of_month else month_end(month)


def long_date(day: date) -> str:
    """``day`` as people write it: 5 March 2026."""
    return f"{day.day} {day:%B %Y}"


def iso_moment(moment: datetime | None) -> str | None:
    """``moment`` for open data: ISO 8601 in UTC, to the second, with the date and time joined by "T" and the
    offset given as "Z" (2026-03-05T09:30:00Z), so that the JSON and CSV files say the same."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
