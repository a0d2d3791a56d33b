"""Benchmark of the public site on PostgreSQL and Redis, served by gunicorn, loaded by wrk.

Builds a throwaway database at national volume (2,000 providers, 5,000 cases, 500 published notices, one in ten
corrected, 300 providers in special measures with their published monthly reports and rated inspections), starts
gunicorn on it (DEBUG off, 2 sync workers, as configured for production), and measures each public page with wrk
side by side with a bare view on the same server (``/ping``, which goes through the same middleware):

- **cached**: the page as readers get it, from the shared page cache. Goal: at least 0.95 of the bare view.
- **cold**: the same server with the page cache off (``PUBLIC_PAGE_CACHE=false``), so that every request renders
  its page from the database, as the first reader after a change does. Goal: at least 0.5 of the bare view.

Every measurement is taken in rounds, each page right after the bare view, and the median of the rounds is
printed: requests per second, p50 and p99 latency, the ratio to the bare view in the same round, and whether it
meets its goal. Then the queries each page makes when rendered cold, and the gunicorn workers' memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/public_site.py

The database in DATABASE_URL is only used to create and drop this run's own database (``bench/common.py``); the
Redis database in REDIS_URL is emptied. Environment: BENCH_SECONDS (per measurement, default 5), BENCH_ROUNDS
(default 3), BENCH_CONNECTIONS (wrk connections, default 20), BENCH_WORKERS (gunicorn workers, default 2),
BENCH_PORT (default 8765), BENCH_KEEP=1 (keep the database).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Load, cases_about, throwaway_database, trusts, wrk  # noqa: E402

PORT = int(os.environ.get("BENCH_PORT", "8765"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "20"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
PROVIDERS, CASES, NOTICES, EPISODES = 2_000, 5_000, 500, 300
GOALS = {"cached": 0.95, "cold": 0.5}


# --- The data -------------------------------------------------------------------------------------

BODY = (
    "Families raised concerns about **maternity care** at the trust between 2019 and 2024.\n\n"
    "- More babies died or were injured around birth than we would expect.\n"
    "- Some families were not told what went wrong.\n\n"
    "The Care Quality Commission, the oversight body and the trust agreed together to start an independent review. " * 3
)


def seed() -> None:
    """Builds the data with bulk inserts."""
    from datetime import date, timedelta
    from datetime import time as clock_time

    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Organisation, OrganisationKind, User
    from communications.markdown import render_markdown
    from communications.models import (
        Notice,
        NoticeKind,
        NoticeVersion,
        OpeningTime,
        SupportKind,
        SupportService,
        VersionStatus,
    )
    from failure_regime.models import (
        Area,
        CaseStatus,
        Episode,
        Inspection,
        MonthlyReport,
        Rating,
        ReportStatus,
        Responsibility,
        RuleSet,
    )

    now = timezone.now()
    today = timezone.localdate()
    kinds = list(NoticeKind.values)
    with transaction.atomic():
        cqc = Organisation.objects.create(
            name="Care Quality Commission",
            ods_code="CQC",
            kind=OrganisationKind.REGULATOR,
            group=Group.objects.create(name="organisation:CQC"),
        )
        monitor = Organisation.objects.create(
            name="Monitor",
            ods_code="MON",
            kind=OrganisationKind.OVERSIGHT_BODY,
            group=Group.objects.create(name="organisation:MON"),
        )
        providers = trusts(PROVIDERS, [monitor])
        author = User.objects.create(email="author@bench.example", full_name="Author")
        cases = cases_about(providers, CASES, proposed_by=author, organisation=cqc, status=lambda n: CaseStatus.ACTIVE)
        Responsibility.objects.bulk_create(
            [Responsibility(case=c, area=a, lead=author, lead_organisation=cqc) for c in cases for a in Area.values],
            batch_size=5000,
        )
        services = SupportService.objects.bulk_create(
            [
                SupportService(
                    name=f"Benchmark helpline {n}",
                    kind=SupportKind.HELPLINE,
                    description="For families worried about care.",
                    phone="0808 000 0000",
                    maintained_by=cqc,
                    created_at=now,
                    updated_at=now,
                )
                for n in range(3)
            ]
        )
        OpeningTime.objects.bulk_create(
            [
                OpeningTime(service=s, weekday=d, opens=clock_time(9), closes=clock_time(17))
                for s in services
                for d in range(1, 6)
            ]
        )
        for service in services:
            service.cases.set(cases[:NOTICES])
        html = render_markdown(BODY)
        # The notices are about the first cases, so the providers in special measures (the first ones) have some.
        notices = Notice.objects.bulk_create(
            [
                Notice(
                    kind=kinds[n % len(kinds)],
                    case=cases[n],
                    provider=cases[n].provider,
                    created_by=author,
                    created_by_organisation=cqc,
                    created_at=now - timedelta(days=300),
                )
                for n in range(NOTICES)
            ],
            batch_size=5000,
        )
        versions = []
        for n, notice in enumerate(notices):
            published = now - timedelta(days=300) + timedelta(minutes=500 * n)
            corrected = n % 10 == 0
            common = {
                "notice": notice,
                "title": f"{notice.provider.name}: {notice.get_kind_display().lower()} {n}",
                "summary": "An independent review of care at the trust has begun, and families can ask for theirs.",
                "body_markdown": BODY,
                "body_html": html,
                "what_is_being_done_markdown": "An independent team is reviewing the care of every family.",
                "what_is_being_done_html": "<p>An independent team is reviewing the care of every family.</p>",
                "created_by": author,
                "created_at": published,
                "approved_at": published,
            }
            if corrected:
                versions.append(
                    NoticeVersion(
                        number=1,
                        status=VersionStatus.SUPERSEDED,
                        published_at=published,
                        superseded_at=published + timedelta(hours=1),
                        **common,
                    )
                )
            versions.append(
                NoticeVersion(
                    number=2 if corrected else 1,
                    status=VersionStatus.PUBLISHED,
                    is_correction=corrected,
                    correction_note="We gave the wrong date." if corrected else "",
                    published_at=published + timedelta(hours=1) if corrected else published,
                    **common,
                )
            )
        NoticeVersion.objects.bulk_create(versions, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE communications_notice AS n SET published_version_id = v.id, publish_at = "
                "COALESCE((SELECT MIN(o.published_at) FROM communications_noticeversion o WHERE o.notice_id = n.id), "
                "v.published_at), last_updated_at = v.published_at, status = CASE WHEN v.is_correction "
                "THEN 'corrected' ELSE 'published' END FROM communications_noticeversion AS v "
                "WHERE v.notice_id = n.id AND v.status = 'published'"
            )
        # Special measures: the first providers, each entered 7 to 10 months ago, with a published report for every
        # month since and the rated inspection that put them there.
        rules = RuleSet.objects.filter(provider_kind=OrganisationKind.NHS_TRUST).order_by("-effective_from").first()
        if rules is None:
            sys.exit("No rule set for NHS trusts: did the migrations run?")
        entered = [today - timedelta(days=210 + 30 * (n % 4)) for n in range(EPISODES)]
        inspections = Inspection.objects.bulk_create(
            [
                Inspection(
                    provider=providers[n],
                    carried_out_on=entered[n] - timedelta(days=60),
                    published_on=entered[n] - timedelta(days=20),
                    report_reference=f"INS{n:06d}",
                    safe=Rating.INADEQUATE,
                    effective=Rating.REQUIRES_IMPROVEMENT,
                    caring=Rating.GOOD,
                    responsive=Rating.REQUIRES_IMPROVEMENT,
                    well_led=Rating.INADEQUATE,
                    overall=Rating.INADEQUATE,
                    recorded_by=author,
                    recorded_at=now,
                )
                for n in range(EPISODES)
            ]
        )
        episodes = Episode.objects.bulk_create(
            [
                Episode(
                    provider=providers[n],
                    rule_set=rules,
                    entered_on=entered[n],
                    basis="own_evidence",
                    decided_by=author,
                    decided_by_organisation=monitor,
                    decided_at=now,
                    recommending_inspection=inspections[n],
                    reinspection_due_on=entered[n] + timedelta(days=365),
                    recorded_at=now,
                )
                for n in range(EPISODES)
            ]
        )

        def months_since(start: date) -> list[date]:
            first = date(start.year, start.month, 1)
            months = []
            while first < date(today.year, today.month, 1):
                months.append(first)
                first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return months

        MonthlyReport.objects.bulk_create(
            [
                MonthlyReport(
                    episode=episode,
                    month=month,
                    due_on=month + timedelta(days=40),
                    status=ReportStatus.ACCEPTED,
                    narrative="Progress against every action this month.",
                    published_at=now - timedelta(days=10),
                    snapshot=_snapshot(episode, month),
                )
                for episode in episodes
                for month in months_since(episode.entered_on)
            ],
            batch_size=5000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _snapshot(episode: Any, month: Any) -> dict[str, Any]:
    """A published report as the public sees it (``failure_regime.services.monthly_reports._snapshot``)."""
    return {
        "month": month.isoformat(),
        "provider": {"name": episode.provider.name, "ods_code": episode.provider.ods_code},
        "entered_special_measures_on": episode.entered_on.isoformat(),
        "narrative": "Progress against every action this month.",
        "actions": [
            {
                "reference": f"A{n}",
                "description": "Staff on every maternity shift trained in fetal monitoring.",
                "owner_organisation": episode.provider.name,
                "due_on": month.isoformat(),
                "status": "in_progress",
                "status_label": "In progress",
                "rag": "amber",
                "note": "",
            }
            for n in range(1, 6)
        ],
    }


def pages() -> dict[str, str]:
    """The public pages measured, by name: each a page a reader lands on."""
    from communications.models import Notice

    notice = Notice.objects.filter(status="corrected", provider__ods_code="P00000").order_by("-publish_at").first()
    if notice is None:
        sys.exit("The data has no corrected notice about the first provider.")
    return {
        "home": "/",
        "notice list": "/notices/",
        "notice page": f"/notices/{notice.pk}/",
        "feed": "/notices/feed.atom",
        "open data (JSON)": "/open-data/notices.json",
        "provider page": "/providers/P00000/",
        "provider list": "/providers/",
        "register": "/special-measures/",
    }


# --- Running --------------------------------------------------------------------------------------


def _get(path: str) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=30) as response:  # noqa: S310 - loopback
        response.read()
        return int(response.status)


def _wait_for_server(process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            sys.exit("gunicorn stopped before it answered.")
        try:
            _get("/ping")
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("gunicorn did not answer.")


def _load(path: str) -> Load:
    return wrk(f"http://127.0.0.1:{PORT}{path}", seconds=SECONDS, connections=CONNECTIONS)


def _workers_rss_mib(server: subprocess.Popen[bytes]) -> list[float]:
    """The resident memory of each gunicorn worker, in MiB (from /proc)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def _queries_per_page(paths: dict[str, str]) -> dict[str, int]:
    """How many queries each page makes when rendered cold (in this process, page cache off)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    counts = {}
    with override_settings(PUBLIC_PAGE_CACHE=False):
        client = Client()
        for name, path in paths.items():
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                status = client.get(path, HTTP_HOST="127.0.0.1").status_code
            if status != 200:
                sys.exit(f"{path} answered {status}")
            counts[name] = len(queries)
    cache.clear()
    return counts


def main() -> None:
    database_url = throwaway_database("public")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
    static_root = tempfile.mkdtemp(prefix="sfr-bench-static-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": "memory://",
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-" + "x" * 40,
        "AUDIT_CHAIN_KEY": "benchmark-only-" + "y" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": static_root,
        "DJANGO_SETTINGS_MODULE": "failure_regime.settings",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    cache.clear()
    started = time.perf_counter()
    seed()
    paths = pages()
    print(
        f"Public site on PostgreSQL {connection.pg_version // 10000} and Redis, {os.cpu_count()} cores, gunicorn with "  # type: ignore[attr-defined]
        f"{WORKERS} sync workers (DEBUG off); {PROVIDERS:,} providers, {CASES:,} cases, {NOTICES:,} published "
        f"notices, {EPISODES:,} providers in special measures (built in {time.perf_counter() - started:.0f} s). "
        f"wrk with {CONNECTIONS} connections, {SECONDS:g} s per measurement, median of {ROUNDS} rounds, each page "
        "beside the bare view /ping in the same round."
    )
    queries = _queries_per_page(paths)
    connection.close()
    rows: dict[tuple[str, str], list[tuple[Load, float]]] = {}
    bare: list[Load] = []
    memory: dict[str, list[float]] = {}
    # Cached: gunicorn as configured. Cold: the same with the page cache turned off, so that every request renders
    # its page from the database, as the first request after a change does.
    for mode, overrides in (("cached", {}), ("cold", {"PUBLIC_PAGE_CACHE": "false"})):
        cache.clear()
        with serving({**env, **overrides}) as server:
            for path in ["/ping", *paths.values()]:
                wrk(f"http://127.0.0.1:{PORT}{path}", seconds=1, connections=CONNECTIONS)  # warm up
            for _ in range(ROUNDS):
                for name, path in paths.items():
                    base = _load("/ping")
                    result = _load(path)
                    if base.rps == 0:
                        sys.exit("The bare view answered nothing: is the machine overloaded?")
                    bare.append(base)
                    rows.setdefault((mode, name), []).append((result, result.rps / base.rps))
            memory[mode] = _workers_rss_mib(server)
    cache.clear()
    shutil.rmtree(static_root, ignore_errors=True)
    print(
        f"\n| {'page':<18} | {'mode':<6} | {'requests/s':>10} | {'p50 ms':>7} | {'p99 ms':>7} | "
        f"{'ratio to bare':>13} | {'goal':>6} | {'met':<3} | {'queries (cold)':>14} |"
    )
    print("| " + " | ".join("-" * width for width in (18, 6, 10, 7, 7, 13, 6, 3, 14)) + " |")

    def line(name: str, mode: str, results: list[Load], ratio: float | None, queries: str) -> None:
        rps = statistics.median(r.rps for r in results)
        p50 = statistics.median(r.p50_ms for r in results)
        p99 = statistics.median(r.p99_ms for r in results)
        goal = GOALS.get(mode)
        shown = f"{ratio:.2f}" if ratio is not None else "1.00"
        met = "" if ratio is None or goal is None else ("yes" if ratio >= goal else "NO")
        goal_shown = f">= {goal:.2f}" if goal is not None and ratio is not None else ""
        print(
            f"| {name:<18} | {mode:<6} | {rps:>10,.0f} | {p50:>7.1f} | {p99:>7.1f} | {shown:>13} | {goal_shown:>6} | "
            f"{met:<3} | {queries:>14} |"
        )

    line("bare view (/ping)", "", bare, None, "0")
    for (mode, name), measured in rows.items():
        ratio = statistics.median(q for _, q in measured)
        line(name, mode, [r for r, _ in measured], ratio, str(queries[name]))
    for mode, sizes in memory.items():
        shown = ", ".join(f"{size:.0f}" for size in sizes)
        print(f"\nMemory of each gunicorn worker after the {mode} runs: {shown} MiB")


@contextmanager
def serving(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn, as the Dockerfile runs it, for the duration of the block."""
    server = subprocess.Popen(  # noqa: S603 - a fixed command
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "failure_regime.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_for_server(server)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
