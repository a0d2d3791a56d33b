"""Benchmark of the staff lists and API lists on PostgreSQL at national volume.

Builds a throwaway database with 2,000 providers (half overseen by Monitor, half by NHS TDA), 5,000 cases with
their parties, 24,000 enforcement actions, 1,000 providers in special measures with a year of monthly reports,
50,000 open deadlines on those records, 5,000 concerns, 5,000 enquiries and 50,000 notifications, each record
granted to the organisations that may see it as the services grant them. Then, for people who see everything
(national oversight), a part (an oversight lead at Monitor) and little (a trust manager), it asks for the first
page of every staff list and API list and prints, per list and person:

- the database time of one page, p50 and p99 over the rounds (goal: at most 30 ms at p50),
- the queries the page makes,
- whether the plan of its slowest query (other than the count of the whole list) reads a table of more than 10,000
  rows from end to end (``EXPLAIN``): "index" when every large table is read through an index, otherwise the tables
  read whole.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/lists.py

The database in DATABASE_URL is only used to create and drop this run's own database (``bench/common.py``).
Environment: BENCH_ROUNDS (requests per list and person, default 20), BENCH_LISTS (only the lists whose path
contains one of these comma-separated words; ``home`` for the home page alone), BENCH_KEEP=1 (keep the database).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cases_about, throwaway_database, trusts  # noqa: E402

os.environ["DATABASE_URL"] = throwaway_database("lists")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "failure_regime.settings")
os.environ["PUBLIC_PAGE_CACHE"] = "false"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402
from guardian.models import GroupObjectPermission  # noqa: E402

from accounts.models import Organisation, OrganisationKind, Role, User  # noqa: E402
from accounts.services import membership_create  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
ONLY = [word for word in os.environ.get("BENCH_LISTS", "").split(",") if word]
PROVIDERS, CASES, ACTIONS, EPISODES, CONCERNS, ENQUIRIES, NOTIFICATIONS = (
    2_000,
    5_000,
    24_000,
    1_000,
    5_000,
    5_000,
    50_000,
)
GOAL_MS = 30.0
LARGE_TABLE_ROWS = 10_000

STAFF_LISTS = [
    "/staff/",
    "/staff/concerns/",
    "/staff/cases/",
    "/staff/enforcement/",
    "/staff/deadlines/",
    "/staff/special-measures/",
    "/staff/inspections/",
    "/staff/recommendations/",
    "/staff/notifications/",
    "/staff/enquiries/",
]
API_LISTS = [
    "/api/v1/concerns/",
    "/api/v1/cases/",
    "/api/v1/enforcement-actions/",
    "/api/v1/deadlines/",
    "/api/v1/episodes/",
    "/api/v1/monthly-reports/",
    "/api/v1/notifications/",
    "/api/v1/inspections/",
    "/api/v1/recommendations/",
    "/api/v1/interventions/",
    "/api/v1/enquiries/",
    "/api/v1/organisations/",
]


# --- The data -------------------------------------------------------------------------------------


def _grants(perm: str, pairs: Iterator[tuple[Group, Any]]) -> None:
    """Grants ``perm`` on objects to groups as ``guardian.shortcuts.assign_perm`` does, in bulk."""
    app_label, codename = perm.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    GroupObjectPermission.objects.bulk_create(
        [
            GroupObjectPermission(
                group=group, permission=permission, content_type=permission.content_type, object_pk=str(obj.pk)
            )
            for group, obj in pairs
        ],
        batch_size=10_000,
        ignore_conflicts=True,
    )


def seed() -> dict[str, User]:  # noqa: PLR0915 - one straight build, easier to read whole
    """Builds the data with bulk inserts and returns the people who ask for the lists."""
    from communications.models import ContactMethod, Enquiry, EnquiryStatus, Relation  # noqa: I001
    from communications.models import Urgency as EnquiryUrgency
    from failure_regime.models import (
        Area,
        Case,
        CaseParty,
        CaseStatus,
        Concern,
        ConcernSource,
        Deadline,
        DeadlineKind,
        EnforcementAction,
        EnforcementKind,
        Episode,
        MonthlyReport,
        Notification,
        NotificationEvent,
        Responsibility,
        RuleSet,
        Severity,
    )

    now = timezone.now()
    today = timezone.localdate()

    def body(name: str, ods: str, kind: str, **extra: Any) -> Organisation:
        return Organisation.objects.create(
            name=name, ods_code=ods, kind=kind, group=Group.objects.create(name=f"organisation:{ods}"), **extra
        )

    with transaction.atomic():
        cqc = Organisation.objects.get_or_create(
            ods_code="CQC",
            defaults={
                "name": "Care Quality Commission",
                "kind": OrganisationKind.REGULATOR,
                "group": Group.objects.create(name="organisation:CQC"),
            },
        )[0]
        monitor = body("Monitor", "MON", OrganisationKind.OVERSIGHT_BODY)
        tda = body("NHS Trust Development Authority", "TDA", OrganisationKind.OVERSIGHT_BODY)
        england = body("NHS England", "ENG", OrganisationKind.OVERSIGHT_BODY)
        providers = trusts(PROVIDERS, [tda, monitor])
        author = User.objects.create(email="author@bench.example", full_name="Author")
        cases = cases_about(
            providers,
            CASES,
            proposed_by=author,
            organisation=cqc,
            status=lambda n: CaseStatus.ACTIVE if n % 5 else CaseStatus.PROPOSED,
        )
        parties = [
            CaseParty(case=c, organisation=o, basis=b, added_by=author, added_at=now)
            for c in cases
            for o, b in ((c.provider, "provider"), (cqc, "regulator"), (c.provider.oversight_body, "oversight"))
        ]
        CaseParty.objects.bulk_create(parties, batch_size=10_000)
        _grants("failure_regime.view_case", ((p.organisation.group, p.case) for p in parties))
        Responsibility.objects.bulk_create(
            [
                Responsibility(case=c, area=a, lead=None, lead_organisation=None)
                if (c.pk + i) % 7 == 0
                else Responsibility(case=c, area=a, lead=author, lead_organisation=cqc)
                for c in cases
                for i, a in enumerate(Area.values)
            ],
            batch_size=10_000,
        )

        actions = EnforcementAction.objects.bulk_create(
            [
                EnforcementAction(
                    provider=providers[n % PROVIDERS],
                    case=cases[n % CASES] if n % 3 == 0 else None,
                    kind=EnforcementKind.WARNING_NOTICE if n % 3 else EnforcementKind.REQUIREMENT_NOTICE,
                    summary="The trust must improve fetal monitoring.",
                    served_on=today - timedelta(days=n % 300),
                    deadline_on=today + timedelta(days=n % 200),
                    recorded_by=author,
                    recorded_by_organisation=cqc,
                    recorded_at=now - timedelta(minutes=n),
                )
                for n in range(ACTIONS)
            ],
            batch_size=5000,
        )
        _grants(
            "failure_regime.view_enforcementaction",
            ((g, a) for a in actions for g in (a.provider.group, cqc.group)),
        )

        rules = RuleSet.objects.filter(provider_kind=OrganisationKind.NHS_TRUST).order_by("-effective_from").first()
        if rules is None:
            sys.exit("No rule set for NHS trusts: did the migrations run?")
        episodes = Episode.objects.bulk_create(
            [
                Episode(
                    provider=providers[n],
                    rule_set=rules,
                    entered_on=today - timedelta(days=100 + n % 200),
                    basis="own_evidence",
                    decided_by=author,
                    decided_by_organisation=providers[n].oversight_body,
                    decided_at=now,
                    reinspection_due_on=today + timedelta(days=265 - n % 200),
                    recorded_at=now,
                )
                for n in range(EPISODES)
            ]
        )
        _grants(
            "failure_regime.view_episode",
            ((g, e) for e in episodes for g in (e.provider.group, e.decided_by_organisation.group)),
        )
        reports = MonthlyReport.objects.bulk_create(
            [
                MonthlyReport(
                    episode=e, month=date(today.year - 1 + m // 12, m % 12 + 1, 1), due_on=today + timedelta(days=m)
                )
                for e in episodes
                for m in range(1, 13)
            ],
            batch_size=10_000,
        )

        types = {m: ContentType.objects.get_for_model(m) for m in (Case, EnforcementAction, Episode, MonthlyReport)}
        deadlines = [
            *(
                Deadline(
                    kind=DeadlineKind.SIGN_OFF,
                    title="Joint sign-off",
                    provider=c.provider,
                    case=c,
                    subject_type=types[Case],
                    subject_id=c.pk,
                    due_at=now + timedelta(hours=c.pk % 500),
                )
                for c in cases
            ),
            *(
                Deadline(
                    kind=kind,
                    title="Enforcement",
                    provider=a.provider,
                    case=a.case,
                    subject_type=types[EnforcementAction],
                    subject_id=a.pk,
                    due_at=now + timedelta(hours=a.pk % 900),
                )
                for n, a in enumerate(actions)
                for kind in (
                    (DeadlineKind.ENFORCEMENT_COMPLIANCE, DeadlineKind.REPRESENTATION_WINDOW)
                    if n < 8000
                    else (DeadlineKind.ENFORCEMENT_COMPLIANCE,)
                )
            ),
            *(
                Deadline(
                    kind=DeadlineKind.REINSPECTION,
                    title="Re-inspection",
                    provider=e.provider,
                    subject_type=types[Episode],
                    subject_id=e.pk,
                    due_at=now + timedelta(days=e.pk % 300),
                )
                for e in episodes
            ),
            *(
                Deadline(
                    kind=DeadlineKind.MONTHLY_REPORT,
                    title="Monthly progress report",
                    provider=r.episode.provider,
                    subject_type=types[MonthlyReport],
                    subject_id=r.pk,
                    due_at=now + timedelta(hours=r.pk % 700),
                )
                for r in reports
            ),
        ]
        Deadline.objects.bulk_create(deadlines, batch_size=10_000)

        concerns = Concern.objects.bulk_create(
            [
                Concern(
                    provider=providers[n % PROVIDERS],
                    source=ConcernSource.WHISTLEBLOWING,
                    summary="Staff raised concerns about safety on the wards.",
                    severity=Severity.IMMEDIATE if n % 10 == 0 else Severity.ROUTINE,
                    raised_by=author,
                    raised_by_organisation=cqc,
                    raised_at=now - timedelta(minutes=n),
                )
                for n in range(CONCERNS)
            ],
            batch_size=5000,
        )
        _grants("failure_regime.view_concern", ((cqc.group, c) for c in concerns))

        enquiries = Enquiry.objects.bulk_create(
            [
                Enquiry(
                    received_at=now - timedelta(hours=n),
                    name="A family member",
                    relation=Relation.PATIENT,
                    provider=providers[n % PROVIDERS],
                    worry="We are worried about the care our mother received.",
                    contact_method=ContactMethod.EMAIL,
                    email=f"family{n}@bench.example",
                    consent=True,
                    consented_at=now,
                    status=EnquiryStatus.NEW,
                    urgency=EnquiryUrgency.ROUTINE,
                    response_due_at=now + timedelta(hours=n % 100),
                    handled_by=cqc,
                    case=cases[n % CASES] if n % 2 else None,
                )
                for n in range(ENQUIRIES)
            ],
            batch_size=5000,
        )
        for perm in ("communications.view_enquiry", "communications.change_enquiry"):
            _grants(perm, ((cqc.group, e) for e in enquiries))

        def person(email: str, organisation: Organisation, *roles: str) -> User:
            user = User.objects.create(email=email, full_name=email.split("@")[0].replace(".", " ").title())
            for role in roles:
                membership_create(actor=None, user=user, organisation=organisation, role=role)
            return user

        people = {
            "national": person("national@bench.example", england, Role.NATIONAL_OVERSIGHT),
            "monitor": person("oversight@bench.example", monitor, Role.OVERSIGHT_LEAD),
            "trust": person("manager@bench.example", providers[7], Role.TRUST_MANAGER),
            "cqc": person("inspector@bench.example", cqc, Role.INSPECTOR, Role.FAMILY_LIAISON_OFFICER),
        }
        types_notification = ContentType.objects.get_for_model(Deadline)
        Notification.objects.bulk_create(
            [
                Notification(
                    user=user,
                    event=NotificationEvent.DEADLINE_REMINDER,
                    title=f"Reminder {n}",
                    link="/staff/deadlines/",
                    organisation=cqc,
                    about_type=types_notification,
                    about_id=n,
                    key=f"bench:{n}",
                    read_at=now if n % 4 else None,
                )
                for user in people.values()
                for n in range(NOTIFICATIONS // len(people))
            ],
            batch_size=10_000,
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return people


# --- Measuring ------------------------------------------------------------------------------------


@contextmanager
def timed_queries() -> Iterator[list[tuple[str, list[Any] | tuple[Any, ...] | None, float]]]:
    """Every query run inside, with its parameters and the seconds it took."""
    seen: list[tuple[str, Any, float]] = []

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seen.append((sql, params, time.perf_counter() - started))

    with connection.execute_wrapper(wrapper):
        yield seen


def _large_tables() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE n_live_tup > %s", [LARGE_TABLE_ROWS])
        return dict(cursor.fetchall())


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def whole_reads(sql: str, params: Any, large: dict[str, int]) -> list[str]:
    """The large tables that ``sql`` reads from end to end, from its plan."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return sorted(
        {
            node["Relation Name"]
            for node in _plan_nodes(plan[0]["Plan"])
            if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in large
        }
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(client: Client, path: str, large: dict[str, int]) -> tuple[float, float, int, list[str]]:
    """p50 and p99 of the database time of one page (ms), its queries, and the large tables its slowest query
    reads whole."""
    response = client.get(path)  # warm: the first request of a person loads their session and permissions
    if response.status_code != 200:
        sys.exit(f"{path} answered {response.status_code}")
    times: list[float] = []
    # The plan looked at is that of the slowest query other than the count (which reads every row the person may
    # see, whatever the page).
    slowest: tuple[str, Any, float] = ("", None, -1.0)
    queries = 0
    for _ in range(ROUNDS):
        with timed_queries() as seen:
            client.get(path)
        times.append(sum(t for _, _, t in seen) * 1000)
        queries = len(seen)
        top = max((q for q in seen if not q[0].startswith("SELECT COUNT(*)")), key=lambda q: q[2])
        if top[2] > slowest[2]:
            slowest = top
    return statistics.median(times), percentile(times, 0.99), queries, whole_reads(slowest[0], slowest[1], large)


