"""Pages of recruitment.

Staff (the case's review managers; the expert-recruitment lead acts): the campaigns of a case, opening one, a
campaign with its progress and applications, and an application with its vetting and decision.

Public (no account, no session): the open campaigns, the application form (rate-limited, with a trap for robots),
the confirmation with the reference, and the invitation an approved expert accepts to create their account.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import etag, require_POST
from django_ratelimit.core import is_ratelimited  # type: ignore[import-untyped]

from accounts.access import public, staff
from accounts.acting import acting_user
from accounts.errors import DomainError
from accounts.interface import run_service
from failure_regime.models import CaseStatus
from reviews.forms.recruitment import (
    ApplicationForm,
    ApproveForm,
    CampaignForm,
    InvitationAcceptForm,
    RejectForm,
    VettingForm,
)
from reviews.models import Application, ApplicationStatus, Campaign, CampaignStatus, Specialty
from reviews.selectors import recruitment as selectors
from reviews.selectors.team import is_recruitment_lead, managed_case_get_for_user
from reviews.services import recruitment as services

DEFAULT_APPLICATION_RATE = "10/h"
APPLICATIONS_PER_PAGE = 50


# --- Staff: campaigns -----------------------------------------------------------------------------


@staff
def campaign_list(request: HttpRequest, case_pk: int) -> HttpResponse:
    user = acting_user(request)
    case = managed_case_get_for_user(user=user, pk=case_pk)
    context = {
        "case": case,
        "campaigns": selectors.campaign_list_for_case(case=case),
        "can_open": is_recruitment_lead(user=user, case=case) and case.status != CaseStatus.CLOSED,
    }
    return render(request, "reviews/staff/recruitment/campaign_list.html", context)


@staff
def campaign_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    user = acting_user(request)
    case = managed_case_get_for_user(user=user, pk=case_pk)
    if not is_recruitment_lead(user=user, case=case):
        raise PermissionDenied("Only the case's expert-recruitment lead can open a recruitment campaign.")
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        campaign = run_service(
            form,
            lambda: services.campaign_open(
                actor=user,
                case=case,
                title=data["title"],
                description=data["description"],
                closes_on=data["closes_on"],
                needs=data["needs"],
            ),
        )
        if campaign is not None:
            messages.success(request, "The campaign is open. Experts can now apply.")
            return redirect("reviews:campaign-detail", campaign.pk)
    context = {"case": case, "form": form, "specialty_names": Specialty.objects.values_list("name", flat=True)}
    return render(request, "reviews/staff/recruitment/campaign_form.html", context, status=400 if form.errors else 200)


@staff
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    campaign = selectors.campaign_get_for_user(user=user, pk=pk)
    applications = Application.objects.filter(campaign=campaign).prefetch_related("specialties")
    status = request.GET.get("status", "")
    if status in ApplicationStatus.values:
        applications = applications.filter(status=status)
    page = Paginator(applications.order_by("submitted_at", "pk"), APPLICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "campaign": campaign,
        "case": campaign.case,
        "progress": selectors.campaign_progress(campaigns=[campaign])[0],
        "page": page,
        "status": status,
        "statuses": ApplicationStatus.choices,
        "accepting": services.accepts_applications(campaign),
        "can_close": is_recruitment_lead(user=user, case=campaign.case) and campaign.status == CampaignStatus.OPEN,
    }
    return render(request, "reviews/staff/recruitment/campaign_detail.html", context)


@staff
@require_POST
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get_for_user(user=acting_user(request), pk=pk)
    try:
        services.campaign_close(actor=acting_user(request), campaign=campaign)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The campaign is closed: it takes no more applications.")
    return redirect("reviews:campaign-detail", campaign.pk)


# --- Staff: applications --------------------------------------------------------------------------


def _application_for_action(request: HttpRequest, pk: int) -> Application:
    # Not recorded as a read: a successful action redirects to the page, which records it.
    return selectors.application_find_for_user(user=acting_user(request), pk=pk)


def _application_context(request: HttpRequest, application: Application, **forms_given: Any) -> dict[str, Any]:
    user = acting_user(request)
    case = application.campaign.case
    may_vet = is_recruitment_lead(user=user, case=case) and application.status == ApplicationStatus.SUBMITTED
    invitation = selectors.invitation_for(application=application)
    return {
        "application": application,
        "campaign": application.campaign,
        "case": case,
        "specialties": application.specialties.all(),
        "invitation": invitation,
        "failed_form": next((f for f in forms_given.values() if f is not None), None),
        "vetting_form": (
            forms_given.get("vetting_form")
            or VettingForm(initial={name: getattr(application, name) for name in services.CHECKS})
        )
        if may_vet
        else None,
        "check_rows": [(label, getattr(application, name)) for name, label in services.CHECKS.items()],
        "approve_form": (forms_given.get("approve_form") or ApproveForm()) if may_vet else None,
        "reject_form": (forms_given.get("reject_form") or RejectForm()) if may_vet else None,
        "may_open_registry": services.keeps_registry(user),
        "can_renew": is_recruitment_lead(user=user, case=case)
        and application.status == ApplicationStatus.APPROVED
        and (invitation is None or invitation.accepted_at is None),
    }


@staff
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_user(user=acting_user(request), pk=pk)
    return render(
        request, "reviews/staff/recruitment/application_detail.html", _application_context(request, application)
    )


def _act(
    request: HttpRequest, application: Application, form_name: str, form: Any, call: Any, *, done: str
) -> HttpResponse:
    """Runs one action from the application page: back to it on success, confirmed with ``done``, or the page
    again with the errors."""
    if form.is_valid() and run_service(form, lambda: call(form.cleaned_data)) is not None:
        messages.success(request, done)
        return redirect("reviews:application-detail", application.pk)
    selectors.application_view_record(user=acting_user(request), application=application)
    return render(
        request,
        "reviews/staff/recruitment/application_detail.html",
        _application_context(request, application, **{form_name: form}),
        status=400,
    )


@staff
@require_POST
def application_check(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_for_action(request, pk)
    return _act(
        request,
        application,
        "vetting_form",
        VettingForm(request.POST),
        lambda data: services.application_check(
            actor=acting_user(request), application=application, checks={name: data[name] for name in services.CHECKS}
        ),
        done="The checks have been recorded.",
    )


@staff
@require_POST
def application_approve(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_for_action(request, pk)
    return _act(
        request,
        application,
        "approve_form",
        ApproveForm(request.POST),
        lambda data: services.application_approve(
            actor=acting_user(request),
            application=application,
            employer_started_on=data["employer_started_on"],
            employer_organisation=data["employer_organisation"],
            interest_organisation=data["interest_organisation"],
            interest_kind=data["interest_kind"],
            note=data["note"],
        ),
        done="The application has been approved. The expert has been sent an invitation to create their account.",
    )


@staff
@require_POST
def application_reject(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_for_action(request, pk)
    return _act(
        request,
        application,
        "reject_form",
        RejectForm(request.POST),
        lambda data: services.application_reject(
            actor=acting_user(request), application=application, reason=data["reason"]
        ),
        done="The application has been turned down.",
    )


@staff
@require_POST
def invitation_renew(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_for_action(request, pk)
    try:
        services.invitation_renew(actor=acting_user(request), application=application)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "A new invitation has been sent. The earlier link no longer works.")
    return redirect("reviews:application-detail", application.pk)


# --- Public ----------------------------------------------------------------------------------------


def _open_campaigns_etag(request: HttpRequest) -> str:
    # What the page shows changes when a campaign opens or closes, and at midnight as closing dates pass.
    shown = list(selectors.open_campaigns().values_list("pk", "closes_on"))
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:32]


@public
@cache_control(public=True, max_age=300)
@etag(_open_campaigns_etag)
def join(request: HttpRequest) -> HttpResponse:
    """The open campaigns anyone may apply to."""
    return render(request, "reviews/public/recruitment/join.html", {"campaigns": selectors.open_campaigns()})


def application_rate() -> str:
    return str(getattr(settings, "REVIEWS_APPLICATION_RATE", DEFAULT_APPLICATION_RATE))


@public
@never_cache
def apply(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    """The application form of an open campaign. Posting sends the application and shows its reference."""
    try:
        campaign = selectors.open_campaign_get(pk=campaign_pk)
    except Http404:
        return render(request, "reviews/public/recruitment/campaign_closed.html", status=404)
    form = ApplicationForm(request.POST or None, specialties=_needed_specialties(campaign))
    if request.method == "POST":
        if is_ratelimited(
            request, group="reviews:apply", key="ip", rate=application_rate(), method="POST", increment=True
        ):
            return render(request, "reviews/public/recruitment/too_many_requests.html", status=429)
        if form.is_robot:
            # Store nothing, and look the same as a success so the robot learns nothing.
            return render(request, "reviews/public/recruitment/application_sent.html", {"campaign": campaign})
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "website"}
            data["specialties"] = list(data["specialties"])
            application = run_service(form, lambda: services.application_submit(campaign=campaign, **data))
            if application is not None:
                return redirect("reviews:application-sent", application.reference)
    return render(
        request,
        "reviews/public/recruitment/apply.html",
        {"campaign": campaign, "form": form},
        status=400 if form.errors else 200,
    )


def _needed_specialties(campaign: Campaign) -> Any:
    return Specialty.objects.filter(pk__in=[need.specialty_id for need in campaign.needs.all()])


@public
@never_cache
def application_sent(request: HttpRequest, reference: str) -> HttpResponse:
    """The confirmation after applying: only the reference and the campaign's title, never personal data."""
    application = get_object_or_404(Application.objects.select_related("campaign"), reference=reference)
    context = {"campaign": application.campaign, "reference": application.reference}
    return render(request, "reviews/public/recruitment/application_sent.html", context)


@public
@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """An approved expert chooses a password; the account is created with the expert reviewer role."""
    invitation = selectors.invitation_for_token(token_hash=services.token_hash(token))
    if invitation is None:
        return render(request, "reviews/public/recruitment/invitation_unavailable.html", status=404)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["password"]
        user = run_service(form, lambda: services.invitation_accept(token=token, password=password))
        if user is not None:
            return redirect("reviews:account-ready")
    context = {"form": form, "campaign": invitation.application.campaign}
    return render(
        request, "reviews/public/recruitment/invitation_accept.html", context, status=400 if form.errors else 200
    )


@public
@cache_control(public=True, max_age=3600)
def account_ready(request: HttpRequest) -> HttpResponse:
    return render(request, "reviews/public/recruitment/account_ready.html")
