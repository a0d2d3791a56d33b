"""Maps domain errors onto forms at the page interface: field errors where the service named a field,
otherwise an error for the whole form. Permission errors are left to become a 403 page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.core.exceptions import ValidationError

from accounts.errors import DomainError

T = TypeVar("T")


def run_service(form: forms.Form, call: Callable[[], T]) -> T | None:
    """Calls the service; on a validation or domain error, puts the messages on ``form`` and returns None."""
    try:
        return call()
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            form.add_error(None, error.messages)
    except DomainError as error:
        form.add_error(None, str(error))
    return None
