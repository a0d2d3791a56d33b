"""Recruitment services: campaigns, public applications, vetting, the decision and the invitation."""

# The fixtures are imported by name from the recruitment fixtures, so test arguments share their names.
# ruff: noqa: F811

from __future__ import annotations

import datetime
import logging
import re
import threading
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import AuditEvent, Membership, Organisation, Role, User
from failure_regime.models import Area, Case, ClosureReason, OutboxMessage
from failure_regime.services.accountability import lead_hand_over
from failure_regime.services.cases import case_close
from reviews.models import (
    Application,
    ApplicationStatus,
    Campaign,
    CampaignStatus,
    Expert,
    Invitation,
    Regulator,
    Specialty,
    TrainingKind,
)
from reviews.selectors import conflicts_for
from reviews.services.recruitment import (
    InvitationUnavailable,
    Need,
    application_approve,
    application_check,
    application_reject,
    campaign_close,
    invitation_accept,
    invitation_renew,
    token_hash,
)
from reviews.verbs import ReviewsVerb
from tests.factories import member
from tests.reviews.conftest import MakeExpert
from tests.reviews.recruitment_fixtures import (  # noqa: F401
    PASSWORD,
    application,
    campaign,
    open_campaign,
    recruitment_lead,
    specialty,
    submit,
    vet,
    vetted,
)

pytestmark = pytest.mark.django_db

STARTED = datetime.date(2015, 9, 1)


def events(verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb).order_by("sequence"))


def approve(application: Application, lead: User, **overrides: Any) -> Application:
    fields: dict[str, Any] = {"employer_started_on": STARTED, **overrides}
    return application_approve(actor=lead, application=application, **fields)


def invitation_token() -> str:
    """The token in the last invitation e-mail sent."""
    bodies = [str(m.body) for m in mail.outbox if m.subject == "Your invitation to join a case review"]
    match = re.search(r"/join-a-review/invitation/([A-Za-z0-9_-]+)/", bodies[-1])
    assert match is not None
    return match.group(1)


@pytest.fixture
def approved(vetted: Application, recruitment_lead: User, django_capture_on_commit_callbacks: Any) -> Application:
    with django_capture_on_commit_callbacks(execute=True):
        return approve(vetted, recruitment_lead)


# --- Opening and closing campaigns ----------------------------------------------------------------


def test_it_opens_a_campaign_with_the_specialties_and_numbers_needed(campaign: Campaign) -> None:
    needs = {(n.specialty.name, n.number_needed) for n in campaign.needs.select_related("specialty")}
    assert needs == {("Obstetrics", 2), ("Midwifery", 1)}


def test_a_campaign_is_run_for_the_lead_s_organisation(campaign: Campaign, cqc: Organisation) -> None:
    assert (campaign.organisation, campaign.status) == (cqc, CampaignStatus.OPEN)


def test_opening_a_campaign_is_audited(campaign: Campaign, recruitment_lead: User) -> None:
    [event] = events(ReviewsVerb.CAMPAIGN_OPENED)
    assert (event.target_id, event.actor, event.after["needs"]) == (
        str(campaign.pk),
        recruitment_lead,
        {"Obstetrics": 2, "Midwifery": 1},
    )


def test_a_new_specialty_name_joins_the_list(campaign: Campaign) -> None:
    assert Specialty.objects.filter(name="Midwifery").exists()


def test_an_existing_specialty_is_reused_whatever_its_case(case: Case, recruitment_lead: User) -> None:
    Specialty.objects.create(name="Neonatology")
    open_campaign(case, recruitment_lead, needs=[Need("neonatology", 1)])
    assert Specialty.objects.filter(name__iexact="neonatology").count() == 1


def test_only_the_recruitment_lead_may_open_a_campaign(
    case: Case, recruitment_lead: User, oversight_lead: User
) -> None:
    with pytest.raises(PermissionDenied):
        open_campaign(case, oversight_lead)


