"""API of the support directory and of public enquiries.

- ``support-services``: the public directory, read-only, for anyone, with no authentication at all (so it touches
  no session and may be cached by anyone): services still offered, with their opening hours.
- ``support-directory``: the same services for staff, including those no longer offered, with the writes of
  their maintainers (add, change, opening times, out of use and back, link to and unlink from a case).
- ``enquiries``: for family liaison officers, the enquiries of their cases only (anything else is 404). The list
  carries no personal data; reading one enquiry returns what the sender told us and is recorded in the audit
  trail. Each step of handling is an action that calls one service.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.acting import acting_user, validated
from accounts.api.serializers import OrganisationSummarySerializer
from accounts.limits import max_length_of
from accounts.models import Organisation, Region, Role, User
from communications.forms.enquiries import EnquiryFilter
from communications.models import (
    AWAITING_RESPONSE,
    Enquiry,
    EnquiryCategory,
    EnquiryNote,
    NoteKind,
    OpeningTime,
    Referral,
    SupportKind,
    SupportService,
    Urgency,
    Weekday,
)
from communications.public_cache import cache_seconds
from communications.selectors import enquiries as enquiry_selectors
from communications.selectors import support as support_selectors
from communications.services import enquiries as enquiry_services
from communications.services import support as support_services
from communications.services.support import OpeningSpan
from failure_regime.api.fields import IdField, VisibleCaseIdField, VisibleOrganisationIdField
from failure_regime.api.serializers import PersonSerializer
from failure_regime.models import Case, Concern, Severity
from reviews.models import AGE_BAND_CHOICES, Cohort, ReviewRequest

# --- Serializers: the support directory ---------------------------------------------------------------------


class SupportOpeningTimeSerializer(serializers.ModelSerializer):
    class Meta:
        model = OpeningTime
        fields = ["weekday", "opens", "closes"]


class SupportOpeningHoursLineSerializer(serializers.Serializer):
    days = serializers.CharField(help_text='For example "Monday to Friday".')
    hours = serializers.CharField(help_text='For example "9am to 5pm", or "Closed".')


class PublicSupportServiceSerializer(serializers.ModelSerializer):
    provider: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="ods_code", read_only=True, help_text="ODS code, if any."
    )
    opening_times = SupportOpeningTimeSerializer(many=True, read_only=True)
    opening_hours = serializers.SerializerMethodField(help_text="The opening times in plain English.")

    class Meta:
        model = SupportService
        fields = [
            "id",
            "name",
            "kind",
            "run_by",
            "description",
            "phone",
            "textphone",
            "website",
            "email",
            "region",
            "provider",
            "open_24_hours",
            "opening_times",
            "opening_hours",
            "opening_hours_note",
            "updated_at",
        ]

    @extend_schema_field(SupportOpeningHoursLineSerializer(many=True))
    def get_opening_hours(self, service: SupportService) -> list[dict[str, str]]:
        lines = support_selectors.describe_opening_hours(
            times=service.opening_times.all(), open_24_hours=service.open_24_hours
        )
        return [{"days": days, "hours": hours} for days, hours in lines]


class SupportServiceSerializer(PublicSupportServiceSerializer):
    maintained_by = OrganisationSummarySerializer(read_only=True)

    class Meta(PublicSupportServiceSerializer.Meta):
        fields = [*PublicSupportServiceSerializer.Meta.fields, "active", "maintained_by", "created_at"]


class SupportServiceDetailSerializer(SupportServiceSerializer):
    cases = serializers.SerializerMethodField(help_text="The ids of the linked cases you can see.")

    class Meta(SupportServiceSerializer.Meta):
        fields = [*SupportServiceSerializer.Meta.fields, "cases"]

    def get_cases(self, service: SupportService) -> list[int]:
        user = self.context["request"].user
        return list(support_selectors.linked_cases_for_user(user=user, service=service).values_list("pk", flat=True))


class SupportServiceInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True)
    kind = serializers.ChoiceField(choices=SupportKind.choices)
    description = serializers.CharField(max_length=max_length_of(SupportService, "description"), allow_blank=True)
    run_by = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    textphone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    website = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    region = serializers.ChoiceField(choices=Region.choices, default=Region.NATIONAL)
    provider = serializers.SlugRelatedField(
        slug_field="ods_code",
        queryset=Organisation.objects.providers(),
        required=False,
        allow_null=True,
        default=None,
        help_text="ODS code of the provider, only for a service of one provider such as its PALS.",
    )


class SupportServiceCreateInSerializer(SupportServiceInSerializer):
    organisation = VisibleOrganisationIdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Who keeps it: one of your organisations. Needed only when you keep services for more than one.",
    )


class SupportOpeningSpanInSerializer(serializers.Serializer):
    weekday = serializers.ChoiceField(choices=Weekday.choices)
    opens = serializers.TimeField()
    closes = serializers.TimeField(help_text="00:00 means midnight at the end of the day.")


class SupportOpeningTimesInSerializer(serializers.Serializer):
    open_24_hours = serializers.BooleanField(default=False)
    opening_hours_note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    opening_times = serializers.ListField(
        child=SupportOpeningSpanInSerializer(), required=False, default=list, max_length=28, help_text="Up to 28 spans."
    )


class SupportCaseInSerializer(serializers.Serializer):
    case = VisibleCaseIdField()


# --- Serializers: enquiries ----------------------------------------------------------------------------------


class EnquirySerializer(serializers.ModelSerializer):
    """An enquiry without anything the sender told us: safe for lists."""

    handled_by = OrganisationSummarySerializer(read_only=True, allow_null=True)
    assigned_to = PersonSerializer(read_only=True, allow_null=True)
    case: serializers.PrimaryKeyRelatedField[Case] = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    cohort: serializers.PrimaryKeyRelatedField[Cohort] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Enquiry
        fields = [
            "id",
            "reference",
            "status",
            "category",
            "urgency",
            "received_at",
            "response_due_at",
            "is_overdue",
            "escalated_at",
            "responded_at",
            "closed_at",
            "handled_by",
            "assigned_to",
            "case",
            "cohort",
            "wants_case_note_review",
        ]

    def get_is_overdue(self, enquiry: Enquiry) -> bool:
        return enquiry.status in AWAITING_RESPONSE and enquiry.response_due_at < timezone.now()


class EnquiryNoteSerializer(serializers.ModelSerializer):
    written_by = PersonSerializer(read_only=True)

    class Meta:
        model = EnquiryNote
        fields = ["id", "kind", "text", "written_by", "written_at"]


class EnquiryNoteSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = EnquiryNote
        fields = ["id", "kind", "written_at"]


class ReferralSummarySerializer(serializers.ModelSerializer):
    offered_by = PersonSerializer(read_only=True)
    recorded_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Referral
        fields = ["id", "service", "status", "offered_by", "offered_at", "decided_at", "recorded_by"]


class ReferralSerializer(ReferralSummarySerializer):
    class Meta(ReferralSummarySerializer.Meta):
        fields = [*ReferralSummarySerializer.Meta.fields, "note"]


class EnquiryReviewRequestSerializer(serializers.ModelSerializer):
    """The family's request for a review of care as passed to the case's review, and the chair's answer."""

    class Meta:
        model = ReviewRequest
        fields = [
            "id",
            "status",
            "age_band",
            "text",
            "requested_at",
            "decided_at",
            "decline_reason",
            "outcome",
            "answered_at",
        ]


