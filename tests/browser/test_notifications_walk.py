"""From the header's unread count to the notification's page, and the choices page, with axe at 1280 and 320
pixels wide; nothing may scroll sideways at 320."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import User
from failure_regime.models import Case, NotificationEvent
from failure_regime.services.notifications import notify
from tests.browser import test_case_journey as journey
from tests.browser.conftest import Accessibility
from tests.browser.test_case_journey import SignIn
from tests.browser.test_home_walks import NARROW, WIDE, sideways_scrolling
from tests.failure_regime.conftest import case, concern  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

sign_in = journey.sign_in


def test_a_person_opens_a_notification_and_chooses_how_to_hear(
    sign_in: SignIn,
    axe: Accessibility,
    case: Case,  # noqa: F811
    trust_manager: User,
) -> None:
    title = f"Case {case.reference} at {case.provider.name} is active"
    notify(
        event=NotificationEvent.CASE_ACTIVATED,
        recipients=[trust_manager],
        title=title,
        link=f"/staff/cases/{case.pk}/",
        key=f"case:{case.pk}:activated",
    )
    page = sign_in(trust_manager, viewport={"width": WIDE, "height": 900})
    problems: list[str] = []
    for width in (WIDE, NARROW):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(page.url.split("/staff/")[0] + "/staff/notifications/")
        expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
        axe.check(page)
        problems.append(sideways_scrolling(page) if width == NARROW else "")
        page.get_by_role("link", name="Choose how you hear about things").click()
        expect(page.get_by_role("heading", name="How you hear about things", level=1)).to_be_visible()
        axe.check(page)
        problems.append(sideways_scrolling(page) if width == NARROW else "")
    page.set_viewport_size({"width": WIDE, "height": 900})
    page.get_by_role("link", name="Notifications (1 unread)").click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=case.title, level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Notifications (0 unread)")).to_be_visible()
    assert not [p for p in problems if p], "\n\n".join(p for p in problems if p)
