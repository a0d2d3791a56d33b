"""The public site: home, notices with search and filters, a notice's page, provider pages, the feed and open data.
Nothing unapproved or embargoed is ever shown; pages are cached for everyone and set no cookies."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, User
from communications.models import Notice, NoticeKind, SupportService
from communications.public_cache import public_site_state
from communications.services.notices import (
    notice_approve,
    notice_correct,
    notice_draft,
    notice_publish,
    notice_submit,
    notice_withdraw,
)
from communications.services.support import support_service_deactivate, support_service_link_to_case
from communications.views import site
from failure_regime.models import Case
from tests.communications.conftest import NOTICE_TEXT, approved_notice, published_notice

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
SECRET = replace(NOTICE_TEXT, title="Embargoed: maternity review findings", summary="Not yet for the public.")
DRAFTED = replace(NOTICE_TEXT, title="A draft nobody has approved", summary="Still being written.")


def html(client: Client, url: str, **params: Any) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def notice_url(notice: Notice) -> str:
    return reverse("communications:notice-detail", args=[notice.pk])


@pytest.fixture
def embargoed(triggered_case: Case, comms_officer: User, comms_lead: User) -> Notice:
    return published_notice(
        triggered_case, comms_officer, comms_lead, publish_at=timezone.now() + timedelta(hours=3), text=SECRET
    )


@pytest.fixture
def unapproved(triggered_case: Case, comms_officer: User) -> Notice:
    notice = notice_draft(actor=comms_officer, case=triggered_case, kind=NoticeKind.GUIDANCE, text=DRAFTED)
    notice_submit(actor=comms_officer, notice=notice)
    return notice


@pytest.fixture
def approved_unpublished(triggered_case: Case, comms_officer: User, comms_lead: User) -> Notice:
    return approved_notice(triggered_case, comms_officer, comms_lead, text=replace(DRAFTED, title="Approved, unsent"))


PUBLIC_LISTS = [
    reverse("public:home"),
    reverse("communications:notice-list"),
    reverse("communications:feed"),
    reverse("communications:open-data-json"),
    reverse("communications:open-data-csv"),
]


# --- Nothing unapproved or embargoed is public ------------------------------------------------------


@pytest.mark.parametrize("url", PUBLIC_LISTS)
def test_a_published_notice_is_listed(client: Client, published: Notice, url: str) -> None:
    assert NOTICE_TEXT.title in html(client, url)


@pytest.mark.parametrize("url", PUBLIC_LISTS)
def test_an_embargoed_notice_is_not_listed(client: Client, embargoed: Notice, url: str) -> None:
    assert SECRET.title not in html(client, url)


@pytest.mark.parametrize("url", PUBLIC_LISTS)
def test_a_notice_in_review_is_not_listed(client: Client, unapproved: Notice, url: str) -> None:
    assert DRAFTED.title not in html(client, url)


@pytest.mark.parametrize("url", PUBLIC_LISTS)
def test_an_approved_notice_not_yet_published_is_not_listed(
    client: Client, approved_unpublished: Notice, url: str
) -> None:
    assert "Approved, unsent" not in html(client, url)


@pytest.mark.parametrize("url", PUBLIC_LISTS)
def test_an_embargoed_notice_is_listed_once_its_time_comes(client: Client, embargoed: Notice, url: str) -> None:
    html(client, url)  # cached before the embargo lifts
    with time_machine.travel(timezone.now() + timedelta(hours=3, seconds=1)):
        assert SECRET.title in html(client, url)


def test_an_embargoed_notice_has_no_page(client: Client, embargoed: Notice) -> None:
    assert client.get(notice_url(embargoed)).status_code == 404


def test_an_embargoed_notice_has_a_page_once_its_time_comes(client: Client, embargoed: Notice) -> None:
    with time_machine.travel(timezone.now() + timedelta(hours=3, seconds=1)):
        assert SECRET.summary in html(client, notice_url(embargoed))


def test_a_notice_in_review_has_no_page(client: Client, unapproved: Notice) -> None:
    assert client.get(notice_url(unapproved)).status_code == 404


def test_an_unknown_notice_has_no_page(client: Client) -> None:
    assert client.get(reverse("communications:notice-detail", args=[999999])).status_code == 404


# --- Home -------------------------------------------------------------------------------------------


def test_the_home_page_links_to_support_and_contact(client: Client) -> None:
    page = html(client, reverse("public:home"))
    assert reverse("communications:support") in page and reverse("communications:enquiry-new") in page


def test_the_home_page_search_box_is_a_get_form_without_a_csrf_token(client: Client) -> None:
    page = html(client, reverse("public:home"))
    assert f'action="{reverse("communications:search")}" method="get"' in page
    assert "csrfmiddlewaretoken" not in page


# --- Search, filters and pages ----------------------------------------------------------------------


@pytest.fixture
def two_notices(
    triggered_case: Case, comms_officer: User, comms_lead: User, provider: Organisation
) -> tuple[Notice, Notice]:
    first = published_notice(triggered_case, comms_officer, comms_lead)
    other = published_notice(
        triggered_case,
        comms_officer,
        comms_lead,
        kind=NoticeKind.GUIDANCE,
        text=replace(NOTICE_TEXT, title="Guidance for families", summary="How to ask for a review of care."),
    )
    return first, other


def test_search_finds_a_notice_by_its_title(client: Client, two_notices: tuple[Notice, Notice]) -> None:
    page = html(client, reverse("communications:notice-list"), q="guidance for")
    assert "Guidance for families" in page and NOTICE_TEXT.title not in page


def test_search_finds_a_notice_by_its_summary(client: Client, two_notices: tuple[Notice, Notice]) -> None:
    page = html(client, reverse("communications:notice-list"), q="review ask")
    assert "Guidance for families" in page and NOTICE_TEXT.title not in page


def test_the_kind_filter_leaves_out_other_kinds(client: Client, two_notices: tuple[Notice, Notice]) -> None:
    page = html(client, reverse("communications:notice-list"), kind=NoticeKind.FAILURE_NOTICE)
    assert NOTICE_TEXT.title in page and "Guidance for families" not in page


def test_the_provider_filter_takes_an_ods_code(
    client: Client, two_notices: tuple[Notice, Notice], provider: Organisation
) -> None:
    assert "2 notices found" in html(client, reverse("communications:notice-list"), provider=provider.ods_code)


def test_the_provider_filter_leaves_out_other_providers(client: Client, two_notices: tuple[Notice, Notice]) -> None:
    assert "0 notices found" in html(client, reverse("communications:notice-list"), provider="Far Shire")


def test_the_region_filter_leaves_out_other_regions(client: Client, two_notices: tuple[Notice, Notice]) -> None:
    assert "0 notices found" in html(client, reverse("communications:notice-list"), region="london")


def test_a_made_up_kind_is_refused_with_a_message(client: Client, two_notices: tuple[Notice, Notice]) -> None:
    assert "Select a valid choice" in html(client, reverse("communications:notice-list"), kind="gossip")


def test_the_list_is_paginated(
    client: Client, two_notices: tuple[Notice, Notice], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site, "NOTICES_PER_PAGE", 1)
    page = html(client, reverse("communications:notice-list"), page=2)
    assert NOTICE_TEXT.title in page and "Guidance for families" not in page and "(page 2 of 2)" in page


def test_the_next_page_link_keeps_the_filters_but_no_other_parameter(
    client: Client, two_notices: tuple[Notice, Notice], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site, "NOTICES_PER_PAGE", 1)
    page = html(client, reverse("communications:notice-list"), region="", utm_source="news")
    assert "page=2" in page and "utm_source" not in page


def test_the_list_keeps_a_fixed_query_budget(
    client: Client,
    triggered_case: Case,
    comms_officer: User,
    comms_lead: User,
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(6):
        published_notice(triggered_case, comms_officer, comms_lead)
    public_site_state()  # worked out once per change for the whole site, not per page (see test_public_site_version.py)
    with django_assert_max_num_queries(3):
        client.get(reverse("communications:notice-list"), {"q": "maternity"})


# --- A notice's page --------------------------------------------------------------------------------


def test_the_page_says_what_happened_and_what_is_being_done(client: Client, published: Notice) -> None:
    page = html(client, notice_url(published))
    assert "<strong>maternity care</strong>" in page and "An independent team is reviewing" in page


def test_the_page_names_the_lead_organisations_not_people(
    client: Client, published: Notice, comms_lead: User, comms_officer: User
) -> None:
    page = html(client, notice_url(published))
    assert "Care Quality Commission" in page
    assert comms_lead.full_name not in page and comms_officer.full_name not in page


def test_the_page_shows_the_cases_support_services(
    client: Client, published: Notice, helpline: SupportService, liaison_officer: User, triggered_case: Case
) -> None:
    support_service_link_to_case(actor=liaison_officer, service=helpline, case=triggered_case)
    assert "Maternity families helpline" in html(client, notice_url(published))


def test_the_page_leaves_out_a_service_no_longer_offered(
    client: Client, published: Notice, helpline: SupportService, liaison_officer: User, triggered_case: Case
) -> None:
    support_service_link_to_case(actor=liaison_officer, service=helpline, case=triggered_case)
    support_service_deactivate(actor=liaison_officer, service=helpline)
    assert "Maternity families helpline" not in html(client, notice_url(published))


def test_the_page_links_to_support_and_contact(client: Client, published: Notice) -> None:
    page = html(client, notice_url(published))
    assert reverse("communications:support") in page and reverse("communications:enquiry-new") in page


def test_markup_in_a_notice_is_shown_as_text(
    client: Client, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    text = replace(NOTICE_TEXT, body_markdown="<script>alert('x')</script> [click](javascript:alert(1))")
    page = html(client, notice_url(published_notice(triggered_case, comms_officer, comms_lead, text=text)))
    assert "<script>alert" not in page and "javascript:" not in page.replace("[click](javascript:", "")


@pytest.fixture
def corrected(published: Notice, comms_officer: User, comms_lead: User) -> Notice:
    text = replace(NOTICE_TEXT, summary="The review began in March.", correction_note="We gave the wrong month.")
    notice_correct(actor=comms_officer, notice=published, text=text)
    notice_submit(actor=comms_officer, notice=published)
    notice_approve(actor=comms_lead, notice=published)
    notice_publish(actor=comms_officer, notice=published)
    return published


def test_a_corrected_page_shows_the_correction_and_its_note(client: Client, corrected: Notice) -> None:
    page = html(client, notice_url(corrected))
    assert "The review began in March." in page and "We gave the wrong month." in page


def test_a_corrected_page_no_longer_shows_the_old_words(client: Client, corrected: Notice) -> None:
    assert NOTICE_TEXT.summary not in html(client, notice_url(corrected))


def test_a_withdrawn_notice_shows_the_withdrawal_note(client: Client, published: Notice, comms_lead: User) -> None:
    notice_withdraw(actor=comms_lead, notice=published, reason="Replaced by a wider review.")
    page = html(client, notice_url(published))
    assert "This notice was withdrawn" in page and "Replaced by a wider review." in page


def test_a_withdrawn_notice_no_longer_shows_what_it_said(client: Client, published: Notice, comms_lead: User) -> None:
    notice_withdraw(actor=comms_lead, notice=published, reason="Replaced by a wider review.")
    assert "An independent team is reviewing" not in html(client, notice_url(published))


def test_a_notice_withdrawn_while_embargoed_never_has_a_page(
    client: Client, embargoed: Notice, comms_lead: User
) -> None:
    notice_withdraw(actor=comms_lead, notice=embargoed, reason="Published by mistake.")
    with time_machine.travel(timezone.now() + timedelta(hours=4)):
        assert client.get(notice_url(embargoed)).status_code == 404


def test_the_page_keeps_a_fixed_query_budget(
    client: Client,
    corrected: Notice,
    helpline: SupportService,
    liaison_officer: User,
    triggered_case: Case,
    django_assert_max_num_queries: Any,
) -> None:
    support_service_link_to_case(actor=liaison_officer, service=helpline, case=triggered_case)
    public_site_state()  # worked out once per change for the whole site, not per page
    with django_assert_max_num_queries(5):
        client.get(notice_url(corrected))


# --- Provider pages ---------------------------------------------------------------------------------


def test_the_provider_page_lists_its_published_notices(
    client: Client, published: Notice, provider: Organisation
) -> None:
    assert NOTICE_TEXT.title in html(client, reverse("provider-public", args=[provider.ods_code]))


def test_the_provider_page_leaves_out_an_embargoed_notice(
    client: Client, embargoed: Notice, provider: Organisation
) -> None:
    assert SECRET.title not in html(client, reverse("provider-public", args=[provider.ods_code]))


def test_publishing_a_notice_changes_the_provider_pages_etag(
    client: Client, approved_unpublished: Notice, comms_officer: User, provider: Organisation
) -> None:
    url = reverse("provider-public", args=[provider.ods_code])
    etag = client.get(url)["ETag"]
    notice_publish(actor=comms_officer, notice=approved_unpublished)
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "Approved, unsent" in response.content.decode()


# --- Feed and open data -----------------------------------------------------------------------------


def test_the_feed_is_atom(client: Client, published: Notice) -> None:
    response = client.get(reverse("communications:feed"))
    assert response["Content-Type"].startswith("application/atom+xml")


def test_open_data_json_has_the_published_fields_and_no_more(client: Client, published: Notice) -> None:
    body = json.loads(client.get(reverse("communications:open-data-json")).content)
    assert set(body["notices"][0]) == {
        "id",
        "kind",
        "title",
        "summary",
        "provider_ods_code",
        "provider_name",
        "region",
        "published_at",
        "last_updated_at",
        "url",
        "correction_count",
        "withdrawn",
    }


def test_open_data_counts_corrections(client: Client, corrected: Notice) -> None:
    body = json.loads(client.get(reverse("communications:open-data-json")).content)
    assert body["notices"][0]["correction_count"] == 1


def test_open_data_marks_a_withdrawn_notice_and_leaves_out_its_summary(
    client: Client, published: Notice, comms_lead: User
) -> None:
    notice_withdraw(actor=comms_lead, notice=published, reason="Replaced.")
    row = json.loads(client.get(reverse("communications:open-data-json")).content)["notices"][0]
    assert (row["withdrawn"], row["summary"]) == (True, "")


def test_open_data_names_no_person(client: Client, published: Notice, comms_officer: User, comms_lead: User) -> None:
    for url in (reverse("communications:open-data-json"), reverse("communications:open-data-csv")):
        body = html(client, url)
        for person in (comms_officer, comms_lead):
            assert person.full_name not in body and person.email not in body


def test_open_data_csv_has_a_row_per_notice(client: Client, two_notices: tuple[Notice, Notice]) -> None:
    rows = list(csv.DictReader(io.StringIO(html(client, reverse("communications:open-data-csv")))))
    assert {row["title"] for row in rows} == {NOTICE_TEXT.title, "Guidance for families"}


def test_open_data_csv_defuses_a_formula(
    client: Client, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    published_notice(triggered_case, comms_officer, comms_lead, text=replace(NOTICE_TEXT, title="=HYPERLINK(1)"))
    rows = list(csv.DictReader(io.StringIO(html(client, reverse("communications:open-data-csv")))))
    assert rows[0]["title"] == "'=HYPERLINK(1)"


# --- Caching and cookies ----------------------------------------------------------------------------

CACHED_URLS = [*PUBLIC_LISTS, "notice", "provider"]


def _url(name: str, notice: Notice) -> str:
    if name == "notice":
        return notice_url(notice)
    if name == "provider":
        return reverse("provider-public", args=[notice.provider.ods_code])
    return name


@pytest.mark.parametrize("name", CACHED_URLS)
def test_public_responses_may_be_cached_by_anyone(client: Client, published: Notice, name: str) -> None:
    response = client.get(_url(name, published))
    assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"] and response["ETag"]


@pytest.mark.parametrize("name", CACHED_URLS)
def test_public_responses_set_no_cookie_and_do_not_vary_by_cookie(client: Client, published: Notice, name: str) -> None:
    response = client.get(_url(name, published))
    assert not response.cookies and "cookie" not in response.get("Vary", "").lower()


@pytest.mark.parametrize("name", CACHED_URLS)
def test_a_signed_in_visit_to_a_public_page_sets_no_cookie(
    client_for: ClientFor, published: Notice, trust_manager: User, name: str
) -> None:
    client = client_for(trust_manager)
    client.get(reverse("staff-home"))
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        response = client.get(_url(name, published))
    assert response.status_code == 200 and not response.cookies


@pytest.mark.parametrize("name", CACHED_URLS)
def test_public_responses_answer_304_when_unchanged(client: Client, published: Notice, name: str) -> None:
    etag = client.get(_url(name, published))["ETag"]
    assert client.get(_url(name, published), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_cached_page_is_served_without_the_database(
    client: Client, published: Notice, django_assert_num_queries: Any
) -> None:
    client.get(reverse("communications:notice-list"))
    with django_assert_num_queries(0):
        client.get(reverse("communications:notice-list"))


def test_a_cached_page_is_sent_gzipped_to_a_browser_that_accepts_it(client: Client, published: Notice) -> None:
    url = reverse("communications:notice-list")
    plain = client.get(url)
    gzipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert gzipped["Content-Encoding"] == "gzip" and "Accept-Encoding" in gzipped["Vary"]
    assert gzip.decompress(gzipped.content) == plain.content
    assert int(gzipped["Content-Length"]) == len(gzipped.content)
    assert gzipped["ETag"] == f"W/{plain['ETag']}"


def test_a_browser_that_does_not_accept_gzip_gets_the_page_as_it_is(client: Client, published: Notice) -> None:
    url = reverse("communications:notice-list")
    client.get(url)
    again = client.get(url, HTTP_ACCEPT_ENCODING="identity")
    assert not again.has_header("Content-Encoding") and "<h1" in again.content.decode()


def test_the_gzipped_copy_answers_304_to_its_tag(client: Client, published: Notice) -> None:
    url = reverse("communications:notice-list")
    client.get(url)
    tag = client.get(url, HTTP_ACCEPT_ENCODING="gzip")["ETag"]
    assert client.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=tag).status_code == 304


def test_publishing_refreshes_cached_pages_at_once(
    client: Client,
    approved_unpublished: Notice,
    comms_officer: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.get(reverse("communications:notice-list"))
    with django_capture_on_commit_callbacks(execute=True):
        notice_publish(actor=comms_officer, notice=approved_unpublished)
    assert "Approved, unsent" in html(client, reverse("communications:notice-list"))


def test_the_trivial_page_answers_ok(client: Client) -> None:
    assert client.get(reverse("communications:ping")).content == b"ok"
