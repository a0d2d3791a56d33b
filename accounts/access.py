"""Who may use a view. Every page view is wrapped in exactly one of these; a test walks the URLs to check.

- ``public``: anyone, signed in or not.
- ``signed_in_with_password``: the second-factor pages, between the password and the code.
- ``staff``: a signed-in user who has passed the second factor. Object-level checks happen in
  selectors (404 for what the user may not see).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import user_has_device

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

PUBLIC = "public"
STAFF = "staff"


def public(view: View) -> View:
    view.access = PUBLIC  # type: ignore[attr-defined]
    return view


def signed_in_with_password(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.access = STAFF  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def staff(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_verified():  # type: ignore[attr-defined]
            target = "accounts:two-factor" if user_has_device(user) else "accounts:two-factor-set-up"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    wrapper.access = STAFF  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
