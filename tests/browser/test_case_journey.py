"""A case from concern to active, driven in the browser by each person in turn, each in their own browser.

The inspector records a concern with evidence; the regulator proposes a case from it and agrees; the
oversight lead and the trust's sign-off officer agree, which triggers it; the regulator appoints an
accountable lead for every area and makes the case active. axe checks every page on the way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import Organisation, User
from failure_regime.models import Area, Case, ConcernSource
from failure_regime.services.cases import case_propose
from failure_regime.services.concerns import concern_raise
from tests.browser.conftest import Accessibility, watch
from tests.browser.test_sign_in import code_for
from tests.factories import PASSWORD, sole_organisation

pytestmark = pytest.mark.django_db(transaction=True)

SignIn = Callable[..., Page]

EVIDENCE = {
    "name": "evidence.pdf",
    "mimeType": "application/pdf",
    "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
}
CONCERN_SUMMARY = "Staff report unsafe staffing on the maternity unit, night after night."
TITLE = "Maternity services at Mid Shire"


@pytest.fixture
def sign_in(browser: Browser, live_server) -> Iterator[SignIn]:
    """``sign_in(user, **context_options)``: a page in a new browser context, signed in through the sign-in
    pages with the user's password and current security code."""
    contexts: list[BrowserContext] = []

    def open_signed_in(user: User, **context_options: object) -> Page:
        context = browser.new_context(**context_options)  # type: ignore[arg-type]
        contexts.append(context)
        page = watch(context.new_page())
        page.goto(live_server.url + "/sign-in/")
        page.get_by_label("E-mail address").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Security code").fill(code_for(user))
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name=f"Hello, {user.get_short_name()}")).to_be_visible()
        return page

    yield open_signed_in
    for context in contexts:
        context.close()


def agree(page: Page) -> None:
    page.get_by_label("Agree to trigger the case").check()
    page.get_by_role("button", name="Record the decision").click()


def decision_of(page: Page, organisation: Organisation) -> str:
    row = page.get_by_role("table", name="Each party's decision").get_by_role("row").filter(has_text=organisation.name)
    return row.get_by_role("cell").nth(1).inner_text().strip()


def appoint(page: Page, area: Area, lead: User) -> None:
    details = page.locator("details").filter(has_text="Appoint or hand over an accountable lead")
    if not details.evaluate("element => element.open"):
        details.locator("summary").click()
    details.get_by_label("Area", exact=True).select_option(label=area.label)
    membership = lead.memberships.select_related("organisation").get()
    role = membership.get_role_display().lower()
    details.get_by_label("Accountable lead", exact=True).select_option(
        label=f"{lead.full_name} ({membership.organisation.name}, {role})"
    )
    details.get_by_label("Why this person?").fill(f"{lead.full_name} already leads this work at their organisation.")
    details.get_by_role("button", name="Appoint the lead").click()
    accountability = page.get_by_role("table", name="Accountable lead, responsible and consulted organisations")
    row = accountability.get_by_role("row").filter(has=page.get_by_role("rowheader", name=area.label, exact=True))
    expect(row).to_contain_text(lead.full_name)


