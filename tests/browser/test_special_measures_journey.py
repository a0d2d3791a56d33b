"""A month of special measures driven in the browser, each person in their own browser context.

The trust manager sends the month's progress report with a PDF; the oversight lead accepts and publishes it;
a member of the public then reads it on the provider's page. axe checks every page on the way.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from accounts.models import Organisation, User
from failure_regime.dates import month_start
from failure_regime.models import Action, Basis, Episode
from failure_regime.services import action_plan
from failure_regime.services import special_measures as sm
from tests.browser import test_case_journey as journey
from tests.browser.conftest import Accessibility
from tests.browser.test_case_journey import EVIDENCE, SignIn

pytestmark = pytest.mark.django_db(transaction=True)

# Each person signs in through the sign-in pages, in their own browser context.
sign_in = journey.sign_in

NARRATIVE = "Six midwives appointed; the night rota on the maternity unit is now fully staffed."


@pytest.fixture
def episode(oversight_lead: User, provider: Organisation, trust_manager: User) -> Episode:
    return sm.episode_enter(
        actor=oversight_lead,
        provider=provider,
        entered_on=timezone.localdate() - timedelta(days=40),
        basis=Basis.OWN_EVIDENCE,
    )


@pytest.fixture
def action(episode: Episode, trust_manager: User, provider: Organisation) -> Action:
    return action_plan.action_add(
        actor=trust_manager,
        episode=episode,
        reference="A1",
        description="Recruit midwives for the night rota",
        owner_organisation=provider,
        due_on=timezone.localdate() + timedelta(days=90),
    )


def test_a_monthly_report_is_sent_accepted_and_published(
    sign_in: SignIn,
    browser: Browser,
    live_server: Any,
    axe: Accessibility,
    provider: Organisation,
    trust_manager: User,
    oversight_lead: User,
    episode: Episode,
    action: Action,
) -> None:
    month = f"{month_start(timezone.localdate()):%B %Y}"

    # 1. The trust manager opens the episode from the dashboard.
    reporting = sign_in(trust_manager)
    reporting.get_by_role("navigation", name="Menu").get_by_role("link", name="Special measures").click()
    expect(reporting.get_by_role("heading", name="Providers in special measures")).to_be_visible()
    axe.check(reporting)
    reporting.get_by_role("link", name=provider.name).click()
    expect(reporting.get_by_role("heading", name=provider.name)).to_be_visible()
    axe.check(reporting)

    # 2. They open the month's report form; sending it without the narrative is refused.
    reporting.get_by_role("link", name=f"Send the report for {month}").click()
    expect(reporting.get_by_role("heading", name=f"Progress report for {month}")).to_be_visible()
    axe.check(reporting)
    reporting.get_by_role("button", name="Send the report").click()
    expect(reporting.get_by_role("alert")).to_contain_text("There is a problem")
    expect(reporting).to_have_title(re.compile(r"\(error\)"))
    axe.check(reporting)

    # 3. They fill in the narrative, the action's status and rating, attach a PDF and send it.
    reporting.get_by_label("Progress this month").fill(NARRATIVE)
    reporting.get_by_label("A1: status").select_option(label="In progress")
    reporting.get_by_role("group", name="A1: RAG rating").get_by_label("Amber").check()
    reporting.get_by_label("Evidence").set_input_files(EVIDENCE)  # type: ignore[arg-type]
    reporting.get_by_role("button", name="Send the report").click()
    expect(reporting.get_by_role("heading", name=f"Progress report for {month}")).to_be_visible()
    expect(reporting.locator(".nhsuk-tag").first).to_have_text("Submitted")
    expect(reporting.get_by_role("link", name="evidence.pdf")).to_be_visible()
    expect(reporting.get_by_text(NARRATIVE)).to_be_visible()
    axe.check(reporting)

    # 4. The oversight lead finds the report from the dashboard and accepts it.
    overseeing = sign_in(oversight_lead)
    overseeing.get_by_role("navigation", name="Menu").get_by_role("link", name="Special measures").click()
    expect(overseeing.get_by_role("heading", name="Providers in special measures")).to_be_visible()
    axe.check(overseeing)
    overseeing.get_by_role("link", name=provider.name).click()
    axe.check(overseeing)
    overseeing.get_by_role("table", name="Monthly reports").get_by_role("link", name=month).click()
    expect(overseeing.get_by_role("heading", name=f"Progress report for {month}")).to_be_visible()
    axe.check(overseeing)
    overseeing.get_by_role("button", name="Accept and publish").click()
    expect(overseeing.locator(".nhsuk-tag").first).to_have_text("Accepted and published")
    expect(overseeing.get_by_role("button", name="Accept and publish")).to_have_count(0)
    axe.check(overseeing)

    # 5. Anyone can read the month's progress on the provider's public page.
    public = browser.new_context()
    try:
        reading = public.new_page()
        reading.goto(f"{live_server.url}/providers/{provider.ods_code}/")
        expect(reading.get_by_role("heading", name=provider.name, level=1)).to_be_visible()
        expect(reading.get_by_role("heading", name=month)).to_be_visible()
        expect(reading.get_by_text(NARRATIVE)).to_be_visible()
        actions = reading.get_by_role("table", name=f"Actions in {month}")
        expect(actions.get_by_role("row").filter(has_text="A1: Recruit midwives")).to_contain_text("In progress")
        expect(reading.get_by_text(trust_manager.full_name)).to_have_count(0)
        axe.check(reading)
    finally:
        public.close()
