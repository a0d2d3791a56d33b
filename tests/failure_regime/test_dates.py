"""Date arithmetic of the special-measures clock, for every entry date from 2013 to 2035."""

from __future__ import annotations

import calendar
from datetime import UTC, date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import OrganisationKind
from failure_regime.dates import LONDON, add_months, end_of_day, month_end, morning_of, report_due_on
from failure_regime.services.special_measures import rule_set_for

FIRST, LAST = date(2013, 7, 16), date(2035, 12, 31)
EVERY_ENTRY_DATE = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]


def expected_after(entry: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when the day does not exist there."""
    year, month = divmod(entry.month - 1 + months, 12)
    year, month = entry.year + year, month + 1
    return date(year, month, min(entry.day, calendar.monthrange(year, month)[1]))


@pytest.mark.parametrize("months", [6, 12, 18])
def test_months_later_for_every_entry_date(months: int) -> None:
    wrong = [d for d in EVERY_ENTRY_DATE if add_months(d, months) != expected_after(d, months)]
    assert wrong == []


def test_twelve_months_after_a_leap_day_is_the_last_day_of_february() -> None:
    assert [add_months(date(y, 2, 29), 12) for y in (2016, 2020, 2024, 2028, 2032)] == [
        date(y + 1, 2, 28) for y in (2016, 2020, 2024, 2028, 2032)
    ]


def test_six_months_after_31_august_is_28_or_29_february() -> None:
    assert (add_months(date(2023, 8, 31), 6), add_months(date(2027, 8, 31), 6)) == (
        date(2024, 2, 29),
        date(2028, 2, 29),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "months"),
    [
        (OrganisationKind.FOUNDATION_TRUST, 12),
        (OrganisationKind.NHS_TRUST, 12),
        (OrganisationKind.GP_PRACTICE, 6),
        (OrganisationKind.ADULT_SOCIAL_CARE, 6),
    ],
)
def test_the_rules_give_a_reinspection_date_for_every_entry_date(kind: str, months: int) -> None:
    # One query per rule set, not per day: the rule sets are few and cover the whole range.
    rule_sets = {d: rule_set_for(provider_kind=kind, on=d) for d in (FIRST, date(2021, 7, 1), date(2025, 4, 1), LAST)}
    assert {r.reinspection_months for r in rule_sets.values()} == {months}
    covered = [
        d
        for d in EVERY_ENTRY_DATE
        if not any(
            r.effective_from <= d and (r.effective_to is None or d <= r.effective_to) for r in rule_sets.values()
        )
    ]
    assert covered == []


@given(st.dates(min_value=FIRST, max_value=LAST))
def test_a_deadline_ends_at_23_59_59_in_london_whatever_the_clocks(day: date) -> None:
    moment = end_of_day(day)
    local = moment.astimezone(LONDON)
    assert (local.date(), local.hour, local.minute, local.second) == (day, 23, 59, 59)
    assert moment.astimezone(UTC).utcoffset() == timedelta(0)
    assert local.utcoffset() in (timedelta(0), timedelta(hours=1))


@given(st.dates(min_value=FIRST, max_value=LAST))
def test_the_on_the_day_reminder_is_at_nine_in_the_morning_local_time(day: date) -> None:
    assert morning_of(day).astimezone(LONDON).hour == 9


@given(st.dates(min_value=FIRST, max_value=LAST))
def test_a_report_is_due_on_the_months_last_day_by_default(day: date) -> None:
    due = report_due_on(day.replace(day=1), None)
    assert due == month_end(day) and (due + timedelta(days=1)).day == 1


def test_the_clocks_changing_does_not_move_a_deadline() -> None:
    # 29 March 2026 is 23 hours long in London; 25 October 2026 is 25 hours long.
    def elapsed(first: date, second: date) -> timedelta:
        return end_of_day(second).astimezone(UTC) - end_of_day(first).astimezone(UTC)

    assert (elapsed(date(2026, 3, 28), date(2026, 3, 29)), elapsed(date(2026, 10, 24), date(2026, 10, 25))) == (
        timedelta(hours=23),
        timedelta(hours=25),
    )
