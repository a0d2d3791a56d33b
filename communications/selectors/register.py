"""The public register of special measures: every provider in special measures now or in the past, one row per
episode, with its published ratings and progress, and the feed of entries, exits and published monthly reports.

Everything here is public. Rows are read as values with the fields below and nothing else: never the person who
decided, the improvement director or anyone else by name. A list costs the same few queries whatever its length
(the rows, then every listed provider's current ratings in one query)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Case, Count, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import AuditEvent, Organisation, OrganisationKind, Region
from failure_regime import selectors as regime
from failure_regime.dates import long_date, morning_of
from failure_regime.episode_words import ending, reinspection_overdue
from failure_regime.links import provider_page_paths
from failure_regime.models import (
    Episode,
    EpisodeStatus,
    Extension,
    Inspection,
    MonthlyReport,
    Rating,
    ReportStatus,
)

KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well_led")

# What a row reads from the database: the episode, its provider and the provider's oversight body by name.
_ROW_VALUES = (
    "pk",
    "status",
    "entered_on",
    "exited_on",
    "extended_until",
    "reinspection_due_on",
    "months_published",
    "reinspected_on",
    "provider_id",
    "provider__name",
    "provider__ods_code",
    "provider__kind",
    "provider__region",
    "provider__oversight_body__name",
    "decided_by_organisation__name",
)


def register_episodes() -> QuerySet[Episode]:
    """Every episode of special measures, open ones first, then by entry date, newest first; each with how many
    monthly reports have been published and when it was last re-inspected."""
    published = (
        MonthlyReport.objects.filter(episode=OuterRef("pk"), status=ReportStatus.ACCEPTED)
        .order_by()
        .values("episode")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        regime.with_last_reinspection(Episode.objects.all())
        .annotate(
            open_first=Case(
                When(status=EpisodeStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
            months_published=Coalesce(Subquery(published, output_field=IntegerField()), 0),
        )
        .order_by("open_first", "-entered_on", "-pk")
    )


@dataclass(frozen=True)
class RegisterRow:
    """One episode as the register shows it."""

    provider_ods_code: str
    provider_name: str
    provider_kind: str
    region: str
    oversight_body: str
    entered_on: date
    status: str
    left_on: date | None
    extended_until: date | None
    reinspection_due_on: date
    reinspected_on: date | None
    reinspection_overdue: bool
    months_published: int
    ratings: dict[str, str]
    ratings_published_on: date | None
    cqc_report_url: str
    provider_path: str
    today: date

    @property
    def kind_label(self) -> str:
        return str(OrganisationKind(self.provider_kind).label)

    @property
    def region_label(self) -> str:
        return str(Region(self.region).label)

    @property
    def overall(self) -> str:
        return self.ratings.get("overall", "")

    @property
    def overall_label(self) -> str:
        return str(Rating(self.overall).label) if self.overall else ""

    @property
    def rating_labels(self) -> list[tuple[str, str]]:
        """The five key questions and their ratings in words, when published."""
        names = {"safe": "Safe", "effective": "Effective", "caring": "Caring", "responsive": "Responsive"}
        names["well_led"] = "Well-led"
        return [(names[q], str(Rating(self.ratings[q]).label)) for q in KEY_QUESTIONS if self.ratings.get(q)]

    @property
    def next_due_on(self) -> date:
        return self.extended_until or self.reinspection_due_on

    @property
    def reinspection(self) -> str:
        """When CQC inspects again, in words: a date still to come, or what happened. A date that has passed is
        never shown as a promise."""
        if self.status == EpisodeStatus.OPEN:
            if self.reinspected_on is not None and self.extended_until is None:
                return f"Inspected again on {long_date(self.reinspected_on)}"
            if self.reinspection_overdue:
                return f"Overdue: it was due by {long_date(self.next_due_on)}"
            return f"Due by {long_date(self.next_due_on)}"
        if self.reinspected_on is not None:
            return f"Inspected again on {long_date(self.reinspected_on)}"
        return "None recorded"

    @property
    def outcome(self) -> str:
        """How the episode ended, or that it has not."""
        if self.status != EpisodeStatus.OPEN:
            return ending(status=self.status, ended_on=self.left_on)
        if self.extended_until is not None:
            if self.extended_until >= self.today:
                return f"Still in special measures: extended until {long_date(self.extended_until)}"
            return f"Still in special measures: the extension ended on {long_date(self.extended_until)}"
        return "Still in special measures"

    @property
    def is_open(self) -> bool:
        return self.status == EpisodeStatus.OPEN


def register_rows(episodes: Iterable[dict[str, Any]], *, today: date | None = None) -> list[RegisterRow]:
    """The rows of ``episodes`` (values of ``register_episodes()`` with ``ROW_VALUES``), each with its provider's
    current published ratings: one query for all of them."""
    today = today or timezone.localdate()
    values = list(episodes)
    ratings = regime.provider_current_ratings(providers={row["provider_id"] for row in values})
    rows = []
    provider_page = provider_page_paths()
    for row in values:
        current = ratings.get(row["provider_id"])
        shown = {q: getattr(current, q) for q in (*KEY_QUESTIONS, "overall")} if current else {}
        rows.append(
            RegisterRow(
                provider_ods_code=row["provider__ods_code"],
                provider_name=row["provider__name"],
                provider_kind=row["provider__kind"],
                region=row["provider__region"],
                oversight_body=row["provider__oversight_body__name"] or row["decided_by_organisation__name"] or "",
                entered_on=row["entered_on"],
                status=row["status"],
                left_on=row["exited_on"],
                extended_until=row["extended_until"],
                reinspection_due_on=row["reinspection_due_on"],
                reinspected_on=row["reinspected_on"],
                reinspection_overdue=reinspection_overdue(
                    status=row["status"],
                    reinspection_due_on=row["reinspection_due_on"],
                    extended_until=row["extended_until"],
                    reinspected_on=row["reinspected_on"],
                    today=today,
                ),
                months_published=int(row["months_published"] or 0),
                ratings={k: v for k, v in shown.items() if v},
                ratings_published_on=current.published_on if current else None,
                cqc_report_url=current.report_url if current else "",
                provider_path=provider_page(row["provider__ods_code"]),
                today=today,
            )
        )
    return rows


def row_values(episodes: QuerySet[Episode]) -> QuerySet[Any]:
    """``episodes`` as the values a register row needs, and nothing else."""
    rows: QuerySet[Any] = episodes.values(*_ROW_VALUES)
    return rows


OPEN_DATA_FIELDS = (
    "provider_ods_code",
    "provider_name",
    "provider_kind",
    "region",
    "oversight_body",
    "entered_on",
    "status",
    "outcome",
    "left_on",
    "extended_until",
    "reinspection_due_on",
    "reinspection",
    "reinspected_on",
    "months_of_progress_published",
    "overall_rating",
    *KEY_QUESTIONS,
    "ratings_published_on",
    "cqc_report_url",
    "provider_page_url",
)


def open_data_row(row: RegisterRow, *, site: str) -> dict[str, Any]:
    """A register row as open data: codes for what has a fixed list of values, words for the outcome and the
    re-inspection, ISO dates."""
    return {
        "provider_ods_code": row.provider_ods_code,
        "provider_name": row.provider_name,
        "provider_kind": row.provider_kind,
        "region": row.region,
        "oversight_body": row.oversight_body,
        "entered_on": row.entered_on,
        "status": row.status,
        "outcome": row.outcome,
        "left_on": row.left_on,
        "extended_until": row.extended_until,
        "reinspection_due_on": row.next_due_on,
        "reinspection": row.reinspection,
        "reinspected_on": row.reinspected_on,
        "months_of_progress_published": row.months_published,
        "overall_rating": row.overall,
        **{q: row.ratings.get(q, "") for q in KEY_QUESTIONS},
        "ratings_published_on": row.ratings_published_on,
        "cqc_report_url": row.cqc_report_url,
        "provider_page_url": site + row.provider_path,
    }


# --- The feed: entries, exits and published monthly reports --------------------------------------------------


@dataclass(frozen=True)
class FeedEvent:
    key: str
    title: str
    description: str
    provider_ods_code: str
    at: datetime
    category: str


def register_feed_events(*, size: int) -> list[FeedEvent]:
    """The newest ``size`` events of the register, newest first: providers put into special measures, providers
    leaving it (or whose registration was cancelled), and published monthly reports. Three queries."""
    name, ods = "provider__name", "provider__ods_code"
    events: list[FeedEvent] = []
    for row in Episode.objects.order_by("-entered_on", "-pk").values("pk", "entered_on", name, ods)[:size]:
        events.append(
            FeedEvent(
                key=f"episode-{row['pk']}-entered",
                title=f"{row[name]} was put into special measures",
                description=f"{row[name]} was put into special measures on {long_date(row['entered_on'])}.",
                provider_ods_code=row[ods],
                at=morning_of(row["entered_on"]),
                category="Put into special measures",
            )
        )
    ended = Episode.objects.exclude(status=EpisodeStatus.OPEN).filter(exited_on__isnull=False)
    for row in ended.order_by("-exited_on", "-pk").values("pk", "status", "exited_on", name, ods)[:size]:
        cancelled = row["status"] == EpisodeStatus.REGISTRATION_CANCELLED
        what = "had its registration cancelled" if cancelled else "left special measures"
        events.append(
            FeedEvent(
                key=f"episode-{row['pk']}-ended",
                title=f"{row[name]} {what}",
                description=f"{row[name]} {what} on {long_date(row['exited_on'])}.",
                provider_ods_code=row[ods],
                at=morning_of(row["exited_on"]),
                category="Registration cancelled" if cancelled else "Left special measures",
            )
        )
    reports = MonthlyReport.objects.filter(status=ReportStatus.ACCEPTED, published_at__isnull=False)
    for row in reports.order_by("-published_at", "-pk").values(
        "pk", "month", "published_at", "episode__provider__name", "episode__provider__ods_code"
    )[:size]:
        provider = row["episode__provider__name"]
        month = f"{row['month']:%B %Y}"
        events.append(
            FeedEvent(
                key=f"report-{row['pk']}",
                title=f"{provider}: progress report for {month}",
                description=f"{provider} published its special measures progress report for {month}.",
                provider_ods_code=row["episode__provider__ods_code"],
                at=row["published_at"] or morning_of(row["month"]),
                category="Monthly progress report",
            )
        )
    events.sort(key=lambda event: (event.at, event.key), reverse=True)
    return events[:size]


# --- The register's version ----------------------------------------------------------------------------------

_VERSION_SQL = """
    SELECT (SELECT COUNT(*) FROM {episode}),
           (SELECT MAX(id) FROM {episode}),
           (SELECT COUNT(*) FROM {episode} WHERE status = %(open)s),
           (SELECT COUNT(exited_on) FROM {episode}),
           (SELECT MAX(exited_on) FROM {episode}),
           (SELECT COUNT(extended_until) FROM {episode}),
           (SELECT MAX(extended_until) FROM {episode}),
           (SELECT MAX(reinspection_due_on) FROM {episode}),
           (SELECT COUNT(*) FROM {extension}),
           (SELECT COUNT(*) FROM {report} WHERE status = %(accepted)s),
           (SELECT MAX(published_at) FROM {report} WHERE status = %(accepted)s),
           (SELECT COUNT(*) FROM {inspection}),
           (SELECT MAX(id) FROM {inspection}),
           (SELECT COUNT(published_on) FROM {inspection}),
           (SELECT MAX(published_on) FROM {inspection}),
           (SELECT COUNT(carried_out_on) FROM {inspection}),
           (SELECT COUNT(*) FROM {organisation}),
           (SELECT e.sequence FROM {audit} e
             WHERE e.target_type_id IN (
                   SELECT t.id FROM django_content_type t
                    WHERE (t.app_label = 'failure_regime'
                           AND t.model IN ('episode', 'extension', 'monthlyreport', 'inspection'))
                       OR (t.app_label = 'accounts' AND t.model = 'organisation'))
             ORDER BY e.sequence DESC
             LIMIT 1)
"""


def _version_sql() -> str:
    return _VERSION_SQL.format(
        episode=Episode._meta.db_table,
        extension=Extension._meta.db_table,
        report=MonthlyReport._meta.db_table,
        inspection=Inspection._meta.db_table,
        organisation=Organisation._meta.db_table,
        audit=AuditEvent._meta.db_table,
    )


def register_version(*, today: date | None = None) -> str:
    """A short token that changes whenever anything the register shows may have changed: an episode entered,
    ended, extended or corrected, a report published, an inspection recorded, rated or published, a provider
    renamed or moved (every change through the service is in the audit trail, and the counts and latest dates
    catch the rest), and the day (ratings become public on their publication date, and due dates pass). One
    query, written out because it runs on every request for the register."""
    with connection.cursor() as cursor:
        cursor.execute(_version_sql(), {"open": EpisodeStatus.OPEN.value, "accepted": ReportStatus.ACCEPTED.value})
        state = cursor.fetchone()
    shown = "|".join(str(value) for value in (today or timezone.localdate(), *state))
    return hashlib.sha256(shown.encode()).hexdigest()[:20]
