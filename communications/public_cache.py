"""The public site, served from the shared cache so that a national news story does not bring it down.

Public pages are the same for everyone, so a rendered page is kept in the cache (Redis in production) under its
host, path and query and the **public site version**, and served from there by ``PublicPageCacheMiddleware``
before sessions, authentication or the database are touched. The version is one short token for everything public
pages show: the published notices (one aggregate query: how many are public, the latest update and withdrawal, the
next embargo to lift), the register of special measures (``register_version``), the published findings, the
closed cases and the day. It is worked out once per change for the whole site and kept in the cache:

- every notice service that changes what the public sees (publishing, a correction, a withdrawal, taking a
  publication off the schedule) drops it (``public_site_changing``), and so does saving or deleting any other
  record a public page shows (providers, cases, episodes, extensions, reports, inspections, published findings:
  ``public_records_follow``), so the next request builds pages afresh;
- it expires by itself at the next embargo time, so a scheduled notice appears on every page at that moment, with
  no task to run, and at midnight, since what pages say of a date depends on the day;
- and in any case after ``PUBLIC_CACHE_SECONDS``, which bounds how long other changes shown on these pages (a
  support service's hours, a change made around the ORM) take to appear: the same bound ``Cache-Control: max-age``
  already gives browsers and shared caches.

A page's key holds its address, so two pages never share an entry: the provider page's address holds the
provider's code, and two providers with the same name have two pages.

Only the parameters that change a page (``KEY_PARAMETERS``) are part of its key, so links carrying a social
network's click id do not each miss the cache. ``PUBLIC_PAGE_CACHE=false`` turns the page cache off (pages are then
rendered for every request, still with their ETag).

Each stored page carries an ETag, a hash of its body, so a reader's browser revalidates for a 304 without a body.
Only responses of views marked with ``cached_public_page`` are stored: public views that touch no session, set no
cookie and do not vary by cookie.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.text import compress_string

from communications.models import embargoed_notice_sql, public_notice_sql
from communications.selectors.provider_list import provider_list_version
from communications.selectors.register import register_version

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

VERSION_KEY = "public-site:version"
GENERATION_KEY = "public-site:generation"
PAGE_KEY_PREFIX = "public-site:page:2"

# Paths whose responses may come from the cache. Anything else passes straight through, so staff pages and the
# trivial views pay nothing for this middleware.
CACHEABLE_PREFIXES = (
    "/notices/",
    "/open-data/",
    "/api/v1/public-notices/",
    "/search/",
    "/providers/",
    "/special-measures/",
)
CACHEABLE_PATHS = frozenset({"/"})


def cache_seconds() -> int:
    return int(settings.PUBLIC_CACHE_SECONDS)


def keep_last_good(response: HttpResponseBase) -> HttpResponseBase:
    """Marks a freshly rendered public answer (not one served from a cache) to be kept as the last good copy of
    its page, for ``LastGoodCopyMiddleware`` to serve while the database is out of reach."""
    response.last_good = True  # type: ignore[attr-defined]
    return response


# What is public and what is embargoed are the model's rules, written in when this module is loaded.
_PUBLIC = public_notice_sql("n", "%(now)s")
_STATE_SQL = f"""
    SELECT COUNT(*) FILTER (WHERE {_PUBLIC}),
           MAX(n.last_updated_at) FILTER (WHERE {_PUBLIC}),
           COUNT(*) FILTER (WHERE n.status = 'withdrawn'),
           MAX(n.withdrawn_at) FILTER (WHERE n.status = 'withdrawn'),
           MIN(n.publish_at) FILTER (WHERE {embargoed_notice_sql("n", "%(now)s")})
      FROM communications_notice n
     WHERE n.publish_at IS NOT NULL
