from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest

from failure_regime.navigation import MenuItem, menu_for


def service(request: HttpRequest) -> dict[str, str]:
    """``service_name``, the official name shown to staff, and ``public_service_name``, the plain name in the
    public layout's header and page titles."""
    return {"service_name": settings.SERVICE_NAME, "public_service_name": settings.PUBLIC_SERVICE_NAME}


def notifications(request: HttpRequest) -> dict[str, Callable[[], int | None]]:
    """``notifications_unread``: how many unread notifications a signed-in, verified person has (None for anyone
    else). Counted only if a template asks, so public pages never read the session for it, and at most once."""

    @cache
    def unread() -> int | None:
        from failure_regime.selectors import notifications_unread_count

        user = request.user
        if not user.is_authenticated or not getattr(user, "is_verified", lambda: False)():
            return None
        return notifications_unread_count(user=user)

    return {"notifications_unread": unread}


def staff_menu(request: HttpRequest) -> dict[str, Callable[[], list[MenuItem]]]:
    """``staff_menu``: the pages the signed-in person's roles can use (see ``navigation.menu_for``). Worked out
    only if a template asks, so public pages never read the session for it."""

    @cache
    def menu() -> list[MenuItem]:
        user = request.user
        if not user.is_authenticated or not getattr(user, "is_verified", lambda: False)():
            return []
        return menu_for(user=user, path=request.path)

    return {"staff_menu": menu}


def session_seconds_left(request: HttpRequest) -> dict[str, Callable[[], int]]:
    """``session_seconds_left``: how long the signed-in person's session has before it ends for being idle, for
    the idle warning. Worked out only if a template asks."""

    @cache
    def seconds_left() -> int:
        from accounts.middleware import session_idle_seconds_left

        return session_idle_seconds_left(request)

    return {"session_seconds_left": seconds_left}
