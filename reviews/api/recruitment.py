"""API of recruitment: a case's campaigns with their progress against what is needed, and the applications to
them with their vetting and decision.

Only the case's review managers see its campaigns and applications (anyone else gets 404); only its
expert-recruitment lead opens and closes campaigns and vets and decides applications (403 for the other
managers). An application's personal data is read one application at a time, and every such read is recorded in
the audit trail: the list and the answers to actions carry none of it. Applying is done on the public form, not
through the API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.acting import acting_user, validated
from accounts.api.serializers import OrganisationSummarySerializer
from accounts.limits import max_length_of
from accounts.models import Organisation
from failure_regime.api.fields import IdField
from failure_regime.api.serializers import PersonSerializer
from reviews.api.serializers import SpecialtySerializer
from reviews.models import (
    Application,
    ApplicationStatus,
    Campaign,
    CampaignStatus,
    InterestKind,
    Invitation,
    Regulator,
    Seniority,
)
from reviews.selectors import recruitment as selectors
from reviews.selectors.team import managed_case_list_for_user
from reviews.services import recruitment as services

MAX_ID = 2**62


@extend_schema_field(OpenApiTypes.INT)
class ManagedCaseIdField(IdField):
    """A case whose review the caller manages; any other id reads as not found."""

    def get_queryset(self) -> QuerySet[Any]:
        return managed_case_list_for_user(user=self.context["request"].user)


@extend_schema_field(OpenApiTypes.STR)
class PlainChoiceField(serializers.ChoiceField):
    """A choice documented as a plain string (its values in the help text). Used where the same choices also appear
    as an enum elsewhere in the schema, which would otherwise give one choice set two names."""


# --- Out ----------------------------------------------------------------------------------------


class NeedProgressSerializer(serializers.Serializer):
    specialty = SpecialtySerializer()
    needed = serializers.IntegerField(help_text="How many experts in this specialty the campaign asks for.")
    applied = serializers.IntegerField(help_text="Applications offering this specialty.")
    vetted = serializers.IntegerField(help_text="Of those, not rejected and with every vetting check done.")
    approved = serializers.IntegerField(help_text="Of those, approved and invited.")
    appointed = serializers.IntegerField(help_text="Of those, appointed to the case as expert reviewers.")


class CampaignSerializer(serializers.Serializer):
    """A campaign with its progress (applied, vetted, approved and appointed against what is needed)."""

    id = serializers.IntegerField(source="campaign.pk")
    case = serializers.IntegerField(source="campaign.case_id")
    organisation = OrganisationSummarySerializer(
        source="campaign.organisation", help_text="Runs the recruitment; approved experts join it."
    )
    title = serializers.CharField(source="campaign.title")
    description = serializers.CharField(source="campaign.description")
    closes_on = serializers.DateField(source="campaign.closes_on")
    status = serializers.ChoiceField(source="campaign.status", choices=CampaignStatus.choices)
    accepting_applications = serializers.BooleanField(
        source="accepting", help_text="Open, and the closing date has not passed."
    )
    opened_by = PersonSerializer(source="campaign.opened_by")
    opened_at = serializers.DateTimeField(source="campaign.opened_at")
    closed_at = serializers.DateTimeField(source="campaign.closed_at", allow_null=True)
    applications = serializers.IntegerField(help_text="Applications received.")
    waiting = serializers.IntegerField(help_text="Applications waiting for a decision.")
    needs = NeedProgressSerializer(many=True)


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = ["sent_at", "expires_at", "accepted_at"]


class ApplicationSummarySerializer(serializers.ModelSerializer):
    """An application without its personal data: its reference, status and vetting."""

    campaign: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(read_only=True)
    specialties = SpecialtySerializer(many=True)
    vetted = serializers.BooleanField(read_only=True, help_text="Every vetting check is done.")
    expert: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="The registry entry made on approval."
    )
    invitation = serializers.SerializerMethodField()
    status: serializers.ChoiceField = PlainChoiceField(
        choices=ApplicationStatus.choices,
        help_text="`submitted` (waiting for vetting and a decision), `approved` or `rejected`.",
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "campaign",
            "specialties",
            "status",
            "registration_checked",
            "references_checked",
            "interests_checked",
            "training_checked",
            "vetted",
            "submitted_at",
            "decided_at",
            "expert",
            "invitation",
        ]

    @extend_schema_field(InvitationSerializer(allow_null=True))
    def get_invitation(self, application: Application) -> dict[str, Any] | None:
        invitation = getattr(application, "invitation", None)
        return dict(InvitationSerializer(invitation).data) if invitation is not None else None


class ApplicationSerializer(ApplicationSummarySerializer):
    """The whole application, with the applicant's personal data. Reading it is recorded."""

    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    decided_by = PersonSerializer(allow_null=True)
    regulator = serializers.ChoiceField(choices=Regulator.choices)
    seniority = serializers.ChoiceField(choices=Seniority.choices)

    class Meta(ApplicationSummarySerializer.Meta):
        fields = [
            *ApplicationSummarySerializer.Meta.fields,
            "name",
            "email",
            "phone",
            "profession",
            "regulator",
            "registration_number",
            "seniority",
            "current_employer",
            "employment_history",
            "capacity_per_week",
            "sjr_trained_on",
            "first_referee",
            "second_referee",
            "interests",
            "no_other_interests",
            "consent_given_at",
            "decision_reason",
            "decided_by",
        ]


