"""API of the review cohort, for the case's review managers only (anyone else sees nothing, and 404 for a
single object): cohorts with their waves and totals, CSV imports with their progress and errors, patients,
assignments, and the assign and reassign actions. Every write is one service call.

Lists never carry a patient's identifiers; reading one patient does, and is recorded in the audit trail.
Reviewers read their own assignments elsewhere, pseudonymised."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.acting import acting_user, validated
from accounts.limits import max_length_of
from failure_regime.api.fields import IdField
from failure_regime.api.serializers import PersonSerializer
from reviews.api.serializers import SpecialtySerializer
from reviews.models import (
    Assignment,
    AssignmentKind,
    Cohort,
    CohortImport,
    CohortPatient,
    EventKind,
    Expert,
    IdentificationSource,
    ImportStatus,
    SecondReviewReason,
    Wave,
)
from reviews.selectors import cohort as selectors
from reviews.selectors.team import managed_case_list_for_user
from reviews.services import cohort as services
from reviews.services import cohort_import as imports

MAX_ID = 2**62


# --- Ids the caller may name --------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class ManagedCaseIdField(IdField):
    """A case whose review the caller manages; any other id reads as not found."""

    def get_queryset(self) -> QuerySet[Any]:
        return managed_case_list_for_user(user=self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class ManagedWaveIdField(IdField):
    """A wave of a cohort the caller manages; any other id reads as not found."""

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.wave_list_for_user(user=self.context["request"].user)


# --- Out ----------------------------------------------------------------------------------------


class WaveSerializer(serializers.ModelSerializer):
    cohort: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Wave
        fields = ["id", "cohort", "number", "criteria_version", "inclusion_criteria", "created_at"]


class CohortSerializer(serializers.ModelSerializer):
    case: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Cohort
        fields = ["id", "case", "title", "second_review_share", "created_at"]


class SpecialtyTotalsSerializer(serializers.Serializer):
    specialty = serializers.CharField()
    patients = serializers.IntegerField()
    second_reviews = serializers.IntegerField(help_text="Patients marked for a second review.")
    first_assigned = serializers.IntegerField(help_text="Current first-review assignments.")
    second_assigned = serializers.IntegerField(help_text="Current second-review assignments.")
    unassigned = serializers.IntegerField(help_text="Reviews still waiting for a reviewer.")


class CohortDetailSerializer(CohortSerializer):
    waves = WaveSerializer(many=True, read_only=True)
    specialties = serializers.SerializerMethodField()

    class Meta(CohortSerializer.Meta):
        fields = [*CohortSerializer.Meta.fields, "waves", "specialties"]

    @extend_schema_field(SpecialtyTotalsSerializer(many=True))
    def get_specialties(self, cohort: Cohort) -> Any:
        return SpecialtyTotalsSerializer(selectors.specialty_totals(cohort=cohort), many=True).data


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The line of the file, 1 being the header.")
    field = serializers.CharField(help_text="The column, or empty for the whole line.")
    reason = serializers.CharField()


class CohortImportSerializer(serializers.ModelSerializer):
    wave = serializers.IntegerField(source="wave.number", read_only=True, help_text="The wave's number.")
    wave_id = serializers.IntegerField(read_only=True)
    cohort = serializers.IntegerField(source="wave.cohort_id", read_only=True)
    import_status = serializers.ChoiceField(source="status", choices=ImportStatus.choices, read_only=True)
    percent_done = serializers.IntegerField(read_only=True, help_text="Rows checked, in percent.")
    uploaded_by = PersonSerializer(read_only=True)

    class Meta:
        model = CohortImport
        fields = [
            "id",
            "cohort",
            "wave_id",
            "wave",
            "original_name",
            "size",
            "valid_rows_only",
            "import_status",
            "total_rows",
            "processed_rows",
            "percent_done",
            "imported_rows",
            "error_count",
            "uploaded_by",
            "uploaded_at",
            "finished_at",
        ]


class CohortImportDetailSerializer(CohortImportSerializer):
    problems = ImportErrorSerializer(
        source="errors", many=True, read_only=True, help_text="The first 1,000 problems, by line."
    )

    class Meta(CohortImportSerializer.Meta):
        fields = [*CohortImportSerializer.Meta.fields, "problems"]


class CohortPatientSerializer(serializers.ModelSerializer):
    """A patient as lists show them: the review reference and age band, never an identifier."""

    wave = serializers.IntegerField(source="wave.number", read_only=True)
    specialty = SpecialtySerializer(read_only=True)
    event_kind = serializers.ChoiceField(choices=EventKind.choices, read_only=True)
    identification_source = serializers.ChoiceField(choices=IdentificationSource.choices, read_only=True)
    second_review = serializers.ChoiceField(
        choices=[("", "None"), *SecondReviewReason.choices],
        read_only=True,
        help_text="Why the patient gets a second review; empty for none.",
    )

    class Meta:
        model = CohortPatient
        fields = [
            "id",
            "cohort",
            "wave",
            "reference",
            "age_band",
            "specialty",
            "category",
            "event_kind",
            "identification_source",
            "second_review",
        ]


class CohortPatientDetailSerializer(CohortPatientSerializer):
    """A patient's identifiable record, for the review team; each read is recorded."""

    class Meta(CohortPatientSerializer.Meta):
        fields = [
            *CohortPatientSerializer.Meta.fields,
            "nhs_number",
            "date_of_birth",
            "admitted_on",
            "event_on",
        ]


class ReviewerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Expert
        fields = ["id", "name"]


class CohortAssignmentSerializer(serializers.ModelSerializer):
    patient = serializers.PrimaryKeyRelatedField(read_only=True)  # type: ignore[var-annotated]
    reference = serializers.CharField(source="patient.reference", read_only=True)
    review_kind = serializers.ChoiceField(source="kind", choices=AssignmentKind.choices, read_only=True)
    reviewer = ReviewerSerializer(read_only=True)
    assigned_by = PersonSerializer(read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "patient",
            "reference",
            "review_kind",
            "reviewer",
            "assigned_by",
            "assigned_at",
            "ended_at",
            "end_reason",
            "active",
        ]

    def get_active(self, assignment: Assignment) -> bool:
        return assignment.ended_at is None


class SpecialtyAssignmentSerializer(serializers.Serializer):
    specialty = serializers.CharField()
    first_assigned = serializers.IntegerField()
    second_assigned = serializers.IntegerField()
    first_unassigned = serializers.IntegerField(help_text="First reviews left: no eligible reviewer has capacity.")
    second_unassigned = serializers.IntegerField(help_text="Second reviews left: no eligible reviewer has capacity.")


class AssignmentReportSerializer(serializers.Serializer):
    assigned = serializers.IntegerField()
    unassigned = serializers.IntegerField()
    by_specialty = SpecialtyAssignmentSerializer(many=True)


# --- In -----------------------------------------------------------------------------------------


class CohortInSerializer(serializers.Serializer):
    case = ManagedCaseIdField(help_text="A case whose review you manage.")
    title = serializers.CharField(max_length=200)
    second_review_share = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        min_value=0,
        max_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="The share of patients chosen at random for a second review, 0 to 1; 0.20 when left out.",
    )


class WaveInSerializer(serializers.Serializer):
    criteria_version = serializers.CharField(max_length=max_length_of(Wave, "criteria_version"))
    inclusion_criteria = serializers.CharField(max_length=max_length_of(Wave, "inclusion_criteria"))


class CohortImportInSerializer(serializers.Serializer):
    wave = ManagedWaveIdField(help_text="The wave the patients join.")
    file = serializers.FileField(allow_empty_file=True, help_text="A CSV file saved as UTF-8; see the columns.")
    valid_rows_only = serializers.BooleanField(
        required=False, default=False, help_text="Import the valid rows even when others have errors."
    )


class CohortQuerySerializer(serializers.Serializer):
    cohort = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Only this cohort's; one you manage."
    )


class CaseCohortQuerySerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, help_text="Only this case's.")


class ReassignInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=max_length_of(Assignment, "end_reason"))
    reviewer = IdField(
        queryset=Expert.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The new reviewer; left out, the least-loaded eligible reviewer.",
    )


# --- Views --------------------------------------------------------------------------------------


