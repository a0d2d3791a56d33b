"""The recruitment API: campaigns and applications for the case's review managers (404 for anyone else), actions
by the expert-recruitment lead only (403 for the other managers), no personal data outside a recorded read."""

# The fixtures are imported by name from the recruitment fixtures, so test arguments share their names.
# ruff: noqa: F811

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Organisation, User
from failure_regime.models import Case
from reviews.models import Application, Campaign
from reviews.verbs import ReviewsVerb
from tests.reviews.recruitment_fixtures import (  # noqa: F401
    application,
    campaign,
    open_campaign,
    recruitment_lead,
    submit,
    vetted,
)

pytestmark = pytest.mark.django_db

ApiClientFor = Callable[[User], APIClient]

CAMPAIGNS = "/api/v1/recruitment-campaigns/"
APPLICATIONS = "/api/v1/recruitment-applications/"
PERSONAL = {"name", "email", "phone", "registration_number", "first_referee", "second_referee", "interests"}


def post(api: APIClient, url: str, body: dict[str, Any] | None = None) -> Any:
    return api.post(url, json.dumps(body or {}), content_type="application/json")


def new_campaign(case: Case, **overrides: Any) -> dict[str, Any]:
    return {
        "case": case.pk,
        "title": "Neonatologists to review neonatal care",
        "description": "Review the notes of babies who died on the neonatal unit.",
        "closes_on": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
        "needs": [{"specialty": "Neonatology", "number_needed": 2}],
        **overrides,
    }


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", CAMPAIGNS),
        ("post", CAMPAIGNS),
        ("get", f"{CAMPAIGNS}1/"),
        ("post", f"{CAMPAIGNS}1/close/"),
        ("get", APPLICATIONS),
        ("get", f"{APPLICATIONS}1/"),
        ("post", f"{APPLICATIONS}1/check/"),
        ("post", f"{APPLICATIONS}1/approve/"),
        ("post", f"{APPLICATIONS}1/reject/"),
        ("post", f"{APPLICATIONS}1/renew-invitation/"),
    ],
)
def test_it_refuses_the_anonymous(method: str, url: str) -> None:
    assert getattr(APIClient(), method)(url, {}, format="json").status_code == 401


# --- Campaigns ------------------------------------------------------------------------------------


def test_the_lead_lists_the_campaigns_with_their_progress(
    api_client_for: ApiClientFor, recruitment_lead: User, campaign: Campaign, application: Application
) -> None:
    [row] = api_client_for(recruitment_lead).get(CAMPAIGNS).json()["results"]
    assert [(n["specialty"]["name"], n["needed"], n["applied"]) for n in row["needs"]] == [
        ("Midwifery", 1, 0),
        ("Obstetrics", 2, 1),
    ]


def test_another_review_manager_lists_the_campaigns(
    api_client_for: ApiClientFor, oversight_lead: User, campaign: Campaign
) -> None:
    assert [r["id"] for r in api_client_for(oversight_lead).get(CAMPAIGNS).json()["results"]] == [campaign.pk]


def test_someone_outside_the_review_lists_no_campaign(
    api_client_for: ApiClientFor, inspector: User, campaign: Campaign
) -> None:
    assert api_client_for(inspector).get(CAMPAIGNS).json()["results"] == []


def test_the_campaigns_can_be_listed_for_one_case(
    api_client_for: ApiClientFor, recruitment_lead: User, campaign: Campaign
) -> None:
    response = api_client_for(recruitment_lead).get(CAMPAIGNS, {"case": campaign.case_id + 1})
    assert response.json()["results"] == []


def test_a_huge_case_filter_is_a_400(api_client_for: ApiClientFor, recruitment_lead: User, campaign: Campaign) -> None:
    assert api_client_for(recruitment_lead).get(CAMPAIGNS, {"case": "9" * 30}).status_code == 400


def test_another_organisation_gets_404_for_a_campaign(
    api_client_for: ApiClientFor, other_trust_manager: User, campaign: Campaign
) -> None:
    assert api_client_for(other_trust_manager).get(f"{CAMPAIGNS}{campaign.pk}/").status_code == 404


