"""Pages of the support directory: the public directory (cacheable, no session), and the staff pages to add
and keep services, their opening times and the cases they are offered on."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import etag, require_POST

from accounts.access import public, staff
from accounts.acting import acting_user
from accounts.interface import run_service
from accounts.models import User
from communications.forms.support import (
    LinkCaseForm,
    OpeningTimesForm,
    StaffSupportFilterForm,
    SupportFilterForm,
    SupportServiceForm,
)
from communications.models import SupportService
from communications.public_cache import cached_public_page
from communications.selectors import support as selectors
from communications.services import support as services
from failure_regime.selectors import case_get_for_user

# --- Public ------------------------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> tuple[SupportFilterForm, str, str]:
    form = SupportFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["kind"], form.cleaned_data["region"]
    return form, "", ""


def _support_etag(request: HttpRequest) -> str:
    _, kind, region = _filters(request)
    shown = f"{selectors.public_support_version()}|{kind}|{region}"
    return hashlib.sha256(shown.encode()).hexdigest()[:32]


@public
@cached_public_page
@etag(_support_etag)
def support(request: HttpRequest) -> HttpResponse:
    """Where to find support: helplines, counselling, advocacy, patient advice and liaison services and
    bereavement support, with their opening hours. The same for everyone, so shared caches may keep it for
    ``PUBLIC_CACHE_SECONDS``; its ETag changes whenever a service is added, changed or taken out of use. No
    "open now": it would make every cached copy wrong within the hour."""
    form, kind, region = _filters(request)
    services_shown = selectors.with_opening_hours(selectors.public_support_services(kind=kind, region=region))
    return render(
        request,
        "communications/public/support/directory.html",
        {"form": form, "services": services_shown, "filtered": bool(kind or region)},
    )


# --- Staff -------------------------------------------------------------------------------------------------


@staff
def service_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = StaffSupportFilterForm(request.GET or None)
    services_listed = selectors.support_service_list_for_user(user=user)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            services_listed = services_listed.filter(kind=data["kind"])
        if data["region"]:
            services_listed = services_listed.filter(region=data["region"])
        if data["active"]:
            services_listed = services_listed.filter(active=data["active"] == "yes")
    page = Paginator(services_listed, 25).get_page(request.GET.get("page"))
    context = {"filter_form": form, "page": page, "can_add": bool(services.support_organisations(user))}
    return render(request, "communications/staff/support/service_list.html", context)


@staff
def service_new(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    organisations = services.support_organisations(user)
    if not organisations:
        raise PermissionDenied("Only communications officers and family liaison officers can add support services.")
    form = SupportServiceForm(request.POST or None, acting=organisations)
    if request.method == "POST" and form.is_valid():
        service = run_service(
            form,
            lambda: services.support_service_create(
                actor=user, organisation=form.chosen_organisation, **form.service_fields()
            ),
        )
        if service is not None:
            messages.success(request, "The service has been added. Now add its opening times.")
            return redirect("communications:service-hours", service.pk)
    return render(
        request,
        "communications/staff/support/service_form.html",
        {"form": form, "organisation": organisations[0] if len(organisations) == 1 else None},
        status=400 if form.errors else 200,
    )


def _maintained(request: HttpRequest, pk: int) -> SupportService:
    """The service, for a page that changes it: refused to anyone but its maintainers."""
    user = acting_user(request)
    service = selectors.support_service_get_for_user(user=user, pk=pk)
    if not selectors.may_maintain(user=user, service=service):
        raise PermissionDenied(f"Only communications or family liaison staff of {service.maintained_by} can change it.")
    return service


def _detail_context(request: HttpRequest, service: SupportService, **given: forms.Form) -> dict[str, Any]:
    user = acting_user(request)
    service = selectors.support_service_detail(service=service)
    linkable = selectors.linkable_cases_for_user(user=user, service=service)
    return {
        "service": service,
        "opening_hours": selectors.describe_opening_hours(
            times=service.opening_times.all(), open_24_hours=service.open_24_hours
        ),
        "may_maintain": selectors.may_maintain(user=user, service=service),
        "may_link": bool(services.support_organisations(user)),
        "linked_cases": selectors.linked_cases_for_user(user=user, service=service).select_related("provider"),
        "link_form": given.get("link_form") or LinkCaseForm(cases=linkable.select_related("provider")),
        "failed_form": next(iter(given.values()), None),
    }


@staff
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service = selectors.support_service_get_for_user(user=acting_user(request), pk=pk)
    return render(request, "communications/staff/support/service_detail.html", _detail_context(request, service))


@staff
def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    service = _maintained(request, pk)
    initial = {
        **{f: getattr(service, f) for f in ("name", "kind", "run_by", "description", "phone", "textphone")},
        **{f: getattr(service, f) for f in ("website", "email", "region")},
        "provider_ods_code": service.provider.ods_code if service.provider else "",
    }
    form = SupportServiceForm(request.POST or None, initial=initial, acting=[])
    if request.method == "POST" and form.is_valid():
        changed = run_service(
            form, lambda: services.support_service_update(actor=user, service=service, **form.service_fields())
        )
        if changed is not None:
            messages.success(request, "Your changes have been saved.")
            return redirect("communications:service-detail", service.pk)
    return render(
        request,
        "communications/staff/support/service_form.html",
        {"form": form, "service": service},
        status=400 if form.errors else 200,
    )


@staff
def service_hours(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    service = selectors.support_service_detail(service=_maintained(request, pk))
    form = OpeningTimesForm(request.POST or None, initial=OpeningTimesForm.initial_for(service))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changed = run_service(
            form,
            lambda: services.support_service_opening_times_set(
                actor=user,
                service=service,
                opening_times=data["spans"],
                open_24_hours=data["open_24_hours"],
                opening_hours_note=data["opening_hours_note"],
            ),
        )
        if changed is not None:
            messages.success(request, "The opening times have been saved.")
            return redirect("communications:service-detail", service.pk)
    return render(
        request,
        "communications/staff/support/service_hours.html",
        {"form": form, "service": service},
        status=400 if form.errors else 200,
    )


def _act(
    request: HttpRequest,
    pk: int,
    form: forms.Form,
    call: Callable[[User, SupportService, dict[str, Any]], object],
    *,
    done: str,
) -> HttpResponse:
    """Runs one action from the service's page: back to the page, confirmed with ``done``, or the page again with
    the errors."""
    user = acting_user(request)
    service = selectors.support_service_get_for_user(user=user, pk=pk)
    if form.is_valid() and run_service(form, lambda: call(user, service, form.cleaned_data)) is not None:
        messages.success(request, done)
        return redirect("communications:service-detail", service.pk)
    context = _detail_context(
        request, service, **{"link_form" if isinstance(form, LinkCaseForm) else "action_form": form}
    )
    return render(request, "communications/staff/support/service_detail.html", context, status=400)


@staff
@require_POST
def service_link(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    service = selectors.support_service_get_for_user(user=user, pk=pk)
    form = LinkCaseForm(request.POST, cases=selectors.linkable_cases_for_user(user=user, service=service))
    return _act(
        request,
        pk,
        form,
        lambda actor, service, data: services.support_service_link_to_case(
            actor=actor, service=service, case=data["case"]
        ),
        done="The service is now linked to the case. Its notices show it.",
    )


@staff
@require_POST
def service_unlink(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    case = case_get_for_user(user=acting_user(request), pk=case_pk)
    return _act(
        request,
        pk,
        forms.Form(request.POST),
        lambda actor, service, data: services.support_service_unlink(actor=actor, service=service, case=case),
        done=f"The service is no longer linked to {case.reference}.",
    )


@staff
@require_POST
def service_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        forms.Form(request.POST),
        lambda actor, service, data: services.support_service_deactivate(actor=actor, service=service),
        done="The service has been taken off the public directory.",
    )


@staff
@require_POST
def service_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        forms.Form(request.POST),
        lambda actor, service, data: services.support_service_reactivate(actor=actor, service=service),
        done="The service is back on the public directory.",
    )
