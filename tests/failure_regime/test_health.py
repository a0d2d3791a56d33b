from __future__ import annotations

from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_it_reports_every_part_up(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}


def test_it_reports_a_database_that_is_down(client: Client) -> None:
    with mock.patch("failure_regime.views.health.connection.cursor", side_effect=OperationalError("gone")):
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["database"] == "down"


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_it_reports_a_broker_that_is_down(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["broker"] == "down"


def test_it_reports_a_cache_that_is_down(client: Client) -> None:
    with mock.patch("failure_regime.views.health.cache.set", side_effect=ConnectionError("gone")):
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["cache"] == "down"


def test_it_shows_no_secrets(client: Client, settings) -> None:
    body = client.get("/healthz").content.decode()
    assert settings.SECRET_KEY not in body and settings.DATABASES["default"]["NAME"] not in body
