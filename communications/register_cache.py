"""Caching of the public register of special measures: its page, open data, feed and API.

The register shows episodes, reports and ratings, which the public site version (``communications.public_cache``,
worked out from notices) does not follow, so these answers are not stored by the page cache middleware. Each is
kept in the shared cache instead under a key made of the **register version** (``register_version``: one query,
changing with any episode, report or rating and with the day), what is answered (page, JSON, CSV, feed or API) and
the address: host, path and every query parameter that changes the answer, each value as given. Two answers that
differ in anything never share a key. The key is also the ETag, so a reader's browser that has the current answer
gets a 304 without any rendering. ``PUBLIC_PAGE_CACHE=false`` turns the shared cache off here too (answers are
then built for every request, still with their ETag).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import urlencode

from communications.public_cache import cache_seconds, keep_last_good
from communications.selectors.register import register_version

# The parameters that change an answer of the register. Others (a click id) are left out of the key and ignored.
PARAMETERS = ("region", "kind", "status", "page", "page_size")
KEY_PREFIX = "public-site:register"


def known_parameters(request: HttpRequest) -> list[tuple[str, str]]:
    """The query parameters that matter to the register, in a fixed order."""
    return [(name, value) for name in PARAMETERS for value in request.GET.getlist(name)]


def register_tag(request: HttpRequest, what: str) -> str:
    """The ETag (and cache key) of this answer: the register version, ``what`` is answered and the address."""
    found: dict[str, str] = getattr(request, "_register_tags", {})
    if what not in found:
        version = getattr(request, "_register_version", None) or register_version()
        request._register_version = version  # type: ignore[attr-defined]
        host = request.META.get("HTTP_HOST", "")
        where = f"{version}|{what}|{request.scheme}://{host}{request.path}?{urlencode(known_parameters(request))}"
        found[what] = '"' + hashlib.sha256(where.encode()).hexdigest()[:40] + '"'
        request._register_tags = found  # type: ignore[attr-defined]
    return found[what]


def cache_key(tag: str) -> str:
    return f"{KEY_PREFIX}:{tag.strip(chr(34))}"


def public_headers(response: HttpResponseBase, tag: str) -> HttpResponseBase:
    response["ETag"] = tag
    patch_cache_control(response, public=True, max_age=cache_seconds())
    return response


def cached_register_answer(what: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponseBase]]:
    """Serves a register view's answer from the shared cache, or a 304 to a browser that has it, and stores a
    fresh 200 answer (its body and content headers) for the cache time."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            tag = register_tag(request, what)
            not_modified = get_conditional_response(request, etag=tag)
            if not_modified is not None:
                return public_headers(not_modified, tag)
            keep = settings.PUBLIC_PAGE_CACHE
            stored = cache.get(cache_key(tag)) if keep else None
            if stored is not None:
                content, headers = stored
                return public_headers(HttpResponse(content, headers=headers), tag)
            response = view(request, *args, **kwargs)
            if response.status_code != 200:
                return response
            if keep:
                kept = {name: response[name] for name in ("Content-Type", "Content-Disposition") if name in response}
                cache.set(cache_key(tag), (response.content, kept), cache_seconds())
            return keep_last_good(public_headers(response, tag))

        return wrapper

    return decorate
