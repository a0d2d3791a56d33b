"""Reads of structured judgement reviews: what a reviewer sees of their own cases, and the findings of a cohort.

**Reviewers** see only the patients assigned to them, and only pseudonymised: the review reference, the age
band, the specialty, whether it was a death or an incident, the category, whether theirs is the first or the
second review, and how far they have got. Never a name, an NHS number or a date of birth; a second reviewer never
sees the first reviewer's judgement. Anything else (someone else's case, or one reassigned away) is 404.

**Findings** are for the case's review managers (``reviews.selectors.team``). They count every submitted review
of a patient whose assignment is still active (a reassigned review no longer counts), and never name a reviewer:

- rating distributions count reviews, so a double-reviewed patient counts twice; avoidability counts deaths only;
- agreement compares the first and second reviews of each patient who has both submitted: on the overall rating
  (five categories) and, for deaths, on whether the death was avoidable (score 1 to 3 against 4 to 6);
- the estimate of avoidable deaths takes each reviewed death once. Where two reviewers judged it, it uses the
  **mean of their two scores**, so 3 and 4 (mean 3.5) is not avoidable and 2 and 4 (mean 3) is. The proportion
  has a Wilson 95% interval, and the number for the cohort scales the proportion and its interval by the
  cohort's deaths, reviewed or not.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from math import sqrt
from statistics import NormalDist
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import User
from failure_regime.models import Case
from reviews.models import (
    AVOIDABLE_SCORES,
    Assignment,
    AssignmentKind,
    Avoidability,
    CareRating,
    Cohort,
    CohortPatient,
    EventKind,
    FindingsSummary,
    JudgementStatus,
    Phase,
    ProblemType,
    StructuredJudgement,
)
from reviews.selectors.team import holds_reviewing_role

NOT_STARTED = "not_started"
PROGRESS_LABELS = {
    NOT_STARTED: "Not started",
    JudgementStatus.DRAFT: "Draft saved",
    JudgementStatus.SUBMITTED: "Submitted",
}
RATED = [*Phase.values, "overall"]
RATED_LABELS = {**dict(Phase.choices), "overall": "Overall care"}
# The highest score counted as avoidable (1 to 3: more likely than not).
AVOIDABLE_AT_MOST = max(AVOIDABLE_SCORES)


# --- What a reviewer sees --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewerCase:
    """An assigned patient as their reviewer sees it: pseudonymised, with no identifier of the patient."""

    assignment_id: int
    reference: str
    age_band: str
    specialty: str
    event_kind: str
    category: str
    kind: str
    progress: str
    assigned_at: datetime

    @property
    def event_kind_label(self) -> str:
        return str(EventKind(self.event_kind).label)

    @property
    def kind_label(self) -> str:
        return str(AssignmentKind(self.kind).label)

    @property
    def progress_label(self) -> str:
        return PROGRESS_LABELS[self.progress]

    @property
    def is_death(self) -> bool:
        return self.event_kind == EventKind.DEATH


# Only these columns of the patient are ever read for a reviewer.
_REVIEWER_COLUMNS = (
    "patient__reference",
    "patient__age_band",
    "patient__specialty__name",
    "patient__event_kind",
    "patient__category",
)


def reviewer_assignment_list_for_user(*, user: User) -> QuerySet[Assignment]:
    """The user's own assignments they may open and write: active, and only while they hold a reviewing role. An
    assignment whose reviewer's role was removed has ended (``reviews.services.role_removal``); a submitted one stays
    active, for the findings, but is no longer theirs to read once they hold no reviewing role."""
    if not user.is_authenticated:
        return Assignment.objects.none()
    return Assignment.objects.filter(Assignment.ACTIVE, holds_reviewing_role(user=user), reviewer__user=user)


def _reviewer_case(row: dict[str, Any]) -> ReviewerCase:
    return ReviewerCase(
        assignment_id=row["pk"],
        reference=row["patient__reference"],
        age_band=row["patient__age_band"],
        specialty=row["patient__specialty__name"],
        event_kind=row["patient__event_kind"],
        category=row["patient__category"],
        kind=row["kind"],
        progress=row["judgement__status"] or NOT_STARTED,
        assigned_at=row["assigned_at"],
    )


def _reviewer_rows(assignments: QuerySet[Assignment]) -> QuerySet[Assignment, dict[str, Any]]:
    rows: QuerySet[Assignment, dict[str, Any]] = assignments.values(
        "pk", "kind", "assigned_at", "judgement__status", *_REVIEWER_COLUMNS
    )
    return rows


def my_assignments(*, user: User) -> list[ReviewerCase]:
    """The reviewer's active assignments, pseudonymised: unfinished first, then by review reference. One query.
    A reviewer holds at most a few hundred at a time (their weekly capacity over the life of a review)."""
    rows = _reviewer_rows(reviewer_assignment_list_for_user(user=user).order_by("patient__reference", "kind"))
    cases = [_reviewer_case(row) for row in rows]
    return sorted(cases, key=lambda c: c.progress == JudgementStatus.SUBMITTED)


@dataclass(frozen=True)
class ReviewerAssignment:
    """One of the reviewer's cases with their own judgement of it, if they have started one. ``assignment`` is
    for passing to services; pages and the API show ``case`` and ``judgement`` only."""

    case: ReviewerCase
    assignment: Assignment
    judgement: StructuredJudgement | None

    @property
    def is_submitted(self) -> bool:
        return self.judgement is not None and self.judgement.status == JudgementStatus.SUBMITTED


def assignment_get_for_reviewer(*, user: User, pk: int) -> ReviewerAssignment:
    """The user's own active assignment and their judgement of it; 404 for anyone else's, or one that ended.
    Two queries."""
    row = next(iter(_reviewer_rows(reviewer_assignment_list_for_user(user=user).filter(pk=pk))), None)
    if row is None:
        raise Http404("No such review.")
    assignment = Assignment.objects.select_related("reviewer").get(pk=pk)
    judgement = StructuredJudgement.objects.filter(assignment_id=pk).first() if row["judgement__status"] else None
    return ReviewerAssignment(case=_reviewer_case(row), assignment=assignment, judgement=judgement)


def reviewer_case_count(*, user: User, case: Case) -> int:
    """How many of the case's patients are assigned to the user for review, now."""
    return reviewer_assignment_list_for_user(user=user).filter(patient__cohort__case=case).count()


