"""API of special measures: episodes, their action plans and re-inspections, the monthly progress reports
(with evidence files) and how an episode ends.

The parts of an episode are reached through it (``episodes/{id}/actions/{action_id}/``,
``episodes/{id}/inspections/{inspection_id}/ratings/``), so the episode alone decides who may see them.
Reports are also listed on their own (``monthly-reports/``), because the oversight body reviews them across
providers. Every write is an explicit action that calls one service. The serializers are in
``special_measures_serializers``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.acting import acting_user, validated
from failure_regime import selectors
from failure_regime.api.serializers import EnforcementSerializer
from failure_regime.api.special_measures_serializers import (
    ID_REGEX,
    MAX_ID,
    ActionChangeInSerializer,
    ActionInSerializer,
    ActionSerializer,
    CancellationProposalInSerializer,
    EpisodeDetailSerializer,
    EpisodeExitInSerializer,
    EpisodeExtendInSerializer,
    EpisodeHistoryImportInSerializer,
    EpisodeHistoryImportOutSerializer,
    EpisodeHistoryInSerializer,
    EpisodeInSerializer,
    EpisodeSerializer,
    ExtensionSerializer,
    InspectionRecordInSerializer,
    InspectionScheduleInSerializer,
    InspectionSerializer,
    MonthlyReportDetailSerializer,
    MonthlyReportInSerializer,
    MonthlyReportSerializer,
    RegistrationCancellationInSerializer,
    ReportReturnInSerializer,
)
from failure_regime.filters import EpisodeFilter
from failure_regime.models import Episode, Inspection, MonthlyReport, ReportActionStatus, ReportStatus
from failure_regime.permissions import INSPECTION_ROLES, acting_for
from failure_regime.services import action_plan, episode_history, episode_outcome, monthly_reports
from failure_regime.services import special_measures as sm

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
        return selectors.episode_list_for_user(user=acting_user(self.request))

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
        data = validated(EpisodeInSerializer, request)
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
        data["organisation"] = data.pop("acting_for", None)
        episode = sm.episode_enter(actor=acting_user(request), **data)
        return self._detail(episode, status.HTTP_201_CREATED)

    @extend_schema(request=EpisodeHistoryInSerializer, responses={201: EpisodeDetailSerializer})
    @action(detail=False, methods=["post"], url_path="history")
    def history(self, request: Request) -> Response:
        """Records an episode that has already ended (entry, re-inspections, outcome), by whoever decides the
        provider's special measures. Refused (409) if it overlaps another episode of the provider; sends no
        reminders."""
        data = validated(EpisodeHistoryInSerializer, request)
        data["organisation"] = data.pop("acting_for", None)
        episode = episode_history.episode_record_history(actor=acting_user(request), **data)
        return self._detail(episode, status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": EpisodeHistoryImportInSerializer},
        responses={201: EpisodeHistoryImportOutSerializer, 400: EpisodeHistoryImportOutSerializer},
    )
    @action(detail=False, methods=["post"], url_path="history/import", parser_classes=[MultiPartParser, FormParser])
    def history_import(self, request: Request) -> Response:
        """Imports past episodes from CSV. Every problem is listed with its line, column and reason; nothing is
        imported unless every row is valid, or ``only_valid`` is true (400 when nothing is imported)."""
        data = validated(EpisodeHistoryImportInSerializer, request)
        try:
            text = data["file"].read(2_000_000).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError({"file": ["The file must be CSV in UTF-8."]}) from error
        result = episode_history.episodes_import_history(
            actor=acting_user(request), text=text, only_valid=data["only_valid"], organisation=data.get("acting_for")
        )
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
        data = validated(ActionInSerializer, request)
        action_ = action_plan.action_add(actor=acting_user(request), episode=episode, **data)
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
        data = validated(ActionChangeInSerializer, request)
        action_ = action_plan.action_update(actor=acting_user(request), action=action_, **data)
        return Response(ActionSerializer(action_).data)

    @extend_schema(request=InspectionScheduleInSerializer, responses={201: InspectionSerializer})
    @action(detail=True, methods=["post"])
    def inspections(self, request: Request, pk: str) -> Response:
        """CQC schedules the re-inspection."""
        episode, data, user = (
            self.get_object(),
            validated(InspectionScheduleInSerializer, request),
            acting_user(request),
        )
        organisation = acting_for(user, INSPECTION_ROLES, data.pop("acting_for", None), doing="schedule inspections")
        inspection = episode_outcome.inspection_schedule(actor=user, organisation=organisation, episode=episode, **data)
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
        data, user = validated(InspectionRecordInSerializer, request), acting_user(request)
        organisation = acting_for(user, INSPECTION_ROLES, data.pop("acting_for", None), doing="record inspections")
        message = "The inspection cannot be before the provider entered special measures."
        carried_out_on = data.pop("carried_out_on")
        _not_before_entry(episode, carried_out_on, "carried_out_on", message)
        inspection = episode_outcome.inspection_record(
            actor=user, organisation=organisation, inspection=inspection, carried_out_on=carried_out_on, ratings=data
        )
        return Response(InspectionSerializer(inspection).data)

    @extend_schema(request=EpisodeExitInSerializer, responses={200: EpisodeDetailSerializer})
    @action(detail=True, methods=["post"], url_path="exit")
    def exit_(self, request: Request, pk: str) -> Response:
        """The provider leaves special measures after its re-inspection."""
        episode, data = self.get_object(), validated(EpisodeExitInSerializer, request)
        inspection = episode.inspections.filter(pk=data["inspection"]).first()
        message = "Choose this episode's recorded re-inspection."
        if inspection is None:
            raise ValidationError({"inspection": [message]})
        _not_before_entry(episode, inspection.carried_out_on, "inspection", message)
        episode = episode_outcome.episode_exit(actor=acting_user(request), episode=episode, inspection=inspection)
        return self._detail(episode)

    @extend_schema(request=EpisodeExtendInSerializer, responses={201: ExtensionSerializer})
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str) -> Response:
        """Extends special measures after re-inspection, within the cap of the episode's rules."""
        episode, data = self.get_object(), validated(EpisodeExtendInSerializer, request)
        extension = episode_outcome.episode_extend(actor=acting_user(request), episode=episode, **data)
        return Response(ExtensionSerializer(extension).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CancellationProposalInSerializer, responses={201: EnforcementSerializer})
    @action(detail=True, methods=["post"], url_path="propose-cancellation")
    def propose_cancellation(self, request: Request, pk: str) -> Response:
        """For a provider CQC alone regulates: serves a notice of proposal to cancel its registration, which
        opens the 28-day window for representations. Trusts answer 409."""
        episode, data = self.get_object(), validated(CancellationProposalInSerializer, request)
        notice = episode_outcome.episode_propose_cancellation(actor=acting_user(request), episode=episode, **data)
        return Response(EnforcementSerializer(notice).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RegistrationCancellationInSerializer, responses={200: EpisodeDetailSerializer})
    @action(detail=True, methods=["post"], url_path="cancel-registration")
    def cancel_registration(self, request: Request, pk: str) -> Response:
        """Records that the provider's registration is cancelled, which ends the episode. Trusts answer 409."""
        episode, data = self.get_object(), validated(RegistrationCancellationInSerializer, request)
        _not_before_entry(episode, data["on"], "on", "The registration cannot end before special measures began.")
        episode = episode_outcome.episode_cancel_registration(
            actor=acting_user(request), episode=episode, on=data["on"]
        )
        return self._detail(episode)

    @extend_schema(
        request={"multipart/form-data": MonthlyReportInSerializer}, responses={201: MonthlyReportDetailSerializer}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def reports(self, request: Request, pk: str) -> Response:
        """The provider's trust manager sends the month's progress report, with evidence files. A second report
        for the same month answers 409; a returned report may be sent again."""
        episode, data = self.get_object(), validated(MonthlyReportInSerializer, request)
        try:
            report = monthly_reports.report_submit(
                actor=acting_user(request),
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
        return selectors.report_list_for_user(user=acting_user(self.request)).order_by("-month", "-pk")

    def get_object(self) -> MonthlyReport:
        report = selectors.report_get_for_user(user=acting_user(self.request), pk=int(self.kwargs["pk"]))
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
        report = monthly_reports.report_accept(actor=acting_user(request), report=self.get_object())
        return Response(_report_detail(report))

    @extend_schema(request=ReportReturnInSerializer, responses={200: MonthlyReportDetailSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str) -> Response:
        """Returns the report to the provider with comments; the provider may then send it again."""
        report, data = self.get_object(), validated(ReportReturnInSerializer, request)
        report = monthly_reports.report_return(actor=acting_user(request), report=report, comments=data["comments"])
        return Response(_report_detail(report))