def test_a_case_goes_from_concern_to_active(
    sign_in: SignIn,
    axe: Accessibility,
    provider: Organisation,
    monitor: Organisation,
    cqc: Organisation,
    inspector: User,
    regulator: User,
    oversight_lead: User,
    sign_off_officer: User,
) -> None:
    # 1. The inspector records a concern, with evidence.
    inspecting = sign_in(inspector)
    inspecting.get_by_role("link", name="Concerns").first.click()
    axe.check(inspecting)
    inspecting.get_by_role("link", name="Record a concern").click()
    expect(inspecting.get_by_role("heading", name="Record a concern")).to_be_visible()
    axe.check(inspecting)
    inspecting.get_by_role("button", name="Record the concern").click()
    expect(inspecting.get_by_role("alert")).to_contain_text("There is a problem")
    axe.check(inspecting)
    inspecting.get_by_label("Provider").select_option(label=provider.name)
    inspecting.get_by_label("Whistleblowing").check()
    inspecting.get_by_label("Immediate").check()
    inspecting.get_by_label("What is the concern?").fill(CONCERN_SUMMARY)
    inspecting.get_by_label("Evidence").set_input_files(EVIDENCE)  # type: ignore[arg-type]
    inspecting.get_by_role("button", name="Record the concern").click()
    expect(inspecting.get_by_role("heading", name=f"Concern about {provider.name}")).to_be_visible()
    expect(inspecting.get_by_role("link", name="evidence.pdf")).to_be_visible()
    expect(inspecting.get_by_text(CONCERN_SUMMARY)).to_be_visible()
    axe.check(inspecting)
    concern_url = inspecting.url

    # 2. The regulator proposes a case from that concern.
    regulating = sign_in(regulator)
    regulating.goto(concern_url)
    axe.check(regulating)
    regulating.get_by_role("link", name="Propose a case from this concern").click()
    expect(regulating.get_by_role("heading", name="Propose a case")).to_be_visible()
    axe.check(regulating)
    concern_box = regulating.get_by_label(CONCERN_SUMMARY[:40], exact=False)
    expect(concern_box).to_be_checked()
    regulating.get_by_label("Title").fill(TITLE)
    regulating.get_by_label("Summary", exact=True).fill("Repeated failures of maternity care.")
    regulating.get_by_label("Scope").fill("Maternity services, 2019 to 2024.")
    regulating.get_by_label("Terms of reference").fill("Review every case of harm in maternity since 2019.")
    concern_box.check()
    regulating.get_by_role("button", name="Propose the case").click()
    expect(regulating.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(regulating.locator(".nhsuk-tag").first).to_have_text("Proposed")
    axe.check(regulating)
    case = Case.objects.get(title=TITLE)
    case_url = regulating.url

    # 3. The regulator gives the Care Quality Commission's decision.
    agree(regulating)
    assert decision_of(regulating, cqc) == "Agrees"
    assert decision_of(regulating, monitor) == "Not decided"
    axe.check(regulating)

    # 4. The oversight lead finds the case waiting on the staff home and agrees.
    overseeing = sign_in(oversight_lead)
    waiting = overseeing.locator('h3:text-is("Decisions waiting for your organisation\'s sign-off") + table')
    link = waiting.get_by_role("link", name=f"{case.reference}: {TITLE}")
    expect(link).to_be_visible()
    axe.check(overseeing)
    link.click()
    agree(overseeing)
    assert decision_of(overseeing, monitor) == "Agrees"
    expect(overseeing.locator(".nhsuk-tag").first).to_have_text("Proposed")

    # 5. The trust's sign-off officer agrees, which triggers the case.
    signing = sign_in(sign_off_officer)
    signing.goto(case_url)
    axe.check(signing)
    agree(signing)
    expect(signing.locator(".nhsuk-tag").first).to_have_text("Triggered")
    assert decision_of(signing, provider) == "Agrees"
    expect(signing.get_by_role("heading", name="Timeline").locator("+ ol")).to_contain_text("Case triggered")

    # 6. The regulator appoints a lead for each area; the case cannot be made active until all are set.
    regulating.goto(case_url)
    expect(regulating.locator(".nhsuk-tag").first).to_have_text("Triggered")
    axe.check(regulating)
    leads = {
        Area.INVESTIGATION: inspector,
        Area.EXPERT_RECRUITMENT: regulator,
        Area.PUBLIC_COMMUNICATIONS: oversight_lead,
        Area.FAMILY_SUPPORT: sign_off_officer,
        Area.OVERSIGHT: oversight_lead,
    }
    first, rest = list(leads.items())[:3], list(leads.items())[3:]
    for area, lead in first:
        appoint(regulating, area, lead)
    regulating.get_by_role("button", name="Make the case active").click()
    error = regulating.get_by_role("alert")
    expect(error).to_contain_text("There is a problem")
    expect(error).to_contain_text(f"These areas have no accountable lead yet: {Area.FAMILY_SUPPORT.label}, ")
    expect(error).to_contain_text(Area.OVERSIGHT.label)
    for area, _ in first:
        expect(error).not_to_contain_text(area.label)
    expect(regulating.locator(".nhsuk-tag").first).to_have_text("Triggered")
    axe.check(regulating)
    for area, lead in rest:
        appoint(regulating, area, lead)
    regulating.get_by_role("button", name="Make the case active").click()

    # 7. The case is active, and its timeline says how it got there.
    expect(regulating.locator(".nhsuk-tag").first).to_have_text("Active")
    timeline = regulating.get_by_role("heading", name="Timeline").locator("+ ol")
    expect(timeline).to_contain_text("Case triggered")
    expect(timeline).to_contain_text("Case made active")
    expect(regulating.get_by_role("button", name="Make the case active")).to_have_count(0)
    axe.check(regulating)


@pytest.fixture
def proposed_case(
    regulator: User, inspector: User, provider: Organisation, oversight_lead: User, sign_off_officer: User
) -> Case:
    concern = concern_raise(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=provider,
        source=ConcernSource.MORTALITY_DATA,
        summary="Mortality well above the expected range for two years.",
    )
    return case_propose(
        actor=regulator,
        organisation=sole_organisation(regulator),
        provider=provider,
        concerns=[concern],
        title="Maternity services",
        summary="Failures of maternity care.",
        scope="2019 to 2024",
        terms_of_reference="Review every case of harm since 2019.",
    )


def test_a_decision_can_be_given_without_javascript(
    sign_in: SignIn, live_server, regulator: User, cqc: Organisation, proposed_case: Case
) -> None:
    page = sign_in(regulator, java_script_enabled=False)
    page.goto(f"{live_server.url}/staff/cases/{proposed_case.pk}/")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    agree(page)
    assert decision_of(page, cqc) == "Agrees"
    expect(page.get_by_role("button", name="Record the decision")).to_have_count(0)


def test_focus_moves_to_the_error_summary(sign_in: SignIn, live_server, inspector: User) -> None:
    page = sign_in(inspector)
    page.goto(live_server.url + "/staff/concerns/new/")
    page.get_by_role("button", name="Record the concern").click()
    expect(page.get_by_role("alert")).to_be_focused(timeout=1000)


def test_each_error_is_announced_once(sign_in: SignIn, live_server, inspector: User) -> None:
    page = sign_in(inspector)
    page.goto(live_server.url + "/staff/concerns/new/")
    page.get_by_role("button", name="Record the concern").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    described = page.locator("[aria-describedby]").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-describedby'))"
    )
    assert described
    for ids in described:
        assert len(ids.split()) == len(set(ids.split())), ids


def test_the_case_page_title_says_when_an_action_failed(
    sign_in: SignIn, live_server, regulator: User, proposed_case: Case
) -> None:
    page = sign_in(regulator)
    page.goto(f"{live_server.url}/staff/cases/{proposed_case.pk}/")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile(r"\(error\)"), timeout=1000)
