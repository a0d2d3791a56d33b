"""Finding and appointing a chair in the browser: the oversight lead searches for candidates, sees the expert who is
not independent set apart with the reason, refuses and then gives a waiver with a rationale, and appoints an
independent chair with the signed declaration. axe checks every page on the way."""

# Fixtures are imported by name from the browser tests, so test arguments share their names.
# ruff: noqa: F811

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Organisation, User
from failure_regime.models import Case
from reviews.models import Appointment, AppointmentRole, ConflictWaiver
from reviews.services import employment_add
from tests.browser.conftest import CHROMIUM, Accessibility, axe, browser_type_launch_args  # noqa: F401
from tests.browser.test_case_journey import SignIn, sign_in  # noqa: F401
from tests.reviews.conftest import MakeExpert

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed (apt-get install chromium)"),
]


def test_a_chair_is_found_and_appointed_without_conflicts(
    sign_in: SignIn,
    live_server: object,
    axe: Accessibility,
    oversight_lead: User,
    provider: Organisation,
    case: Case,
    make_expert: MakeExpert,
) -> None:
    chair = make_expert(name="Professor Ines Independent")
    conflicted = make_expert(name="Dr Colin Conflicted")
    employment_add(
        actor=oversight_lead,
        expert=conflicted,
        employer_name=provider.name,
        organisation=provider,
        started_on=timezone.localdate() - datetime.timedelta(days=3 * 365),
    )

    page = sign_in(oversight_lead)
    page.goto(f"{live_server.url}/staff/reviews/cases/{case.pk}/")  # type: ignore[attr-defined]
    axe.check(page)
    page.get_by_role("link", name="Find candidates and appoint").click()
    expect(page.get_by_role("heading", name="Find candidates")).to_be_visible()
    axe.check(page)
    candidates = page.locator("table")
    expect(candidates).to_contain_text(chair.name)
    expect(candidates).not_to_contain_text(conflicted.name)
    expect(page.locator("#not-independent ~ ul")).to_contain_text(f"Employed by {provider.name}")

    page.locator(f'a[href$="/waive/{conflicted.pk}/"]').click()
    axe.check(page)
    page.get_by_role("button", name="Waive the conflict").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    axe.check(page)
    page.get_by_label("Why may this expert act despite the conflict?").fill(
        "Left the trust's cardiology department; the review concerns maternity care only."
    )
    page.get_by_role("button", name="Waive the conflict").click()
    expect(page.get_by_text(f"The conflicts of {conflicted.name} are waived")).to_be_visible()
    axe.check(page)

    page.goto(f"{live_server.url}/staff/reviews/cases/{case.pk}/candidates/")  # type: ignore[attr-defined]
    page.locator(f'a[href$="/appoint/{chair.pk}/"]').click()
    expect(page.get_by_role("heading", name="Declaration of independence")).to_be_visible()
    axe.check(page)
    page.get_by_label("Review chair").check()
    page.get_by_label("The expert has signed this declaration").check()
    page.get_by_role("button", name="Record the appointment").click()
    expect(page.get_by_text(f"{chair.name} is appointed review chair")).to_be_visible()
    axe.check(page)

    assert ConflictWaiver.objects.filter(case=case, expert=conflicted).exists()
    assert Appointment.objects.filter(case=case, expert=chair, role=AppointmentRole.REVIEW_CHAIR).exists()
