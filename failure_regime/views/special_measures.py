"""Staff pages for special measures: the national dashboard, an episode with its plan, reports,
inspections and deadlines, the trust manager's monthly report form, and the oversight lead's review."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import staff
from accounts.acting import acting_user
from accounts.audit import audit_events_for
from accounts.interface import run_service
from accounts.models import OrganisationKind, Role, User
from accounts.selectors import organisation_list_for_user, provider_list_for_user
from failure_regime import selectors, verbs
from failure_regime.dates import month_start
from failure_regime.episode_words import episode_reinspection_overdue, episode_story
from failure_regime.filters import EpisodeFilter
from failure_regime.forms import (
    ActionForm,
    EpisodeForm,
    OutcomeChoice,
    RatingsForm,
    ReportForm,
    ReturnForm,
    ScheduleForm,
)
from failure_regime.models import Episode, EpisodeStatus, Inspection, MonthlyReport, ReportStatus
from failure_regime.permissions import (
    INSPECTION_ROLES,
    PLAN_ROLES,
    acting_choices,
    acting_for,
    deciding_regulators,
    membership_of,
    special_measures_deciders,
)
from failure_regime.ratings import cqc_placeable, recommendable
from failure_regime.services import action_plan, monthly_reports
from failure_regime.services import episode_outcome as outcome_services
from failure_regime.services import special_measures as sm
from failure_regime.uploads import download_response
from failure_regime.views.interventions import register_context


def _is_decider(user: User, episode: Episode) -> bool:
    return bool(special_measures_deciders(user, episode.provider, episode))


def _is_plan_editor(user: User, episode: Episode) -> bool:
    return membership_of(user, episode.provider, PLAN_ROLES) is not None


@staff
def dashboard(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filterset = EpisodeFilter(
        request.GET or {"status": EpisodeStatus.OPEN}, queryset=selectors.episode_list_for_user(user=user)
    )
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for episode in page:
        episode.reinspection_is_overdue = episode_reinspection_overdue(episode, today=today)
    can_enter = bool(user.memberships.filter(role__in=[Role.OVERSIGHT_LEAD, Role.REGULATOR_DECISION_MAKER]).exists())
    return render(
        request,
        "failure_regime/staff/sm_dashboard.html",
        {
            "filter": filterset,
            "page": page,
            "can_enter": can_enter,
            "can_record_history": can_enter,
        },
    )


@staff
def episode_new(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    providers = provider_list_for_user(user=user)
    form = EpisodeForm(
        request.POST or None,
        acting=deciding_regulators(user),
        providers=providers,
        inspections=selectors.inspection_list_for_user(user=user)
        .filter(recommendable() | cqc_placeable(), provider__in=providers)
        .order_by("provider__name", "-carried_out_on"),
        trusts=organisation_list_for_user(user=user).filter(
            kind__in=[OrganisationKind.FOUNDATION_TRUST, OrganisationKind.NHS_TRUST]
        ),
    )
    if request.method == "POST" and form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name != "acting_for"}
        chosen = form.chosen_organisation
        episode = run_service(form, lambda: sm.episode_enter(actor=user, organisation=chosen, **data))
        if episode is not None:
            messages.success(
                request,
                "Special measures have been recorded. Its reports and re-inspection are on the list of what is due.",
            )
            return redirect("regime:episode-detail", episode.pk)
    return render(request, "failure_regime/staff/sm_enter.html", {"form": form}, status=400 if form.errors else 200)


def _outcome_choices(episode: Episode) -> list[tuple[str, str]]:
    choices = [("exit", "Leave special measures")]
    if episode.rule_set.extension_max_months:
        choices.append(("extend", f"Extend (up to {episode.rule_set.extension_max_months} months)"))
    if not episode.provider.is_trust:
        choices += [
            ("propose_cancellation", "Propose cancelling the registration (28 days for representations)"),
            ("cancel_registration", "Cancel the registration"),
        ]
    return choices


def _episode_context(request: HttpRequest, episode: Episode, **given: Any) -> dict[str, Any]:
    user = acting_user(request)
    episode = selectors.episode_detail(episode=episode)
    is_open = episode.is_open
    inspections = episode.inspections.all()
    rated = Inspection.objects.filter(episode=episode).exclude(overall="")
    inspecting = acting_choices(user, INSPECTION_ROLES) if is_open else []
    may_inspect = bool(inspecting)
    may_edit_plan = is_open and _is_plan_editor(user, episode)
    may_decide = is_open and _is_decider(user, episode)
    return {
        "episode": episode,
        "story": episode_story(episode, today=timezone.localdate()),
        "actions": episode.actions.all(),
        "reports": episode.reports.all(),
        "inspections": inspections,
        "extensions": episode.extensions.all(),
        "deadlines": selectors.deadline_list_for_user(user=user).filter(
            provider=episode.provider, due_at__date__gte=episode.entered_on
        )[:20],
        "timeline": [(e, verbs.label(e.verb)) for e in selectors.episode_timeline(episode=episode)],
        "this_month": month_start(timezone.localdate()),
        "today": timezone.localdate(),
        "action_form": (given.get("action_form") or ActionForm(owners=_owners(episode))) if may_edit_plan else None,
        "schedule_form": (given.get("schedule_form") or ScheduleForm(acting=inspecting)) if may_inspect else None,
        "ratings_forms": [
            (i, given.get(f"ratings_{i.pk}") or RatingsForm(prefix=f"r{i.pk}", acting=inspecting))
            for i in inspections
            if not i.is_rated
        ]
        if may_inspect
        else [],
        "outcome_form": (
            given.get("outcome_form") or OutcomeChoice(choices=_outcome_choices(episode), inspections=rated)
        )
        if may_decide
        else None,
        "can_report": may_edit_plan,
        "failed_form": next((f for f in given.values() if f is not None), None),
        **register_context(user=user, episode=episode),
    }


def _owners(episode: Episode) -> Any:
    return User.objects.filter(memberships__organisation=episode.provider, is_active=True).distinct()


@staff
def episode_detail(request: HttpRequest, pk: int) -> HttpResponse:
    episode = selectors.episode_get_for_user(user=acting_user(request), pk=pk)
    return render(request, "failure_regime/staff/sm_episode.html", _episode_context(request, episode))


def _episode_action(
    request: HttpRequest, episode: Episode, name: str, form: Any, call: Any, *, done: str
) -> HttpResponse:
    """Runs one action from the episode page: on success, confirm it with ``done`` and go back to the episode;
    otherwise show the page again with the errors."""
    if form.is_valid() and run_service(form, partial(call, form.cleaned_data)) is not None:
        messages.success(request, done)
        return redirect("regime:episode-detail", episode.pk)
    return render(
        request, "failure_regime/staff/sm_episode.html", _episode_context(request, episode, **{name: form}), status=400
    )


@staff
@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    episode = selectors.episode_get_for_user(user=user, pk=pk)
    form = ActionForm(request.POST, owners=_owners(episode))
    return _episode_action(
        request,
        episode,
        "action_form",
        form,
        lambda data: action_plan.action_add(
            actor=user,
            episode=episode,
            reference=data["reference"],
            description=data["description"],
            owner=data["owner"],
            owner_organisation=episode.provider,
            due_on=data["due_on"],
            rag=data["rag"],
        ),
        done="The action has been added to the plan.",
    )


@staff
def action_edit(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    user = acting_user(request)
    episode = selectors.episode_get_for_user(user=user, pk=pk)
    action = get_object_or_404(episode.actions, pk=action_pk)
    editable = episode.is_open and _is_plan_editor(user, episode)
    initial = {f: getattr(action, f) for f in ("description", "owner", "due_on", "status", "rag", "evidence")}
    form = ActionForm(request.POST or None, owners=_owners(episode), editing=True, initial=initial)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("Only the provider's trust managers change its action plan.")
        if (
            form.is_valid()
            and run_service(form, lambda: action_plan.action_update(actor=user, action=action, **form.cleaned_data))
            is not None
        ):
            messages.success(request, "The action has been updated.")
            return redirect("regime:episode-detail", episode.pk)
    history = [(e, verbs.label(e.verb)) for e in audit_events_for(obj=action).order_by("-sequence")]
    return render(
        request,
        "failure_regime/staff/sm_action.html",
        {"episode": episode, "action": action, "form": form if editable else None, "history": history},
        status=400 if form.errors else 200,
    )


@staff
@require_POST
def inspection_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    episode = selectors.episode_get_for_user(user=user, pk=pk)
    form = ScheduleForm(request.POST, acting=acting_choices(user, INSPECTION_ROLES))
    return _episode_action(
        request,
        episode,
        "schedule_form",
        form,
        lambda data: outcome_services.inspection_schedule(
            actor=user,
            organisation=acting_for(user, INSPECTION_ROLES, form.chosen_organisation, doing="schedule inspections"),
            episode=episode,
            scheduled_for=data["scheduled_for"],
        ),
        done="The re-inspection has been scheduled.",
    )


@staff
@require_POST
def inspection_record(request: HttpRequest, pk: int, inspection_pk: int) -> HttpResponse:
    user = acting_user(request)
    episode = selectors.episode_get_for_user(user=user, pk=pk)
    inspection = get_object_or_404(Inspection, pk=inspection_pk, episode=episode)
    form = RatingsForm(request.POST, prefix=f"r{inspection.pk}", acting=acting_choices(user, INSPECTION_ROLES))

    def record(data: dict[str, Any]) -> Inspection:
        ratings = {k: v for k, v in data.items() if k not in ("carried_out_on", "acting_for")}
        return outcome_services.inspection_record(
            actor=user,
            organisation=acting_for(user, INSPECTION_ROLES, form.chosen_organisation, doing="record inspections"),
            inspection=inspection,
            carried_out_on=data["carried_out_on"],
            ratings=ratings,
        )

    return _episode_action(
        request,
        episode,
        f"ratings_{inspection.pk}",
        form,
        record,
        done="The re-inspection's ratings have been recorded.",
    )


@staff
@require_POST
def episode_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    episode = selectors.episode_get_for_user(user=user, pk=pk)
    form = OutcomeChoice(
        request.POST,
        choices=_outcome_choices(episode),
        inspections=Inspection.objects.filter(episode=episode).exclude(overall=""),
    )

    def decide(data: dict[str, Any]) -> object:
        outcome = data["outcome"]
        if outcome == "exit":
            if data["inspection"] is None:
                form.add_error("inspection", "Choose the re-inspection this is based on.")
                return None
            return outcome_services.episode_exit(actor=user, episode=episode, inspection=data["inspection"])
        if outcome == "extend":
            if data["until"] is None:
                form.add_error("until", "Enter the date the extension ends.")
                return None
            return outcome_services.episode_extend(
                actor=user, episode=episode, until=data["until"], reason=data["reason"]
            )
        if outcome == "propose_cancellation":
            return outcome_services.episode_propose_cancellation(
                actor=user, episode=episode, summary=data["reason"] or "Still inadequate at re-inspection."
            )
        return outcome_services.episode_cancel_registration(actor=user, episode=episode, on=timezone.localdate())

    return _episode_action(request, episode, "outcome_form", form, decide, done="Your decision has been recorded.")


@staff
def report_form(request: HttpRequest, pk: int, year: int, month: int) -> HttpResponse:
    """The trust manager's monthly report for one month."""
    user = acting_user(request)
    episode = selectors.episode_get_for_user(user=user, pk=pk)
    try:
        first = date(year, month, 1)
    except (ValueError, OverflowError) as exc:
        raise Http404 from exc
    if first > month_start(timezone.localdate()):
        raise Http404("Reports can be sent only for months that have begun.")
    if not (episode.is_open and _is_plan_editor(user, episode)):
        raise PermissionDenied("Only the provider's trust managers send its monthly reports.")
    existing = MonthlyReport.objects.filter(episode=episode, month=first).first()
    if existing is not None and existing.status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED):
        return redirect("regime:report-detail", existing.pk)
    actions = list(episode.actions.all())
    initial = {"narrative": existing.narrative} if existing else None
    form = ReportForm(request.POST or None, request.FILES or None, actions=actions, initial=initial)
    if request.method == "POST" and form.is_valid():
        report = run_service(
            form,
            lambda: monthly_reports.report_submit(
                actor=user,
                episode=episode,
                month=first,
                narrative=form.cleaned_data["narrative"],
                statuses=form.statuses(),
                evidence=form.cleaned_data["evidence"],
            ),
        )
        if report is not None:
            messages.success(request, "Your report has been sent to the oversight body.")
            return redirect("regime:report-detail", report.pk)
    return render(
        request,
        "failure_regime/staff/sm_report_form.html",
        {"episode": episode, "month": first, "form": form, "report": existing},
        status=400 if form.errors else 200,
    )