"""  # noqa: S608 - the conditions are built from code constants; the time is a parameter


@dataclass(frozen=True)
class SiteState:
    """The public site version, and how many notices are public (the unfiltered list's length)."""

    version: str
    public: int
    expires_at: float = 0.0


def _as_datetime(value: object) -> datetime | None:
    """A time as the database gave it: a datetime from PostgreSQL, a UTC string from SQLite."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, datetime):
        return None
    return timezone.make_aware(value, UTC) if timezone.is_naive(value) else value


def _compute_state() -> tuple[SiteState, int]:
    """The state and how many seconds it holds: until the next embargo lifts or the day ends, at most the cache
    time. Four small queries: the notices' state (written out, one aggregate), the register's version, the published
    findings and the closed cases; they run only when no process has the state."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_STATE_SQL, {"now": connection.ops.adapt_datetimefield_value(now)})
        public, updated, withdrawn, withdrawn_at, next_embargo = cursor.fetchone()
    seconds = min(cache_seconds(), _seconds_to_midnight(now))
    lifts = _as_datetime(next_embargo)
    if lifts is not None:
        seconds = max(1, min(seconds, math.ceil((lifts - now).total_seconds())))
    generation = cache.get(GENERATION_KEY, 0)
    shown = f"{generation}|{public}|{updated}|{withdrawn}|{withdrawn_at}|{_other_records_version()}"
    version = hashlib.sha256(shown.encode()).hexdigest()[:16]
    return SiteState(version, int(public), time.time() + seconds), seconds


def _seconds_to_midnight(now: datetime) -> int:
    """Seconds until the local day ends: what pages say of a date (due, overdue) depends on the day."""
    local = timezone.localtime(now)
    return max(1, math.ceil(86400 - (local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6)))


def _other_records_version() -> str:
    """The version of what public pages show besides notices: the register (episodes, reports, inspections and
    ratings, providers, and the day), the published findings of reviews and which cases are closed."""
    return f"{register_version()}|{provider_list_version()}"


# Each process keeps the state it last read for up to this long (and never past its expiry), so that a page served
# from the cache costs one read of the shared cache rather than two. A change made in another process therefore
# shows here within this time.
LOCAL_SECONDS = 1.0
_local: list[SiteState] = []


def public_site_state(request: HttpRequest | None = None) -> SiteState:
    """The current public site state: from this process's memory for up to ``LOCAL_SECONDS``, else from the cache,
    else computed with one query. The middleware leaves it on the request, so a page reads it once."""
    found = getattr(request, "public_site_state", None)
    if found is not None:
        return found
    now = time.time()
    if _local and _local[0].expires_at > now:
        state = _local[0]
    else:
        state = cache.get(VERSION_KEY)
        if not isinstance(state, SiteState) or state.expires_at <= now:
            state, seconds = _compute_state()
            cache.set(VERSION_KEY, state, seconds)
        _local[:] = [SiteState(state.version, state.public, min(state.expires_at, now + LOCAL_SECONDS))]
    if request is not None:
        request.public_site_state = state  # type: ignore[attr-defined]
    return state


def forget_local_state() -> None:
    """Drops this process's copy of the state (the next read goes to the shared cache)."""
    _local.clear()


def public_site_changed() -> None:
    """What the public sees has changed: pages are built afresh from the next request. Call it on commit."""
    forget_local_state()
    cache.set(GENERATION_KEY, time.time_ns(), None)
    cache.delete(VERSION_KEY)


def public_site_changing() -> None:
    """What the public sees is changing in the current transaction: drops the version now (for the rest of the
    transaction and for tests, which never commit) and again once the transaction commits, so that no page rendered
    meanwhile from the data before the commit is kept under the new version."""
    public_site_changed()
    transaction.on_commit(public_site_changed)


def _public_record_changed(**kwargs: Any) -> None:
    public_site_changing()


def public_records_follow() -> None:
    """Drops the public site version whenever a record that public pages show is saved or deleted through the ORM:
    providers, cases, special measures (episodes, extensions, reports, inspections and ratings) and published
    findings. Notices drop it themselves (``public_site_changed``). Changes made around the ORM (a bulk update)
    show within the cache time, as the support directory's do. Called once, from ``CommunicationsConfig.ready``."""
    from accounts.models import Organisation
    from failure_regime.models import Case, Episode, Extension, Inspection, MonthlyReport
    from reviews.models import FindingsSummary

    for model in (Organisation, Case, Episode, Extension, Inspection, MonthlyReport, FindingsSummary):
        post_save.connect(_public_record_changed, sender=model, dispatch_uid=f"public-site:{model._meta.label}:save")
        post_delete.connect(
            _public_record_changed, sender=model, dispatch_uid=f"public-site:{model._meta.label}:delete"
        )


def cached_public_page(view: View) -> View:
    """Marks a public view's successful responses as the same for everyone: ``Cache-Control: public`` with the
    cache time, and stored by ``PublicPageCacheMiddleware`` when the view's path is one it serves."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=cache_seconds())
            response.public_cache = True  # type: ignore[attr-defined]
            keep_last_good(response)
        return response

    return wrapper  # type: ignore[return-value]


def etag_of(content: bytes) -> str:
    return '"' + hashlib.md5(content, usedforsecurity=False).hexdigest() + '"'


# Only these parameters change a public page; others (a social network's click id, say) must not make every
# visitor miss the cache, so they are left out of the key, and the pages never echo them back.
KEY_PARAMETERS = ("q", "provider", "region", "kind", "status", "page", "page_size")


def known_parameters(request: HttpRequest) -> list[tuple[str, str]]:
    """The query parameters that matter to public pages, in a fixed order."""
    return [(name, value) for name in KEY_PARAMETERS for value in request.GET.getlist(name)]


def _page_key(request: HttpRequest, version: str) -> str:
    return _where_key(request, f"{PAGE_KEY_PREFIX}:{version}", known_parameters(request))


def _where_key(request: HttpRequest, prefix: str, parameters: list[tuple[str, str]]) -> str:
    where = f"{request.scheme}://{request.META.get('HTTP_HOST', '')}{request.path}?{urlencode(parameters)}"
    return f"{prefix}:{hashlib.md5(where.encode(), usedforsecurity=False).hexdigest()}"


def _cacheable(request: HttpRequest) -> bool:
    return request.method in ("GET", "HEAD") and (
        request.path in CACHEABLE_PATHS or request.path.startswith(CACHEABLE_PREFIXES)
    )


def _storable(response: HttpResponseBase) -> bool:
    return (
        getattr(response, "public_cache", False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "cookie" not in response.get("Vary", "").lower()
    )


class PublicPageCacheMiddleware:
    """Serves public pages from the shared cache, and stores them there on the way out.

    It stands just after the request id and before the session middleware: a page served from the cache costs two
    cache reads (the version and the page) and no session, user or database work. Pages it stores were made by the
    rest of the stack, so they already carry its security headers (Content-Security-Policy, X-Frame-Options)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not _cacheable(request):
            return self.get_response(request)
        keep = settings.PUBLIC_PAGE_CACHE
        try:
            key = _page_key(request, public_site_state(request).version) if keep else ""
        except DatabaseError:
            # The version cannot be worked out: the view will find the database out of reach too, and the fault
            # handler answers for it (with the page's last good copy, if there is one).
            return self.get_response(request)
        stored = cache.get(key) if keep else None
        if stored is not None:
            return _from_cache(request, *stored)
        response = self.get_response(request)
        if not isinstance(response, HttpResponse) or not _storable(response):
            return response
        content = response.content
        if not response.has_header("ETag"):
            response["ETag"] = etag_of(content)
        patch_vary_headers(response, ["Accept-Encoding"])
        if keep:
            gzipped = len(content) >= GZIP_FROM_BYTES
            body = compress_string(content) if gzipped else content
            cache.set(key, (response.status_code, dict(response.items()), body, gzipped), cache_seconds())
        return get_conditional_response(request, etag=response["ETag"], response=response) or response


# A page at least this long is kept gzipped, and sent so to the browsers that accept it (nearly all): a large page
# (the open data, say) then costs a fraction of the bytes to read from the cache and to send.
GZIP_FROM_BYTES = 1024
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def _from_cache(
    request: HttpRequest, status: int, headers: dict[str, str], body: bytes, gzipped: bool
) -> HttpResponseBase:
    """A stored page: as it was kept, or unzipped for a browser that does not accept gzip. The gzipped copy's ETag
    is the weak form of the page's, as Django's ``GZipMiddleware`` makes it: the same page, in other bytes."""
    etag = headers.get("ETag")
    if not gzipped:
        hit = HttpResponse(body, status=status, headers=headers)
    elif ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        hit = HttpResponse(body, status=status, headers=headers)
        hit["Content-Encoding"] = "gzip"
        hit["Content-Length"] = str(len(body))
        if etag is not None and not etag.startswith("W/"):
            hit["ETag"] = etag = f"W/{etag}"
    else:
        hit = HttpResponse(gzip.decompress(body), status=status, headers=headers)
    return get_conditional_response(request, etag=etag, response=hit) or hit


# --- The last good copy -------------------------------------------------------------------------------------------

LAST_GOOD_KEY_PREFIX = "public-site:last-good"


def _last_good_key(request: HttpRequest) -> str:
    return _where_key(request, LAST_GOOD_KEY_PREFIX, known_parameters(request))


class LastGoodCopyMiddleware:
    """Keeps the public site up while the database is out of reach, for ``PUBLIC_STALE_SECONDS``.

    Each public page rendered afresh (marked by ``keep_last_good``: the page cache's pages, the register's answers,
    the provider pages) is also kept in the shared cache as its page's last good copy, for
    ``PUBLIC_STALE_SECONDS``, under its address alone (no version). When the database cannot be reached, the fault
    handler answers 503 (``failure_regime.views.public.server_error``); for a public page read with GET this
    middleware serves its last good copy instead, with ``Age`` saying how old it is. Past that time, or for a page
    nobody has read, the 503 page stands: the service says plainly it is not available rather than show a page
    that may be wrong. Pages served from a cache are not stored again, so a busy page costs nothing more."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return response
        seconds = int(settings.PUBLIC_STALE_SECONDS)
        if seconds <= 0:
            return response
        if getattr(response, "database_unavailable", False):
            return self._last_good(request, seconds) or response
        if getattr(response, "last_good", False) and isinstance(response, HttpResponse) and _storable_copy(response):
            kept = (response.status_code, dict(response.items()), response.content, time.time())
            cache.set(_last_good_key(request), kept, seconds)
        return response

    def _last_good(self, request: HttpRequest, seconds: int) -> HttpResponse | None:
        stored = cache.get(_last_good_key(request))
        if stored is None:
            return None
        status, headers, content, kept_at = stored
        if time.time() - kept_at > seconds:
            return None  # older than the setting now allows (it may have been shortened since)
        copy = HttpResponse(content, status=status, headers=headers)
        copy["Age"] = str(max(0, int(time.time() - kept_at)))
        # Browsers and shared caches ask again soon: the next answer may be the live page.
        copy["Cache-Control"] = "public, max-age=60"
        return copy


def _storable_copy(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "cookie" not in response.get("Vary", "").lower()
    )
