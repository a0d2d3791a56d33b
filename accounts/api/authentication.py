from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request


class ApiTokenAuthentication(TokenAuthentication):
    """A person's API token (``Authorization: Token <key>``), checked against its digest and expiry by
    django-rest-knox. A key that is not UTF-8 is refused as an invalid token (401) rather than failing the request."""

    def authenticate_credentials(self, token: bytes) -> tuple[Any, Any]:
        try:
            token.decode()
        except UnicodeError:
            raise AuthenticationFailed("Invalid token.") from None
        return super().authenticate_credentials(token)


class ApiTokenScheme(KnoxTokenScheme):
    """Documents the API token in the OpenAPI schema under the name it has always had."""

    target_class = "accounts.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"


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
