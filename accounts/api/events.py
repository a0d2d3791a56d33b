"""The audit event feed: every event the caller may see, oldest first, read page by page from a cursor.

A client keeps the ``after`` value of the last page it read and asks for ``?after=<that>`` next time: it gets
each event once, in order, with no gaps, however long it was away.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from accounts import selectors
from accounts.acting import acting_user
from accounts.api.serializers import EventSerializer
from accounts.filters import EventFilter
from accounts.models import AuditEvent
from accounts.visibility import event_summary, personal_content_type_ids


def _whole_number(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError({name: ["Enter a whole number, 0 or more."]})
    return int(raw)


class SequenceCursorPagination(BasePagination):
    """Pages of events after the ``after`` sequence number. Each page costs one query, whatever its position."""

    page_size = 100
    max_page_size = 500

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        self.after = _whole_number(request, "after", 0)
        size = min(_whole_number(request, "page_size", self.page_size) or self.page_size, self.max_page_size)
        rows = list(queryset.filter(sequence__gt=self.after).order_by("sequence")[: size + 1])
        self.has_more = len(rows) > size
        rows = rows[:size]
        self.cursor = rows[-1].sequence if rows else self.after
        return rows

    def get_paginated_response(self, data: Any) -> Response:
        following = None
        if self.has_more:
            following = replace_query_param(self.request.build_absolute_uri(), "after", self.cursor)
        return Response({"after": self.cursor, "next": following, "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["after", "next", "results"],
            "properties": {
                "after": {
                    "type": "integer",
                    "example": 1234,
                    "description": "The cursor to keep: ask for ?after=<this> next time to get only newer events.",
                },
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page, while there are more events now; null when you are up to date.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "after",
                "in": "query",
                "required": False,
                "description": "Only events after this sequence number (the `after` of the last page you read).",
                "schema": {"type": "integer", "minimum": 0},
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "description": f"Events per page, up to {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


class EventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every audited event you may see, oldest first: those about objects your own lists show."""

    queryset = AuditEvent.objects.none()
    serializer_class = EventSerializer
    filterset_class = EventFilter
    pagination_class = SequenceCursorPagination

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        user = acting_user(self.request)
        return selectors.audit_event_list_for_user(user=user)

    @extend_schema(
        description=(
            "Events about the objects your lists show (cases, concerns, episodes, notices and so on), oldest "
            "first. Keep the `after` value of each page and ask for `?after=<after>` next time to resume. "
            "Events never carry changed values, and records that hold personal data have no label."
        )
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        events = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        personal = personal_content_type_ids()
        summaries = [event_summary(event, personal_type_ids=personal) for event in events]
        return self.get_paginated_response(EventSerializer(summaries, many=True).data)
