"""Staff pages of CQC's inspections and ratings of any provider, a provider's rating history, and CQC's
recommendations of special measures with the oversight body's decision."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import staff
from accounts.acting import acting_user
from accounts.audit import audit_events_for
from accounts.interface import run_service
from accounts.models import User
from accounts.selectors import provider_list_for_user
from failure_regime import selectors, verbs
from failure_regime.filters import InspectionFilter, RecommendationFilter
from failure_regime.forms import (
    InspectionForm,
    PublicationForm,
    RecommendationDecisionForm,
    RecommendationForm,
    RecommendationWithdrawalForm,
)
from failure_regime.models import Inspection, Recommendation, RecommendationStatus
from failure_regime.permissions import (
    INSPECTION_ROLES,
    RECOMMENDATION_ROLES,
    acting_choices,
    acting_for,
    membership_of,
    recommendation_decider_membership,
)
from failure_regime.ratings import recommendation_allowed
from failure_regime.services import inspections as inspection_services
from failure_regime.services import recommendations as recommendation_services


def _may_inspect(user: User) -> bool:
    return bool(acting_choices(user, INSPECTION_ROLES))


def _may_recommend(user: User) -> bool:
    return bool(acting_choices(user, RECOMMENDATION_ROLES))


def _may_withdraw(user: User, recommendation: Recommendation) -> bool:
    """A decision-maker of the regulator that made it (the rule ``recommendation_withdraw`` applies)."""
    return membership_of(user, recommendation.recommended_by_organisation, RECOMMENDATION_ROLES) is not None


def _is_decider(user: User, recommendation: Recommendation) -> bool:
    """An oversight lead of the trust's oversight body (the rule ``recommendation_decide`` applies)."""
    return recommendation_decider_membership(user, recommendation.provider) is not None


# --- Inspections ------------------------------------------------------------------------------------


@staff
def inspection_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filterset = InspectionFilter(
        request.GET or None, queryset=selectors.inspection_list_for_user(user=user).order_by("-carried_out_on", "-pk")
    )
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "failure_regime/staff/inspection_list.html",
        {"filter": filterset, "page": page, "can_record": _may_inspect(user)},
    )


