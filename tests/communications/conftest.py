"""Fixtures of communications: the regime's ``case`` about ``provider``, family liaison officers, a case with a
family-support lead and a helpline."""

from datetime import datetime, time
from typing import Any

import pytest

from accounts.models import Organisation, Role, User
from communications.models import Notice, NoticeKind, SupportKind, SupportService
from communications.services.notices import NoticeText, notice_approve, notice_draft, notice_publish, notice_submit
from communications.services.support import OpeningSpan, support_service_create
from failure_regime.models import Area, Case
from failure_regime.services.accountability import lead_hand_over
from failure_regime.services.sign_off import sign_off_record
from tests.factories import member
from tests.failure_regime.conftest import case, concern  # noqa: F401

# --- The support directory and enquiries -------------------------------------------------------------------


@pytest.fixture
def liaison_officer(provider: Organisation) -> User:
    """A family liaison officer at ``provider``."""
    return member(provider, Role.FAMILY_LIAISON_OFFICER, full_name="Faye Liaison")


@pytest.fixture
def other_liaison_officer(other_provider: Organisation) -> User:
    """A family liaison officer at ``other_provider``: an outsider to ``provider``'s enquiries."""
    return member(other_provider, Role.FAMILY_LIAISON_OFFICER, full_name="Omar Outsider")


@pytest.fixture
def family_support_case(
    case: Case,  # noqa: F811
    regulator: User,
    liaison_officer: User,
    provider: Organisation,
) -> Case:
    """``case``, with ``liaison_officer`` of ``provider`` as the accountable lead for family support."""
    lead_hand_over(
        actor=regulator,
        case=case,
        area=Area.FAMILY_SUPPORT,
        lead=liaison_officer,
        organisation=provider,
        reason="Runs the trust's family liaison team",
    )
    return case


@pytest.fixture
def helpline(liaison_officer: User) -> SupportService:
    """A helpline kept by ``provider``, open on weekdays."""
    return support_service_create(
        actor=liaison_officer,
        name="Maternity families helpline",
        kind=SupportKind.HELPLINE,
        description="For families worried about maternity care at the trust.",
        phone="0808 157 0001",
        opening_times=[OpeningSpan(weekday=day, opens=time(9, 0), closes=time(17, 0)) for day in range(1, 6)],
    )


# --- Plans and notices -----------------------------------------------------------------------------------

NOTICE_TEXT = NoticeText(
    title="Maternity care at Mid Shire Hospitals",
    summary="An independent review of maternity care at the trust has begun.",
    body_markdown="Families raised concerns about **maternity care** between 2019 and 2024.",
    what_is_being_done_markdown="An independent team is reviewing the care of every family affected.",
    who_leads_markdown="The Care Quality Commission leads the review.",
    what_happens_next_markdown="The review team will write to every family within two weeks.",
)


@pytest.fixture
def comms_officer(cqc: Organisation) -> User:
    """A communications officer at CQC, a party to ``case``: drafts and publishes its notices."""
    return member(cqc, Role.COMMUNICATIONS_OFFICER, full_name="Cara Comms")


@pytest.fixture
def comms_lead(cqc: Organisation) -> User:
    """A communications officer at CQC who becomes ``triggered_case``'s accountable lead for public communications."""
    return member(cqc, Role.COMMUNICATIONS_OFFICER, full_name="Lena Lead")


@pytest.fixture
def outsider_comms_officer(other_provider: Organisation) -> User:
    """A communications officer at ``other_provider``, which is no party to ``case``."""
    return member(other_provider, Role.COMMUNICATIONS_OFFICER, full_name="Oona Outsider")


@pytest.fixture
def triggered_case(
    case: Case,  # noqa: F811
    regulator: User,
    oversight_lead: User,
    sign_off_officer: User,
    comms_lead: User,
    cqc: Organisation,
) -> Case:
    """``case``, agreed by every party, with ``comms_lead`` as its accountable lead for public communications."""
    for user in (regulator, oversight_lead, sign_off_officer):
        sign_off_record(actor=user, case=case, organisation=user.memberships.get().organisation, decision="agree")
    lead_hand_over(
        actor=regulator,
        case=case,
        area=Area.PUBLIC_COMMUNICATIONS,
        lead=comms_lead,
        organisation=cqc,
        reason="Leads CQC's communications team",
    )
    case.refresh_from_db()
    return case


def approved_notice(about: Case, author: User, approver: User, **fields: Any) -> Notice:
    """A notice drafted by ``author``, sent for review and approved by ``approver`` (the communications lead)."""
    kind = fields.pop("kind", NoticeKind.FAILURE_NOTICE)
    notice = notice_draft(actor=author, case=about, kind=kind, text=fields.pop("text", NOTICE_TEXT), **fields)
    notice_submit(actor=author, notice=notice)
    notice_approve(actor=approver, notice=notice)
    notice.refresh_from_db()
    return notice


def published_notice(
    about: Case, author: User, approver: User, publish_at: datetime | None = None, **fields: Any
) -> Notice:
    """A notice that went through review and was published, now or at ``publish_at``."""
    notice = approved_notice(about, author, approver, **fields)
    notice_publish(actor=author, notice=notice, publish_at=publish_at)
    notice.refresh_from_db()
    return notice


@pytest.fixture
def draft(triggered_case: Case, comms_officer: User) -> Notice:
    """A first draft of a failure notice about ``triggered_case``."""
    return notice_draft(actor=comms_officer, case=triggered_case, kind=NoticeKind.FAILURE_NOTICE, text=NOTICE_TEXT)


@pytest.fixture
def published(triggered_case: Case, comms_officer: User, comms_lead: User) -> Notice:
    """A failure notice about ``triggered_case``, approved by the lead and published now."""
    return published_notice(triggered_case, comms_officer, comms_lead)


@pytest.fixture(autouse=True)
def _forget_public_site_state() -> None:
    """Each test starts with an empty cache (tests/conftest.py), so no process may remember the public site's state
    from the one before."""
    from communications.public_cache import forget_local_state

    forget_local_state()
