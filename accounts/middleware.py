"""Request ids for logs and audit events, and the session time limits."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from accounts.access import PUBLIC
from accounts.request_id import current_request_id
from accounts.unsent import unsent_work_keep, unsent_work_sent

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id (the proxy's X-Request-ID when it is well formed) for logs and audit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


SIGNED_IN_AT = "signed_in_at"
LAST_SEEN_AT = "last_seen_at"
# Writing the session on every request costs a query; once a minute is precise enough for 30 minutes.
_LAST_SEEN_RESOLUTION_SECONDS = 60


class SessionTimeoutMiddleware:
    """Signs a user out after 30 idle minutes and, in any case, 12 hours after signing in.

    Public pages are left alone: reading the session there would add ``Vary: Cookie`` and could send a
    session cookie on a response that shared caches keep for everyone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse], view_args: object, view_kwargs: object
    ) -> HttpResponse | None:
        if getattr(view_func, "access", None) == PUBLIC:
            return None
        if request.user.is_authenticated and SIGNED_IN_AT in request.session:
            now = timezone.now()
            signed_in_at = datetime.fromisoformat(request.session[SIGNED_IN_AT])
            last_seen_at = datetime.fromisoformat(request.session.get(LAST_SEEN_AT, request.session[SIGNED_IN_AT]))
            if (
                now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT
                or now - last_seen_at > settings.SESSION_IDLE_TIMEOUT
            ):
                return self._sign_out(request)
            if (now - last_seen_at).total_seconds() >= _LAST_SEEN_RESOLUTION_SECONDS:
                request.session[LAST_SEEN_AT] = now.isoformat()
            if request.method == "POST":
                unsent_work_sent(request)
        return None

    def _sign_out(self, request: HttpRequest) -> HttpResponse | None:
        """Signs the person out. A form they sent is kept (see ``accounts.unsent``) and they are asked to sign in,
        then shown what they typed; any other request carries on, signed out."""
        user_id: int = request.user.pk  # type: ignore[assignment]  # signed in: the user has a key
        came_from = _same_site_path(request)
        logout(request)
        messages.info(request, "You were signed out to keep the service secure. Sign in again to carry on.")
        if request.method == "POST" and unsent_work_keep(request, user_id=user_id, came_from=came_from):
            messages.info(request, "What you typed has been kept. Sign in to see it and send it again.")
            return redirect_to_login(reverse("accounts:unsent-work"))
        return None


def session_idle_seconds_left(request: HttpRequest) -> int:
    """How long the signed-in person's session has left before it ends for being idle (never less than 0), or
    before its absolute end if that is sooner."""
    if SIGNED_IN_AT not in request.session:
        return int(settings.SESSION_IDLE_TIMEOUT.total_seconds())
    now = timezone.now()
    signed_in_at = datetime.fromisoformat(request.session[SIGNED_IN_AT])
    last_seen_at = datetime.fromisoformat(request.session.get(LAST_SEEN_AT, request.session[SIGNED_IN_AT]))
    left = min(
        settings.SESSION_IDLE_TIMEOUT - (now - last_seen_at), settings.SESSION_ABSOLUTE_TIMEOUT - (now - signed_in_at)
    )
    return max(0, int(left.total_seconds()))


def session_extend(request: HttpRequest) -> int:
    """Counts the person as active now (the idle clock starts again); returns the seconds the session has left."""
    request.session[LAST_SEEN_AT] = timezone.now().isoformat()
    return session_idle_seconds_left(request)


def _same_site_path(request: HttpRequest) -> str:
    """The path of the page the form was sent from, if it was on this site."""
    referer = request.headers.get("Referer", "")
    parsed = urlsplit(referer)
    if parsed.netloc != request.get_host() or not parsed.path.startswith("/"):
        return ""
    return parsed.path


def session_start(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """Starts both session clocks when the user signs in (a receiver of ``user_logged_in``)."""
    now = timezone.now().isoformat()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now
