"""With the database out of reach, public pages are served from their last good copy for ``PUBLIC_STALE_SECONDS``,
then (and for everything else) the service answers a branded 503 with ``Retry-After``, never a 500.

The outage is made by refusing every new cursor with the ``OperationalError`` a refused connection raises; on
PostgreSQL one test also points the connection at a port where nothing listens."""

# The fixtures are imported by name, so test arguments share their names.
# ruff: noqa: F811

from __future__ import annotations

import datetime
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import User
from communications.models import Enquiry, Notice
from communications.public_cache import VERSION_KEY, forget_local_state
from failure_regime.outage import RETRY_AFTER_SECONDS, database_unavailable
from failure_regime.views.public import server_error
from tests.communications.conftest import comms_lead, comms_officer, published, triggered_case  # noqa: F401
from tests.failure_regime.conftest import case, concern  # noqa: F401

pytestmark = pytest.mark.django_db

Outage = Callable[[], AbstractContextManager[None]]


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch) -> Outage:
    """A context in which no query reaches the database, and the site's cached version is forgotten (so a page
    must either come from the database or from its last good copy)."""

    @contextmanager
    def outage() -> Iterator[None]:
        def refused(self: BaseDatabaseWrapper) -> None:
            raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

        cache.delete(VERSION_KEY)
        forget_local_state()
        with monkeypatch.context() as patch:
            patch.setattr(BaseDatabaseWrapper, "ensure_connection", refused)
            yield
        forget_local_state()

    return outage


@pytest.fixture
def visitor() -> Client:
    # The fault handler's answer is what a visitor sees; the test client would otherwise raise the fault itself.
    return Client(raise_request_exception=False)


def _public_pages(notice: Notice) -> list[str]:
    return [
        "/",
        reverse("communications:notice-list"),
        reverse("communications:notice-detail", args=[notice.pk]),
        reverse("provider-public", args=[notice.case.provider.ods_code]),
        "/providers/",
        reverse("communications:special-measures"),
    ]


def _is_unavailable(response: Any) -> bool:
    return (
        response.status_code == 503
        and response["Retry-After"] == str(RETRY_AFTER_SECONDS)
        and b"not available at the moment" in response.content
    )


def test_public_pages_read_before_the_outage_are_served_from_their_last_good_copy(
    visitor: Client, published: Notice, database_down: Outage
) -> None:
    before = {url: visitor.get(url) for url in _public_pages(published)}
    assert {url: r.status_code for url, r in before.items()} == dict.fromkeys(before, 200)
    with database_down():
        during = {url: visitor.get(url) for url in before}
    for url, response in during.items():
        assert response.status_code == 200, url
        assert response.content == before[url].content, url
        assert int(response["Age"]) >= 0 and response["Cache-Control"] == "public, max-age=60", url


def test_the_copy_keeps_the_page_s_security_headers(visitor: Client, published: Notice, database_down: Outage) -> None:
    live = visitor.get("/")
    with database_down():
        copy = visitor.get("/")
    assert copy["Content-Security-Policy"] == live["Content-Security-Policy"]
    assert copy["X-Frame-Options"] == live["X-Frame-Options"]


def test_after_the_configured_time_the_service_says_it_is_not_available(
    visitor: Client, published: Notice, database_down: Outage, settings: Any
) -> None:
    visitor.get("/")
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(seconds=settings.PUBLIC_STALE_SECONDS + 1)
    with time_machine.travel(later), database_down():
        response = visitor.get("/")
    assert _is_unavailable(response)
    assert b"Try again in a few minutes" in response.content


def test_with_no_time_configured_no_copy_is_served(
    visitor: Client, published: Notice, database_down: Outage, settings: Any
) -> None:
    settings.PUBLIC_STALE_SECONDS = 0
    visitor.get("/")
    with database_down():
        assert _is_unavailable(visitor.get("/"))


def test_a_page_nobody_read_before_the_outage_is_not_available(
    visitor: Client, published: Notice, database_down: Outage
) -> None:
    with database_down():
        assert _is_unavailable(visitor.get(reverse("communications:notice-detail", args=[published.pk])))


def test_a_copy_is_kept_for_its_own_address_only(visitor: Client, published: Notice, database_down: Outage) -> None:
    visitor.get(reverse("communications:notice-list"))
    with database_down():
        assert _is_unavailable(visitor.get(reverse("communications:notice-list") + "?page=2"))
        assert visitor.get(reverse("communications:notice-list") + "?utm_source=news").status_code == 200


def test_a_staff_page_is_not_available_rather_than_an_error(
    client_for: Callable[[User], Client], trust_manager: User, database_down: Outage
) -> None:
    visitor = client_for(trust_manager)
    visitor.raise_request_exception = False
    assert visitor.get(reverse("staff-home")).status_code == 200
    with database_down():
        response = visitor.get(reverse("staff-home"))
    assert _is_unavailable(response)
    assert "public" not in response.get("Cache-Control", "")


@pytest.mark.parametrize("url", ["/api/v1/public-notices/", "/api/v1/me/"])
def test_the_api_answers_503_in_json(
    client_for: Callable[[User], Client], trust_manager: User, published: Notice, database_down: Outage, url: str
) -> None:
    visitor = client_for(trust_manager)
    visitor.raise_request_exception = False
    with database_down():
        response = visitor.get(url)
    assert response.status_code == 503 and response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json()["code"] == "service_unavailable"


def test_a_form_sent_during_the_outage_is_refused_plainly_and_nothing_is_half_saved(
    visitor: Client, database_down: Outage
) -> None:
    form = {"name": "Sam Jones", "email": "sam@example.org", "message": "My father was a patient there."}
    with database_down():
        response = visitor.post(reverse("communications:enquiry-new"), form)
    assert _is_unavailable(response)
    assert b"we did not get it" in response.content
    assert not Enquiry.objects.exists()


def test_the_fault_handler_answers_503_only_for_the_database(rf: RequestFactory) -> None:
    request = rf.get("/notices/")
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500
    try:
        raise OperationalError("Connection refused")
    except OperationalError:
        assert _is_unavailable(server_error(request))


def test_what_counts_as_the_database_out_of_reach() -> None:
    assert database_unavailable(OperationalError("refused"))
    assert database_unavailable(InterfaceError("connection already closed"))
    try:
        try:
            raise OperationalError("refused")
        except OperationalError as exc:
            raise RuntimeError("while loading the session") from exc
    except RuntimeError as wrapped:
        assert database_unavailable(wrapped)
    assert not database_unavailable(ValueError("a bug"))
    assert not database_unavailable(None)


def _port_where_nothing_listens() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="points a real connection at a dead port")
@pytest.mark.django_db(transaction=True)
def test_a_real_postgresql_outage(visitor: Client, published: Notice) -> None:
    page = reverse("communications:notice-detail", args=[published.pk])
    live = visitor.get(page)
    assert live.status_code == 200
    saved = dict(connection.settings_dict)
    cache.delete(VERSION_KEY)
    forget_local_state()
    connection.close()
    connection.settings_dict["PORT"] = str(_port_where_nothing_listens())
    connection.settings_dict["OPTIONS"] = {**saved.get("OPTIONS", {}), "connect_timeout": 2}
    try:
        copy = visitor.get(page)
        unread = visitor.get(reverse("communications:notice-list"))
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert copy.status_code == 200 and copy.content == live.content
    assert _is_unavailable(unread)
