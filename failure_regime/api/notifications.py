"""API of the caller's own notifications: list them (unread first if asked), read one, mark one or all read.
Nobody reaches another person's notifications: they answer 404."""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.acting import acting_user
from accounts.api.serializers import OrganisationSummarySerializer
from failure_regime import selectors
from failure_regime.models import Notification
from failure_regime.services.notifications import notification_mark_read, notifications_mark_all_read


class NotificationSerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer(allow_null=True)
    url = serializers.SerializerMethodField(help_text="Where it is acted on, in the browser.")
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "event", "title", "body", "url", "organisation", "statutory", "created_at", "read", "read_at"]

    def get_url(self, notification: Notification) -> str:
        return settings.SITE_URL + notification.link

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread and are now read.")


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="Only unread ones")

    class Meta:
        model = Notification
        fields = ["event"]


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's own notifications, newest first."""

    queryset = Notification.objects.none()
    lookup_value_regex = r"[0-9]{1,18}"
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.notification_list_for_user(user=acting_user(self.request)).select_related("organisation")

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        """Marks one notification read (no change if it already was)."""
        notification = self.get_object()
        notification_mark_read(actor=acting_user(request), notification=notification)
        notification.refresh_from_db(fields=["read_at"])
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: MarkedReadSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Marks every unread notification of the caller read."""
        return Response({"marked": notifications_mark_all_read(actor=acting_user(request))})
