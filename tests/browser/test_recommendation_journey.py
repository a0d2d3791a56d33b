"""From inspection to special measures in the browser: a CQC inspector records an inspection rating a trust
inadequate, CQC's decision-maker recommends special measures, and the trust's oversight lead finds the
recommendation in the queue and places the trust. axe checks every page on the way."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Organisation, User
from failure_regime.models import Episode
from tests.browser import test_case_journey as journey
from tests.browser.conftest import Accessibility
from tests.browser.test_case_journey import SignIn

pytestmark = pytest.mark.django_db(transaction=True)

sign_in = journey.sign_in

RATINGS = {
    "Safe": "Inadequate",
    "Effective": "Requires improvement",
    "Caring": "Good",
    "Responsive": "Requires improvement",
    "Well-led": "Inadequate",
    "Overall rating": "Inadequate",
}


def test_an_inspection_leads_to_a_recommendation_and_a_decision_to_place(
    sign_in: SignIn,
    axe: Accessibility,
    provider: Organisation,
    inspector: User,
    regulator: User,
    oversight_lead: User,
) -> None:
    carried_out = timezone.localdate() - timedelta(days=10)

    # 1. The inspector records the inspection; a report address without https is refused.
    recording = sign_in(inspector)
    recording.goto(recording.url.split("/staff/")[0] + "/staff/inspections/new/")
    expect(recording.get_by_role("heading", name="Record an inspection")).to_be_visible()
    axe.check(recording)
    recording.get_by_label("Provider").select_option(label=provider.name)
    recording.get_by_label("Date the inspection was carried out").fill(carried_out.isoformat())
    for question, rating in RATINGS.items():
        recording.get_by_label(question, exact=True).select_option(label=rating)
    recording.get_by_label("Report reference").fill("INS2-1")
    recording.get_by_label("Report web address").fill("http://www.cqc.org.uk/provider/RXX")
    recording.get_by_label("Date the report was published").fill(timezone.localdate().isoformat())
    recording.get_by_role("button", name="Record the inspection").click()
    expect(recording.get_by_role("alert")).to_contain_text("https://")
    expect(recording).to_have_title(re.compile(r"\(error\)"))
    axe.check(recording)
    recording.get_by_label("Report web address").fill("https://www.cqc.org.uk/provider/RXX")
    recording.get_by_role("button", name="Record the inspection").click()
    expect(recording.get_by_role("heading", name=provider.name)).to_be_visible()
    axe.check(recording)
    inspection_url = recording.url
    recording.get_by_role("link", name=f"Rating history of {provider.name}").click()
    expect(recording.get_by_role("table", name="Ratings, newest first")).to_contain_text("Inadequate")
    axe.check(recording)
    recording.goto(inspection_url.split("/staff/")[0] + "/staff/inspections/")
    expect(recording.get_by_role("heading", name="Inspections and ratings")).to_be_visible()
    axe.check(recording)

    # 2. CQC's decision-maker opens the inspection and recommends special measures.
    recommending = sign_in(regulator)
    recommending.goto(inspection_url)
    recommending.get_by_role("link", name="Recommend special measures").click()
    expect(recommending.get_by_role("heading", name="Recommend special measures")).to_be_visible()
    axe.check(recommending)
    recommending.get_by_label("Why CQC recommends special measures").fill("Unsafe staffing; a board unaware of it.")
    recommending.get_by_role("button", name="Send the recommendation").click()
    expect(recommending.locator(".nhsuk-tag").first).to_have_text("Awaiting decision")
    axe.check(recommending)

    # 3. The oversight lead finds it in the queue and places the trust in special measures.
    deciding = sign_in(oversight_lead)
    deciding.get_by_role("navigation", name="Menu").get_by_role("link", name="Special measures").click()
    deciding.get_by_role("link", name="CQC's recommendations of special measures").click()
    queue = deciding.get_by_role("table", name=re.compile("waiting for your decision"))
    expect(queue).to_contain_text(provider.name)
    axe.check(deciding)
    queue.get_by_role("link", name=provider.name).click()
    deciding.get_by_role("button", name="Record the decision").click()
    expect(deciding.get_by_role("alert")).to_contain_text("There is a problem")
    axe.check(deciding)
    deciding.get_by_label("Place the trust in special measures").check()
    deciding.get_by_label("Reasons for the decision").fill("We agree with CQC.")
    deciding.get_by_role("button", name="Record the decision").click()
    expect(deciding.locator(".nhsuk-tag").first).to_have_text("Placed in special measures")
    axe.check(deciding)
    deciding.get_by_role("link", name="The episode of special measures").click()
    expect(deciding.get_by_role("heading", name=provider.name)).to_be_visible()
    axe.check(deciding)
    assert Episode.objects.get(provider=provider).basis == "cqc_recommendation"