@staff
def inspection_new(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    acting = acting_choices(user, INSPECTION_ROLES)
    if not acting:
        raise PermissionDenied("Only CQC's inspectors and decision-makers record inspections.")
    providers = provider_list_for_user(user=user).order_by("name")
    form = InspectionForm(request.POST or None, providers=providers, acting=acting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        inspection = run_service(
            form,
            lambda: inspection_services.inspection_add(
                actor=user,
                organisation=acting_for(user, INSPECTION_ROLES, form.chosen_organisation, doing="record inspections"),
                provider=data["provider"],
                carried_out_on=data["carried_out_on"],
                ratings=form.ratings(),
                report_reference=data["report_reference"],
                report_url=data["report_url"],
                published_on=data["published_on"],
            ),
        )
        if inspection is not None:
            messages.success(request, "The inspection has been recorded.")
            return redirect("regime:inspection-detail", inspection.pk)
    return render(
        request, "failure_regime/staff/inspection_form.html", {"form": form}, status=400 if form.errors else 200
    )


def _inspection_context(user: User, inspection: Inspection, **given: Any) -> dict[str, Any]:
    acting = acting_choices(user, INSPECTION_ROLES)
    may_publish = bool(acting) and inspection.is_rated and not inspection.is_published
    return {
        "inspection": inspection,
        "publication_form": (given.get("publication_form") or PublicationForm(acting=acting)) if may_publish else None,
        "can_recommend": _may_recommend(user) and recommendation_allowed(inspection),
        "recommendations": inspection.recommendations.order_by("-recommended_at"),
        "history": [(e, verbs.label(e.verb)) for e in audit_events_for(obj=inspection).order_by("sequence")],
    }


@staff
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    inspection = selectors.inspection_get_for_user(user=user, pk=pk)
    return render(request, "failure_regime/staff/inspection_detail.html", _inspection_context(user, inspection))


@staff
@require_POST
def inspection_publish(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    inspection = selectors.inspection_get_for_user(user=user, pk=pk)
    acting = acting_choices(user, INSPECTION_ROLES)
    if not acting:
        raise PermissionDenied("Only CQC's inspectors and decision-makers record publication.")
    form = PublicationForm(request.POST, acting=acting)
    if (
        form.is_valid()
        and run_service(
            form,
            lambda: inspection_services.inspection_publish(
                actor=user,
                organisation=acting_for(user, INSPECTION_ROLES, form.chosen_organisation, doing="record inspections"),
                inspection=inspection,
                report_reference=form.cleaned_data["report_reference"],
                report_url=form.cleaned_data["report_url"],
                published_on=form.cleaned_data["published_on"],
            ),
        )
        is not None
    ):
        messages.success(request, "The publication of the inspection report has been recorded.")
        return redirect("regime:inspection-detail", inspection.pk)
    return render(
        request,
        "failure_regime/staff/inspection_detail.html",
        {**_inspection_context(user, inspection), "publication_form": form},
        status=400,
    )


@staff
def provider_ratings(request: HttpRequest, pk: int) -> HttpResponse:
    """A provider's rating history, newest first."""
    user = acting_user(request)
    provider = get_object_or_404(provider_list_for_user(user=user), pk=pk)
    inspections = selectors.provider_rating_history(user=user, provider=provider)
    return render(
        request,
        "failure_regime/staff/provider_ratings.html",
        {"provider": provider, "inspections": inspections, "can_record": _may_inspect(user)},
    )


# --- Recommendations --------------------------------------------------------------------------------


@staff
def recommendation_list(request: HttpRequest) -> HttpResponse:
    """The oversight lead's queue of recommendations waiting for a decision, and every recommendation the user may
    see, filtered."""
    user = acting_user(request)
    queue = list(selectors.recommendations_awaiting_decision(user=user))
    filterset = RecommendationFilter(
        request.GET or None,
        queryset=selectors.recommendation_list_for_user(user=user).order_by("-recommended_at", "-pk"),
    )
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "failure_regime/staff/recommendation_list.html",
        {"queue": queue, "filter": filterset, "page": page, "can_recommend": _may_recommend(user)},
    )


@staff
def recommendation_new(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    acting = acting_choices(user, RECOMMENDATION_ROLES)
    if not acting:
        raise PermissionDenied("Only CQC's decision-makers recommend special measures.")
    inspections = selectors.inspections_to_recommend_from(user=user).select_related("provider")
    initial = {"inspection": request.GET.get("inspection")} if request.GET.get("inspection", "").isdigit() else None
    form = RecommendationForm(request.POST or None, inspections=inspections, initial=initial, acting=acting)
    if request.method == "POST" and form.is_valid():
        recommendation = run_service(
            form,
            lambda: recommendation_services.recommendation_make(
                actor=user,
                organisation=acting_for(
                    user, RECOMMENDATION_ROLES, form.chosen_organisation, doing="recommend special measures"
                ),
                inspection=form.cleaned_data["inspection"],
                reasons=form.cleaned_data["reasons"],
            ),
        )
        if recommendation is not None:
            messages.success(request, "Your recommendation has been recorded. The trust's oversight body now decides.")
            return redirect("regime:recommendation-detail", recommendation.pk)
    return render(
        request, "failure_regime/staff/recommendation_form.html", {"form": form}, status=400 if form.errors else 200
    )


def _recommendation_context(user: User, recommendation: Recommendation, **given: Any) -> dict[str, Any]:
    may_withdraw = recommendation.is_awaiting and _may_withdraw(user, recommendation)
    return {
        "recommendation": recommendation,
        "overdue": recommendation.is_awaiting and recommendation.decision_due_on < timezone.localdate(),
        "decision_form": (given.get("decision_form") or RecommendationDecisionForm())
        if recommendation.is_awaiting and _is_decider(user, recommendation)
        else None,
        "withdrawal_form": (given.get("withdrawal_form") or RecommendationWithdrawalForm()) if may_withdraw else None,
        "history": [(e, verbs.label(e.verb)) for e in audit_events_for(obj=recommendation).order_by("sequence")],
        "placed": recommendation.status == RecommendationStatus.PLACED,
    }


@staff
def recommendation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    recommendation = selectors.recommendation_get_for_user(user=user, pk=pk)
    return render(
        request,
        "failure_regime/staff/recommendation_detail.html",
        _recommendation_context(user, recommendation),
    )


@staff
@require_POST
def recommendation_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    recommendation = selectors.recommendation_get_for_user(user=user, pk=pk)
    if not _is_decider(user, recommendation):
        raise PermissionDenied("Only the trust's oversight body decides on CQC's recommendation.")
    form = RecommendationDecisionForm(request.POST)
    if (
        form.is_valid()
        and run_service(
            form,
            lambda: recommendation_services.recommendation_decide(
                actor=user,
                recommendation=recommendation,
                place=form.cleaned_data["decision"] == "place",
                reasons=form.cleaned_data["reasons"],
            ),
        )
        is not None
    ):
        messages.success(request, "Your decision has been recorded.")
        return redirect("regime:recommendation-detail", recommendation.pk)
    return render(
        request,
        "failure_regime/staff/recommendation_detail.html",
        {**_recommendation_context(user, recommendation), "decision_form": form},
        status=400,
    )


@staff
@require_POST
def recommendation_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    recommendation = selectors.recommendation_get_for_user(user=user, pk=pk)
    if not _may_withdraw(user, recommendation):
        raise PermissionDenied("Only the decision-makers of the regulator that made it withdraw a recommendation.")
    form = RecommendationWithdrawalForm(request.POST)
    if (
        form.is_valid()
        and run_service(
            form,
            lambda: recommendation_services.recommendation_withdraw(
                actor=user, recommendation=recommendation, reasons=form.cleaned_data["reasons"]
            ),
        )
        is not None
    ):
        messages.success(request, "The recommendation has been withdrawn.")
        return redirect("regime:recommendation-detail", recommendation.pk)
    return render(
        request,
        "failure_regime/staff/recommendation_detail.html",
        {**_recommendation_context(user, recommendation), "withdrawal_form": form},
        status=400,
    )
