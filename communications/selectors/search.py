"""The public site's search: what people type, found among the published notices, the providers, the published
findings of reviews and the support directory. The one rule for matching notice text lives here too, so the notice
list's own search (``PublicNoticeFilter``, shared with the public API) and this page agree.

The rule: the words typed, in any order, must all be found. On PostgreSQL that is full-text search (English
stemming, so "hospital" finds "Hospitals") ranked by ``SearchRank``; elsewhere (SQLite, the embedded default) each
word must appear, in any case, in one of the fields, and results are ranked by how many fields and words match, the
title counting most. Providers are found by the provider search of the contact form
(``communications.selectors.providers.provider_search``: names, aliases and ODS codes), so the two never disagree.

Spelling: a typed word that begins no word of any provider's names is compared with those words (``difflib``), and
a close one ("Basildn" → "basildon") is searched for as well as what was typed. The words of the providers' names are
kept in the shared cache, so a search reads them at most once per ``PUBLIC_CACHE_SECONDS``.

Each group costs one query however many rows match (the providers up to three, twice when a word was respelt), and
shows at most ``PER_GROUP``. At most ``MAX_WORDS`` words of the first ``MAX_TEXT`` characters are searched for.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import add, and_, or_
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.cache import cache
from django.db import connection, models
from django.db.models import Count, F, Q, QuerySet, Value, When, Window
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import Truncator

from accounts.models import Organisation
from communications.models import PUBLIC_NOTICE_KINDS, NoticeStatus, ProviderAlias, SupportKind, SupportService
from communications.public_cache import cache_seconds
from communications.selectors.notices import public_notices
from communications.selectors.providers import GENERIC_WORDS, MAX_CANDIDATES, name_words, provider_search
from failure_regime.dates import long_date
from reviews.selectors.judgement import published_summaries

# What is read of what was typed: more is not a search.
MAX_TEXT = 200
MAX_WORDS = 10
# How many results each group shows; the heading says how many there are in all.
PER_GROUP = 10
# Words shorter than this, or with digits in them (an ODS code, a year), are never respelt.
MIN_RESPELT = 4
# How alike a typed word and a provider's word must be for the one to be taken for a misspelling of the other.
CLOSENESS = 0.8
VOCABULARY_KEY = "public-site:search:provider-words"
CONFIG = "english"

_WORD = re.compile(r"[^\W_]+")


def search_words(text: str) -> tuple[str, ...]:
    """The words of ``text``, lower case and each once, in the order typed: letters and digits only, so
    punctuation, quotes and control characters are never part of a search. At most ``MAX_WORDS``."""
    words = dict.fromkeys(_WORD.findall(str(text)[:MAX_TEXT].lower()))
    return tuple(words)[:MAX_WORDS]


@dataclass(frozen=True)
class SearchTerms:
    """What to look for: the words typed and, if some were probably misspelt names, the words respelt."""

    words: tuple[str, ...]
    respelt: tuple[str, ...] = ()

    @property
    def alternatives(self) -> tuple[tuple[str, ...], ...]:
        return (self.words, self.respelt) if self.respelt else (self.words,)


# --- Spelling ------------------------------------------------------------------------------------------------


def _provider_vocabulary() -> tuple[str, ...]:
    """Every key word of every provider's registered name and aliases, and the generic words of names, sorted.
    One query, then the shared cache for ``PUBLIC_CACHE_SECONDS``."""
    found = cache.get(VOCABULARY_KEY)
    if isinstance(found, tuple):
        return found
    names = Organisation.objects.providers().order_by().values_list("name", flat=True)
    keys = ProviderAlias.objects.order_by().values_list("key", flat=True)
    words = set(GENERIC_WORDS)
    for text in names.union(keys, all=True):
        words |= name_words(text)
    vocabulary = tuple(sorted(words))
    cache.set(VOCABULARY_KEY, vocabulary, cache_seconds())
    return vocabulary


def _begins_a_word(word: str, vocabulary: tuple[str, ...]) -> bool:
    at = bisect_left(vocabulary, word)
    return at < len(vocabulary) and vocabulary[at].startswith(word)


def _respellable(word: str) -> bool:
    return len(word) >= MIN_RESPELT and word.isalpha()


def respelt_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """``words`` with each probable misspelling of a word of the providers' names put right, or () if none is.
    A word that begins a word of some provider's name is taken as typed ("basil" is Basildon being typed)."""
    if not any(_respellable(word) for word in words):
        return ()
    vocabulary = _provider_vocabulary()
    respelt = []
    for word in words:
        if _respellable(word) and not _begins_a_word(word, vocabulary):
            close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=CLOSENESS)
            respelt.append(close[0] if close else word)
        else:
            respelt.append(word)
    return tuple(respelt) if tuple(respelt) != words else ()