def test_a_campaign_needs_at_least_one_specialty(case: Case, recruitment_lead: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        open_campaign(case, recruitment_lead, needs=[Need("  ", 2)])
    assert "needs" in excinfo.value.message_dict


def test_a_specialty_cannot_be_listed_twice(case: Case, recruitment_lead: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        open_campaign(case, recruitment_lead, needs=[Need("Obstetrics", 1), Need("obstetrics", 2)])
    assert "needs" in excinfo.value.message_dict


def test_a_need_asks_for_at_least_one_expert(case: Case, recruitment_lead: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        open_campaign(case, recruitment_lead, needs=[Need("Obstetrics", 0)])
    assert "needs" in excinfo.value.message_dict


def test_the_closing_date_cannot_be_in_the_past(case: Case, recruitment_lead: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        open_campaign(case, recruitment_lead, closes_on=timezone.localdate() - datetime.timedelta(days=1))
    assert "closes_on" in excinfo.value.message_dict


def test_a_refused_campaign_writes_nothing(case: Case, recruitment_lead: User) -> None:
    with pytest.raises(ValidationError):
        open_campaign(case, recruitment_lead, needs=[])
    assert not Campaign.objects.exists() and not events(ReviewsVerb.CAMPAIGN_OPENED)


def test_a_closed_case_cannot_recruit(case: Case, recruitment_lead: User) -> None:
    case_close(actor=recruitment_lead, case=case, reason=ClosureReason.WITHDRAWN, summary="Withdrawn.")
    with pytest.raises(TransitionNotAllowed):
        open_campaign(case, recruitment_lead)


def test_the_lead_closes_a_campaign_with_an_audit_event(campaign: Campaign, recruitment_lead: User) -> None:
    closed = campaign_close(actor=recruitment_lead, campaign=campaign)
    assert closed.status == CampaignStatus.CLOSED
    assert [e.after for e in events(ReviewsVerb.CAMPAIGN_CLOSED)] == [{"status": "closed"}]


def test_a_campaign_cannot_be_closed_twice(campaign: Campaign, recruitment_lead: User) -> None:
    campaign_close(actor=recruitment_lead, campaign=campaign)
    with pytest.raises(TransitionNotAllowed):
        campaign_close(actor=recruitment_lead, campaign=campaign)


def test_only_the_recruitment_lead_may_close_a_campaign(campaign: Campaign, oversight_lead: User) -> None:
    with pytest.raises(PermissionDenied):
        campaign_close(actor=oversight_lead, campaign=campaign)


# --- Applying -------------------------------------------------------------------------------------


def test_it_takes_an_application_waiting_for_vetting(application: Application) -> None:
    assert (application.status, application.vetted) == (ApplicationStatus.SUBMITTED, False)


def test_an_application_gets_a_reference_of_random_letters_and_digits(application: Application) -> None:
    assert re.fullmatch(r"A-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", application.reference)


def test_references_are_not_sequential(campaign: Campaign) -> None:
    first = submit(campaign)
    second = submit(campaign, email="b@example.org", registration_number="7654322")
    assert first.reference[:6] != second.reference[:6] or first.reference[-4:] != second.reference[-4:]


def test_consent_is_recorded_with_its_time(application: Application) -> None:
    assert application.consent_given_at == application.submitted_at


@pytest.mark.parametrize(
    ("body", "number", "stored"),
    [
        (Regulator.GMC, " 1234567 ", "1234567"),
        (Regulator.NMC, "12a3456b", "12A3456B"),
        (Regulator.HCPC, "pa12345", "PA12345"),
        (Regulator.OTHER, "", ""),
    ],
)
def test_it_stores_the_registration_number_in_its_regulator_s_format(
    campaign: Campaign, body: str, number: str, stored: str
) -> None:
    assert submit(campaign, regulator=body, registration_number=number).registration_number == stored


@pytest.mark.parametrize(
    ("body", "number"),
    [
        (Regulator.GMC, "123456"),
        (Regulator.GMC, "12345678"),
        (Regulator.GMC, ""),
        (Regulator.NMC, "1234567"),
        (Regulator.NMC, "12A34567"),
        (Regulator.HCPC, "12345"),
        (Regulator.HCPC, "P12345"),
    ],
)
def test_it_refuses_a_registration_number_in_the_wrong_format(campaign: Campaign, body: str, number: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        submit(campaign, regulator=body, registration_number=number)
    assert "registration_number" in excinfo.value.message_dict


def test_a_second_application_from_the_same_address_is_a_field_error(campaign: Campaign) -> None:
    submit(campaign)
    with pytest.raises(ValidationError) as excinfo:
        submit(campaign, email="Alex.Example@EXAMPLE.org", registration_number="1111111")
    assert list(excinfo.value.message_dict) == ["email"]


def test_a_second_application_with_the_same_registration_is_a_field_error(campaign: Campaign) -> None:
    submit(campaign)
    with pytest.raises(ValidationError) as excinfo:
        submit(campaign, email="other@example.org")
    assert list(excinfo.value.message_dict) == ["registration_number"]


def test_the_same_person_may_apply_to_another_campaign(campaign: Campaign, case: Case, recruitment_lead: User) -> None:
    submit(campaign)
    other = open_campaign(case, recruitment_lead, title="Neonatologists", needs=[Need("Obstetrics", 1)])
    assert submit(other).campaign == other


def test_a_closed_campaign_takes_no_application(campaign: Campaign, recruitment_lead: User) -> None:
    campaign_close(actor=recruitment_lead, campaign=campaign)
    with pytest.raises(TransitionNotAllowed):
        submit(campaign)


def test_a_campaign_takes_no_application_after_its_closing_date(campaign: Campaign) -> None:
    with time_machine.travel(timezone.now() + datetime.timedelta(days=32)), pytest.raises(TransitionNotAllowed):
        submit(campaign)


def test_a_campaign_takes_applications_on_its_closing_day(campaign: Campaign) -> None:
    with time_machine.travel(timezone.localtime().replace(hour=12) + datetime.timedelta(days=30)):
        assert submit(campaign).pk is not None


@pytest.mark.parametrize("declaration", ["consent", "no_other_interests", "information_true"])
def test_an_application_needs_every_declaration_and_consent(campaign: Campaign, declaration: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        submit(campaign, **{declaration: False})
    assert list(excinfo.value.message_dict) == [declaration]


def test_an_application_offers_only_specialties_the_campaign_needs(campaign: Campaign) -> None:
    with pytest.raises(ValidationError) as excinfo:
        submit(campaign, specialties=[Specialty.objects.create(name="Cardiology")])
    assert "specialties" in excinfo.value.message_dict


def test_training_cannot_be_dated_in_the_future(campaign: Campaign) -> None:
    with pytest.raises(ValidationError) as excinfo:
        submit(campaign, sjr_trained_on=timezone.localdate() + datetime.timedelta(days=1))
    assert "sjr_trained_on" in excinfo.value.message_dict


def test_the_applicant_is_sent_their_reference_once(
    campaign: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        application = submit(campaign)
    to_applicant = [(m.to, m.subject) for m in mail.outbox if m.to == ["alex.example@example.org"]]
    assert to_applicant == [(["alex.example@example.org"], f"Application {application.reference} received")]


def test_receiving_an_application_is_audited_without_personal_data(application: Application) -> None:
    [event] = events(ReviewsVerb.APPLICATION_RECEIVED)
    recorded = f"{event.target_label} {event.after} {event.before}"
    assert event.target_id == str(application.pk)
    assert "Alex" not in recorded and "example.org" not in recorded and "7654321" not in recorded


def test_applying_logs_no_personal_data(campaign: Campaign, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        submit(campaign)
    assert "alex.example@example.org" not in caplog.text and "Alex Example" not in caplog.text


# --- Vetting --------------------------------------------------------------------------------------


def test_each_vetting_check_is_its_own_audit_event(vetted: Application) -> None:
    fields = [next(iter(e.after)) for e in events(ReviewsVerb.APPLICATION_CHECKED)]
    assert sorted(fields) == ["interests_checked", "references_checked", "registration_checked", "training_checked"]


def test_a_check_left_as_it_was_records_nothing(application: Application, recruitment_lead: User) -> None:
    application_check(actor=recruitment_lead, application=application, checks={"registration_checked": False})
    assert not events(ReviewsVerb.APPLICATION_CHECKED)


def test_a_check_can_be_undone(vetted: Application, recruitment_lead: User) -> None:
    application_check(actor=recruitment_lead, application=vetted, checks={"references_checked": False})
    assert Application.objects.get(pk=vetted.pk).vetted is False


def test_an_unknown_check_is_refused(application: Application, recruitment_lead: User) -> None:
    with pytest.raises(ValidationError):
        application_check(actor=recruitment_lead, application=application, checks={"status": True})


def test_only_the_recruitment_lead_vets(application: Application, oversight_lead: User) -> None:
    with pytest.raises(PermissionDenied):
        application_check(actor=oversight_lead, application=application, checks={"registration_checked": True})


def test_a_decided_application_cannot_be_checked(approved: Application, recruitment_lead: User) -> None:
    with pytest.raises(TransitionNotAllowed):
        application_check(actor=recruitment_lead, application=approved, checks={"training_checked": False})


# --- Approving ------------------------------------------------------------------------------------


def test_approval_needs_all_four_checks(application: Application, recruitment_lead: User) -> None:
    application_check(
        actor=recruitment_lead,
        application=application,
        checks={"registration_checked": True, "references_checked": True, "interests_checked": True},
    )
    with pytest.raises(TransitionNotAllowed):
        approve(application, recruitment_lead)


def test_approval_adds_the_expert_to_the_registry(approved: Application) -> None:
    expert = Expert.objects.get(application=approved)
    assert (expert.registration_number, [s.name for s in expert.specialties.all()]) == ("7654321", ["Obstetrics"])


def test_approval_records_the_current_employer(approved: Application) -> None:
    [employment] = approved.expert.employments.all()  # type: ignore[union-attr]
    assert (employment.employer_name, employment.started_on, employment.ended_on) == (
        "Far Shire NHS Trust",
        STARTED,
        None,
    )


def test_an_employer_named_by_its_ods_code_makes_a_conflict(
    vetted: Application, recruitment_lead: User, provider: Organisation
) -> None:
    approved = approve(vetted, recruitment_lead, employer_organisation=provider)
    assert approved.expert is not None
    assert [c.kind for c in conflicts_for(expert=approved.expert, provider=provider)] == ["employment"]


def test_declared_interests_placed_in_an_organisation_make_a_conflict(
    campaign: Campaign, recruitment_lead: User, provider: Organisation
) -> None:
    application = vet(submit(campaign, interests="My sister is a midwife there."), recruitment_lead)
    approved = approve(
        application, recruitment_lead, interest_organisation=provider, interest_kind="personal_involvement"
    )
    assert approved.expert is not None
    [conflict] = conflicts_for(expert=approved.expert, provider=provider)
    assert "My sister is a midwife there." in conflict.reason


def test_an_interest_organisation_needs_declared_interests(
    vetted: Application, recruitment_lead: User, provider: Organisation
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        approve(vetted, recruitment_lead, interest_organisation=provider, interest_kind="financial")
    assert "interest_organisation" in excinfo.value.message_dict


def test_approval_records_structured_judgement_review_training(approved: Application) -> None:
    [training] = approved.expert.training.all()  # type: ignore[union-attr]
    assert (training.kind, training.completed_on) == (
        TrainingKind.STRUCTURED_JUDGEMENT_REVIEW,
        datetime.date(2023, 3, 1),
    )


def test_approval_without_training_records_none(campaign: Campaign, recruitment_lead: User) -> None:
    approved = approve(vet(submit(campaign, sjr_trained_on=None), recruitment_lead), recruitment_lead)
    assert not approved.expert.training.exists()  # type: ignore[union-attr]


def test_approval_is_audited(approved: Application, recruitment_lead: User) -> None:
    [event] = events(ReviewsVerb.APPLICATION_APPROVED)
    assert (event.actor, event.after["status"]) == (recruitment_lead, "approved")


def test_approval_sends_one_invitation_without_personal_data_in_its_subject(approved: Application) -> None:
    invitations = [m for m in mail.outbox if "invitation" in m.subject]
    assert [(m.to, m.subject) for m in invitations] == [
        (["alex.example@example.org"], "Your invitation to join a case review")
    ]


def test_only_a_hash_of_the_invitation_token_is_stored(approved: Application) -> None:
    token = invitation_token()
    invitation = Invitation.objects.get(application=approved)
    assert invitation.token_hash == token_hash(token) and token not in invitation.token_hash


def test_the_invitation_is_queued_in_the_outbox_once(approved: Application) -> None:
    assert OutboxMessage.objects.filter(dedupe_key__startswith=f"invitation:{approved.invitation.pk}:").count() == 1


def test_an_application_cannot_be_approved_twice(approved: Application, recruitment_lead: User) -> None:
    with pytest.raises(TransitionNotAllowed):
        approve(approved, recruitment_lead)


def test_only_the_recruitment_lead_approves(vetted: Application, oversight_lead: User) -> None:
    with pytest.raises(PermissionDenied):
        approve(vetted, oversight_lead)


def test_a_lead_without_a_registry_role_still_approves_on_the_case(
    vetted: Application, case: Case, regulator: User, sign_off_officer: User, provider: Organisation
) -> None:
    lead_hand_over(
        actor=regulator,
        case=case,
        area=Area.EXPERT_RECRUITMENT,
        lead=sign_off_officer,
        organisation=provider,
        reason="Handed over.",
    )
    approved = approve(vetted, sign_off_officer)
    assert approved.expert is not None
    assert AuditEvent.objects.filter(verb=ReviewsVerb.EXPERT_REGISTERED, organisation=provider).exists()


def test_an_expert_already_in_the_registry_is_a_field_error(
    vetted: Application, recruitment_lead: User, make_expert: MakeExpert
) -> None:
    make_expert(registration_number="7654321")
    with pytest.raises(ValidationError) as excinfo:
        approve(vetted, recruitment_lead)
    assert "registration_number" in excinfo.value.message_dict


def test_the_employer_start_date_cannot_be_in_the_future(vetted: Application, recruitment_lead: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        approve(vetted, recruitment_lead, employer_started_on=timezone.localdate() + datetime.timedelta(days=1))
    assert "employer_started_on" in excinfo.value.message_dict


# --- Rejecting ------------------------------------------------------------------------------------


def test_rejection_needs_a_reason(application: Application, recruitment_lead: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        application_reject(actor=recruitment_lead, application=application, reason="  ")
    assert "reason" in excinfo.value.message_dict


def test_rejection_keeps_the_reason_with_an_audit_event(application: Application, recruitment_lead: User) -> None:
    application_reject(actor=recruitment_lead, application=application, reason="References not confirmed.")
    assert Application.objects.get(pk=application.pk).decision_reason == "References not confirmed."
    assert [e.after["status"] for e in events(ReviewsVerb.APPLICATION_REJECTED)] == ["rejected"]


def test_the_rejected_applicant_is_told_without_the_reason(
    application: Application, recruitment_lead: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        application_reject(actor=recruitment_lead, application=application, reason="References not confirmed.")
    [message] = [m for m in mail.outbox if m.subject == f"Your application {application.reference}"]
    assert "References not confirmed" not in message.body


def test_a_rejected_application_cannot_be_approved(vetted: Application, recruitment_lead: User) -> None:
    application_reject(actor=recruitment_lead, application=vetted, reason="Not independent.")
    with pytest.raises(TransitionNotAllowed):
        approve(vetted, recruitment_lead)


def test_only_the_recruitment_lead_rejects(application: Application, oversight_lead: User) -> None:
    with pytest.raises(PermissionDenied):
        application_reject(actor=oversight_lead, application=application, reason="No.")


# --- The invitation -------------------------------------------------------------------------------


def test_accepting_creates_an_account_with_the_chosen_password(approved: Application) -> None:
    user = invitation_accept(token=invitation_token(), password=PASSWORD)
    assert (user.email, user.check_password(PASSWORD)) == ("alex.example@example.org", True)


def test_accepting_gives_the_expert_reviewer_role_in_the_campaign_s_organisation(
    approved: Application, cqc: Organisation
) -> None:
    user = invitation_accept(token=invitation_token(), password=PASSWORD)
    assert list(Membership.objects.filter(user=user).values_list("organisation", "role")) == [
        (cqc.pk, Role.EXPERT_REVIEWER)
    ]


def test_accepting_links_the_account_to_the_expert_record(approved: Application) -> None:
    user = invitation_accept(token=invitation_token(), password=PASSWORD)
    assert Expert.objects.get(application=approved).user == user


def test_accepting_is_audited(approved: Application) -> None:
    user = invitation_accept(token=invitation_token(), password=PASSWORD)
    [event] = events(ReviewsVerb.INVITATION_ACCEPTED)
    assert (event.actor, event.after["role"]) == (user, Role.EXPERT_REVIEWER)


def test_an_invitation_works_once(approved: Application) -> None:
    token = invitation_token()
    invitation_accept(token=token, password=PASSWORD)
    with pytest.raises(InvitationUnavailable):
        invitation_accept(token=token, password=PASSWORD)


def test_an_invitation_expires(approved: Application) -> None:
    token = invitation_token()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15)), pytest.raises(InvitationUnavailable):
        invitation_accept(token=token, password=PASSWORD)


def test_an_unknown_token_is_unavailable(approved: Application) -> None:
    with pytest.raises(InvitationUnavailable):
        invitation_accept(token="not-the-token-that-was-sent", password=PASSWORD)


def test_the_password_must_pass_the_password_rules(approved: Application) -> None:
    with pytest.raises(ValidationError) as excinfo:
        invitation_accept(token=invitation_token(), password="short")
    assert "password" in excinfo.value.message_dict


def test_a_refused_password_leaves_the_invitation_usable(approved: Application) -> None:
    token = invitation_token()
    with pytest.raises(ValidationError):
        invitation_accept(token=token, password="short")
    assert invitation_accept(token=token, password=PASSWORD).pk is not None


def test_an_address_that_already_has_an_account_is_refused(approved: Application, cqc: Organisation) -> None:
    member(cqc, Role.INSPECTOR, email="alex.example@example.org")
    with pytest.raises(ConflictError):
        invitation_accept(token=invitation_token(), password=PASSWORD)


def test_a_renewed_invitation_replaces_the_old_link(
    approved: Application, recruitment_lead: User, django_capture_on_commit_callbacks: Any
) -> None:
    old = invitation_token()
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=1)):
        with django_capture_on_commit_callbacks(execute=True):
            invitation_renew(actor=recruitment_lead, application=approved)
        with pytest.raises(InvitationUnavailable):
            invitation_accept(token=old, password=PASSWORD)


def test_a_renewed_invitation_works(
    approved: Application, recruitment_lead: User, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(timezone.now() + datetime.timedelta(days=20)):
        with django_capture_on_commit_callbacks(execute=True):
            invitation_renew(actor=recruitment_lead, application=approved)
        assert invitation_accept(token=invitation_token(), password=PASSWORD).pk is not None


def test_an_accepted_invitation_cannot_be_renewed(approved: Application, recruitment_lead: User) -> None:
    invitation_accept(token=invitation_token(), password=PASSWORD)
    with pytest.raises(TransitionNotAllowed):
        invitation_renew(actor=recruitment_lead, application=approved)


# --- Races ----------------------------------------------------------------------------------------


def run_together(*calls: Any) -> list[BaseException]:
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call: Any) -> None:
        try:
            barrier.wait()
            call()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertions
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_approvals_approve_once(vetted: Application, recruitment_lead: User) -> None:
    errors = run_together(lambda: approve(vetted, recruitment_lead), lambda: approve(vetted, recruitment_lead))
    assert [type(e) for e in errors] == [TransitionNotAllowed]
    assert (Expert.objects.count(), Invitation.objects.count()) == (1, 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_acceptances_create_one_account(vetted: Application, recruitment_lead: User) -> None:
    approve(vetted, recruitment_lead)
    token = "the-token-of-this-test-0123456789"
    Invitation.objects.filter(application=vetted).update(token_hash=token_hash(token))
    errors = run_together(
        lambda: invitation_accept(token=token, password=PASSWORD),
        lambda: invitation_accept(token=token, password=PASSWORD),
    )
    assert [type(e) for e in errors] == [InvitationUnavailable]
    assert User.objects.filter(email="alex.example@example.org").count() == 1
