"""One error body for every API error:

{"status": 400, "code": "invalid", "detail": "Check the fields and try again.", "errors": {"field": ["..."]}}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.errors import DomainError


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "This clashes with the object's current state."


def error_body(*, status_code: int, code: str, detail: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"status": status_code, "code": code, "detail": detail, "errors": errors or {}}


def _as_drf(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, DomainError):
        return Conflict(str(exc))
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _as_drf(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(
            status_code=response.status_code, code="invalid", detail="Check the fields and try again.", errors=data
        )
    else:
        code = getattr(exc, "default_code", "error")
        if isinstance(exc, Http404):
            code = "not_found"
        elif isinstance(exc, PermissionDenied):
            code = "permission_denied"
        elif isinstance(exc, exceptions.APIException):
            codes = exc.get_codes()
            code = codes if isinstance(codes, str) else code
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
        response.data = error_body(status_code=response.status_code, code=str(code), detail=str(detail))
    return response


def json_bad_request(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body(
            status_code=400,
            code="bad_request",
            detail="The request could not be read: it holds characters that are not text. Check it and try again.",
        ),
        status=400,
    )


def json_not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body(status_code=404, code="not_found", detail="Not found."), status=404)


def json_permission_denied(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body(
            status_code=403, code="permission_denied", detail="You do not have permission to perform this action."
        ),
        status=403,
    )


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body(status_code=500, code="server_error", detail="Something went wrong on our side. Try again later."),
        status=500,
    )


def json_unavailable(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body(
            status_code=503,
            code="service_unavailable",
            detail="The service is not available at the moment. Try again in a few minutes.",
        ),
        status=503,
    )
