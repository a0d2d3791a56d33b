"""The public list of providers at /providers/: every provider with something public (a published notice, special
measures now or in the past, published findings) and no other, in groups, alphabetically, each told in one line and
linked to its page; open to anyone, naming no person, cached, and costing the same queries for few providers or
many."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind, Region, Role, User
from communications.models import Notice
from communications.public_cache import forget_local_state
from communications.selectors.provider_list import NOW, PAST, RESPONSE, public_provider_listings
from communications.services.notices import notice_publish
from failure_regime.dates import long_date
from failure_regime.models import Case, ClosureReason, EpisodeStatus
from failure_regime.services.cases import case_close
from reviews.models import Cohort, FindingsSummary
from tests.communications.conftest import approved_notice, published_notice
from tests.communications.test_special_measures_register import DIRECTOR, episode
from tests.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

LIST = reverse("communications:provider-list")
DECIDER = "Dora Decider-Secret"


@pytest.fixture
def decider(monitor: Organisation) -> User:
    return member(monitor, Role.OVERSIGHT_LEAD, full_name=DECIDER)


def trust(name: str, ods_code: str, region: str = Region.SOUTH_EAST) -> Organisation:
    return OrganisationFactory.create(name=name, ods_code=ods_code, kind=OrganisationKind.NHS_TRUST, region=region)


@pytest.fixture
def in_special_measures(decider: User) -> Organisation:
    medway = trust("Medway NHS Foundation Trust", "RPA")
    episode(medway, decider, date(2026, 3, 1))
    return medway


@pytest.fixture
def left_special_measures(decider: User) -> Organisation:
    home = trust("Meadowbank Care Home", "VDM01", Region.NORTH_WEST)
    episode(home, decider, date(2019, 5, 13), status=EpisodeStatus.EXITED, exited_on=date(2020, 3, 2))
    return home


def findings(case: Case, by: User, title: str = "Early findings of the case-note review") -> FindingsSummary:
    cohort, _ = Cohort.objects.get_or_create(
        case=case, defaults={"title": "Deaths 2019 to 2024", "created_by": by, "created_at": timezone.now()}
    )
    return FindingsSummary.objects.create(
        cohort=cohort, title=title, body="Most care was good.", patients_reviewed=20, published_by=by,
        published_at=timezone.now(),
    )  # fmt: skip


def page(client: Client, **params: str) -> str:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return response.content.decode()


def situation(ods_code: str) -> str:
    return next(listing.situation for listing in public_provider_listings() if listing.ods_code == ods_code)


def group(ods_code: str) -> str:
    return next(listing.group for listing in public_provider_listings() if listing.ods_code == ods_code)


# --- Who is listed, and how ---------------------------------------------------------------------------------


def test_it_says_since_when_a_provider_is_in_special_measures(in_special_measures: Organisation) -> None:
    assert situation("RPA") == "In special measures since 1 March 2026."


def test_a_provider_in_special_measures_is_in_the_first_group(in_special_measures: Organisation) -> None:
    assert group("RPA") == NOW


def test_it_counts_the_published_notices_of_a_response_under_way(
    published: Notice, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    published_notice(triggered_case, comms_officer, comms_lead)
    assert situation("RXX") == "Response under way: 2 notices."


def test_a_provider_with_a_response_under_way_is_in_the_second_group(published: Notice) -> None:
    assert group("RXX") == RESPONSE


def test_a_closed_case_is_a_finished_response_in_the_past(
    published: Notice, triggered_case: Case, regulator: User
) -> None:
    case_close(actor=regulator, case=triggered_case, reason=ClosureReason.COMPLETED, summary="Review finished.")
    assert (situation("RXX"), group("RXX")) == ("Response finished: 1 notice.", PAST)


def test_it_says_when_a_provider_left_special_measures(left_special_measures: Organisation) -> None:
    assert (situation("VDM01"), group("VDM01")) == ("Left special measures on 2 March 2020.", PAST)


def test_it_tells_everything_public_in_one_line(
    published: Notice, triggered_case: Case, provider: Organisation, decider: User, regulator: User
) -> None:
    episode(provider, decider, date(2026, 2, 1))
    findings(triggered_case, regulator)
    assert situation("RXX") == (
        "In special measures since 1 February 2026. Response under way: 1 notice. Review findings published."
    )


def test_it_lists_a_provider_whose_only_public_record_is_its_findings(
    case: Case, regulator: User, provider: Organisation
) -> None:
    findings(case, regulator)
    assert provider.name in page(Client())


def test_it_leaves_out_a_provider_with_nothing_public(
    client: Client, in_special_measures: Organisation, other_provider: Organisation
) -> None:
    assert other_provider.name not in page(client)


def test_it_leaves_out_a_provider_whose_only_notice_is_embargoed(
    client: Client, triggered_case: Case, comms_officer: User, comms_lead: User, provider: Organisation
) -> None:
    published_notice(triggered_case, comms_officer, comms_lead, publish_at=timezone.now() + timedelta(hours=2))
    assert provider.name not in page(client)


def test_it_leaves_out_a_provider_whose_only_notice_is_approved_but_unpublished(
    client: Client, triggered_case: Case, comms_officer: User, comms_lead: User, provider: Organisation
) -> None:
    approved_notice(triggered_case, comms_officer, comms_lead)
    assert provider.name not in page(client)


def test_it_lists_providers_alphabetically_within_a_group(decider: User) -> None:
    for name, code in (("Walsall Healthcare NHS Trust", "RBK"), ("Barking NHS Trust", "RF4"), ("medway", "RPA")):
        episode(trust(name, code), decider, date(2026, 1, 5))
    assert [listing.ods_code for listing in public_provider_listings()] == ["RF4", "RPA", "RBK"]


def test_it_links_each_provider_page(client: Client, in_special_measures: Organisation) -> None:
    assert f'href="{reverse("provider-public", args=["RPA"])}"' in page(client)


def test_it_shows_the_groups_in_order(
    client: Client, in_special_measures: Organisation, left_special_measures: Organisation, published: Notice
) -> None:
    body = page(client)
    headings = ("In special measures now", "Responses under way", "In the past")
    assert [body.index(f">{heading}</h2>") for heading in headings] == sorted(
        body.index(f">{heading}</h2>") for heading in headings
    )


def test_it_says_when_nothing_is_public(client: Client) -> None:
    assert "We have not published anything about a provider yet." in page(client)


# --- Filter -------------------------------------------------------------------------------------------------


def test_it_filters_by_region(
    client: Client, in_special_measures: Organisation, left_special_measures: Organisation
) -> None:
    body = page(client, region=Region.NORTH_WEST)
    assert left_special_measures.name in body and in_special_measures.name not in body


def test_an_unknown_region_is_a_form_error_not_a_failure(client: Client, in_special_measures: Organisation) -> None:
    response = client.get(LIST, {"region": "atlantis"})
    assert response.status_code == 400 and "nhsuk-error-summary" in response.content.decode()


# --- No person ----------------------------------------------------------------------------------------------


def test_it_names_no_person(
    client: Client, in_special_measures: Organisation, published: Notice, comms_officer: User, comms_lead: User
) -> None:
    body = page(client)
    for person in (DECIDER, DIRECTOR, comms_officer.full_name, comms_lead.full_name, comms_officer.email):
        assert person not in body


# --- Navigation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/notices/", "/special-measures/"])
def test_the_public_header_links_the_list(client: Client, url: str) -> None:
    assert f'<a class="nhsuk-header__navigation-link" href="{LIST}">Providers</a>' in page_at(client, url)


def page_at(client: Client, url: str) -> str:
    return client.get(url).content.decode()


def test_the_list_does_not_take_the_place_of_a_provider_page(client: Client, in_special_measures: Organisation) -> None:
    assert client.get(reverse("provider-public", args=["RPA"])).status_code == 200


# --- Caching and queries ------------------------------------------------------------------------------------


def test_it_may_be_cached_by_anyone_and_sets_no_cookie(client: Client, in_special_measures: Organisation) -> None:
    response = client.get(LIST)
    assert "public" in response["Cache-Control"] and response["ETag"] and not response.cookies


def test_it_answers_304_when_unchanged(client: Client, in_special_measures: Organisation) -> None:
    etag = client.get(LIST)["ETag"]
    assert client.get(LIST, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_publishing_a_notice_changes_the_list_at_once(
    client: Client,
    triggered_case: Case,
    comms_officer: User,
    comms_lead: User,
    provider: Organisation,
    django_capture_on_commit_callbacks: Any,
) -> None:
    notice = approved_notice(triggered_case, comms_officer, comms_lead)
    etag = client.get(LIST)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        notice_publish(actor=comms_officer, notice=notice)
    response = client.get(LIST, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and provider.name in response.content.decode()


def test_a_new_episode_changes_the_list_at_once(client: Client, decider: User, provider: Organisation) -> None:
    page(client)
    episode(provider, decider, date(2026, 4, 1))
    assert f"In special measures since {long_date(date(2026, 4, 1))}." in page(client)


def test_publishing_findings_changes_the_list_at_once(
    client: Client, case: Case, regulator: User, provider: Organisation
) -> None:
    page(client)
    findings(case, regulator)
    assert provider.name in page(client)


def test_a_cached_list_is_not_built_again(
    client: Client, in_special_measures: Organisation, django_assert_max_num_queries: Any
) -> None:
    page(client)
    with django_assert_max_num_queries(3):  # the versions the ETag is made of; no provider or episode is read
        page(client)


def _queries(client: Client) -> int:
    cache.clear()
    forget_local_state()
    with CaptureQueriesContext(connection) as queries:
        page(client)
    return len(queries)


def test_it_takes_the_same_few_queries_for_few_providers_or_many(
    client: Client, decider: User, published: Notice, regulator: User, triggered_case: Case
) -> None:
    episode(trust("First Trust", "RA1"), decider, date(2025, 1, 1))
    few = _queries(client)
    for n in range(12):
        found = trust(f"Trust number {n}", f"RB{n:02d}")
        episode(found, decider, date(2020, 1, 1), status=EpisodeStatus.EXITED, exited_on=date(2021, 1, 1))
        episode(found, decider, date(2024, 1, 1))
    findings(triggered_case, regulator)
    many = _queries(client)
    assert few == many and many <= 7


# --- Where the list and the provider pages lead ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["communications:provider-list", "reviews:summary-list", "reviews:join"])
def test_the_home_page_links_providers_findings_and_join_a_review(client: Client, name: str) -> None:
    assert f'href="{reverse(name)}"' in page_at(client, reverse("public:home"))


def provider_page(client: Client, provider: Organisation, etag: str = "") -> Any:
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(reverse("provider-public", args=[provider.ods_code]), headers=headers)


def test_the_provider_page_links_its_published_findings(
    client: Client, case: Case, regulator: User, provider: Organisation
) -> None:
    summary = findings(case, regulator)
    body = provider_page(client, provider).content.decode()
    assert f'href="{reverse("reviews:summary-detail", args=[summary.pk])}"' in body


def test_publishing_findings_changes_the_provider_pages_etag(
    client: Client, case: Case, regulator: User, provider: Organisation
) -> None:
    etag = provider_page(client, provider)["ETag"]
    findings(case, regulator, title="Findings published since")
    response = provider_page(client, provider, etag)
    assert response.status_code == 200 and "Findings published since" in response.content.decode()


def test_the_provider_page_links_the_register_once_it_has_been_in_special_measures(
    client: Client, left_special_measures: Organisation
) -> None:
    body = provider_page(client, left_special_measures).content.decode()
    assert f'href="{reverse("communications:special-measures")}">See the register' in body


def test_the_provider_page_links_the_search_of_its_notices(client: Client, published: Notice) -> None:
    body = provider_page(client, published.provider).content.decode()
    assert f'href="{reverse("communications:notice-list")}?provider={published.provider.ods_code}"' in body
