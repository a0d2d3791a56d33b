"""The public register of special measures: its page, open data, feed and API list every provider in special
measures now or in the past with what happened, filter by region, kind and status, are open to anyone, name no
person, are cached per exact answer, and cost the same queries for few providers or many."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Organisation, OrganisationKind, Region, Role, User
from accounts.services import organisation_update
from communications.public_cache import public_site_state
from failure_regime.dates import long_date, month_start
from failure_regime.models import Basis, Episode, EpisodeStatus, Inspection, MonthlyReport, ReportStatus
from failure_regime.services.special_measures import rule_set_for
from tests.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

PAGE = reverse("communications:special-measures")
JSON = reverse("communications:special-measures-json")
CSV = reverse("communications:special-measures-csv")
FEED = reverse("communications:special-measures-feed")
API = reverse("api:public-special-measures-list")
EVERYTHING = [PAGE, JSON, CSV, FEED, API]

DECIDER = "Dora Decider-Secret"
DIRECTOR = "Ivor Improvement-Director"


@pytest.fixture
def decider(monitor: Organisation) -> User:
    return member(monitor, Role.OVERSIGHT_LEAD, full_name=DECIDER)


def episode(
    provider: Organisation,
    decider: User,
    entered_on: date,
    *,
    status: str = EpisodeStatus.OPEN,
    exited_on: date | None = None,
    extended_until: date | None = None,
    reinspection_due_on: date | None = None,
) -> Episode:
    """An episode recorded as it stands, with a named decider and improvement director the public must never see."""
    return Episode.objects.create(
        provider=provider,
        rule_set=rule_set_for(provider_kind=provider.kind, on=entered_on),
        entered_on=entered_on,
        basis=Basis.OWN_EVIDENCE if provider.is_trust else Basis.CQC_DECISION,
        decided_by=decider,
        decided_by_organisation=decider.memberships.get().organisation,
        decided_at=timezone.now(),
        improvement_director=DIRECTOR,
        status=status,
        exited_on=exited_on,
        extended_until=extended_until,
        reinspection_due_on=reinspection_due_on or entered_on + timedelta(days=365),
    )


def published_report(of: Episode, month: date) -> MonthlyReport:
    return MonthlyReport.objects.create(
        episode=of,
        month=month,
        due_on=month + timedelta(days=40),
        status=ReportStatus.ACCEPTED,
        snapshot={"narrative": "Progress made.", "actions": []},
        published_at=timezone.now(),
    )


def rated(provider: Organisation, by: User, overall: str, published_on: date) -> Inspection:
    return Inspection.objects.create(
        provider=provider,
        carried_out_on=published_on - timedelta(days=30),
        published_on=published_on,
        recorded_by=by,
        recorded_at=timezone.now(),
        safe="inadequate",
        effective="requires_improvement",
        caring="good",
        responsive="requires_improvement",
        well_led="inadequate",
        overall=overall,
    )


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def medway(monitor: Organisation, decider: User, today: date) -> Episode:
    """A trust in special measures for three months, with its inadequate rating published and one report out."""
    trust = OrganisationFactory.create(
        name="Medway NHS Foundation Trust",
        ods_code="RPA",
        kind=OrganisationKind.FOUNDATION_TRUST,
        region=Region.SOUTH_EAST,
        oversight_body=monitor,
    )
    found = episode(trust, decider, today - timedelta(days=92), reinspection_due_on=today + timedelta(days=270))
    rated(trust, decider, "inadequate", today - timedelta(days=100))
    published_report(found, month_start(today - timedelta(days=40)))
    return found


@pytest.fixture
def keogh(monitor: Organisation, decider: User) -> Episode:
    """A 2013 trust that left special measures in 2015."""
    trust = OrganisationFactory.create(
        name="Basildon and Thurrock University Hospitals NHS Foundation Trust",
        ods_code="RDD",
        kind=OrganisationKind.FOUNDATION_TRUST,
        region=Region.EAST_OF_ENGLAND,
        oversight_body=monitor,
    )
    return episode(trust, decider, date(2013, 7, 16), status=EpisodeStatus.EXITED, exited_on=date(2015, 3, 11))


@pytest.fixture
def cancelled(cqc: Organisation, today: date) -> Episode:
    """A London GP practice whose registration was cancelled."""
    practice = OrganisationFactory.create(
        name="The Surgery", ods_code="F84001", kind=OrganisationKind.GP_PRACTICE, region=Region.LONDON
    )
    inspector = member(cqc, Role.REGULATOR_DECISION_MAKER, full_name="Rex Secretregulator")
    return episode(
        practice,
        inspector,
        date(2024, 1, 10),
        status=EpisodeStatus.REGISTRATION_CANCELLED,
        exited_on=date(2024, 9, 2),
        reinspection_due_on=date(2024, 7, 10),
    )


@pytest.fixture
def overdue(decider: User, monitor: Organisation, today: date) -> Episode:
    """A trust whose re-inspection date has passed, extended once (the extension too has passed)."""
    trust = OrganisationFactory.create(
        name="Late Shire NHS Trust",
        ods_code="RLS",
        kind=OrganisationKind.NHS_TRUST,
        region=Region.NORTH_WEST,
        oversight_body=monitor,
    )
    return episode(
        trust,
        decider,
        today - timedelta(days=800),
        reinspection_due_on=today - timedelta(days=435),
        extended_until=today - timedelta(days=10),
    )


@pytest.fixture
def register(medway: Episode, keogh: Episode, cancelled: Episode, overdue: Episode) -> list[Episode]:
    return [medway, keogh, cancelled, overdue]


def page(client: Client, **params: Any) -> str:
    response = client.get(PAGE, params)
    assert response.status_code == 200
    return response.content.decode()


def json_rows(client: Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get(JSON, params)
    assert response.status_code == 200
    rows: list[dict[str, Any]] = response.json()["episodes"]
    return rows


# --- What it lists ----------------------------------------------------------------------------------------------


def test_it_lists_an_open_episode_with_its_ratings_reports_and_due_reinspection(
    client: Client, medway: Episode, today: date
) -> None:
    body = page(client)
    assert "Medway NHS Foundation Trust" in body and "NHS foundation trust · South East" in body
    assert "Monitor" in body and long_date(medway.entered_on) in body
    assert f"Due by {long_date(medway.reinspection_due_on)}" in body
    assert "Inadequate" in body and "Still in special measures" in body
    assert f'href="{reverse("provider-public", args=["RPA"])}"' in body
    [row] = json_rows(client)
    assert row["months_of_progress_published"] == 1 and row["overall_rating"] == "inadequate"
    assert row["status"] == "open" and row["reinspection_due_on"] == medway.reinspection_due_on.isoformat()


def test_it_tells_how_each_episode_ended(client: Client, register: list[Episode], today: date) -> None:
    body = page(client)
    assert "Left special measures on 11 March 2015" in body
    assert "Registration cancelled on 2 September 2024" in body
    assert f"Still in special measures: the extension ended on {long_date(today - timedelta(days=10))}" in body
    outcomes = {row["provider_ods_code"]: row["outcome"] for row in json_rows(client)}
    assert outcomes["RDD"] == "Left special measures on 11 March 2015"
    assert outcomes["F84001"] == "Registration cancelled on 2 September 2024"
    assert outcomes["RPA"] == "Still in special measures"


def test_an_extension_still_running_is_shown_as_such(client: Client, medway: Episode, today: date) -> None:
    Episode.objects.filter(pk=medway.pk).update(extended_until=today + timedelta(days=60))
    [row] = json_rows(client)
    assert row["outcome"] == f"Still in special measures: extended until {long_date(today + timedelta(days=60))}"


def test_a_passed_reinspection_date_is_never_a_promise(client: Client, register: list[Episode], today: date) -> None:
    rows = {row["provider_ods_code"]: row for row in json_rows(client)}
    late = long_date(today - timedelta(days=10))
    assert rows["RLS"]["reinspection"] == f"Overdue: it was due by {late}"
    assert rows["RDD"]["reinspection"] == "None recorded"
    assert rows["F84001"]["reinspection"] == "None recorded"
    body = page(client)
    assert "Overdue" in body and f"Due by {late}" not in body
    assert "by 16 July 2014" not in body and "Due by 10 July 2024" not in body


def test_open_episodes_come_first(client: Client, register: list[Episode]) -> None:
    order = [row["provider_ods_code"] for row in json_rows(client)]
    assert order[:2] == ["RPA", "RLS"] and set(order[2:]) == {"F84001", "RDD"}


# --- Filters ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "open"}, {"RPA", "RLS"}),
        ({"status": "exited"}, {"RDD"}),
        ({"status": "registration_cancelled"}, {"F84001"}),
        ({"region": "london"}, {"F84001"}),
        ({"kind": "foundation_trust"}, {"RPA", "RDD"}),
        ({"kind": "foundation_trust", "status": "open"}, {"RPA"}),
        ({"region": "south_west"}, set()),
    ],
)
def test_it_filters_by_region_kind_and_status(
    client: Client, register: list[Episode], params: dict[str, str], expected: set[str]
) -> None:
    assert {row["provider_ods_code"] for row in json_rows(client, **params)} == expected
    api = APIClient().get(API, params).json()
    assert {row["provider_ods_code"] for row in api["results"]} == expected
    body = page(client, **params)
    for ods, name in [("RPA", "Medway NHS"), ("RDD", "Basildon"), ("F84001", "The Surgery"), ("RLS", "Late Shire")]:
        assert (name in body) == (ods in expected)


@pytest.mark.parametrize(
    "query",
    ["status=nonsense", "region=%00", "kind=%00gp_practice", "status=open%00", "page=%00", "page=-1", "page=99999"],
)
def test_bad_filter_input_is_never_a_server_error(client: Client, register: list[Episode], query: str) -> None:
    # Input that cannot be read as text (a NUL) is refused before any view runs.
    expected = 400 if "%00" in query else 200
    for url in (PAGE, JSON, CSV):
        assert client.get(f"{url}?{query}").status_code == expected
    assert APIClient().get(f"{API}?{query}").status_code in (200, 400, 404)


def test_a_bad_filter_is_shown_as_an_error_on_the_page(client: Client, register: list[Episode]) -> None:
    body = page(client, status="nonsense")
    assert "There is a problem" in body and "Select a valid choice" in body


def test_the_api_refuses_a_bad_filter_with_a_400(register: list[Episode]) -> None:
    assert APIClient().get(API, {"region": "atlantis"}).status_code == 400


def test_the_page_is_paginated_keeping_its_filters(
    client: Client, decider: User, monitor: Organisation, today: date
) -> None:
    for n in range(27):
        trust = OrganisationFactory.create(ods_code=f"P{n:03d}", region=Region.MIDLANDS, oversight_body=monitor)
        episode(trust, decider, today - timedelta(days=n + 1))
    first = page(client, region="midlands")
    assert "27 results" in first and "?region=midlands&amp;page=2" in first
    second = page(client, region="midlands", page=2)
    assert second.count('class="nhsuk-table__row"') == 1 + 2


# --- No personal data -------------------------------------------------------------------------------------------


def test_no_person_is_named_anywhere(client: Client, register: list[Episode], today: date) -> None:
    for month in (1, 2, 3):
        published_report(register[0], date(2026, month, 1))
    for url in EVERYTHING:
        body = client.get(url).content.decode()
        for name in (DECIDER, DIRECTOR, "Rex Secretregulator", "Secret"):
            assert name not in body, (url, name)


# --- Open data --------------------------------------------------------------------------------------------------


def test_the_csv_has_a_row_per_episode_and_neutralises_formulas(
    client: Client, decider: User, monitor: Organisation, today: date
) -> None:
    trust = OrganisationFactory.create(name="=HYPERLINK(1)", ods_code="REV", oversight_body=monitor)
    episode(trust, decider, today - timedelta(days=5))
    response = client.get(CSV)
    assert response["Content-Type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["provider_name"] == "'=HYPERLINK(1)" and row["status"] == "open"
    assert row["provider_page_url"].endswith("/providers/REV/")


# --- The feed ---------------------------------------------------------------------------------------------------


def test_the_feed_has_entries_exits_and_published_reports(client: Client, register: list[Episode]) -> None:
    response = client.get(FEED)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    assert "Medway NHS Foundation Trust was put into special measures" in body
    assert "Basildon and Thurrock University Hospitals NHS Foundation Trust left special measures" in body
    assert "The Surgery had its registration cancelled" in body
    assert "Medway NHS Foundation Trust: progress report for" in body


# --- Anyone may read it -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", EVERYTHING)
def test_anyone_may_read_it_and_it_is_cacheable(client: Client, register: list[Episode], url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and response.has_header("ETag")
    assert not response.cookies


def test_a_signed_in_person_sees_the_same_as_the_public(
    client_for: Any, trust_manager: User, register: list[Episode]
) -> None:
    assert client_for(trust_manager).get(PAGE).content == Client().get(PAGE).content


def test_the_api_is_in_the_schema(client: Client) -> None:
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/public/special-measures/" in schema


# --- Caching ----------------------------------------------------------------------------------------------------


def _etag(client: Client, url: str, **params: Any) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return str(response["ETag"])


def test_answers_with_different_filters_or_pages_differ(client: Client, register: list[Episode]) -> None:
    open_ones = client.get(PAGE, {"status": "open"})
    past = client.get(PAGE, {"status": "exited"})
    assert open_ones["ETag"] != past["ETag"] and open_ones.content != past.content
    assert client.get(PAGE, {"status": "open"}).content == open_ones.content
    assert _etag(client, PAGE) != _etag(client, PAGE, kind="gp_practice")
    assert _etag(client, JSON) != _etag(client, CSV) != _etag(client, PAGE)
    assert _etag(client, PAGE, utm_source="x") == _etag(client, PAGE)


@pytest.mark.parametrize("url", EVERYTHING)
def test_a_newly_published_report_changes_the_answer(client: Client, medway: Episode, url: str, today: date) -> None:
    before = client.get(url)
    published_report(medway, date(2026, 1, 1) if today.year > 2026 else date(2025, 1, 1))
    after = client.get(url)
    assert before["ETag"] != after["ETag"] and before.content != after.content


@pytest.mark.parametrize("url", [PAGE, JSON, API])
def test_a_new_rating_exit_or_episode_changes_the_answer(
    client: Client, medway: Episode, decider: User, url: str, today: date
) -> None:
    tags = [_etag(client, url)]
    rated(medway.provider, decider, "requires_improvement", today - timedelta(days=1))
    tags.append(_etag(client, url))
    exited = Episode.objects.get(pk=medway.pk)  # saved as the services save it
    exited.status, exited.exited_on = EpisodeStatus.EXITED, today
    exited.save()
    tags.append(_etag(client, url))
    other = OrganisationFactory.create(ods_code="RNW")
    episode(other, decider, today - timedelta(days=3))
    tags.append(_etag(client, url))
    assert len(set(tags)) == 4


def test_a_browser_with_the_current_answer_gets_a_304(client: Client, register: list[Episode]) -> None:
    for url in EVERYTHING:
        tag = _etag(client, url)
        assert client.get(url, HTTP_IF_NONE_MATCH=tag).status_code == 304


def test_a_cached_answer_costs_no_query(
    client: Client, register: list[Episode], django_assert_num_queries: Any
) -> None:
    for url in EVERYTHING:
        first = client.get(url)
        with django_assert_num_queries(0):
            again = client.get(url)
        assert again.content == first.content


def test_two_look_alike_providers_never_share_an_answer(
    client: Client, cqc: Organisation, decider: User, today: date
) -> None:
    regulator = member(cqc, Role.REGULATOR_DECISION_MAKER, full_name="Reg")
    first = OrganisationFactory.create(
        name="The Surgery", ods_code="F84002", kind=OrganisationKind.GP_PRACTICE, region=Region.LONDON
    )
    episode(first, regulator, date(2025, 2, 1))
    before = client.get(PAGE, {"region": "london"}).content.decode()
    second = OrganisationFactory.create(
        name="The Surgery", ods_code="F84003", kind=OrganisationKind.GP_PRACTICE, region=Region.LONDON
    )
    episode(second, regulator, date(2025, 3, 1))
    after = client.get(PAGE, {"region": "london"}).content.decode()
    assert "/providers/F84003/" not in before and "/providers/F84003/" in after and "/providers/F84002/" in after


# --- Query budgets ----------------------------------------------------------------------------------------------


def _add(decider: User, monitor: Organisation, today: date, prefix: str, n: int) -> None:
    """``n`` trusts in special measures, each with a published report and a published rating."""
    for i in range(n):
        trust = OrganisationFactory.create(ods_code=f"{prefix}{i:03d}", oversight_body=monitor)
        found = episode(trust, decider, today - timedelta(days=i + 10))
        published_report(found, date(2025, 1, 1))
        rated(trust, decider, "inadequate", today - timedelta(days=i + 1))


def _queries_of(client: Client, url: str) -> int:
    """The queries of an answer built afresh, the public site version being known (it is worked out once per change
    for the whole site: ``test_public_site_version.py``)."""
    cache.clear()
    public_site_state()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", [PAGE, JSON, CSV, API, FEED])
def test_the_query_count_does_not_grow_with_the_register(
    client: Client, decider: User, monitor: Organisation, today: date, url: str, django_assert_num_queries: Any
) -> None:
    _add(decider, monitor, today, "F", 2)
    few = _queries_of(client, url)
    assert few <= 4
    _add(decider, monitor, today, "M", 30)
    assert _queries_of(client, url) == few


def test_with_the_page_cache_off_every_answer_is_built_afresh(
    client: Client, register: list[Episode], settings: Any, django_assert_num_queries: Any
) -> None:
    settings.PUBLIC_PAGE_CACHE = False
    first = client.get(PAGE)
    with django_assert_num_queries(3):
        again = client.get(PAGE)
    assert again.content == first.content and again["ETag"] == first["ETag"]


def test_the_home_page_and_the_navigation_link_to_the_register(client: Client) -> None:
    body = client.get(reverse("public:home")).content.decode()
    assert body.count(f'href="{PAGE}"') == 2


def test_a_provider_renamed_or_moved_changes_the_answer(client: Client, medway: Episode) -> None:
    before = client.get(PAGE)
    organisation_update(
        actor=None,
        organisation=medway.provider,
        name="Medway Maritime NHS Foundation Trust",
        region=Region.SOUTH_EAST,
        oversight_body=medway.provider.oversight_body,
    )
    after = client.get(PAGE)
    assert before["ETag"] != after["ETag"] and "Medway Maritime NHS Foundation Trust" in after.content.decode()


def test_two_look_alike_providers_never_share_a_provider_page(client: Client, cqc: Organisation, decider: User) -> None:
    regulator = member(cqc, Role.REGULATOR_DECISION_MAKER, full_name="Reg")
    pages = {}
    for ods_code, entered_on in (("F84004", date(2025, 2, 1)), ("F84005", date(2025, 6, 1))):
        surgery = OrganisationFactory.create(
            name="The Surgery", ods_code=ods_code, kind=OrganisationKind.GP_PRACTICE, region=Region.LONDON
        )
        episode(surgery, regulator, entered_on)
        pages[ods_code] = client.get(reverse("provider-public", args=[ods_code]))
    assert pages["F84004"]["ETag"] != pages["F84005"]["ETag"]
    assert long_date(date(2025, 2, 1)) in pages["F84004"].content.decode()
    assert long_date(date(2025, 6, 1)) in pages["F84005"].content.decode()
    assert long_date(date(2025, 2, 1)) not in pages["F84005"].content.decode()


def test_a_published_rating_changes_the_provider_page_s_tag(
    client: Client, medway: Episode, decider: User, today: date
) -> None:
    url = reverse("provider-public", args=[medway.provider.ods_code])
    first = client.get(url)
    rated(medway.provider, decider, "requires_improvement", today)
    rerated = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert rerated.status_code == 200 and rerated["ETag"] != first["ETag"]
    assert "Its latest rating here is <strong>Requires improvement</strong>" in rerated.content.decode()
    assert '<dt class="nhsuk-summary-list__key">Is it well led?</dt>' in rerated.content.decode()
