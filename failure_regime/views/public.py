"""Public pages of the service that belong to no single app: home and the accessibility statement."""

import hashlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template import loader
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag

from accounts.access import public
from accounts.models import Organisation
from failure_regime import selectors
from failure_regime.api.errors import json_not_found, json_server_error
from failure_regime.models import Episode


@public
@cache_control(public=True, max_age=300)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "failure_regime/public/home.html")


@public
@cache_control(public=True, max_age=3600)
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "failure_regime/public/accessibility.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_not_found(request)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_server_error(request)
    # No context processors or queries: this page must render even when the database is down.
    return HttpResponse(loader.get_template("500.html").render({"service_name": settings.SERVICE_NAME}), status=500)


def _provider_etag(request: HttpRequest, ods_code: str) -> str | None:
    provider = Organisation.objects.filter(ods_code=ods_code).providers().values("pk", "name", "kind", "region").first()
    if provider is None:
        return None
    version = selectors.public_provider_version(provider_id=provider["pk"])
    # The page shows the provider's own details too, so a rename must change the tag.
    shown = f"{provider['name']}|{provider['kind']}|{provider['region']}|{version}"
    return hashlib.sha256(shown.encode()).hexdigest()[:32]


@public
@cache_control(public=True, max_age=300)
@etag(_provider_etag)
def provider(request: HttpRequest, ods_code: str) -> HttpResponse:
    """A provider's public page: whether it is in special measures and its published monthly progress."""
    organisation = get_object_or_404(Organisation.objects.providers(), ods_code=ods_code)
    context = {
        "provider": organisation,
        "episodes": Episode.objects.filter(provider=organisation).select_related("rule_set").order_by("-entered_on"),
        "reports": selectors.published_reports(provider=organisation),
    }
    return render(request, "failure_regime/public/provider.html", context)
