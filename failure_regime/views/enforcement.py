"""Staff pages for the enforcement log and the list of what is due."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.access import staff
from accounts.acting import acting_user
from accounts.interface import run_service
from accounts.selectors import provider_list_for_user
from failure_regime import selectors
from failure_regime.filters import EnforcementFilter
from failure_regime.forms import EnforcementForm, OutcomeForm
from failure_regime.links import deadline_subject_url
from failure_regime.models import EnforcementOutcome
from failure_regime.permissions import ENFORCEMENT_ROLES, acting_choices, acting_for, membership_of
from failure_regime.services.enforcement import enforcement_outcome_record, enforcement_record


@staff
def enforcement_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filterset = EnforcementFilter(request.GET or None, queryset=selectors.enforcement_list_for_user(user=user))
    page = Paginator(filterset.qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "failure_regime/staff/enforcement_list.html",
        {
            "filter": filterset,
            "page": page,
            "can_record": bool(acting_choices(user, ENFORCEMENT_ROLES)),
        },
    )


@staff
def enforcement_new(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    case_id = request.GET.get("case") or request.POST.get("case") or ""
    case = selectors.case_get_for_user(user=user, pk=int(case_id)) if case_id.isdigit() else None
    providers = provider_list_for_user(user=user)
    acting = acting_choices(user, ENFORCEMENT_ROLES)
    form = EnforcementForm(
        request.POST or None,
        providers=providers,
        initial={"provider": case.provider_id} if case else None,
        acting=acting,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        action = run_service(
            form,
            lambda: enforcement_record(
                actor=user,
                organisation=acting_for(
                    user, ENFORCEMENT_ROLES, form.chosen_organisation, doing="record enforcement action"
                ),
                provider=data["provider"],
                kind=data["kind"],
                summary=data["summary"],
                served_on=data["served_on"],
                deadline_on=data["deadline_on"],
                case=case,
            ),
        )
        if action is not None:
            messages.success(
                request, "The enforcement action has been recorded. Its deadline is on the list of what is due."
            )
            return redirect("regime:enforcement-detail", action.pk)
    return render(
        request,
        "failure_regime/staff/enforcement_form.html",
        {"form": form, "case": case},
        status=400 if form.errors else 200,
    )


@staff
def enforcement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    action = selectors.enforcement_get_for_user(user=user, pk=pk)
    can_record = (
        action.outcome == EnforcementOutcome.PENDING
        and membership_of(user, action.recorded_by_organisation, ENFORCEMENT_ROLES) is not None
    )
    form = OutcomeForm(request.POST or None) if can_record else None
    if request.method == "POST" and form is not None and form.is_valid():
        done = run_service(
            form,
            lambda: enforcement_outcome_record(
                actor=user, action=action, outcome=form.cleaned_data["outcome"], notes=form.cleaned_data["notes"]
            ),
        )
        if done is not None:
            messages.success(request, "The outcome has been recorded.")
            return redirect("regime:enforcement-detail", action.pk)
    status = 400 if form is not None and form.errors else 200
    return render(
        request, "failure_regime/staff/enforcement_detail.html", {"action": action, "form": form}, status=status
    )


@staff
def deadline_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    page = Paginator(selectors.deadline_list_for_user(user=user), 50).get_page(request.GET.get("page"))
    deadlines = [(deadline, deadline_subject_url(deadline)) for deadline in page.object_list]
    return render(request, "failure_regime/staff/deadline_list.html", {"page": page, "deadlines": deadlines})
