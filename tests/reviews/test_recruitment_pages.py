"""Recruitment pages: the staff pages of a case's campaigns and applications (review managers see them, the
recruitment lead acts, anyone else gets 404), and the public pages to find a campaign, apply and accept an
invitation."""

# The fixtures are imported by name from the recruitment fixtures, so test arguments share their names.
# ruff: noqa: F811

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from accounts.models import AuditEvent, Organisation, Role, User
from failure_regime.models import Case
from reviews.models import Application, ApplicationStatus, Campaign, CampaignStatus, Regulator, Seniority
from reviews.selectors.recruitment import campaign_list_for_case
from reviews.services.recruitment import application_approve, application_reject, campaign_close
from reviews.verbs import ReviewsVerb
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

ClientFor = Callable[[User], Client]


def url(name: str, *args: Any) -> str:
    return reverse(f"reviews:{name}", args=args)


def form_data(campaign: Campaign, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "Dr Sam Sample",
        "email": "sam.sample@example.org",
        "phone": "",
        "profession": "Midwife",
        "regulator": Regulator.NMC,
        "registration_number": "12a3456b",
        "specialties": [specialty("Midwifery").pk],
        "seniority": Seniority.SENIOR_PRACTITIONER,
        "current_employer": "Far Shire NHS Trust",
        "employment_history": "Senior midwife, Far Shire NHS Trust, 2018 to date.",
        "capacity_per_week": 3,
        "sjr_trained_on": "",
        "first_referee": "Ms One, head of midwifery, one@example.org",
        "second_referee": "Dr Two, consultant, two@example.org",
        "interests": "",
        "no_other_interests": "on",
        "information_true": "on",
        "consent": "on",
        "website": "",
        **overrides,
    }


def approve(application: Application, lead: User) -> Application:
    return application_approve(actor=lead, application=application, employer_started_on=datetime.date(2015, 9, 1))


def invitation_token() -> str:
    match = re.search(r"/join-a-review/invitation/([A-Za-z0-9_-]+)/", str(mail.outbox[-1].body))
    assert match is not None
    return match.group(1)


@pytest.fixture
def token(vetted: Application, recruitment_lead: User, django_capture_on_commit_callbacks: Any) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        approve(vetted, recruitment_lead)
    return invitation_token()


# --- Campaigns of a case --------------------------------------------------------------------------


def test_the_recruitment_lead_sees_the_campaigns_of_the_case(
    client_for: ClientFor, recruitment_lead: User, campaign: Campaign
) -> None:
    response = client_for(recruitment_lead).get(url("campaign-list", campaign.case_id))
    assert response.status_code == 200 and campaign.title in response.content.decode()


def test_another_review_manager_sees_the_campaigns(
    client_for: ClientFor, oversight_lead: User, campaign: Campaign
) -> None:
    assert client_for(oversight_lead).get(url("campaign-list", campaign.case_id)).status_code == 200


def test_someone_who_sees_the_case_but_does_not_run_its_review_gets_404(
    client_for: ClientFor, inspector: User, campaign: Campaign
) -> None:
    assert client_for(inspector).get(url("campaign-list", campaign.case_id)).status_code == 404


def test_another_organisation_gets_404_for_the_campaigns(
    client_for: ClientFor, other_trust_manager: User, campaign: Campaign
) -> None:
    assert client_for(other_trust_manager).get(url("campaign-list", campaign.case_id)).status_code == 404


