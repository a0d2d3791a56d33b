"""API of the regime. Read-only ViewSets with FilterSets; every write is an explicit action that calls
one service. Objects the caller may not see answer 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from accounts.acting import acting_user, validated
from accounts.models import PROVIDER_KINDS
from failure_regime import selectors
from failure_regime.api import serializers as s
from failure_regime.filters import CaseFilter, ConcernFilter, EnforcementFilter
from failure_regime.models import Case, Concern, ConcernStep, Deadline, EnforcementAction, Handover
from failure_regime.permissions import (
    CONCERN_ROLES,
    ENFORCEMENT_ROLES,
    OWN_REPORT_ROLES,
    PROPOSER_KINDS,
    PROPOSER_ROLES,
    acting_for,
)
from failure_regime.services import accountability, cases, concern_steps, concerns, enforcement, sign_off
from failure_regime.services.concerns import REPORT_OWN


def _steps() -> Prefetch:
    return Prefetch("steps", queryset=ConcernStep.objects.select_related("made_by", "made_by_organisation"))


class ConcernViewSet(viewsets.ReadOnlyModelViewSet):
    """Concerns about providers, raised by regulator and oversight staff."""

    queryset = Concern.objects.none()
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = ConcernFilter
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[Concern]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        queryset = selectors.concern_list_for_user(user=acting_user(self.request))
        return queryset.prefetch_related("evidence", _steps()) if self.action == "retrieve" else queryset

    def get_serializer_class(self) -> type:
        return s.ConcernDetailSerializer if self.action == "retrieve" else s.ConcernSerializer

    @extend_schema(request=s.ConcernInSerializer, responses={201: s.ConcernDetailSerializer})
    def create(self, request: Request) -> Response:
        data, user = validated(s.ConcernInSerializer, request), acting_user(request)
        organisation = acting_for(user, CONCERN_ROLES, data.pop("acting_for", None), doing="record concerns")
        concern = concerns.concern_raise(actor=user, organisation=organisation, **data)
        return Response(s.ConcernDetailSerializer(concern).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.OwnReportInSerializer, responses={201: s.ConcernDetailSerializer})
    @action(detail=False, methods=["post"], url_path="report-own")
    def report_own(self, request: Request) -> Response:
        """A provider's manager or sign-off officer reports a concern about their own organisation (403 for anyone
        else). The provider sees what it reports, never what others raise about it."""
        data, user = validated(s.OwnReportInSerializer, request), acting_user(request)
        chosen = data.pop("acting_for", None)
        organisation = acting_for(user, OWN_REPORT_ROLES, chosen, doing=REPORT_OWN, kinds=PROVIDER_KINDS)
        concern = concerns.concern_report_own(actor=user, organisation=organisation, **data)
        return Response(s.ConcernDetailSerializer(concern).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": s.EvidenceInSerializer}, responses={201: s.EvidenceSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def evidence(self, request: Request, pk: str) -> Response:
        concern = self.get_object()
        data, user = validated(s.EvidenceInSerializer, request), acting_user(request)
        organisation = acting_for(user, CONCERN_ROLES, data.get("acting_for"), doing="add evidence to concerns")
        try:
            evidence = concerns.concern_evidence_add(
                actor=user, organisation=organisation, concern=concern, upload=data["file"]
            )
        except DjangoValidationError as exc:
            raise ValidationError({"file": exc.messages}) from exc
        return Response(s.EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ConcernStepInSerializer, responses={200: s.ConcernDetailSerializer})
    @action(detail=True, methods=["post"])
    def assess(self, request: Request, pk: str) -> Response:
        """Records the assessment of a received concern, with what it found (409 once assessed)."""
        return self._step(request, s.ConcernStepInSerializer, concern_steps.concern_assess)

    @extend_schema(request=s.ConcernOutcomeInSerializer, responses={200: s.ConcernDetailSerializer})
    @action(detail=True, methods=["post"])
    def outcome(self, request: Request, pk: str) -> Response:
        """Decides what follows an assessed concern, with the reasons (a referral names the body)."""
        return self._step(request, s.ConcernOutcomeInSerializer, concern_steps.concern_outcome_decide)

    @extend_schema(request=s.ConcernStepInSerializer, responses={200: s.ConcernDetailSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Closes a concern whose outcome is decided, or which is part of a case, with the reasons."""
        return self._step(request, s.ConcernStepInSerializer, concern_steps.concern_close)

    def _step(self, request: Request, serializer: type[Serializer], take: Callable[..., object]) -> Response:
        concern, data = self.get_object(), validated(serializer, request)
        data["organisation"] = data.pop("acting_for", None)
        take(actor=acting_user(request), concern=concern, **data)
        detail = self.get_queryset().prefetch_related("evidence", _steps()).get(pk=concern.pk)
        return Response(s.ConcernDetailSerializer(detail).data)


