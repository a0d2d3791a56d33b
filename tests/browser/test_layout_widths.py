"""Both layouts at a phone's width and a desktop's: the main public pages and a few staff pages, at 320 and 1280
pixels, with axe and with no sideways scrolling (WCAG 2.2 reflow; 320 pixels is also 1280 at 400% zoom). The
header's script must find the markup it expects (it logs an ElementError otherwise), and without JavaScript the
navigation wraps instead of overflowing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.audit import audit_anchor_write, audit_check_request
from accounts.models import AuditChainHead, User
from failure_regime.models import Case
from tests.accounts.tampering import anchor_files_delete
from tests.browser.conftest import NARROW, Accessibility, assert_fits, watch
from tests.conftest import sign_in as sign_in_client
from tests.failure_regime import conftest as regime

pytestmark = pytest.mark.django_db(transaction=True)

# The case of the regime's tests, about ``provider``.
case, concern = regime.case, regime.concern

WIDE = 1280
PUBLIC_PAGES = [
    "/",
    "/notices/",
    "/providers/",
    "/special-measures/",
    "/search/?q=Medway",
    "/support/",
    "/contact-us/",
    "/accessibility/",
    "/privacy/",
    "/sign-in/",
    "/no-such-page/",
]

OpenAs = Callable[..., Page]


@pytest.fixture
def open_as(browser: Browser, live_server: Any) -> Iterator[OpenAs]:
    """``open_as(user or None, **context_options)``: a page in a new browser context, signed in as ``user`` with
    both factors (through the session, which the sign-in pages' own tests cover)."""
    contexts: list[BrowserContext] = []

    def open_page(user: User | None, **options: Any) -> Page:
        context = browser.new_context(**options)
        contexts.append(context)
        if user is not None:
            client = sign_in_client(Client(), user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        return watch(context.new_page())

    yield open_page
    for context in contexts:
        context.close()


def visit_at_both_widths(page: Page, axe: Accessibility, url: str) -> None:
    """Loads ``url`` at each width (so the header lays itself out from the start at each), checks it with axe and
    checks that it fits. ``axe.check`` also checks the wide page again at 320 pixels once loaded."""
    for width in (WIDE, NARROW):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(url)
        axe.check(page)
        assert_fits(page)


def test_it_fits_public_pages_at_320_and_1280_pixels(open_as: OpenAs, live_server: Any, axe: Accessibility) -> None:
    page = open_as(None)
    for path in PUBLIC_PAGES:
        visit_at_both_widths(page, axe, live_server.url + path)


def test_it_moves_the_links_that_do_not_fit_into_the_more_menu(open_as: OpenAs, live_server: Any) -> None:
    page = open_as(None, viewport={"width": NARROW, "height": 800})
    page.goto(live_server.url + "/")
    more = page.get_by_role("button", name="Browse More")
    expect(more).to_be_visible()
    more.click()
    expect(more).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".nhsuk-header__menu-list").get_by_role("link", name="Staff sign in")).to_be_visible()
    Accessibility().check(page)  # the open menu's links keep their contrast
    assert_fits(page)


def test_it_wraps_the_navigation_without_javascript(open_as: OpenAs, live_server: Any, regulator: User) -> None:
    # axe needs JavaScript to run; it checks these pages with JavaScript in the other tests.
    for user, path in ((None, "/"), (regulator, "/staff/")):
        page = open_as(user, java_script_enabled=False, viewport={"width": NARROW, "height": 800})
        page.goto(live_server.url + path)
        navigation = page.get_by_role("navigation", name="Menu")
        expect(navigation.get_by_role("link", name="Home")).to_be_visible()
        expect(navigation.get_by_role("button", name="Browse More")).to_be_hidden()
        assert_fits(page)


def test_it_fits_staff_pages_at_320_and_1280_pixels(
    open_as: OpenAs, live_server: Any, axe: Accessibility, regulator: User, trust_manager: User, case: Case
) -> None:
    page = open_as(regulator)
    for path in ("/staff/", "/staff/cases/", f"/staff/cases/{case.pk}/", "/staff/concerns/", "/staff/deadlines/"):
        visit_at_both_widths(page, axe, live_server.url + path)

    # A refused action's page is in the same layout and fits too.
    page = open_as(trust_manager)
    visit_at_both_widths(page, axe, live_server.url + "/staff/cases/new/")
    expect(page.get_by_role("heading", name="You cannot do this", level=1)).to_be_visible()


@pytest.fixture
def anchor_files_removed() -> Iterator[None]:
    """Removes the anchor files the test writes: the in-memory storage outlives the test's database."""
    yield
    anchor_files_delete()


def test_it_fits_the_audit_trail_page_at_320_and_1280_pixels(
    open_as: OpenAs, live_server: Any, axe: Accessibility, national: User, case: Case, anchor_files_removed: None
) -> None:
    # With anchors, and a finished check that found the chain broken (its head moved): the page's longest state.
    audit_anchor_write()
    AuditChainHead.objects.filter(pk=1).update(hash="0" * 64)
    audit_check_request(actor=national)  # the check runs when the request commits (tasks run eagerly here)
    page = open_as(national)
    url = live_server.url + reverse("accounts:audit-integrity")
    visit_at_both_widths(page, axe, url)
    expect(page.get_by_role("heading", name="The audit trail has been changed")).to_be_visible()
    expect(page.get_by_role("button", name="Check the audit trail now")).to_be_visible()
    page.set_viewport_size({"width": WIDE, "height": 800})
    link = page.get_by_role("navigation", name="Menu").get_by_role("link", name="Audit trail")
    expect(link).to_have_attribute("aria-current", "page")
