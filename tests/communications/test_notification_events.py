"""Notifications of communications' events: an enquiry given to an officer or escalated, a notice awaiting
approval, approved and published. Each tells exactly the people it concerns, once each, and nobody else."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Organisation, Role, User
from communications.models import (
    ContactMethod,
    Enquiry,
    EnquiryCategory,
    Notice,
    NoticeKind,
    NoticeVersion,
    Relation,
    Urgency,
)
from communications.services import notification_events as events
from communications.services.enquiries import enquiry_escalation_sweep, enquiry_receive, enquiry_triage
from communications.services.notices import (
    notice_approve,
    notice_draft,
    notice_publish,
    notice_return,
    notice_submit,
)
from communications.workdays import LONDON
from failure_regime.models import Case, Notification, NotificationEvent
from failure_regime.services import notification_events as regime_events
from tests.communications.conftest import NOTICE_TEXT, approved_notice
from tests.factories import member

pytestmark = pytest.mark.django_db

MONDAY_10AM = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)
THURSDAY_9AM = datetime(2026, 3, 5, 9, 0, tzinfo=LONDON)


def told(event: str) -> list[str]:
    """Who was notified of ``event``, one entry per notification."""
    return sorted(Notification.objects.filter(event=event).values_list("user__email", flat=True))


def emails(*users: User) -> list[str]:
    return sorted(u.email for u in users)


# --- Enquiries ----------------------------------------------------------------------------------------------


@pytest.fixture
def enquiry(family_support_case: Case, provider: Organisation, other_liaison_officer: User) -> Enquiry:
    """An enquiry about ``provider``, received on Monday 2 March 2026 at 10:00 and handled by ``provider``."""
    with time_machine.travel(MONDAY_10AM, tick=False):
        return enquiry_receive(
            provider=provider,
            name="Alex Example",
            relation=Relation.FAMILY,
            worry="My mother was left without pain relief for a day on the maternity ward.",
            contact_method=ContactMethod.EMAIL,
            email="alex@example.org",
            consent=True,
        )


@pytest.fixture
def colleague(provider: Organisation) -> User:
    return member(provider, Role.FAMILY_LIAISON_OFFICER, full_name="Col League")


def triage(enquiry: Enquiry, actor: User, **fields: Any) -> Enquiry:
    fields = {"category": EnquiryCategory.INFORMATION, "urgency": Urgency.ROUTINE, **fields}
    return enquiry_triage(actor=actor, enquiry=enquiry, **fields)


def test_an_enquiry_given_to_an_officer_tells_that_officer(
    enquiry: Enquiry, liaison_officer: User, colleague: User
) -> None:
    triage(enquiry, liaison_officer, assigned_to=colleague)
    assert told(NotificationEvent.ENQUIRY_ASSIGNED) == emails(colleague)


def test_the_assignment_names_the_enquiry_by_reference_only(
    enquiry: Enquiry, liaison_officer: User, colleague: User
) -> None:
    triage(enquiry, liaison_officer, assigned_to=colleague)
    notification = Notification.objects.get(event=NotificationEvent.ENQUIRY_ASSIGNED)
    assert enquiry.reference in notification.title and "Alex" not in f"{notification.title}{notification.body}"


def test_an_officer_who_takes_an_enquiry_is_not_told(enquiry: Enquiry, liaison_officer: User) -> None:
    triage(enquiry, liaison_officer, assigned_to=liaison_officer)
    assert told(NotificationEvent.ENQUIRY_ASSIGNED) == []


def test_triage_again_without_a_new_officer_tells_nobody_again(
    enquiry: Enquiry, liaison_officer: User, colleague: User
) -> None:
    triage(enquiry, liaison_officer, assigned_to=colleague)
    triage(enquiry, liaison_officer, assigned_to=colleague, urgency=Urgency.URGENT)
    assert told(NotificationEvent.ENQUIRY_ASSIGNED) == emails(colleague)


def test_telling_of_an_assignment_again_duplicates_nothing(
    enquiry: Enquiry, liaison_officer: User, colleague: User
) -> None:
    triaged = triage(enquiry, liaison_officer, assigned_to=colleague)
    events.enquiry_assigned_notify(enquiry=triaged, actor=liaison_officer)
    assert told(NotificationEvent.ENQUIRY_ASSIGNED) == emails(colleague)


def test_an_overdue_enquiry_tells_its_officer_and_the_handling_organisations_officers_once(
    enquiry: Enquiry, liaison_officer: User, colleague: User, provider: Organisation
) -> None:
    member(provider, Role.TRUST_MANAGER)
    triage(enquiry, liaison_officer, assigned_to=colleague)
    with time_machine.travel(THURSDAY_9AM, tick=False):
        enquiry_escalation_sweep()
        enquiry_escalation_sweep()
    # The liaison officer is also the case's accountable lead for family support.
    assert told(NotificationEvent.ENQUIRY_ESCALATED) == emails(liaison_officer, colleague)


def test_an_answered_enquiry_tells_nobody_of_escalation(enquiry: Enquiry, liaison_officer: User) -> None:
    with time_machine.travel(MONDAY_10AM + timedelta(hours=1), tick=False):
        enquiry_escalation_sweep()
    assert told(NotificationEvent.ENQUIRY_ESCALATED) == []


# --- Notices ------------------------------------------------------------------------------------------------


@pytest.fixture
def bystanders(cqc: Organisation, outsider_comms_officer: User, inspector: User, trust_manager: User) -> None:
    """Staff of the case's parties who approve nothing, and a communications officer of another provider."""


