"""Webhooks: signed deliveries of the events a subscription's creator may see, each exactly once, retried with
growing pauses and disabled after repeated failure; managed by the organisation's own administrators and
managers, in the API and on staff pages."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone
from pytest_django import Settings
from rest_framework.test import APIClient

from accounts.models import (
    AuditEvent,
    DeliveryStatus,
    Organisation,
    Role,
    User,
    WebhookDelivery,
    WebhookSubscription,
)
from accounts.services import membership_create
from accounts.tasks import deliver_webhook, sweep_webhooks
from accounts.webhooks import (
    webhook_deliver,
    webhook_deliveries_create,
    webhook_signature,
    webhook_signature_verify,
    webhook_subscription_create,
    webhook_url_validate,
)
from failure_regime.models import Case, ConcernSource
from failure_regime.services.cases import case_terms_revise
from failure_regime.services.concerns import concern_raise
from tests.factories import member, sole_organisation
from tests.failure_regime.conftest import propose

pytestmark = pytest.mark.django_db

ApiClientFor = Callable[[User], APIClient]
ClientFor = Callable[[User], Client]
WEBHOOKS = "/api/v1/webhooks/"


# --- A receiver on this machine ---------------------------------------------------------------------------------


@dataclass
class Receiver:
    url: str
    status: int = 204
    requests: list[tuple[Message, bytes]] = field(default_factory=list)  # header names ignore case


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 in a thread that records each request and answers with ``status``."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append((self.headers, body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/events"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _local_receivers(settings: Settings) -> None:
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = True


@pytest.fixture
def case(
    regulator: User, inspector: User, provider: Organisation, oversight_lead: User, sign_off_officer: User
) -> Case:
    concern = concern_raise(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=provider,
        source=ConcernSource.MORTALITY_DATA,
        summary="Deaths above expected.",
    )
    return propose(regulator, provider, concern)


@pytest.fixture
def subscription(trust_manager: User, provider: Organisation, receiver: Receiver) -> WebhookSubscription:
    return webhook_subscription_create(actor=trust_manager, organisation=provider, target_url=receiver.url)


def revise(case: Case, regulator: User, text: str = "Review every case of harm since 2018.") -> AuditEvent:
    case_terms_revise(actor=regulator, case=case, text=text)
    return AuditEvent.objects.order_by("-sequence").filter(verb="case.terms_revised").first()  # type: ignore[return-value]


def only_delivery(subscription: WebhookSubscription, case: Case, regulator: User) -> WebhookDelivery:
    """Revises ``case``'s terms and makes the subscription's delivery of that event."""
    revise(case, regulator)
    webhook_deliveries_create(subscription_id=subscription.pk)
    return WebhookDelivery.objects.get(subscription=subscription, event__verb="case.terms_revised")


# --- Making deliveries ------------------------------------------------------------------------------------------


def test_it_sends_an_event_once_when_the_tasks_run_twice(
    subscription: WebhookSubscription, receiver: Receiver, case: Case, regulator: User
) -> None:
    event = revise(case, regulator)
    sweep_webhooks()
    sweep_webhooks()
    deliver_webhook(WebhookDelivery.objects.get(event=event).pk)
    assert [h["X-SFR-Event-Id"] for h, _ in receiver.requests].count(str(event.sequence)) == 1


def test_it_makes_one_delivery_per_event_however_often_the_sweep_runs(
    subscription: WebhookSubscription, case: Case, regulator: User
) -> None:
    revise(case, regulator)
    webhook_deliveries_create(subscription_id=subscription.pk)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(last_sequence=0)  # as if a sweep were replayed
    webhook_deliveries_create(subscription_id=subscription.pk)
    events = WebhookDelivery.objects.filter(subscription=subscription).values_list("event_id", flat=True)
    assert len(events) == len(set(events)) > 0


def test_it_starts_from_the_events_after_the_subscription_was_made(
    case: Case, trust_manager: User, provider: Organisation, receiver: Receiver
) -> None:
    subscription = webhook_subscription_create(actor=trust_manager, organisation=provider, target_url=receiver.url)
    webhook_deliveries_create(subscription_id=subscription.pk)
    assert list(WebhookDelivery.objects.filter(event__verb="case.proposed")) == []


def test_it_sends_only_what_its_creator_may_see(
    subscription: WebhookSubscription, regulator: User, inspector: User, other_provider: Organisation
) -> None:
    concern = concern_raise(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=other_provider,
        source=ConcernSource.MORTALITY_DATA,
        summary="Deaths above expected.",
    )
    propose(regulator, other_provider, concern)
    webhook_deliveries_create(subscription_id=subscription.pk)
    assert list(WebhookDelivery.objects.filter(subscription=subscription).values_list("event__verb", flat=True)) == [
        "webhook.created"
    ]


def test_it_sends_only_the_verbs_asked_for(
    trust_manager: User, provider: Organisation, receiver: Receiver, case: Case, regulator: User
) -> None:
    subscription = webhook_subscription_create(
        actor=trust_manager, organisation=provider, target_url=receiver.url, verbs=["case.closed"]
    )
    revise(case, regulator)
    assert webhook_deliveries_create(subscription_id=subscription.pk) == 0


def test_it_disables_a_subscription_whose_creator_no_longer_manages_the_organisation(
    subscription: WebhookSubscription, trust_manager: User, other_provider: Organisation
) -> None:
    membership_create(actor=None, user=trust_manager, organisation=other_provider, role=Role.TRUST_MANAGER)
    webhook_deliveries_create(subscription_id=subscription.pk)
    subscription.refresh_from_db()
    assert not subscription.is_active and "no longer manages" in subscription.disabled_reason


# --- Signing ----------------------------------------------------------------------------------------------------


def test_the_receiver_can_verify_the_signature(
    subscription: WebhookSubscription, receiver: Receiver, case: Case, regulator: User
) -> None:
    webhook_deliver(delivery_id=only_delivery(subscription, case, regulator).pk)
    [(headers, body)] = receiver.requests
    assert webhook_signature_verify(subscription.secret, headers["X-SFR-Timestamp"], body, headers["X-SFR-Signature"])


def test_the_body_is_the_feed_s_safe_summary(
    subscription: WebhookSubscription, receiver: Receiver, case: Case, regulator: User
) -> None:
    webhook_deliver(delivery_id=only_delivery(subscription, case, regulator).pk)
    [(_, body)] = receiver.requests
    assert b'"before"' not in body and b'"scope_id":"%d"' % case.pk in body


def test_a_tampered_body_fails_verification() -> None:
    signature = webhook_signature("s3cret", "1700000000", b'{"verb":"case.closed"}')
    assert not webhook_signature_verify("s3cret", "1700000000", b'{"verb":"case.opened"}', signature, now=1700000000)


def test_a_wrong_secret_fails_verification() -> None:
    signature = webhook_signature("s3cret", "1700000000", b"{}")
    assert not webhook_signature_verify("guess", "1700000000", b"{}", signature, now=1700000000)


def test_an_old_timestamp_fails_verification() -> None:
    signature = webhook_signature("s3cret", "1700000000", b"{}")
    assert not webhook_signature_verify("s3cret", "1700000000", b"{}", signature, now=1700000000 + 301)


def test_a_timestamp_moved_to_now_fails_verification() -> None:
    signature = webhook_signature("s3cret", "1700000000", b"{}")
    assert not webhook_signature_verify("s3cret", "1700000600", b"{}", signature, now=1700000600)


def test_a_rotated_secret_signs_the_next_delivery(
    subscription: WebhookSubscription, receiver: Receiver, case: Case, regulator: User, trust_manager: User
) -> None:
    from accounts.webhooks import webhook_secret_rotate

    old = subscription.secret
    new = webhook_secret_rotate(actor=trust_manager, subscription=subscription).secret
    webhook_deliver(delivery_id=only_delivery(subscription, case, regulator).pk)
    [(headers, body)] = receiver.requests
    timestamp, signature = headers["X-SFR-Timestamp"], headers["X-SFR-Signature"]
    assert webhook_signature_verify(new, timestamp, body, signature)
    assert not webhook_signature_verify(old, timestamp, body, signature)


# --- Failures ---------------------------------------------------------------------------------------------------


def test_it_retries_a_failure_after_a_growing_pause(
    subscription: WebhookSubscription, receiver: Receiver, case: Case, regulator: User
) -> None:
    receiver.status = 500
    delivery = only_delivery(subscription, case, regulator)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        start = timezone.now()
        webhook_deliver(delivery_id=delivery.pk)
        early = webhook_deliver(delivery_id=delivery.pk)
        traveller.shift(timedelta(seconds=61))
        webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert early is False and delivery.attempts == 2
    assert delivery.next_attempt_at == start + timedelta(seconds=61 + 120)


def test_it_keeps_a_log_of_every_attempt(
    subscription: WebhookSubscription, receiver: Receiver, case: Case, regulator: User
) -> None:
    receiver.status = 503
    delivery = only_delivery(subscription, case, regulator)
    webhook_deliver(delivery_id=delivery.pk)
    assert list(delivery.log.values_list("status_code", "succeeded")) == [(503, False)]


def test_it_gives_up_after_the_last_attempt(
    settings: Settings, subscription: WebhookSubscription, receiver: Receiver, case: Case, regulator: User
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.status = 500
    delivery = only_delivery(subscription, case, regulator)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(3):
            webhook_deliver(delivery_id=delivery.pk)
            traveller.shift(timedelta(hours=7))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2


def test_it_disables_the_subscription_after_repeated_failures(
    settings: Settings, subscription: WebhookSubscription, receiver: Receiver, case: Case, regulator: User
) -> None:
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.status = 500
    delivery = only_delivery(subscription, case, regulator)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(4):
            webhook_deliver(delivery_id=delivery.pk)
            traveller.shift(timedelta(hours=7))
    subscription.refresh_from_db()
    assert not subscription.is_active and delivery.log.count() == 3
    assert AuditEvent.objects.filter(verb="webhook.disabled", target_id=str(subscription.pk), actor=None).exists()


def test_a_success_clears_the_failures(
    subscription: WebhookSubscription, receiver: Receiver, case: Case, regulator: User
) -> None:
    receiver.status = 500
    delivery = only_delivery(subscription, case, regulator)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        webhook_deliver(delivery_id=delivery.pk)
        receiver.status = 200
        traveller.shift(timedelta(minutes=2))
        webhook_deliver(delivery_id=delivery.pk)
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


def test_it_records_a_receiver_that_cannot_be_reached(
    trust_manager: User, provider: Organisation, case: Case, regulator: User
) -> None:
    subscription = webhook_subscription_create(
        actor=trust_manager, organisation=provider, target_url="http://127.0.0.1:9/nothing-listens-here"
    )
    delivery = only_delivery(subscription, case, regulator)
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code is None and delivery.last_error


def test_nothing_is_sent_to_a_disabled_subscription(
    subscription: WebhookSubscription, receiver: Receiver, case: Case, regulator: User, trust_manager: User
) -> None:
    from accounts.webhooks import webhook_subscription_disable

    delivery = only_delivery(subscription, case, regulator)
    webhook_subscription_disable(actor=trust_manager, subscription=subscription)
    webhook_deliver(delivery_id=delivery.pk)
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for real concurrent claims")
def test_it_sends_once_when_workers_race(
    subscription: WebhookSubscription, receiver: Receiver, case: Case, regulator: User
) -> None:
    delivery = only_delivery(subscription, case, regulator)
    barrier = threading.Barrier(4)

    def work() -> None:
        barrier.wait()
        try:
            webhook_deliver(delivery_id=delivery.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0)  # the receiver has answered every request by the time each worker returned
    assert len(receiver.requests) == 1


# --- Subscriptions ----------------------------------------------------------------------------------------------


def test_it_refuses_plain_http_to_other_machines() -> None:
    with pytest.raises(ValidationError):
        webhook_url_validate("http://example.org/events")


def test_it_refuses_plain_http_to_this_machine_in_production(settings: Settings) -> None:
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = False
    with pytest.raises(ValidationError):
        webhook_url_validate("http://127.0.0.1:8000/events")


def test_it_refuses_an_address_with_a_password() -> None:
    with pytest.raises(ValidationError):
        webhook_url_validate("https://user:password@example.org/events")


def test_it_refuses_a_role_that_does_not_manage_webhooks(sign_off_officer: User, provider: Organisation) -> None:
    with pytest.raises(PermissionDenied):
        webhook_subscription_create(actor=sign_off_officer, organisation=provider, target_url="https://example.org/")


def test_it_refuses_someone_with_roles_in_another_organisation(
    trust_manager: User, provider: Organisation, other_provider: Organisation
) -> None:
    membership_create(actor=None, user=trust_manager, organisation=other_provider, role=Role.TRUST_MANAGER)
    with pytest.raises(ValidationError):
        webhook_subscription_create(actor=trust_manager, organisation=provider, target_url="https://example.org/")


def test_making_a_subscription_is_audited_without_its_address_or_secret(
    subscription: WebhookSubscription,
) -> None:
    event = AuditEvent.objects.get(verb="webhook.created")
    assert event.after == {"host": "127.0.0.1", "verbs": []} and subscription.secret not in str(event.after)


# --- API --------------------------------------------------------------------------------------------------------


def test_the_api_shows_the_secret_once_at_creation(api_client_for: ApiClientFor, trust_manager: User) -> None:
    api = api_client_for(trust_manager)
    created = api.post(WEBHOOKS, {"target_url": "https://example.org/sfr"}, format="json")
    shown = api.get(f"{WEBHOOKS}{created.json()['id']}/")
    assert created.status_code == 201 and len(created.json()["secret"]) == 64
    assert shown.status_code == 200 and "secret" not in shown.json()


def test_the_api_refuses_an_organisation_that_is_not_yours(
    api_client_for: ApiClientFor, trust_manager: User, other_provider: Organisation
) -> None:
    response = api_client_for(trust_manager).post(
        WEBHOOKS, {"target_url": "https://example.org/sfr", "organisation": other_provider.pk}, format="json"
    )
    assert response.status_code == 400 and "organisation" in response.json()["errors"]


def test_the_api_refuses_a_role_that_does_not_manage_webhooks(
    api_client_for: ApiClientFor, sign_off_officer: User
) -> None:
    response = api_client_for(sign_off_officer).post(WEBHOOKS, {"target_url": "https://example.org/"}, format="json")
    assert response.status_code == 403


def test_the_api_lists_only_your_organisations_subscriptions(
    api_client_for: ApiClientFor, subscription: WebhookSubscription, other_trust_manager: User
) -> None:
    assert api_client_for(other_trust_manager).get(WEBHOOKS).json()["results"] == []


@pytest.mark.parametrize(
    ("method", "suffix"), [("get", ""), ("get", "deliveries/"), ("post", "rotate-secret/"), ("post", "disable/")]
)
def test_the_api_answers_404_for_another_organisation_s_subscription(
    api_client_for: ApiClientFor, subscription: WebhookSubscription, other_trust_manager: User, method: str, suffix: str
) -> None:
    response = getattr(api_client_for(other_trust_manager), method)(f"{WEBHOOKS}{subscription.pk}/{suffix}")
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "suffix"), [("get", ""), ("post", ""), ("post", "1/disable/")])
def test_the_api_answers_401_to_the_public(client: Client, method: str, suffix: str) -> None:
    assert getattr(client, method)(f"{WEBHOOKS}{suffix}").status_code == 401


def test_the_api_rotates_the_secret(
    api_client_for: ApiClientFor, subscription: WebhookSubscription, trust_manager: User
) -> None:
    response = api_client_for(trust_manager).post(f"{WEBHOOKS}{subscription.pk}/rotate-secret/")
    assert response.status_code == 200 and response.json()["secret"] != subscription.secret


def test_the_api_disables_once(
    api_client_for: ApiClientFor, subscription: WebhookSubscription, trust_manager: User
) -> None:
    api = api_client_for(trust_manager)
    first = api.post(f"{WEBHOOKS}{subscription.pk}/disable/")
    second = api.post(f"{WEBHOOKS}{subscription.pk}/disable/")
    assert (first.status_code, first.json()["is_active"], second.status_code) == (200, False, 409)


def test_the_api_shows_the_delivery_log(
    api_client_for: ApiClientFor,
    subscription: WebhookSubscription,
    receiver: Receiver,
    trust_manager: User,
    case: Case,
    regulator: User,
) -> None:
    webhook_deliver(delivery_id=only_delivery(subscription, case, regulator).pk)
    results = api_client_for(trust_manager).get(f"{WEBHOOKS}{subscription.pk}/deliveries/").json()["results"]
    revised = [r for r in results if r["verb"] == "case.terms_revised"]
    assert revised[0]["status"] == "delivered" and revised[0]["log"][0]["status_code"] == 204


# --- Staff pages ------------------------------------------------------------------------------------------------


def test_the_page_sets_up_a_webhook_and_shows_the_secret_once(client_for: ClientFor, trust_manager: User) -> None:
    response = client_for(trust_manager).post(
        "/staff/webhooks/new/",
        {
            "organisation": trust_manager.memberships.get().organisation_id,
            "target_url": "https://example.org/sfr",
            "verbs": "case.triggered, case.closed",
        },
    )
    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 200 and subscription.secret in response.content.decode()
    assert subscription.verbs == ["case.closed", "case.triggered"]


def test_the_page_shows_a_mistake_in_the_address(client_for: ClientFor, trust_manager: User) -> None:
    response = client_for(trust_manager).post(
        "/staff/webhooks/new/",
        {"organisation": trust_manager.memberships.get().organisation_id, "target_url": "http://example.org/"},
    )
    assert response.status_code == 400 and "starts with https://" in response.content.decode()


def test_the_detail_page_never_shows_the_secret(
    client_for: ClientFor, subscription: WebhookSubscription, trust_manager: User
) -> None:
    response = client_for(trust_manager).get(f"/staff/webhooks/{subscription.pk}/")
    assert response.status_code == 200 and subscription.secret not in response.content.decode()


def test_the_detail_page_shows_the_delivery_log(
    client_for: ClientFor,
    subscription: WebhookSubscription,
    receiver: Receiver,
    trust_manager: User,
    case: Case,
    regulator: User,
) -> None:
    delivery = only_delivery(subscription, case, regulator)
    webhook_deliver(delivery_id=delivery.pk)
    page = client_for(trust_manager).get(f"/staff/webhooks/{subscription.pk}/").content.decode()
    assert f"#{delivery.event.sequence} case.terms_revised" in page and "HTTP 204" in page


def test_the_detail_page_answers_404_to_another_organisation(
    client_for: ClientFor, subscription: WebhookSubscription, other_trust_manager: User
) -> None:
    assert client_for(other_trust_manager).get(f"/staff/webhooks/{subscription.pk}/").status_code == 404


def test_the_disable_button_answers_404_to_another_organisation(
    client_for: ClientFor, subscription: WebhookSubscription, other_trust_manager: User
) -> None:
    client_for(other_trust_manager).post(f"/staff/webhooks/{subscription.pk}/disable/")
    subscription.refresh_from_db()
    assert subscription.is_active


def test_the_disable_button_disables(
    client_for: ClientFor, subscription: WebhookSubscription, trust_manager: User
) -> None:
    response = client_for(trust_manager).post(f"/staff/webhooks/{subscription.pk}/disable/")
    subscription.refresh_from_db()
    assert response.status_code == 302 and not subscription.is_active


def test_the_rotate_button_shows_the_new_secret(
    client_for: ClientFor, subscription: WebhookSubscription, trust_manager: User
) -> None:
    response = client_for(trust_manager).post(f"/staff/webhooks/{subscription.pk}/rotate-secret/")
    subscription.refresh_from_db()
    assert subscription.secret in response.content.decode()


def test_the_new_webhook_page_refuses_a_role_that_does_not_manage_webhooks(
    client_for: ClientFor, sign_off_officer: User
) -> None:
    assert client_for(sign_off_officer).get("/staff/webhooks/new/").status_code == 403


def test_the_list_page_shows_only_your_organisations(
    client_for: ClientFor, subscription: WebhookSubscription, trust_manager: User, other_trust_manager: User
) -> None:
    own = client_for(trust_manager).get("/staff/webhooks/").content.decode()
    other = client_for(other_trust_manager).get("/staff/webhooks/").content.decode()
    assert str(subscription) in own and str(subscription) not in other


def test_the_list_page_sends_the_public_to_sign_in(client: Client) -> None:
    assert client.get("/staff/webhooks/")["Location"].startswith("/sign-in/")


def test_a_manager_of_two_roles_in_one_organisation_may_set_one_up(provider: Organisation) -> None:
    manager = member(provider, Role.TRUST_MANAGER)
    membership_create(actor=None, user=manager, organisation=provider, role=Role.TRUST_SIGN_OFF_OFFICER)
    webhook_subscription_create(actor=manager, organisation=provider, target_url="https://example.org/")
    assert WebhookSubscription.objects.filter(created_by=manager).exists()


def test_beat_runs_the_sweep(settings: Settings) -> None:
    from failure_regime.celery import app

    task = settings.CELERY_BEAT_SCHEDULE["sweep-webhooks"]["task"]
    assert task == sweep_webhooks.name and task in app.tasks
