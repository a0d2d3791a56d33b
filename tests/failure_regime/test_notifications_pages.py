"""Notification pages, the unread count in the header, choices, the calendar feed and the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Organisation, User
from failure_regime.models import (
    CalendarFeed,
    Case,
    Concern,
    Delivery,
    EnforcementKind,
    Notification,
    NotificationEvent,
    NotificationPreference,
)
from failure_regime.services.enforcement import enforcement_record
from failure_regime.services.notifications import calendar_feed_create, calendar_feed_revoke, notify
from failure_regime.verbs import NotificationVerb
from tests.factories import sole_organisation
from tests.failure_regime.conftest import propose

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
LIST = reverse("regime:notification-list")
CHOICES = reverse("regime:notification-preferences")


def tell(user: User, key: str = "report:1:accepted", **extra: Any) -> Notification:
    fields = {
        "event": NotificationEvent.REPORT_ACCEPTED,
        "title": "Monthly report for Broadmere NHS Trust, March 2026 accepted",
        "link": "/staff/reports/1/",
    }
    [notification] = notify(recipients=[user], key=key, **(fields | extra))
    return notification


# --- The list -----------------------------------------------------------------------------------------


def test_it_lists_the_persons_own_notifications(client_for: ClientFor, trust_manager: User) -> None:
    mine = tell(trust_manager)
    page = client_for(trust_manager).get(LIST)
    assert list(page.context["page"].object_list) == [mine]


def test_it_lists_nobody_elses(client_for: ClientFor, trust_manager: User, other_trust_manager: User) -> None:
    tell(other_trust_manager)
    page = client_for(trust_manager).get(LIST)
    assert list(page.context["page"].object_list) == []


def test_it_lists_the_newest_first_and_marks_unread(client_for: ClientFor, trust_manager: User) -> None:
    older = tell(trust_manager, key="a")
    newer = tell(trust_manager, key="b")
    Notification.objects.filter(pk=older.pk).update(read_at=timezone.now())
    page = client_for(trust_manager).get(LIST)
    assert list(page.context["page"].object_list) == [newer, older]
    assert page.content.decode().count(">Unread</strong>") == 1


def test_the_list_sends_the_public_to_sign_in(client: Client) -> None:
    assert client.get(LIST)["Location"].startswith("/sign-in/")


@pytest.mark.parametrize("rows", [1, 40])
def test_the_list_keeps_to_a_query_budget(
    client_for: ClientFor, trust_manager: User, rows: int, django_assert_max_num_queries: Any
) -> None:
    for n in range(rows):
        tell(trust_manager, key=f"k{n}", organisation=trust_manager.memberships.get().organisation)
    client = client_for(trust_manager)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert response.context["page"].paginator.count == rows


def test_the_list_is_paginated(client_for: ClientFor, trust_manager: User) -> None:
    for n in range(30):
        tell(trust_manager, key=f"k{n}")
    page = client_for(trust_manager).get(LIST, {"page": 2})
    assert len(page.context["page"].object_list) == 5


# --- Opening and marking read ---------------------------------------------------------------------------


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client_for: ClientFor, trust_manager: User) -> None:
    notification = tell(trust_manager)
    response = client_for(trust_manager).get(reverse("regime:notification-open", args=[notification.pk]))
    notification.refresh_from_db()
    assert response["Location"] == "/staff/reports/1/" and notification.read_at is not None


def test_another_persons_notification_is_not_found(
    client_for: ClientFor, trust_manager: User, other_trust_manager: User
) -> None:
    theirs = tell(other_trust_manager)
    client = client_for(trust_manager)
    assert client.get(reverse("regime:notification-open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("regime:notification-read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_one_read(client_for: ClientFor, trust_manager: User) -> None:
    notification = tell(trust_manager)
    response = client_for(trust_manager).post(reverse("regime:notification-read", args=[notification.pk]), follow=True)
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "Marked as read" in response.content.decode()


def test_marking_read_needs_a_post(client_for: ClientFor, trust_manager: User) -> None:
    notification = tell(trust_manager)
    assert client_for(trust_manager).get(reverse("regime:notification-read", args=[notification.pk])).status_code == 405


def test_marking_read_sends_the_public_to_sign_in(client: Client, trust_manager: User) -> None:
    notification = tell(trust_manager)
    response = client.post(reverse("regime:notification-read", args=[notification.pk]))
    assert response["Location"].startswith("/sign-in/")
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_all_read_confirms_it(client_for: ClientFor, trust_manager: User, other_trust_manager: User) -> None:
    tell(trust_manager, key="a")
    tell(trust_manager, key="b")
    theirs = tell(other_trust_manager)
    response = client_for(trust_manager).post(reverse("regime:notification-read-all"), follow=True)
    assert not Notification.objects.filter(user=trust_manager, read_at__isnull=True).exists()
    assert "2 notifications marked as read." in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


# --- The header -------------------------------------------------------------------------------------------


def test_the_header_shows_the_unread_count(client_for: ClientFor, trust_manager: User) -> None:
    tell(trust_manager, key="a")
    tell(trust_manager, key="b")
    page = client_for(trust_manager).get(reverse("regime:case-list"))
    assert "Notifications (2 unread)" in page.content.decode()


def test_the_header_counts_only_the_persons_own_unread(
    client_for: ClientFor, trust_manager: User, other_trust_manager: User
) -> None:
    read = tell(trust_manager, key="a")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    tell(other_trust_manager)
    page = client_for(trust_manager).get(reverse("regime:case-list"))
    assert "Notifications (0 unread)" in page.content.decode()


def test_the_public_site_shows_no_count(client: Client) -> None:
    assert "unread" not in client.get("/").content.decode()


# --- Choices ------------------------------------------------------------------------------------------------


def test_choices_are_saved(client_for: ClientFor, trust_manager: User) -> None:
    response = client_for(trust_manager).post(CHOICES, {NotificationEvent.REPORT_ACCEPTED: Delivery.DAILY})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=trust_manager).delivery == Delivery.DAILY


def test_statutory_events_are_not_offered(client_for: ClientFor, trust_manager: User) -> None:
    page = client_for(trust_manager).get(CHOICES)
    assert NotificationEvent.CASE_PROPOSED not in page.context["form"].fields
    assert NotificationEvent.CASE_PROPOSED.label in page.content.decode()


def test_a_statutory_event_posted_anyway_is_not_saved(client_for: ClientFor, trust_manager: User) -> None:
    client_for(trust_manager).post(CHOICES, {NotificationEvent.CASE_PROPOSED: Delivery.OFF})
    assert not NotificationPreference.objects.filter(event=NotificationEvent.CASE_PROPOSED).exists()


def test_a_made_up_choice_is_refused(client_for: ClientFor, trust_manager: User) -> None:
    response = client_for(trust_manager).post(CHOICES, {NotificationEvent.REPORT_ACCEPTED: "weekly"})
    assert response.status_code == 400 and not NotificationPreference.objects.exists()


def test_choices_send_the_public_to_sign_in(client: Client) -> None:
    assert client.get(CHOICES)["Location"].startswith("/sign-in/")


# --- The calendar feed ---------------------------------------------------------------------------------------


@pytest.fixture
def immediate_case(
    immediate_concern: Concern, regulator: User, provider: Organisation, oversight_lead: User, sign_off_officer: User
) -> Case:
    return propose(regulator, provider, immediate_concern)


def feed_url(token: str) -> str:
    return reverse("calendar-feed", args=[token])


def summaries(response: Any) -> list[str]:
    calendar = Calendar.from_ical(response.content)
    return [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]


def test_the_feed_lists_the_persons_deadlines(
    client: Client, immediate_case: Case, sign_off_officer: User, provider: Organisation
) -> None:
    token = calendar_feed_create(actor=sign_off_officer)
    response = client.get(feed_url(token))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert summaries(response) == [f"Joint sign-off of case {immediate_case.reference} ({provider.name})"]


def test_the_feed_leaves_out_other_organisations_deadlines(
    client: Client, immediate_case: Case, inspector: User, other_provider: Organisation, other_trust_manager: User
) -> None:
    served = timezone.localdate()
    enforcement_record(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=other_provider,
        kind=EnforcementKind.WARNING_NOTICE,
        summary="Staffing",
        served_on=served,
        deadline_on=served + timedelta(days=30),
    )
    response = client.get(feed_url(calendar_feed_create(actor=other_trust_manager)))
    assert [s for s in summaries(response) if immediate_case.reference in s] == []
    assert len(summaries(response)) == 1


def test_the_feed_is_not_cached_by_proxies(client: Client, immediate_case: Case, sign_off_officer: User) -> None:
    response = client.get(feed_url(calendar_feed_create(actor=sign_off_officer)))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_wrong_token_is_not_found(client: Client, sign_off_officer: User) -> None:
    calendar_feed_create(actor=sign_off_officer)
    assert client.get(feed_url("not-the-token")).status_code == 404


def test_a_revoked_feed_is_not_found(client: Client, immediate_case: Case, sign_off_officer: User) -> None:
    token = calendar_feed_create(actor=sign_off_officer)
    calendar_feed_revoke(actor=sign_off_officer)
    assert client.get(feed_url(token)).status_code == 404


def test_a_new_address_stops_the_old_one(client: Client, sign_off_officer: User) -> None:
    old = calendar_feed_create(actor=sign_off_officer)
    new = calendar_feed_create(actor=sign_off_officer)
    assert client.get(feed_url(old)).status_code == 404 and client.get(feed_url(new)).status_code == 200


def test_a_deactivated_persons_feed_is_not_found(client: Client, sign_off_officer: User) -> None:
    token = calendar_feed_create(actor=sign_off_officer)
    User.objects.filter(pk=sign_off_officer.pk).update(is_active=False)
    assert client.get(feed_url(token)).status_code == 404


def test_only_a_hash_of_the_token_is_kept(sign_off_officer: User) -> None:
    token = calendar_feed_create(actor=sign_off_officer)
    assert token not in CalendarFeed.objects.get().token_hash


def test_making_an_address_shows_it_once_and_is_audited(client_for: ClientFor, sign_off_officer: User) -> None:
    client = client_for(sign_off_officer)
    shown = client.post(reverse("regime:calendar-feed-new")).context["new_calendar_url"]
    assert "/calendar/" in shown and shown.endswith(".ics")
    assert client.get(feed_url(shown.rsplit("/", 1)[1].removesuffix(".ics"))).status_code == 200
    assert shown not in client.get(CHOICES).content.decode()
    assert AuditEvent.objects.filter(verb=NotificationVerb.CALENDAR_FEED_CREATED, actor=sign_off_officer).exists()


def test_turning_the_address_off_from_the_page(client_for: ClientFor, client: Client, sign_off_officer: User) -> None:
    token = calendar_feed_create(actor=sign_off_officer)
    response = client_for(sign_off_officer).post(reverse("regime:calendar-feed-turn-off"), follow=True)
    assert "has been turned off" in response.content.decode()
    assert client.get(feed_url(token)).status_code == 404


def test_making_an_address_sends_the_public_to_sign_in(client: Client) -> None:
    assert client.post(reverse("regime:calendar-feed-new"))["Location"].startswith("/sign-in/")
    assert not CalendarFeed.objects.exists()


# --- The API ----------------------------------------------------------------------------------------------------

ApiFor = Callable[[User], APIClient]
API_LIST = "/api/v1/notifications/"


def test_the_api_lists_the_callers_notifications(api_client_for: ApiFor, trust_manager: User) -> None:
    mine = tell(trust_manager)
    body = api_client_for(trust_manager).get(API_LIST).json()
    assert [n["id"] for n in body["results"]] == [mine.pk] and body["results"][0]["read"] is False


def test_the_api_lists_nobody_elses(api_client_for: ApiFor, trust_manager: User, other_trust_manager: User) -> None:
    tell(other_trust_manager)
    assert api_client_for(trust_manager).get(API_LIST).json()["results"] == []


def test_the_api_filters_unread(api_client_for: ApiFor, trust_manager: User) -> None:
    read = tell(trust_manager, key="a")
    unread = tell(trust_manager, key="b")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    body = api_client_for(trust_manager).get(API_LIST, {"unread": "true"}).json()
    assert [n["id"] for n in body["results"]] == [unread.pk]


def test_the_api_marks_one_read(api_client_for: ApiFor, trust_manager: User) -> None:
    notification = tell(trust_manager)
    response = api_client_for(trust_manager).post(f"{API_LIST}{notification.pk}/read/")
    assert response.status_code == 200 and response.json()["read"] is True


def test_the_api_does_not_find_another_persons(
    api_client_for: ApiFor, trust_manager: User, other_trust_manager: User
) -> None:
    theirs = tell(other_trust_manager)
    response = api_client_for(trust_manager).post(f"{API_LIST}{theirs.pk}/read/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_api_marks_all_read(api_client_for: ApiFor, trust_manager: User) -> None:
    tell(trust_manager, key="a")
    tell(trust_manager, key="b")
    assert api_client_for(trust_manager).post(f"{API_LIST}read-all/").json() == {"marked": 2}


def test_the_api_refuses_the_public() -> None:
    assert APIClient().get(API_LIST).status_code == 401


@pytest.mark.parametrize("rows", [1, 40])
def test_the_api_list_keeps_to_a_query_budget(
    api_client_for: ApiFor, trust_manager: User, rows: int, django_assert_max_num_queries: Any
) -> None:
    for n in range(rows):
        tell(trust_manager, key=f"k{n}", organisation=trust_manager.memberships.get().organisation)
    api = api_client_for(trust_manager)
    with django_assert_max_num_queries(5):
        response = api.get(API_LIST)
    assert response.json()["count"] == rows
