"""Caching of the public register's API answers (``/api/v1/public/special-measures/``).

The register's pages, open data and feed are served by the page cache (``communications.public_cache``) like every
other public page. The API negotiates its format from the ``Accept`` header, which the page cache's key leaves
out, so its answers are kept here instead: under a key made of the public site version (which follows the
register), the address (host, path and every query parameter that changes the answer) and what is answered. Two
answers that differ in anything never share a key. The key is also the ETag, so a reader who has the current
answer gets a 304 without any work. ``PUBLIC_PAGE_CACHE=false`` turns the cache off here too.
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode

from communications.public_cache import cache_seconds, known_parameters, public_site_state

KEY_PREFIX = "public-site:register"


def register_tag(request: HttpRequest, what: str) -> str:
    """The ETag (and cache key) of this answer: the public site version, ``what`` is answered and the address."""
    found: dict[str, str] = getattr(request, "_register_tags", {})
    if what not in found:
        version = public_site_state(request).version
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
