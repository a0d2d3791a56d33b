"""The public register of special measures: its page, its open data (JSON and CSV) and its Atom feed. Public, the
same for everyone, touching no session, and served from the page cache under the public site version, which
follows the register (see ``communications.public_cache``)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from accounts.access import public
from communications.forms.register import KINDS, REGIONS, STATUSES, RegisterFilter
from communications.public_cache import cached_public_page
from communications.selectors import register as selectors
from communications.views.site import _csv_cell

ROWS_PER_PAGE = 25
FEED_SIZE = 50
FILTERS = ("region", "kind", "status")


def _filtered(request: HttpRequest) -> tuple[RegisterFilter, list[tuple[str, str]]]:
    """The register filtered by the request's region, kind and status (a value that is not on the list is a form
    error and filters nothing), and the filter values given."""
    known = [(name, value) for name in FILTERS for value in request.GET.getlist(name)[:1]]
    return RegisterFilter(QueryDict(urlencode(known)), queryset=selectors.register_episodes()), known


@public
@require_safe
@cached_public_page
def register(request: HttpRequest) -> HttpResponse:
    filterset, known = _filtered(request)
    values = dict(known)
    valid = filterset.is_valid()
    page = Paginator(selectors.row_values(filterset.qs), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "errors": not valid,
        "values": values,
        "page": page,
        "rows": selectors.register_rows(page.object_list),
        "filtered": any(value for value in values.values()),
        "query": urlencode([(name, value) for name, value in known if value]),
        "regions": REGIONS,
        "kinds": KINDS,
        "statuses": STATUSES,
    }
    return render(request, "communications/public/register/register.html", context)


def _open_data(request: HttpRequest) -> list[dict[str, Any]]:
    filterset, _ = _filtered(request)
    site = settings.SITE_URL.rstrip("/")
    rows = selectors.register_rows(selectors.row_values(filterset.qs))
    return [selectors.open_data_row(row, site=site) for row in rows]


@public
@require_safe
@cached_public_page
def register_json(request: HttpRequest) -> HttpResponse:
    body = {
        "licence": "Open Government Licence v3.0",
        "fields": list(selectors.OPEN_DATA_FIELDS),
        "episodes": _open_data(request),
    }
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), content_type="application/json")


@public
@require_safe
@cached_public_page
def register_csv(request: HttpRequest) -> HttpResponse:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=selectors.OPEN_DATA_FIELDS)
    writer.writeheader()
    for row in _open_data(request):
        writer.writerow({key: _csv_cell(value) for key, value in row.items()})
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="special-measures.csv"'
    return response


class RegisterFeed(Feed):
    """Providers put into special measures, leaving it or losing their registration, and published monthly
    progress reports, newest first."""

    feed_type = Atom1Feed
    title = f"Special measures – {settings.PUBLIC_SERVICE_NAME}"
    subtitle = "Providers put into special measures or leaving it, and their monthly progress reports."

    def link(self) -> str:
        return reverse("communications:special-measures")

    def items(self) -> list[selectors.FeedEvent]:
        return selectors.register_feed_events(size=FEED_SIZE)

    def item_title(self, item: selectors.FeedEvent) -> str:
        return item.title

    def item_description(self, item: selectors.FeedEvent) -> str:
        return item.description

    def item_link(self, item: selectors.FeedEvent) -> str:
        return reverse("provider-public", args=[item.provider_ods_code])

    def item_guid(self, item: selectors.FeedEvent) -> str:
        return f"{settings.SITE_URL.rstrip('/')}/special-measures/#{item.key}"

    def item_pubdate(self, item: selectors.FeedEvent) -> Any:
        return item.at

    def item_categories(self, item: selectors.FeedEvent) -> list[str]:
        return [item.category]


_feed = RegisterFeed()


@public
@require_safe
@cached_public_page
def register_feed(request: HttpRequest) -> HttpResponse:
    return _feed(request)
