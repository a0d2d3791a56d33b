"""Staff pages for recording past episodes of special measures, one at a time or from a CSV file."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.access import staff
from accounts.acting import acting_user
from accounts.interface import run_service
from accounts.models import Role, User
from accounts.selectors import provider_list_for_user
from failure_regime.history_forms import HistoricEpisodeForm, HistoryImportForm
from failure_regime.permissions import deciding_regulators
from failure_regime.services import episode_history as history

MAX_FILE_BYTES = 2_000_000


def _recorder(request: HttpRequest) -> User:
    """Those who decide special measures (oversight leads and CQC's decision-makers) record their history."""
    user = acting_user(request)
    if not user.memberships.filter(role__in=[Role.OVERSIGHT_LEAD, Role.REGULATOR_DECISION_MAKER]).exists():
        raise PermissionDenied("Only those who decide special measures can record their history.")
    return user


@staff
def history_new(request: HttpRequest) -> HttpResponse:
    user = _recorder(request)
    form = HistoricEpisodeForm(
        request.POST or None, acting=deciding_regulators(user), providers=provider_list_for_user(user=user)
    )
    if request.method == "POST" and form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name != "acting_for"}
        chosen = form.chosen_organisation
        episode = run_service(form, lambda: history.episode_record_history(actor=user, organisation=chosen, **data))
        if episode is not None:
            messages.success(request, "The past episode has been recorded. Nothing of it will be chased.")
            return redirect("regime:episode-detail", episode.pk)
    return render(request, "failure_regime/staff/sm_history.html", {"form": form}, status=400 if form.errors else 200)


@staff
def history_import(request: HttpRequest) -> HttpResponse:
    user = _recorder(request)
    form = HistoryImportForm(request.POST or None, request.FILES or None, acting=deciding_regulators(user))
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = upload.read(MAX_FILE_BYTES).decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error("file", "The file must be CSV in UTF-8.")
        else:
            result = history.episodes_import_history(
                actor=user,
                text=text,
                only_valid=form.cleaned_data["only_valid"],
                organisation=form.chosen_organisation,
            )
            if result.imported and not result.errors:
                messages.success(request, f"{result.imported} past episodes imported. None of them will be chased.")
                return redirect("regime:episode-list")
    failed = bool(form.errors or (result and result.errors))
    return render(
        request,
        "failure_regime/staff/sm_history_import.html",
        {"form": form, "result": result},
        status=400 if failed and not (result and result.imported) else 200,
    )
