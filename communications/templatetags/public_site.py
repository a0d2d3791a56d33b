"""Template tags of the public site."""

from __future__ import annotations

from datetime import date
from functools import cache

from django import template
from django.urls import NoReverseMatch, reverse

from failure_regime.dates import long_date

register = template.Library()

_NAMES = {
    "home": "public:home",
    "notices": "communications:notice-list",
    "search": "communications:search",
    "providers": "communications:provider-list",
    "findings": "reviews:summary-list",
    "join": "reviews:join",
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


@register.filter
def written_date(value: date | str | None) -> str:
    """A date as people write it, 4 December 2026, from a date or from an ISO date in a published snapshot."""
    if not value:
        return ""
    if not isinstance(value, str):
        return long_date(value)
    try:
        return long_date(date.fromisoformat(value[:10]))
    except ValueError:
        return value
