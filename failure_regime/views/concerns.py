"""Staff pages for concerns: list, record, read, and download evidence."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.access import staff
from accounts.acting import acting_user
from accounts.audit import audit_record
from accounts.interface import run_service
from accounts.selectors import provider_list_for_user
from failure_regime import selectors
from failure_regime.filters import ConcernFilter
from failure_regime.forms import ConcernForm, EvidenceForm
from failure_regime.permissions import CONCERN_ROLES, PROPOSER_KINDS, PROPOSER_ROLES, acting_choices, acting_for
from failure_regime.services.concerns import concern_evidence_add, concern_raise
from failure_regime.uploads import download_response
from failure_regime.verbs import RegimeVerb


@staff
def concern_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filterset = ConcernFilter(request.GET or None, queryset=selectors.concern_list_for_user(user=user))
    page = Paginator(filterset.qs, 25).get_page(request.GET.get("page"))
    can_raise = bool(acting_choices(user, CONCERN_ROLES))
    return render(
        request, "failure_regime/staff/concern_list.html", {"filter": filterset, "page": page, "can_raise": can_raise}
    )


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
    context = {
        "concern": concern,
        "evidence": concern.evidence.all(),
        "cases": selectors.case_list_for_user(user=user).filter(concerns=concern),
        "form": form,
        "can_add_evidence": bool(acting),
        "can_propose": bool(acting_choices(user, PROPOSER_ROLES, PROPOSER_KINDS)),
    }
    return render(request, "failure_regime/staff/concern_detail.html", context, status=400 if form.errors else 200)


@staff
def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    user = acting_user(request)
    concern = selectors.concern_get_for_user(user=user, pk=pk)
    evidence = get_object_or_404(concern.evidence, pk=evidence_pk)
    audit_record(
        actor=user, verb=RegimeVerb.CONCERN_EVIDENCE_DOWNLOADED, target=concern, after={"file": evidence.original_name}
    )
    return download_response(evidence, evidence.file)
