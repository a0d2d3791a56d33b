"""The public list of providers: every provider the public can read something about. That is a provider with a
published notice, one in special measures now or in the past, or one whose review has published its findings.

Each provider is told in one line of plain words ("In special measures since 1 March 2026. Response under way: 3
notices.") and put in one of three groups: in special measures now, a response under way (a case still open with
public notices or findings), or in the past. Providers are named as organisations; no person is read.

The list costs two queries whatever its length: the providers with their counts of public notices and published
findings, then their episodes of special measures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind, Region
from communications.models import Notice
from communications.selectors.review_links import findings_version
from failure_regime.dates import long_date
from failure_regime.episode_words import ending
from failure_regime.links import provider_page_paths
from failure_regime.models import Case, CaseStatus, Episode, EpisodeStatus
from reviews.selectors.judgement import published_summaries

NOW, RESPONSE, PAST = "now", "response", "past"
GROUPS = (
    (NOW, "In special measures now"),
    (RESPONSE, "Responses under way"),
    (PAST, "In the past"),
)


@dataclass(frozen=True)
class ProviderListing:
    """One provider as the list shows it."""

    ods_code: str
    name: str
    kind: str
    region: str
    group: str
    situation: str
    path: str

    @property
    def kind_label(self) -> str:
        return _KIND_LABELS.get(self.kind, "")

    @property
    def region_label(self) -> str:
        return _REGION_LABELS.get(self.region, "")


# Read once: an enum's label looked up row by row was a fifth of the time of the whole list.
_KIND_LABELS = {value: str(label) for value, label in OrganisationKind.choices}
_REGION_LABELS = {value: str(label) for value, label in Region.choices}


def _count(rows: QuerySet[Any], by: str) -> Coalesce:
    return Coalesce(
        Subquery(rows.order_by().values(by).annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()), 0
    )


def _providers(*, region: str) -> QuerySet[Any]:
    """The providers with anything public, each with how many public notices and published findings it has, in
    all and on cases still open."""
    public = Notice.objects.public()
    summaries = published_summaries()
    mine = OuterRef("pk")
    still_open = ~Q(case__status=CaseStatus.CLOSED)
    findings_open = ~Q(cohort__case__status=CaseStatus.CLOSED)
    providers = Organisation.objects.providers().filter(
        Q(pk__in=public.order_by().values("provider_id"))
        | Q(pk__in=Episode.objects.order_by().values("provider_id"))
        | Q(pk__in=summaries.order_by().values("cohort__case__provider_id"))
    )
    if region:
        providers = providers.filter(region=region)
    return providers.annotate(
        public_notices=_count(public.filter(provider=mine), "provider"),
        open_notices=_count(public.filter(still_open, provider=mine), "provider"),
        findings=_count(summaries.filter(cohort__case__provider=mine), "cohort__case__provider"),
        open_findings=_count(summaries.filter(findings_open, cohort__case__provider=mine), "cohort__case__provider"),
    ).values("pk", "ods_code", "name", "kind", "region", "public_notices", "open_notices", "findings", "open_findings")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _listing(row: dict[str, Any], episodes: list[dict[str, Any]], path: str) -> ProviderListing:
    said: list[str] = []
    current = next((e for e in episodes if e["status"] == EpisodeStatus.OPEN), None)
    if current is not None:
        said.append(f"In special measures since {long_date(current['entered_on'])}")
    if row["public_notices"]:
        state = "Response under way" if row["open_notices"] else "Response finished"
        said.append(f"{state}: {_plural(row['public_notices'], 'notice')}")
    if current is None and episodes:
        latest = episodes[0]
        said.append(ending(status=latest["status"], ended_on=latest["exited_on"]) or "Was in special measures")
    if row["findings"]:
        said.append("Review findings published")
    if current is not None:
        group = NOW
    elif row["open_notices"] or row["open_findings"]:
        group = RESPONSE
    else:
        group = PAST
    return ProviderListing(
        ods_code=row["ods_code"],
        name=row["name"],
        kind=row["kind"],
        region=row["region"],
        group=group,
        situation=". ".join(said) + ".",
        path=path,
    )


def public_provider_listings(*, region: str = "") -> list[ProviderListing]:
    """Every provider with something public, in ``region`` if given, alphabetically by name. Two queries."""
    rows = list(_providers(region=region))
    episodes: dict[int, list[dict[str, Any]]] = {}
    if rows:
        found = Episode.objects.order_by("provider_id", "-entered_on", "-pk")
        if region:
            found = found.filter(provider__region=region)
        for episode in found.values("provider_id", "status", "entered_on", "exited_on"):
            episodes.setdefault(episode["provider_id"], []).append(dict(episode))
    page = provider_page_paths()
    listings = [_listing(row, episodes.get(row["pk"], []), page(row["ods_code"])) for row in rows]
    return sorted(listings, key=lambda listing: (listing.name.casefold(), listing.ods_code))


def grouped(listings: Iterable[ProviderListing]) -> list[tuple[str, str, list[ProviderListing]]]:
    """The listings in their groups, in the groups' order: (key, heading, listings); empty groups are left out."""
    by_group: dict[str, list[ProviderListing]] = {}
    for listing in listings:
        by_group.setdefault(listing.group, []).append(listing)
    return [(key, heading, by_group[key]) for key, heading in GROUPS if key in by_group]


def provider_list_version(*, today: date | None = None) -> str:
    """What public pages show beyond notices and the register: the published findings, which cases are closed, and
    the day; part of the public site version (``communications.public_cache``). Two queries."""
    closed = Case.objects.filter(status=CaseStatus.CLOSED).order_by().aggregate(n=Count("pk"), top=Max("pk"))
    return f"{today or timezone.localdate()}|{findings_version()}|{closed['n']}|{closed['top']}"
