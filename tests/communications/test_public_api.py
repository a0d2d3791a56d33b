"""The public notices API: open to anyone, read-only, and showing only the public record: never a draft, an
embargoed notice or anything about the people who wrote or approved it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from communications.models import Notice, NoticeKind
from communications.public_cache import public_site_state
from communications.services.notices import notice_draft, notice_submit, notice_withdraw
from failure_regime.models import Case
from tests.communications.conftest import NOTICE_TEXT, published_notice

pytestmark = pytest.mark.django_db

LIST = reverse("api:public-notice-list")


def detail(notice: Notice) -> str:
    return reverse("api:public-notice-detail", args=[notice.pk])


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def ids(api: APIClient, **params: Any) -> list[int]:
    response = api.get(LIST, params)
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def embargoed(triggered_case: Case, comms_officer: User, comms_lead: User) -> Notice:
    return published_notice(triggered_case, comms_officer, comms_lead, publish_at=timezone.now() + timedelta(hours=1))


def test_anyone_lists_published_notices(api: APIClient, published: Notice) -> None:
    assert ids(api) == [published.pk]


def test_a_draft_is_not_listed(api: APIClient, triggered_case: Case, comms_officer: User) -> None:
    notice = notice_draft(actor=comms_officer, case=triggered_case, kind=NoticeKind.GUIDANCE, text=NOTICE_TEXT)
    notice_submit(actor=comms_officer, notice=notice)
    assert ids(api) == []


def test_an_embargoed_notice_is_not_listed(api: APIClient, embargoed: Notice) -> None:
    assert ids(api) == []


def test_an_embargoed_notice_is_listed_once_its_time_comes(api: APIClient, embargoed: Notice) -> None:
    ids(api)
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        assert ids(api) == [embargoed.pk]


def test_an_embargoed_notice_is_not_found(api: APIClient, embargoed: Notice) -> None:
    assert api.get(detail(embargoed)).status_code == 404


def test_a_draft_is_not_found(api: APIClient, draft: Notice) -> None:
    response = api.get(detail(draft))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_published_notice_has_its_text(api: APIClient, published: Notice) -> None:
    body = api.get(detail(published)).json()
    assert "<strong>maternity care</strong>" in body["body_html"] and body["leads"][0]["organisation"] == (
        "Care Quality Commission"
    )


def test_the_api_names_no_person(api: APIClient, published: Notice, comms_officer: User, comms_lead: User) -> None:
    text = api.get(detail(published)).content.decode() + api.get(LIST).content.decode()
    for person in (comms_officer, comms_lead):
        assert person.full_name not in text and person.email not in text


def test_a_withdrawn_notice_is_marked_and_has_no_text(api: APIClient, published: Notice, comms_lead: User) -> None:
    notice_withdraw(actor=comms_lead, notice=published, reason="Replaced by a wider review.")
    body = api.get(detail(published)).json()
    assert (body["withdrawn"], body["body_html"], body["withdrawal_reason"]) == (
        True,
        "",
        "Replaced by a wider review.",
    )


def test_the_list_filters_by_kind(api: APIClient, triggered_case: Case, comms_officer: User, comms_lead: User) -> None:
    guidance = published_notice(triggered_case, comms_officer, comms_lead, kind=NoticeKind.GUIDANCE)
    published_notice(triggered_case, comms_officer, comms_lead)
    assert ids(api, kind=NoticeKind.GUIDANCE) == [guidance.pk]


def test_the_list_searches_titles(api: APIClient, triggered_case: Case, comms_officer: User, comms_lead: User) -> None:
    wanted = published_notice(
        triggered_case, comms_officer, comms_lead, text=replace(NOTICE_TEXT, title="Questions families ask")
    )
    published_notice(triggered_case, comms_officer, comms_lead)
    assert ids(api, q="families ask") == [wanted.pk]


def test_a_made_up_kind_is_a_clear_400(api: APIClient, published: Notice) -> None:
    response = api.get(LIST, {"kind": "gossip"})
    assert response.status_code == 400 and "kind" in response.json()["errors"]


def test_a_nul_byte_in_a_search_is_a_400(api: APIClient, published: Notice) -> None:
    assert api.get(LIST, {"q": "a\x00b"}).status_code == 400


def test_a_huge_id_is_not_found(api: APIClient) -> None:
    assert api.get("/api/v1/public-notices/999999999999999999/").status_code == 404


def test_the_api_writes_nothing(api: APIClient, published: Notice) -> None:
    assert api.post(LIST, {}).status_code == 405


def test_api_answers_may_be_cached_by_anyone(api: APIClient, published: Notice) -> None:
    response = api.get(detail(published))
    assert "public" in response["Cache-Control"] and response["ETag"]


def test_api_answers_set_no_cookie_and_do_not_vary_by_cookie(api: APIClient, published: Notice) -> None:
    response = api.get(LIST)
    assert not response.cookies and "cookie" not in response.get("Vary", "").lower()


def test_api_answers_304_when_unchanged(api: APIClient, published: Notice) -> None:
    etag = api.get(LIST)["ETag"]
    assert api.get(LIST, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_signed_in_caller_gets_the_same_public_answer(
    api_client_for: Any, published: Notice, trust_manager: User
) -> None:
    response = api_client_for(trust_manager).get(LIST)
    assert [row["id"] for row in response.json()["results"]] == [published.pk] and not response.cookies


def test_the_list_keeps_a_fixed_query_budget(
    api: APIClient,
    triggered_case: Case,
    comms_officer: User,
    comms_lead: User,
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(5):
        published_notice(triggered_case, comms_officer, comms_lead)
    public_site_state()  # worked out once per change for the whole site, not per page
    with django_assert_max_num_queries(2):
        api.get(LIST)
