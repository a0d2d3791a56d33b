"""Benchmark of the deadline sweep on PostgreSQL.

Builds a throwaway database with 5,000 providers in special measures and 50,000 open deadlines
(a re-inspection and nine monthly reports each), one trust manager per provider, as the clock
would have left them after yesterday's sweep. Then it times a sweep "today", a second sweep at
the same moment (which must send nothing), and a sweep after beat was down for a week; and it
repeats the first with 10,000 deadlines to show that the query count does not grow with them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/sweep.py

The database named in DATABASE_URL is only used to create and drop this run's own database (``bench/common.py``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import throwaway_database  # noqa: E402

os.environ["DATABASE_URL"] = throwaway_database("sweep")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "failure_regime.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Membership, Organisation, OrganisationKind, Region, Role, User  # noqa: E402
from failure_regime.dates import end_of_day, report_due_on  # noqa: E402
from failure_regime.models import Alert, Deadline, DeadlineKind, Episode, MonthlyReport, OutboxMessage, RuleSet  # noqa: E402
from failure_regime.services.clock import deadline_build, deadline_sweep  # noqa: E402

TODAY = date(2027, 3, 15)


def build(episodes: int, due_on: Callable[[int], date]) -> int:
    """Creates ``episodes`` providers in special measures with ten open deadlines each; returns the deadlines."""
    Deadline.objects.all().delete()
    MonthlyReport.objects.all().delete()
    Episode.objects.all().delete()
    Membership.objects.all().delete()
    User.objects.all().delete()
    Organisation.objects.filter(kind=OrganisationKind.NHS_TRUST).delete()
    Group.objects.filter(name__startswith="organisation:B0").delete()
    monitor = Organisation.objects.get(ods_code="BMON")
    rules = RuleSet.objects.filter(provider_kind=OrganisationKind.NHS_TRUST).order_by("-effective_from").first()
    if rules is None:
        sys.exit("No rule set for NHS trusts: did the migrations run?")
    groups = Group.objects.bulk_create([Group(name=f"organisation:B{n:05d}") for n in range(episodes)])
    providers = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Benchmark NHS Trust {n}",
                ods_code=f"B{n:05d}",
                kind=OrganisationKind.NHS_TRUST,
                region=Region.MIDLANDS,
                oversight_body=monitor,
                group=groups[n],
            )
            for n in range(episodes)
        ]
    )
    users = User.objects.bulk_create(
        [User(email=f"manager{n}@bench.example", full_name=f"Manager {n}") for n in range(episodes)]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=p, role=Role.TRUST_MANAGER) for u, p in zip(users, providers, strict=True)]
    )
    decider = User.objects.create(email="decider@bench.example", full_name="Decider")
    entered = TODAY - timedelta(days=200)
    spread = [entered + timedelta(days=n % 180) for n in range(episodes)]
    episode_rows = Episode.objects.bulk_create(
        [
            Episode(
                provider=p,
                rule_set=rules,
                entered_on=spread[n],
                basis="own_evidence",
                decided_by=decider,
                decided_by_organisation=monitor,
                decided_at=timezone.now(),
                reinspection_due_on=spread[n] + timedelta(days=365),
            )
            for n, p in enumerate(providers)
        ]
    )
    months = [date(2026 + k // 12, k % 12 + 1, 1) for k in range(9)]
    reports = MonthlyReport.objects.bulk_create(
        [MonthlyReport(episode=e, month=m, due_on=report_due_on(m, None)) for e in episode_rows for m in months]
    )
    subjects = [(DeadlineKind.REINSPECTION, e.provider, e) for e in episode_rows] + [
        (DeadlineKind.MONTHLY_REPORT, r.episode.provider, r) for r in reports
    ]
    with time_machine.travel(end_of_day(TODAY - timedelta(days=1)), tick=False):  # as yesterday's sweep left them
        deadlines = [
            deadline_build(
                kind=kind,
                title=f"Benchmark deadline {n}",
                provider=provider,
                subject=subject,
                due_at=end_of_day(due_on(n)),
            )
            for n, (kind, provider, subject) in enumerate(subjects)
        ]
    Deadline.objects.bulk_create(deadlines, batch_size=5000)
    return Deadline.objects.filter(met_at__isnull=True).count()


def timed_sweep(moment: object) -> tuple[float, int, object]:
    with time_machine.travel(moment, tick=False), CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = deadline_sweep()
        elapsed = time.perf_counter() - started
    return elapsed, len(queries), report


def line(label: str, elapsed: float, queries: int, report: object) -> None:
    print(
        f"  {label:<44} {elapsed:6.2f} s  {queries:3d} queries  {report.deadlines:6d} deadlines due  "  # type: ignore[attr-defined]
        f"{report.reminders:6d} reminders  {report.escalations:5d} escalations  "  # type: ignore[attr-defined]
        f"{report.emails:6d} e-mails queued"
    )  # type: ignore[attr-defined]


def main() -> None:
    call_command("migrate", verbosity=0)
    monitor_group = Group.objects.create(name="organisation:BMON")
    Organisation.objects.create(
        name="Monitor", ods_code="BMON", kind=OrganisationKind.OVERSIGHT_BODY, group=monitor_group
    )
    ContentType.objects.clear_cache()
    print(f"Deadline sweep on PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores")
    scenarios: list[tuple[str, Callable[[int], date]]] = [
        ("due dates spread over the coming year", lambda n: TODAY + timedelta(days=n % 365)),
        ("every deadline due in 7 days (worst case)", lambda n: TODAY + timedelta(days=7)),
    ]
    today = end_of_day(TODAY) - timedelta(hours=14)  # 10:00 in London
    for episodes in (1000, 5000):
        for name, due_on in scenarios:
            started = time.perf_counter()
            with transaction.atomic():
                total = build(episodes, due_on)
            print(
                f"{episodes:,} episodes, {total:,} open deadlines, {name} (built in "
                f"{time.perf_counter() - started:.1f} s)"
            )
            line("first sweep of the day", *timed_sweep(today))
            line("second sweep at the same moment", *timed_sweep(today))
            line("sweep after beat was down for a week", *timed_sweep(today + timedelta(days=7)))
            print(f"  alerts recorded: {Alert.objects.count():,}; outbox messages: {OutboxMessage.objects.count():,}")
            Alert.objects.all().delete()
            OutboxMessage.objects.all().delete()


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
