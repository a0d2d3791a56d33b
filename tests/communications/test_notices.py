"""Notices from draft to the public: review, approval by the accountable lead (every party for a joint statement),
publication now or at an embargo time, families first, corrections and withdrawal. Every version is kept."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import AuditEvent, Organisation, Role, User
from communications.models import (
    ContactMethod,
    Enquiry,
    Notice,
    NoticeKind,
    NoticeStatus,
    NoticeVersion,
    Relation,
    VersionStatus,
)
from communications.public_cache import VERSION_KEY, public_site_state
from communications.services.notices import (
    notice_approve,
    notice_correct,
    notice_discard,
    notice_draft,
    notice_publish,
    notice_return,
    notice_revise,
    notice_submit,
    notice_unschedule,
    notice_withdraw,
)
from failure_regime.models import Area, Case, OutboxMessage
from failure_regime.services.accountability import lead_hand_over
from tests.communications.conftest import NOTICE_TEXT, approved_notice, published_notice
from tests.factories import member

pytestmark = pytest.mark.django_db

CORRECTION = replace(
    NOTICE_TEXT,
    summary="An independent review of maternity care at the trust began in March.",
    correction_note="We gave the wrong month for the start of the review.",
)


def audited(notice: Notice, verb: str) -> bool:
    return AuditEvent.objects.filter(verb=verb, target_id=str(notice.pk)).exists()


def submitted(notice: Notice, author: User) -> Notice:
    notice_submit(actor=author, notice=notice)
    notice.refresh_from_db()
    return notice


def public_summary(notice: Notice) -> str:
    assert notice.published_version is not None
    return notice.published_version.summary


def families_mail() -> Any:
    return OutboxMessage.objects.filter(dedupe_key__contains=":families:")


def enquiry_about(case: Case, email: str, **fields: Any) -> Enquiry:
    now = timezone.now()
    values: dict[str, Any] = {
        "name": "Sam Sender",
        "relation": Relation.FAMILY,
        "worry": "My mother's care on the ward.",
        "contact_method": ContactMethod.EMAIL,
        "email": email,
        "consent": True,
        "consented_at": now,
        "received_at": now,
        "response_due_at": now + timedelta(days=2),
        "case": case,
        **fields,
    }
    return Enquiry.objects.create(**values)


# --- Drafting ---------------------------------------------------------------------------------------


def test_it_drafts_a_notice_with_its_first_version(draft: Notice) -> None:
    version = draft.versions.get()
    assert (draft.status, version.number, version.status) == (NoticeStatus.DRAFT, 1, VersionStatus.DRAFT)


def test_it_copies_the_provider_from_the_case(draft: Notice, triggered_case: Case) -> None:
    assert draft.provider_id == triggered_case.provider_id


def test_it_renders_the_markdown_of_a_draft(draft: Notice) -> None:
    assert "<strong>maternity care</strong>" in draft.versions.get().body_html


def test_drafting_is_audited(draft: Notice) -> None:
    assert audited(draft, "notice.drafted")


def test_a_communications_officer_of_another_organisation_cannot_draft(
    triggered_case: Case, outsider_comms_officer: User
) -> None:
    with pytest.raises(PermissionDenied):
        notice_draft(actor=outsider_comms_officer, case=triggered_case, kind=NoticeKind.GUIDANCE, text=NOTICE_TEXT)


def test_a_trust_manager_of_a_party_cannot_draft(triggered_case: Case, trust_manager: User) -> None:
    with pytest.raises(PermissionDenied):
        notice_draft(actor=trust_manager, case=triggered_case, kind=NoticeKind.GUIDANCE, text=NOTICE_TEXT)


def test_it_refuses_a_draft_without_a_title(triggered_case: Case, comms_officer: User) -> None:
    with pytest.raises(ValidationError) as error:
        notice_draft(actor=comms_officer, case=triggered_case, kind="guidance", text=replace(NOTICE_TEXT, title=" "))
    assert "title" in error.value.message_dict


def test_it_revises_a_draft(draft: Notice, comms_officer: User) -> None:
    notice_revise(actor=comms_officer, notice=draft, text=replace(NOTICE_TEXT, title="A new title"))
    assert draft.versions.get().title == "A new title"


def test_text_in_review_cannot_be_revised(draft: Notice, comms_officer: User) -> None:
    notice_submit(actor=comms_officer, notice=draft)
    with pytest.raises(TransitionNotAllowed):
        notice_revise(actor=comms_officer, notice=draft, text=replace(NOTICE_TEXT, title="A new title"))


def test_submitting_puts_the_notice_in_review(draft: Notice, comms_officer: User) -> None:
    notice = submitted(draft, comms_officer)
    assert (notice.status, notice.versions.get().status) == (NoticeStatus.IN_REVIEW, VersionStatus.IN_REVIEW)


def test_submitting_is_audited(draft: Notice, comms_officer: User) -> None:
    notice_submit(actor=comms_officer, notice=draft)
    assert audited(draft, "notice.submitted")


# --- Approval ---------------------------------------------------------------------------------------


def test_the_accountable_lead_approves_a_notice(draft: Notice, comms_officer: User, comms_lead: User) -> None:
    notice_approve(actor=comms_lead, notice=submitted(draft, comms_officer))
    draft.refresh_from_db()
    assert (draft.status, draft.versions.get().status) == (NoticeStatus.APPROVED, VersionStatus.APPROVED)


def test_approval_is_audited(draft: Notice, comms_officer: User, comms_lead: User) -> None:
    notice_approve(actor=comms_lead, notice=submitted(draft, comms_officer))
    assert audited(draft, "notice.approval_given") and audited(draft, "notice.approved")


def test_a_communications_officer_who_is_not_the_lead_cannot_approve(draft: Notice, comms_officer: User) -> None:
    with pytest.raises(PermissionDenied):
        notice_approve(actor=comms_officer, notice=submitted(draft, comms_officer))


def test_a_draft_not_yet_submitted_cannot_be_approved(draft: Notice, comms_lead: User) -> None:
    with pytest.raises(TransitionNotAllowed):
        notice_approve(actor=comms_lead, notice=draft)


def test_nobody_approves_while_the_case_has_no_communications_lead(
    case: Case, regulator: User, oversight_lead: User, sign_off_officer: User, comms_officer: User
) -> None:
    notice = notice_draft(actor=comms_officer, case=case, kind=NoticeKind.GUIDANCE, text=NOTICE_TEXT)
    with pytest.raises(TransitionNotAllowed):
        notice_approve(actor=regulator, notice=submitted(notice, comms_officer))


@pytest.fixture
def joint(triggered_case: Case, comms_officer: User) -> Notice:
    notice = notice_draft(actor=comms_officer, case=triggered_case, kind=NoticeKind.JOINT_STATEMENT, text=NOTICE_TEXT)
    return submitted(notice, comms_officer)


def test_a_joint_statement_needs_every_party(
    joint: Notice, regulator: User, oversight_lead: User, comms_lead: User
) -> None:
    notice_approve(actor=regulator, notice=joint)
    notice_approve(actor=oversight_lead, notice=joint)
    joint.refresh_from_db()
    assert joint.status == NoticeStatus.IN_REVIEW


def test_a_joint_statement_is_approved_when_every_party_has(
    joint: Notice, regulator: User, oversight_lead: User, sign_off_officer: User
) -> None:
    for signatory in (regulator, oversight_lead, sign_off_officer):
        notice_approve(actor=signatory, notice=joint)
    joint.refresh_from_db()
    assert joint.status == NoticeStatus.APPROVED and joint.versions.get().approvals.count() == 3


def test_the_communications_lead_alone_cannot_approve_a_joint_statement(joint: Notice, comms_lead: User) -> None:
    with pytest.raises(PermissionDenied):
        notice_approve(actor=comms_lead, notice=joint)


def test_a_party_approves_a_joint_statement_once(joint: Notice, regulator: User, cqc: Organisation) -> None:
    notice_approve(actor=regulator, notice=joint)
    with pytest.raises(ConflictError):
        notice_approve(actor=member(cqc, Role.REGULATOR_DECISION_MAKER), notice=joint)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_last_approvals_approve_a_joint_statement_exactly_once(
    joint: Notice, regulator: User, oversight_lead: User, sign_off_officer: User
) -> None:
    signatories = [regulator, oversight_lead, sign_off_officer]
    barrier = threading.Barrier(len(signatories))
    errors: list[BaseException] = []

    def approve(user: User) -> None:
        try:
            barrier.wait()
            notice_approve(actor=user, notice=joint)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in signatories]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Notice.objects.get(pk=joint.pk).status == NoticeStatus.APPROVED
    assert AuditEvent.objects.filter(verb="notice.approved", target_id=str(joint.pk)).count() == 1


# --- Returning --------------------------------------------------------------------------------------


def test_returning_keeps_the_returned_version_and_opens_a_new_draft(
    draft: Notice, comms_officer: User, comms_lead: User
) -> None:
    notice_return(actor=comms_lead, notice=submitted(draft, comms_officer), reason="Say who leads it.")
    statuses = list(draft.versions.order_by("number").values_list("status", "return_reason"))
    assert statuses == [(VersionStatus.RETURNED, "Say who leads it."), (VersionStatus.DRAFT, "")]


def test_a_returned_notice_is_a_draft_again(draft: Notice, comms_officer: User, comms_lead: User) -> None:
    notice_return(actor=comms_lead, notice=submitted(draft, comms_officer), reason="Say who leads it.")
    draft.refresh_from_db()
    assert draft.status == NoticeStatus.DRAFT and audited(draft, "notice.returned")


def test_returning_needs_a_reason(draft: Notice, comms_officer: User, comms_lead: User) -> None:
    with pytest.raises(ValidationError):
        notice_return(actor=comms_lead, notice=submitted(draft, comms_officer), reason=" ")


def test_only_an_approver_may_return_a_notice(draft: Notice, comms_officer: User) -> None:
    with pytest.raises(PermissionDenied):
        notice_return(actor=comms_officer, notice=submitted(draft, comms_officer), reason="Better wording.")


# --- Publication ------------------------------------------------------------------------------------


def test_publishing_makes_the_notice_public(published: Notice) -> None:
    assert list(Notice.objects.public()) == [published]


def test_publishing_is_audited(published: Notice) -> None:
    assert audited(published, "notice.published")


def test_an_unapproved_notice_cannot_be_published(draft: Notice, comms_officer: User) -> None:
    with pytest.raises(TransitionNotAllowed):
        notice_publish(actor=comms_officer, notice=submitted(draft, comms_officer))


def test_nothing_about_a_case_not_yet_agreed_is_published(
    case: Case, regulator: User, comms_officer: User, comms_lead: User, cqc: Organisation
) -> None:
    lead_hand_over(
        actor=regulator, case=case, area=Area.PUBLIC_COMMUNICATIONS, lead=comms_lead, organisation=cqc, reason="Lead"
    )
    notice = approved_notice(case, comms_officer, comms_lead)
    with pytest.raises(TransitionNotAllowed):
        notice_publish(actor=comms_officer, notice=notice)


def test_a_scheduled_notice_is_not_public_before_its_embargo(
    triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    published_notice(triggered_case, comms_officer, comms_lead, publish_at=timezone.now() + timedelta(hours=2))
    assert not Notice.objects.public().exists()


def test_a_scheduled_notice_is_public_once_its_embargo_passes(
    triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    notice = published_notice(triggered_case, comms_officer, comms_lead, publish_at=timezone.now() + timedelta(hours=2))
    with time_machine.travel(timezone.now() + timedelta(hours=2, seconds=1)):
        assert list(Notice.objects.public()) == [notice]


def test_scheduling_is_audited(triggered_case: Case, comms_officer: User, comms_lead: User) -> None:
    notice = published_notice(triggered_case, comms_officer, comms_lead, publish_at=timezone.now() + timedelta(days=1))
    assert audited(notice, "notice.scheduled")


def test_a_publication_time_in_the_past_is_refused(triggered_case: Case, comms_officer: User, comms_lead: User) -> None:
    notice = approved_notice(triggered_case, comms_officer, comms_lead)
    with pytest.raises(ValidationError):
        notice_publish(actor=comms_officer, notice=notice, publish_at=timezone.now() - timedelta(minutes=1))


def test_a_trust_manager_cannot_publish(
    triggered_case: Case, comms_officer: User, comms_lead: User, trust_manager: User
) -> None:
    notice = approved_notice(triggered_case, comms_officer, comms_lead)
    with pytest.raises(PermissionDenied):
        notice_publish(actor=trust_manager, notice=notice)


def test_unscheduling_leaves_the_notice_approved_and_unpublished(
    triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    notice = published_notice(triggered_case, comms_officer, comms_lead, publish_at=timezone.now() + timedelta(days=1))
    notice_unschedule(actor=comms_officer, notice=notice)
    notice.refresh_from_db()
    assert (notice.status, notice.publish_at, notice.versions.get().status) == (
        NoticeStatus.APPROVED,
        None,
        VersionStatus.APPROVED,
    )


def test_a_public_notice_cannot_be_unscheduled(published: Notice, comms_officer: User) -> None:
    with pytest.raises(TransitionNotAllowed):
        notice_unschedule(actor=comms_officer, notice=published)


def test_publishing_refreshes_the_public_pages_once_it_commits(
    triggered_case: Case, comms_officer: User, comms_lead: User, django_capture_on_commit_callbacks: Any
) -> None:
    notice = approved_notice(triggered_case, comms_officer, comms_lead)
    before = public_site_state().version
    with django_capture_on_commit_callbacks(execute=True):
        notice_publish(actor=comms_officer, notice=notice)
    assert cache.get(VERSION_KEY) is None and public_site_state().version != before


# --- Families first ---------------------------------------------------------------------------------


@pytest.fixture
def families_first(triggered_case: Case, comms_officer: User, comms_lead: User) -> Notice:
    return approved_notice(triggered_case, comms_officer, comms_lead, families_first=True)


def test_families_first_tells_the_families_who_wrote_in_before_publication(
    families_first: Notice, comms_officer: User, triggered_case: Case
) -> None:
    enquiry_about(triggered_case, "sam@example.com")
    notice_publish(actor=comms_officer, notice=families_first, publish_at=timezone.now() + timedelta(hours=2))
    assert list(families_mail().values_list("to", flat=True)) == ["sam@example.com"]


def test_families_first_writes_to_each_address_once(
    families_first: Notice, comms_officer: User, triggered_case: Case
) -> None:
    enquiry_about(triggered_case, "sam@example.com")
    enquiry_about(triggered_case, "Sam@Example.com", name="Sam again")
    notice_publish(actor=comms_officer, notice=families_first, publish_at=timezone.now() + timedelta(hours=2))
    assert families_mail().count() == 1


def test_families_are_told_once_even_when_the_notice_is_rescheduled(
    families_first: Notice, comms_officer: User, triggered_case: Case
) -> None:
    enquiry_about(triggered_case, "sam@example.com")
    notice_publish(actor=comms_officer, notice=families_first, publish_at=timezone.now() + timedelta(hours=2))
    notice_unschedule(actor=comms_officer, notice=families_first)
    notice_publish(actor=comms_officer, notice=families_first, publish_at=timezone.now() + timedelta(hours=3))
    assert families_mail().count() == 1 and audited(families_first, "notice.families_notified")


def test_the_families_mail_subject_names_no_person(
    families_first: Notice, comms_officer: User, triggered_case: Case
) -> None:
    enquiry_about(triggered_case, "sam@example.com")
    notice_publish(actor=comms_officer, notice=families_first, publish_at=timezone.now() + timedelta(hours=2))
    subject = families_mail().get().subject
    assert "Sam" not in subject and "sam@example.com" not in subject


def test_families_are_not_told_about_an_enquiry_on_another_case(families_first: Notice, comms_officer: User) -> None:
    enquiry_about(None, "sam@example.com")  # type: ignore[arg-type]
    notice_publish(actor=comms_officer, notice=families_first, publish_at=timezone.now() + timedelta(hours=2))
    assert not families_mail().exists()


def test_a_families_first_notice_cannot_be_published_at_once(families_first: Notice, comms_officer: User) -> None:
    with pytest.raises(ValidationError):
        notice_publish(actor=comms_officer, notice=families_first)


# --- Corrections ------------------------------------------------------------------------------------


def corrected(notice: Notice, author: User, lead: User) -> Notice:
    notice_correct(actor=author, notice=notice, text=CORRECTION)
    notice_submit(actor=author, notice=notice)
    notice_approve(actor=lead, notice=notice)
    notice_publish(actor=author, notice=notice)
    notice.refresh_from_db()
    return notice


def test_a_correction_keeps_the_old_version(published: Notice, comms_officer: User, comms_lead: User) -> None:
    notice = corrected(published, comms_officer, comms_lead)
    statuses = list(notice.versions.order_by("number").values_list("status", flat=True))
    assert statuses == [VersionStatus.SUPERSEDED, VersionStatus.PUBLISHED]


def test_a_published_correction_is_what_the_public_reads(
    published: Notice, comms_officer: User, comms_lead: User
) -> None:
    notice = corrected(published, comms_officer, comms_lead)
    assert notice.status == NoticeStatus.CORRECTED and public_summary(notice) == CORRECTION.summary


def test_a_correction_is_audited(published: Notice, comms_officer: User, comms_lead: User) -> None:
    corrected(published, comms_officer, comms_lead)
    assert audited(published, "notice.correction_drafted") and audited(published, "notice.corrected")


def test_a_correction_moves_the_last_updated_time(published: Notice, comms_officer: User, comms_lead: User) -> None:
    first = published.last_updated_at
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        notice = corrected(published, comms_officer, comms_lead)
    assert first is not None and notice.last_updated_at is not None
    assert notice.last_updated_at > first and notice.publish_at == published.publish_at


def test_until_it_is_approved_the_public_reads_the_old_version(published: Notice, comms_officer: User) -> None:
    notice_correct(actor=comms_officer, notice=published, text=CORRECTION)
    published.refresh_from_db()
    assert public_summary(published) == NOTICE_TEXT.summary


def test_a_correction_needs_a_note(published: Notice, comms_officer: User) -> None:
    with pytest.raises(ValidationError) as error:
        notice_correct(actor=comms_officer, notice=published, text=replace(CORRECTION, correction_note=""))
    assert "correction_note" in error.value.message_dict


def test_a_correction_cannot_be_scheduled(published: Notice, comms_officer: User, comms_lead: User) -> None:
    notice_correct(actor=comms_officer, notice=published, text=CORRECTION)
    notice_submit(actor=comms_officer, notice=published)
    notice_approve(actor=comms_lead, notice=published)
    with pytest.raises(ValidationError):
        notice_publish(actor=comms_officer, notice=published, publish_at=timezone.now() + timedelta(days=1))


def test_one_correction_at_a_time(published: Notice, comms_officer: User) -> None:
    notice_correct(actor=comms_officer, notice=published, text=CORRECTION)
    with pytest.raises(ConflictError):
        notice_correct(actor=comms_officer, notice=published, text=CORRECTION)


def test_a_notice_not_yet_public_cannot_be_corrected(
    triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    notice = published_notice(triggered_case, comms_officer, comms_lead, publish_at=timezone.now() + timedelta(days=1))
    with pytest.raises(TransitionNotAllowed):
        notice_correct(actor=comms_officer, notice=notice, text=CORRECTION)


def test_discarding_a_correction_keeps_the_published_version(published: Notice, comms_officer: User) -> None:
    notice_correct(actor=comms_officer, notice=published, text=CORRECTION)
    notice_discard(actor=comms_officer, notice=published)
    statuses = list(published.versions.order_by("number").values_list("status", flat=True))
    assert statuses == [VersionStatus.PUBLISHED, VersionStatus.DISCARDED]


# --- Withdrawal -------------------------------------------------------------------------------------


def test_the_lead_withdraws_a_published_notice(published: Notice, comms_lead: User) -> None:
    notice_withdraw(actor=comms_lead, notice=published, reason="The review has been replaced by a wider one.")
    assert not Notice.objects.public().exists() and audited(published, "notice.withdrawn")


def test_withdrawing_keeps_every_version(published: Notice, comms_lead: User) -> None:
    notice_withdraw(actor=comms_lead, notice=published, reason="Replaced by a wider review.")
    assert published.versions.get().status == VersionStatus.PUBLISHED


def test_a_communications_officer_cannot_withdraw_a_published_notice(published: Notice, comms_officer: User) -> None:
    with pytest.raises(PermissionDenied):
        notice_withdraw(actor=comms_officer, notice=published, reason="Replaced by a wider review.")


def test_a_draft_can_be_abandoned_by_its_communications_staff(draft: Notice, comms_officer: User) -> None:
    notice_withdraw(actor=comms_officer, notice=draft, reason="Not needed after all.")
    draft.refresh_from_db()
    assert (draft.status, draft.versions.get().status) == (NoticeStatus.WITHDRAWN, VersionStatus.DISCARDED)


def test_withdrawal_needs_a_reason(published: Notice, comms_lead: User) -> None:
    with pytest.raises(ValidationError):
        notice_withdraw(actor=comms_lead, notice=published, reason="")


def test_a_withdrawn_notice_cannot_be_published_again(published: Notice, comms_lead: User, comms_officer: User) -> None:
    notice_withdraw(actor=comms_lead, notice=published, reason="Replaced by a wider review.")
    with pytest.raises(TransitionNotAllowed):
        notice_correct(actor=comms_officer, notice=published, text=CORRECTION)


def test_every_version_is_kept_through_the_whole_life_of_a_notice(
    draft: Notice, comms_officer: User, comms_lead: User
) -> None:
    notice_return(actor=comms_lead, notice=submitted(draft, comms_officer), reason="Shorter, please.")
    notice_submit(actor=comms_officer, notice=draft)
    notice_approve(actor=comms_lead, notice=draft)
    notice_publish(actor=comms_officer, notice=draft)
    corrected(draft, comms_officer, comms_lead)
    assert NoticeVersion.objects.filter(notice=draft).count() == 3
