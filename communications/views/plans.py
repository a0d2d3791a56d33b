"""Staff pages for communications plans: the cases a user communicates on, and each case's plan with its audiences
and scheduled items. Anyone who may see the case may read its plan; its communications staff change it, and an
item's owner may mark it done."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import staff
from accounts.acting import acting_user
from accounts.interface import run_service
from accounts.models import User
from communications.forms.plans import PlanForm, PlanItemForm
from communications.models import CommunicationsPlan
from communications.selectors import notices as notice_selectors
from communications.selectors import plans as selectors
from communications.services import plans as services
from failure_regime import selectors as regime
from failure_regime.models import Case, CaseStatus


@staff
def case_list(request: HttpRequest) -> HttpResponse:
    """The cases whose communications the user works on, with links to each plan and to drafting a notice."""
    cases = selectors.communications_cases_for_user(user=acting_user(request)).select_related("communications_plan")
    return render(request, "communications/staff/plans/case_list.html", {"cases": cases[:200]})


def _item_form(plan: CommunicationsPlan, user: User, data: Any = None) -> PlanItemForm:
    return PlanItemForm(
        data,
        plan=plan,
        owners=selectors.plan_item_owner_candidates(case=plan.case),
        notices=notice_selectors.notice_list_for_user(user=user).filter(case=plan.case),
        prefix="item",
    )


def _plan_context(request: HttpRequest, case: Case, **given: forms.Form) -> dict[str, Any]:
    user = acting_user(request)
    plan = selectors.plan_for_case(case=case)
    may_edit = selectors.communications_organisation_for(user=user, case=case) is not None
    open_case = case.status != CaseStatus.CLOSED
    items = list(plan.items.all()) if plan is not None else []
    return {
        "case": case,
        "plan": plan,
        "items": [
            {"item": item, "may_finish": item.done_at is None and (may_edit or item.owner_id == user.pk)}
            for item in items
        ],
        "may_edit": may_edit and open_case,
        "failed_form": next((f for f in given.values() if f is not None), None),
        "plan_form": (given.get("plan_form") or PlanForm(plan=plan)) if may_edit and open_case else None,
        "item_form": (given.get("item_form") or _item_form(plan, user))
        if plan is not None and may_edit and open_case
        else None,
    }


@staff
def plan(request: HttpRequest, case_pk: int) -> HttpResponse:
    """The case's plan. Posting the plan form writes the plan, or changes it."""
    user = acting_user(request)
    case = regime.case_get_for_user(user=user, pk=case_pk)
    if request.method != "POST":
        return render(request, "communications/staff/plans/plan.html", _plan_context(request, case))
    existing = selectors.plan_for_case(case=case)
    form = PlanForm(request.POST, plan=existing)
    if form.is_valid():
        data = form.cleaned_data
        fields = {
            "objectives": data["objectives"],
            "key_messages": data["key_messages"],
            "audiences": form.audiences_with_needs(),
        }
        if existing is None:
            saved = run_service(form, lambda: services.plan_create(actor=user, case=case, **fields))
        else:
            saved = run_service(form, lambda: services.plan_update(actor=user, plan=existing, **fields))
        if saved is not None:
            messages.success(request, "The communications plan has been saved.")
            return redirect("communications:plan", case.pk)
    context = _plan_context(request, case, plan_form=form)
    return render(request, "communications/staff/plans/plan.html", context, status=400)


@staff
@require_POST
def plan_item_add(request: HttpRequest, case_pk: int) -> HttpResponse:
    user = acting_user(request)
    case = regime.case_get_for_user(user=user, pk=case_pk)
    plan = selectors.plan_for_case(case=case)
    if plan is None:
        return redirect("communications:plan", case.pk)
    form = _item_form(plan, user, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        item = run_service(form, lambda: services.plan_item_add(actor=user, plan=plan, **data))
        if item is not None:
            messages.success(request, "The item has been added to the plan.")
            return redirect("communications:plan", case.pk)
    return render(
        request, "communications/staff/plans/plan.html", _plan_context(request, case, item_form=form), status=400
    )


@staff
@require_POST
def plan_item_done(request: HttpRequest, case_pk: int, item_pk: int) -> HttpResponse:
    user = acting_user(request)
    case = regime.case_get_for_user(user=user, pk=case_pk)
    item = selectors.plan_item_get_for_user(user=user, case=case, pk=item_pk)
    form = forms.Form(request.POST)
    if run_service(form, lambda: services.plan_item_done(actor=user, item=item)) is not None:
        messages.success(request, "The item is marked as done.")
        return redirect("communications:plan", case.pk)
    return render(
        request, "communications/staff/plans/plan.html", _plan_context(request, case, done_form=form), status=400
    )


@staff
@require_POST
def plan_item_remove(request: HttpRequest, case_pk: int, item_pk: int) -> HttpResponse:
    user = acting_user(request)
    case = regime.case_get_for_user(user=user, pk=case_pk)
    item = selectors.plan_item_get_for_user(user=user, case=case, pk=item_pk)
    form = forms.Form(request.POST)
    removed = run_service(form, lambda: services.plan_item_remove(actor=user, item=item) or True)
    if removed:
        messages.success(request, "The item has been removed from the plan.")
        return redirect("communications:plan", case.pk)
    return render(
        request, "communications/staff/plans/plan.html", _plan_context(request, case, remove_form=form), status=400
    )