@pytest.fixture
def in_review(triggered_case: Case, comms_officer: User, bystanders: None) -> Notice:
    notice = notice_draft(actor=comms_officer, case=triggered_case, kind=NoticeKind.FAILURE_NOTICE, text=NOTICE_TEXT)
    notice_submit(actor=comms_officer, notice=notice)
    return notice


@pytest.fixture
def joint(triggered_case: Case, comms_officer: User, bystanders: None) -> Notice:
    notice = notice_draft(actor=comms_officer, case=triggered_case, kind=NoticeKind.JOINT_STATEMENT, text=NOTICE_TEXT)
    notice_submit(actor=comms_officer, notice=notice)
    return notice


def version_of(notice: Notice) -> NoticeVersion:
    return notice.versions.order_by("-number").first()  # type: ignore[return-value]


def test_a_notice_in_review_asks_the_communications_lead_to_approve(in_review: Notice, comms_lead: User) -> None:
    assert told(NotificationEvent.NOTICE_AWAITING_APPROVAL) == emails(comms_lead)


def test_a_notice_in_review_is_named_by_its_title(in_review: Notice, comms_lead: User) -> None:
    notification = Notification.objects.get(event=NotificationEvent.NOTICE_AWAITING_APPROVAL)
    assert NOTICE_TEXT.title in notification.title
    assert notification.link == f"/staff/communications/notices/{in_review.pk}/"


def test_a_joint_statement_asks_every_partys_sign_off_officers(
    joint: Notice, regulator: User, oversight_lead: User, sign_off_officer: User
) -> None:
    assert told(NotificationEvent.NOTICE_AWAITING_APPROVAL) == emails(regulator, oversight_lead, sign_off_officer)


def test_the_lead_who_sends_their_own_draft_for_review_is_not_asked(
    triggered_case: Case, comms_lead: User, bystanders: None
) -> None:
    notice = notice_draft(actor=comms_lead, case=triggered_case, kind=NoticeKind.FAILURE_NOTICE, text=NOTICE_TEXT)
    notice_submit(actor=comms_lead, notice=notice)
    assert told(NotificationEvent.NOTICE_AWAITING_APPROVAL) == []


def test_a_returned_notice_sent_again_asks_again(in_review: Notice, comms_lead: User, comms_officer: User) -> None:
    notice_return(actor=comms_lead, notice=in_review, reason="Say who leads the review.")
    notice_submit(actor=comms_officer, notice=in_review)
    assert told(NotificationEvent.NOTICE_AWAITING_APPROVAL) == emails(comms_lead, comms_lead)


def test_asking_again_duplicates_nothing(in_review: Notice, comms_officer: User, comms_lead: User) -> None:
    events.notice_awaiting_approval_notify(notice=in_review, version=version_of(in_review), actor=comms_officer)
    assert told(NotificationEvent.NOTICE_AWAITING_APPROVAL) == emails(comms_lead)


