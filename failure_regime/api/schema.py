"""OpenAPI: the standard error body, documented on every operation that can return it."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "required": ["status", "code", "detail", "errors"],
    "properties": {
        "status": {"type": "integer", "example": 400},
        "code": {"type": "string", "example": "invalid"},
        "detail": {"type": "string", "example": "Check the fields and try again."},
        "errors": {
            "type": "object",
            "description": "Messages for each field that was not right, by field name.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}

_DESCRIPTIONS = {
    "400": "The request was not valid; `errors` has a message for each field.",
    "401": "Not signed in, or the token is not valid.",
    "403": "Signed in, but this role may not do this.",
    "404": "Not found, or not visible to you.",
    "409": "Not allowed in the object's current state, or it clashes with what is recorded.",
    "429": "Too many requests; try again later.",
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook: documents the error responses each operation can give."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = {"400", "401", "403", "429"}
            if "{" in path or method == "get":
                codes.add("404")
            if method in {"post", "put", "patch", "delete"}:
                codes.add("409")
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(code, {"description": _DESCRIPTIONS[code], "content": ref})
    return result
