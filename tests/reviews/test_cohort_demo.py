"""The cohort's demo data: 40 fictional patients in the NHS test range, assigned, added once."""

from __future__ import annotations

import pytest

from failure_regime.models import Case
from reviews.demo.cohort import seed
from reviews.models import Assignment, Cohort, CohortPatient
from reviews.services.cohort_rows import nhs_number_is_valid
from tests.reviews.cohort_fixtures import *  # noqa: F403
from tests.reviews.cohort_fixtures import MakeReviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(manager: object, make_reviewer: MakeReviewer) -> None:
    make_reviewer(name="Dr Demo One", capacity_per_week=10)
    make_reviewer(name="Dr Demo Two", capacity_per_week=10)


def test_it_imports_forty_test_range_patients(ready: None, case: Case) -> None:
    seed()
    numbers = list(CohortPatient.objects.values_list("nhs_number", flat=True))
    assert len(numbers) == 40 and all(n.startswith("999") and nhs_number_is_valid(n) for n in numbers)


def test_it_assigns_every_patient(ready: None) -> None:
    seed()
    assert Assignment.objects.filter(kind="first").count() == 40


def test_running_it_twice_changes_nothing(ready: None) -> None:
    seed()
    seed()
    assert (Cohort.objects.count(), CohortPatient.objects.count()) == (1, 40)


def test_without_appointed_reviewers_it_does_nothing(manager: object) -> None:
    seed()
    assert not Cohort.objects.exists()