def home_sources(people: dict[str, User]) -> None:
    """The home page's database time by work source and person (p50 ms), to show which source a slow home waits
    on."""
    from failure_regime.work import work_sources

    sources = work_sources()
    print(f"\nThe home page by work source: database time p50 ms (items found), over {ROUNDS} rounds.\n")
    print(f"{'source':<40} " + " ".join(f"{who:>14}" for who in people))
    for name, source in sources.items():
        cells = []
        for user in people.values():
            times: list[float] = []
            found = 0
            for _ in range(ROUNDS):
                fresh = User.objects.get(pk=user.pk)
                with timed_queries() as seen:
                    found = len(source(fresh))
                times.append(sum(t for _, _, t in seen) * 1000)
            cells.append(f"{statistics.median(times):7.1f} ({found:>4})")
        print(f"{name:<40} " + " ".join(f"{cell:>14}" for cell in cells))


def signed_in(user: User) -> Client:
    """A client signed in with both factors, as staff pages require."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.get_or_create(user=user, name="Authenticator app", defaults={"confirmed": True})[0]
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    people = seed()
    print(f"Built the data in {time.perf_counter() - started:.0f} s.")
    large = _large_tables()
    print("Tables of more than 10,000 rows: " + ", ".join(f"{t} ({n:,})" for t, n in sorted(large.items())))
    print(f"\nDatabase time of the first page, over {ROUNDS} requests; goal: p50 at most {GOAL_MS:g} ms.\n")
    print(f"{'list':<32} {'person':<9} {'p50 ms':>7} {'p99 ms':>7} {'queries':>7}  {'goal':<5} plan")
    missed = 0
    # "home" picks the home page alone (every staff path contains "/staff/").
    wanted = [p for p in [*STAFF_LISTS, *API_LISTS] if not ONLY or any(word in p for word in ONLY)]
    paths = ["/staff/"] if ONLY == ["home"] else wanted
    for path in paths:
        for who, user in people.items():
            client = signed_in(user)
            p50, p99, queries, whole = measure(client, path, large)
            met = p50 <= GOAL_MS
            missed += not met
            plan = "index" if not whole else "reads whole: " + ", ".join(whole)
            print(f"{path:<32} {who:<9} {p50:7.1f} {p99:7.1f} {queries:7d}  {'met' if met else 'MISS':<5} {plan}")
    print(f"\n{missed} of {len(paths) * len(people)} lists missed the goal.")
    if "/staff/" in paths:
        home_sources(people)


if __name__ == "__main__":
    main()
