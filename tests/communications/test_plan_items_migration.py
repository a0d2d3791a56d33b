"""Plan items moving onto the regime's clock (communications 0008): every open item gets its deadline, starting at
the first reminder the old sweep had not sent; done items get none; an item already past its day is not escalated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import User
from communications.models import CommunicationsPlan, PlanItem
from communications.services.plans import plan_item_done
from failure_regime.dates import end_of_day, morning_of
from failure_regime.models import Case, Deadline, DeadlineKind
from tests.communications.test_plans import add_item
from tests.communications.test_plans import plan as plan  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("communications", "0007_text_length_limits_2")]
AFTER = [("communications", "0008_plan_items_on_the_clock")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def test_open_items_move_onto_the_clock_with_the_reminders_still_to_send(
    plan: CommunicationsPlan,  # noqa: F811
    comms_officer: User,
    trust_manager: User,
    triggered_case: Case,
) -> None:
    today = timezone.localdate()
    fresh = add_item(plan, comms_officer, trust_manager, today + timedelta(days=10))
    reminded = add_item(plan, comms_officer, trust_manager, today + timedelta(days=1))
    done = add_item(plan, comms_officer, trust_manager, today + timedelta(days=5))
    plan_item_done(actor=trust_manager, organisation=None, item=done)
    late = add_item(plan, comms_officer, trust_manager, today)
    Deadline.objects.all().delete()
    PlanItem.objects.filter(pk=late.pk).update(due_on=today - timedelta(days=3))

    old = _migrate(BEFORE).loader.project_state(BEFORE).apps.get_model("communications", "PlanItem")
    old.objects.filter(pk=reminded.pk).update(reminded_day_before_at=timezone.now())
    _migrate(AFTER)

    deadlines = {d.subject_id: d for d in Deadline.objects.filter(kind=DeadlineKind.COMMUNICATIONS_ITEM)}
    assert set(deadlines) == {fresh.pk, reminded.pk, late.pk}
    assert deadlines[fresh.pk].next_alert_at == morning_of(fresh.due_on - timedelta(days=1))
    assert deadlines[fresh.pk].due_at == end_of_day(fresh.due_on)
    assert deadlines[fresh.pk].case_id == triggered_case.pk
    assert deadlines[fresh.pk].provider_id == triggered_case.provider_id
    # Reminded the day before already: next comes the morning it is due.
    assert deadlines[reminded.pk].next_alert_at == morning_of(reminded.due_on)
    assert deadlines[late.pk].next_alert_at is None
    assert "Letter to every family" not in deadlines[fresh.pk].title
    assert triggered_case.reference in deadlines[fresh.pk].title


def test_moving_back_takes_the_items_off_the_clock(
    plan: CommunicationsPlan, comms_officer: User, trust_manager: User
) -> None:  # noqa: F811
    add_item(plan, comms_officer, trust_manager, timezone.localdate() + timedelta(days=10))
    _migrate(BEFORE)
    try:
        assert not Deadline.objects.filter(kind=DeadlineKind.COMMUNICATIONS_ITEM).exists()
    finally:
        _migrate(AFTER)
