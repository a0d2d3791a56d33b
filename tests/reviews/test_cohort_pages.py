"""The cohort's staff pages: review managers only (anyone else gets 404), anonymous visitors sent to sign in,
the upload and its progress, patients' identifiers shown and audited on their own page only, reassignment, and
query budgets on the busy pages."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, User
from failure_regime.models import Case
from reviews.models import Assignment, Cohort, CohortImport, CohortPatient, ImportStatus
from reviews.services.cohort import cohort_assign
from reviews.verbs import ReviewsVerb
from tests.reviews.cohort_fixtures import *  # noqa: F403
from tests.reviews.cohort_fixtures import ImportFile, MakeReviewer, csv_text, row, upload

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


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
    return Assignment.objects.select_related("patient").order_by("pk").first()  # type: ignore[return-value]


def case_pages(case: Case) -> list[str]:
    return [
        reverse("reviews:cohort", args=[case.pk]),
        reverse("reviews:wave-new", args=[case.pk]),
        reverse("reviews:import-new", args=[case.pk]),
        reverse("reviews:patient-list", args=[case.pk]),
    ]


# --- Who may see what ----------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(4))
def test_a_review_manager_sees_the_cohort_pages(
    index: int, wave: object, case: Case, manager: User, client_for: ClientFor
) -> None:
    assert client_for(manager).get(case_pages(case)[index]).status_code == 200


@pytest.mark.parametrize("index", range(4))
def test_someone_in_another_organisation_gets_404(
    index: int, wave: object, case: Case, other_trust_manager: User, client_for: ClientFor
) -> None:
    assert client_for(other_trust_manager).get(case_pages(case)[index]).status_code == 404


@pytest.mark.parametrize("index", range(4))
def test_a_party_who_does_not_run_the_review_gets_404(
    index: int, wave: object, case: Case, trust_manager: User, client_for: ClientFor
) -> None:
    assert client_for(trust_manager).get(case_pages(case)[index]).status_code == 404


def test_a_reviewer_gets_404_for_the_patient_list(
    imported: Cohort, case: Case, reviewer: User, client_for: ClientFor
) -> None:
    assert client_for(reviewer).get(reverse("reviews:patient-list", args=[case.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(wave: object, case: Case, client: Client) -> None:
    response = client.get(reverse("reviews:cohort", args=[case.pk]))
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_a_patient_of_another_review_is_404(imported: Cohort, trust_manager: User, client_for: ClientFor) -> None:
    patient = CohortPatient.objects.first()
    assert patient is not None
    response = client_for(trust_manager).get(reverse("reviews:patient-detail", args=[patient.pk]))
    assert response.status_code == 404


def test_an_import_of_another_review_is_404(imported: Cohort, reviewer: User, client_for: ClientFor) -> None:
    cohort_import = CohortImport.objects.get()
    assert client_for(reviewer).get(reverse("reviews:import-detail", args=[cohort_import.pk])).status_code == 404


def test_reassigning_another_reviews_assignment_is_404(
    assigned: Assignment, trust_manager: User, client_for: ClientFor
) -> None:
    url = reverse("reviews:assignment-reassign", args=[assigned.pk])
    assert client_for(trust_manager).get(url).status_code == 404


def test_assigning_in_another_review_is_404(
    imported: Cohort, case: Case, trust_manager: User, client_for: ClientFor
) -> None:
    response = client_for(trust_manager).post(reverse("reviews:cohort-assign", args=[case.pk]))
    assert response.status_code == 404 and not Assignment.objects.exists()


# --- Starting the cohort, waves and uploads ----------------------------------------------------


def test_before_there_is_a_cohort_the_page_offers_to_start_one(
    case: Case, manager: User, client_for: ClientFor
) -> None:
    response = client_for(manager).get(reverse("reviews:cohort", args=[case.pk]))
    assert b"Start the cohort" in response.content


def test_a_manager_starts_the_cohort(case: Case, manager: User, obstetrics: object, client_for: ClientFor) -> None:
    data = {"title": "Maternity deaths", "second_review_percent": "25"}
    response = client_for(manager).post(reverse("reviews:cohort-create", args=[case.pk]), data)
    assert response.status_code == 302 and Cohort.objects.get().second_review_share == Decimal("0.25")


def test_a_manager_adds_a_wave(cohort: Cohort, case: Case, manager: User, client_for: ClientFor) -> None:
    data = {"criteria_version": "v1", "inclusion_criteria": "Every maternal death since 2019."}
    client_for(manager).post(reverse("reviews:wave-new", args=[case.pk]), data)
    assert cohort.waves.get().criteria_version == "v1"


def test_a_wave_without_criteria_is_refused(cohort: Cohort, case: Case, manager: User, client_for: ClientFor) -> None:
    response = client_for(manager).post(reverse("reviews:wave-new", args=[case.pk]), {"criteria_version": "v1"})
    assert response.status_code == 400 and not cohort.waves.exists()


def test_the_upload_page_documents_the_columns(wave: object, case: Case, manager: User, client_for: ClientFor) -> None:
    response = client_for(manager).get(reverse("reviews:import-new", args=[case.pk]))
    assert b"identification_source" in response.content and b"Download the template" in response.content


def test_the_template_lists_the_columns(manager: User, client_for: ClientFor) -> None:
    response = client_for(manager).get(reverse("reviews:import-template"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().startswith("nhs_number,date_of_birth,admission_date")


def test_an_upload_is_imported_and_shows_its_result(
    wave: object, case: Case, cohort: Cohort, manager: User, client_for: ClientFor, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(
            reverse("reviews:import-new", args=[case.pk]),
            {"wave": wave.pk, "file": upload(csv_text(3))},  # type: ignore[attr-defined]
        )
    page = client_for(manager).get(response["Location"])
    assert cohort.patients.count() == 3 and b"3 of 3 patients imported" in page.content


def test_an_upload_that_is_not_csv_is_refused_on_the_form(
    wave: object, case: Case, manager: User, client_for: ClientFor
) -> None:
    response = client_for(manager).post(
        reverse("reviews:import-new", args=[case.pk]),
        {"wave": wave.pk, "file": upload(b"%PDF-1.7", name="notes.pdf")},  # type: ignore[attr-defined]
    )
    assert response.status_code == 400 and b"must be a CSV file" in response.content


@pytest.fixture
def running(wave: object, manager: User) -> CohortImport:
    from reviews.services.cohort_import import cohort_import_start

    started = cohort_import_start(actor=manager, wave=wave, upload=upload(csv_text(4)))  # type: ignore[arg-type]
    CohortImport.objects.filter(pk=started.pk).update(status=ImportStatus.CHECKING, total_rows=4, processed_rows=1)
    return started


def test_a_running_import_shows_its_progress(running: CohortImport, manager: User, client_for: ClientFor) -> None:
    content = client_for(manager).get(reverse("reviews:import-detail", args=[running.pk])).content.decode()
    assert 'value="25"' in content and "25% checked: 1 of 4 rows" in content


def test_a_running_import_updates_itself_only_by_script_unless_asked(
    running: CohortImport, manager: User, client_for: ClientFor
) -> None:
    content = client_for(manager).get(reverse("reviews:import-detail", args=[running.pk])).content.decode()
    assert "cohort-progress.mjs" in content and "http-equiv" not in content


def test_without_a_script_the_reader_may_ask_for_refreshes(
    running: CohortImport, manager: User, client_for: ClientFor
) -> None:
    url = reverse("reviews:import-detail", args=[running.pk])
    content = client_for(manager).get(url, {"refresh": "auto"}).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in content and "Stop refreshing it" in content


def test_a_finished_import_does_not_refresh(imported: Cohort, manager: User, client_for: ClientFor) -> None:
    cohort_import = CohortImport.objects.get()
    response = client_for(manager).get(reverse("reviews:import-detail", args=[cohort_import.pk]), {"refresh": "auto"})
    assert b"http-equiv" not in response.content and b"cohort-progress.mjs" not in response.content


def test_an_invalid_import_lists_each_problem_with_its_line(
    import_file: ImportFile, manager: User, client_for: ClientFor
) -> None:
    done = import_file(csv_text(2, extra=[row("9434765918")]))
    content = client_for(manager).get(reverse("reviews:import-detail", args=[done.pk])).content.decode()
    assert "Nothing was imported" in content and "check digit is wrong" in content and ">4</td>" in content


# --- Patients -------------------------------------------------------------------------------------


def test_the_patient_list_shows_no_nhs_numbers(
    imported: Cohort, case: Case, manager: User, client_for: ClientFor
) -> None:
    content = client_for(manager).get(reverse("reviews:patient-list", args=[case.pk])).content.decode()
    assert f"R{imported.pk}-000001" in content and "999" not in content.replace(f"R{imported.pk}", "")


def test_the_patient_list_keeps_a_query_budget(
    import_file: ImportFile,
    imported: Cohort,
    case: Case,
    manager: User,
    make_reviewer: MakeReviewer,
    client_for: ClientFor,
    django_assert_max_num_queries,
) -> None:
    make_reviewer(name="Dr A")
    import_file(csv_text(30, start=500))
    cohort_assign(actor=manager, cohort=imported)
    client = client_for(manager)
    with django_assert_max_num_queries(12):
        client.get(reverse("reviews:patient-list", args=[case.pk]))


def test_the_cohort_page_keeps_a_query_budget(
    import_file: ImportFile,
    imported: Cohort,
    case: Case,
    manager: User,
    make_reviewer: MakeReviewer,
    client_for: ClientFor,
    django_assert_max_num_queries,
) -> None:
    for name in ("Dr A", "Dr B", "Dr C"):
        make_reviewer(name=name)
    import_file(csv_text(30, start=500))
    cohort_assign(actor=manager, cohort=imported)
    client = client_for(manager)
    with django_assert_max_num_queries(18):
        client.get(reverse("reviews:cohort", args=[case.pk]))


def test_the_patient_page_shows_the_nhs_number_and_records_the_view(
    imported: Cohort, manager: User, client_for: ClientFor
) -> None:
    patient = CohortPatient.objects.order_by("reference").first()
    assert patient is not None
    content = client_for(manager).get(reverse("reviews:patient-detail", args=[patient.pk])).content.decode()
    assert f"{patient.nhs_number[:3]} {patient.nhs_number[3:6]} {patient.nhs_number[6:]}" in content
    assert AuditEvent.objects.filter(verb=ReviewsVerb.COHORT_PATIENT_VIEWED, target_id=str(patient.pk)).count() == 1


def test_a_patient_is_found_by_nhs_number_sent_in_the_body(
    imported: Cohort, case: Case, manager: User, client_for: ClientFor
) -> None:
    patient = CohortPatient.objects.order_by("reference").last()
    assert patient is not None
    number = f"{patient.nhs_number[:3]} {patient.nhs_number[3:6]} {patient.nhs_number[6:]}"
    response = client_for(manager).post(reverse("reviews:patient-find", args=[case.pk]), {"nhs_number": number})
    assert response["Location"] == reverse("reviews:patient-detail", args=[patient.pk])


def test_an_unknown_nhs_number_is_a_form_error(
    imported: Cohort, case: Case, manager: User, client_for: ClientFor
) -> None:
    response = client_for(manager).post(reverse("reviews:patient-find", args=[case.pk]), {"nhs_number": "9434765919"})
    assert response.status_code == 400 and b"No patient in this cohort" in response.content


# --- Assignment and reassignment ------------------------------------------------------------------


def test_assign_now_gives_the_waiting_reviews_out(
    imported: Cohort, case: Case, manager: User, make_reviewer: MakeReviewer, client_for: ClientFor
) -> None:
    make_reviewer(name="Dr A")
    client = client_for(manager)
    response = client.post(reverse("reviews:cohort-assign", args=[case.pk]), follow=True)
    assert Assignment.objects.count() == 3 and b"3 reviews assigned." in response.content


def test_a_manager_reassigns_with_a_reason(assigned: Assignment, manager: User, client_for: ClientFor) -> None:
    url = reverse("reviews:assignment-reassign", args=[assigned.pk])
    client_for(manager).post(url, {"reason": "On leave until June.", "reviewer": ""})
    assigned.refresh_from_db()
    assert (
        assigned.end_reason == "On leave until June."
        and AuditEvent.objects.filter(verb=ReviewsVerb.ASSIGNMENT_REASSIGNED).exists()
    )


def test_reassignment_without_a_reason_is_refused(assigned: Assignment, manager: User, client_for: ClientFor) -> None:
    response = client_for(manager).post(reverse("reviews:assignment-reassign", args=[assigned.pk]), {"reason": ""})
    assert response.status_code == 400 and Assignment.objects.filter(ended_at__isnull=True).count() == 3


# --- The case's review page ----------------------------------------------------------------------


def test_the_case_review_page_summarises_the_cohort_for_managers(
    imported: Cohort, case: Case, manager: User, client_for: ClientFor
) -> None:
    content = client_for(manager).get(reverse("reviews:case-review", args=[case.pk])).content.decode()
    assert "3 patients in 1 wave" in content and reverse("reviews:cohort", args=[case.pk]) in content
