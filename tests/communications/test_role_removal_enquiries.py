"""Removing a family liaison officer's role hands the enquiries assigned to them back to their team's queue, unless
they keep the role somewhere that still handles them: unassigned, audited with why, on every officer's work list
there, and no longer open to the person whose role was removed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, Organisation, Role, User
from accounts.services import membership_create
from communications.models import Enquiry, EnquiryCategory, Urgency
from communications.services.enquiries import enquiry_triage
from communications.verbs import CommunicationsVerb
from communications.work import ENQUIRIES
from failure_regime.models import Area, Case, Responsibility
from failure_regime.work import work_for_user
from tests.communications.test_enquiries import MONDAY_10AM, receive
from tests.factories import member, role_remove

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(provider: Organisation) -> User:
    """A second family liaison officer at ``provider``, who is assigned the enquiry."""
    return member(provider, Role.FAMILY_LIAISON_OFFICER, full_name="Cal Colleague")


@pytest.fixture
def assigned(family_support_case: Case, provider: Organisation, liaison_officer: User, colleague: User) -> Enquiry:
    """An enquiry about ``provider``, handled by ``provider``, triaged by ``liaison_officer`` and assigned to
    ``colleague``."""
    with time_machine.travel(MONDAY_10AM, tick=False):
        enquiry = receive(provider)
    return enquiry_triage(
        actor=liaison_officer,
        enquiry=enquiry,
        category=EnquiryCategory.INFORMATION,
        urgency=Urgency.ROUTINE,
        case=family_support_case,
        assigned_to=colleague,
    )


def waiting(user: User) -> dict[str, str]:
    """The enquiries on ``user``'s work list, by title, with what it says of who has them."""
    return {item.title: item.progress for item in work_for_user(user=user) if item.group == ENQUIRIES}


def test_removing_the_officers_role_unassigns_their_enquiry(
    administrator: User, colleague: User, provider: Organisation, assigned: Enquiry
) -> None:
    role_remove(administrator, colleague, provider, Role.FAMILY_LIAISON_OFFICER)
    assigned.refresh_from_db()
    assert assigned.assigned_to is None


def test_the_enquiry_keeps_its_clock_and_case(
    administrator: User, colleague: User, provider: Organisation, assigned: Enquiry
) -> None:
    due, case_id = assigned.response_due_at, assigned.case_id
    role_remove(administrator, colleague, provider, Role.FAMILY_LIAISON_OFFICER)
    assigned.refresh_from_db()
    assert (assigned.response_due_at, assigned.case_id, assigned.handled_by) == (due, case_id, provider)


def test_handing_it_back_is_audited_with_who_and_why(
    administrator: User, colleague: User, provider: Organisation, assigned: Enquiry
) -> None:
    role_remove(administrator, colleague, provider, Role.FAMILY_LIAISON_OFFICER)
    event = AuditEvent.objects.get(verb=CommunicationsVerb.ENQUIRY_UNASSIGNED, target_id=str(assigned.pk))
    assert event.actor == administrator
    assert event.before == {"assigned_to": colleague.pk}
    assert event.after["assigned_to"] is None and "family liaison officer role" in event.after["reason"]


def test_it_waits_on_the_teams_work_list_as_not_assigned(
    administrator: User, liaison_officer: User, colleague: User, provider: Organisation, assigned: Enquiry
) -> None:
    assert f"Enquiry {assigned.reference}" not in waiting(liaison_officer)  # the colleague's, until now
    role_remove(administrator, colleague, provider, Role.FAMILY_LIAISON_OFFICER)
    assert waiting(liaison_officer)[f"Enquiry {assigned.reference}"] == "Not assigned"


def test_the_removed_officer_can_no_longer_open_it(
    administrator: User,
    colleague: User,
    provider: Organisation,
    assigned: Enquiry,
    client_for: Callable[[User], Client],
) -> None:
    browser = client_for(colleague)
    url = reverse("communications:enquiry-detail", args=[assigned.pk])
    assert browser.get(url).status_code == 200
    role_remove(administrator, colleague, provider, Role.FAMILY_LIAISON_OFFICER)
    assert browser.get(url).status_code == 404


def test_an_officer_who_keeps_the_role_where_the_case_is_supported_keeps_it(
    administrator: User, colleague: User, provider: Organisation, other_provider: Organisation, assigned: Enquiry
) -> None:
    """``other_provider`` shares the case's family support, so its officers may handle the enquiry too."""
    Responsibility.objects.get(case=assigned.case, area=Area.FAMILY_SUPPORT).responsible.add(other_provider)
    membership_create(
        actor=administrator, user=colleague, organisation=other_provider, role=Role.FAMILY_LIAISON_OFFICER
    )
    role_remove(administrator, colleague, provider, Role.FAMILY_LIAISON_OFFICER)
    assigned.refresh_from_db()
    assert assigned.assigned_to == colleague
    assert not AuditEvent.objects.filter(verb=CommunicationsVerb.ENQUIRY_UNASSIGNED).exists()


def test_removing_another_role_leaves_the_enquiry_assigned(
    administrator: User, colleague: User, provider: Organisation, assigned: Enquiry
) -> None:
    membership_create(actor=administrator, user=colleague, organisation=provider, role=Role.TRUST_MANAGER)
    role_remove(administrator, colleague, provider, Role.TRUST_MANAGER)
    assigned.refresh_from_db()
    assert assigned.assigned_to == colleague


def test_other_officers_enquiries_stay_with_them(
    administrator: User,
    liaison_officer: User,
    colleague: User,
    provider: Organisation,
    family_support_case: Case,
    assigned: Enquiry,
) -> None:
    with time_machine.travel(MONDAY_10AM, tick=False):
        theirs = receive(provider)
    enquiry_triage(
        actor=liaison_officer,
        enquiry=theirs,
        category=EnquiryCategory.INFORMATION,
        urgency=Urgency.ROUTINE,
        assigned_to=liaison_officer,
    )
    role_remove(administrator, colleague, provider, Role.FAMILY_LIAISON_OFFICER)
    theirs.refresh_from_db()
    assert theirs.assigned_to == liaison_officer
