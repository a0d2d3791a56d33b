"""Staff pages for communications plans: the cases a user communicates on, and each case's plan with its audiences
and scheduled items. Anyone who may see the case may read its plan; its communications staff change it, and an
item's owner may mark it done."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import staff
from accounts.acting import acting_user
from accounts.interface import run_service
from accounts.models import Organisation, User
from communications.forms.plans import PlanForm, PlanItemForm
from communications.models import CommunicationsPlan, PlanItem
from communications.selectors import notices as notice_selectors
from communications.selectors import plans as selectors
from communications.services import plans as services
from failure_regime import selectors as regime
from failure_regime.forms import ActingForm
from failure_regime.models import Case, CaseStatus


@staff
def case_list(request: HttpRequest) -> HttpResponse:
    """The cases whose communications the user works on, with links to each plan and to drafting a notice."""
    cases = selectors.communications_cases_for_user(user=acting_user(request)).select_related("communications_plan")
    return render(request, "communications/staff/plans/case_list.html", {"cases": cases[:200]})


def _item_form(plan: CommunicationsPlan, user: User, acting: list[Organisation], data: Any = None) -> PlanItemForm:
    return PlanItemForm(
        data,
        plan=plan,
        acting=acting,
        owners=selectors.plan_item_owner_candidates(case=plan.case),
        notices=notice_selectors.notice_list_for_user(user=user).filter(case=plan.case),
        prefix="item",
    )


def _plan_context(request: HttpRequest, case: Case, **given: forms.Form) -> dict[str, Any]:
    user = acting_user(request)
    plan = selectors.plan_for_case(case=case)
    acting = selectors.communications_organisations(user=user, case=case)
    may_edit = bool(acting)
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
        "plan_form": (given.get("plan_form") or PlanForm(plan=plan, acting=acting)) if may_edit and open_case else None,
        "item_form": (given.get("item_form") or _item_form(plan, user, acting))
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
    form = PlanForm(request.POST, plan=existing, acting=selectors.communications_organisations(user=user, case=case))
    if form.is_valid():
        data = form.cleaned_data
        fields = {
            "objectives": data["objectives"],
            "key_messages": data["key_messages"],
            "audiences": form.audiences_with_needs(),
        }

        def save() -> CommunicationsPlan:
            if existing is None:
                return services.plan_create(actor=user, organisation=form.chosen_organisation, case=case, **fields)
            return services.plan_update(actor=user, organisation=form.chosen_organisation, plan=existing, **fields)

        if run_service(form, save) is not None:
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
    form = _item_form(plan, user, selectors.communications_organisations(user=user, case=case), request.POST)
    if form.is_valid():
        data = {key: value for key, value in form.cleaned_data.items() if key != "acting_for"}

        item = run_service(
            form, lambda: services.plan_item_add(actor=user, organisation=form.chosen_organisation, plan=plan, **data)
        )
        if item is not None:
            messages.success(request, "The item has been added to the plan.")
            return redirect("communications:plan", case.pk)
    return render(
        request, "communications/staff/plans/plan.html", _plan_context(request, case, item_form=form), status=400
    )


def _item_action(
    request: HttpRequest,
    case_pk: int,
    item_pk: int,
    *,
    action: Callable[[User, Organisation | None, PlanItem], object],
    owner_may: bool,
    question: str,
    done: str,
) -> HttpResponse:
    """Marks an item done or removes it, for the organisation the person acts for. A person who works on the case's
    communications for several organisations is asked which first, on a page of its own (the buttons on the plan
    carry no choice); an item's owner marking it done as its owner is asked nothing."""
    user = acting_user(request)
    case = regime.case_get_for_user(user=user, pk=case_pk)
    item = selectors.plan_item_get_for_user(user=user, case=case, pk=item_pk)
    acting = selectors.communications_organisations(user=user, case=case)
    as_owner = owner_may and item.owner_id == user.pk
    asking = len(acting) > 1 and not as_owner
    form = ActingForm(request.POST if "acting_for" in request.POST or not asking else None, acting=acting)
    if asking and not form.is_bound:
        context = {"case": case, "item": item, "form": form, "question": question}
        return render(request, "communications/staff/plans/plan_item_acting.html", context)
    if form.is_valid():

        def act() -> object:
            organisation = None
            if acting and not (as_owner and len(acting) > 1):
                organisation = selectors.communications_acting_for(
                    user=user,
                    case=case,
                    chosen=form.chosen_organisation,
                    doing="change this case's communications plan",
                )
            return action(user, organisation, item) or True

        if run_service(form, act) is not None:
            messages.success(request, done)
            return redirect("communications:plan", case.pk)
    if asking:
        context = {"case": case, "item": item, "form": form, "question": question}
        return render(request, "communications/staff/plans/plan_item_acting.html", context, status=400)
    return render(
        request, "communications/staff/plans/plan.html", _plan_context(request, case, action_form=form), status=400
    )


@staff
@require_POST
def plan_item_done(request: HttpRequest, case_pk: int, item_pk: int) -> HttpResponse:
    return _item_action(
        request,
        case_pk,
        item_pk,
        action=lambda user, organisation, item: services.plan_item_done(
            actor=user, organisation=organisation, item=item
        ),
        owner_may=True,
        question="Mark the item done",
        done="The item is marked as done.",
    )


@staff
@require_POST
def plan_item_remove(request: HttpRequest, case_pk: int, item_pk: int) -> HttpResponse:
    def remove(user: User, organisation: Organisation | None, item: PlanItem) -> None:
        if organisation is None:
            raise PermissionDenied("Your role does not allow you to change this case's communications plan.")
        services.plan_item_remove(actor=user, organisation=organisation, item=item)

    return _item_action(
        request,
        case_pk,
        item_pk,
        action=remove,
        owner_may=False,
        question="Remove the item from the plan",
        done="The item has been removed from the plan.",
    )
