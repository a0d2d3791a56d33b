"""Deployment checks of the ground floor (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def audit_chain_key_set(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Warns when the audit chain is keyed from SECRET_KEY, which would break verification if that key changed."""
    if settings.AUDIT_CHAIN_KEY:
        return []
    return [
        Warning(
            "AUDIT_CHAIN_KEY is not set, so the audit chain is keyed from SECRET_KEY.",
            hint="Set AUDIT_CHAIN_KEY to a long random value kept apart from SECRET_KEY, and never change it.",
            id="accounts.W001",
        )
    ]
