"""The public side, driven in the browser, with axe checking every page on the way.

A member of the public, with no account, goes from the home page to a notice, from the notice to support, and
from support to a sent enquiry. Before that, the staff side that puts a notice there: a communications officer
drafts it with a preview and sends it for approval, the case's accountable lead approves it, and the officer
schedules it; the public sees it only once its embargo time has come.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from communications.models import Enquiry, Notice, SupportKind, SupportService
from communications.services.support import OpeningSpan, support_service_create, support_service_link_to_case
from failure_regime.models import Case
from tests.browser import test_case_journey as journey
from tests.browser.conftest import Accessibility
from tests.browser.test_case_journey import SignIn
from tests.communications import conftest as notices
from tests.communications.conftest import NOTICE_TEXT, published_notice
from tests.failure_regime import conftest as regime

pytestmark = pytest.mark.django_db(transaction=True)

# Each person signs in through the sign-in pages, in their own browser context.
sign_in = journey.sign_in
# The people and the case of the notices' tests.
case, concern = regime.case, regime.concern
comms_officer, comms_lead, liaison_officer = notices.comms_officer, notices.comms_lead, notices.liaison_officer
triggered_case, _forget_public_site_state = notices.triggered_case, notices._forget_public_site_state


@pytest.fixture
def helpline(triggered_case: Case, liaison_officer: User) -> SupportService:
    service = support_service_create(
        actor=liaison_officer,
        name="Maternity families helpline",
        kind=SupportKind.HELPLINE,
        description="For families worried about maternity care at the trust.",
        phone="0808 157 0001",
        opening_times=[OpeningSpan(weekday=day, opens=time(9, 0), closes=time(17, 0)) for day in range(1, 6)],
    )
    return support_service_link_to_case(actor=liaison_officer, service=service, case=triggered_case)


def test_a_member_of_the_public_finds_a_notice_then_support_then_writes_in(
    page: Page,
    live_server: Any,
    axe: Accessibility,
    triggered_case: Case,
    comms_officer: User,
    comms_lead: User,
    helpline: SupportService,
) -> None:
    notice = published_notice(triggered_case, comms_officer, comms_lead)

    # 1. The home page: the latest notices, a search box, and where to get help.
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Latest notices")).to_be_visible()
    axe.check(page)

    # 2. A search of the site finds the notice.
    page.get_by_label("Search this site").fill("maternity")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Notices and guidance (1)")).to_be_visible()
    axe.check(page)

    # 3. The notice says what happened, who leads the response and how to get support.
    page.get_by_role("link", name=NOTICE_TEXT.title).click()
    expect(page.get_by_role("heading", name=NOTICE_TEXT.title, level=1)).to_be_visible()
    expect(page.get_by_text("An independent team is reviewing the care of every family affected.")).to_be_visible()
    expect(page.get_by_role("heading", name="Maternity families helpline")).to_be_visible()
    expect(page.get_by_text(comms_lead.full_name)).to_have_count(0)
    assert page.url.endswith(f"/notices/{notice.pk}/")
    axe.check(page)

    # 4. From the notice to the support directory.
    page.get_by_role("link", name="Find more support: helplines, counselling and advice").click()
    expect(page.get_by_role("heading", name="Find support", level=1)).to_be_visible()
    axe.check(page)

    # 5. From support to the contact form, which needs no account.
    page.get_by_role("main").get_by_role("link", name="contact us").click()
    expect(page.get_by_role("heading", name="Tell us what worries you")).to_be_visible()
    axe.check(page)

    # 6. Sending without the required answers shows accessible errors.
    page.get_by_role("button", name="Send your message").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    axe.check(page)

    # 7. The enquiry is sent and the sender is given a reference.
    page.get_by_label("Your name").fill("Sam Sender")
    page.get_by_label("A family member").check()
    page.get_by_label("Which hospital, GP practice or care service is it about?").fill("Mid Shire Hospitals")
    page.get_by_label("What worries you?").fill("My daughter's care when she gave birth in 2021.")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Email address").fill("sam@example.com")
    page.get_by_label("I agree that the family support team can keep these details and use them to help me").check()
    page.get_by_role("button", name="Send your message").click()
    expect(page.get_by_role("heading", name="Your message has been sent")).to_be_visible()
    reference = Enquiry.objects.get().reference
    expect(page.get_by_text(reference)).to_be_visible()
    axe.check(page)


def test_a_notice_is_drafted_approved_and_scheduled_and_appears_at_its_embargo_time(
    sign_in: SignIn,
    browser: Browser,
    live_server: Any,
    axe: Accessibility,
    triggered_case: Case,
    comms_officer: User,
    comms_lead: User,
) -> None:
    # 1. The communications officer writes the case's communications plan, then drafts a notice with a preview.
    drafting = sign_in(comms_officer)
    drafting.goto(live_server.url + "/staff/communications/cases/")
    axe.check(drafting)
    drafting.get_by_role("link", name=f"Write the plan for {triggered_case.reference}").click()
    drafting.get_by_label("Objectives").fill("Families hear first; the public understands what happens next.")
    drafting.get_by_role("checkbox", name="Affected families").check()
    drafting.get_by_label("What affected families need").fill("A phone call before anything is published.")
    drafting.get_by_role("button", name="Save the plan").click()
    expect(drafting.get_by_role("heading", name="Audiences")).to_be_visible()
    axe.check(drafting)
    drafting.goto(live_server.url + "/staff/communications/cases/")
    drafting.get_by_role("link", name=f"Draft a notice about {triggered_case.reference}").click()
    axe.check(drafting)
    drafting.get_by_label("Failure notice").check()
    drafting.get_by_label("Title").fill("Maternity care at Mid Shire Hospitals")
    drafting.get_by_label("Summary").fill("An independent review of maternity care at the trust has begun.")
    drafting.get_by_label("What happened").fill("Families raised concerns about **maternity care**.")
    drafting.get_by_label("What happens next").fill("The review team will write to every family within two weeks.")
    drafting.get_by_role("button", name="Preview").click()
    expect(drafting.get_by_role("heading", name="Preview")).to_be_visible()
    expect(drafting.locator("strong", has_text="maternity care")).to_be_visible()
    axe.check(drafting)
    drafting.get_by_role("button", name="Save the draft").click()
    expect(drafting.get_by_role("heading", name="Maternity care at Mid Shire Hospitals", level=1)).to_be_visible()
    axe.check(drafting)
    drafting.get_by_role("button", name="Send for approval").click()
    expect(drafting.locator(".nhsuk-tag").first).to_have_text("In review")
    notice = Notice.objects.get()

    # 2. The case's accountable lead finds it waiting and approves it.
    approving = sign_in(comms_lead)
    approving.goto(live_server.url + "/staff/communications/notices/")
    axe.check(approving)
    approving.get_by_role("list").get_by_role("link", name="Maternity care at Mid Shire Hospitals").first.click()
    expect(approving.get_by_role("table", name="Approvals of version 1")).to_contain_text("Still needed")
    axe.check(approving)
    approving.get_by_role("button", name="Approve version 1").click()
    expect(approving.locator(".nhsuk-tag").first).to_have_text("Approved")
    axe.check(approving)

    # 3. The officer schedules it for an hour from now: an embargo.
    drafting.reload()
    drafting.get_by_label("Schedule it: the public sees nothing until then").check()
    when = timezone.localtime() + timedelta(hours=1)
    drafting.get_by_label("Date and time (UK time)").fill(f"{when:%Y-%m-%dT%H:%M}")
    drafting.get_by_role("button", name="Publish").click()
    expect(drafting.get_by_text(re.compile("This notice is embargoed"))).to_be_visible()
    axe.check(drafting)

    # 4. The public sees nothing of it until the embargo lifts, then sees it.
    public = browser.new_context()
    try:
        reading = public.new_page()
        response = reading.goto(f"{live_server.url}/notices/{notice.pk}/")
        assert response is not None and response.status == 404
        with time_machine.travel(when + timedelta(minutes=1)):
            reading.goto(f"{live_server.url}/notices/")
            reading.get_by_role("link", name="Maternity care at Mid Shire Hospitals").click()
            expect(
                reading.get_by_role("heading", name="Maternity care at Mid Shire Hospitals", level=1)
            ).to_be_visible()
            axe.check(reading)
    finally:
        public.close()
