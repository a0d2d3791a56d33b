"""API of reviews: the expert registry, lead candidates for a case, conflict waivers and appointments.

Only the people who keep the registry (regulator decision-makers, oversight leads, national oversight and
administrators) may read it: anyone else sees no experts. Every write is one service call."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.acting import acting_user, validated
from accounts.models import User
from failure_regime import selectors as case_selectors
from reviews import selectors, services
from reviews.api import serializers as s
from reviews.forms.registry import ExpertFilter
from reviews.models import Appointment, ConflictWaiver, Employment, Expert
from reviews.selectors.registry import appointment_list_for_user, expert_list_for_user, keeps_registry
from reviews.selectors.team import review_case_list_for_user
from reviews.services.registry import appointment_end, expert_update


def _refuse_unless_keeps_registry(user: User) -> None:
    # Refuse the role before reading the body, so that ids in it tell an outsider nothing.
    if not keeps_registry(user=user):
        raise PermissionDenied("Your role does not allow you to use the expert registry.")


class ExpertViewSet(viewsets.ReadOnlyModelViewSet):
    """The expert registry: who may chair, lead or review a case, with their posts, interests and training."""

    queryset = Expert.objects.none()
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = ExpertFilter

    def get_queryset(self) -> QuerySet[Expert]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        experts = expert_list_for_user(user=acting_user(self.request)).order_by("name", "pk")
        if self.action == "list":
            return experts
        return experts.prefetch_related(
            Prefetch("employments", queryset=Employment.objects.select_related("organisation")),
            "interests__organisation",
            "training",
        )

    def get_serializer_class(self) -> type:
        return s.ExpertSerializer if self.action == "list" else s.ExpertDetailSerializer

    def _detail(self, expert: Expert, code: int = status.HTTP_200_OK) -> Response:
        expert = self.get_queryset().get(pk=expert.pk)
        return Response(s.ExpertDetailSerializer(expert).data, status=code)

    @extend_schema(request=s.ExpertInSerializer, responses={201: s.ExpertDetailSerializer})
    def create(self, request: Request) -> Response:
        """Registers an expert, checking their registration number against their regulator's format."""
        _refuse_unless_keeps_registry(acting_user(request))
        data = validated(s.ExpertInSerializer, request)
        expert = services.expert_register(actor=acting_user(request), **data)
        return self._detail(expert, status.HTTP_201_CREATED)

    @extend_schema(request=s.ExpertUpdateInSerializer, responses={200: s.ExpertDetailSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        """Changes the expert's capacity, availability, profession, seniority or specialties; fields left out stay
        as they are. Every change is recorded in the audit trail."""
        expert, data = self.get_object(), validated(s.ExpertUpdateInSerializer, request)
        expert = expert_update(actor=acting_user(request), expert=expert, **data)
        return self._detail(expert)

    @extend_schema(request=s.EmploymentInSerializer, responses={201: s.EmploymentSerializer})
    @action(detail=True, methods=["post"])
    def employment(self, request: Request, pk: str) -> Response:
        """Records a post the expert holds or held; naming the organisation lets conflicts be found."""
        expert, data = self.get_object(), validated(s.EmploymentInSerializer, request)
        employment = services.employment_add(actor=acting_user(request), expert=expert, **data)
        return Response(s.EmploymentSerializer(employment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.InterestInSerializer, responses={201: s.InterestSerializer})
    @action(detail=True, methods=["post"])
    def interests(self, request: Request, pk: str) -> Response:
        """Records an interest the expert declares in an organisation."""
        expert, data = self.get_object(), validated(s.InterestInSerializer, request)
        interest = services.interest_declare(actor=acting_user(request), expert=expert, **data)
        return Response(s.InterestSerializer(interest).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TrainingInSerializer, responses={201: s.TrainingSerializer})
    @action(detail=True, methods=["post"])
    def training(self, request: Request, pk: str) -> Response:
        """Records training the expert completed."""
        expert, data = self.get_object(), validated(s.TrainingInSerializer, request)
        training = services.training_record(actor=acting_user(request), expert=expert, **data)
        return Response(s.TrainingSerializer(training).data, status=status.HTTP_201_CREATED)


class ReviewCandidateViewSet(viewsets.GenericViewSet):
    """Experts who could chair or lead a case, best fit first, leaving out anyone with an unwaived conflict."""

    queryset = Expert.objects.none()
    serializer_class = s.CandidateSerializer
    pagination_class = None
    filter_backends: list[type] = []

    @extend_schema(parameters=[s.CandidateQuerySerializer], responses={200: s.CandidateSerializer(many=True)})
    def list(self, request: Request) -> Response:
        query = validated(s.CandidateQuerySerializer, request, data=request.query_params)
        case = case_selectors.case_get_for_user(user=acting_user(request), pk=query["case"])
        _refuse_unless_keeps_registry(acting_user(request))
        experts = selectors.lead_candidates(
            case=case, specialty=query.get("specialty"), min_seniority=query.get("min_seniority")
        )
        rows = [{"rank": rank, "expert": expert} for rank, expert in enumerate(experts, start=1)]
        return Response(s.CandidateSerializer(rows, many=True).data)


class ConflictWaiverViewSet(viewsets.GenericViewSet):
    """Waivers of an expert's conflicts with a case's provider, given by the oversight lead."""

    queryset = ConflictWaiver.objects.none()
    serializer_class = s.ConflictWaiverSerializer

    @extend_schema(request=s.ConflictWaiverInSerializer, responses={201: s.ConflictWaiverSerializer})
    def create(self, request: Request) -> Response:
        """Lets the expert act on the case despite their conflicts as they stand now, for the reason given."""
        _refuse_unless_keeps_registry(acting_user(request))
        data = validated(s.ConflictWaiverInSerializer, request)
        data["organisation"] = data.pop("acting_for", None)
        waiver = services.conflict_waive(actor=acting_user(request), **data)
        return Response(s.ConflictWaiverSerializer(waiver).data, status=status.HTTP_201_CREATED)


class AppointmentViewSet(viewsets.GenericViewSet):
    """Experts appointed to a case, each with the independence declaration they signed."""

    queryset = Appointment.objects.none()
    serializer_class = s.AppointmentSerializer
    filter_backends: list[type] = []
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[Appointment]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            appointment_list_for_user(user=acting_user(self.request))
            .select_related("case", "appointed_by", "appointed_by_organisation", "ended_by")
            .prefetch_related("expert__specialties")
        )

    @extend_schema(parameters=[s.CaseQuerySerializer], responses={200: s.AppointmentSerializer(many=True)})
    def list(self, request: Request) -> Response:
        """The appointments on a case whose review you may see, oldest first."""
        query = validated(s.CaseQuerySerializer, request, data=request.query_params)
        case = get_object_or_404(review_case_list_for_user(user=acting_user(request)), pk=query["case"])
        appointments = self.get_queryset().filter(case=case).order_by("appointed_at", "pk")
        page = self.paginate_queryset(appointments)
        return self.get_paginated_response(s.AppointmentSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        """One appointment, with its declaration and, once ended, when, by whom and why."""
        return Response(s.AppointmentSerializer(self.get_object()).data)

    @extend_schema(request=s.AppointmentInSerializer, responses={201: s.AppointmentSerializer})
    def create(self, request: Request) -> Response:
        """Appoints an expert to a case; refused (400, on `expert`) while they have an unwaived conflict."""
        _refuse_unless_keeps_registry(acting_user(request))
        data = validated(s.AppointmentInSerializer, request)
        data["organisation"] = data.pop("acting_for", None)
        appointment = services.appointment_make(actor=acting_user(request), **data)
        return Response(s.AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AppointmentEndInSerializer, responses={200: s.AppointmentSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        """Ends the appointment for the reason given: only the organisation that made it, or the case's oversight
        lead, may (403 otherwise); an appointment that has already ended answers 409."""
        appointment, data = self.get_object(), validated(s.AppointmentEndInSerializer, request)
        data["organisation"] = data.pop("acting_for", None)
        appointment = appointment_end(actor=acting_user(request), appointment=appointment, **data)
        return Response(s.AppointmentSerializer(self.get_queryset().get(pk=appointment.pk)).data)
