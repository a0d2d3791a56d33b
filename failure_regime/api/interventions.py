"""API of the interventions register of episodes of special measures.

``interventions/`` lists the interventions of the episodes the caller may see (``?episode=`` for one episode's
register, ``?kind=``, ``?status=``, ``?current=true``) and records one. Each change is an explicit action calling one
service: ``review`` (status now and the next review date), ``hand-over`` (a new improvement director replaces the
current one; both are kept) and ``end``. Licence conditions and undertakings are recorded and changed only by the
oversight leads of the provider's oversight body (403 for anyone else); other kinds by whoever decides the
provider's special measures. An episode or intervention the caller may not see reads as not found; a change the
intervention's state does not allow (an ended one, a second improvement director) answers 409 or 400.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.acting import acting_user, validated
from accounts.api.serializers import OrganisationSummarySerializer
from accounts.limits import max_length_of
from accounts.models import Organisation, User
from accounts.selectors import organisation_list_for_user
from failure_regime import selectors
from failure_regime.api.fields import IdField, VisibleOrganisationIdField
from failure_regime.api.serializers import PersonSerializer
from failure_regime.models import Episode, Intervention, InterventionKind, InterventionStatus
from failure_regime.services import interventions as services

ID_REGEX = r"[0-9]{1,18}"
OPENING_STATUS_CHOICES = [(s.value, s.label) for s in services.OPENING_STATUSES]
REVIEW_STATUS_CHOICES = [(s.value, s.label) for s in (InterventionStatus.IN_PLACE, InterventionStatus.UNDER_REVIEW)]


# --- Filters ------------------------------------------------------------------------------------


class InterventionFilter(django_filters.FilterSet):
    episode = django_filters.NumberFilter(field_name="episode_id", label="Episode")
    kind = django_filters.ChoiceFilter(choices=InterventionKind.choices)
    status = django_filters.ChoiceFilter(choices=InterventionStatus.choices)
    current = django_filters.BooleanFilter(method="filter_current", label="Only those not ended")

    class Meta:
        model = Intervention
        fields = ["episode", "kind", "status", "current"]

    def filter_current(self, queryset: QuerySet[Intervention], name: str, value: bool | None) -> QuerySet[Intervention]:
        if value is None:
            return queryset
        if value:
            return queryset.exclude(status=InterventionStatus.ENDED)
        return queryset.filter(status=InterventionStatus.ENDED)


# --- Out ----------------------------------------------------------------------------------------


class InterventionOutSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=InterventionKind.choices)
    status = serializers.ChoiceField(choices=InterventionStatus.choices)
    episode: serializers.PrimaryKeyRelatedField[Episode] = serializers.PrimaryKeyRelatedField(read_only=True)
    partner = OrganisationSummarySerializer(allow_null=True)
    owner = PersonSerializer()
    owner_organisation = OrganisationSummarySerializer()
    replaces: serializers.PrimaryKeyRelatedField[Intervention] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The improvement director this one took over from."
    )

    class Meta:
        model = Intervention
        fields = [
            "id",
            "episode",
            "kind",
            "title",
            "description",
            "person_name",
            "person_organisation",
            "partner",
            "starts_on",
            "ends_on",
            "owner",
            "owner_organisation",
            "review_on",
            "status",
            "replaces",
            "end_reason",
            "recorded_at",
        ]


# --- In -----------------------------------------------------------------------------------------


class VisibleEpisodeIdField(IdField):
    """An episode among those the caller may see; any other id reads as not found."""

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.episode_list_for_user(user=self.context["request"].user)


class OwnerIdField(IdField):
    """A person working for an organisation the caller may see."""

    def get_queryset(self) -> QuerySet[Any]:
        visible = organisation_list_for_user(user=self.context["request"].user)
        return User.objects.filter(is_active=True, memberships__organisation__in=visible).distinct()


class OwnerMixin(serializers.Serializer):
    owner = OwnerIdField(queryset=User.objects.none(), required=False, help_text="Who owns it; the caller if left out.")
    owner_organisation = VisibleOrganisationIdField(
        required=False,
        help_text="The organisation the owner acts for: the provider, its oversight body, the body that decided "
        "the entry or, for a partner agreement, the partner. Worked out from the owner if left out.",
    )


class InterventionInSerializer(OwnerMixin):
    episode = VisibleEpisodeIdField(queryset=Episode.objects.none())
    kind = serializers.ChoiceField(choices=InterventionKind.choices)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(
        max_length=max_length_of(Intervention, "description"), required=False, allow_blank=True, default=""
    )
    person_name = serializers.CharField(
        max_length=150, required=False, allow_blank=True, default="", help_text="Improvement directors only."
    )
    person_organisation = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Improvement directors only."
    )
    partner = VisibleOrganisationIdField(
        required=False, allow_null=True, default=None, help_text="Partner or buddy trust agreements only."
    )
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    review_on = serializers.DateField()
    status = serializers.ChoiceField(
        choices=OPENING_STATUS_CHOICES, required=False, default=InterventionStatus.IN_PLACE
    )


class ReviewInSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=REVIEW_STATUS_CHOICES)
    review_on = serializers.DateField(help_text="The next review date.")
    note = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")


class HandOverInSerializer(OwnerMixin):
    person_name = serializers.CharField(max_length=150)
    person_organisation = serializers.CharField(max_length=200)
    on = serializers.DateField(help_text="The hand-over date: the previous director's last day.")
    review_on = serializers.DateField()
    note = serializers.CharField(max_length=services.HAND_OVER_NOTE_LIMIT, required=False, allow_blank=True, default="")


class EndInSerializer(serializers.Serializer):
    ended_on = serializers.DateField()
    reason = serializers.CharField(max_length=max_length_of(Intervention, "end_reason"))


def _owner(request: Request, episode: Episode, data: dict[str, Any]) -> tuple[User, Organisation]:
    owner: User = data.pop("owner", None) or acting_user(request)
    organisation: Organisation | None = data.pop("owner_organisation", None)
    if organisation is None:
        organisation = services.intervention_owner_organisation(episode=episode, owner=owner)
    if organisation is None:
        raise ValidationError(
            {"owner": ["The owner must work for the provider, its oversight body or the body that decided."]}
        )
    return owner, organisation


# --- Views --------------------------------------------------------------------------------------


class InterventionViewSet(viewsets.ReadOnlyModelViewSet):
    """The interventions register: what the oversight body and others did to support and hold a provider in
    special measures to account, with owners, review dates and status."""

    queryset = Intervention.objects.none()
    lookup_value_regex = ID_REGEX
    filterset_class = InterventionFilter
    serializer_class = InterventionOutSerializer

    def get_queryset(self) -> QuerySet[Intervention]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.intervention_list_for_user(user=acting_user(self.request)).order_by("episode_id", "kind", "pk")

    def _out(self, intervention: Intervention) -> dict[str, Any]:
        fresh = self.get_queryset().get(pk=intervention.pk)
        return InterventionOutSerializer(fresh).data

    @extend_schema(request=InterventionInSerializer, responses={201: InterventionOutSerializer})
    def create(self, request: Request) -> Response:
        """Records an intervention on an open episode. Improvement directors need ``person_name`` and
        ``person_organisation`` (a second one while one is in place is refused: hand over instead); partner
        agreements need ``partner``. A licence condition or undertaking from anyone but an oversight lead of the
        provider's oversight body answers 403; a closed episode 409."""
        data = validated(InterventionInSerializer, request)
        episode = data.pop("episode")
        # Someone who may not record this kind is refused before the owner is worked out.
        services.intervention_recorder(actor=acting_user(request), episode=episode, kind=data["kind"])
        owner, owner_organisation = _owner(request, episode, data)
        intervention = services.intervention_add(
            actor=acting_user(request), episode=episode, owner=owner, owner_organisation=owner_organisation, **data
        )
        return Response(self._out(intervention), status=status.HTTP_201_CREATED)

    @extend_schema(request=ReviewInSerializer, responses={200: InterventionOutSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str) -> Response:
        """Records a review: the status now (a planned intervention may be put in place; one in place may go under
        review and back) and the next review date. Meets the review that was due. An ended intervention: 409."""
        intervention, data = self.get_object(), validated(ReviewInSerializer, request)
        intervention = services.intervention_update_status(
            actor=acting_user(request), intervention=intervention, **data
        )
        return Response(self._out(intervention))

    @extend_schema(request=HandOverInSerializer, responses={201: InterventionOutSerializer})
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request: Request, pk: str) -> Response:
        """A new improvement director takes over from this one on ``on``: this one ends that day and both are
        kept. Answers the new director's intervention. Not an improvement director, or already ended: 409."""
        intervention, data = self.get_object(), validated(HandOverInSerializer, request)
        services.intervention_recorder(actor=acting_user(request), episode=intervention.episode, kind=intervention.kind)
        owner, owner_organisation = _owner(request, intervention.episode, data)
        successor = services.improvement_director_hand_over(
            actor=acting_user(request),
            intervention=intervention,
            owner=owner,
            owner_organisation=owner_organisation,
            **data,
        )
        return Response(self._out(successor), status=status.HTTP_201_CREATED)

    @extend_schema(request=EndInSerializer, responses={200: InterventionOutSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        """Ends the intervention on ``ended_on`` with the reason, and meets its review. Already ended: 409."""
        intervention, data = self.get_object(), validated(EndInSerializer, request)
        intervention = services.intervention_end(actor=acting_user(request), intervention=intervention, **data)
        return Response(self._out(intervention))
