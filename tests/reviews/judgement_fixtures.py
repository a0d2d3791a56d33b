"""Fixtures of structured judgement reviews: a cohort of fictional patients made directly in the database (not
through the import), the reviewer persona and a second reviewer with their registry entries, assignments, and
the regulator as the case's investigation lead (and so a manager of its review).

Import the fixtures a module uses by name."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from itertools import count
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Organisation, Role, User
from failure_regime.models import Area, Case
from failure_regime.services.accountability import lead_hand_over
from reviews.models import (
    Assignment,
    AssignmentKind,
    Cohort,
    CohortPatient,
    EventKind,
    Expert,
    IdentificationSource,
    Specialty,
    StructuredJudgement,
    Wave,
)
from reviews.services.judgement import judgement_submit
from tests.factories import member
from tests.reviews.conftest import MakeExpert

DATE_OF_BIRTH = datetime.date(1980, 4, 1)
# Every way a page could show the date of birth.
DATE_OF_BIRTH_SHOWN = ["1980-04-01", "1 April 1980", "01/04/1980", "1 Apr 1980", "April 1, 1980"]


def nhs_numbers() -> Iterator[str]:
    """Valid NHS numbers (Modulus 11) in the 999 test range, in order."""
    for n in count():
        base = f"999{n:06d}"
        remainder = sum(int(d) * w for d, w in zip(base, range(10, 1, -1), strict=True)) % 11
        check = 11 - remainder
        if check == 10:
            continue
        yield base + str(0 if check == 11 else check)


def complete(**overrides: Any) -> dict[str, Any]:
    """A complete structured judgement, ready to submit."""
    return {
        "admission_rating": 4,
        "admission_narrative": "Seen promptly and assessed well.",
        "ongoing_rating": 2,
        "ongoing_narrative": "Observations were missed overnight.",
        "overall_rating": 3,
        "overall_narrative": "Adequate care with one lapse in monitoring.",
        "problem_types": ["monitoring"],
        "avoidability": 5,
        **overrides,
    }


@pytest.fixture
def lead(regulator: User, case: Case, cqc: Organisation) -> User:
    """The regulator, made the case's accountable investigation lead, and so a manager of its review."""
    lead_hand_over(
        actor=regulator, case=case, area=Area.INVESTIGATION, lead=regulator, organisation=cqc, reason="Leads it."
    )
    return regulator


@pytest.fixture
def specialty(db: None) -> Specialty:
    return Specialty.objects.get_or_create(name="Obstetrics")[0]


@pytest.fixture
def cohort(case: Case, regulator: User) -> Cohort:
    return Cohort.objects.create(
        case=case, title="Maternity deaths 2019 to 2024", created_by=regulator, created_at=timezone.now()
    )


@pytest.fixture
def wave(cohort: Cohort, regulator: User) -> Wave:
    return Wave.objects.create(
        cohort=cohort,
        number=1,
        criteria_version="v1, January 2026",
        inclusion_criteria="Every maternal death.",
        created_by=regulator,
        created_at=timezone.now(),
    )


MakePatient = Callable[..., CohortPatient]


@pytest.fixture
def make_patient(cohort: Cohort, wave: Wave, specialty: Specialty) -> MakePatient:
    """``make_patient(event_kind=..., **fields)``: a fictional patient in the cohort, references R1-000001 on."""
    numbers = nhs_numbers()
    references = count(1)

    def make(**overrides: Any) -> CohortPatient:
        fields: dict[str, Any] = {
            "cohort": cohort,
            "wave": wave,
            "reference": f"R1-{next(references):06d}",
            "nhs_number": next(numbers),
            "date_of_birth": DATE_OF_BIRTH,
            "admitted_on": datetime.date(2021, 3, 1),
            "event_kind": EventKind.DEATH,
            "event_on": datetime.date(2021, 3, 4),
            "age_band": "40 to 44",
            "specialty": specialty,
            "category": "Maternal death",
            "identification_source": IdentificationSource.MORTALITY_REVIEW,
            **overrides,
        }
        return CohortPatient.objects.create(**fields)

    return make


@pytest.fixture
def patient(make_patient: MakePatient) -> CohortPatient:
    return make_patient()


@pytest.fixture
def reviewer_expert(make_expert: MakeExpert, reviewer: User) -> Expert:
    """The reviewer persona's entry in the registry."""
    return make_expert(name="Dr Rae Reviewer", user=reviewer)


@pytest.fixture
def second_reviewer(nhs_england: Organisation) -> User:
    return member(nhs_england, Role.EXPERT_REVIEWER, full_name="Sasha Second")


@pytest.fixture
def second_expert(make_expert: MakeExpert, second_reviewer: User) -> Expert:
    return make_expert(name="Dr Sasha Second", user=second_reviewer)


Assign = Callable[..., Assignment]


@pytest.fixture
def assign(regulator: User) -> Assign:
    """``assign(patient, expert, kind=first)``: gives the patient's review to the expert."""

    def make(patient: CohortPatient, expert: Expert, kind: str = AssignmentKind.FIRST) -> Assignment:
        return Assignment.objects.create(
            patient=patient, reviewer=expert, kind=kind, assigned_at=timezone.now(), assigned_by=regulator
        )

    return make


@pytest.fixture
def assignment(assign: Assign, patient: CohortPatient, reviewer_expert: Expert) -> Assignment:
    """The patient's first review, given to the reviewer persona."""
    return assign(patient, reviewer_expert)


@pytest.fixture
def second_assignment(assign: Assign, patient: CohortPatient, second_expert: Expert) -> Assignment:
    """The patient's independent second review, given to the second reviewer."""
    return assign(patient, second_expert, AssignmentKind.SECOND)


def submit(assignment: Assignment, **overrides: Any) -> StructuredJudgement:
    """Submits a complete judgement as the assignment's reviewer."""
    user = assignment.reviewer.user
    assert user is not None
    return judgement_submit(actor=user, assignment=assignment, changes=complete(**overrides))
