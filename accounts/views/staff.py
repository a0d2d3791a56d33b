"""Staff pages of the ground floor: home, organisations, their audit trail, and API access."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from accounts import selectors, services
from accounts.access import staff
from accounts.audit import audit_chain_verify, audit_events_for
from accounts.filters import OrganisationFilter
from accounts.models import User


@staff
def organisation_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    filterset = OrganisationFilter(request.GET or None, queryset=selectors.organisation_list_for_user(user=user))
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/staff/organisation_list.html", {"filter": filterset, "page": page})


@staff
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    organisation = selectors.organisation_get_for_user(user=user, pk=pk)
    context = {
        "organisation": organisation,
        "members": selectors.organisation_members_for_user(user=user, organisation=organisation),
        "can_see_audit": selectors.audit_events_visible(user=user, organisation=organisation),
    }
    return render(request, "accounts/staff/organisation_detail.html", context)


@staff
def organisation_audit(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    organisation = selectors.organisation_get_for_user(user=user, pk=pk)
    if not selectors.audit_events_visible(user=user, organisation=organisation):
        raise Http404
    page = Paginator(audit_events_for(obj=organisation).order_by("-sequence"), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/staff/audit_events.html", {"object": organisation, "page": page})


@staff
@never_cache
@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        token = services.api_token_issue(actor=user)
        # Shown once, on this response only; the page never displays an existing key again.
        return render(request, "accounts/staff/api_token.html", {"new_key": token.key, "has_token": True})
    has_token = Token.objects.filter(user=user).exists()
    return render(request, "accounts/staff/api_token.html", {"has_token": has_token})


@staff
@never_cache
@require_http_methods(["GET", "POST"])
def audit_integrity(request: HttpRequest) -> HttpResponse:
    """The audit trail's latest anchors and, on request, a check of the whole chain against them. A check
    changes nothing, so its result is shown on the response to the button."""
    user: User = request.user  # type: ignore[assignment]
    if not selectors.audit_integrity_visible(user=user):
        raise PermissionDenied("Only national oversight and administrators can check the whole audit trail.")
    report = audit_chain_verify() if request.method == "POST" else None
    context = {"anchors": selectors.audit_anchor_list(), "report": report}
    return render(request, "accounts/staff/audit_integrity.html", context)
