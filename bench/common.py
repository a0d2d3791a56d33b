"""What the benchmarks share: a throwaway PostgreSQL database of their own, dropped when they finish, and wrk.

Each run creates a database whose name carries the process id (``sfr_bench_<what>_<pid>``), so two benchmarks, or
two runs of one, never touch each other's data, and drops it on the way out, whatever happens. ``BENCH_KEEP=1``
keeps it (the name is printed) for a look afterwards.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse, urlunparse

KEEP = os.environ.get("BENCH_KEEP", "") == "1"


def _admin_url(url: str) -> str:
    return urlunparse(urlparse(url)._replace(path="/postgres"))


def throwaway_database(what: str) -> str:
    """Creates ``sfr_bench_<what>_<pid>`` on the PostgreSQL server of ``DATABASE_URL`` and returns its URL; it is
    dropped when the process exits (unless ``BENCH_KEEP=1``)."""
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not url.startswith("postgres"):
        sys.exit(f"The {what} benchmark runs on PostgreSQL: set DATABASE_URL to a PostgreSQL server.")
    import psycopg2  # type: ignore[import-untyped]

    name = f"sfr_bench_{what}_{os.getpid()}"
    admin = psycopg2.connect(_admin_url(url))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    admin.close()

    def drop() -> None:
        if KEEP:
            print(f"Kept the database {name}.")
            return
        from django.db import connections

        connections.close_all()
        admin = psycopg2.connect(_admin_url(url))
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

    atexit.register(drop)
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


@dataclass(frozen=True)
class Load:
    """What wrk measured: requests per second and latency percentiles, in milliseconds."""

    rps: float
    p50_ms: float
    p99_ms: float


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


# What every browser says it accepts: the page cache keeps large pages gzipped for them.
BROWSER_HEADERS = ("Accept-Encoding: gzip, deflate, br",)


def wrk(url: str, *, seconds: float, connections: int, threads: int = 1) -> Load:
    """Runs wrk against ``url``, each request with the headers a browser sends (``BROWSER_HEADERS``); refuses a run
    in which any answer was an error or the socket failed."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    out = subprocess.run(  # noqa: S603 - a fixed command
        [  # noqa: S607
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--latency",
            *(argument for header in BROWSER_HEADERS for argument in ("-H", header)),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if "Non-2xx or 3xx responses" in out or "Socket errors" in out and re.search(r"(connect|read|write) [1-9]", out):
        sys.exit(f"wrk saw errors for {url}:\n{out}")
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None or set(latency) != {"50", "99"}:
        sys.exit(f"Could not read wrk's figures for {url}:\n{out}")
    return Load(rps=float(found.group(1)), p50_ms=_ms(latency["50"]), p99_ms=_ms(latency["99"]))


# --- Data both the public site and the lists are measured on ------------------------------------------


def trusts(count: int, oversight_bodies: list[Any]) -> list[Any]:
    """``count`` NHS trusts, ``P00000`` onwards, each with its organisation group, spread over the regions and
    over ``oversight_bodies`` in turn, created in bulk."""
    from django.contrib.auth.models import Group

    from accounts.models import Organisation, OrganisationKind, Region

    regions = [r for r in Region.values if r != Region.NATIONAL]
    groups = Group.objects.bulk_create([Group(name=f"organisation:P{n:05d}") for n in range(count)])
    return Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Benchmark Hospitals NHS Trust {n}",
                ods_code=f"P{n:05d}",
                kind=OrganisationKind.NHS_TRUST,
                region=regions[n % len(regions)],
                oversight_body=oversight_bodies[n % len(oversight_bodies)],
                group=groups[n],
            )
            for n in range(count)
        ],
        batch_size=5000,
    )


def cases_about(
    providers: list[Any], count: int, *, proposed_by: Any, organisation: Any, status: Callable[[int], str]
) -> list[Any]:
    """``count`` cases about ``providers`` in turn, proposed a year and more ago, the n-th with ``status(n)``."""
    from datetime import timedelta

    from django.utils import timezone

    from failure_regime.models import Case

    now = timezone.now()
    return Case.objects.bulk_create(
        [
            Case(
                reference=f"SFR-{n + 1:05d}",
                provider=providers[n % len(providers)],
                title=f"Benchmark case {n}",
                summary="Failures of care.",
                scope="2019 to 2024",
                status=status(n),
                proposed_by=proposed_by,
                proposed_by_organisation=organisation,
                proposed_at=now - timedelta(days=400),
                triggered_at=now - timedelta(days=390),
                activated_at=now - timedelta(days=380),
            )
            for n in range(count)
        ],
        batch_size=5000,
    )