class EnquiryDetailSerializer(EnquirySerializer):
    """Everything the sender told us, and the handling. Reading it is recorded in the audit trail."""

    provider = OrganisationSummarySerializer(read_only=True, allow_null=True)
    review_request = EnquiryReviewRequestSerializer(read_only=True, allow_null=True)
    notes = EnquiryNoteSerializer(many=True, read_only=True)
    referrals = ReferralSerializer(many=True, read_only=True)

    class Meta(EnquirySerializer.Meta):
        fields = [
            *EnquirySerializer.Meta.fields,
            "name",
            "relation",
            "relation_detail",
            "provider",
            "provider_name",
            "worry",
            "contact_method",
            "email",
            "phone",
            "contact_times",
            "communication_needs",
            "consented_at",
            "triaged_at",
            "closure_reason",
            "notes",
            "referrals",
            "review_request",
        ]


class OfficerIdField(IdField):
    def get_queryset(self) -> QuerySet[User]:
        return User.objects.filter(is_active=True, memberships__role=Role.FAMILY_LIAISON_OFFICER).distinct()


class EnquiryTriageInSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=EnquiryCategory.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    case = VisibleCaseIdField(required=False, allow_null=True, default=None)
    assigned_to = OfficerIdField(required=False, allow_null=True, default=None, help_text="A family liaison officer.")


class EnquiryNoteInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NoteKind.choices)
    text = serializers.CharField(max_length=max_length_of(EnquiryNote, "text"))


class EnquiryRespondInSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=max_length_of(EnquiryNote, "text"), help_text="How the sender was answered, and what was said."
    )


class EnquiryCloseInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=max_length_of(Enquiry, "closure_reason"))


class ReferralOfferInSerializer(serializers.Serializer):
    service = IdField(queryset=SupportService.objects.all())
    note = serializers.CharField(
        max_length=max_length_of(Referral, "note"), required=False, allow_blank=True, default=""
    )


class EnquiryPassToReviewInSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=max_length_of(ReviewRequest, "text"),
        help_text="What the family would like reviewed, without names, NHS numbers, dates of birth or contact details.",
    )
    age_band = serializers.ChoiceField(choices=AGE_BAND_CHOICES, required=False, default="")


class EnquiryConcernInSerializer(serializers.Serializer):
    summary = serializers.CharField(
        max_length=max_length_of(Concern, "summary"),
        help_text="The concern about the provider's care, without names, NHS numbers, dates of birth or contact "
        "details: those stay with the enquiry.",
    )
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.ROUTINE)


class EnquiryConcernSerializer(serializers.Serializer):
    concern = serializers.IntegerField(source="pk", help_text="The concern raised: /api/v1/concerns/{id}/.")
    status = serializers.CharField()


class ReferralDecisionInSerializer(serializers.Serializer):
    accepted = serializers.BooleanField(help_text="True if the sender accepted the service, false if they declined.")


# --- Filters --------------------------------------------------------------------------------------------------


class PublicSupportFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SupportKind.choices)
    region = django_filters.ChoiceFilter(
        choices=Region.choices, method="filter_region", help_text="A region's own services and the national ones."
    )

    class Meta:
        model = SupportService
        fields = ["kind", "region"]

    def filter_region(self, queryset: QuerySet[SupportService], name: str, value: str) -> QuerySet[SupportService]:
        return queryset.filter(region__in={value, Region.NATIONAL})


class StaffSupportFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SupportKind.choices)
    region = django_filters.ChoiceFilter(choices=Region.choices)
    active = django_filters.BooleanFilter()

    class Meta:
        model = SupportService
        fields = ["kind", "region", "active"]


# --- Viewsets ------------------------------------------------------------------------------------------------


class PublicSupportServiceViewSet(viewsets.ReadOnlyModelViewSet):
    """The public directory of support services still offered: helplines, counselling, advocacy, patient advice
    and liaison services and bereavement support, helplines first. No authentication; may be cached."""

    queryset = SupportService.objects.none()
    serializer_class = PublicSupportServiceSerializer
    filterset_class = PublicSupportFilter
    lookup_value_regex = r"[0-9]{1,18}"
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    def get_queryset(self) -> QuerySet[SupportService]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return support_selectors.public_support_services()

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method == "GET" and response.status_code == status.HTTP_200_OK:
            patch_cache_control(response, public=True, max_age=cache_seconds())
        return response


class SupportDirectoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Every support service, for staff, including those no longer offered. Communications officers and family
    liaison officers add services for their organisation; its staff keep them up to date (anyone else: 403)."""

    queryset = SupportService.objects.none()
    filterset_class = StaffSupportFilter
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[SupportService]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return support_selectors.support_service_list_for_user(user=acting_user(self.request)).prefetch_related(
            "opening_times"
        )

    def get_serializer_class(self) -> type:
        return SupportServiceSerializer if self.action == "list" else SupportServiceDetailSerializer

    def _detail(self, service: SupportService, code: int = status.HTTP_200_OK) -> Response:
        service = self.get_queryset().get(pk=service.pk)
        return Response(SupportServiceDetailSerializer(service, context={"request": self.request}).data, status=code)

    @extend_schema(request=SupportServiceCreateInSerializer, responses={201: SupportServiceDetailSerializer})
    def create(self, request: Request) -> Response:
        """Adds a service to the directory, kept by your organisation (the one you name, if you have several)."""
        data = validated(SupportServiceCreateInSerializer, request)
        service = support_services.support_service_create(actor=acting_user(request), **data)
        return self._detail(service, status.HTTP_201_CREATED)

    @extend_schema(request=SupportServiceInSerializer, responses={200: SupportServiceDetailSerializer})
    def update(self, request: Request, pk: str) -> Response:
        """Replaces what the directory says about the service (not its opening times)."""
        service, data = self.get_object(), validated(SupportServiceInSerializer, request)
        service = support_services.support_service_update(actor=acting_user(request), service=service, **data)
        return self._detail(service)

    @extend_schema(request=SupportOpeningTimesInSerializer, responses={200: SupportServiceDetailSerializer})
    @action(detail=True, methods=["post"], url_path="opening-times")
    def opening_times(self, request: Request, pk: str) -> Response:
        """Replaces the service's opening times, or makes it open 24 hours."""
        service, data = self.get_object(), validated(SupportOpeningTimesInSerializer, request)
        spans = [OpeningSpan(**span) for span in data.pop("opening_times")]
        service = support_services.support_service_opening_times_set(
            actor=acting_user(request), service=service, opening_times=spans, **data
        )
        return self._detail(service)

    @extend_schema(request=None, responses={200: SupportServiceDetailSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str) -> Response:
        """Stops offering the service anywhere (409 if it is already out of use)."""
        service = support_services.support_service_deactivate(actor=acting_user(request), service=self.get_object())
        return self._detail(service)

    @extend_schema(request=None, responses={200: SupportServiceDetailSerializer})
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: str) -> Response:
        """Offers the service again (409 if it is already offered)."""
        service = support_services.support_service_reactivate(actor=acting_user(request), service=self.get_object())
        return self._detail(service)

    @extend_schema(request=SupportCaseInSerializer, responses={200: SupportServiceDetailSerializer})
    @action(detail=True, methods=["post"])
    def link(self, request: Request, pk: str) -> Response:
        """Shows the service on every public notice of a case (409 if it is already linked)."""
        service, data = self.get_object(), validated(SupportCaseInSerializer, request)
        service = support_services.support_service_link_to_case(
            actor=acting_user(request), service=service, case=data["case"]
        )
        return self._detail(service)

    @extend_schema(request=SupportCaseInSerializer, responses={200: SupportServiceDetailSerializer})
    @action(detail=True, methods=["post"])
    def unlink(self, request: Request, pk: str) -> Response:
        """Takes the service off the notices of a case (409 if it is not linked)."""
        service, data = self.get_object(), validated(SupportCaseInSerializer, request)
        service = support_services.support_service_unlink(
            actor=acting_user(request), service=service, case=data["case"]
        )
        return self._detail(service)


