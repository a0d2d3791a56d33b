"""Notifications: one per person per occurrence, mail once after commit, preferences, statutory events, the
clock's reminders, the chase of immediate cases and the daily digest."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import AuditEvent, Organisation, User
from failure_regime.models import (
    Alert,
    Case,
    Concern,
    Delivery,
    Notification,
    NotificationEvent,
    NotificationPreference,
    OutboxMessage,
)
from failure_regime.services.clock import deadline_sweep, immediate_sign_off_offsets
from failure_regime.services.notifications import (
    notification_digest_send,
    notification_digests_send,
    notification_preferences,
    notification_preferences_set,
    notify,
)
from failure_regime.services.outbox import outbox_flush
from failure_regime.verbs import NotificationVerb
from tests.failure_regime.conftest import propose

pytestmark = pytest.mark.django_db

ROUTINE = NotificationEvent.REPORT_ACCEPTED
STATUTORY = NotificationEvent.CASE_PROPOSED


def tell(people: list[User], *, event: str = ROUTINE, key: str = "report:1:accepted", **extra: Any) -> list[Any]:
    fields = {"title": "Monthly report for Broadmere NHS Trust, March 2026 accepted", "link": "/staff/reports/1/"}
    return notify(event=event, recipients=people, key=key, **(fields | extra))


# --- Who is told ------------------------------------------------------------------------------------


def test_it_tells_each_recipient_once(trust_manager: User, sign_off_officer: User) -> None:
    tell([trust_manager, sign_off_officer, trust_manager])
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == sorted(
        [trust_manager.pk, sign_off_officer.pk]
    )


def test_it_tells_nobody_else(trust_manager: User, other_trust_manager: User) -> None:
    tell([trust_manager])
    assert not Notification.objects.filter(user=other_trust_manager).exists()


def test_it_skips_an_inactive_person(trust_manager: User, sign_off_officer: User) -> None:
    User.objects.filter(pk=sign_off_officer.pk).update(is_active=False)
    sign_off_officer.refresh_from_db()
    tell([trust_manager, sign_off_officer])
    assert list(Notification.objects.values_list("user_id", flat=True)) == [trust_manager.pk]


def test_a_second_call_with_the_same_key_creates_nothing(trust_manager: User) -> None:
    tell([trust_manager])
    again = tell([trust_manager])
    assert Notification.objects.count() == 1 and len(again) == 1


def test_a_second_call_with_the_same_key_mails_nothing(trust_manager: User) -> None:
    tell([trust_manager])
    tell([trust_manager])
    assert OutboxMessage.objects.count() == 1


def test_a_new_key_is_a_new_notification(trust_manager: User) -> None:
    tell([trust_manager], key="report:1:accepted")
    tell([trust_manager], key="report:2:accepted")
    assert Notification.objects.count() == 2


def test_it_keeps_what_it_is_about_and_for_whom(trust_manager: User, provider: Organisation) -> None:
    tell([trust_manager], about=provider, organisation=provider)
    notification = Notification.objects.get()
    assert notification.about == provider and notification.organisation == provider


def test_it_refuses_a_link_off_the_site(trust_manager: User) -> None:
    with pytest.raises(ValueError, match="path on this site"):
        tell([trust_manager], link="https://elsewhere.example/")


def test_it_refuses_an_unknown_event(trust_manager: User) -> None:
    with pytest.raises(ValueError, match="Unknown notification event"):
        tell([trust_manager], event="made_up")


def test_it_is_undone_with_the_callers_transaction(trust_manager: User) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        tell([trust_manager])
        raise RuntimeError
    assert not Notification.objects.exists() and not OutboxMessage.objects.exists()


def test_it_takes_the_same_queries_for_one_or_many(
    trust_manager: User, sign_off_officer: User, regulator: User, oversight_lead: User, django_assert_num_queries: Any
) -> None:
    tell([trust_manager], key="warm-up")  # content types are cached after their first use
    with django_assert_num_queries(7):
        tell([trust_manager], key="one")
    with django_assert_num_queries(7):
        tell([trust_manager, sign_off_officer, regulator, oversight_lead], key="many")


# --- Mail ---------------------------------------------------------------------------------------------


def test_the_mail_goes_once_after_commit(
    trust_manager: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        tell([trust_manager])
    with django_capture_on_commit_callbacks(execute=True):
        tell([trust_manager])
    outbox_flush()
    assert [m.to for m in mail.outbox] == [[trust_manager.email]]


def test_no_mail_leaves_before_commit(
    trust_manager: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tell([trust_manager])
        assert not mail.outbox
    assert len(callbacks) == 1


def test_the_subject_is_the_title_and_the_body_links_to_the_page(trust_manager: User, settings: Any) -> None:
    settings.SITE_URL = "https://sfr.example"
    tell([trust_manager])
    message = OutboxMessage.objects.get()
    assert message.subject == "Monthly report for Broadmere NHS Trust, March 2026 accepted"
    assert "https://sfr.example/staff/reports/1/" in message.body


def test_the_subject_names_no_person(trust_manager: User) -> None:
    tell([trust_manager])
    assert trust_manager.full_name not in OutboxMessage.objects.get().subject


# --- Preferences --------------------------------------------------------------------------------------


def test_daily_means_no_mail_at_once(trust_manager: User) -> None:
    notification_preferences_set(actor=trust_manager, choices={ROUTINE: Delivery.DAILY})
    tell([trust_manager])
    assert not OutboxMessage.objects.exists()
    assert Notification.objects.get().delivery == Delivery.DAILY


def test_off_means_listed_but_never_mailed(trust_manager: User) -> None:
    notification_preferences_set(actor=trust_manager, choices={ROUTINE: Delivery.OFF})
    tell([trust_manager])
    assert Notification.objects.filter(user=trust_manager).exists()
    assert not OutboxMessage.objects.exists()


def test_one_persons_choice_does_not_change_anothers(trust_manager: User, sign_off_officer: User) -> None:
    notification_preferences_set(actor=trust_manager, choices={ROUTINE: Delivery.OFF})
    tell([trust_manager, sign_off_officer])
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == [sign_off_officer.email]


def test_a_statutory_event_cannot_be_turned_off(trust_manager: User) -> None:
    notification_preferences_set(actor=trust_manager, choices={STATUTORY: Delivery.OFF})
    assert not NotificationPreference.objects.exists()
    assert notification_preferences(user=trust_manager)[STATUTORY] == Delivery.IMMEDIATE


def test_a_statutory_event_is_mailed_at_once_whatever_is_stored(trust_manager: User) -> None:
    NotificationPreference.objects.create(user=trust_manager, event=STATUTORY, delivery=Delivery.OFF)
    tell([trust_manager], event=STATUTORY, key="case:1:proposed")
    assert OutboxMessage.objects.filter(to=trust_manager.email).count() == 1
    assert Notification.objects.get().statutory


def test_changing_choices_is_audited(trust_manager: User) -> None:
    notification_preferences_set(actor=trust_manager, choices={ROUTINE: Delivery.DAILY})
    event = AuditEvent.objects.get(verb=NotificationVerb.PREFERENCES_CHANGED)
    assert event.actor == trust_manager and event.after == {ROUTINE: Delivery.DAILY}


def test_an_unknown_choice_is_refused(trust_manager: User) -> None:
    with pytest.raises(ValueError, match="Unknown choice"):
        notification_preferences_set(actor=trust_manager, choices={ROUTINE: "weekly"})


# --- The clock ------------------------------------------------------------------------------------------


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


def sweep_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        deadline_sweep()


def test_a_reminder_is_listed_for_each_person_chased(
    immediate_case: Case, regulator: User, oversight_lead: User, sign_off_officer: User
) -> None:
    assert immediate_case.sign_off_deadline is not None
    sweep_at(immediate_case.sign_off_deadline - timedelta(hours=19))
    reminded = Notification.objects.filter(event=NotificationEvent.DEADLINE_REMINDER)
    assert set(reminded.values_list("user_id", flat=True)) == {regulator.pk, oversight_lead.pk, sign_off_officer.pk}


def test_a_reminder_is_mailed_once_not_twice(immediate_case: Case, sign_off_officer: User) -> None:
    assert immediate_case.sign_off_deadline is not None
    sweep_at(immediate_case.sign_off_deadline - timedelta(hours=19))
    assert OutboxMessage.objects.filter(to=sign_off_officer.email, subject__startswith="Reminder").count() == 1
    notification = Notification.objects.get(user=sign_off_officer, event=NotificationEvent.DEADLINE_REMINDER)
    assert notification.emailed_at is not None and notification.link == f"/staff/cases/{immediate_case.pk}/"


def test_an_overdue_deadline_is_listed_for_national_oversight(immediate_case: Case, national: User) -> None:
    assert immediate_case.sign_off_deadline is not None
    sweep_at(immediate_case.sign_off_deadline + timedelta(minutes=5))
    sweep_at(immediate_case.sign_off_deadline + timedelta(hours=1))
    overdue = Notification.objects.filter(user=national, event=NotificationEvent.DEADLINE_OVERDUE)
    assert overdue.count() == 1 and overdue.get().statutory


def test_the_reminder_notification_names_the_case(immediate_case: Case, sign_off_officer: User) -> None:
    assert immediate_case.sign_off_deadline is not None
    sweep_at(immediate_case.sign_off_deadline - timedelta(hours=19))
    title = Notification.objects.get(user=sign_off_officer, event=NotificationEvent.DEADLINE_REMINDER).title
    assert immediate_case.reference in title and sign_off_officer.full_name not in title


# --- Chasing immediate cases ------------------------------------------------------------------------------


def test_an_immediate_case_is_first_chased_four_hours_in(immediate_case: Case, sign_off_officer: User) -> None:
    assert immediate_case.sign_off_deadline is not None
    start = immediate_case.sign_off_deadline - timedelta(hours=24)
    sweep_at(start + timedelta(hours=3, minutes=55))
    assert not OutboxMessage.objects.filter(subject__startswith="Reminder").exists()
    sweep_at(start + timedelta(hours=4, minutes=5))
    assert OutboxMessage.objects.filter(to=sign_off_officer.email, subject__startswith="Reminder").count() == 1


def test_an_immediate_case_is_chased_every_four_hours_then_two_before(immediate_case: Case) -> None:
    assert immediate_case.sign_off_deadline is not None
    due = immediate_case.sign_off_deadline
    for hours_before in range(23, 0, -1):
        sweep_at(due - timedelta(hours=hours_before, minutes=30))
    steps = list(Alert.objects.filter(superseded=False).values_list("step", flat=True))
    assert steps == [str(h * 3600) for h in (20, 16, 12, 8, 4, 2)]


def test_the_chase_interval_is_a_setting(settings: Any) -> None:
    settings.IMMEDIATE_SIGN_OFF_CHASE_HOURS = 6
    assert immediate_sign_off_offsets() == [timedelta(hours=h) for h in (18, 12, 6, 2)]


# --- The daily digest ---------------------------------------------------------------------------------


@pytest.fixture
def daily(trust_manager: User) -> User:
    notification_preferences_set(actor=trust_manager, choices={ROUTINE: Delivery.DAILY})
    return trust_manager


def digests() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(dedupe_key__startswith="digest:"))


def test_the_digest_gathers_the_days_notifications_in_one_mail(daily: User) -> None:
    tell([daily], key="a", title="Monthly report for Broadmere NHS Trust, March 2026 accepted")
    tell([daily], key="b", title="Monthly report for Broadmere NHS Trust, April 2026 accepted")
    notification_digests_send()
    [digest] = digests()
    assert digest.to == daily.email and "March 2026" in digest.body and "April 2026" in digest.body


def test_the_digest_marks_them_digested(daily: User) -> None:
    tell([daily])
    notification_digests_send()
    assert not Notification.objects.filter(digested_at__isnull=True).exists()


def test_running_the_digest_twice_sends_one(daily: User) -> None:
    tell([daily])
    notification_digests_send()
    notification_digests_send()
    assert len(digests()) == 1


def test_what_arrives_after_the_days_digest_waits_for_tomorrows(daily: User) -> None:
    today = timezone.localtime().replace(hour=7, minute=0)
    with time_machine.travel(today, tick=False):
        tell([daily], key="a")
        notification_digests_send()
    with time_machine.travel(today + timedelta(hours=3), tick=False):
        tell([daily], key="b")
        notification_digests_send()
    assert len(digests()) == 1 and Notification.objects.get(key="b").digested_at is None
    with time_machine.travel(today + timedelta(days=1), tick=False):
        notification_digests_send()
    assert len(digests()) == 2 and not Notification.objects.filter(digested_at__isnull=True).exists()


def test_the_digest_leaves_out_immediate_and_off_ones(trust_manager: User) -> None:
    notification_preferences_set(actor=trust_manager, choices={NotificationEvent.NOTICE_APPROVED: Delivery.OFF})
    tell([trust_manager])
    tell([trust_manager], event=NotificationEvent.NOTICE_APPROVED, key="n")
    notification_digests_send()
    assert not digests()


def test_what_was_read_already_is_not_mailed_in_the_digest(daily: User) -> None:
    tell([daily])
    Notification.objects.update(read_at=timezone.now())
    assert notification_digest_send(user=daily) == 0
    assert not digests() and Notification.objects.get().digested_at is not None


def test_the_digest_subject_names_no_person(daily: User) -> None:
    tell([daily])
    notification_digests_send()
    assert daily.full_name not in digests()[0].subject


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_digest_runs_at_once_send_one(trust_manager: User, sign_off_officer: User) -> None:
    for person in (trust_manager, sign_off_officer):
        notification_preferences_set(actor=person, choices={ROUTINE: Delivery.DAILY})
    for n in range(20):
        tell([trust_manager, sign_off_officer], key=f"report:{n}:accepted")
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            notification_digests_send()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(m.to for m in digests()) == sorted([trust_manager.email, sign_off_officer.email])
    assert not Notification.objects.filter(digested_at__isnull=True).exists()