def test_an_approved_notice_tells_its_author(in_review: Notice, comms_lead: User, comms_officer: User) -> None:
    notice_approve(actor=comms_lead, notice=in_review)
    assert told(NotificationEvent.NOTICE_APPROVED) == emails(comms_officer)


def test_a_joint_statement_is_told_approved_only_when_the_last_party_approves(
    joint: Notice, regulator: User, oversight_lead: User, sign_off_officer: User, comms_officer: User
) -> None:
    notice_approve(actor=regulator, notice=joint)
    notice_approve(actor=oversight_lead, notice=joint)
    assert told(NotificationEvent.NOTICE_APPROVED) == []
    notice_approve(actor=sign_off_officer, notice=joint)
    assert told(NotificationEvent.NOTICE_APPROVED) == emails(comms_officer)


def test_telling_of_an_approval_again_duplicates_nothing(
    in_review: Notice, comms_lead: User, comms_officer: User
) -> None:
    notice_approve(actor=comms_lead, notice=in_review)
    events.notice_approved_notify(notice=in_review, version=version_of(in_review), actor=comms_lead)
    assert told(NotificationEvent.NOTICE_APPROVED) == emails(comms_officer)


def test_a_published_notice_tells_the_communications_lead_when_the_author_publishes(
    triggered_case: Case, comms_officer: User, comms_lead: User, bystanders: None
) -> None:
    notice = approved_notice(triggered_case, comms_officer, comms_lead)
    notice_publish(actor=comms_officer, notice=notice)
    assert told(NotificationEvent.NOTICE_PUBLISHED) == emails(comms_lead)


def test_a_published_notice_tells_the_author_when_the_lead_publishes(
    triggered_case: Case, comms_officer: User, comms_lead: User, bystanders: None
) -> None:
    notice = approved_notice(triggered_case, comms_officer, comms_lead)
    notice_publish(actor=comms_lead, notice=notice)
    assert told(NotificationEvent.NOTICE_PUBLISHED) == emails(comms_officer)


def test_a_notice_published_by_someone_else_tells_the_author_and_the_lead(
    triggered_case: Case, comms_officer: User, comms_lead: User, cqc: Organisation, bystanders: None
) -> None:
    notice = approved_notice(triggered_case, comms_officer, comms_lead)
    notice_publish(actor=member(cqc, Role.COMMUNICATIONS_OFFICER), notice=notice)
    assert told(NotificationEvent.NOTICE_PUBLISHED) == emails(comms_officer, comms_lead)


def test_a_scheduled_notice_says_so(
    triggered_case: Case, comms_officer: User, comms_lead: User, bystanders: None
) -> None:
    notice = approved_notice(triggered_case, comms_officer, comms_lead)
    notice_publish(actor=comms_officer, notice=notice, publish_at=timezone.now() + timedelta(days=1))
    assert Notification.objects.get(event=NotificationEvent.NOTICE_PUBLISHED).title.startswith("Scheduled")


def test_telling_of_a_publication_again_duplicates_nothing(
    triggered_case: Case, comms_officer: User, comms_lead: User, bystanders: None
) -> None:
    notice = approved_notice(triggered_case, comms_officer, comms_lead)
    notice_publish(actor=comms_officer, notice=notice)
    notice.refresh_from_db()
    events.notice_published_notify(notice=notice, version=version_of(notice), actor=comms_officer)
    assert told(NotificationEvent.NOTICE_PUBLISHED) == emails(comms_lead)


@pytest.mark.parametrize("more", [0, 10])
def test_a_joint_statement_finds_its_approvers_in_the_same_queries_however_many_there_are(
    more: int, joint: Notice, provider: Organisation, comms_officer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(more):
        member(provider, Role.TRUST_SIGN_OFF_OFFICER)
    notice = Notice.objects.select_related("case").get(pk=joint.pk)
    version = version_of(notice)
    monkeypatch.setattr(regime_events, "notify", lambda **kwargs: [])
    with CaptureQueriesContext(connection) as queries:
        events.notice_awaiting_approval_notify(notice=notice, version=version, actor=comms_officer)
    assert len(queries) == 3  # the approvals given, the parties, their signatories
