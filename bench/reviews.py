"""Benchmark of the review cohort on PostgreSQL: importing 100,000 patients from a CSV file, then assigning them
to 1,000 reviewers and saving the assignments.

Builds a throwaway database with a case, its review manager and 1,000 expert reviewers appointed to it (100 in
each of 10 specialties, each able to take 50 cases a week), and writes a CSV file of 100,000 fictional patients
(NHS numbers in the 999 test range) spread over the specialties. Then it times the upload and the background
import (checking every row, then saving them), with the process's peak memory, and the assignment of every first
review and of the 20% random sample's second reviews, with the spread of reviewers' loads in each specialty.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/reviews.py [rows] [reviewers]

The database named in DATABASE_URL is only used to create and drop this run's own database (``bench/common.py``).
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import throwaway_database  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
REVIEWERS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
SPECIALTIES = 10
CAPACITY_PER_WEEK = 50


MEDIA = tempfile.TemporaryDirectory(prefix="sfr-bench-reviews-")
os.environ["DATABASE_URL"] = throwaway_database("reviews")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "failure_regime.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
os.environ["CELERY_BROKER_URL"] = "memory://"  # the import is run here, not by a worker
os.environ["MEDIA_ROOT"] = MEDIA.name

import django  # noqa: E402

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.files.uploadedfile import UploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import OrganisationKind, Region, Role, User  # noqa: E402
from accounts.services import membership_create, organisation_create, user_create  # noqa: E402
from failure_regime.models import Area, Case  # noqa: E402
from failure_regime.services.accountability import lead_hand_over  # noqa: E402
from failure_regime.services.cases import case_propose  # noqa: E402
from failure_regime.services.concerns import concern_raise  # noqa: E402
from reviews.models import (  # noqa: E402
    Appointment,
    AppointmentRole,
    Assignment,
    Cohort,
    CohortImport,
    Expert,
    Regulator,
    Seniority,
    Specialty,
)
from reviews.services.cohort import cohort_assign, cohort_create, wave_add  # noqa: E402
from reviews.services.cohort_import import cohort_import_run, cohort_import_start  # noqa: E402
from reviews.services.cohort_rows import COLUMNS, nhs_number_check_digit  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def build() -> tuple[User, Case, list[Specialty]]:
    """A case, the regulator who manages its review, and the reviewers appointed to it."""
    cqc = organisation_create(
        actor=None, name="Care Quality Commission", ods_code="CQC", kind=OrganisationKind.REGULATOR
    )
    monitor = organisation_create(actor=None, name="Monitor", ods_code="MON", kind=OrganisationKind.OVERSIGHT_BODY)
    provider = organisation_create(
        actor=None,
        name="Benchmark Hospitals NHS Foundation Trust",
        ods_code="RB1",
        kind=OrganisationKind.FOUNDATION_TRUST,
        region=Region.MIDLANDS,
        oversight_body=monitor,
    )
    manager = user_create(actor=None, email="manager@bench.example", full_name="Bench Manager")
    membership_create(actor=None, user=manager, organisation=cqc, role=Role.REGULATOR_DECISION_MAKER)
    inspector = user_create(actor=None, email="inspector@bench.example", full_name="Bench Inspector")
    membership_create(actor=None, user=inspector, organisation=cqc, role=Role.INSPECTOR)
    concern = concern_raise(
        actor=inspector, organisation=cqc, provider=provider, source="mortality_data", summary="High mortality."
    )
    case = case_propose(
        actor=manager,
        organisation=cqc,
        provider=provider,
        concerns=[concern],
        title="Benchmark review",
        summary="A large case-note review.",
        scope="Five years.",
        terms_of_reference="Review every death.",
    )
    lead_hand_over(
        actor=manager, case=case, area=Area.INVESTIGATION, lead=manager, organisation=cqc, reason="Leads the review."
    )
    specialties = Specialty.objects.bulk_create([Specialty(name=f"Specialty {n:02d}") for n in range(SPECIALTIES)])
    users = User.objects.bulk_create(
        [User(email=f"reviewer{n}@bench.example", full_name=f"Reviewer {n}") for n in range(REVIEWERS)]
    )
    now = timezone.now()
    experts = Expert.objects.bulk_create(
        [
            Expert(
                user=user,
                name=user.full_name,
                profession="Consultant",
                regulator=Regulator.GMC,
                registration_number=f"{1000000 + n}",
                seniority=Seniority.CONSULTANT,
                capacity_per_week=CAPACITY_PER_WEEK,
                registered_by=manager,
                registered_at=now,
            )
            for n, user in enumerate(users)
        ]
    )
    Expert.specialties.through.objects.bulk_create(
        [
            Expert.specialties.through(expert_id=e.pk, specialty_id=specialties[n % SPECIALTIES].pk)
            for n, e in enumerate(experts)
        ]
    )
    Appointment.objects.bulk_create(
        [
            Appointment(
                case=case,
                expert=e,
                role=AppointmentRole.EXPERT_REVIEWER,
                declaration="I am independent of the trust.",
                signed_at=now,
                signed_by=manager,
                appointed_by=manager,
                appointed_by_organisation=cqc,
                appointed_at=now,
            )
            for e in experts
        ]
    )
    return manager, case, specialties


def write_csv(path: Path, specialties: list[Specialty]) -> None:
    """``ROWS`` patients, written a line at a time."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(COLUMNS) + "\n")
        n = written = 0
        while written < ROWS:
            base = f"999{n:06d}" if n < 10**6 else f"99{n:07d}"
            n += 1
            check = nhs_number_check_digit(base)
            if check is None:
                continue
            day = 1 + written % 28
            out.write(
                f"{base}{check},1950-03-{day:02d},{day:02d}/06/2020,death,2020-06-{day:02d},"
                f"{specialties[written % len(specialties)].name},Death after emergency admission,mortality_review\n"
            )
            written += 1


