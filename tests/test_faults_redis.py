"""With Redis down, the public site, the public API, signing in and the contact form still work, from the database;
only /healthz says that something is wrong.

The cache is the production one (the backend and options production settings choose when ``REDIS_URL`` is set),
pointed at a port on this machine where nothing listens, so these run in the ordinary suite without Redis."""

from __future__ import annotations

import importlib.util
import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

import failure_regime.settings
from accounts.models import User
from communications.models import Enquiry, Notice
from communications.public_cache import forget_local_state
from failure_regime.celery import app
from failure_regime.models import OutboxMessage, OutboxStatus
from tests.communications.conftest import NOTICE_TEXT, comms_lead, comms_officer, published, triggered_case  # noqa: F401
from tests.factories import PASSWORD
from tests.failure_regime.conftest import case, concern  # noqa: F401

pytestmark = pytest.mark.django_db

CACHE_LOGGER = "failure_regime.cache"


def nothing_listening() -> str:
    """A Redis address on this machine where nothing listens: a port the system just handed out and took back."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def production_settings(monkeypatch: pytest.MonkeyPatch, **environment: str) -> ModuleType:
    """The service's settings module as production would load it with ``environment``."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("production_settings", Path(failure_regime.settings.__file__))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def dead_redis() -> str:
    return nothing_listening()


@pytest.fixture(autouse=True)
def redis_down(settings: Any, monkeypatch: pytest.MonkeyPatch, dead_redis: str) -> Iterator[None]:
    """The cache and the sessions as in production, with Redis unreachable (and short waits, to keep this fast)."""
    production = production_settings(monkeypatch, REDIS_URL=dead_redis)
    default = production.CACHES["default"]
    settings.CACHES = {
        "default": {**default, "OPTIONS": {**default["OPTIONS"], "socket_connect_timeout": 0.2, "socket_timeout": 0.2}}
    }
    settings.SESSION_ENGINE = production.SESSION_ENGINE
    forget_local_state()
    yield
    forget_local_state()


@pytest.fixture
def broker_down(dead_redis: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Celery sends its messages to the dead Redis instead of running tasks in the test process (Celery reads the
    broker from the environment before its settings)."""
    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    monkeypatch.setenv("CELERY_BROKER_URL", dead_redis)
    app.conf.update(task_always_eager=False, broker_url=dead_redis)
    app.close()
    yield
    app.conf.update(saved)
    app.close()


def cache_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == CACHE_LOGGER and r.levelno == logging.WARNING]


# --- The settings --------------------------------------------------------------------------------------------------


def test_production_uses_the_fail_open_cache_with_a_short_connect_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    default = production_settings(monkeypatch, REDIS_URL="redis://redis:6379/0").CACHES["default"]
    assert default["BACKEND"] == "failure_regime.cache.FailOpenRedisCache"
    assert default["OPTIONS"]["socket_connect_timeout"] <= 1


def test_production_keeps_sessions_in_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = production_settings(monkeypatch, REDIS_URL="redis://redis:6379/0").SESSION_ENGINE
    assert engine == "django.contrib.sessions.backends.cached_db"


# --- The cache itself ----------------------------------------------------------------------------------------------


def test_a_read_is_a_miss() -> None:
    assert cache.get("anything", "default") == "default"


def test_a_write_stores_nothing_and_does_not_fail() -> None:
    cache.set("anything", 1)
    assert cache.add("anything", 1) is False


def test_a_count_that_cannot_be_read_is_a_missing_key() -> None:
    with pytest.raises(ValueError):
        cache.incr("anything")


def test_outside_a_request_each_failure_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    cache.get("one")
    cache.get("two")
    assert len(cache_warnings(caplog)) == 2


def test_a_page_logs_the_outage_once(client: Client, published: Notice, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    client.get("/notices/")
    assert len(cache_warnings(caplog)) == 1


# --- The public site and API ---------------------------------------------------------------------------------------

PUBLIC_PAGES = [
    "/",
    "/notices/",
    "/notices/feed.atom",
    "/open-data/notices.csv",
    "/providers/RXX/",
    "/special-measures/",
    "/search/?q=Medway",
    "/api/v1/public-notices/",
]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_public_page_is_served_from_the_database(client: Client, published: Notice, url: str) -> None:  # noqa: F811
    assert client.get(url).status_code == 200


def test_a_notice_page_shows_the_notice(client: Client, published: Notice) -> None:  # noqa: F811
    response = client.get(f"/notices/{published.pk}/")
    assert response.status_code == 200 and NOTICE_TEXT.title in response.content.decode()


def test_the_health_check_says_the_cache_is_down(client: Client) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()["checks"]["cache"]) == (503, "down")


# --- Signing in ----------------------------------------------------------------------------------------------------


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_signing_in_with_both_factors_works(trust_manager: User) -> None:
    client = Client()
    password = client.post("/sign-in/", {"username": trust_manager.email, "password": PASSWORD})
    code = client.post(password["Location"], {"token": current_code(TOTPDevice.objects.get(user=trust_manager))})
    assert (password.status_code, code.status_code, client.get("/staff/").status_code) == (302, 302, 200)


# --- The contact form ----------------------------------------------------------------------------------------------

ANSWERS = {
    "name": "Alex Example",
    "relation": "family",
    "provider": "RXX",
    "worry": "My mother was left without pain relief for a day on the maternity ward.",
    "contact_method": "email",
    "email": "alex@example.org",
    "consent": "on",
}


@pytest.fixture
def send(
    client: Client,
    provider: Any,
    nhs_england: Any,
    broker_down: None,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[[], Any]:
    """Sends the contact form, running what it leaves for after the commit (asking the dead broker to send mail)."""

    def sending() -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/contact-us/", ANSWERS)

    return sending


def test_the_contact_form_takes_an_enquiry(send: Callable[[], Any]) -> None:
    assert send().status_code == 302 and Enquiry.objects.count() == 1


def test_the_acknowledgement_waits_in_the_outbox(send: Callable[[], Any]) -> None:
    send()
    assert list(OutboxMessage.objects.values_list("to", "status")) == [("alex@example.org", OutboxStatus.PENDING)]


def test_the_rate_limit_lets_messages_through_while_it_cannot_count(send: Callable[[], Any], settings: Any) -> None:
    settings.ENQUIRY_RATE_LIMIT = "1/h"
    assert [send().status_code, send().status_code] == [302, 302]


def test_the_cache_keeps_one_redis_client_per_pool() -> None:
    first = cache._cache.get_client("a")  # type: ignore[attr-defined]
    assert cache._cache.get_client("b") is first  # type: ignore[attr-defined]
    assert cache._cache.get_client("c", write=True) is first  # type: ignore[attr-defined]
