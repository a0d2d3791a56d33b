"""Findings of a review cohort: agreement (percent and Cohen's kappa) against worked examples, the Wilson
interval against published values, the estimate of avoidable deaths, distributions, and query budgets."""

from __future__ import annotations

import pytest
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from failure_regime.models import Case
from reviews.models import AssignmentKind, CohortPatient, EventKind, Expert
from reviews.selectors.judgement import agreement, avoidable_deaths_estimate, findings, wilson_interval
from tests.reviews.judgement_fixtures import *  # noqa: F403
from tests.reviews.judgement_fixtures import Assign, MakePatient, submit

pytestmark = pytest.mark.django_db


def table_pairs(table: list[list[int]], categories: list[object]) -> list[tuple[object, object]]:
    """Pairs (first reviewer, second reviewer) from a contingency table: rows are the first reviewer's
    categories, columns the second's."""
    return [
        (categories[row], categories[column])
        for row, counts in enumerate(table)
        for column, n in enumerate(counts)
        for _ in range(n)
    ]


# --- Agreement --------------------------------------------------------------------------------------------------


def test_it_computes_kappa_for_the_textbook_two_by_two_table() -> None:
    """50 patients: both say yes for 20, both no for 15, first yes and second no 5, first no and second yes 10.
    po = 35/50 = 0.7; pe = (25/50)(30/50) + (25/50)(20/50) = 0.3 + 0.2 = 0.5; kappa = (0.7 - 0.5)/(1 - 0.5) = 0.4."""
    result = agreement(table_pairs([[20, 5], [10, 15]], ["yes", "no"]))
    assert result.kappa == pytest.approx(0.4)
    assert result.percent == pytest.approx(70.0)


def test_it_computes_kappa_for_a_three_by_three_table() -> None:
    """100 patients, rows the first reviewer: [[25, 5, 0], [3, 30, 7], [2, 8, 20]]. Row totals 30, 40, 30;
    column totals 30, 43, 27. po = 75/100; pe = (30*30 + 40*43 + 30*27)/100^2 = 3430/10000 = 0.343;
    kappa = (0.75 - 0.343)/(1 - 0.343) = 0.407/0.657 = 0.61948."""
    result = agreement(table_pairs([[25, 5, 0], [3, 30, 7], [2, 8, 20]], [1, 2, 3]))
    assert result.kappa == pytest.approx(0.407 / 0.657)
    assert result.strength == "substantial"


def test_perfect_agreement_across_categories_is_a_kappa_of_one() -> None:
    assert agreement([(1, 1), (2, 2), (5, 5)]).kappa == pytest.approx(1.0)


def test_kappa_is_undefined_when_both_reviewers_always_chose_the_same_category() -> None:
    result = agreement([(3, 3), (3, 3)])
    assert result.kappa is None and result.percent == 100.0


def test_no_pairs_give_no_agreement() -> None:
    result = agreement([])
    assert result.kappa is None and result.percent is None and result.strength == "not enough data"


# --- Wilson interval --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_the_wilson_interval_matches_newcombes_published_values(
    successes: int, trials: int, low: float, high: float
) -> None:
    """Newcombe (1998), Two-sided confidence intervals for the single proportion, Statistics in Medicine 17."""
    found_low, found_high = wilson_interval(successes=successes, trials=trials)
    assert found_low == pytest.approx(low, abs=5e-5)
    assert found_high == pytest.approx(high, abs=5e-5)


def test_the_wilson_interval_needs_a_trial() -> None:
    with pytest.raises(ValueError):
        wilson_interval(successes=0, trials=0)


# --- The estimate of avoidable deaths ----------------------------------------------------------------------------


def test_a_death_reviewed_twice_counts_by_the_mean_of_its_scores() -> None:
    # Means 3.5 (not avoidable), 3.0 (avoidable), 1 (avoidable), 6 (not).
    estimate = avoidable_deaths_estimate(scores=[[3, 4], [2, 4], [1], [6]], cohort_deaths=4)
    assert estimate is not None and (estimate.avoidable, estimate.reviewed) == (2, 4)


def test_the_estimate_scales_the_proportion_and_interval_by_the_cohorts_deaths() -> None:
    estimate = avoidable_deaths_estimate(scores=[[1]] * 81 + [[6]] * 182, cohort_deaths=1000)
    assert estimate is not None and estimate.number == pytest.approx(1000 * 81 / 263)
    assert estimate.number_low == pytest.approx(255.3, abs=0.05)
    assert estimate.number_high == pytest.approx(366.2, abs=0.05)


def test_there_is_no_estimate_before_a_death_is_reviewed() -> None:
    assert avoidable_deaths_estimate(scores=[], cohort_deaths=10) is None


# --- Findings of a cohort ---------------------------------------------------------------------------------------


