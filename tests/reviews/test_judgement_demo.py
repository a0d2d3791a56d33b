"""Demo data of structured judgement reviews: submitted reviews, some double, and a published summary."""

from __future__ import annotations

import pytest

from accounts.models import User
from failure_regime.models import Case
from reviews.demo.judgement import seed
from reviews.models import AssignmentKind, Expert, FindingsSummary, JudgementStatus, StructuredJudgement
from reviews.selectors.judgement import findings
from tests.reviews.judgement_fixtures import *  # noqa: F403
from tests.reviews.judgement_fixtures import Assign, MakePatient

pytestmark = pytest.mark.django_db


@pytest.fixture
def assigned(make_patient: MakePatient, assign: Assign, reviewer_expert: Expert, second_expert: Expert) -> None:
    for number in range(6):
        patient = make_patient()
        assign(patient, reviewer_expert)
        if number % 2 == 0:
            assign(patient, second_expert, AssignmentKind.SECOND)


def test_it_submits_reviews_including_double_ones(lead: User, case: Case, assigned: None) -> None:
    seed()
    result = findings(case=case)
    assert result.reviews == 9 and result.double_reviewed == 3


def test_it_publishes_one_summary(lead: User, assigned: None) -> None:
    seed()
    assert FindingsSummary.objects.count() == 1


def test_running_it_again_changes_nothing(lead: User, assigned: None) -> None:
    seed()
    before = StructuredJudgement.objects.count(), FindingsSummary.objects.count()
    seed()
    assert (StructuredJudgement.objects.count(), FindingsSummary.objects.count()) == before


def test_with_no_assignments_it_does_nothing(lead: User, cohort: object) -> None:
    seed()
    assert not StructuredJudgement.objects.filter(status=JudgementStatus.SUBMITTED).exists()
