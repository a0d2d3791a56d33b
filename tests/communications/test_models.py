"""The invariants the database itself keeps for communications: approvals, versions, publication and
enquiry references."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organisation, User
from communications.models import (
    REFERENCE_PATTERN,
    ApprovalBasis,
    ContactMethod,
    Enquiry,
    EnquiryStatus,
    Notice,
    NoticeApproval,
    NoticeKind,
    NoticeStatus,
    NoticeVersion,
    Referral,
    Relation,
    SupportKind,
    SupportService,
    VersionStatus,
    enquiry_reference_normalise,
)
from failure_regime.models import Case

pytestmark = pytest.mark.django_db


def make_notice(case: Case, user: User, **fields: Any) -> Notice:
    return Notice.objects.create(
        kind=NoticeKind.FAILURE_NOTICE,
        case=case,
        provider=case.provider,
        created_by=user,
        created_by_organisation=case.proposed_by_organisation,
        created_at=timezone.now(),
        **fields,
    )


def make_version(notice: Notice, user: User, number: int = 1, **fields: Any) -> NoticeVersion:
    return NoticeVersion.objects.create(
        notice=notice,
        number=number,
        title="Maternity services at Mid Shire",
        summary="What happened and what is being done.",
        body_markdown="We found failures of care.",
        body_html="<p>We found failures of care.</p>",
        created_by=user,
        created_at=timezone.now(),
        **fields,
    )


def publish(notice: Notice, version: NoticeVersion, at: Any) -> None:
    version.status, version.approved_at, version.published_at = VersionStatus.PUBLISHED, at, at
    version.save()
    notice.status, notice.published_version, notice.publish_at, notice.last_updated_at = (
        NoticeStatus.PUBLISHED,
        version,
        at,
        at,
    )
    notice.save()


def make_enquiry(**fields: Any) -> Enquiry:
    now = timezone.now()
    values: dict[str, Any] = {
        "name": "Sam Sender",
        "relation": Relation.FAMILY,
        "worry": "My mother's care on the ward.",
        "contact_method": ContactMethod.EMAIL,
        "email": "sam@example.com",
        "consent": True,
        "consented_at": now,
        "received_at": now,
        "response_due_at": now + timedelta(days=2),
        **fields,
    }
    return Enquiry.objects.create(**values)


def test_it_takes_one_approval_per_organisation_and_version(
    case: Case, regulator: User, provider: Organisation
) -> None:
    version = make_version(make_notice(case, regulator), regulator, status=VersionStatus.IN_REVIEW)
    approval = {"version": version, "organisation": provider, "approver": regulator, "decided_at": timezone.now()}
    NoticeApproval.objects.create(basis=ApprovalBasis.PARTY_SIGN_OFF, **approval)

    with pytest.raises(IntegrityError), transaction.atomic():
        NoticeApproval.objects.create(basis=ApprovalBasis.COMMUNICATIONS_LEAD, **approval)


def test_it_keeps_one_working_version_per_notice(case: Case, regulator: User) -> None:
    notice = make_notice(case, regulator)
    make_version(notice, regulator, number=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        make_version(notice, regulator, number=2)


def test_it_refuses_a_published_notice_without_its_published_version(case: Case, regulator: User) -> None:
    notice = make_notice(case, regulator)
    notice.status = NoticeStatus.PUBLISHED

    with pytest.raises(IntegrityError), transaction.atomic():
        notice.save()


def test_it_refuses_a_correction_without_a_note(case: Case, regulator: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_version(make_notice(case, regulator), regulator, is_correction=True)


def test_it_keeps_embargoed_notices_from_the_public(case: Case, regulator: User) -> None:
    now = timezone.now()
    live, embargoed = make_notice(case, regulator), make_notice(case, regulator)
    publish(live, make_version(live, regulator), now - timedelta(minutes=1))
    publish(embargoed, make_version(embargoed, regulator), now + timedelta(hours=1))

    assert list(Notice.objects.public(now=now)) == [live]
    assert embargoed.is_embargoed(now=now)


@pytest.mark.parametrize(
    ("start", "end", "allowed"),
    [
        (NoticeStatus.DRAFT, NoticeStatus.IN_REVIEW, True),
        (NoticeStatus.IN_REVIEW, NoticeStatus.DRAFT, True),
        (NoticeStatus.DRAFT, NoticeStatus.PUBLISHED, False),
        (NoticeStatus.IN_REVIEW, NoticeStatus.PUBLISHED, False),
        (NoticeStatus.PUBLISHED, NoticeStatus.CORRECTED, True),
        (NoticeStatus.CORRECTED, NoticeStatus.DRAFT, False),
        (NoticeStatus.WITHDRAWN, NoticeStatus.PUBLISHED, False),
    ],
)
def test_it_allows_only_the_notice_transitions_in_its_table(start: str, end: str, allowed: bool) -> None:
    assert Notice(status=start).can_become(end) is allowed


def test_it_names_every_status_in_the_transition_tables() -> None:
    assert set(Notice.TRANSITIONS) == set(NoticeStatus.values)
    assert set(NoticeVersion.TRANSITIONS) == set(VersionStatus.values)
    assert set(Enquiry.TRANSITIONS) == set(EnquiryStatus.values)


def test_it_gives_an_enquiry_a_random_reference_and_shows_only_that() -> None:
    enquiry, other = make_enquiry(), make_enquiry()

    assert re.fullmatch(REFERENCE_PATTERN, enquiry.reference)
    assert enquiry.reference != other.reference
    assert str(enquiry) == enquiry.reference


def test_it_refuses_a_repeated_reference() -> None:
    enquiry = make_enquiry()

    with pytest.raises(IntegrityError), transaction.atomic():
        make_enquiry(reference=enquiry.reference)


def test_it_reads_back_a_reference_as_a_person_typed_it() -> None:
    assert enquiry_reference_normalise(" enq 7k3q-9xzo ") == "ENQ-7K3Q-9XZ0"
    assert enquiry_reference_normalise("ENQ-7K3Q") == ""


def test_it_refuses_an_enquiry_without_details_for_its_contact_method() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_enquiry(contact_method=ContactMethod.PHONE, phone="")


def test_it_keeps_one_standing_referral_per_service(regulator: User, cqc: Organisation) -> None:
    now = timezone.now()
    service = SupportService.objects.create(
        name="Maternity helpline",
        kind=SupportKind.HELPLINE,
        description="For families.",
        phone="0800 000 0000",
        maintained_by=cqc,
        created_at=now,
        updated_at=now,
    )
    referral = {"enquiry": make_enquiry(), "service": service, "offered_by": regulator, "offered_at": now}
    Referral.objects.create(**referral)

    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(**referral)
