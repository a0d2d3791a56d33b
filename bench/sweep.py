"""Benchmark of the deadline sweep on PostgreSQL.

Builds a throwaway database with 5,000 providers in special measures and 50,000 open deadlines
(a re-inspection and nine monthly reports each), one trust manager per provider, as the clock
would have left them after yesterday's sweep. Then it times a sweep "today", a second sweep at
the same moment (which must send nothing), and a sweep after beat was down for a week; and it
repeats the first with 10,000 deadlines to show that the query count does not grow with them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/sweep.py

BENCH_EPISODES=5000 builds only the larger data. The database named in DATABASE_URL is only used to create and drop
this run's own database (``bench/common.py``).
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
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Membership, Organisation, OrganisationKind, Region, Role, User  # noqa: E402
from failure_regime.dates import end_of_day, report_due_on  # noqa: E402
from failure_regime.models import Alert, Deadline, DeadlineKind, Episode, MonthlyReport, OutboxMessage, RuleSet  # noqa: E402
from failure_regime.services.clock import OVERDUE, deadline_build, deadline_steps, deadline_sweep  # noqa: E402

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


# PostgreSQL alone doing what the sweep does for the same rows: lock the due deadlines, record their alerts
# (superseded and sent), move their next alert on, and write each reminder's mail and notification, with the
# texts and recipients (the trust managers of a report's provider; CQC's inspectors and decision-makers and the
# overseer's leads for a re-inspection) worked out by the database. The steps of each kind and due time, which
# depend on the settings, are the clock's own (``deadline_steps``).
SQL_ALONE = [
    "CREATE TEMP TABLE due (id bigint, kind text, title text, provider_id bigint, subject_id bigint, "
    "due_at timestamptz, since timestamptz) ON COMMIT DROP",
    "INSERT INTO due SELECT id, kind, title, provider_id, subject_id, due_at, next_alert_at "
    "FROM failure_regime_deadline "
    "WHERE met_at IS NULL AND next_alert_at <= %(now)s ORDER BY next_alert_at, id FOR UPDATE SKIP LOCKED",
    "CREATE TEMP TABLE steps ON COMMIT DROP AS SELECT * FROM unnest(%(kinds)s::text[], %(dues)s::timestamptz[], "
    "%(since)s::timestamptz[], %(keys)s::text[], %(superseded)s::boolean[], %(next)s::timestamptz[]) "
    "AS s(kind, due_at, since, key, superseded, next_at)",
    "INSERT INTO failure_regime_alert (deadline_id, step, superseded, sent_at) SELECT d.id, s.key, s.superseded, "
    "%(now)s FROM due d JOIN steps s USING (kind, due_at, since) "
    "WHERE NOT EXISTS (SELECT 1 FROM failure_regime_alert a WHERE a.deadline_id = d.id AND a.step = s.key)",
    "UPDATE failure_regime_deadline t SET next_alert_at = n.next_at FROM due d "
    "JOIN (SELECT DISTINCT kind, due_at, since, next_at FROM steps) n USING (kind, due_at, since) "
    "WHERE t.id = d.id",
    "CREATE TEMP TABLE told ON COMMIT DROP AS "
    "SELECT d.id AS deadline_id, d.title, d.due_at, d.subject_id, d.kind, s.key, u.id AS user_id, u.email, "
    "split_part(u.full_name, ' ', 1) AS name FROM due d JOIN steps s ON s.kind = d.kind AND s.due_at = d.due_at "
    "AND s.since = d.since AND NOT s.superseded JOIN accounts_membership m ON m.organisation_id = d.provider_id "
    "AND m.role = 'trust_manager' AND d.kind = 'monthly_report' AND s.key <> 'overdue' "
    "JOIN accounts_user u ON u.id = m.user_id AND u.is_active "
    "UNION SELECT d.id, d.title, d.due_at, d.subject_id, d.kind, s.key, u.id, u.email, split_part(u.full_name, ' ', 1) "
    "FROM due d JOIN steps s ON s.kind = d.kind AND s.due_at = d.due_at AND s.since = d.since AND NOT s.superseded "
    "AND d.kind = 'reinspection' JOIN accounts_membership m ON m.role IN ('inspector', 'regulator_decision_maker') "
    "JOIN accounts_organisation o ON o.id = m.organisation_id AND o.kind = 'regulator' "
    "JOIN accounts_user u ON u.id = m.user_id AND u.is_active "
    "UNION SELECT d.id, d.title, d.due_at, d.subject_id, d.kind, s.key, u.id, u.email, split_part(u.full_name, ' ', 1) "
    "FROM due d JOIN steps s ON s.kind = d.kind AND s.due_at = d.due_at AND s.since = d.since AND NOT s.superseded "
    "AND d.kind = 'reinspection' JOIN accounts_organisation p ON p.id = d.provider_id "
    "JOIN accounts_membership m ON m.organisation_id = p.oversight_body_id AND m.role = 'oversight_lead' "
    "JOIN accounts_user u ON u.id = m.user_id AND u.is_active",
    'INSERT INTO failure_regime_outboxmessage (dedupe_key, "to", subject, body, status, attempts, created_at, '
    "last_error) SELECT 'deadline:' || deadline_id || ':' || key || ':' || user_id, email, "
    "left('Reminder: ' || title || ' is due on ' || to_char(due_at AT TIME ZONE 'Europe/London', 'FMDD FMMonth YYYY'), "
    "200), 'Hello ' || name || E',\\n\\n' || title || E'\\n\\nThis is due by ' || to_char(due_at AT TIME ZONE "
    "'Europe/London', 'FMDD FMMonth YYYY \"at\" HH24:MI') || E'.\\n\\nSee it here: ' || %(site)s || "
    "'/staff/reports/' || subject_id || E'/\\n', 'pending', 0, %(now)s, '' FROM told "
    "ON CONFLICT DO NOTHING",
    "INSERT INTO failure_regime_notification (user_id, event, title, link, about_type_id, about_id, key, statutory, "
    "body, delivery, created_at, emailed_at) SELECT user_id, 'deadline_reminder', left('Reminder: ' || title || "
    "' is due on ' || to_char(due_at AT TIME ZONE 'Europe/London', 'FMDD FMMonth YYYY'), 200), "
    "'/staff/reports/' || subject_id || '/', %(deadline_type)s, deadline_id, "
    "'deadline:' || deadline_id || ':' || key, true, '', 'immediate', %(now)s, %(now)s FROM told "
    "ON CONFLICT DO NOTHING",
]


def sql_alone(moment: object) -> tuple[float, int]:
    """Times ``SQL_ALONE`` (committed) at ``moment``, then undoes what it wrote, so that the sweep then finds the
    same rows. Returns the seconds and how many mails it wrote."""
    with time_machine.travel(moment, tick=False):
        now = timezone.now()
        pairs = set(
            Deadline.objects.filter(met_at__isnull=True, next_alert_at__lte=now).values_list(
                "kind", "due_at", "next_alert_at"
            )
        )
        rows: dict[str, list[object]] = {"kinds": [], "dues": [], "since": [], "keys": [], "superseded": [], "next": []}
        for kind, due_at, since in pairs:
            steps = deadline_steps(kind=kind, due_at=due_at)
            fallen = [s for s in steps if since <= s.at <= now]
            reminders = [s for s in fallen if s.key != OVERDUE]
            ahead = next((s.at for s in steps if s.at > now), None)
            for step in fallen:
                rows["kinds"].append(kind)
                rows["dues"].append(due_at)
                rows["since"].append(since)
                rows["keys"].append(step.key)
                rows["superseded"].append(step.key != OVERDUE and step != reminders[-1])
                rows["next"].append(ahead)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_saved AS SELECT id, next_alert_at FROM failure_regime_deadline")
            cursor.execute("SELECT coalesce(max(id), 0) FROM failure_regime_alert")
            last_alert = cursor.fetchone()[0]
            cursor.execute("SELECT coalesce(max(id), 0) FROM failure_regime_notification")
            last_notification = cursor.fetchone()[0]
            cursor.execute("SELECT coalesce(max(id), 0) FROM failure_regime_outboxmessage")
            last_mail = cursor.fetchone()[0]
        mails_before = OutboxMessage.objects.count()
        params = {
            **rows,
            "now": now,
            "site": "http://127.0.0.1:8000",
            "deadline_type": ContentType.objects.get_for_model(Deadline).pk,
        }
        started = time.perf_counter()
        each = []
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in SQL_ALONE:
                begun = time.perf_counter()
                cursor.execute(statement, params)
                each.append(time.perf_counter() - begun)
        elapsed = time.perf_counter() - started
    print(
        "  PostgreSQL alone, each statement and the commit: "
        + ", ".join(f"{t:.2f}" for t in [*each, elapsed - sum(each)])
    )
    mails = OutboxMessage.objects.count() - mails_before
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM failure_regime_alert WHERE id > %s", [last_alert])
        cursor.execute("DELETE FROM failure_regime_notification WHERE id > %s", [last_notification])
        cursor.execute("DELETE FROM failure_regime_outboxmessage WHERE id > %s", [last_mail])
        cursor.execute(
            "UPDATE failure_regime_deadline t SET next_alert_at = s.next_alert_at FROM bench_saved s WHERE t.id = s.id"
        )
        cursor.execute("DROP TABLE bench_saved")
        for table in ("alert", "notification", "outboxmessage", "deadline"):
            cursor.execute(f"VACUUM ANALYZE failure_regime_{table}")
    return elapsed, mails


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
    reverse("regime:deadline-list")  # a worker has its URLs loaded before its first sweep
    print(f"Deadline sweep on PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores")
    scenarios: list[tuple[str, Callable[[int], date]]] = [
        ("due dates spread over the coming year", lambda n: TODAY + timedelta(days=n % 365)),
        ("every deadline due in 7 days (worst case)", lambda n: TODAY + timedelta(days=7)),
    ]
    today = end_of_day(TODAY) - timedelta(hours=14)  # 10:00 in London
    for episodes in [int(n) for n in os.environ.get("BENCH_EPISODES", "1000,5000").split(",")]:
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
            later = today + timedelta(days=7)
            alone, alone_mails = sql_alone(later)
            elapsed, queries, report = timed_sweep(later)
            line("sweep after beat was down for a week", elapsed, queries, report)
            ratio = elapsed / alone
            print(
                f"  {'the same rows by PostgreSQL alone':<44} {alone:6.2f} s  ({alone_mails:,} e-mails); the sweep "
                f"takes {ratio:.2f} times as long (goal: at most 1.5){'' if ratio <= 1.5 else ': NOT MET'}"
            )
            print(f"  alerts recorded: {Alert.objects.count():,}; outbox messages: {OutboxMessage.objects.count():,}")
            Alert.objects.all().delete()
            OutboxMessage.objects.all().delete()


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
