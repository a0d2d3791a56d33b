"""Staff pages of a case's review cohort, for its review managers only (anyone else gets 404): the cohort with
its waves, imports and assignment, the upload and its progress, the patients, and reassignment."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import staff
from accounts.acting import acting_user
from accounts.errors import DomainError
from accounts.interface import run_service
from failure_regime.models import Case, CaseStatus
from reviews.forms.cohort import CohortForm, FindPatientForm, ImportForm, PatientFilterForm, ReassignForm, WaveForm
from reviews.models import Cohort, ImportStatus, Specialty
from reviews.selectors import cohort as selectors
from reviews.selectors.team import managed_case_get_for_user
from reviews.services import cohort as services
from reviews.services import cohort_import as imports
from reviews.services.cohort_rows import COLUMN_HELP, COLUMNS

PAGE_SIZE = 50
ERRORS_PAGE_SIZE = 100
REFRESH_SECONDS = 3


def _managed(request: HttpRequest, case_pk: int) -> tuple[Case, Cohort | None]:
    case = managed_case_get_for_user(user=acting_user(request), pk=case_pk)
    return case, selectors.cohort_for_case(case=case)


def _managed_cohort(request: HttpRequest, case_pk: int) -> tuple[Case, Cohort]:
    case, cohort = _managed(request, case_pk)
    if cohort is None:
        raise Http404("This case has no review cohort yet.")
    return case, cohort


def _bad(form: Any) -> int:
    return 400 if form.errors else 200


# --- The cohort ---------------------------------------------------------------------------------


@staff
def cohort(request: HttpRequest, case_pk: int) -> HttpResponse:
    """The cohort of a case: its waves, imports, totals per specialty and the reviewers' loads; or, before there
    is one, the form to start it."""
    case, cohort = _managed(request, case_pk)
    if cohort is None:
        return render(request, "reviews/staff/cohort/cohort_new.html", {"case": case, "form": CohortForm()})
    totals = selectors.specialty_totals(cohort=cohort)
    context = {
        "case": case,
        "cohort": cohort,
        "is_open": case.status != CaseStatus.CLOSED,
        "waves": list(cohort.waves.order_by("number")),
        "imports": list(selectors.cohort_imports(cohort=cohort)[:10]),
        "totals": totals,
        "patients": sum(t.patients for t in totals),
        "waiting": sum(t.unassigned for t in totals),
        "loads": selectors.reviewer_loads(cohort=cohort),
        "weeks": selectors.assignment_weeks(),
    }
    return render(request, "reviews/staff/cohort/cohort.html", context)


@staff
@require_POST
def cohort_create(request: HttpRequest, case_pk: int) -> HttpResponse:
    case, existing = _managed(request, case_pk)
    if existing is not None:
        return redirect("reviews:cohort", case.pk)
    form = CohortForm(request.POST)
    if form.is_valid():
        made = run_service(
            form,
            lambda: services.cohort_create(
                actor=acting_user(request), case=case, title=form.cleaned_data["title"], second_review_share=form.share
            ),
        )
        if made is not None:
            messages.success(request, "The review cohort has been started. Add its first wave.")
            return redirect("reviews:wave-new", case.pk)
    return render(request, "reviews/staff/cohort/cohort_new.html", {"case": case, "form": form}, status=400)


@staff
def wave_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    case, cohort = _managed_cohort(request, case_pk)
    form = WaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wave = run_service(
            form, lambda: services.wave_add(actor=acting_user(request), cohort=cohort, **form.cleaned_data)
        )
        if wave is not None:
            messages.success(request, f"Wave {wave.number} added. Upload its patients.")
            return redirect("reviews:import-new", case.pk)
    return render(request, "reviews/staff/cohort/wave_form.html", {"case": case, "form": form}, status=_bad(form))


@staff
@require_POST
def cohort_assign(request: HttpRequest, case_pk: int) -> HttpResponse:
    """Gives every waiting review to a reviewer, and says how many were given and how many still wait."""
    _, cohort = _managed_cohort(request, case_pk)
    try:
        report = services.cohort_assign(actor=acting_user(request), cohort=cohort)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("reviews:cohort", case_pk)
    text = f"{report.assigned:,} reviews assigned."
    if report.unassigned:
        text += f" {report.unassigned:,} still wait: no eligible reviewer with the specialty has capacity."
    messages.success(request, text)
    return redirect("reviews:cohort", case_pk)


# --- Imports ------------------------------------------------------------------------------------


@staff
def import_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    case, cohort = _managed_cohort(request, case_pk)
    waves = cohort.waves.all()
    if not waves.exists():
        messages.info(request, "Add a wave, with its inclusion criteria, before uploading patients.")
        return redirect("reviews:wave-new", case.pk)
    form = ImportForm(request.POST or None, request.FILES or None, waves=waves)
    if request.method == "POST" and form.is_valid():
        started = run_service(
            form,
            lambda: imports.cohort_import_start(
                actor=acting_user(request),
                wave=form.cleaned_data["wave"],
                upload=form.cleaned_data["file"],
                valid_rows_only=form.cleaned_data["valid_rows_only"],
            ),
        )
        if started is not None:
            messages.success(request, "Your file has been uploaded. It is being checked now.")
            return redirect("reviews:import-detail", started.pk)
    columns = [(name, COLUMN_HELP[name]) for name in COLUMNS]
    specialties = Specialty.objects.order_by("name").values_list("name", flat=True)
    context = {"case": case, "form": form, "columns": columns, "specialties": list(specialties)}
    return render(request, "reviews/staff/cohort/import_form.html", context, status=_bad(form))


@staff
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An import's progress, kept up to date while it runs (by a script, or by reloading when the reader asks for
    it), and its errors a page at a time."""
    cohort_import = selectors.cohort_import_get_for_user(user=acting_user(request), pk=pk)
    running = cohort_import.status in imports.UNFINISHED_IMPORTS
    errors = Paginator(cohort_import.errors, ERRORS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "import": cohort_import,
        "case": cohort_import.wave.cohort.case,
        "running": running,
        # Reloading a page unasked is a barrier (WCAG 2.2.1): without JavaScript the reader chooses it.
        "auto_refresh": request.GET.get("refresh") == "auto",
        "refresh_seconds": REFRESH_SECONDS,
        "page": errors,
        "unlisted_errors": max(0, cohort_import.error_count - len(cohort_import.errors)),
        "invalid": cohort_import.status == ImportStatus.INVALID,
    }
    return render(request, "reviews/staff/cohort/import_detail.html", context)


