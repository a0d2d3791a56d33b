"""Staff pages of reviews' registry side: the reviews start page, a case's review page, the expert registry, an
expert's own record, candidates for a case, appointments and conflict waivers.

Each page finds its objects through a selector (404 for what the user may not see, or may not act on) and each
form calls one service. Who may do what is decided by the services; the pages only ask them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from accounts.access import staff
from accounts.acting import acting_user
from accounts.interface import run_service
from accounts.models import Organisation, Role, User
from failure_regime.forms import ActingForm
from failure_regime.models import Case
from failure_regime.permissions import acting_choices, acting_for
from failure_regime.selectors import case_list_for_user
from failure_regime.services.cases import overseer_choices
from reviews.forms.registry import (
    AppointmentForm,
    AvailabilityForm,
    CandidateSearchForm,
    ConflictCheckForm,
    EmploymentForm,
    EndAppointmentForm,
    ExpertFilter,
    ExpertForm,
    ExpertUpdateForm,
    InterestForm,
    TrainingForm,
    WaiverForm,
)
from reviews.models import Expert
from reviews.selectors import registry as selectors
from reviews.selectors.recruitment import campaign_list_for_case
from reviews.selectors.registry import REGISTRY_ROLES
from reviews.selectors.requests import chairs_a_review, review_request_queue
from reviews.selectors.team import (
    expert_for_user,
    is_review_manager,
    managed_case_list_for_user,
    review_case_list_for_user,
)
from reviews.services import registry as services

REVIEWER_ROLES = frozenset({Role.REVIEW_CHAIR, Role.EXPERT_REVIEWER})
PAGE_SIZE = 25


def _review_case(user: User, case_pk: int) -> Case:
    """A case whose review the user may look at, or 404."""
    return get_object_or_404(review_case_list_for_user(user=user), pk=case_pk)


def _registry_keeper(user: User) -> None:
    if not selectors.keeps_registry(user=user):
        raise Http404("No such page.")


def _keeping_for(user: User) -> list[Organisation]:
    """The organisations ``user`` keeps the registry for: what a keeper's form asks them to choose among."""
    return acting_choices(user, REGISTRY_ROLES)


def _keeper_organisation(user: User, form: ActingForm) -> Organisation:
    """The organisation a keeper's form was filled in for: the one chosen, or their only one."""
    return acting_for(user, REGISTRY_ROLES, form.chosen_organisation, doing="change the expert registry")


