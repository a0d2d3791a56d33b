"""Reads of a case-note review cohort: its waves, imports, patients and assignments, for the case's review
managers only (anyone else gets 404), and the reviewers a patient may be given to.

Patients' identifiers are read here but shown only on the patient's own page, whose every view is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import User
from failure_regime.models import Case, CaseStatus
from reviews.models import (
    Appointment,
    AppointmentRole,
    Assignment,
    AssignmentKind,
    Cohort,
    CohortImport,
    CohortPatient,
    DeclaredInterest,
    Employment,
    Expert,
    JudgementStatus,
    Wave,
)
from reviews.selectors.registry import unwaived_conflicts_for
from reviews.selectors.team import managed_case_list_for_user

DEFAULT_ASSIGNMENT_WEEKS = 4


def assignment_weeks() -> int:
    """How many weeks of each reviewer's weekly capacity one assignment run may fill."""
    return max(1, int(getattr(settings, "REVIEWS_ASSIGNMENT_WEEKS", DEFAULT_ASSIGNMENT_WEEKS)))


# --- What review managers see -------------------------------------------------------------------


def cohort_for_case(*, case: Case) -> Cohort | None:
    return Cohort.objects.filter(case=case).first()


def cohort_list_for_user(*, user: User) -> QuerySet[Cohort]:
    """The cohorts of the cases whose review ``user`` manages."""
    if not user.is_authenticated:
        return Cohort.objects.none()
    return Cohort.objects.filter(case__in=managed_case_list_for_user(user=user).values("pk")).select_related(
        "case__provider"
    )


def cohort_get_for_user(*, user: User, pk: int) -> Cohort:
    cohort = cohort_list_for_user(user=user).filter(pk=pk).first()
    if cohort is None:
        raise Http404("No such cohort.")
    return cohort


def wave_list_for_user(*, user: User) -> QuerySet[Wave]:
    return Wave.objects.filter(cohort__in=cohort_list_for_user(user=user).values("pk")).select_related("cohort")


def wave_get_for_user(*, user: User, pk: int) -> Wave:
    wave = wave_list_for_user(user=user).filter(pk=pk).first()
    if wave is None:
        raise Http404("No such wave.")
    return wave


def cohort_import_list_for_user(*, user: User) -> QuerySet[CohortImport]:
    return CohortImport.objects.filter(wave__cohort__in=cohort_list_for_user(user=user).values("pk")).select_related(
        "wave__cohort__case", "uploaded_by"
    )


def cohort_import_get_for_user(*, user: User, pk: int) -> CohortImport:
    cohort_import = cohort_import_list_for_user(user=user).filter(pk=pk).first()
    if cohort_import is None:
        raise Http404("No such import.")
    return cohort_import


def patient_list_for_user(*, user: User) -> QuerySet[CohortPatient]:
    """Patients of the cohorts ``user`` manages, with what their lists show."""
    return CohortPatient.objects.filter(cohort__in=cohort_list_for_user(user=user).values("pk")).select_related(
        "specialty", "wave"
    )


def patient_get_for_user(*, user: User, pk: int) -> CohortPatient:
    """A patient of a cohort ``user`` manages; 404 otherwise. The caller records the view (``patient_view``)."""
    patient = patient_list_for_user(user=user).select_related("cohort__case").filter(pk=pk).first()
    if patient is None:
        raise Http404("No such patient.")
    return patient


def assignment_list_for_user(*, user: User) -> QuerySet[Assignment]:
    """Assignments in the cohorts ``user`` manages, current and ended. Reviewers' own assignments are read
    elsewhere, pseudonymised."""
    return Assignment.objects.filter(patient__cohort__in=cohort_list_for_user(user=user).values("pk")).select_related(
        "patient__specialty", "reviewer", "assigned_by", "judgement"
    )


def assignment_get_for_user(*, user: User, pk: int) -> Assignment:
    assignment = assignment_list_for_user(user=user).select_related("patient__cohort__case").filter(pk=pk).first()
    if assignment is None:
        raise Http404("No such assignment.")
    return assignment


# --- Summaries ----------------------------------------------------------------------------------


@dataclass
class SpecialtyTotals:
    """A cohort's patients in one specialty, and how many of their reviews are assigned."""

    specialty: str
    patients: int = 0
    second_reviews: int = 0
    first_assigned: int = 0
    second_assigned: int = 0

    @property
    def unassigned(self) -> int:
        return self.patients - self.first_assigned + self.second_reviews - self.second_assigned