# --- In -----------------------------------------------------------------------------------------


class NeedInSerializer(serializers.Serializer):
    specialty = serializers.CharField(max_length=100, help_text="A specialty, by name; a new name joins the list.")
    number_needed = serializers.IntegerField(min_value=1, max_value=1000)


class CampaignInSerializer(serializers.Serializer):
    case = ManagedCaseIdField(help_text="A case whose review you manage; you must be its expert-recruitment lead.")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=max_length_of(Campaign, "description"))
    closes_on = serializers.DateField(help_text="The last day applications are taken; not in the past.")
    needs = serializers.ListField(child=NeedInSerializer(), min_length=1, max_length=50)


class CampaignQuerySerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, help_text="Only this case's.")


class ApplicationQuerySerializer(serializers.Serializer):
    campaign = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Only this campaign's."
    )
    status = serializers.ChoiceField(choices=ApplicationStatus.choices, required=False)


class ChecksInSerializer(serializers.Serializer):
    """The vetting checks to record; a check left out stays as it is."""

    registration_checked = serializers.BooleanField(
        required=False, help_text="Registration checked with the regulator."
    )
    references_checked = serializers.BooleanField(required=False, help_text="References taken up.")
    interests_checked = serializers.BooleanField(required=False, help_text="Declared interests reviewed.")
    training_checked = serializers.BooleanField(required=False, help_text="Training confirmed.")


@extend_schema_serializer(component_name="ApplicationApproval")
class ApproveInSerializer(serializers.Serializer):
    employer_started_on = serializers.DateField(
        help_text="When the expert started with their current employer, as confirmed by the references."
    )
    employer_organisation = IdField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The current employer, when it is a registered organisation, so that a conflict with it is found.",
    )
    interest_organisation = IdField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The organisation the declared interests concern, if any; they are recorded against it.",
    )
    interest_kind = PlainChoiceField(
        choices=InterestKind.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed with `interest_organisation`: " + ", ".join(f"`{v}`" for v in InterestKind.values) + ".",
    )
    note = serializers.CharField(
        max_length=max_length_of(Application, "decision_reason"), required=False, allow_blank=True, default=""
    )


class RejectInSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=max_length_of(Application, "decision_reason"),
        help_text="Kept on record; the applicant is told they were not successful, not why.",
    )


