"""Serializers of the special measures API, kept apart from its ViewSets (``special_measures``) as the regime's
other serializers are: what goes out (an episode with its plan, reports, inspections and extensions; a monthly
report with where each action stood and its evidence) and what comes in for each write.

A monthly report is sent as a multipart form, so it has fields of its own: the month, where every action of the
plan stands as one JSON form field, and the evidence files under one repeated field name.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from accounts.api.serializers import OrganisationSummarySerializer
from accounts.limits import max_length_of
from accounts.models import User
from failure_regime.api.fields import ActingForField, IdField, VisibleCaseIdField, VisibleOrganisationIdField
from failure_regime.api.serializers import PersonSerializer
from failure_regime.models import (
    Action,
    ActionStatus,
    Basis,
    Case,
    EnforcementAction,
    Episode,
    EpisodeStatus,
    Extension,
    Inspection,
    InspectionKind,
    MonthlyReport,
    Rag,
    Rating,
    ReportActionStatus,
    ReportEvidence,
    ReportStatus,
)
from failure_regime.services import episode_history

ID_REGEX = r"[0-9]{1,18}"
MAX_ID = 2**62
MAX_EVIDENCE_FILES = 20


def _messages(detail: Any) -> list[str]:
    """Nested error details as one flat list of messages, the shape the error body documents."""
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _messages(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _messages(value)]
    return [str(detail)]


# --- Fields -------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}(-01)?$", "example": "2026-03"})
class MonthField(serializers.Field):
    """A calendar month, written ``YYYY-MM`` or as its first day, ``YYYY-MM-01``."""

    default_error_messages = {"invalid": "Give the month as YYYY-MM, for example 2026-03."}
    pattern = re.compile(r"([0-9]{4})-([0-9]{2})(?:-01)?", re.ASCII)

    def to_internal_value(self, data: Any) -> date:
        match = self.pattern.fullmatch(data) if isinstance(data, str) else None
        if match is None:
            self.fail("invalid")
        try:
            return date(int(match[1]), int(match[2]), 1)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value: date) -> str:
        return value.isoformat()


class ActionStandingInSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    rag = serializers.ChoiceField(choices=Rag.choices)
    note = serializers.CharField(
        max_length=max_length_of(ReportActionStatus, "note"), required=False, allow_blank=True, default=""
    )


@extend_schema_field(
    {
        "type": "string",
        "example": '{"42": {"status": "in_progress", "rag": "amber", "note": "Six midwives appointed."}}',
    }
)
class ActionStatusesField(serializers.Field):
    """A JSON object, sent as one form field, giving where each action of the plan stands, by action id."""

    max_length = 100_000
    default_error_messages = {
        # DRF formats error messages, hence the doubled braces.
        "invalid": 'Send a JSON object such as {{"42": {{"status": "in_progress", "rag": "amber", "note": ""}}}}.'
    }

    def to_internal_value(self, data: Any) -> dict[int, dict[str, str]]:
        if not isinstance(data, str) or len(data) > self.max_length:
            self.fail("invalid")
        try:
            parsed = json.loads(data)
        except (ValueError, RecursionError):
            self.fail("invalid")
        if not isinstance(parsed, dict):
            self.fail("invalid")
        statuses: dict[int, dict[str, str]] = {}
        problems: list[str] = []
        for key, value in parsed.items():
            if not re.fullmatch(ID_REGEX, key, re.ASCII):
                problems.append(f"{key[:20]!r} is not the id of an action.")
                continue
            standing = ActionStandingInSerializer(data=value)
            if standing.is_valid():
                statuses[int(key)] = dict(standing.validated_data)
            else:
                for field, errors in standing.errors.items():
                    where = f"Action {key}" if field == "non_field_errors" else f"Action {key}, {field}"
                    problems.extend(f"{where}: {message}" for message in _messages(errors))
        if problems:
            raise ValidationError(problems)
        return statuses

    def to_representation(self, value: dict[int, dict[str, str]]) -> str:
        return json.dumps(value)


class EvidenceFilesField(serializers.ListField):
    """Zero or more files sent under the same form field name."""

    child = serializers.FileField(allow_empty_file=True)  # the service names the empty file in its message

    def run_child_validation(self, data: list[Any]) -> list[Any]:
        try:
            return super().run_child_validation(data)
        except ValidationError as exc:
            raise ValidationError(_messages(exc.detail)) from None


# --- Out ----------------------------------------------------------------------------------------


class ActionSerializer(serializers.ModelSerializer):
    owner = PersonSerializer(allow_null=True)
    owner_organisation = OrganisationSummarySerializer()
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    rag = serializers.ChoiceField(choices=Rag.choices)

    class Meta:
        model = Action
        fields = [
            "id",
            "reference",
            "description",
            "owner",
            "owner_organisation",
            "due_on",
            "status",
            "rag",
            "evidence",
        ]


class InspectionRatingsSerializer(serializers.Serializer):
    safe = serializers.ChoiceField(choices=Rating.choices)
    effective = serializers.ChoiceField(choices=Rating.choices)
    caring = serializers.ChoiceField(choices=Rating.choices)
    responsive = serializers.ChoiceField(choices=Rating.choices)
    well_led = serializers.ChoiceField(choices=Rating.choices)
    overall = serializers.ChoiceField(choices=Rating.choices)


class InspectionSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=InspectionKind.choices)
    ratings = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = ["id", "kind", "scheduled_for", "carried_out_on", "ratings"]

    @extend_schema_field(InspectionRatingsSerializer(allow_null=True))
    def get_ratings(self, inspection: Inspection) -> dict[str, Any] | None:
        return InspectionRatingsSerializer(inspection).data if inspection.is_rated else None


class ExtensionSerializer(serializers.ModelSerializer):
    approved_by = PersonSerializer()
    approved_by_organisation = OrganisationSummarySerializer()

    class Meta:
        model = Extension
        fields = ["id", "until", "reason", "approved_by", "approved_by_organisation", "approved_at"]


class MonthlyReportSummarySerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ReportStatus.choices)

    class Meta:
        model = MonthlyReport
        fields = ["id", "month", "due_on", "status", "submitted_at", "reviewed_at", "published_at"]


class EpisodeSerializer(serializers.ModelSerializer):
    provider = OrganisationSummarySerializer()
    status = serializers.ChoiceField(choices=EpisodeStatus.choices)
    basis = serializers.ChoiceField(choices=Basis.choices)
    rule_set = serializers.CharField(source="rule_set.name", help_text="The rules in force on the entry date.")
    improvement_director = serializers.CharField(
        read_only=True,
        help_text="The improvement director named at entry. The interventions register (``interventions/?episode=``) "
        "holds the current one and every hand-over.",
    )
    buddy_trust = OrganisationSummarySerializer(
        allow_null=True, help_text="The partner trust named at entry; see the interventions register for the current."
    )
    case: serializers.PrimaryKeyRelatedField[Case] = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    next_reinspection_on = serializers.DateField(help_text="The re-inspection date, or the end of the extension.")
    overdue_reports = serializers.IntegerField(help_text="Monthly reports past their due date and not yet sent.")

    class Meta:
        model = Episode
        fields = [
            "id",
            "provider",
            "status",
            "basis",
            "entered_on",
            "rule_set",
            "case",
            "improvement_director",
            "buddy_trust",
            "reinspection_due_on",
            "extended_until",
            "next_reinspection_on",
            "registration_decision_due_on",
            "overdue_reports",
            "exited_on",
            "days_in_special_measures",
        ]


class EpisodeDetailSerializer(EpisodeSerializer):
    decided_by = PersonSerializer()
    decided_by_organisation = OrganisationSummarySerializer()
    recommending_inspection: serializers.PrimaryKeyRelatedField[Inspection] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    actions = ActionSerializer(many=True)
    reports = MonthlyReportSummarySerializer(many=True)
    inspections = InspectionSerializer(many=True)
    extensions = ExtensionSerializer(many=True)

    class Meta(EpisodeSerializer.Meta):
        fields = [
            *EpisodeSerializer.Meta.fields,
            "decided_by",
            "decided_by_organisation",
            "decided_at",
            "recommending_inspection",
            "actions",
            "reports",
            "inspections",
            "extensions",
        ]


class MonthlyReportSerializer(MonthlyReportSummarySerializer):
    episode: serializers.PrimaryKeyRelatedField[Episode] = serializers.PrimaryKeyRelatedField(read_only=True)
    provider = OrganisationSummarySerializer(source="episode.provider")

    class Meta(MonthlyReportSummarySerializer.Meta):
        fields = ["id", "episode", "provider", *MonthlyReportSummarySerializer.Meta.fields[1:]]


class ReportActionStatusSerializer(serializers.ModelSerializer):
    action: serializers.PrimaryKeyRelatedField[Action] = serializers.PrimaryKeyRelatedField(read_only=True)
    reference = serializers.CharField(source="action.reference")
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    rag = serializers.ChoiceField(choices=Rag.choices)

    class Meta:
        model = ReportActionStatus
        fields = ["action", "reference", "status", "rag", "note"]


class ReportEvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportEvidence
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]


class MonthlyReportDetailSerializer(MonthlyReportSerializer):
    submitted_by = PersonSerializer(allow_null=True)
    reviewed_by = PersonSerializer(allow_null=True)
    action_statuses = ReportActionStatusSerializer(many=True)
    evidence = ReportEvidenceSerializer(many=True)

    class Meta(MonthlyReportSerializer.Meta):
        fields = [
            *MonthlyReportSerializer.Meta.fields,
            "narrative",
            "submitted_by",
            "reviewed_by",
            "review_comments",
            "action_statuses",
            "evidence",
        ]


# --- In -----------------------------------------------------------------------------------------


DECIDING_REGULATOR_HELP = (
    "For a provider CQC alone regulates, the id of the regulator you decide for. Needed only if you are a "
    "decision-maker at more than one; a trust's oversight body decides for it."
)


class EpisodeInSerializer(serializers.Serializer):
    provider = VisibleOrganisationIdField()
    entered_on = serializers.DateField()
    basis = serializers.ChoiceField(choices=Basis.choices)
    recommending_inspection = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="The CQC inspection of this provider that recommended special measures (rated inadequate overall "
        "or for being well-led); for CQC's own decision on a provider it alone regulates, the inspection that rated "
        "it inadequate overall.",
    )
    case = VisibleCaseIdField(required=False, allow_null=True)
    improvement_director = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=True,
        default="",
        help_text="Becomes the first improvement director on the interventions register.",
    )
    buddy_trust = VisibleOrganisationIdField(
        required=False,
        allow_null=True,
        help_text="The partner trust; becomes the first partner agreement on the interventions register.",
    )
    acting_for = ActingForField(help_text=DECIDING_REGULATOR_HELP)


class ActionInSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=20)
    description = serializers.CharField(max_length=max_length_of(Action, "description"))
    owner_organisation = VisibleOrganisationIdField()
    due_on = serializers.DateField()
    owner = IdField(queryset=User.objects.filter(is_active=True), required=False, allow_null=True)
    rag = serializers.ChoiceField(choices=Rag.choices, default=Rag.RED.value)


class ActionChangeInSerializer(serializers.Serializer):
    """Only the fields sent change."""

    description = serializers.CharField(max_length=max_length_of(Action, "description"), required=False)
    owner = IdField(queryset=User.objects.filter(is_active=True), required=False, allow_null=True)
    owner_organisation = VisibleOrganisationIdField(required=False)
    due_on = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=ActionStatus.choices, required=False)
    rag = serializers.ChoiceField(choices=Rag.choices, required=False)
    evidence = serializers.CharField(max_length=max_length_of(Action, "evidence"), required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise ValidationError({"non_field_errors": ["Send at least one field to change."]})
        return attrs


class InspectionScheduleInSerializer(serializers.Serializer):
    acting_for = ActingForField()
    scheduled_for = serializers.DateField()


class InspectionRecordInSerializer(InspectionRatingsSerializer):
    """The date and the ratings, side by side, so that each rating has its own field error."""

    acting_for = ActingForField()
    carried_out_on = serializers.DateField()


class EpisodeExitInSerializer(serializers.Serializer):
    inspection = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="This episode's recorded re-inspection."
    )


class EpisodeExtendInSerializer(serializers.Serializer):
    until = serializers.DateField()
    reason = serializers.CharField(max_length=max_length_of(Extension, "reason"))


class CancellationProposalInSerializer(serializers.Serializer):
    summary = serializers.CharField(
        max_length=max_length_of(EnforcementAction, "summary"), help_text="What the notice of proposal says."
    )


class RegistrationCancellationInSerializer(serializers.Serializer):
    on = serializers.DateField(help_text="The date the registration is cancelled.")


class MonthlyReportInSerializer(serializers.Serializer):
    month = MonthField()
    narrative = serializers.CharField(max_length=max_length_of(MonthlyReport, "narrative"))
    statuses = ActionStatusesField(
        required=False, default=dict, help_text="Where every action of the plan stands, by action id, as JSON."
    )
    evidence = EvidenceFilesField(required=False, max_length=MAX_EVIDENCE_FILES)


class EpisodeHistoryInSerializer(serializers.Serializer):
    """An episode that has already ended, from the record of the time. It sends no reminders."""

    provider = VisibleOrganisationIdField()
    entered_on = serializers.DateField()
    basis = serializers.ChoiceField(choices=Basis.choices)
    outcome = serializers.ChoiceField(choices=[(o.value, o.label) for o in episode_history.OUTCOMES])
    ended_on = serializers.DateField(help_text="The day it left special measures or its registration was cancelled.")
    reinspected_on = serializers.ListField(
        child=serializers.DateField(), required=False, default=list, max_length=20, help_text="Re-inspection dates."
    )
    reinspection_due_on = serializers.DateField(
        required=False, allow_null=True, help_text="If not given, worked out from the rules in force at entry."
    )
    extended_until = serializers.DateField(required=False, allow_null=True)
    acting_for = ActingForField(help_text=DECIDING_REGULATOR_HELP)


class EpisodeHistoryImportInSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV with a header row: " + ", ".join(episode_history.CSV_COLUMNS) + " (reinspected_on: dates "
        "separated by ';'). Dates as YYYY-MM-DD or DD/MM/YYYY.",
        max_length=200,
    )
    only_valid = serializers.BooleanField(
        default=False, help_text="Import the valid rows even if others have errors; otherwise nothing is imported."
    )
    acting_for = ActingForField(help_text=DECIDING_REGULATOR_HELP)


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField()
    reason = serializers.CharField()


class EpisodeHistoryImportOutSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    imported = serializers.IntegerField()
    episodes = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the episodes imported.")
    errors = RowErrorSerializer(many=True)  # type: ignore[assignment]


class ReportReturnInSerializer(serializers.Serializer):
    comments = serializers.CharField(
        max_length=max_length_of(MonthlyReport, "review_comments"), help_text="What needs to change."
    )
