"""Working days in England and Wales, and the response clocks of enquiries, across weekends, bank holidays
and clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from communications.workdays import (
    BANK_HOLIDAYS,
    LONDON,
    add_working_days,
    bank_holidays,
    bank_holidays_by_rule,
    is_working_day,
    same_working_day_due,
    working_days_due,
)


def london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 20), timezones=st.just(UTC))


@pytest.mark.parametrize("year", sorted(BANK_HOLIDAYS))
def test_the_rules_give_the_published_bank_holidays(year: int) -> None:
    assert bank_holidays_by_rule(year) == BANK_HOLIDAYS[year]


def test_the_rules_move_christmas_on_a_sunday_to_the_tuesday() -> None:
    assert {date(2022, 12, 26), date(2022, 12, 27)} <= bank_holidays(2022)


def test_a_year_beyond_the_table_still_has_eight_bank_holidays() -> None:
    assert len(bank_holidays(2031)) == 8


def test_a_bank_holiday_is_not_a_working_day() -> None:
    assert not is_working_day(date(2026, 12, 28))


def test_a_saturday_is_not_a_working_day() -> None:
    assert not is_working_day(date(2026, 3, 7))


def test_two_working_days_from_monday_is_wednesday_at_five() -> None:
    assert working_days_due(london(2026, 3, 2, 10, 0)) == london(2026, 3, 4, 17, 0)


def test_a_message_on_monday_evening_is_due_on_wednesday_too() -> None:
    assert working_days_due(london(2026, 3, 2, 22, 30)) == london(2026, 3, 4, 17, 0)


def test_two_working_days_from_friday_skip_the_weekend() -> None:
    assert working_days_due(london(2026, 3, 6, 9, 0)) == london(2026, 3, 10, 17, 0)


def test_two_working_days_from_saturday_end_on_tuesday() -> None:
    assert working_days_due(london(2026, 3, 7, 12, 0)) == london(2026, 3, 10, 17, 0)


def test_two_working_days_skip_the_easter_weekend() -> None:
    # Thursday before Good Friday 2026: Friday, the weekend and Easter Monday are not working days.
    assert working_days_due(london(2026, 4, 2, 11, 0)) == london(2026, 4, 8, 17, 0)


def test_two_working_days_skip_christmas_and_new_year() -> None:
    assert working_days_due(london(2026, 12, 24, 11, 0)) == london(2026, 12, 30, 17, 0)


def test_urgent_before_the_cut_off_is_due_the_same_day() -> None:
    assert same_working_day_due(london(2026, 3, 3, 14, 59)) == london(2026, 3, 3, 17, 0)


def test_urgent_after_the_cut_off_is_due_the_next_working_day() -> None:
    assert same_working_day_due(london(2026, 3, 6, 15, 0)) == london(2026, 3, 9, 17, 0)


def test_urgent_on_a_bank_holiday_is_due_the_next_working_day() -> None:
    assert same_working_day_due(london(2026, 5, 25, 9, 0)) == london(2026, 5, 26, 17, 0)


def test_the_cut_off_and_the_end_of_the_day_are_settings(settings: Any) -> None:
    settings.ENQUIRY_URGENT_CUTOFF, settings.ENQUIRY_WORKING_DAY_ENDS = "12:00", "18:30"
    assert same_working_day_due(london(2026, 3, 3, 12, 30)) == london(2026, 3, 4, 18, 30)


def test_a_cut_off_after_the_end_of_the_day_never_makes_a_deadline_before_receipt(settings: Any) -> None:
    settings.ENQUIRY_URGENT_CUTOFF, settings.ENQUIRY_WORKING_DAY_ENDS = "18:00", "17:00"
    assert same_working_day_due(london(2026, 3, 3, 17, 30)) == london(2026, 3, 4, 17, 0)


def test_the_deadline_stays_at_five_on_the_wall_clock_when_the_clocks_go_forward() -> None:
    # British Summer Time starts on Sunday 29 March 2026: five in the afternoon is then 16:00 UTC.
    due = working_days_due(london(2026, 3, 27, 10, 0))
    assert due.astimezone(UTC) == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)


def test_the_deadline_stays_at_five_on_the_wall_clock_when_the_clocks_go_back() -> None:
    # British Summer Time ends on Sunday 25 October 2026.
    due = working_days_due(london(2026, 10, 23, 10, 0))
    assert due.astimezone(UTC) == datetime(2026, 10, 27, 17, 0, tzinfo=UTC)


def test_just_after_midnight_in_summer_counts_as_the_london_day() -> None:
    # 23:30 UTC on Sunday is 00:30 on Monday in London: a working day, before the cut-off.
    received = datetime(2026, 6, 14, 23, 30, tzinfo=UTC)
    assert same_working_day_due(received) == london(2026, 6, 15, 17, 0)


@examples(max_examples=300, deadline=None)
@given(moments)
def test_every_deadline_is_at_the_end_of_a_working_day_after_receipt(received: datetime) -> None:
    for due in (same_working_day_due(received), working_days_due(received)):
        local = due.astimezone(LONDON)
        assert is_working_day(local.date()) and local.time() == time(17, 0) and due > received


@examples(max_examples=300, deadline=None)
@given(moments)
def test_exactly_one_working_day_lies_between_receipt_and_a_routine_deadline(received: datetime) -> None:
    received_day = received.astimezone(LONDON).date()
    due_day = working_days_due(received).astimezone(LONDON).date()
    between = [received_day + timedelta(days=n) for n in range(1, (due_day - received_day).days)]
    assert sum(is_working_day(day) for day in between) == 1


@examples(max_examples=300, deadline=None)
@given(moments)
def test_the_urgent_clock_is_never_later_than_the_routine_one(received: datetime) -> None:
    assert same_working_day_due(received) < working_days_due(received)


@examples(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 1)), st.integers(min_value=1, max_value=10))
def test_adding_working_days_lands_on_a_working_day(day: date, count: int) -> None:
    assert is_working_day(add_working_days(day, count))
