"""Small template filters used across the service's templates."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """``{{ mapping|get_item:key }}``: a dictionary value by a key held in a variable."""
    return mapping.get(key) if hasattr(mapping, "get") else None
