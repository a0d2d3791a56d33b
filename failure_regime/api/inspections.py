"""API of CQC's inspections of any provider and of its recommendations of special measures.

``inspections/`` lists the inspections the caller may see (every published one; before publication, CQC's,
national oversight's, the provider's and its oversight body's) and lets CQC record one. ``recommendations/``
lists CQC's recommendations the caller may see; ``?awaiting_my_decision=true`` gives the caller's queue. CQC's
decision-makers recommend and withdraw; the trust's oversight leads decide once (a second decision answers 409).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.acting import acting_user, validated
from accounts.api.serializers import OrganisationSummarySerializer
from accounts.limits import max_length_of
from failure_regime import selectors
from failure_regime.api.fields import ActingForField, IdField, VisibleOrganisationIdField
from failure_regime.api.serializers import PersonSerializer
from failure_regime.filters import InspectionFilter, RecommendationFilter
from failure_regime.models import (
    Episode,
    Inspection,
    InspectionKind,
    Rating,
    Recommendation,
    RecommendationStatus,
)
from failure_regime.permissions import INSPECTION_ROLES, RECOMMENDATION_ROLES, acting_for
from failure_regime.services import inspections as inspection_services
from failure_regime.services import recommendations as recommendation_services
from failure_regime.services.inspections import RATED

ID_REGEX = r"[0-9]{1,18}"
DECISION_CHOICES = [("place", "Place in special measures"), ("not_place", "Do not place in special measures")]


# --- Out ----------------------------------------------------------------------------------------


class RatingsSerializer(serializers.Serializer):
    safe = serializers.ChoiceField(choices=Rating.choices)
    effective = serializers.ChoiceField(choices=Rating.choices)
    caring = serializers.ChoiceField(choices=Rating.choices)
    responsive = serializers.ChoiceField(choices=Rating.choices)
    well_led = serializers.ChoiceField(choices=Rating.choices)
    overall = serializers.ChoiceField(choices=Rating.choices)


class InspectionOutSerializer(serializers.ModelSerializer):
    provider = OrganisationSummarySerializer()
    kind = serializers.ChoiceField(choices=InspectionKind.choices)
    ratings = serializers.SerializerMethodField()
    episode: serializers.PrimaryKeyRelatedField[Episode] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The episode of special measures it re-inspected, if any."
    )

    class Meta:
        model = Inspection
        fields = [
            "id",
            "provider",
            "kind",
            "episode",
            "scheduled_for",
            "carried_out_on",
            "ratings",
            "report_reference",
            "report_url",
            "published_on",
        ]

    @extend_schema_field(RatingsSerializer(allow_null=True))
    def get_ratings(self, inspection: Inspection) -> dict[str, Any] | None:
        return RatingsSerializer(inspection).data if inspection.is_rated else None


class RecommendationOutSerializer(serializers.ModelSerializer):
    provider = OrganisationSummarySerializer()
    oversight_body = OrganisationSummarySerializer(source="provider.oversight_body", allow_null=True)
    inspection = InspectionOutSerializer()
    status = serializers.ChoiceField(choices=RecommendationStatus.choices)
    recommended_by = PersonSerializer()
    recommended_by_organisation = OrganisationSummarySerializer()
    decided_by = PersonSerializer(allow_null=True)
    decided_by_organisation = OrganisationSummarySerializer(allow_null=True)
    episode: serializers.PrimaryKeyRelatedField[Episode] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The episode of special measures entered on the decision to place."
    )
    decision_overdue = serializers.SerializerMethodField(
        help_text="Still awaiting a decision after the decision deadline."
    )

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "provider",
            "oversight_body",
            "inspection",
            "reasons",
            "recommended_by",
            "recommended_by_organisation",
            "recommended_at",
            "decision_due_on",
            "decision_overdue",
            "status",
            "decided_by",
            "decided_by_organisation",
            "decided_at",
            "decision_reasons",
            "episode",
        ]

    def get_decision_overdue(self, recommendation: Recommendation) -> bool:
        return recommendation.is_awaiting and recommendation.decision_due_on < timezone.localdate()


# --- In -----------------------------------------------------------------------------------------


class InspectionInSerializer(RatingsSerializer):
    acting_for = ActingForField()
    provider = VisibleOrganisationIdField()
    carried_out_on = serializers.DateField()
    report_reference = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    report_url = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="https:// address of the report."
    )
    published_on = serializers.DateField(required=False, allow_null=True, default=None)


class InspectionPublishInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    report_reference = serializers.CharField(max_length=40)
    report_url = serializers.CharField(max_length=500, help_text="https:// address of the report.")
    published_on = serializers.DateField()


class RecommendationInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    inspection = IdField(
        queryset=Inspection.objects.none(), help_text="The inspection that rated the trust inadequate."
    )
    reasons = serializers.CharField(max_length=max_length_of(Recommendation, "reasons"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["inspection"].queryset = selectors.inspection_list_for_user(  # type: ignore[attr-defined]
                user=request.user
            )


class RecommendationDecisionInSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=DECISION_CHOICES)
    reasons = serializers.CharField(max_length=max_length_of(Recommendation, "decision_reasons"))


class RecommendationWithdrawalInSerializer(serializers.Serializer):
    reasons = serializers.CharField(max_length=max_length_of(Recommendation, "decision_reasons"))


# --- Inspections --------------------------------------------------------------------------------


class InspectionViewSet(viewsets.ReadOnlyModelViewSet):
    """CQC's inspections of providers, with their ratings and published reports, newest first."""

    queryset = Inspection.objects.none()
    lookup_value_regex = ID_REGEX
    filterset_class = InspectionFilter
    serializer_class = InspectionOutSerializer

    def get_queryset(self) -> QuerySet[Inspection]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.inspection_list_for_user(user=acting_user(self.request)).order_by("-carried_out_on", "-pk")

    @extend_schema(request=InspectionInSerializer, responses={201: InspectionOutSerializer})
    def create(self, request: Request) -> Response:
        """A CQC inspector or decision-maker records an inspection of any provider: when it was carried out, the
        five key-question ratings and the overall rating, and the published report if it is out."""
        data, user = validated(InspectionInSerializer, request), acting_user(request)
        organisation = acting_for(user, INSPECTION_ROLES, data.get("acting_for"), doing="record inspections")
        inspection = inspection_services.inspection_add(
            actor=user,
            organisation=organisation,
            provider=data["provider"],
            carried_out_on=data["carried_out_on"],
            ratings={q: data[q] for q in RATED},
            report_reference=data["report_reference"],
            report_url=data["report_url"],
            published_on=data["published_on"],
        )
        return Response(InspectionOutSerializer(inspection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=InspectionPublishInSerializer, responses={200: InspectionOutSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        """Records the publication of the inspection's report: its reference, web address and date. Once only."""
        inspection, data, user = (
            self.get_object(),
            validated(InspectionPublishInSerializer, request),
            acting_user(request),
        )
        organisation = acting_for(user, INSPECTION_ROLES, data.pop("acting_for", None), doing="record inspections")
        inspection = inspection_services.inspection_publish(
            actor=user, organisation=organisation, inspection=inspection, **data
        )
        return Response(InspectionOutSerializer(inspection).data)


# --- Recommendations ----------------------------------------------------------------------------


class RecommendationApiFilter(RecommendationFilter):
    awaiting_my_decision = django_filters.BooleanFilter(
        method="filter_mine", label="Only those waiting for my decision"
    )

    class Meta(RecommendationFilter.Meta):
        fields = [*RecommendationFilter.Meta.fields, "awaiting_my_decision"]

    def filter_mine(self, queryset: QuerySet[Recommendation], name: str, value: bool) -> QuerySet[Recommendation]:
        if not value:
            return queryset
        mine = selectors.recommendations_awaiting_decision(user=self.request.user).values("pk")
        return queryset.filter(pk__in=mine)


class RecommendationViewSet(viewsets.ReadOnlyModelViewSet):
    """CQC's recommendations that trusts enter special measures, and the oversight bodies' decisions."""

    queryset = Recommendation.objects.none()
    lookup_value_regex = ID_REGEX
    filterset_class = RecommendationApiFilter
    serializer_class = RecommendationOutSerializer

    def get_queryset(self) -> QuerySet[Recommendation]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            selectors.recommendation_list_for_user(user=acting_user(self.request))
            .select_related("inspection__provider")
            .order_by("decision_due_on", "pk")
        )

    @extend_schema(request=RecommendationInSerializer, responses={201: RecommendationOutSerializer})
    def create(self, request: Request) -> Response:
        """A CQC decision-maker recommends special measures for a trust from an inspection that rated it inadequate
        overall or for being well-led. The trust's oversight body must decide by ``decision_due_on``. Another
        recommendation waiting for the same trust, or the trust already in special measures, answers 409."""
        data, user = validated(RecommendationInSerializer, request), acting_user(request)
        chosen = data.pop("acting_for", None)
        organisation = acting_for(user, RECOMMENDATION_ROLES, chosen, doing="recommend special measures")
        recommendation = recommendation_services.recommendation_make(actor=user, organisation=organisation, **data)
        return Response(self._out(recommendation), status=status.HTTP_201_CREATED)

    def _out(self, recommendation: Recommendation) -> dict[str, Any]:
        fresh = self.get_queryset().get(pk=recommendation.pk)
        return RecommendationOutSerializer(fresh).data

    @extend_schema(request=RecommendationDecisionInSerializer, responses={200: RecommendationOutSerializer})
    @action(detail=True, methods=["post"])
    def decision(self, request: Request, pk: str) -> Response:
        """The trust's oversight lead decides, once: ``place`` enters the trust into special measures today, on
        CQC's recommendation; ``not_place`` records that it will not. A second decision answers 409. A decision
        after the deadline is recorded; the deadline was escalated to national oversight."""
        recommendation, data = self.get_object(), validated(RecommendationDecisionInSerializer, request)
        recommendation = recommendation_services.recommendation_decide(
            actor=acting_user(request),
            recommendation=recommendation,
            place=data["decision"] == "place",
            reasons=data["reasons"],
        )
        return Response(self._out(recommendation))

    @extend_schema(request=RecommendationWithdrawalInSerializer, responses={200: RecommendationOutSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        """A CQC decision-maker withdraws a recommendation still waiting for a decision. Once decided, 409."""
        recommendation, data = self.get_object(), validated(RecommendationWithdrawalInSerializer, request)
        recommendation = recommendation_services.recommendation_withdraw(
            actor=acting_user(request), recommendation=recommendation, reasons=data["reasons"]
        )
        return Response(self._out(recommendation))