def test_the_campaign_list_keeps_a_query_budget(
    api_client_for: ApiClientFor,
    recruitment_lead: User,
    case: Case,
    campaign: Campaign,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(4):
        other = open_campaign(case, recruitment_lead, title=f"Wave {n}")
        submit(other, email=f"{n}@example.org", registration_number=f"765432{n}")
    api = api_client_for(recruitment_lead)
    with django_assert_max_num_queries(12):
        api.get(CAMPAIGNS)


def test_the_lead_opens_a_campaign(api_client_for: ApiClientFor, recruitment_lead: User, case: Case) -> None:
    response = post(api_client_for(recruitment_lead), CAMPAIGNS, new_campaign(case))
    assert response.status_code == 201 and response.json()["needs"][0]["needed"] == 2


def test_opening_without_needs_is_a_400(api_client_for: ApiClientFor, recruitment_lead: User, case: Case) -> None:
    response = post(api_client_for(recruitment_lead), CAMPAIGNS, new_campaign(case, needs=[]))
    assert response.status_code == 400 and "needs" in response.json()["errors"]


def test_opening_with_a_past_closing_date_is_a_400(
    api_client_for: ApiClientFor, recruitment_lead: User, case: Case
) -> None:
    response = post(api_client_for(recruitment_lead), CAMPAIGNS, new_campaign(case, closes_on="2000-01-01"))
    assert response.status_code == 400 and "closes_on" in response.json()["errors"]


def test_another_review_manager_may_not_open_a_campaign(
    api_client_for: ApiClientFor, recruitment_lead: User, oversight_lead: User, case: Case
) -> None:
    assert post(api_client_for(oversight_lead), CAMPAIGNS, new_campaign(case)).status_code == 403


def test_a_case_outside_the_caller_s_reviews_reads_as_not_found(
    api_client_for: ApiClientFor, recruitment_lead: User, other_trust_manager: User, case: Case
) -> None:
    response = post(api_client_for(other_trust_manager), CAMPAIGNS, new_campaign(case))
    assert response.status_code == 400 and "case" in response.json()["errors"]


def test_the_lead_closes_a_campaign(api_client_for: ApiClientFor, recruitment_lead: User, campaign: Campaign) -> None:
    response = post(api_client_for(recruitment_lead), f"{CAMPAIGNS}{campaign.pk}/close/")
    assert (response.status_code, response.json()["status"]) == (200, "closed")


def test_closing_a_closed_campaign_is_a_409(
    api_client_for: ApiClientFor, recruitment_lead: User, campaign: Campaign
) -> None:
    api = api_client_for(recruitment_lead)
    post(api, f"{CAMPAIGNS}{campaign.pk}/close/")
    assert post(api, f"{CAMPAIGNS}{campaign.pk}/close/").status_code == 409


def test_another_review_manager_may_not_close_a_campaign(
    api_client_for: ApiClientFor, oversight_lead: User, campaign: Campaign
) -> None:
    assert post(api_client_for(oversight_lead), f"{CAMPAIGNS}{campaign.pk}/close/").status_code == 403


def test_another_organisation_gets_404_closing_a_campaign(
    api_client_for: ApiClientFor, other_trust_manager: User, campaign: Campaign
) -> None:
    assert post(api_client_for(other_trust_manager), f"{CAMPAIGNS}{campaign.pk}/close/").status_code == 404


# --- Applications ---------------------------------------------------------------------------------


def test_the_application_list_carries_no_personal_data(
    api_client_for: ApiClientFor, recruitment_lead: User, application: Application
) -> None:
    [row] = api_client_for(recruitment_lead).get(APPLICATIONS).json()["results"]
    assert row["reference"] == application.reference and not PERSONAL & set(row)


def test_the_applications_can_be_listed_by_status(
    api_client_for: ApiClientFor, recruitment_lead: User, application: Application
) -> None:
    response = api_client_for(recruitment_lead).get(APPLICATIONS, {"status": "approved"})
    assert response.json()["results"] == []


def test_someone_outside_the_review_lists_no_application(
    api_client_for: ApiClientFor, inspector: User, application: Application
) -> None:
    assert api_client_for(inspector).get(APPLICATIONS).json()["results"] == []


def test_reading_an_application_shows_it_and_is_audited(
    api_client_for: ApiClientFor, oversight_lead: User, application: Application
) -> None:
    body = api_client_for(oversight_lead).get(f"{APPLICATIONS}{application.pk}/").json()
    assert body["email"] == "alex.example@example.org"
    assert AuditEvent.objects.filter(verb=ReviewsVerb.APPLICATION_VIEWED, actor=oversight_lead).count() == 1


def test_another_organisation_gets_404_for_an_application_and_nothing_is_recorded(
    api_client_for: ApiClientFor, other_trust_manager: User, application: Application
) -> None:
    assert api_client_for(other_trust_manager).get(f"{APPLICATIONS}{application.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(verb=ReviewsVerb.APPLICATION_VIEWED).exists()


def test_the_lead_records_checks(
    api_client_for: ApiClientFor, recruitment_lead: User, application: Application
) -> None:
    checks = {"registration_checked": True, "references_checked": True}
    body = post(api_client_for(recruitment_lead), f"{APPLICATIONS}{application.pk}/check/", checks).json()
    assert (body["registration_checked"], body["references_checked"], body["vetted"]) == (True, True, False)


def test_an_action_s_answer_carries_no_personal_data(
    api_client_for: ApiClientFor, recruitment_lead: User, application: Application
) -> None:
    body = post(api_client_for(recruitment_lead), f"{APPLICATIONS}{application.pk}/check/", {}).json()
    assert not PERSONAL & set(body)


def test_another_review_manager_may_not_vet(
    api_client_for: ApiClientFor, oversight_lead: User, application: Application
) -> None:
    response = post(
        api_client_for(oversight_lead), f"{APPLICATIONS}{application.pk}/check/", {"interests_checked": True}
    )
    assert response.status_code == 403


def test_another_organisation_gets_404_vetting(
    api_client_for: ApiClientFor, other_trust_manager: User, application: Application
) -> None:
    response = post(api_client_for(other_trust_manager), f"{APPLICATIONS}{application.pk}/check/", {})
    assert response.status_code == 404


def test_approving_an_unvetted_application_is_a_409(
    api_client_for: ApiClientFor, recruitment_lead: User, application: Application
) -> None:
    response = post(
        api_client_for(recruitment_lead),
        f"{APPLICATIONS}{application.pk}/approve/",
        {"employer_started_on": "2015-09-01"},
    )
    assert response.status_code == 409


def test_the_lead_approves_a_vetted_application(
    api_client_for: ApiClientFor, recruitment_lead: User, vetted: Application, provider: Organisation
) -> None:
    body = post(
        api_client_for(recruitment_lead),
        f"{APPLICATIONS}{vetted.pk}/approve/",
        {"employer_started_on": "2015-09-01", "employer_organisation": provider.pk},
    ).json()
    assert (body["status"], body["expert"] is not None, body["invitation"]["accepted_at"]) == ("approved", True, None)


def test_an_unknown_employer_organisation_is_a_400(
    api_client_for: ApiClientFor, recruitment_lead: User, vetted: Application
) -> None:
    response = post(
        api_client_for(recruitment_lead),
        f"{APPLICATIONS}{vetted.pk}/approve/",
        {"employer_started_on": "2015-09-01", "employer_organisation": 2**70},
    )
    assert response.status_code == 400 and "employer_organisation" in response.json()["errors"]


def test_an_unknown_interest_kind_is_a_400(
    api_client_for: ApiClientFor, recruitment_lead: User, vetted: Application
) -> None:
    response = post(
        api_client_for(recruitment_lead),
        f"{APPLICATIONS}{vetted.pk}/approve/",
        {"employer_started_on": "2015-09-01", "interest_kind": "shares"},
    )
    assert response.status_code == 400 and "interest_kind" in response.json()["errors"]


def test_rejecting_without_a_reason_is_a_400(
    api_client_for: ApiClientFor, recruitment_lead: User, application: Application
) -> None:
    response = post(api_client_for(recruitment_lead), f"{APPLICATIONS}{application.pk}/reject/", {"reason": ""})
    assert response.status_code == 400 and "reason" in response.json()["errors"]


def test_the_lead_rejects_with_a_reason(
    api_client_for: ApiClientFor, recruitment_lead: User, application: Application
) -> None:
    body = post(
        api_client_for(recruitment_lead), f"{APPLICATIONS}{application.pk}/reject/", {"reason": "Not independent."}
    ).json()
    assert body["status"] == "rejected"


def test_a_reason_with_a_nul_byte_is_a_400(
    api_client_for: ApiClientFor, recruitment_lead: User, application: Application
) -> None:
    response = post(api_client_for(recruitment_lead), f"{APPLICATIONS}{application.pk}/reject/", {"reason": "a\x00b"})
    assert response.status_code == 400


def test_renewing_the_invitation_of_an_undecided_application_is_a_409(
    api_client_for: ApiClientFor, recruitment_lead: User, application: Application
) -> None:
    response = post(api_client_for(recruitment_lead), f"{APPLICATIONS}{application.pk}/renew-invitation/")
    assert response.status_code == 409


def test_the_lead_renews_an_invitation(
    api_client_for: ApiClientFor, recruitment_lead: User, vetted: Application
) -> None:
    api = api_client_for(recruitment_lead)
    post(api, f"{APPLICATIONS}{vetted.pk}/approve/", {"employer_started_on": "2015-09-01"})
    assert post(api, f"{APPLICATIONS}{vetted.pk}/renew-invitation/").status_code == 200


def test_the_schema_names_the_application_statuses_once(client: Any) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["components"]["schemas"]["ApplicationStatusEnum"]["enum"] == ["submitted", "approved", "rejected"]
