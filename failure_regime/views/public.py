"""Public pages of the service that belong to no single app: the accessibility statement and the error pages.
The home page and providers' pages are communications' (the public site)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import cache_control

from accounts.access import public
from failure_regime.api.errors import json_not_found, json_permission_denied, json_server_error


@public
@cache_control(public=True, max_age=3600)
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "failure_regime/public/accessibility.html")


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
    if request.path.startswith("/api/"):
        return json_server_error(request)
    # No context processors or queries: this page must render even when the database is down.
    return HttpResponse(loader.get_template("500.html").render({"service_name": settings.SERVICE_NAME}), status=500)