def main() -> None:
    call_command("migrate", verbosity=0)
    ContentType.objects.clear_cache()
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"Review cohort on PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores (load average {load})")
    started = time.perf_counter()
    manager, case, specialties = build()
    cohort = cohort_create(actor=manager, case=case, title="Benchmark cohort")
    wave = wave_add(actor=manager, cohort=cohort, criteria_version="v1", inclusion_criteria="Every death.")
    path = Path(MEDIA.name) / "bench.csv"
    write_csv(path, specialties)
    size = path.stat().st_size
    print(
        f"{REVIEWERS:,} reviewers in {SPECIALTIES} specialties, {ROWS:,} rows in a {size / 2**20:.1f} MB file "
        f"(built in {time.perf_counter() - started:.1f} s)"
    )

    before = peak_mb()
    with path.open("rb") as handle:
        upload = UploadedFile(handle, name="bench.csv", content_type="text/csv", size=size)
        started = time.perf_counter()
        cohort_import = cohort_import_start(actor=manager, wave=wave, upload=upload)
    stored = time.perf_counter() - started
    run_started = time.perf_counter()
    cohort_import_run(cohort_import_id=cohort_import.pk)
    ran = time.perf_counter() - run_started
    cohort_import = CohortImport.objects.get(pk=cohort_import.pk)
    print("Import")
    print(f"  upload kept and queued                 {stored:6.2f} s")
    print(f"  check every row, then save them        {ran:6.2f} s  ({cohort_import.get_status_display()})")
    print(f"  total                                  {stored + ran:6.2f} s  (target: at most 20 s)")
    print(f"  patients saved                         {cohort_import.imported_rows:,} of {cohort_import.total_rows:,}")
    print(f"  peak memory of the process             {peak_mb():6.0f} MB  (target: at most 300 MB)")
    print(f"  of which before the import             {before:6.0f} MB  (Django, the data built)")

    started = time.perf_counter()
    report = cohort_assign(actor=manager, cohort=Cohort.objects.get(pk=cohort.pk))
    assigned_in = time.perf_counter() - started
    loads: dict[int, Counter[int]] = defaultdict(Counter)
    specialty_of = dict(Expert.specialties.through.objects.values_list("expert_id", "specialty_id"))
    for reviewer_id, count in Counter(
        Assignment.objects.filter(patient__cohort=cohort).values_list("reviewer_id", flat=True)
    ).items():
        loads[specialty_of[reviewer_id]][reviewer_id] = count
    spreads = []
    for specialty_id in {s.pk for s in specialties}:
        counts = [loads[specialty_id].get(e, 0) for e, s in specialty_of.items() if s == specialty_id]
        spreads.append(max(counts) - min(counts))
    firsts = sum(s.first_assigned for s in report.by_specialty)
    seconds = sum(s.second_assigned for s in report.by_specialty)
    print("Assignment")
    print(f"  plan and save                          {assigned_in:6.2f} s  (target: at most 10 s)")
    print(f"  reviews assigned                       {report.assigned:,} ({firsts:,} first, {seconds:,} second)")
    print(f"  reviews left for lack of capacity      {report.unassigned:,}")
    print(f"  largest minus smallest load            {max(spreads)} (worst specialty; target: at most 1)")
    started = time.perf_counter()
    again = cohort_assign(actor=manager, cohort=Cohort.objects.get(pk=cohort.pk))
    print(
        f"  a second run at once                   {time.perf_counter() - started:6.2f} s  ({again.assigned} assigned)"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        MEDIA.cleanup()
