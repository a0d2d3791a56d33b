"""Someone who works on a case's communications for two of its parties: the plan's and the notice's buttons ask
which organisation on a page of their own, which fits 320 pixels, passes axe and completes the action."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Organisation, Role, User
from accounts.services import membership_create
from communications.models import Audience, Channel, NoticeKind, NoticeStatus, PlanItem
from communications.services.notices import notice_draft
from communications.services.plans import plan_create, plan_item_add
from failure_regime.models import Case
from tests.browser.conftest import Accessibility
from tests.browser.test_layout_widths import WIDE, OpenAs, open_as  # noqa: F401
from tests.communications.conftest import NOTICE_TEXT, comms_lead, comms_officer, triggered_case  # noqa: F401
from tests.failure_regime.conftest import case, concern  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def officer_of_two(comms_officer: User, provider: Organisation, triggered_case: Case) -> User:  # noqa: F811
    membership_create(actor=None, user=comms_officer, organisation=provider, role=Role.COMMUNICATIONS_OFFICER)
    return comms_officer


def test_the_plan_and_the_notice_ask_which_organisation_and_the_answer_completes_the_action(
    open_as: OpenAs,  # noqa: F811
    live_server: Any,
    axe: Accessibility,
    officer_of_two: User,
    triggered_case: Case,  # noqa: F811
    cqc: Organisation,
    provider: Organisation,
) -> None:
    plan = plan_create(
        actor=officer_of_two,
        organisation=cqc,
        case=triggered_case,
        objectives="Families hear first.",
        key_messages="",
        audiences={Audience.AFFECTED_FAMILIES: "By letter."},
    )
    item = plan_item_add(
        actor=officer_of_two,
        organisation=cqc,
        plan=plan,
        title="Letter to every family",
        channel=Channel.LETTER,
        audience=Audience.AFFECTED_FAMILIES,
        owner=officer_of_two,
        due_on=timezone.localdate() + timedelta(days=3),
    )
    page = open_as(officer_of_two, viewport={"width": WIDE, "height": 800})

    page.goto(f"{live_server.url}/staff/communications/cases/{triggered_case.pk}/plan/")
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("heading", name="Remove the item from the plan", level=1)).to_be_visible()
    axe.check(page)  # and at 320 pixels
    page.get_by_role("radio", name=provider.name).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("The item has been removed from the plan.")).to_be_visible()
    assert not PlanItem.objects.filter(pk=item.pk).exists()

    notice = notice_draft(
        actor=officer_of_two, organisation=cqc, case=triggered_case, kind=NoticeKind.FAILURE_NOTICE, text=NOTICE_TEXT
    )
    page.goto(f"{live_server.url}/staff/communications/notices/{notice.pk}/")
    page.get_by_text("Withdraw the notice", exact=True).first.click()
    page.get_by_label("Why is it withdrawn?").fill("Drafted by mistake.")
    page.get_by_role("button", name="Withdraw the notice").click()
    expect(page.get_by_role("heading", name="Withdraw the notice", level=1)).to_be_visible()
    axe.check(page)
    page.get_by_role("radio", name=provider.name).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("The notice has been withdrawn from the public site.")).to_be_visible()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.WITHDRAWN and notice.withdrawal_reason == "Drafted by mistake."
