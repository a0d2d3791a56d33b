"""Communications' work on the staff home page: enquiries waiting for a response, notices to approve, finish or
publish, and plan items due, each for the right people only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, Role, User
from communications.models import (
    Audience,
    Channel,
    ContactMethod,
    Enquiry,
    EnquiryCategory,
    Notice,
    NoticeKind,
    Relation,
    Urgency,
)
from communications.services.enquiries import enquiry_receive, enquiry_triage
from communications.services.notices import notice_draft, notice_submit
from communications.services.plans import plan_create, plan_item_add
from communications.work import APPROVALS, ENQUIRIES, NOTICES, PLAN_ITEMS
from failure_regime.models import Case
from failure_regime.work import HEADING_LIMIT, WorkItem, work_for_user, work_groups
from failure_regime.work import Urgency as WorkUrgency
from tests.communications.conftest import NOTICE_TEXT, approved_notice
from tests.factories import (
    member,
    sole_organisation,  # noqa: E402
)

pytestmark = pytest.mark.django_db


def items_in(user: User, group: str) -> list[WorkItem]:
    return [item for item in work_for_user(user=user) if item.group == group]


def receive(provider: Organisation, **overrides: Any) -> Enquiry:
    fields: dict[str, Any] = {
        "name": "Alex Example",
        "relation": Relation.FAMILY,
        "worry": "My mother was left without pain relief for a day on the maternity ward.",
        "contact_method": ContactMethod.EMAIL,
        "email": "alex@example.org",
        "consent": True,
        **overrides,
    }
    return enquiry_receive(provider=provider, **fields)


@pytest.fixture
def urgent(family_support_case: Case, provider: Organisation, liaison_officer: User) -> Enquiry:
    """An enquiry about ``provider``, triaged as urgent and assigned to ``liaison_officer``."""
    enquiry = receive(provider)
    return enquiry_triage(
        actor=liaison_officer,
        enquiry=enquiry,
        category=EnquiryCategory.URGENT_CLINICAL,
        urgency=Urgency.URGENT,
        case=family_support_case,
        assigned_to=liaison_officer,
    )


# --- Enquiries ---------------------------------------------------------------------------------------------


def test_it_shows_the_liaison_officer_their_urgent_enquiry(urgent: Enquiry, liaison_officer: User) -> None:
    [item] = items_in(liaison_officer, ENQUIRIES)
    assert (item.url, item.urgency, item.due) == (
        reverse("communications:enquiry-detail", args=[urgent.pk]),
        WorkUrgency.URGENT,
        urgent.response_due_at,
    )


def test_it_labels_the_enquiry_with_the_officers_organisation(urgent: Enquiry, liaison_officer: User) -> None:
    [item] = items_in(liaison_officer, ENQUIRIES)
    assert item.organisation == "Mid Shire Hospitals NHS Foundation Trust, family liaison officer"


def test_it_shows_another_trusts_liaison_officer_no_enquiry(urgent: Enquiry, other_liaison_officer: User) -> None:
    assert items_in(other_liaison_officer, ENQUIRIES) == []


def test_it_leaves_an_enquiry_assigned_to_a_colleague_to_them(urgent: Enquiry, provider: Organisation) -> None:
    colleague = member(provider, Role.FAMILY_LIAISON_OFFICER)
    assert items_in(colleague, ENQUIRIES) == []


def test_it_shows_the_enquiry_past_its_response_clock_as_overdue(urgent: Enquiry, liaison_officer: User) -> None:
    with time_machine.travel(urgent.response_due_at + timedelta(hours=1), tick=False):
        [item] = items_in(liaison_officer, ENQUIRIES)
        assert item.overdue


def test_it_lists_the_soonest_due_enquiries_and_counts_the_rest(
    urgent: Enquiry, provider: Organisation, liaison_officer: User
) -> None:
    for _ in range(HEADING_LIMIT + 1):
        receive(provider)
    found = work_for_user(user=liaison_officer)
    listed = [item for item in found if item.group == ENQUIRIES]
    assert len(listed) == HEADING_LIMIT and listed[0].title == f"Enquiry {urgent.reference}"
    [group] = [g for g in work_groups(found) if g.heading == ENQUIRIES]
    assert (len(group.items), group.total) == (HEADING_LIMIT, HEADING_LIMIT + 2)


def test_it_counts_the_overdue_enquiries_it_does_not_list(
    urgent: Enquiry, provider: Organisation, liaison_officer: User
) -> None:
    latest = [receive(provider) for _ in range(HEADING_LIMIT + 1)][-1]
    with time_machine.travel(latest.response_due_at + timedelta(hours=1), tick=False):
        found = work_for_user(user=liaison_officer)
    [group] = [g for g in work_groups(found) if g.heading == ENQUIRIES]
    assert (len(group.items), group.total, group.overdue_count) == (HEADING_LIMIT, HEADING_LIMIT + 2, HEADING_LIMIT + 2)


def test_it_drops_the_enquiry_from_national_oversight(urgent: Enquiry, national: User) -> None:
    assert items_in(national, ENQUIRIES) == []


# --- Notices -----------------------------------------------------------------------------------------------


def test_it_shows_the_communications_lead_the_notice_to_approve(
    draft: Notice, comms_officer: User, comms_lead: User
) -> None:
    notice_submit(actor=comms_officer, notice=draft)
    [item] = items_in(comms_lead, APPROVALS)
    assert item.url == reverse("communications:staff-notice-detail", args=[draft.pk]) + "#approval"


def test_it_shows_the_author_no_approval_they_cannot_give(draft: Notice, comms_officer: User) -> None:
    notice_submit(actor=comms_officer, notice=draft)
    assert items_in(comms_officer, APPROVALS) == []


def test_it_shows_the_communications_officer_the_draft_to_finish(draft: Notice, comms_officer: User) -> None:
    [item] = items_in(comms_officer, NOTICES)
    assert (item.url, item.progress) == (
        reverse("communications:staff-notice-detail", args=[draft.pk]),
        "Draft: finish and send for approval",
    )


def test_it_shows_an_outsiders_communications_officer_no_draft(draft: Notice, outsider_comms_officer: User) -> None:
    assert items_in(outsider_comms_officer, NOTICES) == []


def test_it_shows_the_approved_notice_ready_to_publish(
    triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    approved_notice(triggered_case, comms_officer, comms_lead)
    [item] = items_in(comms_officer, NOTICES)
    assert item.progress == "Approved: ready to publish"


def test_it_shows_the_joint_statement_to_each_partys_signatory(
    triggered_case: Case, comms_officer: User, sign_off_officer: User
) -> None:
    joint = notice_draft(actor=comms_officer, case=triggered_case, kind=NoticeKind.JOINT_STATEMENT, text=NOTICE_TEXT)
    notice_submit(actor=comms_officer, notice=joint)
    [item] = items_in(sign_off_officer, APPROVALS)
    assert item.organisation == "Mid Shire Hospitals NHS Foundation Trust, trust sign-off officer"


# --- Plan items --------------------------------------------------------------------------------------------


@pytest.fixture
def plan_item(triggered_case: Case, comms_officer: User) -> Any:
    plan = plan_create(
        actor=comms_officer,
        organisation=sole_organisation(comms_officer),
        case=triggered_case,
        objectives="Families hear first.",
        key_messages="We are sorry.",
        audiences={Audience.AFFECTED_FAMILIES: "Told first, by phone."},
    )
    return plan_item_add(
        actor=comms_officer,
        organisation=sole_organisation(comms_officer),
        plan=plan,
        title="Letter to every family",
        channel=Channel.LETTER,
        audience=Audience.AFFECTED_FAMILIES,
        owner=comms_officer,
        due_on=timezone.localdate() + timedelta(days=3),
    )


def test_it_shows_the_owner_their_plan_item_with_its_due_date(plan_item: Any, comms_officer: User) -> None:
    [item] = items_in(comms_officer, PLAN_ITEMS)
    assert (item.title, item.due, item.url) == (
        "Letter to every family",
        plan_item.due_on,
        reverse("communications:plan", args=[plan_item.plan.case_id]),
    )


def test_it_shows_the_plan_item_to_no_one_but_its_owner(plan_item: Any, comms_lead: User) -> None:
    assert items_in(comms_lead, PLAN_ITEMS) == []


def test_the_home_page_marks_the_enquiry_urgent_and_links_to_it(
    client_for: Callable[[User], Client], urgent: Enquiry, liaison_officer: User
) -> None:
    page = client_for(liaison_officer).get(reverse("staff-home")).content.decode()
    url = reverse("communications:enquiry-detail", args=[urgent.pk])
    assert f'href="{url}"' in page and '<strong class="nhsuk-tag nhsuk-tag--red">Urgent</strong>' in page
