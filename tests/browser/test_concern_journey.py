"""A concern from intake to a case in the browser. The trust reports an immediate concern about itself; CQC's
inspector finds it among their deadlines and assesses it; CQC's decision-maker decides a case should be proposed
and proposes one from it. axe checks every page on the way, and every page is checked to fit a 320-pixel window."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Organisation, User
from failure_regime.models import Concern, ConcernOutcome, ConcernStatus
from tests.browser import test_case_journey as journey
from tests.browser.conftest import Accessibility
from tests.browser.test_case_journey import SignIn

pytestmark = pytest.mark.django_db(transaction=True)

sign_in = journey.sign_in

REPORT = "Two patients came to serious harm after delays in the emergency department this week."


def test_a_concern_goes_from_the_providers_report_to_a_case(
    sign_in: SignIn,
    axe: Accessibility,
    provider: Organisation,
    trust_manager: User,
    inspector: User,
    regulator: User,
) -> None:
    # 1. The trust's manager reports an immediate concern about their own trust.
    reporting = sign_in(trust_manager)
    reporting.get_by_role("link", name="Concerns").first.click()
    axe.check(reporting)
    reporting.get_by_role("link", name="Report a concern about your organisation").click()
    axe.check(reporting)
    reporting.get_by_role("button", name="Send the report").click()
    expect(reporting.get_by_role("alert")).to_contain_text("Enter what the concern is")
    axe.check(reporting)
    reporting.get_by_label("Immediate").check()
    reporting.get_by_label("What is the concern?").fill(REPORT)
    reporting.get_by_role("button", name="Send the report").click()
    expect(reporting.get_by_role("heading", name=f"Concern about {provider.name}")).to_be_visible()
    expect(reporting.get_by_text("The concern has not been assessed yet.")).to_be_visible()
    expect(reporting.get_by_role("button", name="Record the assessment")).to_have_count(0)
    axe.check(reporting)
    concern = Concern.objects.get()

    # 2. CQC's inspector finds it among their deadlines and assesses it.
    inspecting = sign_in(inspector)
    link = inspecting.get_by_role("link", name=f"Assess the immediate concern about {provider.name}")
    expect(link).to_be_visible()
    axe.check(inspecting)
    link.click()
    axe.check(inspecting)
    inspecting.get_by_role("button", name="Record the assessment").click()
    expect(inspecting.get_by_role("alert")).to_contain_text("Enter the reasons")
    axe.check(inspecting)
    inspecting.get_by_label("What did the assessment find?").fill("The incident reports bear it out.")
    inspecting.get_by_role("button", name="Record the assessment").click()
    expect(inspecting.get_by_text("The assessment has been recorded.")).to_be_visible()
    expect(inspecting.get_by_role("button", name="Record the outcome")).to_have_count(0)  # a decision-maker's step
    axe.check(inspecting)

    # 3. CQC's decision-maker decides a case should be proposed, and proposes it.
    deciding = sign_in(regulator)
    deciding.goto(inspecting.url)
    deciding.get_by_label(ConcernOutcome.PROPOSE_CASE.label).check()
    deciding.get_by_label("Why this outcome?").fill("Harm to patients from delays the trust cannot yet explain.")
    deciding.get_by_role("button", name="Record the outcome").click()
    expect(deciding.get_by_text("The outcome has been recorded.")).to_be_visible()
    expect(deciding.get_by_role("heading", name="Handling").locator("+ ol")).to_contain_text("Outcome decided")
    axe.check(deciding)
    deciding.get_by_role("link", name="Propose a case from this concern").click()
    deciding.get_by_label("Title").fill("Emergency care at the trust")
    deciding.get_by_label("Summary", exact=True).fill("Harm after delays in the emergency department.")
    deciding.get_by_label("Scope").fill("Emergency care, 2026.")
    deciding.get_by_label("Terms of reference").fill("Review every delay that led to harm this year.")
    deciding.get_by_role("button", name="Propose the case").click()
    expect(deciding.get_by_role("heading", name="Emergency care at the trust")).to_be_visible()
    axe.check(deciding)
    concern.refresh_from_db()
    assert (concern.status, concern.outcome) == (ConcernStatus.IN_CASE, ConcernOutcome.PROPOSE_CASE)
