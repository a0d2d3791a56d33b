"""Request ids for logs and audit events, and the session time limits."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.access import PUBLIC
from accounts.request_id import current_request_id

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
    ) -> None:
        if getattr(view_func, "access", None) == PUBLIC:
            return
        if request.user.is_authenticated and SIGNED_IN_AT in request.session:
            now = timezone.now()
            signed_in_at = datetime.fromisoformat(request.session[SIGNED_IN_AT])
            last_seen_at = datetime.fromisoformat(request.session.get(LAST_SEEN_AT, request.session[SIGNED_IN_AT]))
            if (
                now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT
                or now - last_seen_at > settings.SESSION_IDLE_TIMEOUT
            ):
                logout(request)
                messages.info(request, "You were signed out to keep the service secure. Sign in again to carry on.")
            elif (now - last_seen_at).total_seconds() >= _LAST_SEEN_RESOLUTION_SECONDS:
                request.session[LAST_SEEN_AT] = now.isoformat()


def session_start(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """Starts both session clocks when the user signs in (a receiver of ``user_logged_in``)."""
    now = timezone.now().isoformat()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now