# --- Agreement and intervals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """How far two reviewers of the same patients agreed: the share of pairs in the same category, and Cohen's
    kappa, ``(po - pe) / (1 - pe)``, which discounts the agreement expected by chance. Kappa is None when it is
    undefined: no pairs, or both reviewers always chose one and the same category."""

    pairs: int
    agreed: int
    kappa: float | None

    @property
    def percent(self) -> float | None:
        return 100 * self.agreed / self.pairs if self.pairs else None

    @property
    def strength(self) -> str:
        """Landis and Koch's words for a kappa (1977)."""
        if self.kappa is None:
            return "not enough data"
        if self.kappa < 0:
            return "poor"
        for bound, words in ((0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial")):
            if self.kappa <= bound:
                return words
        return "almost perfect"


def agreement(pairs: Iterable[tuple[Hashable, Hashable]]) -> Agreement:
    """Percent agreement and Cohen's (unweighted) kappa of pairs of categories, (first, second) per patient."""
    pairs = list(pairs)
    n = len(pairs)
    if not n:
        return Agreement(pairs=0, agreed=0, kappa=None)
    agreed = sum(1 for first, second in pairs if first == second)
    firsts, seconds = Counter(first for first, _ in pairs), Counter(second for _, second in pairs)
    by_chance = sum(count * seconds[category] for category, count in firsts.items())  # pe, times n squared
    if by_chance == n * n:
        return Agreement(pairs=n, agreed=agreed, kappa=None)
    return Agreement(pairs=n, agreed=agreed, kappa=(agreed * n - by_chance) / (n * n - by_chance))


Z_95 = NormalDist().inv_cdf(0.975)


def wilson_interval(*, successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default), which behaves well near 0 and 1 and for small
    samples, unlike the plain normal approximation."""
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError("Need 0 <= successes <= trials and at least one trial.")
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Estimate:
    """The share of reviewed deaths judged avoidable, with its Wilson 95% interval, and the number of the
    cohort's deaths this suggests, with the interval scaled the same way."""

    avoidable: int
    reviewed: int
    cohort_deaths: int
    proportion: float
    low: float
    high: float

    @property
    def percent(self) -> float:
        return 100 * self.proportion

    @property
    def percent_low(self) -> float:
        return 100 * self.low

    @property
    def percent_high(self) -> float:
        return 100 * self.high

    @property
    def number(self) -> float:
        return self.proportion * self.cohort_deaths

    @property
    def number_low(self) -> float:
        return self.low * self.cohort_deaths

    @property
    def number_high(self) -> float:
        return self.high * self.cohort_deaths


def avoidable_deaths_estimate(*, scores: Iterable[list[int]], cohort_deaths: int) -> Estimate | None:
    """The estimate from each reviewed death's submitted avoidability scores (one or two per death): a death is
    avoidable when the mean of its scores is at most 3. None when no death has been reviewed."""
    reviewed = avoidable = 0
    for death_scores in scores:
        if not death_scores:
            continue
        reviewed += 1
        avoidable += sum(death_scores) <= AVOIDABLE_AT_MOST * len(death_scores)
    if not reviewed:
        return None
    low, high = wilson_interval(successes=avoidable, trials=reviewed)
    return Estimate(
        avoidable=avoidable,
        reviewed=reviewed,
        cohort_deaths=max(cohort_deaths, reviewed),
        proportion=avoidable / reviewed,
        low=low,
        high=high,
    )


# --- Findings --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """How many reviews gave each score to one thing (a phase of care, overall care, avoidability)."""

    key: str
    label: str
    counts: list[tuple[int, int]]  # (score, reviews)

    @property
    def total(self) -> int:
        return sum(count for _, count in self.counts)


@dataclass
class Findings:
    """What the cohort's submitted reviews found, for the review team (see the module docstring)."""

    cohort: Cohort | None
    patients: int = 0
    deaths: int = 0
    reviews: int = 0
    reviewed_patients: int = 0
    double_reviewed: int = 0
    ratings: list[Distribution] = field(default_factory=list)
    problem_types: list[tuple[str, int]] = field(default_factory=list)
    avoidability: Distribution | None = None
    overall_agreement: Agreement = field(default_factory=lambda: agreement([]))
    avoidable_agreement: Agreement = field(default_factory=lambda: agreement([]))
    estimate: Estimate | None = None


def submitted_judgements(*, cohort: Cohort) -> QuerySet[StructuredJudgement]:
    """The submitted judgements that count: of the cohort's patients, through an active assignment."""
    return StructuredJudgement.objects.filter(
        assignment__patient__cohort=cohort, assignment__ended_at__isnull=True, status=JudgementStatus.SUBMITTED
    )


def problem_types_decode(value: Any) -> list[str]:
    """The problem types of a judgement as read with ``values_list``."""
    # JSON columns come back decoded on PostgreSQL; values_list on SQLite may hand over the text.
    return list(json.loads(value) if isinstance(value, str) else value or [])


def cohort_for_case(*, case: Case) -> Cohort | None:
    return Cohort.objects.filter(case=case).first()


def findings(*, case: Case) -> Findings:
    """The findings of the case's cohort, in four queries however large it is. The caller has already checked
    that the user manages the case's review (``team.managed_case_get_for_user``)."""
    cohort = cohort_for_case(case=case)
    if cohort is None:
        return Findings(cohort=None)
    patients, cohort_deaths = _patient_counts(cohort)
    result = Findings(cohort=cohort, patients=patients, deaths=cohort_deaths)
    columns = ["assignment__patient_id", "assignment__kind", "assignment__patient__event_kind"]
    rows = submitted_judgements(cohort=cohort).values_list(
        *columns, *(f"{key}_rating" for key in RATED), "problem_types", "avoidability"
    )
    ratings: dict[str, Counter[int]] = {key: Counter() for key in RATED}
    problems: Counter[str] = Counter()
    avoidability: Counter[int] = Counter()
    by_patient: dict[int, dict[str, tuple[int | None, int | None]]] = defaultdict(dict)
    deaths: dict[int, list[int]] = defaultdict(list)
    for patient_id, kind, event_kind, *scores, problem_types, avoidable in rows:
        result.reviews += 1
        for key, score in zip(RATED, scores, strict=True):
            if score is not None:
                ratings[key][score] += 1
        problems.update(set(problem_types_decode(problem_types)))
        overall = scores[-1]
        by_patient[patient_id][kind] = (overall, avoidable if event_kind == EventKind.DEATH else None)
        if event_kind == EventKind.DEATH and avoidable is not None:
            avoidability[avoidable] += 1
            deaths[patient_id].append(avoidable)
    result.reviewed_patients = len(by_patient)
    result.ratings = [
        Distribution(key, RATED_LABELS[key], [(score, ratings[key][score]) for score in CareRating.values])
        for key in RATED
    ]
    result.problem_types = [(str(label), problems[value]) for value, label in ProblemType.choices]
    result.avoidability = Distribution(
        "avoidability", "Avoidability of death", [(score, avoidability[score]) for score in Avoidability.values]
    )
    pairs = [(p[AssignmentKind.FIRST], p[AssignmentKind.SECOND]) for p in by_patient.values() if len(p) == 2]
    result.double_reviewed = len(pairs)
    result.overall_agreement = agreement((first[0], second[0]) for first, second in pairs)
    result.avoidable_agreement = agreement(
        (a <= AVOIDABLE_AT_MOST, b <= AVOIDABLE_AT_MOST)
        for a, b in ((first[1], second[1]) for first, second in pairs)
        if a is not None and b is not None
    )
    result.estimate = avoidable_deaths_estimate(scores=deaths.values(), cohort_deaths=result.deaths)
    return result


def _patient_counts(cohort: Cohort) -> tuple[int, int]:
    """How many patients the cohort has, and how many of them died."""
    counts = CohortPatient.objects.filter(cohort=cohort).aggregate(
        patients=Count("pk"), deaths=Count("pk", filter=Q(event_kind=EventKind.DEATH))
    )
    return int(counts["patients"]), int(counts["deaths"])


def patients_reviewed(*, cohort: Cohort) -> int:
    """How many of the cohort's patients have at least one submitted review that counts."""
    return submitted_judgements(cohort=cohort).values("assignment__patient_id").distinct().count()


@dataclass(frozen=True)
class FindingsOverview:
    """The few figures the case's review page shows about its findings."""

    has_cohort: bool
    patients: int
    reviewed_patients: int
    published: int


def findings_overview(*, case: Case) -> FindingsOverview:
    """Two or three queries: the cohort, its patient count, and what has been reviewed and published."""
    cohort = cohort_for_case(case=case)
    if cohort is None:
        return FindingsOverview(has_cohort=False, patients=0, reviewed_patients=0, published=0)
    return FindingsOverview(
        has_cohort=True,
        patients=CohortPatient.objects.filter(cohort=cohort).count(),
        reviewed_patients=patients_reviewed(cohort=cohort),
        published=FindingsSummary.objects.filter(cohort=cohort).count(),
    )


@dataclass(frozen=True)
class SafetyConcern:
    """A safety concern a reviewer flagged, as the review team sees it: no reviewer is named."""

    reference: str
    patient_id: int
    kind_label: str
    detail: str
    still_flagged: bool
    submitted: bool
    alerted_at: datetime | None


def safety_concerns(*, case: Case) -> list[SafetyConcern]:
    """Every safety concern raised in the case's reviews, newest first, in one query."""
    rows = (
        StructuredJudgement.objects.filter(assignment__patient__cohort__case=case, safety_alerted_at__isnull=False)
        .order_by("-safety_alerted_at", "-pk")
        .values_list(
            "assignment__patient__reference",
            "assignment__patient_id",
            "assignment__kind",
            "safety_concern_detail",
            "safety_concern",
            "status",
            "safety_alerted_at",
        )
    )
    return [
        SafetyConcern(
            reference=reference,
            patient_id=patient_id,
            kind_label=str(AssignmentKind(kind).label),
            detail=detail,
            still_flagged=flagged,
            submitted=status == JudgementStatus.SUBMITTED,
            alerted_at=alerted_at,
        )
        for reference, patient_id, kind, detail, flagged, status, alerted_at in rows
    ]


# --- Published summaries ---------------------------------------------------------------------------------------


def summaries_for_case(*, case: Case) -> QuerySet[FindingsSummary]:
    return FindingsSummary.objects.filter(cohort__case=case)


def published_summaries() -> QuerySet[FindingsSummary]:
    """What the public may read: every published summary, newest first, with the provider it is about."""
    return FindingsSummary.objects.select_related("cohort__case__provider").order_by("-published_at", "-pk")