def test_the_public_is_sent_to_sign_in_from_the_campaigns(client: Client, campaign: Campaign) -> None:
    response = client.get(url("campaign-list", campaign.case_id))
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_the_campaign_list_keeps_a_query_budget(
    client_for: ClientFor,
    recruitment_lead: User,
    case: Case,
    campaign: Campaign,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(3):
        other = open_campaign(case, recruitment_lead, title=f"Wave {n}")
        for m in range(3):
            submit(other, email=f"{n}.{m}@example.org", registration_number=f"76543{n}{m}")
    client = client_for(recruitment_lead)
    with django_assert_max_num_queries(12):
        client.get(url("campaign-list", case.pk))


# --- Opening a campaign ---------------------------------------------------------------------------


def campaign_form(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Neonatologists to review neonatal care",
        "description": "Review the notes of babies who died on the neonatal unit.",
        "closes_on": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
        "specialty_1": "Neonatology",
        "number_1": "3",
        **overrides,
    }


def test_the_lead_opens_a_campaign_from_the_form(client_for: ClientFor, recruitment_lead: User, case: Case) -> None:
    response = client_for(recruitment_lead).post(url("campaign-new", case.pk), campaign_form())
    campaign = Campaign.objects.get()
    assert response["Location"] == url("campaign-detail", campaign.pk)
    assert [(n.specialty.name, n.number_needed) for n in campaign.needs.all()] == [("Neonatology", 3)]


def test_the_new_campaign_form_shows_five_specialty_rows(
    client_for: ClientFor, recruitment_lead: User, case: Case
) -> None:
    response = client_for(recruitment_lead).get(url("campaign-new", case.pk))
    assert response.content.decode().count('name="specialty_') == 5


def test_a_specialty_without_a_number_is_a_form_error(
    client_for: ClientFor, recruitment_lead: User, case: Case
) -> None:
    response = client_for(recruitment_lead).post(url("campaign-new", case.pk), campaign_form(number_1=""))
    assert (
        response.status_code == 400 and "Say how many experts in Neonatology are needed." in response.content.decode()
    )


def test_a_campaign_with_no_specialty_is_a_form_error(
    client_for: ClientFor, recruitment_lead: User, case: Case
) -> None:
    response = client_for(recruitment_lead).post(
        url("campaign-new", case.pk), campaign_form(specialty_1="", number_1="")
    )
    assert response.status_code == 400 and not Campaign.objects.exists()


def test_a_closing_date_in_the_past_is_a_form_error(client_for: ClientFor, recruitment_lead: User, case: Case) -> None:
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = client_for(recruitment_lead).post(url("campaign-new", case.pk), campaign_form(closes_on=yesterday))
    assert "The closing date cannot be in the past." in response.content.decode()


def test_a_review_manager_who_is_not_the_recruitment_lead_may_not_open_a_campaign(
    client_for: ClientFor, recruitment_lead: User, oversight_lead: User, case: Case
) -> None:
    assert client_for(oversight_lead).get(url("campaign-new", case.pk)).status_code == 403


def test_another_organisation_gets_404_for_a_new_campaign(
    client_for: ClientFor, recruitment_lead: User, other_trust_manager: User, case: Case
) -> None:
    assert client_for(other_trust_manager).post(url("campaign-new", case.pk), campaign_form()).status_code == 404


def test_the_public_is_sent_to_sign_in_from_a_new_campaign(client: Client, case: Case) -> None:
    assert client.get(url("campaign-new", case.pk))["Location"].startswith("/sign-in/")


# --- A campaign -----------------------------------------------------------------------------------


def test_the_campaign_page_shows_progress_against_what_is_needed(
    client_for: ClientFor, recruitment_lead: User, campaign: Campaign, vetted: Application
) -> None:
    response = client_for(recruitment_lead).get(url("campaign-detail", campaign.pk))
    obstetrics = response.context["progress"].needs[1]
    assert (obstetrics.specialty.name, obstetrics.needed, obstetrics.applied, obstetrics.vetted) == (
        "Obstetrics",
        2,
        1,
        1,
    )


def test_the_campaign_page_keeps_a_query_budget(
    client_for: ClientFor,
    recruitment_lead: User,
    campaign: Campaign,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(30):
        submit(campaign, email=f"{n}@example.org", registration_number=f"76543{n:02d}")
    client = client_for(recruitment_lead)
    with django_assert_max_num_queries(14):
        client.get(url("campaign-detail", campaign.pk))


def test_another_organisation_gets_404_for_a_campaign(
    client_for: ClientFor, other_trust_manager: User, campaign: Campaign
) -> None:
    assert client_for(other_trust_manager).get(url("campaign-detail", campaign.pk)).status_code == 404


def test_the_public_is_sent_to_sign_in_from_a_campaign(client: Client, campaign: Campaign) -> None:
    assert client.get(url("campaign-detail", campaign.pk))["Location"].startswith("/sign-in/")


def test_the_lead_closes_the_campaign_from_its_page(
    client_for: ClientFor, recruitment_lead: User, campaign: Campaign
) -> None:
    client_for(recruitment_lead).post(url("campaign-close", campaign.pk))
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.CLOSED


def test_another_review_manager_may_not_close_the_campaign(
    client_for: ClientFor, oversight_lead: User, campaign: Campaign
) -> None:
    assert client_for(oversight_lead).post(url("campaign-close", campaign.pk)).status_code == 403


def test_another_organisation_gets_404_closing_a_campaign(
    client_for: ClientFor, other_trust_manager: User, campaign: Campaign
) -> None:
    assert client_for(other_trust_manager).post(url("campaign-close", campaign.pk)).status_code == 404


# --- An application -------------------------------------------------------------------------------


def test_the_lead_reads_an_application(client_for: ClientFor, recruitment_lead: User, application: Application) -> None:
    response = client_for(recruitment_lead).get(url("application-detail", application.pk))
    assert response.status_code == 200 and "Dr Alex Example" in response.content.decode()


def test_reading_an_application_is_audited(
    client_for: ClientFor, oversight_lead: User, application: Application
) -> None:
    client_for(oversight_lead).get(url("application-detail", application.pk))
    [event] = AuditEvent.objects.filter(verb=ReviewsVerb.APPLICATION_VIEWED)
    assert (event.actor, event.target_id) == (oversight_lead, str(application.pk))


def test_someone_who_sees_the_case_gets_404_for_an_application(
    client_for: ClientFor, inspector: User, application: Application
) -> None:
    assert client_for(inspector).get(url("application-detail", application.pk)).status_code == 404


def test_another_organisation_gets_404_for_an_application(
    client_for: ClientFor, other_trust_manager: User, application: Application
) -> None:
    assert client_for(other_trust_manager).get(url("application-detail", application.pk)).status_code == 404


def test_a_refused_read_is_not_audited(client_for: ClientFor, inspector: User, application: Application) -> None:
    client_for(inspector).get(url("application-detail", application.pk))
    assert not AuditEvent.objects.filter(verb=ReviewsVerb.APPLICATION_VIEWED).exists()


def test_the_public_is_sent_to_sign_in_from_an_application(client: Client, application: Application) -> None:
    assert client.get(url("application-detail", application.pk))["Location"].startswith("/sign-in/")


def test_only_the_lead_sees_the_vetting_form(
    client_for: ClientFor, oversight_lead: User, application: Application
) -> None:
    response = client_for(oversight_lead).get(url("application-detail", application.pk))
    assert response.context["vetting_form"] is None


def test_the_lead_records_the_checks_from_the_page(
    client_for: ClientFor, recruitment_lead: User, application: Application
) -> None:
    checks = dict.fromkeys(
        ["registration_checked", "references_checked", "interests_checked", "training_checked"], "on"
    )
    client_for(recruitment_lead).post(url("application-check", application.pk), checks)
    assert Application.objects.get(pk=application.pk).vetted


def test_another_organisation_gets_404_recording_a_check(
    client_for: ClientFor, other_trust_manager: User, application: Application
) -> None:
    response = client_for(other_trust_manager).post(
        url("application-check", application.pk), {"registration_checked": "on"}
    )
    assert response.status_code == 404


def test_the_lead_approves_a_vetted_application(
    client_for: ClientFor, recruitment_lead: User, vetted: Application, other_provider: Organisation
) -> None:
    response = client_for(recruitment_lead).post(
        url("application-approve", vetted.pk), {"employer_started_on": "2015-09-01", "employer_ods_code": "ryy"}
    )
    assert response["Location"] == url("application-detail", vetted.pk)
    assert Application.objects.get(pk=vetted.pk).status == ApplicationStatus.APPROVED


def test_approving_an_unvetted_application_shows_why_not(
    client_for: ClientFor, recruitment_lead: User, application: Application
) -> None:
    response = client_for(recruitment_lead).post(
        url("application-approve", application.pk), {"employer_started_on": "2015-09-01"}
    )
    assert response.status_code == 400 and "Complete all four vetting checks" in response.content.decode()


def test_an_unknown_ods_code_is_a_form_error(
    client_for: ClientFor, recruitment_lead: User, vetted: Application
) -> None:
    response = client_for(recruitment_lead).post(
        url("application-approve", vetted.pk), {"employer_started_on": "2015-09-01", "employer_ods_code": "ZZZ9"}
    )
    assert response.status_code == 400 and "No organisation has the ODS code ZZZ9." in response.content.decode()


def test_rejecting_from_the_page_needs_a_reason(
    client_for: ClientFor, recruitment_lead: User, application: Application
) -> None:
    response = client_for(recruitment_lead).post(url("application-reject", application.pk), {"reason": ""})
    assert response.status_code == 400 and Application.objects.get(pk=application.pk).status == "submitted"


def test_the_lead_rejects_with_a_reason(
    client_for: ClientFor, recruitment_lead: User, application: Application
) -> None:
    client_for(recruitment_lead).post(url("application-reject", application.pk), {"reason": "Not independent."})
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.REJECTED


def test_another_review_manager_may_not_reject(
    client_for: ClientFor, oversight_lead: User, application: Application
) -> None:
    response = client_for(oversight_lead).post(url("application-reject", application.pk), {"reason": "No."})
    assert response.status_code == 403


def test_the_lead_sends_a_new_invitation(
    client_for: ClientFor, recruitment_lead: User, token: str, vetted: Application
) -> None:
    client_for(recruitment_lead).post(url("invitation-renew", vetted.pk))
    assert AuditEvent.objects.filter(verb=ReviewsVerb.INVITATION_SENT).count() == 2


def test_a_rejected_application_gets_no_invitation_from_the_page(
    client_for: ClientFor, recruitment_lead: User, application: Application
) -> None:
    application_reject(actor=recruitment_lead, application=application, reason="No.")
    client_for(recruitment_lead).post(url("invitation-renew", application.pk))
    assert not AuditEvent.objects.filter(verb=ReviewsVerb.INVITATION_SENT).exists()


# --- Public: open campaigns ------------------------------------------------------------------------


def test_the_public_sees_open_campaigns(client: Client, campaign: Campaign) -> None:
    assert campaign.title in client.get(url("join")).content.decode()


def test_a_closed_campaign_is_not_listed(client: Client, campaign: Campaign, recruitment_lead: User) -> None:
    campaign_close(actor=recruitment_lead, campaign=campaign)
    assert campaign.title not in client.get(url("join")).content.decode()


def test_a_campaign_past_its_closing_date_is_not_listed(client: Client, campaign: Campaign) -> None:
    with time_machine.travel(timezone.now() + datetime.timedelta(days=32)):
        assert campaign.title not in client.get(url("join")).content.decode()


def test_the_campaign_list_can_be_cached_by_anyone(client: Client, campaign: Campaign) -> None:
    response = client.get(url("join"))
    assert "public" in response["Cache-Control"] and response.has_header("ETag")


def test_the_campaign_list_sets_no_cookie(client: Client, campaign: Campaign) -> None:
    response = client.get(url("join"))
    assert not response.cookies and "Cookie" not in response.get("Vary", "")


def test_the_campaign_list_answers_not_modified_to_a_cache(client: Client, campaign: Campaign) -> None:
    etag = client.get(url("join"))["ETag"]
    assert client.get(url("join"), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_the_campaign_list_names_no_case_or_person(client: Client, campaign: Campaign, case: Case) -> None:
    page = client.get(url("join")).content.decode()
    assert case.reference not in page and "Rita Regulator" not in page


# --- Public: applying -----------------------------------------------------------------------------


def test_the_application_form_opens_without_an_account(client: Client, campaign: Campaign) -> None:
    response = client.get(url("apply", campaign.pk))
    assert response.status_code == 200 and "sessionid" not in response.cookies


def test_applying_sends_the_application_and_shows_its_reference(client: Client, campaign: Campaign) -> None:
    response = client.post(url("apply", campaign.pk), form_data(campaign), follow=True)
    application = Application.objects.get()
    assert application.reference in response.content.decode()


def test_the_confirmation_address_holds_no_personal_data(client: Client, campaign: Campaign) -> None:
    location = client.post(url("apply", campaign.pk), form_data(campaign))["Location"]
    assert location == url("application-sent", Application.objects.get().reference)
    assert "sam" not in location.lower() and "12A3456B" not in location


def test_applying_e_mails_the_reference_once(
    client: Client, campaign: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("apply", campaign.pk), form_data(campaign))
    to_applicant = [m.subject for m in mail.outbox if m.to == ["sam.sample@example.org"]]
    assert to_applicant == [f"Application {Application.objects.get().reference} received"]


@pytest.mark.parametrize(
    ("body", "number", "message"),
    [
        (Regulator.GMC, "12345", "A GMC number is 7 digits"),
        (Regulator.NMC, "1234567", "An NMC PIN is 2 digits, a letter, 4 digits and a letter"),
        (Regulator.HCPC, "123456", "An HCPC number is 2 letters then digits"),
    ],
)
def test_the_form_explains_the_registration_number_format(
    client: Client, campaign: Campaign, body: str, number: str, message: str
) -> None:
    response = client.post(url("apply", campaign.pk), form_data(campaign, regulator=body, registration_number=number))
    assert response.status_code == 400 and message in response.content.decode()


def test_a_second_application_from_the_same_address_is_a_form_error(client: Client, campaign: Campaign) -> None:
    client.post(url("apply", campaign.pk), form_data(campaign))
    response = client.post(url("apply", campaign.pk), form_data(campaign, registration_number="99Z9999Z"))
    assert response.status_code == 400 and "already been sent to this campaign" in response.content.decode()


def test_an_application_without_consent_is_a_form_error(client: Client, campaign: Campaign) -> None:
    data = form_data(campaign)
    del data["consent"]
    response = client.post(url("apply", campaign.pk), data)
    assert response.status_code == 400 and not Application.objects.exists()


def test_a_robot_filling_the_hidden_field_stores_nothing(
    client: Client, campaign: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("apply", campaign.pk), form_data(campaign, website="http://spam.example"))
    assert response.status_code == 200
    assert not Application.objects.exists() and not mail.outbox


def test_too_many_applications_from_one_address_are_refused_with_429(
    client: Client, campaign: Campaign, settings: Any
) -> None:
    settings.REVIEWS_APPLICATION_RATE = "2/h"
    for n in range(2):
        data = form_data(campaign, email=f"{n}@example.org", registration_number=f"12A345{n}B")
        client.post(url("apply", campaign.pk), data)
    response = client.post(url("apply", campaign.pk), form_data(campaign, email="3@example.org"))
    assert response.status_code == 429 and Application.objects.count() == 2


def test_a_closed_campaign_shows_a_clear_page(client: Client, campaign: Campaign, recruitment_lead: User) -> None:
    campaign_close(actor=recruitment_lead, campaign=campaign)
    response = client.get(url("apply", campaign.pk))
    assert response.status_code == 404 and "not taking applications" in response.content.decode()


def test_the_confirmation_of_an_unknown_reference_is_404(client: Client, campaign: Campaign) -> None:
    assert client.get(url("application-sent", "A-0000-0000-0000")).status_code == 404


def test_the_confirmation_shows_no_personal_data(client: Client, application: Application) -> None:
    page = client.get(url("application-sent", application.reference)).content.decode()
    assert application.reference in page and "Alex" not in page and "example.org" not in page


# --- Public: accepting an invitation ---------------------------------------------------------------


def test_the_invitation_page_opens_with_a_valid_token(client: Client, token: str) -> None:
    assert client.get(url("invitation-accept", token)).status_code == 200


def test_accepting_creates_the_account_and_says_so(client: Client, token: str, cqc: Organisation) -> None:
    response = client.post(url("invitation-accept", token), {"password": PASSWORD, "password_again": PASSWORD})
    assert response["Location"] == url("account-ready")
    assert User.objects.get(email="alex.example@example.org").memberships.get().role == Role.EXPERT_REVIEWER


def test_a_used_invitation_shows_a_clear_404_page(client: Client, token: str) -> None:
    client.post(url("invitation-accept", token), {"password": PASSWORD, "password_again": PASSWORD})
    response = client.get(url("invitation-accept", token))
    assert response.status_code == 404 and "This invitation link does not work" in response.content.decode()


def test_an_expired_invitation_shows_a_clear_404_page(client: Client, token: str) -> None:
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15)):
        response = client.post(url("invitation-accept", token), {"password": PASSWORD, "password_again": PASSWORD})
    assert response.status_code == 404 and not User.objects.filter(email="alex.example@example.org").exists()


def test_an_unknown_token_shows_a_clear_404_page(client: Client, token: str) -> None:
    assert client.get(url("invitation-accept", "x" * 43)).status_code == 404


def test_passwords_that_differ_are_a_form_error(client: Client, token: str) -> None:
    response = client.post(url("invitation-accept", token), {"password": PASSWORD, "password_again": PASSWORD + "x"})
    assert response.status_code == 400 and "The two passwords are not the same." in response.content.decode()


def test_a_weak_password_is_a_form_error(client: Client, token: str) -> None:
    response = client.post(url("invitation-accept", token), {"password": "password", "password_again": "password"})
    assert response.status_code == 400 and not User.objects.filter(email="alex.example@example.org").exists()


def test_the_account_ready_page_is_public(client: Client) -> None:
    assert client.get(url("account-ready")).status_code == 200


def test_an_approved_application_shows_its_invitation(
    client_for: ClientFor, recruitment_lead: User, token: str, vetted: Application
) -> None:
    response = client_for(recruitment_lead).get(url("application-detail", vetted.pk))
    assert "Invitation sent" in response.content.decode() and response.context["can_renew"]


# --- The summary on the case's review page ---------------------------------------------------------


def test_the_case_summary_shows_appointed_against_needed(campaign: Campaign, case: Case) -> None:
    html = render_to_string(
        "reviews/staff/_case_recruitment.html",
        {"case": case, "is_review_manager": True, "recruitment": campaign_list_for_case(case=case)},
    )
    assert "0 of 3" in html and url("campaign-list", case.pk) in html
