"""API of review requests, for the review chair of each request's case (anyone else sees nothing, and 404 for a
single request): the requests with their status and outcome, and the chair's accept, decline and outcome actions,
each one service call. Requests are pseudonymised: a reference and an age band, never who the patient is."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.acting import acting_user, validated
from accounts.api.serializers import OrganisationSummarySerializer
from accounts.limits import max_length_of
from failure_regime.api.serializers import PersonSerializer
from reviews.models import ReviewRequest, ReviewRequestStatus
from reviews.selectors import requests as selectors
from reviews.services import requests as services


class ReviewRequestSerializer(serializers.ModelSerializer):
    case_reference = serializers.CharField(source="case.reference", read_only=True)
    requested_by_organisation = OrganisationSummarySerializer(read_only=True)
    decided_by = PersonSerializer(read_only=True, allow_null=True)
    answered_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ReviewRequest
        fields = [
            "id",
            "case",
            "case_reference",
            "cohort",
            "source_reference",
            "age_band",
            "text",
            "status",
            "requested_by_organisation",
            "requested_at",
            "decided_by",
            "decided_at",
            "decline_reason",
            "outcome",
            "answered_by",
            "answered_at",
        ]


class ReviewRequestDeclineInSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=max_length_of(ReviewRequest, "decline_reason"),
        help_text="Why it is declined: the family will be told.",
    )


class ReviewRequestOutcomeInSerializer(serializers.Serializer):
    outcome = serializers.CharField(
        max_length=max_length_of(ReviewRequest, "outcome"),
        help_text="The outcome of the review, without anything that identifies the patient.",
    )


class ReviewRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReviewRequestStatus.choices)

    class Meta:
        model = ReviewRequest
        fields = ["status", "case"]


class ReviewRequestViewSet(viewsets.ReadOnlyModelViewSet):
    """Families' requests for a review of care, passed to the review of a case that the user chairs; oldest
    first. Everyone else gets an empty list and 404."""

    queryset = ReviewRequest.objects.none()
    serializer_class = ReviewRequestSerializer
    filterset_class = ReviewRequestFilter
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[ReviewRequest]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.review_request_list_for_user(user=acting_user(self.request)).select_related(
            "decided_by", "answered_by"
        )

    def _detail(self, review_request: ReviewRequest) -> Response:
        return Response(ReviewRequestSerializer(self.get_queryset().get(pk=review_request.pk)).data)

    @extend_schema(request=None, responses={200: ReviewRequestSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        """Accepts the request into the case-note review (409 unless it is open)."""
        review_request = services.review_request_accept(actor=acting_user(request), review_request=self.get_object())
        return self._detail(review_request)

    @extend_schema(request=ReviewRequestDeclineInSerializer, responses={200: ReviewRequestSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        """Declines the request with the reason (409 unless it is open)."""
        review_request, data = self.get_object(), validated(ReviewRequestDeclineInSerializer, request)
        review_request = services.review_request_decline(
            actor=acting_user(request), review_request=review_request, reason=data["reason"]
        )
        return self._detail(review_request)

    @extend_schema(request=ReviewRequestOutcomeInSerializer, responses={200: ReviewRequestSerializer})
    @action(detail=True, methods=["post"])
    def outcome(self, request: Request, pk: str) -> Response:
        """Records the outcome of an accepted request's review (409 unless it was accepted; 400 if the outcome
        could identify the patient)."""
        review_request, data = self.get_object(), validated(ReviewRequestOutcomeInSerializer, request)
        review_request = services.review_request_answer(
            actor=acting_user(request), review_request=review_request, outcome=data["outcome"]
        )
        return self._detail(review_request)
