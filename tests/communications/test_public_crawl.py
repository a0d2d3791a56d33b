"""No public page is out of reach: with the demo data, a visitor who starts at the home page and follows links
(anonymous, no forms, no JavaScript) reaches every kind of public page and every provider the public can read about,
and no link they find fails.

The crawl follows every same-site ``<a href>`` breadth first. Staff pages, the admin, the API, sign-in and static
files are not followed. Feeds and open data are fetched and checked but not read for links (they are leaves). It
stops at ``MAX_PAGES``."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from communications.models import Notice
from communications.public_cache import forget_local_state
from failure_regime.demo import seed_demo
from failure_regime.models import Episode

# Marked so that the test database is set up; the crawl itself runs once, in the module's fixture.
pytestmark = pytest.mark.django_db

MAX_PAGES = 400
NOT_FOLLOWED = ("/staff/", "/admin/", "/api/", "/sign-in/", "/static/", "/assets/", "/media/")
LEAVES = (".atom", ".csv", ".json", ".ics")
# Links that are meant to answer 404 (none today): list them here with the reason.
DELIBERATE_404: frozenset[str] = frozenset()

_HREF = re.compile(r"<a\s[^>]*?href=\"([^\"]*)\"", re.IGNORECASE)


@dataclass
class Crawl:
    statuses: dict[str, int] = field(default_factory=dict)
    leaves: list[str] = field(default_factory=list)
    not_followed: set[str] = field(default_factory=set)
    found_on: dict[str, str] = field(default_factory=dict)
    # What should have been reached: the providers with an episode or a public notice, and the public notices.
    providers: set[str] = field(default_factory=set)
    notices: set[int] = field(default_factory=set)

    def reached(self, url_name: str, **kwargs: object) -> list[str]:
        """The crawled paths (200) served by the view named ``url_name``, with these URL arguments if given."""
        found = []
        for url, status in self.statuses.items():
            if status != 200:
                continue
            try:
                match = resolve(urlsplit(url).path)
            except Resolver404:
                continue
            if match.view_name == url_name and all(match.kwargs.get(k) == v for k, v in kwargs.items()):
                found.append(url)
        return found


def _same_site(base: str, href: str) -> str | None:
    """The link as a path with its query (no fragment), or None for another site, an e-mail address or a phone."""
    absolute = urljoin("http://testserver" + base, unescape(href.strip()))
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or parts.netloc != "testserver":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(client: Client, start: str = "/") -> Crawl:
    result = Crawl()
    queue = deque([start])
    seen = {start}
    while queue and len(result.statuses) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        result.statuses[url] = response.status_code
        if response.status_code in (301, 302, 303, 307, 308):
            links = [response["Location"]]
        elif urlsplit(url).path.endswith(LEAVES) or "html" not in response.get("Content-Type", ""):
            result.leaves.append(url)
            continue
        elif response.status_code != 200:
            continue
        else:
            links = _HREF.findall(response.content.decode())
        for href in links:
            target = _same_site(urlsplit(url).path, href)
            if target is None or target in seen:
                continue
            seen.add(target)
            result.found_on[target] = url
            if target.startswith(NOT_FOLLOWED):
                result.not_followed.add(target)
                continue
            queue.append(target)
    return result


@pytest.fixture(scope="module")
def crawled(django_db_setup: None, django_db_blocker: Any) -> Iterator[Crawl]:
    """The demo data of every app, seeded as ``manage.py seed_demo`` does, then crawled once from the home page by
    an anonymous visitor, for every test here; everything is rolled back afterwards. What the tests compare the
    crawl with is read from the database while the demo data is there."""
    with django_db_blocker.unblock(), transaction.atomic():
        cache.clear()
        forget_local_state()
        seed_demo()
        for config in apps.get_app_configs():
            seed_app = getattr(config, "seed_demo", None)
            if callable(seed_app):
                seed_app()
        result = crawl(Client())
        result.providers = set(Episode.objects.values_list("provider__ods_code", flat=True))
        result.providers |= set(Notice.objects.public().values_list("provider__ods_code", flat=True))
        result.notices = set(Notice.objects.public().values_list("pk", flat=True))
        yield result
        transaction.set_rollback(True)
    cache.clear()


def test_a_visitor_reaches_every_kind_of_public_page_from_the_home_page(crawled: Crawl) -> None:
    kinds = [
        "public:home",
        "public:accessibility",
        "communications:notice-list",
        "communications:notice-detail",
        "communications:provider-list",
        "communications:special-measures",
        "communications:support",
        "communications:enquiry-new",
        "reviews:summary-list",
        "reviews:summary-detail",
        "reviews:join",
    ]
    assert [kind for kind in kinds if not crawled.reached(kind)] == []


def test_a_visitor_reaches_every_provider_with_special_measures_or_a_public_notice(crawled: Crawl) -> None:
    assert "RPA" in crawled.providers  # Medway, in special measures in the demo
    assert sorted(code for code in crawled.providers if not crawled.reached("provider-public", ods_code=code)) == []


def test_a_visitor_reaches_every_published_notice(crawled: Crawl) -> None:
    assert sorted(pk for pk in crawled.notices if not crawled.reached("communications:notice-detail", pk=pk)) == []


def test_no_link_found_fails(crawled: Crawl) -> None:
    failing = {url: status for url, status in crawled.statuses.items() if status >= 500}
    assert failing == {}


def test_no_link_found_is_missing_unless_on_purpose(crawled: Crawl) -> None:
    missing = {
        url: crawled.found_on.get(url)
        for url, status in crawled.statuses.items()
        if status == 404 and url not in DELIBERATE_404
    }
    assert missing == {}


def test_the_crawl_stays_within_its_bounds_and_checks_the_leaves(crawled: Crawl) -> None:
    assert len(crawled.statuses) < MAX_PAGES and any(leaf.endswith(".atom") for leaf in crawled.leaves)