@pytest.fixture
def double_reviewed(
    make_patient: MakePatient, assign: Assign, reviewer_expert: Expert, second_expert: Expert
) -> list[CohortPatient]:
    """Four deaths reviewed twice. Overall ratings (first, second): (3, 3), (4, 4), (4, 3), (5, 5):
    po = 3/4; firsts {3: 1, 4: 2, 5: 1}, seconds {3: 2, 4: 1, 5: 1}; pe = (1*2 + 2*1 + 1*1)/16 = 5/16;
    kappa = (12/16 - 5/16)/(11/16) = 7/11. Avoidability (first, second): (2, 3), (5, 6), (3, 4), (6, 6)."""
    pairs = [((3, 2), (3, 3)), ((4, 5), (4, 6)), ((4, 3), (3, 4)), ((5, 6), (5, 6))]
    patients = []
    for (first_overall, first_avoid), (second_overall, second_avoid) in pairs:
        patient = make_patient()
        submit(assign(patient, reviewer_expert), overall_rating=first_overall, avoidability=first_avoid)
        submit(
            assign(patient, second_expert, AssignmentKind.SECOND),
            overall_rating=second_overall,
            avoidability=second_avoid,
        )
        patients.append(patient)
    return patients


def test_findings_give_kappa_on_the_overall_rating_of_double_reviewed_patients(
    case: Case, double_reviewed: list[CohortPatient]
) -> None:
    result = findings(case=case)
    assert result.double_reviewed == 4
    assert result.overall_agreement.kappa == pytest.approx(7 / 11)


def test_findings_give_agreement_on_whether_a_death_was_avoidable(
    case: Case, double_reviewed: list[CohortPatient]
) -> None:
    """Avoidable (1 to 3) or not: (yes, yes), (no, no), (yes, no), (no, no): po = 3/4;
    firsts yes 2 no 2, seconds yes 1 no 3; pe = (2*1 + 2*3)/16 = 1/2; kappa = (3/4 - 1/2)/(1/2) = 1/2."""
    result = findings(case=case).avoidable_agreement
    assert result.percent == pytest.approx(75.0)
    assert result.kappa == pytest.approx(0.5)


def test_findings_estimate_avoidable_deaths_from_the_mean_scores(
    case: Case, double_reviewed: list[CohortPatient], make_patient: MakePatient
) -> None:
    # Means 2.5, 5.5, 3.5, 6: one of four avoidable; two more deaths not yet reviewed make six in the cohort.
    make_patient(), make_patient()
    estimate = findings(case=case).estimate
    assert estimate is not None
    assert (estimate.avoidable, estimate.reviewed, estimate.cohort_deaths) == (1, 4, 6)


def test_findings_count_the_ratings_of_every_review(case: Case, double_reviewed: list[CohortPatient]) -> None:
    overall = next(d for d in findings(case=case).ratings if d.key == "overall")
    assert overall.counts == [(1, 0), (2, 0), (3, 3), (4, 3), (5, 2)]


def test_findings_count_problem_types_and_avoidability(case: Case, double_reviewed: list[CohortPatient]) -> None:
    result = findings(case=case)
    assert dict(result.problem_types)["Problem in clinical monitoring"] == 8
    assert result.avoidability is not None and dict(result.avoidability.counts)[6] == 3


def test_findings_leave_out_drafts(case: Case, patient: CohortPatient, assign: Assign, reviewer_expert: Expert) -> None:
    from reviews.services.judgement import judgement_save

    assignment = assign(patient, reviewer_expert)
    assert reviewer_expert.user is not None
    judgement_save(actor=reviewer_expert.user, assignment=assignment, changes={"overall_rating": 1})
    assert findings(case=case).reviews == 0


def test_incidents_are_left_out_of_the_estimate_of_avoidable_deaths(
    case: Case, make_patient: MakePatient, assign: Assign, reviewer_expert: Expert
) -> None:
    submit(assign(make_patient(event_kind=EventKind.INCIDENT), reviewer_expert), avoidability=1)
    result = findings(case=case)
    assert result.reviews == 1 and result.estimate is None


def test_a_case_without_a_cohort_has_empty_findings(case: Case) -> None:
    assert findings(case=case).cohort is None


def test_findings_take_the_same_queries_however_many_reviews(
    case: Case,
    make_patient: MakePatient,
    assign: Assign,
    reviewer_expert: Expert,
    second_expert: Expert,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    from django.db import connection

    def add(count: int) -> None:
        for _ in range(count):
            patient = make_patient()
            submit(assign(patient, reviewer_expert))
            submit(assign(patient, second_expert, AssignmentKind.SECOND))

    add(2)
    with CaptureQueriesContext(connection) as few:
        findings(case=case)
    add(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        findings(case=case)
