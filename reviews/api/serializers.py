"""API serializers of reviews: separate shapes for what comes in and what goes out. Registration numbers only
appear in the registry's own output, which only the people who keep the registry may read."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts.api.serializers import OrganisationSummarySerializer
from accounts.limits import max_length_of
from accounts.models import Organisation, User
from failure_regime.api.fields import ActingForField, IdField, VisibleCaseIdField
from failure_regime.api.serializers import PersonSerializer
from reviews.models import (
    Appointment,
    AppointmentRole,
    ConflictWaiver,
    DeclaredInterest,
    Employment,
    Expert,
    InterestKind,
    Regulator,
    Seniority,
    Specialty,
    Training,
    TrainingKind,
)
from reviews.selectors.registry import expert_list_for_user


@extend_schema_field(OpenApiTypes.INT)
class VisibleExpertIdField(IdField):
    """An expert in the registry the caller may read; any other id reads as not found."""

    def get_queryset(self) -> QuerySet[Any]:
        return expert_list_for_user(user=self.context["request"].user)


# --- Out ----------------------------------------------------------------------------------------


class SpecialtySerializer(serializers.ModelSerializer):
    class Meta:
        model = Specialty
        fields = ["id", "name"]


class ExpertSummarySerializer(serializers.ModelSerializer):
    """An expert as shown beside a case: no registration number."""

    specialties = SpecialtySerializer(many=True)

    class Meta:
        model = Expert
        fields = ["id", "name", "profession", "specialties", "seniority", "available"]


class ExpertSerializer(ExpertSummarySerializer):
    class Meta(ExpertSummarySerializer.Meta):
        fields = [
            *ExpertSummarySerializer.Meta.fields,
            "regulator",
            "registration_number",
            "capacity_per_week",
            "registered_at",
        ]


class EmploymentSerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer(allow_null=True)

    class Meta:
        model = Employment
        fields = ["id", "employer_name", "organisation", "started_on", "ended_on", "recorded_at"]


class InterestSerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer()

    class Meta:
        model = DeclaredInterest
        fields = ["id", "organisation", "kind", "description", "declared_on", "recorded_at"]


class TrainingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Training
        fields = ["id", "kind", "completed_on", "recorded_at"]


class ExpertDetailSerializer(ExpertSerializer):
    employments = EmploymentSerializer(many=True)
    interests = InterestSerializer(many=True)
    training = TrainingSerializer(many=True)

    class Meta(ExpertSerializer.Meta):
        fields = [*ExpertSerializer.Meta.fields, "employments", "interests", "training"]


class CandidateSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="1 for the best fit.")
    expert = ExpertSummarySerializer()


class ConflictWaiverSerializer(serializers.ModelSerializer):
    case: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(read_only=True)
    expert = ExpertSummarySerializer()
    waived_by = PersonSerializer()
    waived_by_organisation = OrganisationSummarySerializer()

    class Meta:
        model = ConflictWaiver
        fields = ["id", "case", "expert", "reason", "rationale", "waived_by", "waived_by_organisation", "waived_at"]


class AppointmentSerializer(serializers.ModelSerializer):
    case: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(read_only=True)
    expert = ExpertSummarySerializer()
    appointed_by = PersonSerializer()
    appointed_by_organisation = OrganisationSummarySerializer()
    active = serializers.BooleanField(read_only=True)
    ended_by = PersonSerializer(allow_null=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "case",
            "expert",
            "role",
            "declaration",
            "signed_at",
            "appointed_by",
            "appointed_by_organisation",
            "appointed_at",
            "ended_at",
            "ended_by",
            "end_reason",
            "active",
        ]


# --- In -----------------------------------------------------------------------------------------
# A body that shares a choice field with an output shape takes that shape's schema name (``InterestRequest``
# beside ``Interest``), so that the choice set gets one enum in the schema.


class ExpertInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    name = serializers.CharField(max_length=150)
    profession = serializers.CharField(max_length=100)
    regulator = serializers.ChoiceField(choices=Regulator.choices)
    registration_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    specialties = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=50, required=False, default=list
    )
    seniority = serializers.ChoiceField(choices=Seniority.choices)
    capacity_per_week = serializers.IntegerField(min_value=0, max_value=1000)
    available = serializers.BooleanField(required=False, default=True)
    user = IdField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="The expert's account, once they have one.",
    )


class EmploymentInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    employer_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    organisation = IdField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The registered organisation, when the employer is one; needed to find conflicts.",
    )
    started_on = serializers.DateField()
    ended_on = serializers.DateField(required=False, allow_null=True, default=None)


@extend_schema_serializer(component_name="Interest")
class InterestInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    organisation = IdField(queryset=Organisation.objects.all())
    kind = serializers.ChoiceField(choices=InterestKind.choices)
    description = serializers.CharField(max_length=max_length_of(DeclaredInterest, "description"))
    declared_on = serializers.DateField(required=False, allow_null=True, default=None)


@extend_schema_serializer(component_name="Training")
class TrainingInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    kind = serializers.ChoiceField(choices=TrainingKind.choices)
    completed_on = serializers.DateField()


class CandidateQuerySerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=2**62, help_text="A case you may see.")
    specialty = IdField(
        queryset=Specialty.objects.all(), required=False, help_text="Experts with this specialty come first."
    )
    min_seniority = serializers.IntegerField(
        min_value=min(Seniority.values),
        max_value=max(Seniority.values),
        required=False,
        help_text="Leave out experts less senior than this (1 practitioner to 5 national expert).",
    )


class CaseQuerySerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=2**62, help_text="A case you may see.")


class ConflictWaiverInSerializer(serializers.Serializer):
    case = VisibleCaseIdField()
    expert = VisibleExpertIdField()
    rationale = serializers.CharField(max_length=max_length_of(ConflictWaiver, "rationale"))
    acting_for = ActingForField()


@extend_schema_serializer(component_name="Appointment")
class AppointmentInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    case = VisibleCaseIdField()
    expert = VisibleExpertIdField()
    role = serializers.ChoiceField(choices=AppointmentRole.choices)
    declaration = serializers.CharField(
        max_length=max_length_of(Appointment, "declaration"), help_text="The independence declaration, as signed."
    )


@extend_schema_serializer(component_name="ExpertUpdate")
class ExpertUpdateInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    capacity_per_week = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    available = serializers.BooleanField(required=False)
    profession = serializers.CharField(max_length=100, required=False)
    seniority = serializers.ChoiceField(choices=Seniority.choices, required=False)
    specialties = serializers.ListField(
        child=serializers.CharField(max_length=100),
        max_length=50,
        required=False,
        help_text="Replaces the expert's specialties; new names are added to the list.",
    )


class AppointmentEndInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    reason = serializers.CharField(
        max_length=max_length_of(Appointment, "end_reason"), help_text="Why the appointment ends."
    )
