from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from accounts.models import Organisation, User
from tests.browser.conftest import Accessibility
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def code_for(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_manager_signs_in_with_the_second_factor(
    page: Page,
    live_server,
    axe: Accessibility,
    trust_manager: User,
    provider: Organisation,
) -> None:
    page.goto(live_server.url + "/")
    axe.check(page)
    page.get_by_role("link", name="Staff sign in").click()
    axe.check(page)
    page.get_by_label("E-mail address").fill(trust_manager.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Enter your security code")).to_be_visible()
    axe.check(page)
    page.get_by_label("Security code").fill(code_for(trust_manager))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=f"Hello, {trust_manager.get_short_name()}")).to_be_visible()
    axe.check(page)
    page.get_by_role("link", name=provider.name).click()
    expect(page.get_by_role("heading", name=provider.name)).to_be_visible()
    axe.check(page)
    page.get_by_role("link", name="See the record of changes to this organisation").click()
    axe.check(page)
    page.get_by_role("link", name="Home").first.click()
    page.get_by_role("link", name="Organisations").first.click()
    axe.check(page)
    page.get_by_role("link", name="API access").click()
    axe.check(page)


def test_a_wrong_password_shows_an_accessible_error(
    page: Page,
    live_server,
    axe: Accessibility,
    trust_manager: User,
) -> None:
    page.goto(live_server.url + "/sign-in/")
    page.get_by_label("E-mail address").fill(trust_manager.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a correct e-mail address and password.")
    axe.check(page)


def test_a_new_user_sets_up_the_second_factor(
    page: Page,
    live_server,
    axe: Accessibility,
    provider: Organisation,
) -> None:
    user = UserFactory.create()
    page.goto(live_server.url + "/sign-in/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Set up your security code")).to_be_visible()
    axe.check(page)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.get_by_label("Security code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    axe.check(page)


def test_public_pages_have_no_accessibility_violations(page: Page, live_server, axe: Accessibility) -> None:
    for path in ["/accessibility/", "/sign-in/password-reset/", "/no-such-page/"]:
        page.goto(live_server.url + path)
        axe.check(page)


def test_pages_work_without_javascript(browser, live_server, trust_manager: User) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/sign-in/")
    page.get_by_label("E-mail address").fill(trust_manager.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Security code").fill(code_for(trust_manager))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=f"Hello, {trust_manager.get_short_name()}")).to_be_visible()
    context.close()
