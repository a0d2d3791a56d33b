"""The staff menu: which pages each person is shown, decided from their roles in one place.

Every page still checks access itself (selectors show only what the user may see); the menu leaves out the pages
that would always be empty or refused for someone's roles. Pages are named by URL name only, so this module
imports nothing from the apps whose pages it lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts.models import Role, User
from accounts.selectors import AUDIT_INTEGRITY_ROLES

_EVERY_ROLE = frozenset(Role)

# Each menu item, in menu order: its label, its URL name and the roles that can use the page.
_MENU: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("Home", "staff-home", _EVERY_ROLE),
    (
        "Cases",
        "regime:case-list",
        frozenset(
            {
                Role.INSPECTOR,
                Role.REGULATOR_DECISION_MAKER,
                Role.OVERSIGHT_LEAD,
                Role.TRUST_MANAGER,
                Role.TRUST_SIGN_OFF_OFFICER,
                Role.NATIONAL_OVERSIGHT,
            }
        ),
    ),
    # Concerns may come from whistleblowers: a provider's own staff see only the concerns they reported themselves.
    (
        "Concerns",
        "regime:concern-list",
        frozenset(
            {
                Role.INSPECTOR,
                Role.REGULATOR_DECISION_MAKER,
                Role.OVERSIGHT_LEAD,
                Role.NATIONAL_OVERSIGHT,
                Role.TRUST_MANAGER,
                Role.TRUST_SIGN_OFF_OFFICER,
            }
        ),
    ),
    (
        "Special measures",
        "regime:episode-list",
        frozenset(
            {
                Role.INSPECTOR,
                Role.REGULATOR_DECISION_MAKER,
                Role.OVERSIGHT_LEAD,
                Role.TRUST_MANAGER,
                Role.TRUST_SIGN_OFF_OFFICER,
                Role.NATIONAL_OVERSIGHT,
            }
        ),
    ),
    (
        "Reviews",
        "reviews:home",
        frozenset(
            {
                Role.REVIEW_CHAIR,
                Role.EXPERT_REVIEWER,
                Role.REGULATOR_DECISION_MAKER,
                Role.OVERSIGHT_LEAD,
                Role.NATIONAL_OVERSIGHT,
                Role.ADMINISTRATOR,
            }
        ),
    ),
    (
        "Notices",
        "communications:staff-notice-list",
        frozenset({Role.COMMUNICATIONS_OFFICER, Role.NATIONAL_OVERSIGHT}),
    ),
    ("Enquiries", "communications:enquiry-queue", frozenset({Role.FAMILY_LIAISON_OFFICER})),
    (
        "What is due",
        "regime:deadline-list",
        frozenset(
            {
                Role.INSPECTOR,
                Role.REGULATOR_DECISION_MAKER,
                Role.OVERSIGHT_LEAD,
                Role.TRUST_MANAGER,
                Role.TRUST_SIGN_OFF_OFFICER,
                Role.NATIONAL_OVERSIGHT,
            }
        ),
    ),
    # The whole audit trail spans every organisation: the page's own rule (``audit_integrity_visible``) decides.
    ("Audit trail", "accounts:audit-integrity", AUDIT_INTEGRITY_ROLES),
)


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    current: bool


def menu_for(*, user: User, roles: frozenset[str] | None = None, path: str = "") -> list[MenuItem]:
    """The staff menu for ``user``: (label, address, whether it is the page at ``path``) for each page their
    roles can use, in menu order. Empty for anyone not signed in. ``roles`` skips reading the user's roles
    when the caller already has them."""
    if not user.is_authenticated:
        return []
    held = roles if roles is not None else frozenset(user.memberships.values_list("role", flat=True))
    items = []
    for label, url_name, allowed in _MENU:
        if held & allowed:
            url = reverse(url_name)
            current = path == url if url_name == "staff-home" else path.startswith(url)
            items.append(MenuItem(label=label, url=url, current=current))
    return items
