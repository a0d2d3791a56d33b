"""API of special measures: episodes, their action plans and re-inspections, the monthly progress reports
(with evidence files) and how an episode ends.

The parts of an episode are reached through it (``episodes/{id}/actions/{action_id}/``,
``episodes/{id}/inspections/{inspection_id}/ratings/``), so the episode alone decides who may see them.
Reports are also listed on their own (``monthly-reports/``), because the oversight body reviews them across
providers. Every write is an explicit action that calls one service.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import OrganisationSummarySerializer
from accounts.limits import max_length_of
from accounts.models import User
from failure_regime import selectors
from failure_regime.api.fields import IdField, VisibleCaseIdField, VisibleOrganisationIdField
from failure_regime.api.serializers import EnforcementSerializer, PersonSerializer
from failure_regime.filters import EpisodeFilter
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
from failure_regime.services import special_measures as sm

ID_REGEX = r"[0-9]{1,18}"
MAX_ID = 2**62
MAX_EVIDENCE_FILES = 20


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


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
    scheduled_for = serializers.DateField()


class InspectionRecordInSerializer(InspectionRatingsSerializer):
    """The date and the ratings, side by side, so that each rating has its own field error."""

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


class EpisodeHistoryImportInSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV with a header row: " + ", ".join(episode_history.CSV_COLUMNS) + " (reinspected_on: dates "
        "separated by ';'). Dates as YYYY-MM-DD or DD/MM/YYYY.",
        max_length=200,
    )
    only_valid = serializers.BooleanField(
        default=False, help_text="Import the valid rows even if others have errors; otherwise nothing is imported."
    )


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


# --- Episodes -----------------------------------------------------------------------------------


def _path_id(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, OpenApiParameter.PATH, pattern=f"^{ID_REGEX}$", description=description)


ACTION_ID = _path_id("action_id", "The id of an action of this episode's plan.")
INSPECTION_ID = _path_id("inspection_id", "The id of an inspection of this episode.")


def _not_before_entry(episode: Episode, day: date | None, field: str, message: str) -> None:
    # The services do not check this yet, and an end dated before entry breaks a database constraint.
    if day is not None and day < episode.entered_on:
        raise ValidationError({field: [message]})


class EpisodeViewSet(viewsets.ReadOnlyModelViewSet):
    """Providers' episodes of special measures, their action plans, re-inspections and outcomes."""

    queryset = Episode.objects.none()
    lookup_value_regex = ID_REGEX
    filterset_class = EpisodeFilter

    def get_queryset(self) -> QuerySet[Episode]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.episode_list_for_user(user=_user(self.request))

    def get_serializer_class(self) -> type:
        return EpisodeSerializer if self.action == "list" else EpisodeDetailSerializer

    def _detail(self, episode: Episode, code: int = status.HTTP_200_OK) -> Response:
        episode = selectors.episode_detail(episode=episode)
        return Response(EpisodeDetailSerializer(episode).data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    @extend_schema(request=EpisodeInSerializer, responses={201: EpisodeDetailSerializer})
    def create(self, request: Request) -> Response:
        """Puts a provider into special measures: the oversight body decides for a trust, CQC for other
        providers. Starts the re-inspection clock and the monthly reports."""
        data = _valid(EpisodeInSerializer, request)
        inspection_id = data.pop("recommending_inspection", None)
        if inspection_id is not None:
            data["recommending_inspection"] = Inspection.objects.filter(
                provider=data["provider"], pk=inspection_id
            ).first()
            if data["recommending_inspection"] is None:
                raise ValidationError({"recommending_inspection": ["No inspection of this provider has this id."]})
        refusal = sm.placement_refusal(provider=data["provider"], entered_on=data["entered_on"])
        if refusal:
            raise ValidationError({"provider": [refusal]})
        episode = sm.episode_enter(actor=_user(request), **data)
        return self._detail(episode, status.HTTP_201_CREATED)

    @extend_schema(request=EpisodeHistoryInSerializer, responses={201: EpisodeDetailSerializer})
    @action(detail=False, methods=["post"], url_path="history")
    def history(self, request: Request) -> Response:
        """Records an episode that has already ended (entry, re-inspections, outcome), by whoever decides the
        provider's special measures. Refused (409) if it overlaps another episode of the provider; sends no
        reminders."""
        data = _valid(EpisodeHistoryInSerializer, request)
        episode = episode_history.episode_record_history(actor=_user(request), **data)
        return self._detail(episode, status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": EpisodeHistoryImportInSerializer},
        responses={201: EpisodeHistoryImportOutSerializer, 400: EpisodeHistoryImportOutSerializer},
    )
    @action(detail=False, methods=["post"], url_path="history/import", parser_classes=[MultiPartParser, FormParser])
    def history_import(self, request: Request) -> Response:
        """Imports past episodes from CSV. Every problem is listed with its line, column and reason; nothing is
        imported unless every row is valid, or ``only_valid`` is true (400 when nothing is imported)."""
        data = _valid(EpisodeHistoryImportInSerializer, request)
        try:
            text = data["file"].read(2_000_000).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError({"file": ["The file must be CSV in UTF-8."]}) from error
        result = episode_history.episodes_import_history(actor=_user(request), text=text, only_valid=data["only_valid"])
        body = {
            "rows": result.rows,
            "imported": result.imported,
            "episodes": [e.pk for e in result.episodes],
            "errors": [{"line": e.line, "column": e.column, "reason": e.reason} for e in result.errors],
        }
        return Response(body, status=status.HTTP_201_CREATED if result.imported else status.HTTP_400_BAD_REQUEST)

    @extend_schema(
        methods=["GET"],
        responses={200: ActionSerializer(many=True)},
        description="The provider's action plan, by reference.",
    )
    @extend_schema(
        methods=["POST"],
        request=ActionInSerializer,
        responses={201: ActionSerializer},
        description="Adds an improvement action to the plan (the provider's trust managers).",
    )
    @action(detail=True, methods=["get", "post"], url_path="actions", pagination_class=None, filter_backends=[])
    def plan(self, request: Request, pk: str) -> Response:
        episode = self.get_object()
        if request.method == "GET":
            actions = episode.actions.select_related("owner", "owner_organisation")
            return Response(ActionSerializer(actions, many=True).data)
        data = _valid(ActionInSerializer, request)
        action_ = sm.action_add(actor=_user(request), episode=episode, **data)
        return Response(ActionSerializer(action_).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ActionChangeInSerializer,
        responses={200: ActionSerializer},
        parameters=[ACTION_ID],
        operation_id="v1_episodes_actions_change",
    )
    @action(detail=True, methods=["post"], url_path=rf"actions/(?P<action_id>{ID_REGEX})")
    def change_action(self, request: Request, pk: str, action_id: str) -> Response:
        """Changes an action of the plan: only the fields sent change, and the audit trail keeps what changed."""
        episode = self.get_object()
        action_ = get_object_or_404(episode.actions.all(), pk=int(action_id))
        data = _valid(ActionChangeInSerializer, request)
        action_ = sm.action_update(actor=_user(request), action=action_, **data)
        return Response(ActionSerializer(action_).data)

    @extend_schema(request=InspectionScheduleInSerializer, responses={201: InspectionSerializer})
    @action(detail=True, methods=["post"])
    def inspections(self, request: Request, pk: str) -> Response:
        """CQC schedules the re-inspection."""
        episode, data = self.get_object(), _valid(InspectionScheduleInSerializer, request)
        inspection = sm.inspection_schedule(actor=_user(request), episode=episode, **data)
        return Response(InspectionSerializer(inspection).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=InspectionRecordInSerializer, responses={200: InspectionSerializer}, parameters=[INSPECTION_ID]
    )
    @action(detail=True, methods=["post"], url_path=rf"inspections/(?P<inspection_id>{ID_REGEX})/ratings")
    def record_inspection(self, request: Request, pk: str, inspection_id: str) -> Response:
        """CQC records what it found: a rating for each key question and overall. This stops the re-inspection
        clock."""
        episode = self.get_object()
        inspection = get_object_or_404(episode.inspections.all(), pk=int(inspection_id))
        data = _valid(InspectionRecordInSerializer, request)
        message = "The inspection cannot be before the provider entered special measures."
        carried_out_on = data.pop("carried_out_on")
        _not_before_entry(episode, carried_out_on, "carried_out_on", message)
        inspection = sm.inspection_record(
            actor=_user(request), inspection=inspection, carried_out_on=carried_out_on, ratings=data
        )
        return Response(InspectionSerializer(inspection).data)

    @extend_schema(request=EpisodeExitInSerializer, responses={200: EpisodeDetailSerializer})
    @action(detail=True, methods=["post"], url_path="exit")
    def exit_(self, request: Request, pk: str) -> Response:
        """The provider leaves special measures after its re-inspection."""
        episode, data = self.get_object(), _valid(EpisodeExitInSerializer, request)
        inspection = episode.inspections.filter(pk=data["inspection"]).first()
        message = "Choose this episode's recorded re-inspection."
        if inspection is None:
            raise ValidationError({"inspection": [message]})
        _not_before_entry(episode, inspection.carried_out_on, "inspection", message)
        episode = sm.episode_exit(actor=_user(request), episode=episode, inspection=inspection)
        return self._detail(episode)

    @extend_schema(request=EpisodeExtendInSerializer, responses={201: ExtensionSerializer})
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str) -> Response:
        """Extends special measures after re-inspection, within the cap of the episode's rules."""
        episode, data = self.get_object(), _valid(EpisodeExtendInSerializer, request)
        extension = sm.episode_extend(actor=_user(request), episode=episode, **data)
        return Response(ExtensionSerializer(extension).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CancellationProposalInSerializer, responses={201: EnforcementSerializer})
    @action(detail=True, methods=["post"], url_path="propose-cancellation")
    def propose_cancellation(self, request: Request, pk: str) -> Response:
        """For a provider CQC alone regulates: serves a notice of proposal to cancel its registration, which
        opens the 28-day window for representations. Trusts answer 409."""
        episode, data = self.get_object(), _valid(CancellationProposalInSerializer, request)
        notice = sm.episode_propose_cancellation(actor=_user(request), episode=episode, **data)
        return Response(EnforcementSerializer(notice).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RegistrationCancellationInSerializer, responses={200: EpisodeDetailSerializer})
    @action(detail=True, methods=["post"], url_path="cancel-registration")
    def cancel_registration(self, request: Request, pk: str) -> Response:
        """Records that the provider's registration is cancelled, which ends the episode. Trusts answer 409."""
        episode, data = self.get_object(), _valid(RegistrationCancellationInSerializer, request)
        _not_before_entry(episode, data["on"], "on", "The registration cannot end before special measures began.")
        episode = sm.episode_cancel_registration(actor=_user(request), episode=episode, on=data["on"])
        return self._detail(episode)

    @extend_schema(
        request={"multipart/form-data": MonthlyReportInSerializer}, responses={201: MonthlyReportDetailSerializer}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def reports(self, request: Request, pk: str) -> Response:
        """The provider's trust manager sends the month's progress report, with evidence files. A second report
        for the same month answers 409; a returned report may be sent again."""
        episode, data = self.get_object(), _valid(MonthlyReportInSerializer, request)
        try:
            report = sm.report_submit(
                actor=_user(request),
                episode=episode,
                month=data["month"],
                narrative=data["narrative"],
                statuses=data["statuses"],
                evidence=data.get("evidence", []),
            )
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise
            raise ValidationError({"evidence": exc.messages}) from exc  # a refused file
        return Response(_report_detail(report), status=status.HTTP_201_CREATED)


# --- Monthly reports ----------------------------------------------------------------------------


class MonthlyReportFilter(django_filters.FilterSet):
    episode = django_filters.NumberFilter(field_name="episode", min_value=1, max_value=MAX_ID, decimal_places=0)
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)

    class Meta:
        model = MonthlyReport
        fields = ["episode", "status"]