class EnquiryViewSet(viewsets.ReadOnlyModelViewSet):
    """Enquiries from the public, for the family liaison officers handling them; soonest due first."""

    queryset = Enquiry.objects.none()
    filterset_class = EnquiryFilter
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[Enquiry]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return enquiry_selectors.enquiry_queue(user=acting_user(self.request))

    def get_serializer_class(self) -> type:
        return EnquirySerializer if self.action == "list" else EnquiryDetailSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Everything the sender told us, with the notes and referrals. Each read is recorded in the audit trail."""
        enquiry = enquiry_services.enquiry_view(actor=acting_user(request), enquiry=self.get_object())
        return Response(EnquiryDetailSerializer(enquiry_selectors.enquiry_detail(enquiry=enquiry)).data)

    def _summary(self, enquiry: Enquiry) -> Response:
        return Response(EnquirySerializer(self.get_queryset().get(pk=enquiry.pk)).data)

    @extend_schema(request=EnquiryTriageInSerializer, responses={200: EnquirySerializer})
    @action(detail=True, methods=["post"])
    def triage(self, request: Request, pk: str) -> Response:
        """Files the enquiry: category, urgency (urgent: due the same working day), case and officer. Triage of a
        closed enquiry reopens it."""
        enquiry, data = self.get_object(), validated(EnquiryTriageInSerializer, request)
        enquiry = enquiry_services.enquiry_triage(actor=acting_user(request), enquiry=enquiry, **data)
        return self._summary(enquiry)

    @extend_schema(request=EnquiryNoteInSerializer, responses={201: EnquiryNoteSummarySerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str) -> Response:
        """Adds a note, a contact with the sender or an attempt to reach them, to the handling log."""
        enquiry, data = self.get_object(), validated(EnquiryNoteInSerializer, request)
        note = enquiry_services.enquiry_note_add(actor=acting_user(request), enquiry=enquiry, **data)
        return Response(EnquiryNoteSummarySerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EnquiryRespondInSerializer, responses={200: EnquirySerializer})
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str) -> Response:
        """Records the first response to the sender, which stops the response clock (409 before triage)."""
        enquiry, data = self.get_object(), validated(EnquiryRespondInSerializer, request)
        enquiry = enquiry_services.enquiry_respond(actor=acting_user(request), enquiry=enquiry, text=data["text"])
        return self._summary(enquiry)

    @extend_schema(request=EnquiryCloseInSerializer, responses={200: EnquirySerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Closes the enquiry with the reason."""
        enquiry, data = self.get_object(), validated(EnquiryCloseInSerializer, request)
        enquiry = enquiry_services.enquiry_close(actor=acting_user(request), enquiry=enquiry, reason=data["reason"])
        return self._summary(enquiry)

    @extend_schema(request=EnquiryPassToReviewInSerializer, responses={201: EnquiryReviewRequestSerializer})
    @action(detail=True, methods=["post"], url_path="review-request")
    def review_request(self, request: Request, pk: str) -> Response:
        """Passes the family's request for a review of care to the case's review chair (400 if the enquiry has no
        case, the case no review cohort or chair, or the text could identify the patient; 409 while an earlier
        request stands)."""
        enquiry, data = self.get_object(), validated(EnquiryPassToReviewInSerializer, request)
        review_request = enquiry_services.enquiry_pass_to_review(actor=acting_user(request), enquiry=enquiry, **data)
        return Response(EnquiryReviewRequestSerializer(review_request).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EnquiryConcernInSerializer, responses={201: EnquiryConcernSerializer})
    @action(detail=True, methods=["post"])
    def concern(self, request: Request, pk: str) -> Response:
        """Raises a concern about the enquiry's provider for assessment, without the family's details (400 if the
        summary holds them or the enquiry has no provider; 409 once raised)."""
        enquiry, data = self.get_object(), validated(EnquiryConcernInSerializer, request)
        concern = enquiry_services.enquiry_raise_concern(actor=acting_user(request), enquiry=enquiry, **data)
        return Response(EnquiryConcernSerializer(concern).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReferralOfferInSerializer, responses={201: ReferralSummarySerializer})
    @action(detail=True, methods=["post"])
    def referrals(self, request: Request, pk: str) -> Response:
        """Records that a support service was offered to the sender (409 while an earlier offer stands)."""
        enquiry, data = self.get_object(), validated(ReferralOfferInSerializer, request)
        referral = enquiry_services.referral_offer(actor=acting_user(request), enquiry=enquiry, **data)
        return Response(ReferralSummarySerializer(referral).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReferralDecisionInSerializer, responses={200: ReferralSummarySerializer})
    @action(detail=True, methods=["post"], url_path=r"referrals/(?P<referral_pk>[0-9]{1,18})/decision")
    def referral_decision(self, request: Request, pk: str, referral_pk: str) -> Response:
        """Records the sender's answer to an offer: accepted or declined (409 if already answered)."""
        enquiry, data = self.get_object(), validated(ReferralDecisionInSerializer, request)
        referral = enquiry.referrals.filter(pk=int(referral_pk)).first()
        if referral is None:
            raise Http404("No such referral on this enquiry.")
        referral = enquiry_services.referral_decide(
            actor=acting_user(request), referral=referral, accepted=data["accepted"]
        )
        return Response(ReferralSummarySerializer(referral).data)
