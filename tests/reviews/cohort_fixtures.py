"""Fixtures of the review cohort: the case's review manager (the regulator, made its investigation lead), a cohort
with one wave, appointed reviewers, and CSV files of fictional patients with NHS numbers in the 999 test range.

A test module takes the fixtures with ``from tests.reviews.cohort_fixtures import *`` (``__all__`` lists only
fixtures) and imports the helpers by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organisation, Role, User
from failure_regime.models import Area, Case
from failure_regime.services.accountability import lead_hand_over
from reviews.models import AppointmentRole, Cohort, CohortImport, Expert, Specialty, Wave
from reviews.services import appointment_make
from reviews.services.cohort import cohort_create, wave_add
from reviews.services.cohort_import import cohort_import_run, cohort_import_start
from reviews.services.cohort_rows import COLUMNS, nhs_number_check_digit
from tests.factories import member
from tests.reviews.conftest import MakeExpert

__all__ = ["cohort", "import_file", "make_reviewer", "manager", "obstetrics", "wave"]

HEADER = ",".join(COLUMNS)
DECLARATION = "I have no interest in the trust and have not worked there in the last five years."


def nhs_numbers(start: int = 0) -> Iterator[str]:
    """Valid NHS numbers in the 999 test range, in order."""
    n = start
    while True:
        base = f"999{n:06d}"
        n += 1
        check = nhs_number_check_digit(base)
        if check is not None:
            yield f"{base}{check}"


def row(nhs_number: str, **overrides: str) -> str:
    values = {
        "nhs_number": nhs_number,
        "date_of_birth": "1980-04-01",
        "admission_date": "2020-01-10",
        "event_type": "death",
        "event_date": "2020-01-12",
        "specialty": "Obstetrics",
        "category": "Maternal death",
        "identification_source": "mortality_review",
        **overrides,
    }
    return ",".join(values[c] for c in COLUMNS)


def csv_text(count: int, *, start: int = 0, extra: list[str] | None = None) -> str:
    numbers = nhs_numbers(start)
    lines = [HEADER, *(row(next(numbers)) for _ in range(count)), *(extra or [])]
    return "\n".join(lines) + "\n"


def upload(text: str | bytes, name: str = "cohort.csv") -> SimpleUploadedFile:
    content = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture
def obstetrics(db: None) -> Specialty:
    return Specialty.objects.get_or_create(name="Obstetrics")[0]


@pytest.fixture
def manager(regulator: User, case: Case, cqc: Organisation) -> User:
    """The regulator, made the case's accountable investigation lead, and so a manager of its review."""
    lead_hand_over(
        actor=regulator, case=case, area=Area.INVESTIGATION, lead=regulator, organisation=cqc, reason="Leads it."
    )
    return regulator


@pytest.fixture
def cohort(manager: User, case: Case, obstetrics: Specialty) -> Cohort:
    return cohort_create(actor=manager, case=case, title="Maternity deaths 2019 to 2024")


@pytest.fixture
def wave(manager: User, cohort: Cohort) -> Wave:
    return wave_add(actor=manager, cohort=cohort, criteria_version="v1", inclusion_criteria="Every maternal death.")


ImportFile = Callable[..., CohortImport]


@pytest.fixture
def import_file(manager: User, wave: Wave) -> ImportFile:
    """``import_file(text, valid_rows_only=False)``: uploads the text and runs the import as the worker would."""

    def run(text: str | bytes, *, valid_rows_only: bool = False, into: Wave | None = None) -> CohortImport:
        started = cohort_import_start(
            actor=manager, wave=into or wave, upload=upload(text), valid_rows_only=valid_rows_only
        )
        cohort_import_run(cohort_import_id=started.pk)
        started.refresh_from_db()
        return started

    return run


MakeReviewer = Callable[..., Expert]


@pytest.fixture
def make_reviewer(make_expert: MakeExpert, regulator: User, case: Case, nhs_england: Organisation) -> MakeReviewer:
    """``make_reviewer(name=..., specialties=[...], capacity_per_week=...)``: an expert with an account,
    appointed to ``case`` as an expert reviewer."""

    def make(*, appoint: bool = True, **fields: Any) -> Expert:
        user = member(nhs_england, Role.EXPERT_REVIEWER, full_name=fields.get("name", "Dr Ada Expert"))
        expert = make_expert(user=user, **fields)
        if appoint:
            appointment_make(
                actor=regulator, case=case, expert=expert, role=AppointmentRole.EXPERT_REVIEWER, declaration=DECLARATION
            )
        return expert

    return make