def specialty_totals(*, cohort: Cohort) -> list[SpecialtyTotals]:
    """Patients, second reviews and current assignments per specialty, in two queries however large the cohort."""
    totals: dict[str, SpecialtyTotals] = {}
    patients = (
        CohortPatient.objects.filter(cohort=cohort)
        .values("specialty__name")
        .annotate(patients=Count("pk"), second=Count("pk", filter=~Q(second_review="")))
        .order_by()
    )
    for row in patients:
        name = row["specialty__name"]
        totals[name] = SpecialtyTotals(name, patients=row["patients"], second_reviews=row["second"])
    assigned = (
        Assignment.objects.filter(Assignment.ACTIVE, patient__cohort=cohort)
        .values("patient__specialty__name", "kind")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for assigned_row in assigned:
        name = assigned_row["patient__specialty__name"]
        line = totals.setdefault(name, SpecialtyTotals(name))
        if assigned_row["kind"] == AssignmentKind.FIRST:
            line.first_assigned = assigned_row["count"]
        else:
            line.second_assigned = assigned_row["count"]
    return sorted(totals.values(), key=lambda t: t.specialty.lower())


@dataclass
class ReviewerLoad:
    """A reviewer on the case: their capacity for one assignment run, their open reviews (on every case) and
    their current assignments in this cohort."""

    expert_id: int
    name: str
    specialties: list[str]
    capacity: int
    open_load: int
    first: int = 0
    second: int = 0
    eligible: bool = True


def reviewer_loads(*, cohort: Cohort) -> list[ReviewerLoad]:
    """Every reviewer who may be assigned patients of the cohort, and anyone who already has some, with their
    loads; a fixed number of queries."""
    eligible = {r.expert_id: r for r in eligible_reviewers(case=cohort.case)}
    in_cohort = (
        Assignment.objects.filter(Assignment.ACTIVE, patient__cohort=cohort)
        .values("reviewer", "kind")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = {}
    for row in in_cohort:
        counts.setdefault(row["reviewer"], {})[row["kind"]] = row["count"]
    others = set(counts) - set(eligible)
    experts = {e.pk: e for e in Expert.objects.filter(pk__in=others | set(eligible)).prefetch_related("specialties")}
    loads = open_loads(expert_ids=list(others))
    weeks = assignment_weeks()
    rows: list[ReviewerLoad] = []
    for expert_id, expert in experts.items():
        reviewer = eligible.get(expert_id)
        rows.append(
            ReviewerLoad(
                expert_id=expert_id,
                name=expert.name,
                specialties=sorted(s.name for s in expert.specialties.all()),
                capacity=reviewer.capacity if reviewer else expert.capacity_per_week * weeks,
                open_load=reviewer.load if reviewer else loads.get(expert_id, 0),
                first=counts.get(expert_id, {}).get(AssignmentKind.FIRST, 0),
                second=counts.get(expert_id, {}).get(AssignmentKind.SECOND, 0),
                eligible=reviewer is not None,
            )
        )
    return sorted(rows, key=lambda r: (r.name.lower(), r.expert_id))


# --- Who may be assigned ------------------------------------------------------------------------


@dataclass
class Reviewer:
    """An expert who may be given patients of a case: their capacity for one run and their open load."""

    expert_id: int
    name: str
    capacity: int
    load: int
    specialty_ids: frozenset[int] = field(default_factory=frozenset)


def open_loads(*, expert_ids: list[int]) -> dict[int, int]:
    """Each expert's open reviews on every case: current assignments whose judgement is not yet submitted."""
    if not expert_ids:
        return {}
    submitted = Q(judgement__status=JudgementStatus.SUBMITTED)
    rows = (
        Assignment.objects.filter(Assignment.ACTIVE, reviewer_id__in=expert_ids)
        .exclude(submitted)
        .values("reviewer")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["reviewer"]: row["count"] for row in rows}


def eligible_reviewers(*, case: Case) -> list[Reviewer]:
    """The experts who may review the case's patients: appointed to the case as expert reviewer (the
    appointment holds their signed independence declaration), with an active account, available, and with no
    conflict with the provider that a waiver on the case does not cover. A fixed number of queries, plus a few
    for any appointed expert with a record at the provider."""
    appointed = Appointment.objects.filter(
        case=case, role=AppointmentRole.EXPERT_REVIEWER, ended_at__isnull=True, expert=OuterRef("pk")
    )
    experts = list(
        Expert.objects.filter(Exists(appointed), available=True, user__isnull=False, user__is_active=True)
        .annotate(
            has_record_at_provider=Exists(
                Employment.objects.filter(expert=OuterRef("pk"), organisation=case.provider_id)
            )
            | Exists(DeclaredInterest.objects.filter(expert=OuterRef("pk"), organisation=case.provider_id))
        )
        .order_by("pk")
    )
    # The registry's own rule decides; only experts with a post or an interest at the provider can conflict.
    experts = [e for e in experts if not e.has_record_at_provider or not unwaived_conflicts_for(expert=e, case=case)]
    ids = [e.pk for e in experts]
    specialties: dict[int, set[int]] = {}
    for expert_id, specialty_id in Expert.specialties.through.objects.filter(expert_id__in=ids).values_list(
        "expert_id", "specialty_id"
    ):
        specialties.setdefault(expert_id, set()).add(specialty_id)
    loads = open_loads(expert_ids=ids)
    weeks = assignment_weeks()
    return [
        Reviewer(
            expert_id=e.pk,
            name=e.name,
            capacity=e.capacity_per_week * weeks,
            load=loads.get(e.pk, 0),
            specialty_ids=frozenset(specialties.get(e.pk, set())),
        )
        for e in experts
    ]


# --- Pages --------------------------------------------------------------------------------------


def patients_waiting(patients: QuerySet[CohortPatient]) -> QuerySet[CohortPatient]:
    """Those of ``patients`` still waiting for a first review, or for a second review they are marked for."""
    active = Assignment.objects.filter(Assignment.ACTIVE, patient=OuterRef("pk"))
    return patients.exclude(Exists(active.filter(kind=AssignmentKind.FIRST))) | patients.filter(
        ~Q(second_review=""), ~Exists(active.filter(kind=AssignmentKind.SECOND))
    )


def patient_rows(patients: QuerySet[CohortPatient]) -> QuerySet[CohortPatient]:
    """Patients with their current assignments and reviewers, for a list page: two queries a page."""
    current = Assignment.objects.filter(Assignment.ACTIVE).select_related("reviewer").order_by("kind")
    return patients.select_related("specialty", "wave").prefetch_related(
        Prefetch("assignments", queryset=current, to_attr="current_assignments")
    )


def patient_assignments(*, patient: CohortPatient) -> QuerySet[Assignment]:
    """Every assignment of the patient, current and ended, oldest first."""
    return (
        Assignment.objects.filter(patient=patient)
        .select_related("reviewer", "assigned_by", "ended_by", "judgement")
        .order_by("assigned_at", "pk")
    )


def cohort_imports(*, cohort: Cohort) -> QuerySet[CohortImport]:
    return CohortImport.objects.filter(wave__cohort=cohort).select_related("wave", "uploaded_by")


def patient_find(*, cohort: Cohort, nhs_number: str) -> CohortPatient | None:
    """The cohort's patient with this NHS number, if any; the caller has already checked who is asking."""
    return CohortPatient.objects.filter(cohort=cohort, nhs_number=nhs_number).first()


def reassignment_choices(*, assignment: Assignment) -> QuerySet[Expert]:
    """The reviewers an assignment may be given to: eligible on the case, with the patient's specialty, who have
    never had the patient."""
    patient = assignment.patient
    taken = set(Assignment.objects.filter(patient=patient).values_list("reviewer_id", flat=True))
    ids = [
        r.expert_id
        for r in eligible_reviewers(case=patient.cohort.case)
        if patient.specialty_id in r.specialty_ids and r.expert_id not in taken and r.load < r.capacity
    ]
    return Expert.objects.filter(pk__in=ids).order_by("name", "pk")


@dataclass(frozen=True)
class CohortWaiting:
    """How many of a cohort's patients wait for a review."""

    case_id: int
    case_reference: str
    case_title: str
    waiting: int


def patients_waiting_by_cohort(*, user: User) -> list[CohortWaiting]:
    """For the review managers' home page: how many patients of each cohort they may assign (cases whose review the
    user manages, still open) wait for a review, one row per cohort, one query."""
    patients = patient_list_for_user(user=user).exclude(cohort__case__status=CaseStatus.CLOSED)
    rows = (
        patients_waiting(patients)
        .order_by()
        .values_list("cohort__case_id", "cohort__case__reference", "cohort__case__title")
        .annotate(waiting=Count("pk", distinct=True))
        .order_by("cohort__case__reference")
    )
    return [CohortWaiting(case_id, reference, title, waiting) for case_id, reference, title, waiting in rows]
