"""Recruitment in the browser: the recruitment lead opens a campaign, a clinician applies on the public form, the
lead vets and approves the application, and the expert creates their account from the invitation. axe checks
every page on the way."""

# Fixtures are imported by name from the browser tests, so test arguments share their names.
# ruff: noqa: F811

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, expect

from accounts.models import Role, User
from failure_regime.models import Case
from tests.browser.conftest import CHROMIUM, Accessibility, axe, browser_type_launch_args  # noqa: F401
from tests.browser.test_case_journey import SignIn, sign_in  # noqa: F401
from tests.reviews.recruitment_fixtures import PASSWORD, recruitment_lead  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed (apt-get install chromium)"),
]

TITLE = "Midwives to review maternity care"


def test_an_expert_is_recruited_from_application_to_account(
    sign_in: SignIn, browser: Browser, live_server: object, axe: Accessibility, recruitment_lead: User, case: Case
) -> None:
    # 1. The recruitment lead opens a campaign from the case's recruitment page.
    leading = sign_in(recruitment_lead)
    leading.goto(f"{live_server.url}/staff/reviews/cases/{case.pk}/recruitment/")  # type: ignore[attr-defined]
    axe.check(leading)
    leading.get_by_role("link", name="Open a campaign").click()
    axe.check(leading)
    leading.get_by_role("button", name="Open the campaign").click()
    expect(leading.get_by_role("alert")).to_contain_text("There is a problem")
    axe.check(leading)
    leading.get_by_label("Title").fill(TITLE)
    leading.get_by_label("What the review is and what reviewers will do").fill("Review maternity notes, 2019-24.")
    leading.get_by_label("Closing date").fill((timezone.localdate() + datetime.timedelta(days=14)).isoformat())
    leading.get_by_label("Specialty 1", exact=True).fill("Midwifery")
    leading.get_by_label("Number of experts in specialty 1").fill("2")
    leading.get_by_role("button", name="Open the campaign").click()
    expect(leading.get_by_role("heading", name=TITLE)).to_be_visible()
    axe.check(leading)

    # 2. A midwife finds it on the public page and applies, without an account.
    public = browser.new_context().new_page()
    public.goto(f"{live_server.url}/join-a-review/")  # type: ignore[attr-defined]
    axe.check(public)
    public.get_by_role("link", name=f"Apply to join this review for “{TITLE}”").click()
    axe.check(public)
    public.get_by_role("button", name="Send the application").click()
    expect(public.get_by_role("alert")).to_contain_text("There is a problem")
    axe.check(public)
    public.get_by_label("Full name", exact=True).fill("Mo Example")
    public.get_by_label("E-mail address", exact=True).fill("mo.example@example.org")
    public.get_by_label("Profession", exact=True).fill("Midwife")
    public.get_by_label("Nursing and Midwifery Council (NMC)").check()
    public.get_by_label("Registration number", exact=True).fill("12a3456b")
    public.get_by_label("Midwifery", exact=True).check()
    public.get_by_label("Senior practitioner", exact=True).check()
    public.get_by_label("Current employer", exact=True).fill("Far Shire NHS Trust")
    public.get_by_label("Posts you have held in the last 5 years").fill("Senior midwife, Far Shire, 2018 to date.")
    public.get_by_label("How many cases could you review each week?").fill("3")
    public.get_by_label("First referee", exact=True).fill("Ms One, head of midwifery, one@example.org")
    public.get_by_label("Second referee", exact=True).fill("Dr Two, consultant, two@example.org")
    public.get_by_label("I have told you about all my links").check()
    public.get_by_label("The information I have given is true and complete").check()
    public.get_by_label("I agree that the review team may use this information").check()
    public.get_by_role("button", name="Send the application").click()
    expect(public.get_by_role("heading", name="Application sent")).to_be_visible()
    axe.check(public)
    reference = public.locator(".nhsuk-panel__body strong").inner_text()

    # 3. The lead vets the application and approves it.
    leading.reload()
    leading.get_by_role("link", name=reference).click()
    axe.check(leading)
    for label in ["Registration checked", "References taken up", "Declared interests reviewed", "Training confirmed"]:
        leading.get_by_label(label).check()
    leading.get_by_role("button", name="Save the checks").click()
    axe.check(leading)
    leading.get_by_label("When did they start with their current employer?").fill("2018-04-01")
    leading.get_by_role("button", name="Approve and invite").click()
    expect(leading.get_by_text("Invitation sent")).to_be_visible()
    axe.check(leading)

    # 4. The expert follows the link in the invitation and creates their account.
    body = next(str(m.body) for m in mail.outbox if m.subject == "Your invitation to join a case review")
    match = re.search(r"/join-a-review/invitation/[A-Za-z0-9_-]+/", body)
    assert match is not None
    public.goto(f"{live_server.url}{match.group(0)}")  # type: ignore[attr-defined]
    axe.check(public)
    public.get_by_label("Choose a password").fill(PASSWORD)
    public.get_by_label("Type the password again").fill(PASSWORD)
    public.get_by_role("button", name="Create the account").click()
    expect(public.get_by_role("heading", name="Your account is ready")).to_be_visible()
    axe.check(public)
    assert User.objects.get(email="mo.example@example.org").memberships.get().role == Role.EXPERT_REVIEWER
