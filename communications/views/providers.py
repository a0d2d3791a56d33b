"""The public list of providers at ``/providers/``: every provider the public can read something about, in three
groups (in special measures now, a response under way, in the past), each linking to its page.

The page is the same for everyone and touches no session. It changes with the published notices (the public site
version), the register of special measures (the register version), the published findings, the cases closed and
the day; its ETag is worked out from those, and the rendered page is kept in the shared cache under it, so a busy
list is rendered once per change. ``PUBLIC_PAGE_CACHE=false`` turns the shared cache off here too.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from accounts.access import public
from communications.forms.providers import ProviderListFilter
from communications.forms.register import REGIONS
from communications.public_cache import cache_seconds, keep_last_good, public_site_state
from communications.register_cache import public_headers
from communications.selectors.provider_list import grouped, provider_list_version, public_provider_listings
from communications.selectors.register import register_version

KEY_PREFIX = "public-site:providers"


def _region(request: HttpRequest) -> str:
    return request.GET.get("region", "")


def _tag(request: HttpRequest) -> str:
    """The ETag (and cache key) of the page: everything it shows may change with, and its address."""
    found: str | None = getattr(request, "_provider_list_tag", None)
    if found is None:
        host = request.META.get("HTTP_HOST", "")
        where = f"{request.scheme}://{host}{request.path}?{urlencode({'region': _region(request)})}"
        shown = "|".join((public_site_state(request).version, register_version(), provider_list_version(), where))
        found = '"' + hashlib.sha256(shown.encode()).hexdigest()[:40] + '"'
        request._provider_list_tag = found  # type: ignore[attr-defined]
    return found


def _page(request: HttpRequest) -> HttpResponse:
    form = ProviderListFilter(request.GET)
    valid = form.is_valid()
    region = form.cleaned_data["region"] if valid else ""
    listings = public_provider_listings(region=region)
    context = {
        "form": form,
        "errors": not valid,
        "region": region,
        "regions": REGIONS,
        "groups": grouped(listings),
        "count": len(listings),
    }
    return render(request, "communications/public/site/provider_list.html", context, status=200 if valid else 400)


@public
@require_safe
def provider_list(request: HttpRequest) -> HttpResponseBase:
    tag = _tag(request)
    not_modified = get_conditional_response(request, etag=tag)
    if not_modified is not None:
        return public_headers(not_modified, tag)
    keep = settings.PUBLIC_PAGE_CACHE
    key = f"{KEY_PREFIX}:{tag.strip(chr(34))}"
    stored = cache.get(key) if keep else None
    if stored is not None:
        return public_headers(HttpResponse(stored), tag)
    response = _page(request)
    if response.status_code != 200:
        return response
    if keep:
        cache.set(key, response.content, cache_seconds())
    return keep_last_good(public_headers(response, tag))
