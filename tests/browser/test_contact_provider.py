"""Choosing the provider on the public contact form, in the browser, with axe checking each page: with JavaScript
(suggestions as the sender types) and without it (Find, then choose from the list)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import Organisation
from communications.models import Enquiry
from tests.browser.conftest import Accessibility, assert_fits, watch

pytestmark = pytest.mark.django_db(transaction=True)

PROVIDER_LABEL = "Which hospital, GP practice or care service is it about?"


def fill_the_rest(page: Page) -> None:
    page.get_by_label("Your name").fill("Sam Sender")
    page.get_by_label("A family member").check()
    page.get_by_label("What worries you?").fill("My daughter's care when she gave birth in 2021.")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Email address").fill("sam@example.com")
    page.get_by_label("I agree that the family support team can keep these details and use them to help me").check()


def test_it_suggests_providers_as_the_sender_types(
    page: Page, live_server: Any, axe: Accessibility, provider: Organisation
) -> None:
    page.goto(live_server.url + "/contact-us/")
    fill_the_rest(page)
    page.get_by_label(PROVIDER_LABEL).press_sequentially("mid sh")
    suggestion = page.get_by_role("button", name=provider.name)
    expect(suggestion).to_be_visible()
    axe.check(page)
    suggestion.click()
    expect(page.get_by_label(PROVIDER_LABEL)).to_have_value(provider.name)
    page.get_by_role("button", name="Send your message").click()
    expect(page.get_by_role("heading", name="Your message has been sent")).to_be_visible()
    assert Enquiry.objects.get().provider == provider


def test_it_finds_and_chooses_the_provider_without_javascript(
    browser: Browser, live_server: Any, provider: Organisation
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 800})
    try:
        page = watch(context.new_page())
        page.goto(live_server.url + "/contact-us/")
        fill_the_rest(page)
        page.get_by_label(PROVIDER_LABEL).fill("mid shire")
        page.get_by_role("button", name="Find the hospital, GP practice or care service").click()
        page.get_by_label(provider.name).check()
        expect(page.get_by_label("What worries you?")).to_have_value("My daughter's care when she gave birth in 2021.")
        # axe needs JavaScript, so it checks this page in the test above; here the page must still fit a phone.
        assert_fits(page)
        page.get_by_role("button", name="Send your message").click()
        expect(page.get_by_role("heading", name="Your message has been sent")).to_be_visible()
        assert Enquiry.objects.get().provider == provider
    finally:
        context.close()
