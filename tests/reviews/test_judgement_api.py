"""The API of structured judgement reviews: a reviewer's own assignments (pseudonymised) and judgements, the
review team's findings, CSV and publishing, and the published summaries anyone may read."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries
from rest_framework.test import APIClient

from accounts.models import User
from failure_regime.models import Case
from reviews.models import (
    AVOIDABILITY_DIRECTION,
    AVOIDABILITY_SCALE,
    Assignment,
    CohortPatient,
    Expert,
    FindingsSummary,
    StructuredJudgement,
)
from reviews.services.judgement import findings_publish
from tests.reviews.judgement_fixtures import *  # noqa: F403
from tests.reviews.judgement_fixtures import DATE_OF_BIRTH_SHOWN, Assign, MakePatient, complete, submit

pytestmark = pytest.mark.django_db

ApiClientFor = Callable[[User], APIClient]

MINE = "/api/v1/my-assignments/"
SUMMARIES = "/api/v1/findings-summaries/"


def judgement_url(assignment: Assignment) -> str:
    return f"/api/v1/judgements/{assignment.pk}/"


def findings_url(case: Case) -> str:
    return f"/api/v1/findings/{case.pk}/"


def put(api: APIClient, url: str, body: dict[str, Any]) -> Any:
    return api.put(url, json.dumps(body), content_type="application/json")


def no_identifier(text: str, patient: CohortPatient) -> bool:
    return patient.nhs_number not in text and not any(shown in text for shown in DATE_OF_BIRTH_SHOWN)


# --- My assignments ---------------------------------------------------------------------------------------------


def test_a_reviewer_lists_their_assignments_pseudonymised(
    api_client_for: ApiClientFor, reviewer: User, assignment: Assignment, patient: CohortPatient
) -> None:
    [row] = api_client_for(reviewer).get(MINE).json()["results"]
    assert (row["id"], row["reference"], row["age_band"], row["progress"]) == (
        assignment.pk,
        patient.reference,
        patient.age_band,
        "not_started",
    )


def test_the_list_never_holds_an_identifier_of_the_patient(
    api_client_for: ApiClientFor, reviewer: User, assignment: Assignment, patient: CohortPatient
) -> None:
    assert no_identifier(api_client_for(reviewer).get(MINE).content.decode(), patient)


def test_the_list_leaves_out_other_reviewers_assignments(
    api_client_for: ApiClientFor, reviewer: User, reviewer_expert: Expert, second_assignment: Assignment
) -> None:
    assert api_client_for(reviewer).get(MINE).json()["count"] == 0


def test_another_reviewers_assignment_is_404(
    api_client_for: ApiClientFor, reviewer: User, reviewer_expert: Expert, second_assignment: Assignment
) -> None:
    assert api_client_for(reviewer).get(f"{MINE}{second_assignment.pk}/").status_code == 404


def test_my_assignments_refuse_the_public(client: Client) -> None:
    assert client.get(MINE).status_code == 401


def test_my_assignments_take_the_same_queries_however_many(
    api_client_for: ApiClientFor,
    reviewer: User,
    reviewer_expert: Expert,
    make_patient: MakePatient,
    assign: Assign,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    api = api_client_for(reviewer)
    assign(make_patient(), reviewer_expert)
    with CaptureQueriesContext(connection) as one:
        api.get(MINE)
    for _ in range(10):
        assign(make_patient(), reviewer_expert)
    with django_assert_max_num_queries(len(one.captured_queries)):
        api.get(MINE)


# --- Judgements -------------------------------------------------------------------------------------------------


def test_a_reviewer_reads_an_empty_draft_before_starting(
    api_client_for: ApiClientFor, reviewer: User, assignment: Assignment
) -> None:
    body = api_client_for(reviewer).get(judgement_url(assignment)).json()
    assert (body["progress"], body["overall_rating"], body["avoidability_scale"]) == (
        "not_started",
        None,
        AVOIDABILITY_SCALE,
    )


def test_a_reviewer_saves_a_draft(api_client_for: ApiClientFor, reviewer: User, assignment: Assignment) -> None:
    response = put(api_client_for(reviewer), judgement_url(assignment), {"overall_rating": 2})
    assert response.status_code == 200 and response.json()["progress"] == "draft"
    assert StructuredJudgement.objects.get(assignment=assignment).overall_rating == 2


def test_a_reviewer_submits_and_the_scale_and_direction_come_back(
    api_client_for: ApiClientFor, reviewer: User, assignment: Assignment
) -> None:
    api = api_client_for(reviewer)
    put(api, judgement_url(assignment), complete(avoidability=2))
    body = api.post(f"{judgement_url(assignment)}submit/").json()
    assert (body["progress"], body["avoidability"], body["avoidability_direction"]) == (
        "submitted",
        2,
        AVOIDABILITY_DIRECTION,
    )


def test_an_incomplete_submission_is_400_with_the_fields_missing(
    api_client_for: ApiClientFor, reviewer: User, assignment: Assignment
) -> None:
    response = api_client_for(reviewer).post(f"{judgement_url(assignment)}submit/")
    assert response.status_code == 400 and {"overall_rating", "avoidability"} <= set(response.json()["errors"])


def test_a_submitted_review_cannot_be_changed_through_the_api(
    api_client_for: ApiClientFor, reviewer: User, assignment: Assignment
) -> None:
    submit(assignment, overall_rating=3)
    response = put(api_client_for(reviewer), judgement_url(assignment), complete(overall_rating=1))
    assert response.status_code == 409
    assert StructuredJudgement.objects.get(assignment=assignment).overall_rating == 3


def test_submitting_twice_is_409(api_client_for: ApiClientFor, reviewer: User, assignment: Assignment) -> None:
    submit(assignment)
    assert api_client_for(reviewer).post(f"{judgement_url(assignment)}submit/").status_code == 409


def test_another_reviewers_judgement_is_404_to_read_write_and_submit(
    api_client_for: ApiClientFor, second_reviewer: User, second_expert: Expert, assignment: Assignment
) -> None:
    api = api_client_for(second_reviewer)
    codes = {
        api.get(judgement_url(assignment)).status_code,
        put(api, judgement_url(assignment), complete()).status_code,
        api.post(f"{judgement_url(assignment)}submit/").status_code,
    }
    assert codes == {404}


def test_a_second_reviewer_reads_only_their_own_judgement(
    api_client_for: ApiClientFor, second_reviewer: User, assignment: Assignment, second_assignment: Assignment
) -> None:
    submit(assignment, overall_narrative="Unmistakable first narrative.")
    body = api_client_for(second_reviewer).get(judgement_url(second_assignment)).json()
    assert body["overall_narrative"] == "" and body["progress"] == "not_started"


def test_judgements_refuse_the_public(client: Client, assignment: Assignment) -> None:
    assert client.get(judgement_url(assignment)).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"overall_rating": 9},
        {"avoidability": 0},
        {"overall_rating": 1e400},
        {"overall_narrative": "nul\x00byte"},
        {"problem_types": ["bad_luck"]},
        {"safety_concern": True},
        {"problem_types": "monitoring"},
    ],
)
def test_bad_input_is_400(api_client_for: ApiClientFor, reviewer: User, assignment: Assignment, body: Any) -> None:
    raw = json.dumps(body).replace("Infinity", "1e400")
    response = api_client_for(reviewer).put(judgement_url(assignment), raw, content_type="application/json")
    assert response.status_code == 400


def test_a_huge_assignment_id_is_404(api_client_for: ApiClientFor, reviewer: User) -> None:
    assert api_client_for(reviewer).get("/api/v1/judgements/999999999999999999/").status_code == 404


# --- Findings ---------------------------------------------------------------------------------------------------


@pytest.fixture
def reviewed(assignment: Assignment, second_assignment: Assignment) -> CohortPatient:
    submit(assignment, overall_rating=4, avoidability=2)
    submit(second_assignment, overall_rating=3, avoidability=5)
    return assignment.patient


def test_the_review_team_reads_the_findings(
    api_client_for: ApiClientFor, lead: User, case: Case, reviewed: CohortPatient
) -> None:
    body = api_client_for(lead).get(findings_url(case)).json()
    assert (body["reviews"], body["double_reviewed"], body["agreement"]["overall_rating"]["pairs"]) == (2, 1, 1)
    assert body["avoidable_deaths"]["reviewed_deaths"] == 1


def test_the_findings_name_no_reviewer(
    api_client_for: ApiClientFor, lead: User, case: Case, reviewed: CohortPatient
) -> None:
    text = api_client_for(lead).get(findings_url(case)).content.decode()
    assert "Rae" not in text and "Sasha" not in text


@pytest.mark.parametrize("who", ["reviewer", "trust_manager", "other_trust_manager"])
def test_the_findings_are_404_outside_the_review_team(
    api_client_for: ApiClientFor, case: Case, reviewed: CohortPatient, who: str, request: pytest.FixtureRequest
) -> None:
    assert api_client_for(request.getfixturevalue(who)).get(findings_url(case)).status_code == 404


def test_the_findings_refuse_the_public(client: Client, case: Case) -> None:
    assert client.get(findings_url(case)).status_code == 401


def test_the_findings_take_the_same_queries_however_many_reviews(
    api_client_for: ApiClientFor,
    lead: User,
    case: Case,
    make_patient: MakePatient,
    assign: Assign,
    reviewer_expert: Expert,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    api = api_client_for(lead)
    submit(assign(make_patient(), reviewer_expert))
    with CaptureQueriesContext(connection) as one:
        api.get(findings_url(case))
    for _ in range(10):
        submit(assign(make_patient(), reviewer_expert))
    with django_assert_max_num_queries(len(one.captured_queries)):
        api.get(findings_url(case))


def test_the_review_team_downloads_the_csv(
    api_client_for: ApiClientFor, lead: User, case: Case, reviewed: CohortPatient
) -> None:
    response = api_client_for(lead).get(f"{findings_url(case)}csv/")
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert response["Content-Type"].startswith("text/csv") and text.count("\n") == 3
    assert "Rae" not in text and "Sasha" not in text


def test_a_client_asking_for_csv_gets_it(
    api_client_for: ApiClientFor, lead: User, case: Case, reviewed: CohortPatient
) -> None:
    response = api_client_for(lead).get(f"{findings_url(case)}csv/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_the_csv_is_404_outside_the_review_team(
    api_client_for: ApiClientFor, reviewer: User, case: Case, reviewed: CohortPatient
) -> None:
    assert api_client_for(reviewer).get(f"{findings_url(case)}csv/").status_code == 404


def test_the_review_team_publishes_a_summary(
    api_client_for: ApiClientFor, lead: User, case: Case, reviewed: CohortPatient
) -> None:
    body = {"title": "Early findings", "body": "Most care was good."}
    response = api_client_for(lead).post(f"{findings_url(case)}summaries/", body, format="json")
    assert response.status_code == 201 and response.json()["patients_reviewed"] == 1


def test_a_summary_with_an_nhs_number_is_400(
    api_client_for: ApiClientFor, lead: User, case: Case, reviewed: CohortPatient
) -> None:
    body = {"title": "Early findings", "body": f"Patient {reviewed.nhs_number} died."}
    response = api_client_for(lead).post(f"{findings_url(case)}summaries/", body, format="json")
    assert response.status_code == 400 and "body" in response.json()["errors"]


def test_publishing_is_404_outside_the_review_team(
    api_client_for: ApiClientFor, reviewer: User, case: Case, reviewed: CohortPatient
) -> None:
    body = {"title": "Early findings", "body": "Most care was good."}
    response = api_client_for(reviewer).post(f"{findings_url(case)}summaries/", body, format="json")
    assert response.status_code == 404 and not FindingsSummary.objects.exists()


# --- Published summaries ----------------------------------------------------------------------------------------


@pytest.fixture
def summary(lead: User, case: Case, reviewed: CohortPatient) -> FindingsSummary:
    return findings_publish(actor=lead, case=case, title="Early findings", body="Most care was good.")


def test_anyone_reads_the_published_summaries(client: Client, summary: FindingsSummary) -> None:
    [row] = client.get(SUMMARIES).json()["results"]
    assert (row["title"], row["patients_reviewed"], row["provider"]["ods_code"]) == ("Early findings", 1, "RXX")


def test_anyone_reads_a_summary(client: Client, summary: FindingsSummary) -> None:
    assert client.get(f"{SUMMARIES}{summary.pk}/").json()["body"] == "Most care was good."


def test_the_public_api_sets_no_cookies_and_holds_no_personal_data(
    client: Client, summary: FindingsSummary, patient: CohortPatient, lead: User
) -> None:
    response = client.get(SUMMARIES)
    text = response.content.decode()
    assert not response.cookies and no_identifier(text, patient) and lead.full_name not in text


def test_the_public_api_is_read_only(client: Client, summary: FindingsSummary) -> None:
    assert client.post(SUMMARIES, {"title": "x"}).status_code == 405
