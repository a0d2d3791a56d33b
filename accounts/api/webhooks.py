"""Webhook subscriptions of the caller's organisations. Each change is an explicit action calling one service;
another organisation's subscription answers 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors, webhooks
from accounts.acting import acting_user
from accounts.api import serializers as s
from accounts.models import Organisation, WebhookSubscription

SIGNING = (
    "Each delivery is a POST of one event's JSON summary (the fields of the event feed) with the headers "
    "`X-SFR-Event-Id` (the event's sequence number), `X-SFR-Timestamp` (seconds since 1970, UTC) and "
    '`X-SFR-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the secret>`. Check the '
    "signature and refuse timestamps more than 5 minutes old; answer 2xx within 5 seconds. A failed delivery is "
    "retried with growing pauses, so the same event may come twice: handle each event id once."
)


class WebhookViewSet(viewsets.ReadOnlyModelViewSet):
    """Webhook subscriptions of the organisations where you are an administrator or manager.

    A subscription is sent every event you could read in the event feed, from the moment it is made."""

    queryset = WebhookSubscription.objects.none()
    serializer_class = s.WebhookSubscriptionSerializer
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.webhook_subscription_list_for_user(user=acting_user(self.request))

    def _organisation(self, chosen: int | None) -> Organisation:
        own = {
            m.organisation_id: m.organisation
            for m in acting_user(self.request).memberships.select_related("organisation")
        }
        if chosen is None and len(own) == 1:
            return next(iter(own.values()))
        if chosen is None or chosen not in own:
            raise ValidationError({"organisation": ["Choose one of your organisations."]})
        return own[chosen]

    @extend_schema(
        request=s.WebhookSubscriptionInSerializer,
        responses={201: s.WebhookSecretSerializer},
        description="Sets up a subscription for one of your organisations. The secret is in this answer only. "
        + SIGNING,
    )
    def create(self, request: Request) -> Response:
        data = s.WebhookSubscriptionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = webhooks.webhook_subscription_create(
            actor=acting_user(request),
            organisation=self._organisation(data.validated_data.get("organisation")),
            target_url=data.validated_data["target_url"],
            verbs=data.validated_data["verbs"],
        )
        return Response(s.WebhookSecretSerializer(subscription).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.WebhookSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        """Replaces the secret at once; the new one is in this answer only."""
        subscription = webhooks.webhook_secret_rotate(actor=acting_user(request), subscription=self.get_object())
        return Response(s.WebhookSecretSerializer(subscription).data)

    @extend_schema(request=None, responses={200: s.WebhookSubscriptionSerializer})
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str) -> Response:
        """Stops the subscription for good (409 if it is already disabled)."""
        subscription = webhooks.webhook_subscription_disable(actor=acting_user(request), subscription=self.get_object())
        return Response(s.WebhookSubscriptionSerializer(subscription).data)

    @extend_schema(responses={200: s.WebhookDeliverySerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request: Request, pk: str) -> Response:
        """The delivery log: each event sent to this subscription, newest first, with every attempt."""
        deliveries = selectors.webhook_delivery_log(subscription=self.get_object())
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(s.WebhookDeliverySerializer(page, many=True).data)

    def get_serializer_class(self) -> type[Any]:
        return s.WebhookDeliverySerializer if self.action == "deliveries" else s.WebhookSubscriptionSerializer
