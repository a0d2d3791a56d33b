"""Walks every URL pattern: each must say who may use it, and no non-public one may serve the public."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.permissions import AllowAny

from accounts.access import PUBLIC, STAFF

pytestmark = pytest.mark.django_db


@dataclass
class Route:
    path: str
    callback: Any
    namespace: str


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace or "") if n)
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield Route(prefix + str(pattern.pattern), pattern.callback, namespace)


def _example_path(route: str) -> str:
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    path = re.sub(r"<(?:int:)?pk>|<int:\w+>", "1", path)
    path = re.sub(r"<(?:\w+:)?\w+>", "x", path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\", "")


def classify(route: Route) -> str | None:
    if route.namespace.split(":")[0] == "admin":
        return "admin"
    view_class = getattr(route.callback, "cls", None) or getattr(route.callback, "view_class", None)
    if view_class is not None and hasattr(view_class, "permission_classes"):
        return PUBLIC if list(view_class.permission_classes) == [AllowAny] else "api"
    return getattr(route.callback, "access", None)


ROUTES = list(_walk(get_resolver().url_patterns))


def test_the_walker_finds_the_routes() -> None:
    assert {"staff/", "healthz", "api/v1/organisations/"} <= {r.path.replace("^", "").replace("$", "") for r in ROUTES}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.path)
def test_every_url_says_who_may_use_it(route: Route) -> None:
    assert classify(route) in {PUBLIC, STAFF, "api", "admin"}, f"{route.path} does not say who may use it"


@pytest.mark.parametrize("route", [r for r in ROUTES if classify(r) in {STAFF, "api"}], ids=lambda r: r.path)
def test_every_non_public_url_refuses_the_public(route: Route, client: Client) -> None:
    response = client.get(_example_path(route.path))
    if classify(route) == "api":
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_the_admin_site_refuses_the_public(client: Client) -> None:
    response = client.get("/admin/")
    admin_login = client.get(response["Location"])
    assert admin_login["Location"].startswith("/sign-in/")
