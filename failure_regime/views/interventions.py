"""Staff pages of the interventions register: the register on the episode page, a form to record an intervention,
and each intervention's page with its history and the forms to review it, hand over an improvement director and
end it. Who may do what is decided by the services; these pages only offer what the person may do."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
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
from failure_regime.dates import add_months
from failure_regime.intervention_forms import EndForm, HandOverForm, InterventionForm, ReviewForm
from failure_regime.models import (
    LICENSING_KINDS,
    Episode,
    Intervention,
    InterventionKind,
    InterventionStatus,
)
from failure_regime.permissions import licensing_body_organisation, special_measures_deciders
from failure_regime.services import interventions as services


def recordable_kinds(*, user: User, episode: Episode) -> list[str]:
    """The kinds of intervention ``user`` may record on ``episode`` (the rule is the services'), in register order."""
    decides = bool(special_measures_deciders(user, episode.provider, episode))
    licenses = licensing_body_organisation(user, episode.provider) is not None
    return [k for k in InterventionKind.values if (licenses if k in LICENSING_KINDS else decides)]


def register_context(*, user: User, episode: Episode) -> dict[str, Any]:
    """What the episode page shows of the register: the interventions grouped by kind (current, then ended), the
    current improvement director, and whether the person may record one."""
    interventions = selectors.intervention_register(episode=episode)
    groups: dict[str, list[Intervention]] = {}
    for intervention in interventions:
        groups.setdefault(intervention.get_kind_display(), []).append(intervention)
    return {
        "intervention_groups": list(groups.items()),
        "improvement_director": next(
            (i for i in interventions if i.kind == InterventionKind.IMPROVEMENT_DIRECTOR and i.is_current), None
        ),
        "partners": [i for i in interventions if i.kind == InterventionKind.PARTNER_AGREEMENT and i.is_current],
        "may_add_intervention": episode.is_open and bool(recordable_kinds(user=user, episode=episode)),
    }


def _owners(episode: Episode) -> QuerySet[User]:
    organisations = [o for o in services.owner_candidates(episode=episode) if o is not None]
    return (
        User.objects.filter(memberships__organisation__in=organisations, is_active=True)
        .distinct()
        .order_by("full_name", "email")
    )


def _owner_organisation(form: Any, episode: Episode, owner: User) -> Any:
    organisation = services.intervention_owner_organisation(episode=episode, owner=owner)
    if organisation is None:
        form.add_error("owner", "The owner must work for the provider, its oversight body or the body that decided.")
    return organisation


@staff
def intervention_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    episode = selectors.episode_get_for_user(user=user, pk=pk)
    kinds = recordable_kinds(user=user, episode=episode)
    if not kinds:
        raise PermissionDenied(
            f"Only those who decide {episode.provider}'s special measures, or its oversight body's oversight leads for "
            "licence conditions and undertakings, record its interventions."
        )
    if not episode.is_open:
        raise PermissionDenied("This provider has left special measures: no new interventions are recorded.")
    today = timezone.localdate()
    form = InterventionForm(
        request.POST or None,
        kinds=kinds,
        owners=_owners(episode),
        partners=provider_list_for_user(user=user).exclude(pk=episode.provider_id),
        initial={"starts_on": today, "review_on": add_months(today, 3), "owner": user},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner_organisation = _owner_organisation(form, episode, data["owner"])
        intervention = (
            run_service(
                form,
                lambda: services.intervention_add(
                    actor=user, episode=episode, **data, owner_organisation=owner_organisation
                ),
            )
            if owner_organisation is not None
            else None
        )
        if intervention is not None:
            messages.success(request, f"The {intervention.get_kind_display().lower()} has been recorded.")
            return redirect("regime:episode-detail", episode.pk)
    return render(
        request,
        "failure_regime/staff/intervention_form.html",
        {"episode": episode, "form": form},
        status=400 if form.errors else 200,
    )


def _get(user: User, pk: int, intervention_pk: int) -> tuple[Episode, Intervention]:
    episode = selectors.episode_get_for_user(user=user, pk=pk)
    intervention = get_object_or_404(
        Intervention.objects.select_related("partner", "owner", "owner_organisation", "replaces", "recorded_by"),
        pk=intervention_pk,
        episode=episode,
    )
    return episode, intervention


def _review_statuses(intervention: Intervention) -> list[str]:
    return sorted(
        Intervention.TRANSITIONS[InterventionStatus(intervention.status)], key=InterventionStatus.values.index
    )


def _may_manage(user: User, episode: Episode, intervention: Intervention) -> bool:
    return intervention.kind in recordable_kinds(user=user, episode=episode)


def _page(request: HttpRequest, episode: Episode, intervention: Intervention, **given: Any) -> HttpResponse:
    user = acting_user(request)
    manages = _may_manage(user, episode, intervention)
    current = intervention.is_current
    may_review = manages and current and episode.is_open
    may_hand_over = may_review and intervention.kind == InterventionKind.IMPROVEMENT_DIRECTOR
    context = {
        "episode": episode,
        "intervention": intervention,
        "history": [(e, verbs.label(e.verb)) for e in audit_events_for(obj=intervention).order_by("-sequence")],
        "review_form": (given.get("review_form") or ReviewForm(statuses=_review_statuses(intervention)))
        if may_review
        else None,
        "hand_over_form": (
            given.get("hand_over_form")
            or HandOverForm(owners=_owners(episode), initial={"on": timezone.localdate(), "owner": user})
        )
        if may_hand_over
        else None,
        "end_form": (given.get("end_form") or EndForm(initial={"ended_on": timezone.localdate()}))
        if manages and current
        else None,
        "failed_form": next((f for f in given.values() if f is not None), None),
    }
    return render(
        request, "failure_regime/staff/intervention.html", context, status=400 if context["failed_form"] else 200
    )


@staff
def intervention_detail(request: HttpRequest, pk: int, intervention_pk: int) -> HttpResponse:
    episode, intervention = _get(acting_user(request), pk, intervention_pk)
    return _page(request, episode, intervention)


def _refuse_unless_manager(user: User, episode: Episode, intervention: Intervention) -> None:
    if not _may_manage(user, episode, intervention):
        # The service gives the precise reason.
        services.intervention_recorder(actor=user, episode=episode, kind=intervention.kind)


@staff
@require_POST
def intervention_review(request: HttpRequest, pk: int, intervention_pk: int) -> HttpResponse:
    user = acting_user(request)
    episode, intervention = _get(user, pk, intervention_pk)
    _refuse_unless_manager(user, episode, intervention)
    form = ReviewForm(request.POST, statuses=_review_statuses(intervention))
    if (
        form.is_valid()
        and run_service(
            form,
            lambda: services.intervention_update_status(
                actor=user,
                intervention=intervention,
                status=form.cleaned_data["status"],
                review_on=form.cleaned_data["review_on"],
                note=form.cleaned_data["note"],
            ),
        )
        is not None
    ):
        messages.success(request, "The review has been recorded.")
        return redirect("regime:intervention-detail", episode.pk, intervention.pk)
    return _page(request, episode, intervention, review_form=form)


@staff
@require_POST
def intervention_hand_over(request: HttpRequest, pk: int, intervention_pk: int) -> HttpResponse:
    user = acting_user(request)
    episode, intervention = _get(user, pk, intervention_pk)
    _refuse_unless_manager(user, episode, intervention)
    form = HandOverForm(request.POST, owners=_owners(episode))
    if form.is_valid():
        data = form.cleaned_data
        owner_organisation = _owner_organisation(form, episode, data["owner"])
        successor = (
            run_service(
                form,
                lambda: services.improvement_director_hand_over(
                    actor=user, intervention=intervention, owner_organisation=owner_organisation, **data
                ),
            )
            if owner_organisation is not None
            else None
        )
        if successor is not None:
            messages.success(request, "The new improvement director has been recorded; the previous one is kept.")
            return redirect("regime:intervention-detail", episode.pk, successor.pk)
    return _page(request, episode, intervention, hand_over_form=form)


@staff
@require_POST
def intervention_end(request: HttpRequest, pk: int, intervention_pk: int) -> HttpResponse:
    user = acting_user(request)
    episode, intervention = _get(user, pk, intervention_pk)
    _refuse_unless_manager(user, episode, intervention)
    form = EndForm(request.POST)
    if (
        form.is_valid()
        and run_service(
            form,
            lambda: services.intervention_end(
                actor=user,
                intervention=intervention,
                ended_on=form.cleaned_data["ended_on"],
                reason=form.cleaned_data["reason"],
            ),
        )
        is not None
    ):
        messages.success(request, "The intervention has been ended.")
        return redirect("regime:episode-detail", episode.pk)
    return _page(request, episode, intervention, end_form=form)
