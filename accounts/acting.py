"""Who is acting, and what they sent: the two things every staff page and API action reads from its request first."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer

from accounts.models import User


def acting_user(request: HttpRequest | Request) -> User:
    """The signed-in user making ``request``.

    Every caller is already behind a sign-in check, so an anonymous user here is refused (403) rather than handed on
    to selectors and services that expect a ``User``."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user


def validated(serializer_class: type[BaseSerializer[Any]], request: Request, data: Any = None) -> dict[str, Any]:
    """What ``serializer_class`` makes of the request body, or of ``data`` (such as the query parameters) if given.

    The serializer gets the request in its context; invalid input raises DRF's ``ValidationError``, a 400 that names
    each field at fault."""
    serializer = serializer_class(data=request.data if data is None else data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