# --- Views --------------------------------------------------------------------------------------


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    """Recruitment campaigns on the cases whose review you manage, with progress against what is needed."""

    queryset = Campaign.objects.none()
    serializer_class = CampaignSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[Campaign]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.campaign_list_for_user(user=acting_user(self.request))

    def _progress(self, campaign: Campaign, code: int = status.HTTP_200_OK) -> Response:
        campaign = self.get_queryset().get(pk=campaign.pk)
        [progress] = selectors.campaign_progress(campaigns=[campaign])
        return Response(CampaignSerializer(progress).data, status=code)

    @extend_schema(parameters=[CampaignQuerySerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = validated(CampaignQuerySerializer, request, data=request.query_params)
        campaigns = self.get_queryset()
        if "case" in query:
            campaigns = campaigns.filter(case=query["case"])
        page = self.paginate_queryset(campaigns)
        progress = selectors.campaign_progress(campaigns=list(page or []))
        return self.get_paginated_response(CampaignSerializer(progress, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._progress(self.get_object())

    @extend_schema(request=CampaignInSerializer, responses={201: CampaignSerializer})
    def create(self, request: Request) -> Response:
        """Opens a campaign; only the case's expert-recruitment lead may (403 for anyone else)."""
        data = validated(CampaignInSerializer, request)
        needs = [services.Need(specialty=n["specialty"], number_needed=n["number_needed"]) for n in data.pop("needs")]
        campaign = services.campaign_open(actor=acting_user(request), needs=needs, **data)
        return self._progress(campaign, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Stops the campaign taking applications (409 if it is already closed)."""
        campaign = services.campaign_close(actor=acting_user(request), campaign=self.get_object())
        return self._progress(campaign)


class ApplicationViewSet(viewsets.ReadOnlyModelViewSet):
    """Applications to the campaigns on the cases whose review you manage. The list has no personal data; reading
    one application shows it all and is recorded in the audit trail."""

    queryset = Application.objects.none()
    lookup_value_regex = r"[0-9]{1,18}"
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[Application]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.application_list_for_user(user=acting_user(self.request)).select_related("invitation")

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return ApplicationSerializer if self.action == "retrieve" else ApplicationSummarySerializer

    def get_object(self) -> Application:
        pk = self.kwargs["pk"]
        if self.action == "retrieve":
            return selectors.application_get_for_user(user=acting_user(self.request), pk=pk)
        return selectors.application_find_for_user(user=acting_user(self.request), pk=pk)

    def _summary(self, application: Application) -> Response:
        application = self.get_queryset().get(pk=application.pk)
        return Response(ApplicationSummarySerializer(application).data)

    @extend_schema(parameters=[ApplicationQuerySerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = validated(ApplicationQuerySerializer, request, data=request.query_params)
        applications = self.get_queryset()
        if "campaign" in query:
            applications = applications.filter(campaign=query["campaign"])
        if "status" in query:
            applications = applications.filter(status=query["status"])
        page = self.paginate_queryset(applications)
        return self.get_paginated_response(ApplicationSummarySerializer(page, many=True).data)

    @extend_schema(request=ChecksInSerializer, responses={200: ApplicationSummarySerializer})
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str) -> Response:
        """Records vetting checks; only the case's expert-recruitment lead vets, while no decision is made."""
        application, checks = self.get_object(), validated(ChecksInSerializer, request)
        return self._summary(
            services.application_check(actor=acting_user(request), application=application, checks=checks)
        )

    @extend_schema(request=ApproveInSerializer, responses={200: ApplicationSummarySerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Approves a fully vetted application (409 otherwise): the expert joins the registry and is e-mailed an
        invitation to create their account as an expert reviewer."""
        application, data = self.get_object(), validated(ApproveInSerializer, request)
        return self._summary(services.application_approve(actor=acting_user(request), application=application, **data))

    @extend_schema(request=RejectInSerializer, responses={200: ApplicationSummarySerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        """Turns the application down for the reason given (409 if it is already decided)."""
        application, data = self.get_object(), validated(RejectInSerializer, request)
        return self._summary(services.application_reject(actor=acting_user(request), application=application, **data))

    @extend_schema(request=None, responses={200: ApplicationSummarySerializer})
    @action(detail=True, methods=["post"], url_path="renew-invitation")
    def renew_invitation(self, request: Request, pk: str) -> Response:
        """Sends the approved expert a new invitation link; the old one stops working."""
        application = self.get_object()
        services.invitation_renew(actor=acting_user(request), application=application)
        return self._summary(application)