def _report_detail(report: MonthlyReport) -> dict[str, Any]:
    prefetch_related_objects(
        [report],
        Prefetch("action_statuses", queryset=ReportActionStatus.objects.select_related("action")),
        "evidence",
    )
    return MonthlyReportDetailSerializer(report).data


class MonthlyReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Monthly progress reports of the episodes the caller may see, newest month first, and their review."""

    queryset = MonthlyReport.objects.none()
    lookup_value_regex = ID_REGEX
    filterset_class = MonthlyReportFilter

    def get_queryset(self) -> QuerySet[MonthlyReport]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.report_list_for_user(user=_user(self.request)).order_by("-month", "-pk")

    def get_object(self) -> MonthlyReport:
        report = selectors.report_get_for_user(user=_user(self.request), pk=int(self.kwargs["pk"]))
        self.check_object_permissions(self.request, report)
        return report

    def get_serializer_class(self) -> type:
        return MonthlyReportSerializer if self.action == "list" else MonthlyReportDetailSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(_report_detail(self.get_object()))

    @extend_schema(request=None, responses={200: MonthlyReportDetailSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        """The oversight lead (CQC for providers it alone regulates) accepts the report, which publishes it."""
        report = sm.report_accept(actor=_user(request), report=self.get_object())
        return Response(_report_detail(report))

    @extend_schema(request=ReportReturnInSerializer, responses={200: MonthlyReportDetailSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str) -> Response:
        """Returns the report to the provider with comments; the provider may then send it again."""
        report, data = self.get_object(), _valid(ReportReturnInSerializer, request)
        report = sm.report_return(actor=_user(request), report=report, comments=data["comments"])
        return Response(_report_detail(report))
