"""The public list of providers at ``/providers/``: every provider the public can read something about, in three
groups (in special measures now, a response under way, in the past), each linking to its page.

The page is the same for everyone and touches no session. It is served from the page cache
(``communications.public_cache``) under its address and the public site version, which follows everything it
shows: the published notices, the register of special measures, the published findings, the cases closed and the
day. A busy list is so rendered once per change.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.access import public
from communications.forms.providers import ProviderListFilter
from communications.forms.register import REGIONS
from communications.public_cache import cached_public_page
from communications.selectors.provider_list import grouped, public_provider_listings


@public
@require_safe
@cached_public_page
def provider_list(request: HttpRequest) -> HttpResponse:
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
