"""Public pages of the service that belong to no single app: the accessibility statement, the privacy notice and
the error pages. The home page and providers' pages are communications' (the public site)."""

import sys
from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import cache_control

from accounts.access import public
from failure_regime.api.errors import (
    json_bad_request,
    json_not_found,
    json_permission_denied,
    json_server_error,
    json_unavailable,
)
from failure_regime.outage import RETRY_AFTER_SECONDS, database_unavailable

# When the accessibility statement and the privacy notice were written and last checked against the service.
# Change these dates whenever either is reviewed.
ACCESSIBILITY_STATEMENT_PREPARED = date(2026, 12, 4)
ACCESSIBILITY_STATEMENT_REVIEWED = date(2026, 12, 4)
PRIVACY_NOTICE_UPDATED = date(2026, 12, 4)


@public
@cache_control(public=True, max_age=3600)
def accessibility(request: HttpRequest) -> HttpResponse:
    context = {
        "contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
        "operator": settings.SERVICE_OPERATOR,
        "prepared_on": ACCESSIBILITY_STATEMENT_PREPARED,
        "reviewed_on": ACCESSIBILITY_STATEMENT_REVIEWED,
    }
    return render(request, "failure_regime/public/accessibility.html", context)


@public
@cache_control(public=True, max_age=3600)
def privacy(request: HttpRequest) -> HttpResponse:
    """What the service does with the personal data people give it: the contact form and expert applications."""
    context = {
        "dpo_email": settings.DATA_PROTECTION_OFFICER_EMAIL,
        "operator": settings.SERVICE_OPERATOR,
        "updated_on": PRIVACY_NOTICE_UPDATED,
    }
    return render(request, "failure_regime/public/privacy.html", context)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request the service cannot read (JSON under /api/). It may be answered before sessions or the database
    are touched, so the page uses no context processors."""
    if request.path.startswith("/api/"):
        return json_bad_request(request)
    page = loader.get_template("400.html").render({"service_name": settings.PUBLIC_SERVICE_NAME})
    return HttpResponse(page, status=400)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_not_found(request)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A refused action: what happened and what to do next, in the staff layout (JSON under /api/)."""
    if request.path.startswith("/api/"):
        return json_permission_denied(request)
    reason = str(exception) if exception is not None else ""
    return render(request, "403.html", {"reason": reason}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """A fault. When it is the database being out of reach, the answer is 503 and says the service is not
    available for now (a public page then comes from its last good copy: ``LastGoodCopyMiddleware``)."""
    if database_unavailable(sys.exc_info()[1]):
        unavailable = _unavailable(request)
        unavailable["Retry-After"] = str(RETRY_AFTER_SECONDS)
        unavailable.database_unavailable = True  # type: ignore[attr-defined]
        return unavailable
    if request.path.startswith("/api/"):
        return json_server_error(request)
    # No context processors or queries: this page must render even when the database is down.
    page = loader.get_template("500.html").render({"service_name": settings.PUBLIC_SERVICE_NAME})
    return HttpResponse(page, status=500)


def _unavailable(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_unavailable(request)
    page = loader.get_template("503.html").render({"service_name": settings.PUBLIC_SERVICE_NAME})
    return HttpResponse(page, status=503)
