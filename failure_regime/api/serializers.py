"""API serializers of the regime: separate shapes for what comes in and what goes out."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import OrganisationSummarySerializer
from accounts.limits import max_length_of
from accounts.models import AuditEvent, Organisation, User
from failure_regime.api.fields import ActingForField, IdField, VisibleOrganisationIdField
from failure_regime.models import (
    STAFF_CONCERN_SOURCES,
    Area,
    Case,
    CaseParty,
    ClosureReason,
    Concern,
    ConcernEvidence,
    ConcernOutcome,
    ConcernStep,
    Deadline,
    EnforcementAction,
    EnforcementKind,
    EnforcementOutcome,
    Handover,
    Responsibility,
    Severity,
    SignOff,
    TermsOfReference,
)
from failure_regime.selectors import concern_list_for_user


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "full_name"]


# --- Out ----------------------------------------------------------------------------------------


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConcernEvidence
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]


class ConcernSerializer(serializers.ModelSerializer):
    provider = OrganisationSummarySerializer()
    raised_by = PersonSerializer()
    raised_by_organisation = OrganisationSummarySerializer()

    class Meta:
        model = Concern
        fields = [
            "id",
            "provider",
            "source",
            "summary",
            "severity",
            "status",
            "outcome",
            "raised_by",
            "raised_by_organisation",
            "raised_at",
        ]


class ConcernStepSerializer(serializers.ModelSerializer):
    made_by = PersonSerializer()
    made_by_organisation = OrganisationSummarySerializer()

    class Meta:
        model = ConcernStep
        fields = ["status", "outcome", "referred_to", "reasons", "made_by", "made_by_organisation", "made_at"]


class ConcernDetailSerializer(ConcernSerializer):
    evidence = EvidenceSerializer(many=True)
    steps = ConcernStepSerializer(many=True, help_text="The concern's handling, oldest first, with the reasons.")

    class Meta(ConcernSerializer.Meta):
        fields = [*ConcernSerializer.Meta.fields, "evidence", "steps"]


class OwnReportInSerializer(serializers.Serializer):
    acting_for = ActingForField(help_text="Your provider, if you report for more than one.")
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.ROUTINE)
    summary = serializers.CharField(max_length=max_length_of(Concern, "summary"))


class ConcernStepInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    reasons = serializers.CharField(max_length=max_length_of(ConcernStep, "reasons"))


class ConcernOutcomeInSerializer(ConcernStepInSerializer):
    outcome = serializers.ChoiceField(choices=ConcernOutcome.choices)
    referred_to = serializers.CharField(
        max_length=max_length_of(ConcernStep, "referred_to"),
        required=False,
        default="",
        help_text="The body the concern is referred to: needed for a referral.",
    )


class CaseSerializer(serializers.ModelSerializer):
    provider = OrganisationSummarySerializer()
    is_overdue = serializers.BooleanField(read_only=True)
    is_missing_lead = serializers.BooleanField(read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "provider",
            "immediate",
            "proposed_at",
            "sign_off_deadline",
            "triggered_at",
            "activated_at",
            "closed_at",
            "is_overdue",
            "is_missing_lead",
        ]


class SignOffSerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer()
    decided_by = PersonSerializer()
    withdrawn_by = PersonSerializer(allow_null=True)

    class Meta:
        model = SignOff
        fields = [
            "id",
            "organisation",
            "decision",
            "reason",
            "decided_by",
            "decided_at",
            "withdrawn_by",
            "withdrawn_at",
            "withdrawal_reason",
        ]


class PartySerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer()

    class Meta:
        model = CaseParty
        fields = ["organisation", "basis", "added_at"]


class ResponsibilitySerializer(serializers.ModelSerializer):
    lead = PersonSerializer(allow_null=True)
    lead_organisation = OrganisationSummarySerializer(allow_null=True)
    responsible = OrganisationSummarySerializer(many=True)
    consulted = OrganisationSummarySerializer(many=True)

    class Meta:
        model = Responsibility
        fields = ["area", "lead", "lead_organisation", "responsible", "consulted"]


class HandoverSerializer(serializers.ModelSerializer):
    area = serializers.CharField(source="responsibility.area")
    from_lead = PersonSerializer(allow_null=True)
    from_organisation = OrganisationSummarySerializer(allow_null=True)
    to_lead = PersonSerializer()
    to_organisation = OrganisationSummarySerializer()
    made_by = PersonSerializer()

    class Meta:
        model = Handover
        fields = [
            "id",
            "area",
            "from_lead",
            "from_organisation",
            "to_lead",
            "to_organisation",
            "reason",
            "made_by",
            "made_at",
        ]


class TermsSerializer(serializers.ModelSerializer):
    class Meta:
        model = TermsOfReference
        fields = ["version", "text", "written_at"]


class CaseDetailSerializer(CaseSerializer):
    parties = PartySerializer(many=True)
    sign_offs = SignOffSerializer(many=True)
    responsibilities = ResponsibilitySerializer(many=True)
    terms_of_reference = TermsSerializer(many=True, source="terms_versions")
    concerns = serializers.SerializerMethodField(help_text="The concerns behind the case that you may see.")

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "summary",
            "scope",
            "closure_reason",
            "closing_summary",
            "concerns",
            "parties",
            "sign_offs",
            "responsibilities",
            "terms_of_reference",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_concerns(self, case: Case) -> list[int]:
        # Concerns may come from whistleblowers: the provider's own staff must not learn of them here.
        user = self.context["request"].user
        return list(concern_list_for_user(user=user).filter(cases=case).values_list("pk", flat=True))


class TimelineEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")
    organisation = OrganisationSummarySerializer(allow_null=True)
    target = serializers.CharField(source="target_label")

    class Meta:
        model = AuditEvent
        fields = ["sequence", "occurred_at", "actor", "organisation", "verb", "target", "before", "after"]


class EnforcementSerializer(serializers.ModelSerializer):
    provider = OrganisationSummarySerializer()
    recorded_by_organisation = OrganisationSummarySerializer()
    case: serializers.PrimaryKeyRelatedField[Case] = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = EnforcementAction
        fields = [
            "id",
            "provider",
            "case",
            "kind",
            "summary",
            "served_on",
            "deadline_on",
            "outcome",
            "outcome_notes",
            "outcome_recorded_at",
            "recorded_by_organisation",
            "recorded_at",
        ]


class DeadlineSerializer(serializers.ModelSerializer):
    provider = OrganisationSummarySerializer()
    case: serializers.PrimaryKeyRelatedField[Case] = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Deadline
        fields = ["id", "kind", "title", "provider", "case", "due_at", "met_at"]


# --- In -----------------------------------------------------------------------------------------


class ConcernInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    provider = VisibleOrganisationIdField()
    # DRF takes declared fields off the class, so this does not clash with Field.source at run time.
    source = serializers.ChoiceField(choices=STAFF_CONCERN_SOURCES)  # type: ignore[assignment]
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.ROUTINE)
    summary = serializers.CharField(max_length=max_length_of(Concern, "summary"))


class EvidenceInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    file = serializers.FileField()


class CaseInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    provider = VisibleOrganisationIdField()
    concerns = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62), min_length=1, max_length=100
    )
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=max_length_of(Case, "summary"))
    scope = serializers.CharField(max_length=max_length_of(Case, "scope"))
    terms_of_reference = serializers.CharField(max_length=max_length_of(TermsOfReference, "text"))


class DecisionInSerializer(serializers.Serializer):
    organisation = IdField(queryset=Organisation.objects.all(), help_text="The party you decide for.")


class ObjectionInSerializer(DecisionInSerializer):
    reason = serializers.CharField(max_length=max_length_of(SignOff, "reason"))


class PartyInSerializer(serializers.Serializer):
    organisation = IdField(queryset=Organisation.objects.all())


class HandoverInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    area = serializers.ChoiceField(choices=Area.choices)
    lead = IdField(queryset=User.objects.filter(is_active=True))
    organisation = IdField(queryset=Organisation.objects.all())
    reason = serializers.CharField(max_length=max_length_of(Handover, "reason"))


class ResponsibilityOrganisationsInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    area = serializers.ChoiceField(choices=Area.choices)
    responsible = IdField(queryset=Organisation.objects.all(), many=True)
    consulted = IdField(queryset=Organisation.objects.all(), many=True)


class ActingInSerializer(serializers.Serializer):
    acting_for = ActingForField()


class TermsInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    text = serializers.CharField(max_length=max_length_of(TermsOfReference, "text"))


class CloseInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    reason = serializers.ChoiceField(choices=ClosureReason.choices)
    summary = serializers.CharField(max_length=max_length_of(Case, "closing_summary"))


class EnforcementInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    provider = VisibleOrganisationIdField()
    case = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**62)
    kind = serializers.ChoiceField(choices=EnforcementKind.choices)
    summary = serializers.CharField(max_length=max_length_of(EnforcementAction, "summary"))
    served_on = serializers.DateField()
    deadline_on = serializers.DateField(required=False, allow_null=True)


class OutcomeInSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[c for c in EnforcementOutcome.choices if c[0] != EnforcementOutcome.PENDING]
    )
    notes = serializers.CharField(
        max_length=max_length_of(EnforcementAction, "outcome_notes"), required=False, allow_blank=True, default=""
    )
