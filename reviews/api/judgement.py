"""API of structured judgement reviews: a reviewer's own cases (pseudonymised) and their judgement of each, the
review team's findings, CSV export and published summaries, and the public's read of those summaries.

- ``my-assignments``: the signed-in reviewer's active assignments, by review reference and age band only.
- ``judgements/{assignment}``: the reviewer's judgement of one of them (GET, and PUT for the draft), and
  ``submit``. Someone else's assignment, or one that ended, is 404; a submitted review is 409 to change.
- ``findings/{case}``: the findings of a case's cohort, its CSV, and publishing a summary, for the case's review
  managers (404 for anyone else).
- ``findings-summaries``: published summaries; anyone may read them, with no sign-in.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from accounts.acting import acting_user, validated
from accounts.limits import max_length_of
from failure_regime.models import Case
from reviews.models import (
    Assignment,
    AssignmentKind,
    EventKind,
    FindingsSummary,
    Phase,
    ProblemType,
    StructuredJudgement,
)
from reviews.selectors import judgement as selectors
from reviews.selectors.team import managed_case_get_for_user
from reviews.services import judgement as services

ID_PATTERN = r"[0-9]{1,18}"
PROGRESS_CHOICES = list(selectors.PROGRESS_LABELS.items())
RATED_CHOICES = [*Phase.choices, ("overall", "Overall care")]


# --- Out ---------------------------------------------------------------------------------------------------------


class MyAssignmentSerializer(serializers.Serializer):
    """An assigned patient as the reviewer sees it: never a name, an NHS number or a date of birth."""

    id = serializers.IntegerField(source="assignment_id", help_text="The assignment's id.")
    reference = serializers.CharField(help_text="The patient's review reference.")
    age_band = serializers.CharField()
    specialty = serializers.CharField()
    event_kind = serializers.ChoiceField(choices=EventKind.choices)
    category = serializers.CharField()
    review_kind = serializers.ChoiceField(
        source="kind", choices=AssignmentKind.choices, help_text="The first review, or an independent second one."
    )
    progress = serializers.ChoiceField(choices=PROGRESS_CHOICES)
    assigned_at = serializers.DateTimeField()


RATING_HELP = "1 (very poor) to 5 (excellent); null for a phase that did not happen."
AVOIDABILITY_HELP = "1 (definitely avoidable) to 6 (definitely not avoidable)."


def _rating(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=5, allow_null=True, help_text=RATING_HELP, **kwargs)


def _narrative(field: str) -> serializers.CharField:
    return serializers.CharField(allow_blank=True, max_length=max_length_of(StructuredJudgement, field))


class JudgementSerializer(serializers.Serializer):
    """A reviewer's structured judgement. ``avoidability_scale`` and ``avoidability_direction`` are stored with
    the score, so that it reads the same whatever happens to the scale later."""

    assignment = serializers.IntegerField(source="assignment_id")
    progress = serializers.ChoiceField(choices=PROGRESS_CHOICES)
    admission_rating = _rating()
    admission_narrative = _narrative("admission_narrative")
    ongoing_rating = _rating()
    ongoing_narrative = _narrative("ongoing_narrative")
    procedure_rating = _rating()
    procedure_narrative = _narrative("procedure_narrative")
    perioperative_rating = _rating()
    perioperative_narrative = _narrative("perioperative_narrative")
    end_of_life_rating = _rating()
    end_of_life_narrative = _narrative("end_of_life_narrative")
    overall_rating = _rating()
    overall_narrative = _narrative("overall_narrative")
    problem_types = serializers.ListField(child=serializers.ChoiceField(choices=ProblemType.choices))
    avoidability = serializers.IntegerField(min_value=1, max_value=6, allow_null=True, help_text=AVOIDABILITY_HELP)
    avoidability_scale = serializers.CharField()
    avoidability_direction = serializers.CharField()
    safety_concern = serializers.BooleanField()
    safety_concern_detail = _narrative("safety_concern_detail")
    safety_alerted_at = serializers.DateTimeField(allow_null=True, help_text="When the investigation lead was told.")
    updated_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)


class ScoreCountSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    reviews = serializers.IntegerField()


class RatingDistributionSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=RATED_CHOICES)
    name = serializers.CharField()
    counts = ScoreCountSerializer(many=True)
    total = serializers.IntegerField()


class ProblemCountSerializer(serializers.Serializer):
    problem_type = serializers.CharField(help_text="One of the values of a judgement's ``problem_types``.")
    name = serializers.CharField()
    reviews = serializers.IntegerField()


class AgreementSerializer(serializers.Serializer):
    pairs = serializers.IntegerField(help_text="Patients with both reviews submitted.")
    agreed = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True, help_text="Percent agreement.")
    kappa = serializers.FloatField(allow_null=True, help_text="Cohen's kappa; null when it is undefined.")
    strength = serializers.CharField(help_text="Landis and Koch's words for the kappa.")


class AgreementsSerializer(serializers.Serializer):
    overall_rating = AgreementSerializer(help_text="On the overall care rating, 1 to 5.")
    death_avoidable = AgreementSerializer(help_text="On whether a death was avoidable (a score of 1 to 3).")


class EstimateSerializer(serializers.Serializer):
    reviewed_deaths = serializers.IntegerField()
    avoidable = serializers.IntegerField(help_text="Reviewed deaths whose mean avoidability score is 1 to 3.")
    proportion = serializers.FloatField()
    proportion_low = serializers.FloatField(help_text="Wilson 95% confidence interval, lower end.")
    proportion_high = serializers.FloatField(help_text="Wilson 95% confidence interval, upper end.")
    cohort_deaths = serializers.IntegerField()
    number = serializers.FloatField(help_text="Estimated avoidable deaths in the cohort.")
    number_low = serializers.FloatField()
    number_high = serializers.FloatField()


class FindingsSerializer(serializers.Serializer):
    """What the cohort's submitted reviews found. No reviewer is named."""

    case = serializers.IntegerField()
    has_cohort = serializers.BooleanField()
    patients = serializers.IntegerField()
    deaths = serializers.IntegerField()
    reviewed_patients = serializers.IntegerField()
    reviews = serializers.IntegerField(help_text="Submitted reviews; a patient reviewed twice counts twice.")
    double_reviewed = serializers.IntegerField()
    ratings = RatingDistributionSerializer(many=True)
    problem_types = ProblemCountSerializer(many=True)
    avoidability = ScoreCountSerializer(many=True, help_text="Reviews of deaths by avoidability score.")
    agreement = AgreementsSerializer()
    avoidable_deaths = EstimateSerializer(allow_null=True)


