"""The public site: the home page, notices with search and filters, each notice's page, each provider's page, the
Atom feed and open data. Everything here starts from ``Notice.objects.public()`` (through
``communications.selectors.notices``), names organisations and roles but never people, and never touches the
session or the user: pages are the same for everyone, so they are cached in the shared cache (see
``communications.public_cache``) and by browsers (``Cache-Control: public`` with an ETag), and set no cookie.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime
from html import escape
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from accounts.access import public
from accounts.models import Organisation
from communications.forms.notices import PublicNoticeFilter
from communications.models import PUBLIC_NOTICE_KINDS, NoticeStatus
from communications.public_cache import (
    cached_public_page,
    known_parameters,
    public_site_state,
)
from communications.selectors import notices as selectors
from communications.selectors import review_links
from failure_regime import selectors as regime
from failure_regime.dates import long_date
from failure_regime.episode_words import provider_stories

NOTICES_PER_PAGE = 20
FEED_SIZE = 50


@public
def ping(request: HttpRequest) -> HttpResponse:
    """The simplest page the service serves: the yardstick the public site's benchmark measures against."""
    return HttpResponse("ok", content_type="text/plain")


def _day(moment: datetime) -> str:
    return long_date(timezone.localtime(moment).date())


def summaries_html(rows: Iterable[dict[str, Any]], *, level: int = 3, with_provider: bool = True) -> SafeString:
    """Notice summaries (rows of ``public_notice_summaries``) as list items. Written here rather than in a template:
    the notice list is the busiest page of the service, and this is most of its work. Everything from the database
    is escaped. A provider's own page leaves out its name, which it would repeat on every notice."""
    kinds = PUBLIC_NOTICE_KINDS
    prefix = reverse("communications:notice-list")
    items = []
    for row in rows:
        facts = [kinds.get(row["kind"], ""), *([row["provider_name"]] if with_provider else [])]
        about = " · ".join([*facts, f"Published {_day(row['publish_at'])}"])
        if row["status"] == NoticeStatus.CORRECTED:
            about += f" · Corrected {_day(row['last_updated_at'])}"
        items.append(
            '<li class="nhsuk-u-margin-bottom-5">'
            f'<h{level} class="nhsuk-heading-s nhsuk-u-margin-bottom-1">'
            f'<a href="{prefix}{int(row["pk"])}/">{escape(row["title"])}</a></h{level}>'
            f'<p class="nhsuk-body-s nhsuk-u-secondary-text-colour nhsuk-u-margin-bottom-1">{escape(about)}</p>'
            f'<p class="nhsuk-u-margin-bottom-0">{escape(row["summary"])}</p></li>'
        )
    return mark_safe("".join(items))  # noqa: S308 - every value from the database is escaped above


