"""The cohort's API: review managers only (anyone else sees nothing, 404 for one object, 401 unauthenticated);
create, waves, uploads with progress and problems, patients with identifiers only one at a time and audited,
assignments, assign and reassign."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent, User
from failure_regime.models import Case
from reviews.models import Assignment, Cohort, CohortImport, CohortPatient, ImportStatus, Wave
from reviews.services.cohort import cohort_assign
from reviews.verbs import ReviewsVerb
from tests.reviews.cohort_fixtures import *  # noqa: F403
from tests.reviews.cohort_fixtures import ImportFile, MakeReviewer, csv_text, row, upload

pytestmark = pytest.mark.django_db

ApiFor = Callable[[User], APIClient]


@pytest.fixture
def imported(import_file: ImportFile, cohort: Cohort) -> Cohort:
    Cohort.objects.filter(pk=cohort.pk).update(second_review_share=Decimal("0"))
    import_file(csv_text(3))
    return cohort


@pytest.fixture
def assigned(imported: Cohort, make_reviewer: MakeReviewer, manager: User) -> Assignment:
    make_reviewer(name="Dr A")
    make_reviewer(name="Dr B")
    cohort_assign(actor=manager, cohort=imported)
    return Assignment.objects.order_by("pk").first()  # type: ignore[return-value]


# --- Cohorts and waves ----------------------------------------------------------------------------


def test_a_manager_starts_a_cohort(case: Case, manager: User, api_client_for: ApiFor) -> None:
    response = api_client_for(manager).post(
        "/api/v1/cohorts/", {"case": case.pk, "title": "Maternity deaths", "second_review_share": "0.3"}, format="json"
    )
    assert response.status_code == 201 and response.json()["second_review_share"] == "0.30"


def test_a_second_cohort_for_the_case_is_a_conflict(
    cohort: Cohort, case: Case, manager: User, api_client_for: ApiFor
) -> None:
    response = api_client_for(manager).post("/api/v1/cohorts/", {"case": case.pk, "title": "Again"}, format="json")
    assert response.status_code == 409


def test_someone_who_does_not_run_the_review_cannot_start_one(
    case: Case, trust_manager: User, api_client_for: ApiFor
) -> None:
    response = api_client_for(trust_manager).post("/api/v1/cohorts/", {"case": case.pk, "title": "X"}, format="json")
    assert response.status_code == 400 and "case" in response.json()["errors"]


def test_a_share_above_one_is_refused(case: Case, manager: User, api_client_for: ApiFor) -> None:
    data = {"case": case.pk, "title": "X", "second_review_share": "1.5"}
    response = api_client_for(manager).post("/api/v1/cohorts/", data, format="json")
    assert response.status_code == 400 and "second_review_share" in response.json()["errors"]


def test_the_cohort_shows_its_waves_and_totals(imported: Cohort, manager: User, api_client_for: ApiFor) -> None:
    body = api_client_for(manager).get(f"/api/v1/cohorts/{imported.pk}/").json()
    assert [w["number"] for w in body["waves"]] == [1]
    assert body["specialties"][0] == {
        "specialty": "Obstetrics",
        "patients": 3,
        "second_reviews": 0,
        "first_assigned": 0,
        "second_assigned": 0,
        "unassigned": 3,
    }


def test_the_cohort_list_filters_by_case(cohort: Cohort, case: Case, manager: User, api_client_for: ApiFor) -> None:
    body = api_client_for(manager).get(f"/api/v1/cohorts/?case={case.pk}").json()
    assert [c["id"] for c in body["results"]] == [cohort.pk]


def test_another_organisation_sees_no_cohorts(
    cohort: Cohort, other_trust_manager: User, api_client_for: ApiFor
) -> None:
    assert api_client_for(other_trust_manager).get("/api/v1/cohorts/").json()["count"] == 0


def test_another_organisation_gets_404_for_a_cohort(
    cohort: Cohort, other_trust_manager: User, api_client_for: ApiFor
) -> None:
    assert api_client_for(other_trust_manager).get(f"/api/v1/cohorts/{cohort.pk}/").status_code == 404


def test_a_reviewer_gets_404_for_a_cohort(cohort: Cohort, reviewer: User, api_client_for: ApiFor) -> None:
    assert api_client_for(reviewer).get(f"/api/v1/cohorts/{cohort.pk}/").status_code == 404


def test_the_anonymous_get_401(cohort: Cohort) -> None:
    assert APIClient().get(f"/api/v1/cohorts/{cohort.pk}/").status_code == 401


def test_a_manager_adds_a_wave(cohort: Cohort, manager: User, api_client_for: ApiFor) -> None:
    data = {"criteria_version": "v1", "inclusion_criteria": "Every maternal death."}
    response = api_client_for(manager).post(f"/api/v1/cohorts/{cohort.pk}/waves/", data, format="json")
    assert response.status_code == 201 and response.json()["number"] == 1


def test_an_outsider_cannot_add_a_wave(cohort: Cohort, other_trust_manager: User, api_client_for: ApiFor) -> None:
    data = {"criteria_version": "v1", "inclusion_criteria": "Every maternal death."}
    response = api_client_for(other_trust_manager).post(f"/api/v1/cohorts/{cohort.pk}/waves/", data, format="json")
    assert response.status_code == 404 and not Wave.objects.exists()


def test_a_filter_with_a_huge_id_is_a_400(manager: User, api_client_for: ApiFor) -> None:
    assert api_client_for(manager).get(f"/api/v1/cohort-patients/?cohort={10**30}").status_code == 400


# --- Imports --------------------------------------------------------------------------------------


def test_an_upload_is_accepted_and_imported(
    wave: Wave, cohort: Cohort, manager: User, api_client_for: ApiFor, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(manager).post(
            "/api/v1/cohort-imports/", {"wave": wave.pk, "file": upload(csv_text(3))}, format="multipart"
        )
    assert response.status_code == 202 and response.json()["import_status"] == ImportStatus.QUEUED
    assert cohort.patients.count() == 3


def test_an_upload_to_another_review_is_refused(wave: Wave, other_trust_manager: User, api_client_for: ApiFor) -> None:
    response = api_client_for(other_trust_manager).post(
        "/api/v1/cohort-imports/", {"wave": wave.pk, "file": upload(csv_text(1))}, format="multipart"
    )
    assert response.status_code == 400 and not CohortImport.objects.exists()


def test_an_upload_that_is_not_csv_is_a_400(wave: Wave, manager: User, api_client_for: ApiFor) -> None:
    response = api_client_for(manager).post(
        "/api/v1/cohort-imports/", {"wave": wave.pk, "file": upload(b"\x89PNG\r\n\x1a\n", "a.csv")}, format="multipart"
    )
    assert response.status_code == 400 and "file" in response.json()["errors"]


def test_an_import_shows_its_progress_and_problems(
    import_file: ImportFile, manager: User, api_client_for: ApiFor
) -> None:
    done = import_file(csv_text(2, extra=[row("9434765918")]))
    body = api_client_for(manager).get(f"/api/v1/cohort-imports/{done.pk}/").json()
    assert (body["import_status"], body["total_rows"], body["percent_done"]) == ("invalid", 3, 100)
    assert body["problems"] == [{"line": 4, "field": "nhs_number", "reason": done.errors[0]["reason"]}]


def test_an_import_of_another_review_is_404(imported: Cohort, reviewer: User, api_client_for: ApiFor) -> None:
    cohort_import = CohortImport.objects.get()
    assert api_client_for(reviewer).get(f"/api/v1/cohort-imports/{cohort_import.pk}/").status_code == 404


# --- Patients -------------------------------------------------------------------------------------


def test_the_patient_list_carries_no_identifiers(imported: Cohort, manager: User, api_client_for: ApiFor) -> None:
    results = api_client_for(manager).get(f"/api/v1/cohort-patients/?cohort={imported.pk}").json()["results"]
    assert len(results) == 3 and "nhs_number" not in results[0] and "date_of_birth" not in results[0]


def test_reading_a_patient_shows_identifiers_and_is_audited(
    imported: Cohort, manager: User, api_client_for: ApiFor
) -> None:
    patient = CohortPatient.objects.order_by("reference").first()
    assert patient is not None
    body = api_client_for(manager).get(f"/api/v1/cohort-patients/{patient.pk}/").json()
    assert body["nhs_number"] == patient.nhs_number
    assert AuditEvent.objects.filter(verb=ReviewsVerb.COHORT_PATIENT_VIEWED, target_id=str(patient.pk)).exists()


def test_a_reviewer_sees_no_patients(imported: Cohort, reviewer: User, api_client_for: ApiFor) -> None:
    assert api_client_for(reviewer).get("/api/v1/cohort-patients/").json()["count"] == 0


def test_a_reviewer_gets_404_for_a_patient(imported: Cohort, reviewer: User, api_client_for: ApiFor) -> None:
    patient = CohortPatient.objects.first()
    assert patient is not None
    assert api_client_for(reviewer).get(f"/api/v1/cohort-patients/{patient.pk}/").status_code == 404


def test_the_patient_list_keeps_a_query_budget(
    import_file: ImportFile, imported: Cohort, manager: User, api_client_for: ApiFor, django_assert_max_num_queries
) -> None:
    import_file(csv_text(40, start=300))
    client = api_client_for(manager)
    with django_assert_max_num_queries(8):
        client.get("/api/v1/cohort-patients/")


# --- Assignments ----------------------------------------------------------------------------------


def test_assign_gives_the_waiting_reviews_out(
    imported: Cohort, make_reviewer: MakeReviewer, manager: User, api_client_for: ApiFor
) -> None:
    make_reviewer(name="Dr A")
    body = api_client_for(manager).post(f"/api/v1/cohorts/{imported.pk}/assign/").json()
    assert (body["assigned"], body["unassigned"], body["by_specialty"][0]["first_assigned"]) == (3, 0, 3)


def test_an_outsider_cannot_assign(imported: Cohort, trust_manager: User, api_client_for: ApiFor) -> None:
    response = api_client_for(trust_manager).post(f"/api/v1/cohorts/{imported.pk}/assign/")
    assert response.status_code == 404 and not Assignment.objects.exists()


def test_the_team_lists_assignments(assigned: Assignment, manager: User, api_client_for: ApiFor) -> None:
    results = api_client_for(manager).get("/api/v1/cohort-assignments/").json()["results"]
    assert len(results) == 3 and results[0]["review_kind"] == "first" and "nhs_number" not in results[0]


def test_a_reviewer_lists_no_cohort_assignments(assigned: Assignment, reviewer: User, api_client_for: ApiFor) -> None:
    assert api_client_for(reviewer).get("/api/v1/cohort-assignments/").json()["count"] == 0


def test_a_manager_reassigns_with_a_reason(assigned: Assignment, manager: User, api_client_for: ApiFor) -> None:
    response = api_client_for(manager).post(
        f"/api/v1/cohort-assignments/{assigned.pk}/reassign/", {"reason": "On leave."}, format="json"
    )
    assert response.status_code == 201 and response.json()["reviewer"]["id"] != assigned.reviewer_id


def test_reassigning_an_ended_assignment_is_a_conflict(
    assigned: Assignment, manager: User, api_client_for: ApiFor
) -> None:
    client = api_client_for(manager)
    client.post(f"/api/v1/cohort-assignments/{assigned.pk}/reassign/", {"reason": "On leave."}, format="json")
    again = client.post(f"/api/v1/cohort-assignments/{assigned.pk}/reassign/", {"reason": "Again."}, format="json")
    assert again.status_code == 409


def test_an_outsider_cannot_reassign(assigned: Assignment, trust_manager: User, api_client_for: ApiFor) -> None:
    response = api_client_for(trust_manager).post(
        f"/api/v1/cohort-assignments/{assigned.pk}/reassign/", {"reason": "Mine now."}, format="json"
    )
    assert response.status_code == 404