class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Single failure cases: proposal, joint sign-off, accountable leads and lifecycle."""

    queryset = Case.objects.none()
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = CaseFilter

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.case_list_for_user(user=acting_user(self.request))

    def get_serializer_class(self) -> type:
        return s.CaseSerializer if self.action == "list" else s.CaseDetailSerializer

    def _detail(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        detail = selectors.case_detail(case=case)
        return Response(s.CaseDetailSerializer(detail, context={"request": self.request}).data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    @extend_schema(request=s.CaseInSerializer, responses={201: s.CaseDetailSerializer})
    def create(self, request: Request) -> Response:
        data, user = validated(s.CaseInSerializer, request), acting_user(request)
        # The role is refused before the concerns are looked at.
        chosen = data.pop("acting_for", None)
        organisation = acting_for(user, PROPOSER_ROLES, chosen, doing="propose cases", kinds=PROPOSER_KINDS)
        wanted = set(data.pop("concerns"))
        visible = list(selectors.concern_list_for_user(user=user).filter(pk__in=wanted))
        if len(visible) != len(wanted):
            raise ValidationError({"concerns": ["One or more of these concerns was not found."]})
        case = cases.case_propose(actor=user, organisation=organisation, concerns=visible, **data)
        return self._detail(case, status.HTTP_201_CREATED)

    @extend_schema(request=s.DecisionInSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def agree(self, request: Request, pk: str) -> Response:
        """Your organisation agrees to trigger the case. The last agreement triggers it."""
        case, data = self.get_object(), validated(s.DecisionInSerializer, request)
        sign_off.sign_off_record(
            actor=acting_user(request), case=case, organisation=data["organisation"], decision="agree"
        )
        return self._detail(case)

    @extend_schema(request=s.ObjectionInSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"], url_path="object")
    def object_(self, request: Request, pk: str) -> Response:
        """Your organisation objects, with reasons. The objection holds the case until withdrawn."""
        case, data = self.get_object(), validated(s.ObjectionInSerializer, request)
        sign_off.sign_off_record(
            actor=acting_user(request),
            case=case,
            organisation=data["organisation"],
            decision="object",
            reason=data["reason"],
        )
        return self._detail(case)

    @extend_schema(request=s.ObjectionInSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        """Withdraws your organisation's agreement or objection, with the reason, before the trigger."""
        case, data = self.get_object(), validated(s.ObjectionInSerializer, request)
        sign_off.sign_off_withdraw(
            actor=acting_user(request), case=case, organisation=data["organisation"], reason=data["reason"]
        )
        return self._detail(case)

    @extend_schema(request=s.PartyInSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def parties(self, request: Request, pk: str) -> Response:
        """Adds a party "as appropriate", before sign-off starts."""
        case, data = self.get_object(), validated(s.PartyInSerializer, request)
        cases.case_party_add(actor=acting_user(request), case=case, organisation=data["organisation"])
        return self._detail(case)

    @extend_schema(request=s.TermsInSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def terms(self, request: Request, pk: str) -> Response:
        """Writes a new version of the terms of reference."""
        case, data = self.get_object(), validated(s.TermsInSerializer, request)
        cases.case_terms_revise(
            actor=acting_user(request), case=case, text=data["text"], organisation=data.get("acting_for")
        )
        return self._detail(case)

    @extend_schema(request=s.HandoverInSerializer, responses={201: s.HandoverSerializer})
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request: Request, pk: str) -> Response:
        """Makes someone the accountable lead for an area, recording the hand-over and its reason."""
        case, data = self.get_object(), validated(s.HandoverInSerializer, request)
        handover = accountability.lead_hand_over(actor=acting_user(request), case=case, **data)
        return Response(s.HandoverSerializer(handover).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ResponsibilityOrganisationsInSerializer, responses={200: s.ResponsibilitySerializer})
    @action(detail=True, methods=["post"], url_path="responsibility-organisations")
    def responsibility_organisations(self, request: Request, pk: str) -> Response:
        """Names the organisations responsible for, and consulted on, an area."""
        case, data = self.get_object(), validated(s.ResponsibilityOrganisationsInSerializer, request)
        data["organisation"] = data.pop("acting_for", None)
        responsibility = accountability.responsibility_organisations_set(actor=acting_user(request), case=case, **data)
        return Response(s.ResponsibilitySerializer(responsibility).data)

    @extend_schema(request=s.ActingInSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str) -> Response:
        """Makes a triggered case active: refused (409) while any area has no accountable lead."""
        case, data = self.get_object(), validated(s.ActingInSerializer, request)
        case = cases.case_activate(actor=acting_user(request), case=case, organisation=data.get("acting_for"))
        return self._detail(case)

    @extend_schema(request=s.CloseInSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Closes the case with a reason and a closing summary."""
        case, data = self.get_object(), validated(s.CloseInSerializer, request)
        case = cases.case_close(
            actor=acting_user(request),
            case=case,
            reason=data["reason"],
            summary=data["summary"],
            organisation=data.get("acting_for"),
        )
        return self._detail(case)

    @extend_schema(responses={200: s.HandoverSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def handovers(self, request: Request, pk: str) -> Response:
        """Every change of accountable lead, oldest first."""
        case = self.get_object()
        handovers = Handover.objects.filter(responsibility__case=case).select_related(
            "responsibility", "from_lead", "from_organisation", "to_lead", "to_organisation", "made_by"
        )
        return Response(s.HandoverSerializer(handovers, many=True).data)

    @extend_schema(responses={200: s.TimelineEventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str) -> Response:
        """Every event of the case, oldest first, read from the audit trail."""
        events = selectors.case_timeline(case=self.get_object(), user=acting_user(request))
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.TimelineEventSerializer(page, many=True).data)


class EnforcementViewSet(viewsets.ReadOnlyModelViewSet):
    """The enforcement log of the providers the caller may see."""

    queryset = EnforcementAction.objects.none()
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = EnforcementFilter
    serializer_class = s.EnforcementSerializer

    def get_queryset(self) -> QuerySet[EnforcementAction]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.enforcement_list_for_user(user=acting_user(self.request))

    @extend_schema(request=s.EnforcementInSerializer, responses={201: s.EnforcementSerializer})
    def create(self, request: Request) -> Response:
        data, user = validated(s.EnforcementInSerializer, request), acting_user(request)
        chosen = data.pop("acting_for", None)
        organisation = acting_for(user, ENFORCEMENT_ROLES, chosen, doing="record enforcement action")
        case_id = data.pop("case", None)
        case = selectors.case_get_for_user(user=user, pk=case_id) if case_id else None
        action_ = enforcement.enforcement_record(actor=user, organisation=organisation, case=case, **data)
        return Response(s.EnforcementSerializer(action_).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.OutcomeInSerializer, responses={200: s.EnforcementSerializer})
    @action(detail=True, methods=["post"])
    def outcome(self, request: Request, pk: str) -> Response:
        """Records how the action ended; this stops its deadline's reminders."""
        action_, data = self.get_object(), validated(s.OutcomeInSerializer, request)
        action_ = enforcement.enforcement_outcome_record(actor=acting_user(request), action=action_, **data)
        return Response(s.EnforcementSerializer(action_).data)


class DeadlineViewSet(viewsets.ReadOnlyModelViewSet):
    """Open deadlines of the cases and enforcement actions the caller may see, soonest first."""

    queryset = Deadline.objects.none()
    lookup_value_regex = r"[0-9]{1,18}"
    serializer_class = s.DeadlineSerializer

    def get_queryset(self) -> QuerySet[Deadline]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.deadline_list_for_user(user=acting_user(self.request))