@staff
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    report = selectors.report_get_for_user(user=user, pk=pk)
    may_review = report.status == ReportStatus.SUBMITTED and _is_decider(user, report.episode)
    return_form = ReturnForm(request.POST or None) if may_review else None
    if request.method == "POST":
        if not may_review or return_form is None:
            raise PermissionDenied("Only the oversight lead reviews this provider's reports.")
        if request.POST.get("decision") == "accept":
            if run_service(return_form, lambda: monthly_reports.report_accept(actor=user, report=report)) is not None:
                messages.success(request, "The report has been accepted.")
                return redirect("regime:report-detail", report.pk)
        elif (
            return_form.is_valid()
            and run_service(
                return_form,
                lambda: monthly_reports.report_return(
                    actor=user, report=report, comments=return_form.cleaned_data["comments"]
                ),
            )
            is not None
        ):
            messages.success(request, "The report has been returned to the trust with your comments.")
            return redirect("regime:report-detail", report.pk)
    context = {
        "report": report,
        "statuses": report.action_statuses.select_related("action").order_by("action__reference"),
        "evidence": report.evidence.all(),
        "return_form": return_form,
    }
    return render(
        request,
        "failure_regime/staff/sm_report.html",
        context,
        status=400 if return_form is not None and return_form.errors else 200,
    )


@staff
def report_evidence(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    report = selectors.report_get_for_user(user=acting_user(request), pk=pk)
    evidence = get_object_or_404(report.evidence, pk=evidence_pk)
    return download_response(evidence, evidence.file)
