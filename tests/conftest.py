"""Shared fixtures: the named people every test speaks of, and clients signed in as them.

- ``regulator``: a CQC decision-maker.
- ``oversight_lead``: of Monitor, which oversees ``provider``.
- ``trust_manager``: a manager at ``provider``; ``other_trust_manager`` works at ``other_provider``.
- ``sign_off_officer``: gives ``provider``'s decision on a joint trigger; ``inspector``: a CQC inspector.
- ``reviewer``: an expert reviewer; ``national``: national oversight at NHS England; ``administrator``: an
  administrator there, who gives and removes roles.
- the public: the plain ``client`` fixture, not signed in.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import Organisation, OrganisationKind, Region, Role, User
from accounts.services import api_token_issue
from tests.factories import OrganisationFactory, member


def _flushes_the_database(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
    fixtures = getattr(item, "fixturenames", ())
    return transactional or "transactional_db" in fixtures or "live_server" in fixtures


# Playwright's fixtures: a test that asks for one drives a real browser.
BROWSER_FIXTURES = frozenset({"page", "browser", "context", "new_context"})


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Runs every test that flushes the database after all those that roll back. pytest-django sorts them so,
    but pytest then regroups tests by parametrised session fixtures (Playwright's browser name), which can put a
    browser test before ordinary ones; a flush there would delete the rule sets the migrations seeded.

    Split across processes (pytest-xdist, ``--dist load`` or ``loadgroup``), each process has its own database and
    receives tests in this order, so there too no test runs after a flush except another one that flushes.

    Every test that drives a browser is marked ``browser``, so ``-m "not browser"`` leaves them all out."""
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
    items.sort(key=_flushes_the_database)
    _check_xdist_groups(config, items)


def _check_xdist_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup`` pytest-xdist names each grouped test's group in its id, which is how its tests
    reach one process (the Celery tests share a worker). A pytest that keeps ids where xdist cannot write them
    splits the groups silently; this says so instead.

    xdist sends the largest groups first, out of the order above, so a group must not hold a test that flushes the
    database: it would run before tests that need the rows the migrations seeded."""
    if not config.getoption("loadgroup", default=False):
        return
    for item in items:
        if not item.get_closest_marker("xdist_group"):
            continue
        if "@" not in item.nodeid.rpartition("]")[2]:
            raise pytest.UsageError(
                f"pytest-xdist could not mark {item.nodeid} with its xdist_group: check the pinned pytest and "
                "pytest-xdist work together"
            )
        if _flushes_the_database(item):
            raise pytest.UsageError(f"{item.nodeid} flushes the database, so it cannot be in an xdist_group")


# Data migrations that seed rows the regime cannot work without (the dated special-measures rules).
SEEDING_MIGRATIONS = [
    ("failure_regime.migrations.0003_seed_special_measures_rule_sets", "seed"),
    ("failure_regime.migrations.0005_inspections_ratings_and_recommendations", "set_recommendation_decision_days"),
]


@pytest.fixture(autouse=True)
def _seeded_rules(request: pytest.FixtureRequest) -> None:
    """A test that flushes the database (real transactions, threads, a live server) starts without the rows the
    migrations seeded, since an earlier one in the same process may have flushed them; this puts them back, as the
    migrations wrote them, so that every test sees the rules the service ships with."""
    if not _flushes_the_database(request.node):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    for module, function in SEEDING_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _fresh_cache(request: pytest.FixtureRequest) -> None:
    # Integration tests share the cache with real worker processes; clearing it under them loses results.
    if "integration" not in request.keywords:
        cache.clear()


@pytest.fixture
def cqc(db: None) -> Organisation:
    return OrganisationFactory.create(
        name="Care Quality Commission", ods_code="CQC", kind=OrganisationKind.REGULATOR, region=Region.NATIONAL
    )


@pytest.fixture
def monitor(db: None) -> Organisation:
    return OrganisationFactory.create(
        name="Monitor", ods_code="MON", kind=OrganisationKind.OVERSIGHT_BODY, region=Region.NATIONAL
    )


@pytest.fixture
def nhs_england(db: None) -> Organisation:
    return OrganisationFactory.create(
        name="NHS England", ods_code="X24", kind=OrganisationKind.OVERSIGHT_BODY, region=Region.NATIONAL
    )


@pytest.fixture
def provider(monitor: Organisation) -> Organisation:
    return OrganisationFactory.create(
        name="Mid Shire Hospitals NHS Foundation Trust",
        ods_code="RXX",
        kind=OrganisationKind.FOUNDATION_TRUST,
        oversight_body=monitor,
    )


@pytest.fixture
def other_provider(db: None) -> Organisation:
    return OrganisationFactory.create(name="Far Shire NHS Trust", ods_code="RYY", kind=OrganisationKind.NHS_TRUST)


@pytest.fixture
def regulator(cqc: Organisation) -> User:
    return member(cqc, Role.REGULATOR_DECISION_MAKER, full_name="Rita Regulator")


@pytest.fixture
def oversight_lead(monitor: Organisation) -> User:
    return member(monitor, Role.OVERSIGHT_LEAD, full_name="Oscar Oversight")


@pytest.fixture
def trust_manager(provider: Organisation) -> User:
    return member(provider, Role.TRUST_MANAGER, full_name="Tara Trust")


@pytest.fixture
def other_trust_manager(other_provider: Organisation) -> User:
    return member(other_provider, Role.TRUST_MANAGER, full_name="Otto Other")


@pytest.fixture
def sign_off_officer(provider: Organisation) -> User:
    return member(provider, Role.TRUST_SIGN_OFF_OFFICER, full_name="Sol Signatory")


@pytest.fixture
def inspector(cqc: Organisation) -> User:
    return member(cqc, Role.INSPECTOR, full_name="Ines Inspector")


@pytest.fixture
def reviewer(nhs_england: Organisation) -> User:
    return member(nhs_england, Role.EXPERT_REVIEWER, full_name="Rae Reviewer")


@pytest.fixture
def national(nhs_england: Organisation) -> User:
    return member(nhs_england, Role.NATIONAL_OVERSIGHT, full_name="Nia National")


@pytest.fixture
def administrator(nhs_england: Organisation) -> User:
    return member(nhs_england, Role.ADMINISTRATOR, full_name="Ada Administrator")


def sign_in(client: Client, user: User) -> Client:
    """Signs ``user`` in on ``client`` as if they had entered their password and security code."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for(db: None) -> Callable[[User], Client]:
    """``client_for(user)``: a browser client signed in with both factors."""
    return lambda user: sign_in(Client(), user)


@pytest.fixture
def api_client_for(db: None) -> Callable[[User], APIClient]:
    """``api_client_for(user)``: an API client authenticated with the user's API token. Each user is issued one
    token per test, which every client for them shares (a second issue would revoke the first)."""
    keys: dict[int, str] = {}

    def make(user: User) -> APIClient:
        if user.pk not in keys:
            keys[user.pk] = api_token_issue(actor=user).key
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {keys[user.pk]}")
        return api

    return make
