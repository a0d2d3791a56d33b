"""Demo data of review cohorts: for each case with expert reviewers appointed (by the registry step), a cohort with
one wave of 40 fictional patients, imported from a CSV file as a review manager would, and assigned to those
reviewers. NHS numbers are in the 999 test range and pass the Modulus 11 check; every name, date and category is
made up. A case that already has a cohort is left alone, and without appointed reviewers nothing is added."""

from __future__ import annotations

import datetime
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from failure_regime.models import Case, CaseStatus
from reviews.models import Appointment, AppointmentRole, Cohort, Specialty
from reviews.selectors.team import review_managers
from reviews.services.cohort import cohort_assign, cohort_create, wave_add
from reviews.services.cohort_import import cohort_import_run, cohort_import_start
from reviews.services.cohort_rows import COLUMNS, nhs_number_check_digit

PATIENTS = 40
CATEGORIES = ["Death after emergency admission", "Unexpected death", "Sepsis", "Fall with harm", "Delayed diagnosis"]
SOURCES = ["mortality_review", "incident_report", "complaint", "family", "coroner"]


def _nhs_numbers(start: int) -> list[str]:
    numbers: list[str] = []
    n = start
    while len(numbers) < PATIENTS:
        base = f"999{n % 1_000_000:06d}"  # nine digits whatever the case's id, the tenth is the check digit
        n += 1
        check = nhs_number_check_digit(base)
        if check is not None:
            numbers.append(f"{base}{check}")
    return numbers


def _csv(case: Case, specialties: list[str]) -> bytes:
    rng = random.Random(case.pk)  # noqa: S311 - made-up demo data, the same on every run
    lines = [",".join(COLUMNS)]
    for n, number in enumerate(_nhs_numbers(start=case.pk * 1000)):
        born = datetime.date(1930, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 70))
        admitted = datetime.date(2011, 4, 1) + datetime.timedelta(days=rng.randrange(0, 700))
        event = admitted + datetime.timedelta(days=rng.randrange(0, 20))
        kind = "death" if n % 4 else "incident"
        fields = [
            number,
            born.isoformat(),
            admitted.strftime("%d/%m/%Y"),
            kind,
            event.isoformat(),
            specialties[n % len(specialties)],
            CATEGORIES[n % len(CATEGORIES)],
            SOURCES[n % len(SOURCES)],
        ]
        lines.append(",".join(fields))
    return ("\n".join(lines) + "\n").encode()


def _seed_case(case: Case) -> None:
    manager = review_managers(case=case).order_by("pk").first()
    appointed = Appointment.objects.filter(
        case=case, role=AppointmentRole.EXPERT_REVIEWER, ended_at__isnull=True, expert__user__isnull=False
    )
    specialties = sorted(
        Specialty.objects.filter(experts__appointments__in=appointed).distinct().values_list("name", flat=True)
    )
    if manager is None or not specialties or Cohort.objects.filter(case=case).exists():
        return
    cohort = cohort_create(actor=manager, case=case, title=f"{case.title}: case-note review")
    wave = wave_add(
        actor=manager,
        cohort=cohort,
        criteria_version="v1, demo",
        inclusion_criteria="Every patient who died, or came to harm, after an emergency admission in the period under "
        "review (fictional demo patients).",
    )
    upload = SimpleUploadedFile("demo-cohort.csv", _csv(case, specialties), content_type="text/csv")
    started = cohort_import_start(actor=manager, wave=wave, upload=upload)
    cohort_import_run(cohort_import_id=started.pk)
    cohort_assign(actor=manager, cohort=cohort)


def seed() -> None:
    cases = Case.objects.filter(
        appointments__role=AppointmentRole.EXPERT_REVIEWER, appointments__ended_at__isnull=True
    ).exclude(status=CaseStatus.CLOSED)
    for case in cases.distinct().order_by("pk"):
        with transaction.atomic():
            _seed_case(case)
