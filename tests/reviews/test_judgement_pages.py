"""Pages of structured judgement reviews: a reviewer's own cases and the review form (never an identifier of the
patient, someone else's case is 404, a submitted review is read-only), the review team's findings and CSV, the
public's published summaries (cached, no cookies), and the findings part of a case's review page."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from accounts.models import User
from failure_regime.models import Case
from reviews.models import (
    AVOIDABILITY_DIRECTION,
    AVOIDABILITY_SCALE,
    Assignment,
    CohortPatient,
    Expert,
    FindingsSummary,
    JudgementStatus,
    StructuredJudgement,
)
from reviews.services.judgement import findings_publish
from tests.reviews.judgement_fixtures import *  # noqa: F403
from tests.reviews.judgement_fixtures import DATE_OF_BIRTH_SHOWN, Assign, MakePatient, complete, submit

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def my_reviews() -> str:
    return reverse("reviews:my-reviews")


def review_url(assignment: Assignment) -> str:
    return reverse("reviews:judgement", args=[assignment.pk])


def findings_url(case: Case) -> str:
    return reverse("reviews:findings", args=[case.pk])


def csv_url(case: Case) -> str:
    return reverse("reviews:findings-csv", args=[case.pk])


def form_data(action: str = "save", **overrides: object) -> dict[str, object]:
    data = {k: v for k, v in complete(**overrides).items() if v is not None}
    return {**data, "action": action}


def shows_no_identifier(text: str, patient: CohortPatient) -> bool:
    return patient.nhs_number not in text and not any(shown in text for shown in DATE_OF_BIRTH_SHOWN)


# --- My reviews -------------------------------------------------------------------------------------------------


def test_a_reviewer_sees_their_cases_by_reference_and_age_band(
    client_for: ClientFor, reviewer: User, assignment: Assignment, patient: CohortPatient
) -> None:
    response = client_for(reviewer).get(my_reviews())
    assert patient.reference in response.text and patient.age_band in response.text


def test_my_reviews_never_shows_an_identifier_of_the_patient(
    client_for: ClientFor, reviewer: User, assignment: Assignment, patient: CohortPatient
) -> None:
    assert shows_no_identifier(client_for(reviewer).get(my_reviews()).text, patient)


def test_my_reviews_leaves_out_other_reviewers_cases(
    client_for: ClientFor, reviewer: User, second_assignment: Assignment, patient: CohortPatient
) -> None:
    assert patient.reference not in client_for(reviewer).get(my_reviews()).text


def test_my_reviews_asks_the_public_to_sign_in(client: Client) -> None:
    assert client.get(my_reviews())["Location"].startswith("/sign-in/")


def test_my_reviews_takes_the_same_queries_however_many_cases(
    client_for: ClientFor,
    reviewer: User,
    reviewer_expert: Expert,
    make_patient: MakePatient,
    assign: Assign,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    from django.db import connection

    browser = client_for(reviewer)
    assign(make_patient(), reviewer_expert)
    with CaptureQueriesContext(connection) as one:
        browser.get(my_reviews())
    for _ in range(10):
        assign(make_patient(), reviewer_expert)
    with django_assert_max_num_queries(len(one.captured_queries)):
        browser.get(my_reviews())


# --- The review form --------------------------------------------------------------------------------------------


def test_the_reviewer_opens_their_review(client_for: ClientFor, reviewer: User, assignment: Assignment) -> None:
    response = client_for(reviewer).get(review_url(assignment))
    assert response.status_code == 200 and "Save draft" in response.text


def test_another_reviewer_cannot_open_it(
    client_for: ClientFor, second_reviewer: User, second_expert: Expert, assignment: Assignment
) -> None:
    assert client_for(second_reviewer).get(review_url(assignment)).status_code == 404


def test_a_review_manager_cannot_open_a_reviewers_form(
    client_for: ClientFor, lead: User, assignment: Assignment
) -> None:
    assert client_for(lead).get(review_url(assignment)).status_code == 404


def test_a_reassigned_review_is_gone_for_its_old_reviewer(
    client_for: ClientFor, reviewer: User, assignment: Assignment
) -> None:
    Assignment.objects.filter(pk=assignment.pk).update(ended_at=assignment.assigned_at, end_reason="Reassigned.")
    assert client_for(reviewer).get(review_url(assignment)).status_code == 404


def test_the_review_form_asks_the_public_to_sign_in(client: Client, assignment: Assignment) -> None:
    assert client.get(review_url(assignment))["Location"].startswith("/sign-in/")


def test_the_review_form_never_shows_an_identifier_of_the_patient(
    client_for: ClientFor, reviewer: User, assignment: Assignment, patient: CohortPatient
) -> None:
    assert shows_no_identifier(client_for(reviewer).get(review_url(assignment)).text, patient)


def test_a_second_reviewer_sees_nothing_of_the_first_review(
    client_for: ClientFor, second_reviewer: User, assignment: Assignment, second_assignment: Assignment
) -> None:
    submit(assignment, overall_narrative="Unmistakable first narrative.")
    text = client_for(second_reviewer).get(review_url(second_assignment)).text
    assert "Unmistakable first narrative." not in text and "Rae Reviewer" not in text


def test_the_form_groups_each_set_of_radios_under_a_legend(
    client_for: ClientFor, reviewer: User, assignment: Assignment
) -> None:
    text = client_for(reviewer).get(review_url(assignment)).text
    # Five phases, overall care, problem types and avoidability.
    assert text.count("<legend") == 8 and "Rating of the overall care</legend>" in text


def test_the_form_shows_the_avoidability_scale_and_its_direction(
    client_for: ClientFor, reviewer: User, assignment: Assignment
) -> None:
    text = client_for(reviewer).get(review_url(assignment)).text
    assert AVOIDABILITY_SCALE in text and AVOIDABILITY_DIRECTION in text


def test_save_draft_keeps_a_draft(client_for: ClientFor, reviewer: User, assignment: Assignment) -> None:
    response = client_for(reviewer).post(review_url(assignment), form_data("save", overall_rating=2))
    judgement = StructuredJudgement.objects.get(assignment=assignment)
    assert response.status_code == 302 and (judgement.status, judgement.overall_rating) == ("draft", 2)


def test_submit_locks_the_review_and_shows_it_read_only(
    client_for: ClientFor, reviewer: User, assignment: Assignment
) -> None:
    browser = client_for(reviewer)
    response = browser.post(review_url(assignment), form_data("submit"), follow=True)
    assert StructuredJudgement.objects.get(assignment=assignment).status == JudgementStatus.SUBMITTED
    assert "can no longer be changed" in response.text and "Save draft" not in response.text


def test_an_incomplete_submission_shows_what_is_missing(
    client_for: ClientFor, reviewer: User, assignment: Assignment
) -> None:
    response = client_for(reviewer).post(review_url(assignment), form_data("submit", overall_narrative=None))
    assert response.status_code == 400 and "Explain your rating of the overall care." in response.text


def test_a_submitted_review_cannot_be_changed_through_the_page(
    client_for: ClientFor, reviewer: User, assignment: Assignment
) -> None:
    submit(assignment, overall_rating=3)
    response = client_for(reviewer).post(review_url(assignment), form_data("save", overall_rating=1))
    assert response.status_code == 400 and "can no longer be changed" in response.text
    assert StructuredJudgement.objects.get(assignment=assignment).overall_rating == 3


def test_a_safety_concern_from_the_page_is_saved_with_its_detail(
    client_for: ClientFor, reviewer: User, assignment: Assignment, lead: User
) -> None:
    data = form_data("save", safety_concern="on", safety_concern_detail="Broken call bells on ward 4.")
    client_for(reviewer).post(review_url(assignment), data)
    assert StructuredJudgement.objects.get(assignment=assignment).safety_alerted_at is not None


# --- Findings ---------------------------------------------------------------------------------------------------


@pytest.fixture
def reviewed(assignment: Assignment, second_assignment: Assignment) -> CohortPatient:
    submit(assignment, overall_rating=4)
    submit(second_assignment, overall_rating=4)
    return assignment.patient


def test_the_review_team_sees_the_findings_with_agreement(
    client_for: ClientFor, lead: User, case: Case, reviewed: CohortPatient
) -> None:
    response = client_for(lead).get(findings_url(case))
    assert response.status_code == 200 and "Cohen" in response.text and "Patients reviewed twice" in response.text


def test_the_findings_name_no_reviewer(client_for: ClientFor, lead: User, case: Case, reviewed: CohortPatient) -> None:
    text = client_for(lead).get(findings_url(case)).text
    assert "Rae Reviewer" not in text and "Sasha Second" not in text


@pytest.mark.parametrize("who", ["reviewer", "trust_manager", "other_trust_manager", "inspector"])
def test_anyone_outside_the_review_team_gets_404_for_the_findings(
    client_for: ClientFor, case: Case, reviewed: CohortPatient, who: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)
    assert client_for(user).get(findings_url(case)).status_code == 404


def test_the_findings_ask_the_public_to_sign_in(client: Client, case: Case) -> None:
    assert client.get(findings_url(case))["Location"].startswith("/sign-in/")


def test_the_findings_page_takes_the_same_queries_however_many_reviews(
    client_for: ClientFor,
    lead: User,
    case: Case,
    make_patient: MakePatient,
    assign: Assign,
    reviewer_expert: Expert,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    from django.db import connection

    browser = client_for(lead)
    submit(assign(make_patient(), reviewer_expert))
    with CaptureQueriesContext(connection) as one:
        browser.get(findings_url(case))
    for _ in range(10):
        submit(assign(make_patient(), reviewer_expert), safety_concern=True, safety_concern_detail="Staffing.")
    with django_assert_max_num_queries(len(one.captured_queries)):
        browser.get(findings_url(case))


def test_the_review_team_publishes_a_summary(
    client_for: ClientFor, lead: User, case: Case, reviewed: CohortPatient
) -> None:
    response = client_for(lead).post(findings_url(case), {"title": "Early findings", "body": "Care was good."})
    assert response.status_code == 302 and FindingsSummary.objects.get().title == "Early findings"


def test_a_summary_naming_a_reviewer_is_refused_on_the_page(
    client_for: ClientFor, lead: User, case: Case, reviewed: CohortPatient
) -> None:
    body = {"title": "Early findings", "body": "Dr Rae Reviewer found good care."}
    response = client_for(lead).post(findings_url(case), body)
    assert response.status_code == 400 and not FindingsSummary.objects.exists()


def test_the_csv_download_has_a_row_per_review_and_no_reviewer_names(
    client_for: ClientFor, lead: User, case: Case, reviewed: CohortPatient
) -> None:
    response = client_for(lead).get(csv_url(case))
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert response["Content-Type"].startswith("text/csv") and len(list(csv.DictReader(io.StringIO(text)))) == 2
    assert "Rae" not in text and "Sasha" not in text and "Reviewer 1" in text


def test_the_csv_download_is_404_outside_the_review_team(
    client_for: ClientFor, reviewer: User, case: Case, reviewed: CohortPatient
) -> None:
    assert client_for(reviewer).get(csv_url(case)).status_code == 404


def test_the_csv_download_asks_the_public_to_sign_in(client: Client, case: Case) -> None:
    assert client.get(csv_url(case))["Location"].startswith("/sign-in/")


# --- Published summaries ----------------------------------------------------------------------------------------


@pytest.fixture
def summary(lead: User, case: Case, reviewed: CohortPatient) -> FindingsSummary:
    return findings_publish(actor=lead, case=case, title="Early findings", body="Most care was good.")


def test_the_public_reads_the_published_summaries(client: Client, summary: FindingsSummary) -> None:
    response = client.get(reverse("reviews:summary-list"))
    assert response.status_code == 200 and "Early findings" in response.text


def test_the_public_reads_a_summary(client: Client, summary: FindingsSummary, case: Case) -> None:
    response = client.get(reverse("reviews:summary-detail", args=[summary.pk]))
    assert "Most care was good." in response.text and case.provider.name in response.text


@pytest.mark.parametrize("name", ["reviews:summary-list", "reviews:summary-detail"])
def test_public_summaries_are_cacheable_and_set_no_cookies(client: Client, summary: FindingsSummary, name: str) -> None:
    response = client.get(reverse(name, args=[summary.pk] if name.endswith("detail") else []))
    assert "public" in response["Cache-Control"] and response.has_header("ETag")
    assert not response.cookies and "cookie" not in response.get("Vary", "").lower()


def test_a_summary_not_changed_since_the_last_visit_is_not_sent_again(client: Client, summary: FindingsSummary) -> None:
    url = reverse("reviews:summary-detail", args=[summary.pk])
    tag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=tag).status_code == 304


def test_public_summaries_hold_no_personal_data(
    client: Client, summary: FindingsSummary, patient: CohortPatient, lead: User
) -> None:
    text = client.get(reverse("reviews:summary-detail", args=[summary.pk])).text
    assert shows_no_identifier(text, patient) and lead.full_name not in text and "Rae Reviewer" not in text


def test_an_unknown_summary_is_404(client: Client, db: None) -> None:
    assert client.get(reverse("reviews:summary-detail", args=[99999])).status_code == 404


# --- The case's review page -------------------------------------------------------------------------------------


def test_the_case_page_links_the_review_team_to_the_findings(lead: User, case: Case, reviewed: CohortPatient) -> None:
    html = render_to_string("reviews/staff/_case_findings.html", {"case": case, "user": lead})
    assert findings_url(case) in html and "1 of 1 patient reviewed" in html


def test_the_case_page_links_a_reviewer_only_to_their_reviews(
    reviewer: User, case: Case, assignment: Assignment
) -> None:
    html = render_to_string("reviews/staff/_case_findings.html", {"case": case, "user": reviewer})
    assert my_reviews() in html and findings_url(case) not in html
