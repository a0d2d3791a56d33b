"""Special measures from inspection to exit in the browser. A CQC inspector records an inspection rating a trust
inadequate; CQC's decision-maker recommends special measures; the trust's oversight lead finds the
recommendation in the queue, places the trust and appoints an improvement director; the trust sends its monthly
report and the oversight lead publishes it; CQC re-inspects; the oversight lead takes the trust out of special
measures; and the public sees the end on the provider's page and the register. axe checks every page on the way,
and every page is checked to fit a 320-pixel window."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from accounts.models import Organisation, User
from failure_regime.dates import long_date, month_start
from failure_regime.models import Episode
from tests.browser import test_case_journey as journey
from tests.browser.conftest import Accessibility, watch
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


REINSPECTION = {
    "Safe": "Requires improvement",
    "Effective": "Good",
    "Caring": "Good",
    "Responsive": "Good",
    "Well-led": "Requires improvement",
    "Overall": "Requires improvement",
}
NARRATIVE = "Six midwives appointed; the night rota on the maternity unit is now fully staffed."


def test_from_inspection_through_recommendation_and_decision_to_exit(
    sign_in: SignIn,
    browser: Browser,
    live_server: Any,
    axe: Accessibility,
    provider: Organisation,
    inspector: User,
    regulator: User,
    oversight_lead: User,
    trust_manager: User,
) -> None:
    today = timezone.localdate()
    carried_out = today - timedelta(days=10)
    month = f"{month_start(today):%B %Y}"

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
    episode = Episode.objects.get(provider=provider)
    assert episode.basis == "cqc_recommendation"
    episode_url = deciding.url

    # 4. The oversight lead appoints an improvement director; the register of interventions shows them.
    deciding.get_by_role("link", name="Record an intervention").click()
    expect(deciding.get_by_role("heading", name="Record an intervention")).to_be_visible()
    axe.check(deciding)
    deciding.get_by_label("Kind of intervention").select_option(label="Improvement director")
    deciding.get_by_label("Title").fill("Improvement director for the trust")
    deciding.get_by_label("Improvement director's name").fill("Ida Improver")
    deciding.get_by_label("Improvement director's organisation").fill("NHS Improvement")
    deciding.get_by_label("From").fill(today.isoformat())
    deciding.get_by_label("Review by").fill((today + timedelta(days=90)).isoformat())
    deciding.get_by_label("In place").check()
    deciding.get_by_role("button", name="Record the intervention").click()
    expect(deciding.get_by_role("heading", name=provider.name)).to_be_visible()
    expect(deciding.get_by_role("table", name="Improvement director")).to_contain_text("Ida Improver")
    axe.check(deciding)

    # 5. The trust manager sends this month's progress report from the episode's page.
    reporting = sign_in(trust_manager)
    reporting.get_by_role("navigation", name="Menu").get_by_role("link", name="Special measures").click()
    reporting.get_by_role("link", name=provider.name).click()
    reporting.get_by_role("link", name=f"Send the report for {month}").click()
    expect(reporting.get_by_role("heading", name=f"Progress report for {month}")).to_be_visible()
    axe.check(reporting)
    reporting.get_by_label("Progress this month").fill(NARRATIVE)
    reporting.get_by_role("button", name="Send the report").click()
    expect(reporting.locator(".nhsuk-tag").first).to_have_text("Submitted")
    axe.check(reporting)

    # 6. The oversight lead accepts and publishes it.
    deciding.goto(episode_url)
    deciding.get_by_role("table", name="Monthly reports").get_by_role("link", name=month).click()
    deciding.get_by_role("button", name="Accept and publish").click()
    expect(deciding.locator(".nhsuk-tag").first).to_have_text("Accepted and published")
    axe.check(deciding)

    # 7. CQC schedules the re-inspection, carries it out and records its ratings: no longer inadequate.
    recording.goto(episode_url)
    expect(recording.get_by_role("heading", name=provider.name)).to_be_visible()
    recording.get_by_text("Schedule the re-inspection").click()
    recording.get_by_label("Re-inspection date").fill(today.isoformat())
    recording.get_by_role("button", name="Schedule it").click()
    expect(recording.get_by_text(f"Record the ratings of Re-inspection of {provider.name}")).to_be_visible()
    axe.check(recording)
    recording.get_by_text(f"Record the ratings of Re-inspection of {provider.name}").click()
    recording.get_by_label("Date of the inspection").fill(today.isoformat())
    for question, rating in REINSPECTION.items():
        recording.get_by_label(question, exact=True).select_option(label=rating)
    recording.get_by_role("button", name="Record the ratings").click()
    expect(recording.get_by_text("overall requires improvement")).to_be_visible()
    axe.check(recording)
    recording.get_by_role("link", name=f"Re-inspection of {provider.name}").click()
    recording.get_by_label("Report reference").fill("INS2-2")
    recording.get_by_label("Report web address").fill("https://www.cqc.org.uk/provider/RXX/reports/2")
    recording.get_by_label("Date the report was published").fill(today.isoformat())
    recording.get_by_role("button", name="Record the publication").click()
    expect(recording.get_by_role("link", name="INS2-2")).to_be_visible()
    axe.check(recording)

    # 8. The oversight lead records the outcome: the trust leaves special measures.
    deciding.goto(episode_url)
    expect(deciding.get_by_role("heading", name="Outcome of the re-inspection")).to_be_visible()
    deciding.get_by_label("Leave special measures").check()
    deciding.get_by_label("Re-inspection this is based on").select_option(index=1)
    deciding.get_by_label("Reason or summary").fill("Safe staffing restored; the board now sees the risks.")
    deciding.get_by_role("button", name="Record the outcome").click()
    expect(deciding.get_by_text(f"Left special measures on {long_date(today)}").first).to_be_visible()
    axe.check(deciding)

    # 9. The public sees how it ended, the published month and the new ratings, on the provider's page and the
    # national register.
    public = browser.new_context()
    try:
        reading = watch(public.new_page())
        reading.goto(f"{live_server.url}/providers/{provider.ods_code}/")
        expect(reading.get_by_text(f"Left special measures on {long_date(today)}").first).to_be_visible()
        expect(reading.get_by_role("heading", name=month)).to_be_visible()
        expect(reading.get_by_text(NARRATIVE)).to_be_visible()
        axe.check(reading)
        reading.goto(f"{live_server.url}/special-measures/?status=exited")
        row = reading.get_by_role("row").filter(has_text=provider.name)
        expect(row).to_contain_text(f"Left special measures on {long_date(today)}")
        expect(row).to_contain_text("Requires improvement")
        axe.check(reading)
    finally:
        public.close()
