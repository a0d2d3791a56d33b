from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request


class VerifiedSessionAuthentication(SessionAuthentication):
    """A browser session counts for the API only once the user has passed the second factor."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if not getattr(request._request.user, "is_verified", lambda: False)():
            return None
        return user, None


class VerifiedSessionScheme(SessionScheme):
    """Documents the verified session in the OpenAPI schema like Django REST framework's own."""

    target_class = "accounts.api.authentication.VerifiedSessionAuthentication"
    name = "cookieAuth"
