"""Two rules every response follows, whichever app answers: input that cannot be text is refused, and a page that
may carry personal data is never kept by a browser or a shared cache."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import add_never_cache_headers
from django.utils.functional import LazyObject, empty

from failure_regime.views.public import bad_request


def _is_text(data: bytes) -> bool:
    """Whether the bytes are UTF-8 text with no NUL. Strict decoding also refuses encoded lone surrogates."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _raw_query(request: HttpRequest) -> bytes:
    """The query string as the client sent it (WSGI hands it over as Latin-1 text), percent-escapes undone."""
    query: str = request.META.get("QUERY_STRING", "")
    try:
        raw = query.encode("iso-8859-1")
    except UnicodeEncodeError:
        raw = query.encode("utf-8", errors="surrogatepass")
    return unquote_to_bytes(raw.replace(b"+", b" "))


def _form_is_text(request: HttpRequest) -> bool:
    """Whether every field of a sent form is text with no NUL. A URL-encoded body is checked as sent (Django would
    quietly replace bytes that are not UTF-8); a multipart form's fields as Django read them."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return True
    content_type = request.content_type or ""
    if content_type == "application/x-www-form-urlencoded":
        return _is_text(unquote_to_bytes(request.body.replace(b"+", b" ")))
    if content_type == "multipart/form-data":
        return not any("\x00" in key or "\x00" in value for key, value in request.POST.items())
    return True


class RefuseUnreadableInputMiddleware:
    """Answers 400 (the branded page, or the JSON error body under /api/) to a query string or form field that
    holds a NUL or is not UTF-8, before any view, cache or database sees it. PostgreSQL cannot store a NUL, so
    such input would otherwise fail deep inside a view as a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _is_text(_raw_query(request)):
            return bad_request(request)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse], view_args: object, view_kwargs: object
    ) -> HttpResponse | None:
        # Forms are checked here rather than in __call__ so that the body is read only once a view will take it.
        if not _form_is_text(request):
            return bad_request(request)
        return None


# Paths whose pages are about someone (staff work, the API, accounts, the admin) or echo what a person sent.
PRIVATE_PREFIXES = ("/staff/", "/api/", "/admin/", "/sign-in/", "/sign-out/", "/contact-us/sent/", "/calendar/")


def _signed_in(request: HttpRequest) -> bool:
    """Whether the request came from a signed-in person, found without reading a session the view did not read
    (reading it would add ``Vary: Cookie`` to a page that is the same for everyone). A page that never asked who
    is signed in cannot show anything personal."""
    user = request.__dict__.get("user")
    if isinstance(user, LazyObject) and user._wrapped is empty:
        user = None  # the view never asked who is signed in
    if user is not None:
        return bool(user.is_authenticated)
    session = getattr(request, "session", None)
    return session is not None and session.accessed and SESSION_KEY in session


def _deliberately_public(response: HttpResponseBase) -> bool:
    return "public" in response.get("Cache-Control", "").lower()


def must_not_be_stored(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Whether the response may hold personal data, so that no browser or shared cache may keep it: every answer
    to a signed-in person, every form sent, and every staff, API, account and admin page, except a public page
    or endpoint that marked itself ``Cache-Control: public`` for someone not signed in."""
    if _signed_in(request):
        return True
    if _deliberately_public(response):
        return False
    return request.method not in ("GET", "HEAD") or request.path.startswith(PRIVATE_PREFIXES)


class NoStoreMiddleware:
    """Sets ``Cache-Control: no-store`` (and ``Pragma: no-cache`` for old proxies) on every response that
    ``must_not_be_stored``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if must_not_be_stored(request, response):
            if "no-store" not in response.get("Cache-Control", ""):
                add_never_cache_headers(response)
            response["Pragma"] = "no-cache"
        return response
