"""The clock: reminders at each offset exactly once, escalation once, catching up after a missed sweep."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.models import Organisation, User
from failure_regime.dates import end_of_day
from failure_regime.models import Alert, Case, Concern, Deadline, EnforcementAction, EnforcementKind, OutboxMessage
from failure_regime.services import clock
from failure_regime.services.clock import deadline_steps, deadline_sweep
from failure_regime.services.enforcement import enforcement_outcome_record, enforcement_record
from tests.factories import sole_organisation
from tests.failure_regime.conftest import propose

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_case(
    immediate_concern: Concern,
    regulator: User,
    provider: Organisation,
    oversight_lead: User,
    sign_off_officer: User,
    national: User,
) -> Case:
    return propose(regulator, provider, immediate_concern)


def sweep_at(moment) -> None:
    with time_machine.travel(moment, tick=False):
        deadline_sweep()


def test_undecided_parties_are_chased_before_the_sign_off_deadline(
    immediate_case: Case, regulator: User, oversight_lead: User, sign_off_officer: User
) -> None:
    assert immediate_case.sign_off_deadline is not None
    sweep_at(immediate_case.sign_off_deadline - timedelta(hours=11))
    chased = set(OutboxMessage.objects.filter(subject__startswith="Reminder").values_list("to", flat=True))
    assert chased == {regulator.email, oversight_lead.email, sign_off_officer.email}


def test_a_party_that_decided_is_not_chased(immediate_case: Case, regulator: User, sign_off_officer: User) -> None:
    from failure_regime.services.sign_off import sign_off_record

    sign_off_record(
        actor=regulator, case=immediate_case, organisation=regulator.memberships.get().organisation, decision="agree"
    )
    assert immediate_case.sign_off_deadline is not None
    sweep_at(immediate_case.sign_off_deadline - timedelta(hours=11))
    assert regulator.email not in OutboxMessage.objects.values_list("to", flat=True)


def test_national_oversight_is_alerted_once_when_the_deadline_passes(immediate_case: Case, national: User) -> None:
    assert immediate_case.sign_off_deadline is not None
    sweep_at(immediate_case.sign_off_deadline + timedelta(minutes=5))
    sweep_at(immediate_case.sign_off_deadline + timedelta(hours=5))
    alerts = OutboxMessage.objects.filter(to=national.email, subject__startswith="Overdue")
    assert alerts.count() == 1


def test_a_second_sweep_sends_nothing(immediate_case: Case) -> None:
    assert immediate_case.sign_off_deadline is not None
    moment = immediate_case.sign_off_deadline - timedelta(hours=11)
    sweep_at(moment)
    count = OutboxMessage.objects.count()
    sweep_at(moment + timedelta(minutes=5))
    assert OutboxMessage.objects.count() == count


def test_each_reminder_goes_out_once_at_its_offset(immediate_case: Case, sign_off_officer: User) -> None:
    assert immediate_case.sign_off_deadline is not None
    due = immediate_case.sign_off_deadline
    for hours_before in (23, 21, 19.5, 17, 15, 13, 11, 10, 7, 5, 3, 1, 0.5):
        sweep_at(due - timedelta(hours=hours_before))
    steps = list(Alert.objects.filter(deadline__case=immediate_case).values_list("step", flat=True))
    assert steps == [str(hours * 3600) for hours in (20, 16, 12, 8, 4, 2)]


def test_a_missed_sweep_is_caught_up_with_the_latest_reminder(immediate_case: Case) -> None:
    assert immediate_case.sign_off_deadline is not None
    sweep_at(immediate_case.sign_off_deadline - timedelta(hours=1))  # beat was down through the earlier chases
    alerts = {a.step: a.superseded for a in Alert.objects.filter(deadline__case=immediate_case)}
    assert alerts == {str(h * 3600): True for h in (20, 16, 12, 8, 4)} | {str(2 * 3600): False}


def test_the_reminder_names_no_person_in_its_subject(immediate_case: Case, sign_off_officer: User) -> None:
    assert immediate_case.sign_off_deadline is not None
    sweep_at(immediate_case.sign_off_deadline - timedelta(hours=11))
    subjects = set(OutboxMessage.objects.values_list("subject", flat=True))
    assert all(sign_off_officer.full_name not in s and immediate_case.reference in s for s in subjects)


@pytest.fixture
def warning_notice(inspector: User, provider: Organisation, trust_manager: User) -> EnforcementAction:
    served = timezone.localdate()
    return enforcement_record(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=provider,
        kind=EnforcementKind.WARNING_NOTICE,
        summary="Staffing on ward 3",
        served_on=served,
        deadline_on=served + timedelta(days=100),
    )


def test_enforcement_reminders_follow_90_30_7_and_the_day(warning_notice: EnforcementAction) -> None:
    assert warning_notice.deadline_on is not None
    due = end_of_day(warning_notice.deadline_on)
    for days_before in range(95, -1, -1):
        sweep_at(due - timedelta(days=days_before, hours=12))
    steps = list(Alert.objects.filter(deadline__subject_id=warning_notice.pk).values_list("step", flat=True))
    assert steps == [str(90 * 86400), str(30 * 86400), str(7 * 86400), "0"]


def test_the_provider_is_reminded_of_a_compliance_date(warning_notice: EnforcementAction, trust_manager: User) -> None:
    assert warning_notice.deadline_on is not None
    sweep_at(end_of_day(warning_notice.deadline_on) - timedelta(days=7))
    assert trust_manager.email in OutboxMessage.objects.values_list("to", flat=True)


def test_an_outcome_stops_the_reminders(warning_notice: EnforcementAction, inspector: User) -> None:
    enforcement_outcome_record(actor=inspector, action=warning_notice, outcome="complied")
    assert warning_notice.deadline_on is not None
    sweep_at(end_of_day(warning_notice.deadline_on) - timedelta(days=7))
    assert not OutboxMessage.objects.exists()


def test_a_deadline_opened_late_skips_reminders_already_past(inspector: User, provider: Organisation) -> None:
    action = enforcement_record(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=provider,
        kind=EnforcementKind.REQUIREMENT_NOTICE,
        summary="Fix it",
        served_on=timezone.localdate(),
        deadline_on=timezone.localdate() + timedelta(days=10),
    )
    sweep_at(timezone.now() + timedelta(hours=1))
    assert not Alert.objects.filter(deadline__subject_id=action.pk).exists()


def serve_notices(inspector: User, provider: Organisation, how_many: int) -> date:
    """Serves ``how_many`` warning notices today, each with a compliance date in 20 days; returns today."""
    served = timezone.localdate()
    for n in range(how_many):
        enforcement_record(
            actor=inspector,
            organisation=sole_organisation(inspector),
            provider=provider,
            kind=EnforcementKind.WARNING_NOTICE,
            summary=f"Staffing on ward {n}",
            served_on=served,
            deadline_on=served + timedelta(days=20),
        )
    return served


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_reminder_once(
    inspector: User, provider: Organisation, trust_manager: User
) -> None:
    served = serve_notices(inspector, provider, 40)
    moment = end_of_day(served + timedelta(days=20)) - timedelta(days=6)
    barrier = threading.Barrier(2)

    def sweep() -> None:
        try:
            barrier.wait()
            sweep_at(moment)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Alert.objects.filter(superseded=False).count() == 40
    assert OutboxMessage.objects.filter(to=trust_manager.email).count() == 40


def test_the_representation_window_is_28_days(inspector: User, provider: Organisation) -> None:
    action = enforcement_record(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=provider,
        kind=EnforcementKind.NOTICE_OF_PROPOSAL,
        summary="Proposal to cancel",
        served_on=date(2026, 3, 1),
    )
    assert action.deadline_on == date(2026, 3, 29)
    assert Deadline.objects.get(subject_id=action.pk).kind == "representation_window"


def test_a_deadline_recorded_after_it_passed_is_escalated(inspector: User, provider: Organisation) -> None:
    action = enforcement_record(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=provider,
        kind=EnforcementKind.NOTICE_OF_PROPOSAL,
        summary="Proposal to cancel",
        served_on=date(2026, 3, 1),
    )
    deadline_sweep()
    assert list(Alert.objects.filter(deadline__subject_id=action.pk).values_list("step", flat=True)) == ["overdue"]


def test_a_reminder_across_the_clock_change_is_still_sent(
    inspector: User, provider: Organisation, trust_manager: User
) -> None:
    # Served before the clocks go forward on 29 March 2026, due after: the 7-day reminder crosses the change.
    with time_machine.travel(date(2026, 3, 20), tick=False):
        action = enforcement_record(
            actor=inspector,
            organisation=sole_organisation(inspector),
            provider=provider,
            kind=EnforcementKind.WARNING_NOTICE,
            summary="Staffing",
            served_on=date(2026, 3, 20),
            deadline_on=date(2026, 4, 2),
        )
    sweep_at(end_of_day(date(2026, 4, 2)) - timedelta(days=6))
    assert Alert.objects.filter(deadline__subject_id=action.pk, step=str(7 * 86400), superseded=False).exists()


def test_a_sweep_that_dies_half_way_records_nothing_and_the_next_one_sends(immediate_case: Case) -> None:
    from unittest import mock

    assert immediate_case.sign_off_deadline is not None
    moment = immediate_case.sign_off_deadline - timedelta(hours=11)
    with (
        mock.patch("failure_regime.services.clock.outbox_enqueue", side_effect=RuntimeError("worker died")),
        pytest.raises(RuntimeError),
    ):
        sweep_at(moment)
    assert not Alert.objects.exists()
    sweep_at(moment)
    assert Alert.objects.filter(deadline__case=immediate_case, superseded=False).count() == 1


def test_deadlines_alike_share_what_is_sent_but_a_step_already_sent_is_not_sent_again(
    inspector: User, provider: Organisation, trust_manager: User
) -> None:
    """Two notices due the same day are swept alike; one of them, whose next alert was moved back after its 7-day
    reminder went (its date moved and moved back), gets no second 7-day reminder, while the other gets its first."""
    served = timezone.localdate()
    actions = [
        enforcement_record(
            actor=inspector,
            organisation=sole_organisation(inspector),
            provider=provider,
            kind=EnforcementKind.WARNING_NOTICE,
            summary=f"Staffing on ward {ward}",
            served_on=served,
            deadline_on=served + timedelta(days=20),
        )
        for ward in (3, 4)
    ]
    deadlines = [Deadline.objects.get(subject_id=action.pk, kind="enforcement_compliance") for action in actions]
    week_before = end_of_day(served + timedelta(days=20)) - timedelta(days=7)
    Alert.objects.create(deadline=deadlines[0], step=str(7 * 86400), sent_at=timezone.now())
    Deadline.objects.filter(pk__in=[d.pk for d in deadlines]).update(next_alert_at=week_before)

    sweep_at(week_before + timedelta(hours=1))

    sent = {
        (alert.deadline_id, alert.step)
        for alert in Alert.objects.filter(deadline__in=deadlines, sent_at__gt=week_before, superseded=False)
    }
    assert sent == {(deadlines[1].pk, str(7 * 86400))}
    mailed = OutboxMessage.objects.filter(to=trust_manager.email).values_list("dedupe_key", flat=True)
    assert [key.split(":")[1] for key in mailed] == [str(deadlines[1].pk)]
    assert set(Deadline.objects.filter(pk__in=[d.pk for d in deadlines]).values_list("next_alert_at", flat=True)) == {
        min(
            s.at
            for s in deadline_steps(kind="enforcement_compliance", due_at=deadlines[0].due_at)
            if s.at > week_before + timedelta(hours=1)
        )
    }


def test_a_sweep_larger_than_one_batch_sends_each_reminder_once(
    inspector: User, provider: Organisation, trust_manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seven notices due together, swept three at a time: every one is reminded once, in three batches."""
    monkeypatch.setattr(clock, "SWEEP_BATCH", 3)
    served = serve_notices(inspector, provider, 7)
    week_before = end_of_day(served + timedelta(days=20)) - timedelta(days=7)
    with time_machine.travel(week_before + timedelta(hours=1), tick=False):
        report = deadline_sweep()
        again = deadline_sweep()
    assert (report.deadlines, report.batches, report.reminders) == (7, 3, 7)
    assert again.deadlines == 0
    mailed = OutboxMessage.objects.filter(to=trust_manager.email).values_list("dedupe_key", flat=True)
    assert sorted(key.split(":")[1] for key in mailed) == sorted(
        str(pk) for pk in Deadline.objects.filter(kind="enforcement_compliance").values_list("pk", flat=True)
    )