class _ManagedList(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"[0-9]{1,18}"
    filter_backends: list[type] = []

    def _cohort_filter(self, queryset: QuerySet[Any], field: str) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        query = validated(CohortQuerySerializer, self.request, data=self.request.query_params)
        return queryset.filter(**{field: query["cohort"]}) if query.get("cohort") else queryset


class CohortViewSet(_ManagedList):
    """A case's review cohort: its waves and, per specialty, its patients and assigned reviews."""

    queryset = Cohort.objects.none()

    def get_queryset(self) -> QuerySet[Cohort]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        cohorts = selectors.cohort_list_for_user(user=acting_user(self.request)).order_by("-created_at", "-pk")
        if self.action == "list":
            query = validated(CaseCohortQuerySerializer, self.request, data=self.request.query_params)
            return cohorts.filter(case=query["case"]) if query.get("case") else cohorts
        return cohorts.prefetch_related("waves")

    def get_serializer_class(self) -> type:
        return CohortSerializer if self.action == "list" else CohortDetailSerializer

    @extend_schema(parameters=[CaseCohortQuerySerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def _detail(self, cohort: Cohort, code: int = status.HTTP_200_OK) -> Response:
        return Response(CohortDetailSerializer(self.get_queryset().get(pk=cohort.pk)).data, status=code)

    @extend_schema(request=CohortInSerializer, responses={201: CohortDetailSerializer})
    def create(self, request: Request) -> Response:
        """Starts the case's review cohort (one per case; a second is refused with 409)."""
        data = validated(CohortInSerializer, request)
        cohort = services.cohort_create(actor=acting_user(request), **data)
        return self._detail(cohort, status.HTTP_201_CREATED)

    @extend_schema(request=WaveInSerializer, responses={201: WaveSerializer})
    @action(detail=True, methods=["post"])
    def waves(self, request: Request, pk: str) -> Response:
        """Adds the next wave with the version and text of the inclusion criteria it uses."""
        cohort, data = self.get_object(), validated(WaveInSerializer, request)
        wave = services.wave_add(actor=acting_user(request), cohort=cohort, **data)
        return Response(WaveSerializer(wave).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: AssignmentReportSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        """Gives every waiting review to the least-loaded eligible reviewer with the patient's specialty and
        capacity; says how many were given and how many still wait."""
        report = services.cohort_assign(actor=acting_user(request), cohort=self.get_object())
        return Response(
            AssignmentReportSerializer(
                {"assigned": report.assigned, "unassigned": report.unassigned, "by_specialty": report.by_specialty}
            ).data
        )


class CohortImportViewSet(_ManagedList):
    """CSV files of patients, checked and imported in the background, with their progress and problems."""

    queryset = CohortImport.objects.none()
    parser_classes = [MultiPartParser]

    def get_queryset(self) -> QuerySet[CohortImport]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        imports = selectors.cohort_import_list_for_user(user=acting_user(self.request)).order_by("-uploaded_at", "-pk")
        return self._cohort_filter(imports, "wave__cohort")

    def get_serializer_class(self) -> type:
        return CohortImportSerializer if self.action == "list" else CohortImportDetailSerializer

    @extend_schema(parameters=[CohortQuerySerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": CohortImportInSerializer}, responses={202: CohortImportDetailSerializer}
    )
    def create(self, request: Request) -> Response:
        """Uploads a CSV file for a wave; it is checked and imported in the background (follow its progress at
        the import's address). Unless `valid_rows_only`, a file with any bad row imports nothing."""
        data = validated(CohortImportInSerializer, request)
        cohort_import = imports.cohort_import_start(
            actor=acting_user(request), wave=data["wave"], upload=data["file"], valid_rows_only=data["valid_rows_only"]
        )
        return Response(CohortImportDetailSerializer(cohort_import).data, status=status.HTTP_202_ACCEPTED)


class CohortPatientViewSet(_ManagedList):
    """The cohort's patients. The list shows references and age bands only; reading one patient shows their
    NHS number and dates, and is recorded in the audit trail."""

    queryset = CohortPatient.objects.none()

    def get_queryset(self) -> QuerySet[CohortPatient]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        patients = selectors.patient_list_for_user(user=acting_user(self.request)).order_by("cohort", "reference")
        return self._cohort_filter(patients, "cohort")

    def get_serializer_class(self) -> type:
        return CohortPatientSerializer if self.action == "list" else CohortPatientDetailSerializer

    @extend_schema(parameters=[CohortQuerySerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One patient's identifiable record; the read is recorded."""
        patient = selectors.patient_get_for_user(user=acting_user(request), pk=int(kwargs["pk"]))
        services.cohort_patient_view(actor=acting_user(request), patient=patient)
        return Response(CohortPatientDetailSerializer(patient).data)


class CohortAssignmentViewSet(_ManagedList):
    """Who reviews each patient of the cohorts you manage, current and ended, and reassignment."""

    queryset = Assignment.objects.none()
    serializer_class = CohortAssignmentSerializer

    def get_queryset(self) -> QuerySet[Assignment]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        assignments = selectors.assignment_list_for_user(user=acting_user(self.request)).order_by("pk")
        return self._cohort_filter(assignments, "patient__cohort")

    @extend_schema(parameters=[CohortQuerySerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ReassignInSerializer, responses={201: CohortAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str) -> Response:
        """Ends the assignment with the reason and gives the review to the reviewer named, or to the
        least-loaded eligible one; 409 once the review is submitted."""
        assignment, data = self.get_object(), validated(ReassignInSerializer, request)
        new = services.assignment_reassign(actor=acting_user(request), assignment=assignment, **data)
        return Response(CohortAssignmentSerializer(new).data, status=status.HTTP_201_CREATED)
