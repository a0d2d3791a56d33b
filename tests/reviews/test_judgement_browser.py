"""Structured judgement reviews in the browser, without JavaScript help: a reviewer fills in and submits a review,
the investigation lead reads the findings and publishes a summary, and the public reads it. axe checks every
page for WCAG 2.2 AA."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from accounts.models import User
from failure_regime.models import Case
from reviews.models import Assignment, CohortPatient, JudgementStatus, StructuredJudgement
from tests.browser import conftest as browser_conftest
from tests.browser import test_case_journey as journey
from tests.browser.conftest import CHROMIUM, Accessibility
from tests.browser.test_case_journey import SignIn
from tests.reviews.judgement_fixtures import *  # noqa: F403
from tests.reviews.judgement_fixtures import submit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]

# The browser tests' own fixtures: Debian's Chromium, axe, and signing in through the sign-in pages.
browser_type_launch_args = browser_conftest.browser_type_launch_args
axe = browser_conftest.axe
sign_in = journey.sign_in


def test_a_review_is_submitted_and_its_findings_published(
    sign_in: SignIn,
    browser: Browser,
    live_server: Any,
    axe: Accessibility,
    reviewer: User,
    lead: User,
    case: Case,
    assignment: Assignment,
    second_assignment: Assignment,
    patient: CohortPatient,
) -> None:
    submit(second_assignment, overall_rating=3)

    # 1. The reviewer finds the patient by review reference and opens the review.
    reviewing = sign_in(reviewer)
    reviewing.goto(live_server.url + "/staff/reviews/my-reviews/")
    axe.check(reviewing)
    reviewing.get_by_role("link", name=patient.reference).click()
    expect(reviewing.get_by_role("heading", name="Structured judgement review")).to_be_visible()
    axe.check(reviewing)

    # 2. They rate the care, save a draft, then submit; the review is then read-only.
    reviewing.get_by_role("group", name="Rating of admission and initial management").get_by_label(
        "4: good care"
    ).check()
    reviewing.get_by_label("Your notes on admission and initial management").fill("Seen promptly.")
    reviewing.get_by_role("group", name="Rating of the overall care").get_by_label("3: adequate care").check()
    reviewing.get_by_label("Your notes on the overall care").fill("Adequate care.")
    reviewing.get_by_role("button", name="Save draft").click()
    expect(reviewing.get_by_text("Draft saved.")).to_be_visible()
    reviewing.get_by_role("button", name="Submit").click()
    expect(reviewing.get_by_role("link", name="Choose how avoidable the death was.")).to_be_visible()
    axe.check(reviewing)
    reviewing.get_by_label("5: slight evidence of avoidability").check()
    reviewing.get_by_role("button", name="Submit").click()
    expect(reviewing.get_by_text("It is locked and can no longer be changed.")).to_be_visible()
    axe.check(reviewing)
    assert StructuredJudgement.objects.get(assignment=assignment).status == JudgementStatus.SUBMITTED

    # 3. The investigation lead reads the findings and publishes a summary.
    leading = sign_in(lead)
    leading.goto(live_server.url + f"/staff/reviews/cases/{case.pk}/findings/")
    expect(leading.get_by_role("table", name="Agreement on patients reviewed twice")).to_be_visible()
    axe.check(leading)
    leading.get_by_label("Title").fill("Early findings")
    leading.get_by_label("Summary for the public").fill("Care was adequate in the patient reviewed.")
    leading.get_by_role("button", name="Publish the summary").click()
    expect(leading.get_by_text("is published on the public site")).to_be_visible()

    # 4. The public reads it.
    reading = browser.new_context().new_page()
    reading.goto(live_server.url + "/reviews/findings/")
    axe.check(reading)
    reading.get_by_role("link", name="Early findings").click()
    expect(reading.get_by_text("Care was adequate in the patient reviewed.")).to_be_visible()
    axe.check(reading)
    reading.context.close()