# --- Matching and ranking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A field searched: its path from the model searched, how much a match in it counts (PostgreSQL's weights,
    A most), and, if it is searched only for some rows, which."""

    path: str
    weight: str
    only_if: Q | None = None


_SQLITE_WEIGHTS = {"A": 4, "B": 2, "C": 1, "D": 1}
_STILL_PUBLIC = ~Q(status=NoticeStatus.WITHDRAWN)

# A notice's current published text, and the provider it is about. Of a notice withdrawn after it went public (the
# public API lists them) only the title is searched: what it said is no longer public.
NOTICE_FIELDS = (
    Field("published_version__title", "A"),
    Field("provider__name", "B"),
    Field("published_version__summary", "B", only_if=_STILL_PUBLIC),
    Field("published_version__body_markdown", "C", only_if=_STILL_PUBLIC),
)
FINDINGS_FIELDS = (
    Field("title", "A"),
    Field("cohort__case__provider__name", "B"),
    Field("body", "C"),
)
SUPPORT_FIELDS = (
    Field("name", "A"),
    Field("kind", "B"),
    Field("run_by", "B"),
    Field("provider__name", "B"),
    Field("description", "C"),
)


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _document(fields: tuple[Field, ...]) -> Any:
    def vector(field: Field) -> SearchVector:
        value: Any = F(field.path)
        if field.only_if is not None:
            value = models.Case(When(field.only_if, then=value), default=Value(""), output_field=models.TextField())
        return SearchVector(value, weight=field.weight, config=CONFIG)

    return reduce(add, (vector(field) for field in fields))


def _query(terms: SearchTerms) -> SearchQuery:
    queries = [SearchQuery(" ".join(words), search_type="websearch", config=CONFIG) for words in terms.alternatives]
    return reduce(or_, queries)


def _found_in(field: Field, word: str) -> Q:
    found = Q(**{f"{field.path}__icontains": word})
    return found & field.only_if if field.only_if is not None else found


def _every_word(fields: tuple[Field, ...], words: tuple[str, ...]) -> Q:
    return reduce(and_, (reduce(or_, (_found_in(field, word) for field in fields)) for word in words))


def matching(rows: QuerySet[Any], *, fields: tuple[Field, ...], terms: SearchTerms) -> QuerySet[Any]:
    """The rows in which every word of ``terms`` is found (or every respelt word), in any order, in ``fields``.
    No words, no rows."""
    if not terms.words:
        return rows.none()
    if _postgresql():
        searched: QuerySet[Any] = rows.annotate(search_document=_document(fields))
        return searched.filter(search_document=_query(terms))
    return rows.filter(reduce(or_, (_every_word(fields, words) for words in terms.alternatives)))


def ranked(rows: QuerySet[Any], *, fields: tuple[Field, ...], terms: SearchTerms) -> QuerySet[Any]:
    """``matching``, best match first: by ``SearchRank`` on PostgreSQL; elsewhere by how many of the words are
    found in how many fields, weighted as the fields are. Ties keep ``rows``' own order after it."""
    found = matching(rows, fields=fields, terms=terms)
    if not terms.words:
        return found
    order = list(rows.query.order_by)
    if _postgresql():
        score: Any = SearchRank(F("search_document"), _query(terms))
    else:
        words = dict.fromkeys(word for words in terms.alternatives for word in words)
        score = reduce(
            add,
            (
                models.Case(
                    When(_found_in(field, word), then=Value(_SQLITE_WEIGHTS[field.weight])),
                    default=Value(0),
                    output_field=models.IntegerField(),
                )
                for word in words
                for field in fields
            ),
        )
    scored: QuerySet[Any] = found.annotate(search_rank=score)
    return scored.order_by("-search_rank", *order)


def notices_matching(notices: QuerySet[Any], *, text: str) -> QuerySet[Any]:
    """The notices whose published text (title, summary and body) or provider's name holds every word of
    ``text``, in any order: the notice list's search and the public API's ``q``."""
    return matching(notices, fields=NOTICE_FIELDS, terms=SearchTerms(words=search_words(text)))


# --- The search page -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One result as the page lists it: a title linking to its public page, a line of facts and a summary."""

    title: str
    url: str
    about: str = ""
    summary: str = ""


@dataclass(frozen=True)
class ResultGroup:
    """The results of one kind: how many there are, the first ``PER_GROUP`` of them, and where to see more."""

    key: str
    heading: str
    total: int
    hits: tuple[Hit, ...]
    more_url: str = ""
    more_label: str = ""

    @property
    def more(self) -> bool:
        return self.total > len(self.hits)