def _render_form(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    form = context.get("form")
    return render(request, template, context, status=400 if form is not None and form.errors else 200)


# --- The start page and a case's review ------------------------------------------------------------------


@staff
def home(request: HttpRequest) -> HttpResponse:
    """Where reviews start: the user's reviews, the registry, their own record and the cases they can see."""
    user = acting_user(request)
    expert = expert_for_user(user=user)
    cases = review_case_list_for_user(user=user).order_by("-proposed_at", "-pk")
    context = {
        "expert": expert,
        "keeps_registry": selectors.keeps_registry(user=user),
        "is_reviewer": expert is not None or user.memberships.filter(role__in=REVIEWER_ROLES).exists(),
        "managed": managed_case_list_for_user(user=user).order_by("-proposed_at", "-pk")[:50],
        "page": Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page")),
        # For a review chair only: how many families' requests wait on them.
        "waiting_review_requests": review_request_queue(user=user).count() if chairs_a_review(user=user) else None,
    }
    return render(request, "reviews/staff/home.html", context)


@staff
def case_review(request: HttpRequest, case_pk: int) -> HttpResponse:
    """A case's review: who is appointed, who is accountable, and each part of the review."""
    user = acting_user(request)
    case = _review_case(user, case_pk)
    keeps_registry = selectors.keeps_registry(user=user)
    manages = is_review_manager(user=user, case=case)
    context = {
        "case": case,
        "appointments": list(selectors.case_appointments(case=case)),
        "leads": selectors.review_leads(case=case),
        "is_review_manager": manages,
        # The recruitment summary is for the review team only (see _case_recruitment.html).
        "recruitment": campaign_list_for_case(case=case) if manages else [],
        "can_see_case": case_list_for_user(user=user).filter(pk=case.pk).exists(),
        "keeps_registry": keeps_registry,
        "can_appoint": keeps_registry and services.may_appoint(user=user, case=case),
        "endable": services.endable_appointment_ids(user=user, case=case),
        # Only the case's chair gets any: the selector returns nothing for anyone else.
        "review_requests": list(review_request_queue(user=user).filter(case=case)),
    }
    return render(request, "reviews/staff/case_review.html", context)


# --- Candidates, appointments and waivers ------------------------------------------------------------------


@staff
def candidates(request: HttpRequest, case_pk: int) -> HttpResponse:
    """Experts who could lead or review the case, best fit first; those with a conflict are listed apart."""
    user = acting_user(request)
    case = _review_case(user, case_pk)
    _registry_keeper(user)
    form = CandidateSearchForm(request.GET or None)
    search = form.cleaned_data if form.is_valid() else {}
    specialty, min_seniority = search.get("specialty"), search.get("min_seniority")
    experts = selectors.lead_candidate_queryset(
        case=case, specialty=specialty, min_seniority=min_seniority, specialty_only=True
    )
    page = Paginator(experts, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    prefetch_related_objects(rows, "specialties")
    appointed = selectors.active_roles_on_case(case=case, experts=rows)
    context = {
        "case": case,
        "form": form,
        "page": page,
        "candidates": [
            {"rank": rank, "expert": expert, "roles": appointed.get(expert.pk, [])}
            for rank, expert in enumerate(rows, start=page.start_index())
        ],
        "conflicted": selectors.conflicted_experts(case=case, specialty=specialty, min_seniority=min_seniority),
        "can_appoint": services.may_appoint(user=user, case=case),
        "can_waive": services.may_waive(user=user, case=case),
        "lookback_years": selectors.conflict_lookback_years(),
    }
    return render(request, "reviews/staff/registry/candidates.html", context)


@staff
def appoint(request: HttpRequest, case_pk: int, expert_pk: int) -> HttpResponse:
    """Records an expert's appointment to the case with the independence declaration they signed."""
    user = acting_user(request)
    case = _review_case(user, case_pk)
    if not services.may_appoint(user=user, case=case):
        raise Http404("No such page.")
    expert = selectors.expert_get_for_user(user=user, pk=expert_pk)
    declaration = services.independence_declaration(expert=expert, case=case)
    form = AppointmentForm(
        request.POST or None, acting=overseer_choices(user, case), initial={"role": request.GET.get("role")}
    )
    if request.method == "POST" and form.is_valid():
        appointment = run_service(
            form,
            lambda: services.appointment_make(
                actor=user,
                case=case,
                expert=expert,
                role=form.cleaned_data["role"],
                declaration=declaration,
                organisation=form.chosen_organisation,
            ),
        )
        if appointment is not None:
            messages.success(request, f"{expert.name} is appointed {appointment.get_role_display().lower()}.")
            return redirect("reviews:case-review", case.pk)
    context = {
        "case": case,
        "expert": expert,
        "declaration": declaration,
        "form": form,
        "conflicts": selectors.unwaived_conflicts_for(expert=expert, case=case),
        "can_waive": services.may_waive(user=user, case=case),
    }
    return _render_form(request, "reviews/staff/registry/appoint.html", context)


@staff
def waive(request: HttpRequest, case_pk: int, expert_pk: int) -> HttpResponse:
    """The oversight lead lets a conflicted expert act on the case, for a written reason."""
    user = acting_user(request)
    case = _review_case(user, case_pk)
    if not services.may_waive(user=user, case=case):
        raise Http404("No such page.")
    expert = selectors.expert_get_for_user(user=user, pk=expert_pk)
    form = WaiverForm(request.POST or None, acting=services.waiver_organisations(user, case))
    if request.method == "POST" and form.is_valid():
        waiver = run_service(
            form,
            lambda: services.conflict_waive(
                actor=user,
                case=case,
                expert=expert,
                rationale=form.cleaned_data["rationale"],
                organisation=form.chosen_organisation,
            ),
        )
        if waiver is not None:
            messages.success(request, f"The conflicts of {expert.name} are waived on {case.reference}.")
            return redirect("reviews:candidates", case.pk)
    context = {
        "case": case,
        "expert": expert,
        "form": form,
        "conflicts": selectors.unwaived_conflicts_for(expert=expert, case=case),
    }
    return _render_form(request, "reviews/staff/registry/waive.html", context)


@staff
def appointment_end(request: HttpRequest, pk: int) -> HttpResponse:
    """Ends an appointment, for a reason, by the organisation that made it or the case's oversight lead."""
    user = acting_user(request)
    appointment = selectors.appointment_get_for_user(user=user, pk=pk)
    if appointment.pk not in services.endable_appointment_ids(user=user, case=appointment.case):
        raise Http404("No such page.")
    form = EndAppointmentForm(request.POST or None, acting=services.ending_organisations(user, appointment))
    if request.method == "POST" and form.is_valid():
        ended = run_service(
            form,
            lambda: services.appointment_end(
                actor=user,
                appointment=appointment,
                reason=form.cleaned_data["reason"],
                organisation=form.chosen_organisation,
            ),
        )
        if ended is not None:
            messages.success(request, f"The appointment of {appointment.expert.name} has ended.")
            return redirect("reviews:case-review", appointment.case_id)
    return _render_form(
        request, "reviews/staff/registry/appointment_end.html", {"appointment": appointment, "form": form}
    )


# --- The registry ---------------------------------------------------------------------------------------------


@staff
def expert_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    _registry_keeper(user)
    filterset = ExpertFilter(request.GET or None, queryset=selectors.expert_list_for_user(user=user))
    page = Paginator(filterset.qs.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/staff/registry/expert_list.html", {"filter": filterset, "page": page})


@staff
def expert_new(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    _registry_keeper(user)
    form = ExpertForm(request.POST or None, acting=_keeping_for(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        expert = run_service(
            form,
            lambda: services.expert_register(
                actor=user,
                acting_for=_keeper_organisation(user, form),
                name=data["name"],
                profession=data["profession"],
                regulator=data["regulator"],
                registration_number=data["registration_number"],
                specialties=form.specialty_names(),
                seniority=data["seniority"],
                capacity_per_week=data["capacity_per_week"],
                available=data["available"],
                user=data["account_email"],
            ),
        )
        if expert is not None:
            messages.success(request, f"{expert.name} is registered.")
            return redirect("reviews:expert-detail", expert.pk)
    return _render_form(request, "reviews/staff/registry/expert_form.html", {"form": form})


@staff
def expert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An expert's record, their appointments on cases the user can see, and their conflicts with a provider."""
    user = acting_user(request)
    expert = selectors.expert_get_for_user(user=user, pk=pk)
    check = ConflictCheckForm(request.GET or None)
    provider = check.cleaned_data["provider"] if check.is_valid() else None
    context = {
        "expert": selectors.expert_detail(expert=expert),
        "appointments": selectors.expert_appointments(expert=expert, user=user),
        "check_form": check,
        "provider": provider,
        "conflicts": selectors.conflicts_for(expert=expert, provider=provider) if provider else [],
    }
    return render(request, "reviews/staff/registry/expert_detail.html", context)


# --- Adding to a record: by the registry's keepers, or by the expert on their own record ---------------------


def _record_form(
    request: HttpRequest,
    expert: Expert,
    form: forms.Form,
    call: Callable[[dict[str, Any]], object],
    *,
    title: str,
    button: str,
    done: str,
    back: str,
    own: bool,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        saved = run_service(form, lambda: call(form.cleaned_data))
        if saved is not None:
            messages.success(request, done)
            return redirect(back)
    context = {"expert": expert, "form": form, "title": title, "button": button, "back": back, "own": own}
    return _render_form(request, "reviews/staff/registry/record_form.html", context)


def _employment(request: HttpRequest, expert: Expert, *, back: str, own: bool) -> HttpResponse:
    user = acting_user(request)
    form = EmploymentForm(request.POST or None, acting=[] if own else _keeping_for(user))
    return _record_form(
        request,
        expert,
        form,
        lambda data: services.employment_add(
            actor=user,
            acting_for=None if own else _keeper_organisation(user, form),
            expert=expert,
            employer_name=data["employer_name"],
            organisation=data["organisation"],
            started_on=data["started_on"],
            ended_on=data["ended_on"],
        ),
        title="Add a post",
        button="Add the post",
        done="The post is added.",
        back=back,
        own=own,
    )


def _interest(request: HttpRequest, expert: Expert, *, back: str, own: bool) -> HttpResponse:
    user = acting_user(request)
    form = InterestForm(request.POST or None, acting=[] if own else _keeping_for(user))
    return _record_form(
        request,
        expert,
        form,
        lambda data: services.interest_declare(
            actor=user,
            acting_for=None if own else _keeper_organisation(user, form),
            expert=expert,
            organisation=data["organisation"],
            kind=data["kind"],
            description=data["description"],
            declared_on=data["declared_on"],
        ),
        title="Declare an interest",
        button="Declare the interest",
        done="The interest is declared.",
        back=back,
        own=own,
    )


def _training(request: HttpRequest, expert: Expert, *, back: str, own: bool) -> HttpResponse:
    user = acting_user(request)
    form = TrainingForm(request.POST or None, acting=[] if own else _keeping_for(user))
    return _record_form(
        request,
        expert,
        form,
        lambda data: services.training_record(
            actor=user,
            acting_for=None if own else _keeper_organisation(user, form),
            expert=expert,
            kind=data["kind"],
            completed_on=data["completed_on"],
        ),
        title="Record training",
        button="Record the training",
        done="The training is recorded.",
        back=back,
        own=own,
    )


def _keeper_expert(request: HttpRequest, pk: int) -> tuple[Expert, str]:
    expert = selectors.expert_get_for_user(user=acting_user(request), pk=pk)
    return expert, reverse("reviews:expert-detail", args=[expert.pk])


@staff
def expert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    expert, back = _keeper_expert(request, pk)
    initial = {
        "profession": expert.profession,
        "specialties": list(expert.specialties.all()),
        "seniority": expert.seniority,
        "capacity_per_week": expert.capacity_per_week,
        "available": expert.available,
    }
    form = ExpertUpdateForm(request.POST or None, initial=initial, acting=_keeping_for(user))
    return _record_form(
        request,
        expert,
        form,
        lambda data: services.expert_update(
            actor=user,
            acting_for=_keeper_organisation(user, form),
            expert=expert,
            profession=data["profession"],
            seniority=data["seniority"],
            specialties=form.specialty_names(),
            capacity_per_week=data["capacity_per_week"],
            available=data["available"],
        ),
        title="Change the record",
        button="Save the changes",
        done="The record is saved.",
        back=back,
        own=False,
    )


@staff
def expert_employment(request: HttpRequest, pk: int) -> HttpResponse:
    expert, back = _keeper_expert(request, pk)
    return _employment(request, expert, back=back, own=False)


@staff
def expert_interest(request: HttpRequest, pk: int) -> HttpResponse:
    expert, back = _keeper_expert(request, pk)
    return _interest(request, expert, back=back, own=False)


@staff
def expert_training(request: HttpRequest, pk: int) -> HttpResponse:
    expert, back = _keeper_expert(request, pk)
    return _training(request, expert, back=back, own=False)


# --- An expert's own record ----------------------------------------------------------------------------------


def _own_expert(request: HttpRequest) -> Expert:
    expert = expert_for_user(user=acting_user(request))
    if expert is None:
        raise Http404("You have no expert record.")
    return expert


@staff
def my_record(request: HttpRequest) -> HttpResponse:
    """The signed-in expert's own record and the appointments, with the declarations, recorded for them."""
    expert = _own_expert(request)
    context = {
        "expert": selectors.expert_detail(expert=expert),
        "appointments": selectors.own_appointments(expert=expert),
    }
    return render(request, "reviews/staff/registry/my_record.html", context)


@staff
def my_record_edit(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    expert = _own_expert(request)
    initial = {"capacity_per_week": expert.capacity_per_week, "available": expert.available}
    return _record_form(
        request,
        expert,
        AvailabilityForm(request.POST or None, initial=initial, acting=[]),
        lambda data: services.expert_update(
            actor=user, expert=expert, capacity_per_week=data["capacity_per_week"], available=data["available"]
        ),
        title="Change your availability",
        button="Save the changes",
        done="Your availability is saved.",
        back=reverse("reviews:my-record"),
        own=True,
    )


@staff
def my_record_employment(request: HttpRequest) -> HttpResponse:
    return _employment(request, _own_expert(request), back=reverse("reviews:my-record"), own=True)


@staff
def my_record_interest(request: HttpRequest) -> HttpResponse:
    return _interest(request, _own_expert(request), back=reverse("reviews:my-record"), own=True)


@staff
def my_record_training(request: HttpRequest) -> HttpResponse:
    return _training(request, _own_expert(request), back=reverse("reviews:my-record"), own=True)
