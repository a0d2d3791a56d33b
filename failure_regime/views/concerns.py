"""Staff pages for concerns: list, record, read, assess, decide and close, and download evidence."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import staff
from accounts.acting import acting_user
from accounts.audit import audit_record
from accounts.interface import run_service
from accounts.models import PROVIDER_KINDS, User
from accounts.selectors import provider_list_for_user
from failure_regime import selectors
from failure_regime.concern_forms import ConcernAssessForm, ConcernCloseForm, ConcernOutcomeForm, OwnReportForm
from failure_regime.filters import ConcernFilter
from failure_regime.forms import ActingForm, ConcernForm, EvidenceForm
from failure_regime.models import CONCERN_OPEN_STATUSES, Concern, ConcernStatus
from failure_regime.permissions import (
    CONCERN_ROLES,
    OWN_REPORT_ROLES,
    PROPOSER_KINDS,
    PROPOSER_ROLES,
    acting_choices,
    acting_for,
    own_report_choices,
)
from failure_regime.services import concern_steps as steps
from failure_regime.services.concerns import REPORT_OWN, concern_evidence_add, concern_raise, concern_report_own
from failure_regime.uploads import download_response
from failure_regime.verbs import RegimeVerb


@staff
def concern_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filterset = ConcernFilter(request.GET or None, queryset=selectors.concern_list_for_user(user=user))
    page = Paginator(filterset.qs, 25).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page": page,
        "can_raise": bool(acting_choices(user, CONCERN_ROLES)),
        "can_report_own": bool(own_report_choices(user)),
    }
    return render(request, "failure_regime/staff/concern_list.html", context)


@staff
def concern_new(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    providers = provider_list_for_user(user=user)
    acting = acting_choices(user, CONCERN_ROLES)
    form = ConcernForm(request.POST or None, request.FILES or None, providers=providers, acting=acting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        concern = run_service(
            form,
            lambda: concern_raise(
                actor=user,
                organisation=acting_for(user, CONCERN_ROLES, form.chosen_organisation, doing="record concerns"),
                provider=data["provider"],
                source=data["source"],
                summary=data["summary"],
                severity=data["severity"],
                evidence=data["evidence"],
            ),
        )
        if concern is not None:
            messages.success(request, "The concern has been recorded.")
            return redirect("regime:concern-detail", concern.pk)
    return render(request, "failure_regime/staff/concern_form.html", {"form": form}, status=400 if form.errors else 200)


@staff
def concern_report(request: HttpRequest) -> HttpResponse:
    """A provider's manager or sign-off officer reports a concern about their own organisation."""
    user = acting_user(request)
    acting = own_report_choices(user)
    if not acting:
        raise PermissionDenied("Only a provider's managers and sign-off officers report concerns about it.")
    form = OwnReportForm(request.POST or None, request.FILES or None, acting=acting)
    if request.method == "POST" and form.is_valid():
        data = {field: value for field, value in form.cleaned_data.items() if field != "acting_for"}
        concern = run_service(
            form,
            lambda: concern_report_own(
                actor=user,
                organisation=acting_for(
                    user, OWN_REPORT_ROLES, form.chosen_organisation, doing=REPORT_OWN, kinds=PROVIDER_KINDS
                ),
                **data,
            ),
        )
        if concern is not None:
            messages.success(request, "Your report has been recorded. CQC and your oversight body will assess it.")
            return redirect("regime:concern-detail", concern.pk)
    return render(
        request, "failure_regime/staff/concern_report.html", {"form": form}, status=400 if form.errors else 200
    )


@staff
def concern_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    concern = selectors.concern_get_for_user(user=user, pk=pk)
    acting = acting_choices(user, CONCERN_ROLES)
    form = EvidenceForm(request.POST or None, request.FILES or None, acting=acting)
    if request.method == "POST" and form.is_valid():
        organisation = acting_for(user, CONCERN_ROLES, form.chosen_organisation, doing="add evidence to concerns")
        added = [
            run_service(
                form,
                partial(concern_evidence_add, actor=user, organisation=organisation, concern=concern, upload=upload),
            )
            for upload in form.cleaned_data["evidence"]
        ]
        if all(added):
            messages.success(request, "The evidence has been added.")
            return redirect("regime:concern-detail", concern.pk)
    context = _concern_context(user, concern, evidence_form=form)
    return render(request, "failure_regime/staff/concern_detail.html", context, status=400 if form.errors else 200)


def _concern_context(user: User, concern: Concern, **given: forms.Form) -> dict[str, Any]:
    """The concern's page: its evidence, cases and history, and a form for each step the user may take now (the
    one in ``given`` that failed, with its errors)."""
    acting = acting_choices(user, CONCERN_ROLES)
    step_forms = {}
    for step, (name, form_class) in _STEP_FORMS.items():
        organisations = steps.step_organisations(user, concern, step)
        if organisations:
            step_forms[name] = given.get(name) or form_class(acting=organisations)
    return {
        "concern": concern,
        "failed_form": next((form for form in given.values() if form.errors), None),
        "evidence": concern.evidence.all(),
        "history": concern.steps.select_related("made_by", "made_by_organisation"),
        "cases": selectors.case_list_for_user(user=user).filter(concerns=concern),
        "form": given.get("evidence_form") or EvidenceForm(acting=acting),
        "can_add_evidence": bool(acting),
        "can_propose": concern.status in CONCERN_OPEN_STATUSES
        and bool(acting_choices(user, PROPOSER_ROLES, PROPOSER_KINDS)),
        **step_forms,
    }


_STEP_FORMS: dict[str, tuple[str, type[ActingForm]]] = {
    ConcernStatus.ASSESSED: ("assess_form", ConcernAssessForm),
    ConcernStatus.OUTCOME: ("outcome_form", ConcernOutcomeForm),
    ConcernStatus.CLOSED: ("close_form", ConcernCloseForm),
}


def _step(request: HttpRequest, pk: int, step: str, take: Callable[..., object], done: str) -> HttpResponse:
    """Takes one step of the concern's handling from its page, for the organisation chosen on the form."""
    user = acting_user(request)
    concern = selectors.concern_get_for_user(user=user, pk=pk)
    name, form_class = _STEP_FORMS[step]
    form = form_class(request.POST, acting=steps.step_organisations(user, concern, step))
    if form.is_valid():
        data = {field: value for field, value in form.cleaned_data.items() if field != "acting_for"}
        chosen = form.chosen_organisation
        if run_service(form, lambda: take(actor=user, concern=concern, organisation=chosen, **data)) is not None:
            messages.success(request, done)
            return redirect("regime:concern-detail", concern.pk)
    context = _concern_context(user, selectors.concern_get_for_user(user=user, pk=pk), **{name: form})
    return render(request, "failure_regime/staff/concern_detail.html", context, status=400)


@staff
@require_POST
def concern_assess(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, ConcernStatus.ASSESSED, steps.concern_assess, "The assessment has been recorded.")


@staff
@require_POST
def concern_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, ConcernStatus.OUTCOME, steps.concern_outcome_decide, "The outcome has been recorded.")


@staff
@require_POST
def concern_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, ConcernStatus.CLOSED, steps.concern_close, "The concern has been closed.")


@staff
def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    user = acting_user(request)
    concern = selectors.concern_get_for_user(user=user, pk=pk)
    evidence = get_object_or_404(concern.evidence, pk=evidence_pk)
    audit_record(
        actor=user, verb=RegimeVerb.CONCERN_EVIDENCE_DOWNLOADED, target=concern, after={"file": evidence.original_name}
    )
    return download_response(evidence, evidence.file)
