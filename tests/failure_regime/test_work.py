"""The work registry: items sort overdue first and then by due date, say when they are due in words, and sources
register once under a name."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from failure_regime.work import (
    Urgency,
    WorkItem,
    register_work_source,
    sort_work,
    work_groups,
    work_sources,
)

NOW = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=datetime.UTC)


def item(title: str, **fields: Any) -> WorkItem:
    return WorkItem(
        group=str(fields.pop("group", "Things")), kind="Thing", title=title, url="/", organisation="", **fields
    )


@time_machine.travel(NOW, tick=False)
def test_it_puts_overdue_items_first_then_the_soonest_due() -> None:
    later = item("later", due=datetime.date(2026, 12, 20))
    sooner = item("sooner", due=datetime.date(2026, 12, 6))
    late = item("late", due=datetime.date(2026, 12, 1), overdue=True)
    assert [i.title for i in sort_work([later, sooner, late])] == ["late", "sooner", "later"]


@time_machine.travel(NOW, tick=False)
def test_it_puts_items_without_a_due_date_last() -> None:
    undated = item("undated", urgency=Urgency.URGENT)
    dated = item("dated", due=datetime.date(2027, 6, 1))
    assert [i.title for i in sort_work([undated, dated])] == ["dated", "undated"]


@time_machine.travel(NOW, tick=False)
def test_it_puts_the_more_urgent_first_among_items_due_together() -> None:
    routine = item("routine", due=datetime.date(2026, 12, 6))
    urgent = item("urgent", due=datetime.date(2026, 12, 6), urgency=Urgency.URGENT)
    assert [i.title for i in sort_work([routine, urgent])] == ["urgent", "routine"]


@time_machine.travel(NOW, tick=False)
def test_it_says_how_many_days_an_item_is_overdue() -> None:
    assert item("late", due=datetime.date(2026, 12, 2), overdue=True).due_text() == "overdue by 2 days"


@time_machine.travel(NOW, tick=False)
def test_it_says_the_due_date_in_words() -> None:
    assert item("later", due=datetime.date(2026, 12, 24)).due_text() == "due 24 December 2026"


@time_machine.travel(NOW, tick=False)
def test_it_gives_the_time_of_a_clock_due_today() -> None:
    due = timezone.make_aware(datetime.datetime(2026, 12, 4, 17, 0))
    assert item("clock", due=due).due_text() == "due today at 5pm"


@time_machine.travel(NOW, tick=False)
def test_it_shows_a_deadline_at_the_end_of_a_day_as_that_day() -> None:
    due = timezone.make_aware(datetime.datetime(2027, 8, 31, 23, 59, 59))
    assert item("deadline", due=due).due_text() == "due 31 August 2027"


@time_machine.travel(NOW, tick=False)
def test_it_lists_a_group_holding_something_overdue_first() -> None:
    calm = item("calm", group="Calm", due=datetime.date(2026, 12, 5))
    late = item("late", group="Late", due=datetime.date(2026, 12, 1), overdue=True)
    assert [g.heading for g in work_groups([calm, late])] == ["Late", "Calm"]


def test_it_lists_the_most_pressing_under_a_heading_and_counts_the_rest() -> None:
    calm = [item(f"calm {n}", due=datetime.date(2026, 12, 5 + n)) for n in range(4)]
    late = item("late", due=datetime.date(2026, 12, 1), overdue=True)
    [group] = work_groups([*calm, late], limit=3)
    assert [i.title for i in group.items] == ["late", "calm 0", "calm 1"]
    assert (group.total, group.hidden, group.overdue_count) == (5, 2, 1)
    [everything] = work_groups([*calm, late], limit=5)
    assert everything.hidden == 0


def test_it_refuses_a_second_source_under_a_name_already_taken() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_work_source("regime.sign_off", lambda user: [])


def test_it_accepts_the_same_source_registered_again() -> None:
    source = work_sources()["regime.sign_off"]
    register_work_source("regime.sign_off", source)
    assert work_sources()["regime.sign_off"] is source


@pytest.mark.parametrize(
    "name",
    [
        "regime.sign_off",
        "regime.areas_led",
        "regime.missing_lead",
        "regime.reports_to_send",
        "regime.reports_to_accept",
        "regime.deadlines",
        "communications.enquiries",
        "communications.notice_approvals",
        "communications.notices_to_finish",
        "communications.plan_items",
        "reviews.assigned",
        "reviews.applications_to_vet",
        "reviews.patients_to_assign",
    ],
)
def test_every_app_registers_its_sources_when_it_loads(name: str) -> None:
    assert name in work_sources()
