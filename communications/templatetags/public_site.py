"""Template tags of the public site."""

from __future__ import annotations

from functools import cache

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()

_NAMES = {
    "home": "public:home",
    "notices": "communications:notice-list",
    "special_measures": "communications:special-measures",
    "support": "communications:support",
    "contact": "communications:enquiry-new",
    "sign_in": "accounts:sign-in",
    "feed": "communications:feed",
    "open_data_csv": "communications:open-data-csv",
    "open_data_json": "communications:open-data-json",
}


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:  # a page not built yet is left out of the navigation
        return ""


@cache
def _public_urls() -> dict[str, str]:
    return {key: _url(name) for key, name in _NAMES.items()}


@register.simple_tag
def public_urls() -> dict[str, str]:
    """The addresses the public layout links to, worked out once per process: they never change while it runs, and
    every public page shows them."""
    return _public_urls()
