"""Working days in England and Wales, and the response clocks of public enquiries.

A working day is Monday to Friday, except the bank holidays of England and Wales. Every time is read and
written in Europe/London, so a deadline stays at 17:00 on the wall clock whether the clocks have gone
forward or back in between.

The response clocks:

- **Same working day** (urgent enquiries): an enquiry received on a working day before the urgent cut-off
  (``ENQUIRY_URGENT_CUTOFF``, 15:00 by default) is due by the end of that working day
  (``ENQUIRY_WORKING_DAY_ENDS``, 17:00 by default). Anything received later, or on a weekend or bank holiday,
  is due by the end of the next working day: two hours is the least anyone is given to act on it.
- **Two working days** (everything else): due by the end of the second working day after the day of receipt.
  An enquiry received on Monday (at any hour) is due on Wednesday at 17:00; one received on Saturday, on
  Tuesday at 17:00.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from dateutil.easter import easter
from django.conf import settings

LONDON = ZoneInfo("Europe/London")

# The bank holidays of England and Wales as GOV.UK publishes them (https://www.gov.uk/bank-holidays),
# substitute days included. Years outside this table are worked out from the usual rules below, which
# cannot know of one-off holidays (a coronation, a state funeral): when GOV.UK announces one, or publishes a
# new year, add it here.
BANK_HOLIDAYS: dict[int, frozenset[date]] = {
    2025: frozenset(
        {
            date(2025, 1, 1),  # New Year's Day
            date(2025, 4, 18),  # Good Friday
            date(2025, 4, 21),  # Easter Monday
            date(2025, 5, 5),  # Early May bank holiday
            date(2025, 5, 26),  # Spring bank holiday
            date(2025, 8, 25),  # Summer bank holiday
            date(2025, 12, 25),  # Christmas Day
            date(2025, 12, 26),  # Boxing Day
        }
    ),
    2026: frozenset(
        {
            date(2026, 1, 1),
            date(2026, 4, 3),
            date(2026, 4, 6),
            date(2026, 5, 4),
            date(2026, 5, 25),
            date(2026, 8, 31),
            date(2026, 12, 25),
            date(2026, 12, 28),  # Boxing Day (substitute day: 26 December is a Saturday)
        }
    ),
    2027: frozenset(
        {
            date(2027, 1, 1),
            date(2027, 3, 26),
            date(2027, 3, 29),
            date(2027, 5, 3),
            date(2027, 5, 31),
            date(2027, 8, 30),
            date(2027, 12, 27),  # Christmas Day (substitute day)
            date(2027, 12, 28),  # Boxing Day (substitute day)
        }
    ),
    2028: frozenset(
        {
            date(2028, 1, 3),  # New Year's Day (substitute day)
            date(2028, 4, 14),
            date(2028, 4, 17),
            date(2028, 5, 1),
            date(2028, 5, 29),
            date(2028, 8, 28),
            date(2028, 12, 25),
            date(2028, 12, 26),
        }
    ),
}


def _first_monday(year: int, month: int) -> date:
    day = date(year, month, 1)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def bank_holidays_by_rule(year: int) -> frozenset[date]:
    """The bank holidays of England and Wales that the usual rules give for ``year``: a holiday falling on a
    weekend moves to the next weekday that is not already a holiday."""
    new_year = date(year, 1, 1)
    days = {
        easter(year) - timedelta(days=2),
        easter(year) + timedelta(days=1),
        _first_monday(year, 5),
        _last_monday(year, 5),
        _last_monday(year, 8),
    }
    for fixed in (new_year, date(year, 12, 25), date(year, 12, 26)):
        while fixed.weekday() >= 5 or fixed in days:
            fixed += timedelta(days=1)
        days.add(fixed)
    return frozenset(days)


@cache
def bank_holidays(year: int) -> frozenset[date]:
    """The bank holidays of England and Wales in ``year``: from the table where it has the year."""
    return BANK_HOLIDAYS.get(year) or bank_holidays_by_rule(year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def next_working_day(day: date) -> date:
    """The first working day after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself does not count)."""
    for _ in range(count):
        day = next_working_day(day)
    return day


def _setting_time(name: str, default: str) -> time:
    return time.fromisoformat(str(getattr(settings, name, default)))


def working_day_ends() -> time:
    return _setting_time("ENQUIRY_WORKING_DAY_ENDS", "17:00")


def urgent_cutoff() -> time:
    """Urgent enquiries received later than this on a working day are due by the end of the next one."""
    return min(_setting_time("ENQUIRY_URGENT_CUTOFF", "15:00"), working_day_ends())


def end_of_working_day(day: date) -> datetime:
    """The close of ``day``'s working hours in London, whatever the clocks are doing."""
    return datetime.combine(day, working_day_ends(), tzinfo=LONDON)


def same_working_day_due(received_at: datetime) -> datetime:
    """When an urgent enquiry received at ``received_at`` must be answered (see the module's docstring)."""
    local = received_at.astimezone(LONDON)
    if is_working_day(local.date()) and local.time() < urgent_cutoff():
        return end_of_working_day(local.date())
    return end_of_working_day(next_working_day(local.date()))


def working_days_due(received_at: datetime, days: int = 2) -> datetime:
    """The end of the ``days``-th working day after the day of ``received_at``."""
    return end_of_working_day(add_working_days(received_at.astimezone(LONDON).date(), days))


def clock_words(moment: time) -> str:
    """A time as people say it: 9am, 5:30pm, midday, midnight."""
    if moment == time(0, 0):
        return "midnight"
    if moment == time(12, 0):
        return "midday"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def deadline_words(moment: datetime) -> str:
    """A deadline as people say it, in London time: 5pm on Wednesday 4 March 2026."""
    local = moment.astimezone(LONDON)
    return f"{clock_words(local.time())} on {local:%A} {local.day} {local:%B %Y}"
