"""The public site version: one token that follows everything public pages show (notices, the register of special
measures, ratings, providers, cases and published findings, and the day), worked out in a fixed number of queries
once per change for the whole site. Pages served from the page cache, the provider page and the provider list
among them, cost no query; a change to any record they show is on them at once."""

# ruff: noqa: F811 (the register tests' fixtures are imported by name and used as arguments)
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Organisation, User
from communications.public_cache import forget_local_state, public_site_state
from communications.workdays import LONDON
from failure_regime.models import Case, Episode
from tests.communications.test_special_measures_register import decider, episode, medway, rated, today  # noqa: F401
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def fresh_version() -> str:
    """The version as a process that has none works it out."""
    forget_local_state()
    cache.clear()
    return public_site_state().version


def queries_for(url: str, client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("extra_providers", [0, 30])
def test_the_version_takes_the_same_few_queries_however_many_records(
    extra_providers: int,
    monitor: Organisation,
    decider: User,
    django_assert_num_queries: Any,
) -> None:
    for n in range(extra_providers):
        episode(OrganisationFactory.create(oversight_body=monitor), decider, date(2025, 1, 1) + timedelta(days=n))
    forget_local_state()
    cache.clear()
    with django_assert_num_queries(4):
        public_site_state()


@pytest.mark.parametrize("url", ["provider", "provider list"])
def test_a_page_read_again_costs_no_query(client: Client, medway: Episode, url: str) -> None:
    path = reverse("provider-public", args=["RPA"]) if url == "provider" else reverse("communications:provider-list")
    queries_for(path, client)
    assert queries_for(path, client) == 0


def test_a_new_rating_is_on_the_provider_page_at_once(
    client: Client,
    medway: Episode,
    decider: User,
    today: date,
) -> None:
    path = reverse("provider-public", args=["RPA"])
    client.get(path)
    rated(medway.provider, decider, "requires_improvement", today)
    assert "Its latest rating here is <strong>Requires improvement</strong>" in client.get(path).content.decode()


def test_a_renamed_provider_is_renamed_on_its_page_at_once(client: Client, medway: Episode) -> None:
    path = reverse("provider-public", args=["RPA"])
    client.get(path)
    provider = medway.provider
    provider.name = "Medway Maritime NHS Foundation Trust"
    provider.save()
    assert "Medway Maritime NHS Foundation Trust" in client.get(path).content.decode()


def test_a_saved_episode_changes_the_version(medway: Episode) -> None:
    before = fresh_version()
    Episode.objects.get(pk=medway.pk).save()  # any save through the ORM
    assert public_site_state().version != before


def test_a_changed_case_changes_the_version(case: Case) -> None:
    before = fresh_version()
    case.title = "Maternity and neonatal care, 2019 to 2024"
    case.save()
    assert public_site_state().version != before


def test_the_version_lasts_no_later_than_midnight(medway: Episode) -> None:
    with time_machine.travel(datetime(2026, 6, 1, 23, 59, 30, tzinfo=LONDON), tick=False):
        forget_local_state()
        cache.clear()
        state = public_site_state()
        assert state.expires_at <= datetime(2026, 6, 2, 0, 0, tzinfo=LONDON).timestamp()


def test_the_next_day_has_another_version(medway: Episode) -> None:
    with time_machine.travel(datetime(2026, 6, 1, 12, 0, tzinfo=LONDON), tick=False):
        monday = fresh_version()
    with time_machine.travel(datetime(2026, 6, 2, 12, 0, tzinfo=LONDON), tick=False):
        assert fresh_version() != monday
