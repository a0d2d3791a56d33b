"""Staff pages of the ground floor: home, organisations, their audit trail, and API access."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.access import staff
from accounts.acting import acting_user
from accounts.audit import audit_check_request, audit_events_for
from accounts.filters import OrganisationFilter


@staff
def organisation_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filterset = OrganisationFilter(request.GET or None, queryset=selectors.organisation_list_for_user(user=user))
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/staff/organisation_list.html", {"filter": filterset, "page": page})


@staff
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    organisation = selectors.organisation_get_for_user(user=user, pk=pk)
    context = {
        "organisation": organisation,
        "members": selectors.organisation_members_for_user(user=user, organisation=organisation),
        "can_see_audit": selectors.audit_events_visible(user=user, organisation=organisation),
    }
    return render(request, "accounts/staff/organisation_detail.html", context)


@staff
def organisation_audit(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    organisation = selectors.organisation_get_for_user(user=user, pk=pk)
    if not selectors.audit_events_visible(user=user, organisation=organisation):
        raise Http404
    page = Paginator(audit_events_for(obj=organisation).order_by("-sequence"), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/staff/audit_events.html", {"object": organisation, "page": page})


@staff
@never_cache
@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    context: dict[str, object] = {"token_days": settings.API_TOKEN_DAYS}
    if request.method == "POST":
        # Shown once, on this response only: the database keeps a digest, so no page can show the key again.
        context["new_key"] = services.api_token_issue(actor=user).key
    context["token"] = selectors.api_token_status_for_user(user=user)
    return render(request, "accounts/staff/api_token.html", context)


@staff
@require_POST
def api_token_revoke(request: HttpRequest) -> HttpResponse:
    """Revokes the signed-in person's own token; there is no way to name anyone else's."""
    user = acting_user(request)
    if services.api_token_revoke(actor=user):
        messages.success(request, "Your API token is revoked. Systems that used it can no longer reach the API.")
    return redirect("accounts:api-token")


@staff
@never_cache
@require_http_methods(["GET", "POST"])
def audit_integrity(request: HttpRequest) -> HttpResponse:
    """The last check of the whole audit chain (when it ran, how many events, intact or where it broke), the latest
    anchors, and a button that queues a fresh check. Checks run in the background, never in the request."""
    user = acting_user(request)
    if not selectors.audit_integrity_visible(user=user):
        raise PermissionDenied("Only national oversight and administrators can check the whole audit trail.")
    if request.method == "POST":
        _, queued = audit_check_request(actor=user)
        if queued:
            messages.success(request, "A check of the audit trail is queued. Its result shows here when it finishes.")
        else:
            messages.info(request, "A check of the audit trail is already under way. Its result shows here soon.")
        return redirect("accounts:audit-integrity")
    context = {
        "last": selectors.audit_check_last(),
        "pending": selectors.audit_check_pending(),
        "anchors": selectors.audit_anchor_list(),
    }
    return render(request, "accounts/staff/audit_integrity.html", context)