class _CountedPaginator(Paginator):
    """A paginator told how many rows there are, so that it need not count them."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count


@public
@cached_public_page
def home(request: HttpRequest) -> HttpResponse:
    context = {"notices": summaries_html(selectors.public_notice_summaries()[:5])}
    return render(request, "communications/public/site/home.html", context)


FILTERS = ("q", "provider", "region", "kind")


@public
@cached_public_page
def notice_list(request: HttpRequest) -> HttpResponse:
    known = [(name, value) for name, value in known_parameters(request) if name in FILTERS]
    filterset = None
    if known:
        filterset = PublicNoticeFilter(QueryDict(urlencode(known)), queryset=selectors.public_notices())
        paginator = Paginator(filterset.qs, NOTICES_PER_PAGE)
    else:
        # Unfiltered, the list is every public notice, and the site state already knows how many.
        count = public_site_state(request).public
        paginator = _CountedPaginator(selectors.public_notices(), NOTICES_PER_PAGE, count)
    page = paginator.get_page(request.GET.get("page"))
    rows: Iterable[dict[str, Any]]
    if filterset is None:
        rows = selectors.public_summaries_page(offset=(page.number - 1) * NOTICES_PER_PAGE, limit=NOTICES_PER_PAGE)
    else:
        rows = selectors.summary_rows(page.object_list)  # type: ignore[arg-type]
    context = {
        "filter": filterset,
        "values": dict(known),
        "page": page,
        "notices": summaries_html(rows),
        "filtered": any(value.strip() for _, value in known),
        "query": urlencode(known),
        "regions": PublicNoticeFilter.base_filters["region"].extra["choices"],
        "kinds": list(PUBLIC_NOTICE_KINDS.items()),
    }
    return render(request, "communications/public/notices/notice_list.html", context)


@public
@cached_public_page
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.public_notice_page(pk=pk)
    context = {
        "notice": notice,
        "services": [] if notice.withdrawn else selectors.public_support_for_case(case_id=notice.case_id),
        "reviews": None if notice.withdrawn else review_links.case_review_links(case_id=notice.case_id),
    }
    return render(request, "communications/public/notices/notice_detail.html", context)


class NoticeFeed(Feed):
    """The newest published and corrected notices, as an Atom feed."""

    feed_type = Atom1Feed
    title = f"Notices – {settings.PUBLIC_SERVICE_NAME}"
    subtitle = "Notices, guidance and progress updates about failures of care and what is being done about them."

    def link(self) -> str:
        return reverse("communications:notice-list")

    def items(self) -> Any:
        return selectors.public_notice_summaries().order_by("-last_updated_at", "-pk")[:FEED_SIZE]

    def item_title(self, item: dict[str, Any]) -> str:
        return str(item["title"])

    def item_description(self, item: dict[str, Any]) -> str:
        return str(item["summary"])

    def item_link(self, item: dict[str, Any]) -> str:
        return reverse("communications:notice-detail", args=[item["pk"]])

    def item_pubdate(self, item: dict[str, Any]) -> Any:
        return item["publish_at"]

    def item_updateddate(self, item: dict[str, Any]) -> Any:
        return item["last_updated_at"]

    def item_categories(self, item: dict[str, Any]) -> list[str]:
        return [PUBLIC_NOTICE_KINDS[item["kind"]]]


_feed = NoticeFeed()


@public
@cached_public_page
def notice_feed(request: HttpRequest) -> HttpResponse:
    return _feed(request)


@public
@cached_public_page
def open_data_json(request: HttpRequest) -> HttpResponse:
    body = {
        "licence": "Open Government Licence v3.0",
        "fields": list(selectors.OPEN_DATA_FIELDS),
        "notices": list(selectors.open_data_rows()),
    }
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), content_type="application/json")


def _csv_cell(value: Any) -> Any:
    # A cell starting with =, +, - or @ is a formula to a spreadsheet: make it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


@public
@cached_public_page
def open_data_csv(request: HttpRequest) -> HttpResponse:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=selectors.OPEN_DATA_FIELDS)
    writer.writeheader()
    for row in selectors.open_data_rows():
        writer.writerow({key: _csv_cell(value) for key, value in row.items()})
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="notices.csv"'
    return response


# --- Provider pages ---------------------------------------------------------------------------------


# The five questions CQC asks of every provider, as the public page puts them.
KEY_QUESTIONS = (
    ("safe", "Is it safe?"),
    ("effective", "Does care work well?"),
    ("caring", "Are staff caring?"),
    ("responsive", "Does it meet people's needs?"),
    ("well_led", "Is it well led?"),
)


def _rating_rows(rating: Any) -> list[tuple[str, str]]:
    if rating is None:
        return []
    return [
        (question, getattr(rating, f"get_{field}_display")())
        for field, question in KEY_QUESTIONS
        if getattr(rating, field)
    ]


@public
@cached_public_page
def provider(request: HttpRequest, ods_code: str) -> HttpResponse:
    """A provider's public page: its cases with their published notices, whether it is in special measures, its
    published monthly progress and its latest rating. Served from the page cache (``PublicPageCacheMiddleware``)
    under its address, which holds the provider's code, and the public site version, which follows everything the
    page shows, so a busy page is rendered once per change and two providers never share one."""
    organisation = get_object_or_404(Organisation.objects.providers(), ods_code=ods_code)
    rating = regime.provider_current_ratings(providers=[organisation]).get(organisation.pk)
    context = {
        "rating": rating,
        "rating_rows": _rating_rows(rating),
        "provider": organisation,
        "stories": provider_stories(provider=organisation, today=timezone.localdate()),
        "reports": regime.published_reports(provider=organisation),
        "cases": [
            {**case, "notices": summaries_html(case["notices"], level=4, with_provider=False)}
            for case in selectors.public_cases_of(provider=organisation)
        ],
        "findings": review_links.provider_findings(provider=organisation),
    }
    return render(request, "communications/public/site/provider.html", context)
