"""From the home page to the work, for each key role: sign in, find the item on the home page, follow its link to
the page where it is acted on. axe checks both pages at 1280 and at 320 pixels wide, and at 320 pixels nothing
may scroll sideways (WCAG 2.2 reflow)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Organisation, Role, User
from communications.models import ContactMethod, EnquiryCategory, NoticeKind, Relation, Urgency
from communications.services.enquiries import enquiry_receive, enquiry_triage
from communications.services.notices import notice_draft, notice_submit
from failure_regime.models import Action, Area, Case, Concern, Episode, MonthlyReport
from failure_regime.services import monthly_reports
from failure_regime.services.accountability import lead_hand_over
from failure_regime.services.sign_off import sign_off_record
from reviews.models import Assignment, CohortPatient, Expert
from tests.browser import test_case_journey as journey
from tests.browser.conftest import Accessibility
from tests.browser.test_case_journey import SignIn
from tests.browser.test_special_measures_journey import action, episode  # noqa: F401
from tests.communications.conftest import NOTICE_TEXT
from tests.factories import member
from tests.failure_regime.conftest import case, concern, propose  # noqa: F401
from tests.reviews.conftest import make_expert  # noqa: F401
from tests.reviews.judgement_fixtures import (  # noqa: F401
    assign,
    assignment,
    cohort,
    make_patient,
    patient,
    reviewer_expert,
    specialty,
    wave,
)

pytestmark = pytest.mark.django_db(transaction=True)

sign_in = journey.sign_in

WIDE, NARROW = 1280, 320

# The elements wider than the window, named so that a failure says where the sideways scrolling comes from.
OVERFLOWING = """() => {
    const width = window.innerWidth;
    return [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > width + 1)
        .slice(0, 12)
        .map((el) => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : ""));
}"""


def sideways_scrolling(page: Page) -> str:
    """Empty when the page fits the window; otherwise which elements are wider than it."""
    if page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
        return ""
    return f"{page.url} scrolls sideways at {page.viewport_size}: wider than the window: {page.evaluate(OVERFLOWING)}"


def walk(sign_in: SignIn, axe: Accessibility, user: User, link: str, heading: str) -> None:
    """Signs in (landing on the home page), then at each width: from the home page, follow the item's link to the
    page where it is acted on. A security code works once, so one sign-in serves both widths. Every problem of
    both pages is gathered before the test fails, so a failure names all of them."""
    page = sign_in(user, viewport={"width": WIDE, "height": 900})
    home = page.url
    problems: list[str] = []

    def check(width: int) -> None:
        try:
            axe.check(page)
        except AssertionError as error:
            problems.append(f"at {width}px: {error}")
        if width == NARROW:
            problems.append(sideways_scrolling(page))

    for width in (WIDE, NARROW):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(home)
        expect(page.get_by_role("heading", name="What is waiting for you")).to_be_visible()
        check(width)
        page.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        check(width)
    problems = [p for p in problems if p]
    assert not problems, "\n\n".join(problems)


# --- Special measures ----------------------------------------------------------------------------------------


@pytest.fixture
def report(episode: Episode) -> MonthlyReport:  # noqa: F811
    return MonthlyReport.objects.filter(episode=episode).latest("month")


def test_the_trust_manager_goes_from_home_to_the_report_to_send(
    sign_in: SignIn, axe: Accessibility, trust_manager: User, provider: Organisation, report: MonthlyReport
) -> None:
    month = f"{report.month:%B %Y}"
    walk(sign_in, axe, trust_manager, f"{provider.name}: progress report for {month}", f"Progress report for {month}")


def test_the_oversight_lead_goes_from_home_to_the_report_to_accept(
    sign_in: SignIn,
    axe: Accessibility,
    trust_manager: User,
    oversight_lead: User,
    provider: Organisation,
    report: MonthlyReport,
    action: Action,  # noqa: F811
) -> None:
    monthly_reports.report_submit(
        actor=trust_manager,
        episode=report.episode,
        month=report.month,
        narrative="Six midwives appointed.",
        statuses={action.pk: {"status": "in_progress", "rag": "amber"}},
    )
    month = f"{report.month:%B %Y}"
    walk(sign_in, axe, oversight_lead, f"{provider.name}: progress report for {month}", f"Progress report for {month}")


# --- Reviews -------------------------------------------------------------------------------------------------


def test_the_expert_reviewer_goes_from_home_to_their_assigned_review(
    sign_in: SignIn,
    axe: Accessibility,
    reviewer: User,
    reviewer_expert: Expert,  # noqa: F811
    patient: CohortPatient,  # noqa: F811
    assignment: Assignment,  # noqa: F811
) -> None:
    walk(sign_in, axe, reviewer, f"Review {patient.reference}", "Structured judgement review")


# --- Communications ------------------------------------------------------------------------------------------


@pytest.fixture
def triggered(
    regulator: User,
    oversight_lead: User,
    sign_off_officer: User,
    provider: Organisation,
    cqc: Organisation,
    concern: Concern,  # noqa: F811
) -> Case:
    proposed = propose(regulator, provider, concern)
    for user in (regulator, oversight_lead, sign_off_officer):
        sign_off_record(actor=user, case=proposed, organisation=user.memberships.get().organisation, decision="agree")
    proposed.refresh_from_db()
    return proposed


def test_the_family_liaison_officer_goes_from_home_to_the_urgent_enquiry(
    sign_in: SignIn, axe: Accessibility, regulator: User, provider: Organisation, triggered: Case
) -> None:
    officer = member(provider, Role.FAMILY_LIAISON_OFFICER, full_name="Faye Liaison")
    lead_hand_over(
        actor=regulator, case=triggered, area=Area.FAMILY_SUPPORT, lead=officer, organisation=provider, reason="Leads."
    )
    enquiry = enquiry_receive(
        provider=provider,
        name="Jordan Sample",
        relation=Relation.FRIEND_OR_CARER,
        worry="My neighbour was sent home still very unwell and is now confused.",
        contact_method=ContactMethod.PHONE,
        phone="01632 960 201",
        consent=True,
    )
    enquiry_triage(
        actor=officer,
        enquiry=enquiry,
        category=EnquiryCategory.URGENT_CLINICAL,
        urgency=Urgency.URGENT,
        case=triggered,
        assigned_to=officer,
    )
    walk(sign_in, axe, officer, f"Enquiry {enquiry.reference}", enquiry.reference)


def test_the_communications_lead_goes_from_home_to_the_notice_to_approve(
    sign_in: SignIn, axe: Accessibility, regulator: User, cqc: Organisation, triggered: Case
) -> None:
    author = member(cqc, Role.COMMUNICATIONS_OFFICER, full_name="Cara Comms")
    approver = member(cqc, Role.COMMUNICATIONS_OFFICER, full_name="Lena Lead")
    lead_hand_over(
        actor=regulator,
        case=triggered,
        area=Area.PUBLIC_COMMUNICATIONS,
        lead=approver,
        organisation=cqc,
        reason="Leads CQC's communications team",
    )
    notice = notice_draft(actor=author, case=triggered, kind=NoticeKind.FAILURE_NOTICE, text=NOTICE_TEXT)
    notice_submit(actor=author, notice=notice)
    walk(sign_in, axe, approver, NOTICE_TEXT.title, NOTICE_TEXT.title)
