"""Pages of structured judgement reviews: a reviewer's own cases and the review form; the review team's findings
with the CSV download and the summary they publish; and the public's published summaries.

Reviewers reach only their own active assignments (anything else is 404) and see no identifier of the patient.
Findings are for the case's review managers (404 for anyone else). Public pages touch no session and are cached.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag, require_GET

from accounts.access import public, staff
from accounts.acting import acting_user
from accounts.interface import run_service
from failure_regime.models import Case
from reviews.forms.judgement import JudgementForm, SummaryForm
from reviews.models import FindingsSummary, ProblemType, StructuredJudgement
from reviews.selectors import judgement as selectors
from reviews.selectors.team import managed_case_get_for_user
from reviews.services import judgement as services

SAVE, SUBMIT = "save", "submit"


# --- Reviewers -------------------------------------------------------------------------------------------------


@staff
def my_reviews(request: HttpRequest) -> HttpResponse:
    """The reviewer's assigned cases, pseudonymised, unfinished first."""
    cases = selectors.my_assignments(user=acting_user(request))
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    return render(request, "reviews/staff/judgement/my_reviews.html", {"page": page, "total": len(cases)})


def _initial(judgement: StructuredJudgement | None) -> dict[str, Any]:
    if judgement is None:
        return {}
    return {name: getattr(judgement, name) for name in services.EDITABLE_FIELDS}


@staff
def judgement(request: HttpRequest, assignment_pk: int) -> HttpResponse:
    """The structured judgement review form of one of the reviewer's cases; read-only once submitted."""
    user = acting_user(request)
    mine = selectors.assignment_get_for_reviewer(user=user, pk=assignment_pk)
    form = JudgementForm(request.POST or None, initial=_initial(mine.judgement), is_death=mine.case.is_death)
    if request.method == "POST" and form.is_valid():
        submitting = request.POST.get("action") == SUBMIT
        service = services.judgement_submit if submitting else services.judgement_save
        saved = run_service(form, lambda: service(actor=user, assignment=mine.assignment, changes=form.changes()))
        if saved is not None:
            messages.success(request, "Review submitted. Thank you." if submitting else "Draft saved.")
            return redirect("reviews:judgement", assignment_pk)
    context = {
        "case": mine.case,
        "judgement": mine.judgement,
        "submitted": mine.is_submitted,
        "form": form,
        "rated": _rated(mine.judgement) if mine.is_submitted else [],
        "problem_labels": _problem_labels(mine.judgement),
    }
    return render(request, "reviews/staff/judgement/judgement.html", context, status=400 if form.errors else 200)


def _rated(judgement: StructuredJudgement | None) -> list[tuple[str, str, str]]:
    """(what, rating, notes) of a submitted review, for reading."""
    if judgement is None:
        return []
    rows = []
    for key in selectors.RATED:
        rating = getattr(judgement, f"{key}_rating")
        label = getattr(judgement, f"get_{key}_rating_display")() if rating is not None else "Not applicable"
        rows.append((selectors.RATED_LABELS[key], label, getattr(judgement, f"{key}_narrative")))
    return rows


def _problem_labels(judgement: StructuredJudgement | None) -> list[str]:
    chosen = set(judgement.problem_types) if judgement is not None else set()
    return [str(label) for value, label in ProblemType.choices if value in chosen]


# --- The review team's findings --------------------------------------------------------------------------------


def _findings_context(case: Case, form: SummaryForm) -> dict[str, Any]:
    result = selectors.findings(case=case)
    return {
        "case": case,
        "findings": result,
        "agreements": [
            ("Overall care rating", result.overall_agreement),
            ("Whether the death was avoidable", result.avoidable_agreement),
        ],
        "concerns": selectors.safety_concerns(case=case),
        "summaries": selectors.summaries_for_case(case=case),
        "form": form,
    }


@staff
def findings(request: HttpRequest, case_pk: int) -> HttpResponse:
    """The cohort's findings for the review team, and the form that publishes a summary for the public."""
    user = acting_user(request)
    case = managed_case_get_for_user(user=user, pk=case_pk)
    form = SummaryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        summary = run_service(
            form, lambda: services.findings_publish(actor=user, case=case, title=data["title"], body=data["body"])
        )
        if summary is not None:
            messages.success(request, f"“{summary.title}” is published on the public site.")
            return redirect("reviews:findings", case.pk)
    context = _findings_context(case, form)
    return render(request, "reviews/staff/judgement/findings.html", context, status=400 if form.errors else 200)


@staff
@require_GET
def findings_csv(request: HttpRequest, case_pk: int) -> HttpResponseBase:
    """The findings as CSV, one row per submitted review; reviewers appear only as codes."""
    user = acting_user(request)
    case = managed_case_get_for_user(user=user, pk=case_pk)
    form = SummaryForm()
    lines = run_service(form, lambda: services.findings_export(actor=user, case=case))
    if lines is None:
        context = _findings_context(case, form)
        return render(request, "reviews/staff/judgement/findings.html", context, status=409)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="findings-{case.reference}.csv"'
    response["Cache-Control"] = "no-store"
    return response


# --- The public's published summaries --------------------------------------------------------------------------


def _list_etag(request: HttpRequest) -> str:
    state = FindingsSummary.objects.aggregate(count=Count("pk"), latest=Max("published_at"))
    shown = f"{state['count']}|{state['latest']}|{request.GET.get('page', '')}"
    return hashlib.sha256(shown.encode()).hexdigest()[:32]


@public
@cache_control(public=True, max_age=300)
@etag(_list_etag)
def summary_list(request: HttpRequest) -> HttpResponse:
    """Published findings of case-note reviews, newest first."""
    page = Paginator(selectors.published_summaries(), 20).get_page(request.GET.get("page"))
    return render(request, "reviews/public/judgement/summary_list.html", {"page": page})


def _detail_etag(request: HttpRequest, pk: int) -> str | None:
    row = (
        selectors.published_summaries()
        .filter(pk=pk)
        .values_list("published_at", "cohort__case__provider__name")
        .first()
    )
    if row is None:
        return None
    return hashlib.sha256(f"{pk}|{row[0]}|{row[1]}".encode()).hexdigest()[:32]


@public
@cache_control(public=True, max_age=300)
@etag(_detail_etag)
def summary_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One published summary of a review's findings."""
    summary = get_object_or_404(selectors.published_summaries(), pk=pk)
    return render(request, "reviews/public/judgement/summary_detail.html", {"summary": summary})