def _agreement(agreement: selectors.Agreement) -> dict[str, Any]:
    return {
        "pairs": agreement.pairs,
        "agreed": agreement.agreed,
        "percent": agreement.percent,
        "kappa": agreement.kappa,
        "strength": agreement.strength,
    }


def _counts(distribution: selectors.Distribution | None) -> list[dict[str, int]]:
    return [{"score": s, "reviews": n} for s, n in (distribution.counts if distribution else [])]


def findings_data(case: Case, findings: selectors.Findings) -> dict[str, Any]:
    estimate = findings.estimate
    return {
        "case": case.pk,
        "has_cohort": findings.cohort is not None,
        "patients": findings.patients,
        "deaths": findings.deaths,
        "reviewed_patients": findings.reviewed_patients,
        "reviews": findings.reviews,
        "double_reviewed": findings.double_reviewed,
        "ratings": [
            {"phase": d.key, "name": d.label, "counts": _counts(d), "total": d.total} for d in findings.ratings
        ],
        "problem_types": [
            {"problem_type": value, "name": label, "reviews": n}
            for (value, _), (label, n) in zip(ProblemType.choices, findings.problem_types, strict=True)
        ]
        if findings.problem_types
        else [],
        "avoidability": _counts(findings.avoidability),
        "agreement": {
            "overall_rating": _agreement(findings.overall_agreement),
            "death_avoidable": _agreement(findings.avoidable_agreement),
        },
        "avoidable_deaths": None
        if estimate is None
        else {
            "reviewed_deaths": estimate.reviewed,
            "avoidable": estimate.avoidable,
            "proportion": estimate.proportion,
            "proportion_low": estimate.low,
            "proportion_high": estimate.high,
            "cohort_deaths": estimate.cohort_deaths,
            "number": estimate.number,
            "number_low": estimate.number_low,
            "number_high": estimate.number_high,
        },
    }


