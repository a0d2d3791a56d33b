"""The public site's search at ``/search/?q=...``: providers, published notices, published findings and support
services, in groups, from ``communications.selectors.search``. The same for everyone: it touches no session and is
kept in the shared cache under its query like the notice list (``communications.public_cache``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.access import public
from communications.forms.search import SiteSearchForm
from communications.public_cache import cached_public_page
from communications.selectors.search import site_search


@public
@require_safe
@cached_public_page
def search(request: HttpRequest) -> HttpResponse:
    form = SiteSearchForm(request.GET if "q" in request.GET else None)
    results = site_search(text=form.cleaned_data["q"]) if form.is_bound and form.is_valid() else None
    return render(request, "communications/public/search/search.html", {"form": form, "results": results})
