"""Input that cannot be text is refused with a 400 everywhere, and pages that may carry personal data are never
stored by a browser or a shared cache, while public pages keep their public caching."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils.functional import SimpleLazyObject
from rest_framework.test import APIClient

from accounts.models import User
from failure_regime.middleware import NoStoreMiddleware

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]

PUBLIC_URLS = ["/", "/contact-us/", "/notices/", "/search/", "/privacy/", "/join-a-review/", "/sign-in/"]
STAFF_URLS = ["/staff/", "/staff/organisations/", "/staff/enquiries/"]
API_URLS = ["/api/v1/public-notices/", "/api/v1/me/", "/api/v1/cases/"]
BAD_QUERIES = ["?q=%00", "?provider=%00", "?page=%00", "?x=%ff%fe", "?q=%ed%a0%80", "?q=ok&%00=x"]


@pytest.mark.parametrize("query", BAD_QUERIES)
@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_it_refuses_unreadable_queries_on_public_pages(url: str, query: str, client: Client) -> None:
    response = client.get(url + query)
    assert response.status_code == 400
    assert b"Sorry, we could not read that request" in response.content


@pytest.mark.parametrize("query", BAD_QUERIES)
@pytest.mark.parametrize("url", STAFF_URLS)
def test_it_refuses_unreadable_queries_on_staff_pages(
    url: str, query: str, regulator: User, client_for: ClientFor
) -> None:
    assert client_for(regulator).get(url + query).status_code == 400


@pytest.mark.parametrize("query", BAD_QUERIES)
@pytest.mark.parametrize("url", API_URLS)
def test_it_refuses_unreadable_queries_in_the_api_with_json(
    url: str, query: str, regulator: User, api_client_for: Callable[[User], APIClient]
) -> None:
    response = api_client_for(regulator).get(url + query)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_it_still_reads_ordinary_text_in_a_query(client: Client) -> None:
    assert client.get("/search/?q=caf%C3%A9+ward").status_code == 200


def test_it_refuses_a_nul_in_a_form_field(client: Client) -> None:
    response = client.post("/contact-us/", {"name": "Alex\x00", "worry": "x"})
    assert response.status_code == 400


def test_it_refuses_a_form_body_that_is_not_utf8(client: Client) -> None:
    response = client.post("/contact-us/", b"name=%ff%fe", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


# --- Cache-Control --------------------------------------------------------------------------------------------


def _not_stored(response: object) -> bool:
    cache_control = response["Cache-Control"]  # type: ignore[index]
    return "no-store" in cache_control and "public" not in cache_control and response["Pragma"] == "no-cache"  # type: ignore[index]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_it_keeps_staff_pages_out_of_caches(url: str, regulator: User, client_for: ClientFor) -> None:
    assert _not_stored(client_for(regulator).get(url))


def test_it_keeps_the_api_account_out_of_caches(regulator: User, api_client_for: Callable[[User], APIClient]) -> None:
    assert _not_stored(api_client_for(regulator).get("/api/v1/me/"))


def test_it_keeps_the_sign_in_page_out_of_caches(client: Client) -> None:
    assert _not_stored(client.get("/sign-in/"))


def test_it_keeps_an_answer_to_a_sent_form_out_of_caches(client: Client) -> None:
    assert _not_stored(client.post("/contact-us/", {"name": "Alex Example"}))


def test_it_keeps_any_page_that_read_a_signed_in_user_out_of_caches(regulator: User, rf: RequestFactory) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse(str(request.user.is_authenticated))
        response["Cache-Control"] = "public, max-age=300"
        return response

    request = rf.get("/join-a-review/")
    request.user = SimpleLazyObject(lambda: regulator)  # type: ignore[assignment]
    assert _not_stored(NoStoreMiddleware(view)(request))


def test_it_leaves_a_public_page_that_read_no_session_publicly_cached(client_for: ClientFor, regulator: User) -> None:
    """A page that never read the session is the same for everyone, signed in or not."""
    assert "public" in client_for(regulator).get("/privacy/")["Cache-Control"]


@pytest.mark.parametrize("url", ["/", "/notices/", "/privacy/", "/api/v1/public-notices/"])
def test_it_leaves_public_pages_publicly_cached(url: str, client: Client) -> None:
    cache_control = client.get(url)["Cache-Control"]
    assert "public" in cache_control and "max-age" in cache_control and "no-store" not in cache_control
