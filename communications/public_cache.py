"""The public site, served from the shared cache so that a national news story does not bring it down.

Public pages are the same for everyone, so a rendered page is kept in the cache (Redis in production) under its
host, path and query and the **public site version**, and served from there by ``PublicPageCacheMiddleware``
before sessions, authentication or the database are touched. The version is a short token computed from one
aggregate query over the published notices (how many are public, the latest update and withdrawal, the next embargo
to lift) and kept in the cache:

- every notice service that changes what the public sees (publishing, a correction, a withdrawal, taking a
  publication off the schedule) drops it once its transaction commits (``public_site_changed``), so the next request
  builds pages afresh;
- it expires by itself at the next embargo time, so a scheduled notice appears on every page at that moment, with
  no task to run;
- and in any case after ``PUBLIC_CACHE_SECONDS``, which bounds how long other changes shown on these pages (a
  support service's hours, a provider's name) take to appear: the same bound ``Cache-Control: max-age`` already
  gives browsers and shared caches.

Each stored page carries an ETag, a hash of its body, so a reader's browser revalidates for a 304 without a body.
Only responses of views marked with ``cached_public_page`` are stored: public views that touch no session, set no
cookie and do not vary by cookie.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Min, Q
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

VERSION_KEY = "public-site:version"
GENERATION_KEY = "public-site:generation"
PAGE_KEY_PREFIX = "public-site:page"

# Paths whose responses may come from the cache. Anything else passes straight through, so staff pages and the
# trivial views pay nothing for this middleware.
CACHEABLE_PREFIXES = ("/notices/", "/open-data/", "/api/v1/public-notices/")
CACHEABLE_PATHS = frozenset({"/"})


def cache_seconds() -> int:
    return int(settings.PUBLIC_CACHE_SECONDS)


def _compute_version() -> tuple[str, int]:
    """The version token and how many seconds it holds: until the next embargo lifts, at most the cache time."""
    from communications.models import LIVE_STATUSES, Notice, NoticeStatus

    now = timezone.now()
    live = Q(status__in=LIVE_STATUSES, publish_at__lte=now)
    withdrawn = Q(status=NoticeStatus.WITHDRAWN)
    state = Notice.objects.filter(publish_at__isnull=False).aggregate(
        public=Count("pk", filter=live),
        updated=Max("last_updated_at", filter=live),
        withdrawn=Count("pk", filter=withdrawn),
        withdrawn_at=Max("withdrawn_at", filter=withdrawn),
        next_embargo=Min("publish_at", filter=Q(status=NoticeStatus.PUBLISHED, publish_at__gt=now)),
    )
    seconds = cache_seconds()
    if state["next_embargo"] is not None:
        seconds = max(1, min(seconds, math.ceil((state["next_embargo"] - now).total_seconds())))
    generation = cache.get(GENERATION_KEY, 0)
    shown = f"{generation}|{state['public']}|{state['updated']}|{state['withdrawn']}|{state['withdrawn_at']}"
    return hashlib.sha256(shown.encode()).hexdigest()[:16], seconds


def public_site_version() -> str:
    """The current public site version: read from the cache, computed with one query when missing."""
    version = cache.get(VERSION_KEY)
    if version is None:
        version, seconds = _compute_version()
        cache.set(VERSION_KEY, version, seconds)
    return str(version)


def public_site_changed() -> None:
    """What the public sees has changed: pages are built afresh from the next request. Call it on commit."""
    cache.set(GENERATION_KEY, time.time_ns(), None)
    cache.delete(VERSION_KEY)


def cached_public_page(view: View) -> View:
    """Marks a public view's successful responses as the same for everyone: ``Cache-Control: public`` with the
    cache time, and stored by ``PublicPageCacheMiddleware`` when the view's path is one it serves."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=cache_seconds())
            response.public_cache = True  # type: ignore[attr-defined]
        return response

    return wrapper  # type: ignore[return-value]


def etag_of(content: bytes) -> str:
    return '"' + hashlib.md5(content, usedforsecurity=False).hexdigest() + '"'


def _page_key(request: HttpRequest, version: str) -> str:
    where = f"{request.scheme}://{request.META.get('HTTP_HOST', '')}{request.get_full_path()}"
    return f"{PAGE_KEY_PREFIX}:{version}:{hashlib.md5(where.encode(), usedforsecurity=False).hexdigest()}"


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
        key = _page_key(request, public_site_version())
        stored = cache.get(key)
        if stored is not None:
            status, headers, content = stored
            hit = HttpResponse(content, status=status, headers=headers)
            return get_conditional_response(request, etag=headers.get("ETag"), response=hit) or hit
        response = self.get_response(request)
        if not isinstance(response, HttpResponse) or not _storable(response):
            return response
        content = response.content
        if not response.has_header("ETag"):
            response["ETag"] = etag_of(content)
        cache.set(key, (response.status_code, dict(response.items()), content), cache_seconds())
        return get_conditional_response(request, etag=response["ETag"], response=response) or response