@staff
def import_template(request: HttpRequest) -> HttpResponse:
    """An empty cohort file with the columns in order and one example row of a fictional patient."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cohort-template.csv"'
    writer = csv.writer(response)
    writer.writerow(COLUMNS)
    writer.writerow(
        ["999 000 0018", "1980-04-01", "2020-01-10", "death", "2020-01-12", "Obstetrics", "Maternal death", "coroner"]
    )
    return response


# --- Patients -----------------------------------------------------------------------------------


def _patient_list(
    request: HttpRequest, case: Case, cohort: Cohort, find_form: FindPatientForm | None = None
) -> HttpResponse:
    form = PatientFilterForm(
        request.GET or None,
        specialties=Specialty.objects.filter(pk__in=cohort.patients.values("specialty")).order_by("name"),
        waves=cohort.waves.order_by("number"),
    )
    patients = cohort.patients.all()
    if form.is_valid():
        if form.cleaned_data["specialty"]:
            patients = patients.filter(specialty=form.cleaned_data["specialty"])
        if form.cleaned_data["wave"]:
            patients = patients.filter(wave=form.cleaned_data["wave"])
        if form.cleaned_data["waiting"]:
            patients = selectors.patients_waiting(patients)
    rows = selectors.patient_rows(patients.order_by("reference"))
    context = {
        "case": case,
        "cohort": cohort,
        "form": form,
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "find_form": find_form or FindPatientForm(),
        "failed_form": find_form,
    }
    return render(request, "reviews/staff/cohort/patient_list.html", context, status=400 if find_form else 200)


@staff
def patient_list(request: HttpRequest, case_pk: int) -> HttpResponse:
    """The cohort's patients by review reference, with who reviews them; identifiers are on each patient's own
    page, where every view is recorded."""
    case, cohort = _managed_cohort(request, case_pk)
    return _patient_list(request, case, cohort)


@staff
@require_POST
def patient_find(request: HttpRequest, case_pk: int) -> HttpResponse:
    """Opens the patient with the NHS number given, which travels in the request body, never in an address."""
    case, cohort = _managed_cohort(request, case_pk)
    form = FindPatientForm(request.POST)
    if form.is_valid():
        patient = selectors.patient_find(cohort=cohort, nhs_number=form.cleaned_data["nhs_number"])
        if patient is not None:
            return redirect("reviews:patient-detail", patient.pk)
        form.add_error("nhs_number", "No patient in this cohort has this NHS number.")
    return _patient_list(request, case, cohort, find_form=form)


@staff
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A patient's identifiable record and review assignments. Each view is recorded in the audit trail."""
    user = acting_user(request)
    patient = selectors.patient_get_for_user(user=user, pk=pk)
    services.cohort_patient_view(actor=user, patient=patient)
    case = patient.cohort.case
    context = {
        "case": case,
        "patient": patient,
        "assignments": list(selectors.patient_assignments(patient=patient)),
        "is_open": case.status != CaseStatus.CLOSED,
    }
    return render(request, "reviews/staff/cohort/patient_detail.html", context)


@staff
def assignment_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    assignment = selectors.assignment_get_for_user(user=user, pk=pk)
    form = ReassignForm(request.POST or None, reviewers=selectors.reassignment_choices(assignment=assignment))
    if request.method == "POST" and form.is_valid():
        new = run_service(
            form,
            lambda: services.assignment_reassign(
                actor=user,
                assignment=assignment,
                reason=form.cleaned_data["reason"],
                reviewer=form.cleaned_data["reviewer"],
            ),
        )
        if new is not None:
            messages.success(
                request, f"The {new.get_kind_display().lower()} of {new.patient} is now with {new.reviewer}."
            )
            return redirect("reviews:patient-detail", assignment.patient.pk)
    context = {"assignment": assignment, "case": assignment.patient.cohort.case, "form": form}
    return render(request, "reviews/staff/cohort/reassign.html", context, status=_bad(form))