class ProviderSerializer(serializers.Serializer):
    name = serializers.CharField()
    ods_code = serializers.CharField()


class FindingsSummarySerializer(serializers.ModelSerializer):
    """A published summary of a review's findings: counts and conclusions, with no personal data."""

    provider = ProviderSerializer(source="cohort.case.provider")

    class Meta:
        model = FindingsSummary
        fields = ["id", "title", "body", "patients_reviewed", "published_at", "provider"]


# --- In ----------------------------------------------------------------------------------------------------------


def _rating_in() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1, max_value=5, allow_null=True, required=False, default=None, help_text=RATING_HELP
    )


def _narrative_in(field: str) -> serializers.CharField:
    return serializers.CharField(
        allow_blank=True, max_length=max_length_of(StructuredJudgement, field), required=False, default=""
    )


class JudgementInSerializer(serializers.Serializer):
    """The whole draft: a field left out is saved empty."""

    admission_rating = _rating_in()
    admission_narrative = _narrative_in("admission_narrative")
    ongoing_rating = _rating_in()
    ongoing_narrative = _narrative_in("ongoing_narrative")
    procedure_rating = _rating_in()
    procedure_narrative = _narrative_in("procedure_narrative")
    perioperative_rating = _rating_in()
    perioperative_narrative = _narrative_in("perioperative_narrative")
    end_of_life_rating = _rating_in()
    end_of_life_narrative = _narrative_in("end_of_life_narrative")
    overall_rating = _rating_in()
    overall_narrative = _narrative_in("overall_narrative")
    problem_types = serializers.ListField(
        child=serializers.ChoiceField(choices=ProblemType.choices),
        max_length=len(ProblemType.choices),
        required=False,
        default=list,
    )
    avoidability = serializers.IntegerField(
        min_value=1, max_value=6, allow_null=True, required=False, default=None, help_text=AVOIDABILITY_HELP
    )
    safety_concern = serializers.BooleanField(
        required=False, default=False, help_text="Alerts the case's investigation lead at once."
    )
    safety_concern_detail = _narrative_in("safety_concern_detail")


class SummaryInSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=max_length_of(FindingsSummary, "title"))
    body = serializers.CharField(max_length=max_length_of(FindingsSummary, "body"))


# --- Reviewers ---------------------------------------------------------------------------------------------------


class MyAssignmentViewSet(viewsets.GenericViewSet):
    """The signed-in reviewer's active assignments, pseudonymised, unfinished first."""

    queryset = Assignment.objects.none()
    serializer_class = MyAssignmentSerializer
    lookup_value_regex = ID_PATTERN
    filter_backends: list[type] = []

    def list(self, request: Request) -> Response:
        """Your assigned patients, by review reference and age band; never a name or an NHS number."""
        cases = selectors.my_assignments(user=acting_user(request))
        page = self.paginate_queryset(cases)
        return self.get_paginated_response(MyAssignmentSerializer(page, many=True).data)

    @extend_schema(responses={200: MyAssignmentSerializer})
    def retrieve(self, request: Request, pk: str) -> Response:
        """One of your assigned patients; 404 for anyone else's."""
        mine = selectors.assignment_get_for_reviewer(user=acting_user(request), pk=int(pk))
        return Response(MyAssignmentSerializer(mine.case).data)


JUDGEMENT_FIELDS = [
    *services.EDITABLE_FIELDS,
    "avoidability_scale",
    "avoidability_direction",
    "safety_alerted_at",
    "updated_at",
    "submitted_at",
]


def _judgement_data(mine: selectors.ReviewerAssignment) -> Any:
    """The reviewer's judgement as the API shows it; an empty draft when they have not started."""
    judgement = mine.judgement or StructuredJudgement(assignment_id=mine.case.assignment_id)
    values = {name: getattr(judgement, name) for name in JUDGEMENT_FIELDS}
    values.update(assignment_id=mine.case.assignment_id, progress=mine.case.progress)
    return JudgementSerializer(values).data


def _path_id(name: str, description: str) -> Any:
    return extend_schema(
        parameters=[OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=description)]
    )


