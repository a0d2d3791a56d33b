"""Benchmark of the public site on PostgreSQL and Redis, served by gunicorn.

Builds a throwaway database with 50,000 providers, 1,000 active cases and 5,000 published notices (one in ten
corrected, each case with its accountable organisations and three support services), starts gunicorn on it, and
measures, side by side with the service's most trivial page (``/ping``):

- the notice list and a notice page once cached (served from Redis by the public page cache);
- the same pages with a cold cache (every request has a query string never seen before, so every request renders
  the page from the database and stores it).

Each measurement is repeated in rounds, interleaved with the trivial page, and the median of the rounds is printed:
requests per second, median (p50) and 95th percentile (p95) latency, and the ratio to the trivial page's requests
per second in the same round. The load comes from a small asyncio load generator in this script (one process per
core), so no other tool is needed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/public_site.py

The database named in DATABASE_URL is only used to create and drop ``sfr_bench_public``; the Redis database in
REDIS_URL is emptied. Environment: BENCH_SECONDS (per measurement, default 8), BENCH_ROUNDS (default 3),
BENCH_CONCURRENCY (default 16), BENCH_WORKERS (gunicorn workers, default 3 as in the Dockerfile), BENCH_REUSE=1
(keep the database of an earlier run).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "sfr_bench_public"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
# Keep the database of an earlier run instead of building it again (for repeated measurements).
REUSE = os.environ.get("BENCH_REUSE", "") == "1"
PROVIDERS, CASES, NOTICES = 50_000, 1_000, 5_000


def _bench_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not url.startswith("postgres"):
        sys.exit("The public site benchmark runs on PostgreSQL: set DATABASE_URL to a PostgreSQL server.")
    parsed = urlparse(url)
    import psycopg2

    admin = psycopg2.connect(urlunparse(parsed._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
        if not (REUSE and cursor.fetchone()):
            cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {BENCH_DB}")
    admin.close()
    return urlunparse(parsed._replace(path=f"/{BENCH_DB}"))


# --- The load generator ---------------------------------------------------------------------------


async def _one(path: str) -> float:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    status = await reader.readline()
    await reader.read()  # the server closes the connection after the body
    writer.close()
    if b" 200 " not in status:
        raise RuntimeError(f"{path} answered {status!r}")
    return time.perf_counter() - started


async def _drive(path: str, seconds: float, concurrency: int) -> list[float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        while time.perf_counter() < deadline:
            latencies.append(await _one(path))

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return latencies


def _worker(args: tuple[str, float, int]) -> list[float]:
    return asyncio.run(_drive(*args))


@dataclass
class Result:
    rps: float
    p50_ms: float
    p95_ms: float


def measure(path: str, *, seconds: float = SECONDS) -> Result:
    """Requests per second and latency of ``path`` under ``CONCURRENCY`` concurrent clients."""
    processes = max(1, min(os.cpu_count() or 1, 4))
    per_process = max(1, CONCURRENCY // processes)
    started = time.perf_counter()
    with multiprocessing.Pool(processes) as pool:
        runs = pool.map(_worker, [(path, seconds, per_process)] * processes)
    elapsed = time.perf_counter() - started
    latencies = sorted(x for run in runs for x in run)
    return Result(
        rps=len(latencies) / elapsed,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p95_ms=latencies[int(len(latencies) * 0.95)] * 1000,
    )


# --- The data -------------------------------------------------------------------------------------

BODY = (
    "Families raised concerns about **maternity care** at the trust between 2019 and 2024.\n\n"
    "- More babies died or were injured around birth than we would expect.\n"
    "- Some families were not told what went wrong.\n\n"
    "The Care Quality Commission, the oversight body and the trust agreed together to start an independent review. " * 3
)


def seed() -> int:
    """Builds the data with bulk inserts; returns the id of a corrected notice (the page measured)."""
    from datetime import time as clock_time
    from datetime import timedelta

    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Organisation, OrganisationKind, Region, User
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
    from failure_regime.models import Area, Case, CaseStatus, Responsibility

    now = timezone.now()
    regions = [r for r in Region.values if r != Region.NATIONAL]
    kinds = list(NoticeKind.values)
    with transaction.atomic():
        cqc = Organisation.objects.create(
            name="Care Quality Commission",
            ods_code="CQC",
            kind=OrganisationKind.REGULATOR,
            group=Group.objects.create(name="organisation:CQC"),
        )
        groups = Group.objects.bulk_create([Group(name=f"organisation:P{n:05d}") for n in range(PROVIDERS)])
        providers = Organisation.objects.bulk_create(
            [
                Organisation(
                    name=f"Benchmark Hospitals NHS Trust {n}",
                    ods_code=f"P{n:05d}",
                    kind=OrganisationKind.NHS_TRUST,
                    region=regions[n % len(regions)],
                    group=groups[n],
                )
                for n in range(PROVIDERS)
            ],
            batch_size=5000,
        )
        author = User.objects.create(email="author@bench.example", full_name="Author")
        cases = Case.objects.bulk_create(
            [
                Case(
                    reference=f"SFR-{n + 1:05d}",
                    provider=providers[n * (PROVIDERS // CASES)],
                    title=f"Benchmark case {n}",
                    summary="Failures of care.",
                    scope="2019 to 2024",
                    status=CaseStatus.ACTIVE,
                    proposed_by=author,
                    proposed_by_organisation=cqc,
                    proposed_at=now - timedelta(days=400),
                    triggered_at=now - timedelta(days=390),
                    activated_at=now - timedelta(days=380),
                )
                for n in range(CASES)
            ]
        )
        Responsibility.objects.bulk_create(
            [Responsibility(case=c, area=a, lead=author, lead_organisation=cqc) for c in cases for a in Area.values]
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
            service.cases.set(cases)
        html = render_markdown(BODY)
        notices = Notice.objects.bulk_create(
            [
                Notice(
                    kind=kinds[n % len(kinds)],
                    case=cases[n % CASES],
                    provider=cases[n % CASES].provider,
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
            published = now - timedelta(days=300) + timedelta(minutes=80 * n)
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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return _measured_notice()


def _measured_notice() -> int:
    from communications.models import Notice

    return int(Notice.objects.filter(status="corrected").order_by("-publish_at").values_list("pk", flat=True)[0])


# --- Running --------------------------------------------------------------------------------------


def _wait_for_server(process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            sys.exit("gunicorn stopped before it answered.")
        try:
            asyncio.run(_one("/ping"))
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("gunicorn did not answer.")


def main() -> None:
    database_url = _bench_url()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
    static_root = tempfile.mkdtemp(prefix="sfr-bench-static-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": "memory://",
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
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
    from communications.models import Notice

    reused = REUSE and Notice.objects.exists()
    notice_id = _measured_notice() if reused else seed()
    print(
        f"Public site on PostgreSQL {connection.pg_version // 10000} and Redis, {os.cpu_count()} cores, gunicorn with "
        f"{WORKERS} sync workers; {PROVIDERS:,} providers, {CASES:,} cases, {NOTICES:,} published notices "
        f"(built in {time.perf_counter() - started:.0f} s). {CONCURRENCY} concurrent clients, {SECONDS:.0f} s per "
        f"measurement, median of {ROUNDS} rounds."
    )
    connection.close()
    rows: dict[str, list[tuple[Result, float]]] = {}
    trivial: list[Result] = []
    # Cached: gunicorn as configured. Cold: the same with the page cache turned off (PUBLIC_PAGE_CACHE=false), so
    # that every request renders its page from the database, as the first request for a page does.
    for mode, overrides in (("cached", {}), ("cold cache", {"PUBLIC_PAGE_CACHE": "false"})):
        cache.clear()
        with serving({**env, **overrides}):
            scenarios = [(f"notice list, {mode}", "/notices/"), (f"notice page, {mode}", f"/notices/{notice_id}/")]
            for _, path in scenarios:
                measure(path, seconds=1)  # warm the workers (and, when caching, the cache)
            for _ in range(ROUNDS):
                for name, path in scenarios:
                    base = measure("/ping")
                    result = measure(path)
                    trivial.append(base)
                    rows.setdefault(name, []).append((result, result.rps / base.rps))
    cache.clear()
    shutil.rmtree(static_root, ignore_errors=True)
    print(f"\n| {'page':<26} | {'requests/s':>10} | {'p50 ms':>7} | {'p95 ms':>7} | {'ratio to trivial':>16} |")
    print(f"| {'-' * 26} | {'-' * 10} | {'-' * 7} | {'-' * 7} | {'-' * 16} |")

    def line(name: str, results: list[Result], ratio: str) -> None:
        rps = statistics.median(r.rps for r in results)
        p50 = statistics.median(r.p50_ms for r in results)
        p95 = statistics.median(r.p95_ms for r in results)
        print(f"| {name:<26} | {rps:>10,.0f} | {p50:>7.1f} | {p95:>7.1f} | {ratio:>16} |")

    line("trivial view (/ping)", trivial, "1.00")
    for name, measured in rows.items():
        line(name, [r for r, _ in measured], f"{statistics.median(q for _, q in measured):.2f}")


@contextmanager
def serving(env: dict[str, str]) -> Iterator[None]:
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
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