@dataclass(frozen=True)
class SiteSearch:
    """What the search page shows for what was typed."""

    words: tuple[str, ...]
    respelt: tuple[str, ...]
    groups: tuple[ResultGroup, ...]

    @property
    def total(self) -> int:
        return sum(group.total for group in self.groups)

    @property
    def found(self) -> tuple[ResultGroup, ...]:
        return tuple(group for group in self.groups if group.total)

    @property
    def respelt_text(self) -> str:
        return " ".join(self.respelt)


def _first(rows: QuerySet[Any]) -> tuple[list[dict[str, Any]], int]:
    """The first ``PER_GROUP`` rows and how many there are in all, in one query."""
    listed = list(rows.annotate(search_total=Window(Count("pk")))[:PER_GROUP])
    return listed, (listed[0]["search_total"] if listed else 0)


def _short(text: str) -> str:
    return Truncator(" ".join(text.split())).words(30)


def _notices(terms: SearchTerms, text: str) -> ResultGroup:
    rows = ranked(public_notices(), fields=NOTICE_FIELDS, terms=terms).values(
        "pk",
        "kind",
        "publish_at",
        title=F("published_version__title"),
        summary=F("published_version__summary"),
        provider_name=F("provider__name"),
    )
    listed, total = _first(rows)
    prefix = reverse("communications:notice-list")
    hits = tuple(
        Hit(
            title=row["title"],
            url=f"{prefix}{row['pk']}/",
            about=" · ".join(
                (PUBLIC_NOTICE_KINDS.get(row["kind"], ""), row["provider_name"], f"Published {_day(row['publish_at'])}")
            ),
            summary=row["summary"],
        )
        for row in listed
    )
    return ResultGroup(
        "notices",
        "Notices and guidance",
        total,
        hits,
        more_url=f"{prefix}?{urlencode({'q': text})}",
        more_label="See all the notices that match",
    )


def _day(moment: datetime) -> str:
    return long_date(timezone.localtime(moment).date())


def _providers(terms: SearchTerms, text: str) -> ResultGroup:
    found = {p.pk: p for p in provider_search(text=text, limit=MAX_CANDIDATES)}
    if terms.respelt:
        for provider in provider_search(text=" ".join(terms.respelt), limit=MAX_CANDIDATES):
            found.setdefault(provider.pk, provider)
    providers = list(found.values())
    hits = tuple(
        Hit(title=p.name, url=reverse("provider-public", args=[p.ods_code]), about=f"Code: {p.ods_code}")
        for p in providers[:PER_GROUP]
    )
    return ResultGroup("providers", "Hospitals, GP practices and care homes", len(providers), hits)


def _findings(terms: SearchTerms) -> ResultGroup:
    rows = ranked(published_summaries(), fields=FINDINGS_FIELDS, terms=terms).values(
        "pk", "title", "body", "published_at", provider_name=F("cohort__case__provider__name")
    )
    listed, total = _first(rows)
    hits = tuple(
        Hit(
            title=row["title"],
            url=reverse("reviews:summary-detail", args=[row["pk"]]),
            about=f"{row['provider_name']} · Published {_day(row['published_at'])}",
            summary=_short(row["body"]),
        )
        for row in listed
    )
    return ResultGroup(
        "findings",
        "What reviews of care found",
        total,
        hits,
        more_url=reverse("reviews:summary-list"),
        more_label="See all the published findings",
    )


def _support(terms: SearchTerms) -> ResultGroup:
    services = SupportService.objects.active().order_by("name", "pk")
    rows = ranked(services, fields=SUPPORT_FIELDS, terms=terms).values("pk", "name", "kind", "run_by", "description")
    listed, total = _first(rows)
    directory = reverse("communications:support")
    kinds = dict(SupportKind.choices)
    hits = tuple(
        Hit(
            title=row["name"],
            url=f"{directory}#support-{row['pk']}",
            about=" · ".join(
                [str(kinds.get(row["kind"], "")), *([f"Run by {row['run_by']}"] if row["run_by"] else [])]
            ),
            summary=_short(row["description"]),
        )
        for row in listed
    )
    return ResultGroup(
        "support",
        "Support services",
        total,
        hits,
        more_url=directory,
        more_label="See the whole support directory",
    )


def site_search(*, text: str) -> SiteSearch:
    """Everything public that matches ``text``: providers, published notices (guidance included), published
    findings and the support services still offered, each group ranked best first. A fixed number of queries
    whatever the number of rows: one per group, up to six for the providers, and one more when the words of the
    providers' names are not in the cache."""
    words = search_words(text)
    terms = SearchTerms(words=words, respelt=respelt_words(words))
    groups = (_providers(terms, text), _notices(terms, text), _findings(terms), _support(terms))
    return SiteSearch(words=words, respelt=terms.respelt, groups=groups)