@_path_id("assignment", "The assignment's id, as in `my-assignments`.")
class JudgementViewSet(viewsets.GenericViewSet):
    """The signed-in reviewer's structured judgement of one of their assigned patients, by the assignment's id.
    The draft is replaced with PUT; ``submit`` locks it for good."""

    queryset = StructuredJudgement.objects.none()
    serializer_class = JudgementSerializer
    lookup_field = "assignment"
    lookup_value_regex = ID_PATTERN
    filter_backends: list[type] = []

    def _mine(self, request: Request, assignment: str) -> selectors.ReviewerAssignment:
        return selectors.assignment_get_for_reviewer(user=acting_user(request), pk=int(assignment))

    def retrieve(self, request: Request, assignment: str) -> Response:
        """Your judgement of the patient; an empty draft if you have not started."""
        return Response(_judgement_data(self._mine(request, assignment)))

    @extend_schema(request=JudgementInSerializer, responses={200: JudgementSerializer})
    def update(self, request: Request, assignment: str) -> Response:
        """Saves the whole draft. Refused (409) once the review is submitted. A safety concern saved here alerts
        the case's investigation lead at once."""
        mine = self._mine(request, assignment)
        data = validated(JudgementInSerializer, request)
        services.judgement_save(actor=acting_user(request), assignment=mine.assignment, changes=data)
        return Response(_judgement_data(self._mine(request, assignment)))

    @extend_schema(request=None, responses={200: JudgementSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, assignment: str) -> Response:
        """Submits the saved draft: 400 with a message for each field missing, 409 if already submitted. It can
        never be changed again."""
        mine = self._mine(request, assignment)
        services.judgement_submit(actor=acting_user(request), assignment=mine.assignment)
        return Response(_judgement_data(self._mine(request, assignment)))


# --- The review team ---------------------------------------------------------------------------------------------


class CSVRenderer(BaseRenderer):
    """Lets a client ask for ``text/csv``; the CSV itself is streamed by the view."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        # Only error bodies reach here; they keep their JSON shape.
        return json.dumps(data).encode()


@_path_id("case", "The case's id.")
class FindingsViewSet(viewsets.GenericViewSet):
    """The findings of a case's review cohort, by the case's id, for its review managers."""

    queryset = Case.objects.none()
    serializer_class = FindingsSerializer
    lookup_url_kwarg = "case"
    lookup_value_regex = ID_PATTERN
    filter_backends: list[type] = []

    def _case(self, request: Request, case: str) -> Case:
        return managed_case_get_for_user(user=acting_user(request), pk=int(case))

    def retrieve(self, request: Request, case: str) -> Response:
        """Rating distributions, problem types, avoidability, agreement on patients reviewed twice (percent and
        Cohen's kappa), and the estimate of avoidable deaths with its Wilson 95% interval."""
        found = self._case(request, case)
        return Response(FindingsSerializer(findings_data(found, selectors.findings(case=found))).data)

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The findings.")})
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, CSVRenderer])
    def csv(self, request: Request, case: str) -> HttpResponseBase:
        """One row per submitted review: reference, wave, specialty, review, ratings, problem types and the
        avoidability score with its scale and direction. Reviewers appear only as codes ("Reviewer 7")."""
        found = self._case(request, case)
        lines = services.findings_export(actor=acting_user(request), case=found)
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="findings-{found.reference}.csv"'
        return response

    @extend_schema(request=SummaryInSerializer, responses={201: FindingsSummarySerializer})
    @action(detail=True, methods=["post"])
    def summaries(self, request: Request, case: str) -> Response:
        """Publishes a summary of the findings for the public, with the number of patients reviewed so far."""
        found = self._case(request, case)
        data = validated(SummaryInSerializer, request)
        summary = services.findings_publish(actor=acting_user(request), case=found, **data)
        summary = selectors.published_summaries().get(pk=summary.pk)
        return Response(FindingsSummarySerializer(summary).data, status=status.HTTP_201_CREATED)


# --- The public --------------------------------------------------------------------------------------------------


class FindingsSummaryViewSet(viewsets.ReadOnlyModelViewSet):
    """Published summaries of reviews' findings, newest first. Anyone may read them; they hold no personal data."""

    queryset = FindingsSummary.objects.none()
    serializer_class = FindingsSummarySerializer
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [AnonRateThrottle]
    lookup_value_regex = ID_PATTERN
    filter_backends: list[type] = []

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.published_summaries()
