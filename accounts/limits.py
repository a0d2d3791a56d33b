"""The length limit of a text that people type is set once, on the model field; forms and API serializers
read it from there, so that a page and the API never accept different lengths."""

from __future__ import annotations

from django.db import models


def max_length_of(model: type[models.Model], field: str) -> int:
    """The ``max_length`` of ``model.field``; a field with no limit is a mistake, so it raises."""
    model_field = model._meta.get_field(field)
    limit = getattr(model_field, "max_length", None)
    if not isinstance(limit, int):
        raise TypeError(f"{model.__name__}.{field} has no max_length")
    return limit
