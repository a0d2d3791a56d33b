"""Finding a provider of the register from what a member of the public wrote: the public form's search, and the
tolerant match that routes an enquiry whose sender named the provider in their own words.

Names are compared by their *key words*: lower case, without punctuation, without anything in brackets, and
without the generic words of the register ("NHS", "Foundation Trust", "University Hospitals", "surgery"), so that
"Basildon Hospital" and "Basildon and Thurrock University Hospitals NHS Foundation Trust" share "basildon". The
public's other names for a provider (its hospitals, the towns it serves) are ``ProviderAlias`` rows. Spelling
mistakes are not guessed at: a name the matcher is unsure of goes to people, who can ask the sender.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q

from accounts.models import Organisation
from communications.models import Notice, ProviderAlias
from failure_regime.models import Case, CaseStatus

# Words that say what kind of organisation it is, not which: they never tell two providers apart.
GENERIC_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "at",
        "care",
        "centre",
        "clinic",
        "foundation",
        "ft",
        "general",
        "group",
        "health",
        "healthcare",
        "home",
        "hospital",
        "hospitals",
        "in",
        "infirmary",
        "medical",
        "nhs",
        "nursing",
        "of",
        "practice",
        "residential",
        "service",
        "services",
        "st",
        "surgery",
        "teaching",
        "the",
        "trust",
        "university",
    }
)
ODS_CODE = re.compile(r"^[A-Z0-9]{3,6}$")
# How much of what the sender typed is read: more is not a name.
MAX_TEXT = 200
# How many providers sharing a word are read to decide a match; more than this and the word says too little.
MAX_CANDIDATES = 200
SEARCH_LIMIT = 10


def _clean(text: str) -> str:
    """The text without control characters (a NUL byte included), accents folded, at most ``MAX_TEXT`` long."""
    text = unicodedata.normalize("NFKD", str(text)[:MAX_TEXT])
    return "".join(c for c in text if not unicodedata.combining(c) and unicodedata.category(c)[0] != "C")


def name_words(text: str) -> frozenset[str]:
    """The key words of a name (see the module's docstring)."""
    text = re.sub(r"\([^)]*\)", " ", _clean(text).lower())
    text = text.replace("&", " and ").replace("'", "").replace("\u2019", "")
    return frozenset(word for word in re.split(r"[^a-z0-9]+", text) if word and word not in GENERIC_WORDS)


def name_key(text: str) -> str:
    """The key words of a name as one string, in a fixed order: what ``ProviderAlias.key`` stores."""
    return " ".join(sorted(name_words(text)))


def ods_code_or_none(text: str) -> str | None:
    """``text`` as an ODS code, if it could be one."""
    code = _clean(text).strip().upper()
    return code if ODS_CODE.match(code) else None


@dataclass(frozen=True)
class _Candidate:
    organisation: Organisation
    names: tuple[frozenset[str], ...]  # the registered name's key words, then each alias's


def _candidates(words: frozenset[str]) -> list[_Candidate]:
    """Providers with a name or alias that shares a key word with ``words``, each with every name it goes by
    (two queries, whatever the number of providers)."""
    containing = reduce(or_, (Q(name__icontains=word) for word in words))
    aliased = reduce(or_, (Q(key__contains=word) for word in words))
    alias_ids = ProviderAlias.objects.filter(aliased).values("organisation_id")
    providers = list(
        Organisation.objects.providers()
        .filter(containing | Q(pk__in=alias_ids))
        .order_by("name", "pk")[:MAX_CANDIDATES]
    )
    aliases: dict[int, list[ProviderAlias]] = {}
    for alias in ProviderAlias.objects.filter(organisation__in=[p.pk for p in providers]):
        aliases.setdefault(alias.organisation_id, []).append(alias)
    return [
        _Candidate(
            organisation=provider,
            names=(name_words(provider.name), *(frozenset(a.key.split()) for a in aliases.get(provider.pk, []))),
        )
        for provider in providers
    ]


def _closeness(words: frozenset[str], candidate: _Candidate) -> int:
    """2 when the words are exactly one of the provider's names; 1 when they are part of its registered name, or
    contain one of its names whole (a name and the town, say); 0 otherwise."""
    names = [name for name in candidate.names if name]
    if any(words == name for name in names):
        return 2
    if words <= candidate.names[0] or any(name <= words for name in names):
        return 1
    return 0


def provider_match(*, text: str) -> Organisation | None:
    """The provider the sender meant by ``text`` (a name, a short name, a hospital, a town or an ODS code), only
    when one provider clearly fits: an exact fit beats a partial one, and two equally good fits are no match."""
    code = ods_code_or_none(text)
    if code is not None:
        provider = Organisation.objects.providers().filter(ods_code=code).first()
        if provider is not None:
            return provider
    words = name_words(text)
    if not words:
        return None
    by_closeness: dict[int, list[Organisation]] = {2: [], 1: []}
    for candidate in _candidates(words):
        closeness = _closeness(words, candidate)
        if closeness:
            by_closeness[closeness].append(candidate.organisation)
    for closeness in (2, 1):
        found = by_closeness[closeness]
        if found:
            return found[0] if len(found) == 1 else None
    return None


def provider_search(*, text: str, limit: int = SEARCH_LIMIT) -> list[Organisation]:
    """Providers for the public form's search: the ODS code's provider, then those whose names (registered or
    alias) have a word beginning with each key word typed, closest first, then by name. At most ``limit``."""
    code = ods_code_or_none(text)
    found: list[Organisation] = []
    if code is not None:
        found += list(Organisation.objects.providers().filter(ods_code=code).only("pk", "name", "ods_code"))
    words = name_words(text)
    if words:
        scored = []
        for candidate in _candidates(words):
            known = [word for name in candidate.names for word in name]
            # Each word typed begins a word of one of its names: "basil" finds Basildon while the sender types.
            if all(any(word.startswith(typed) for word in known) for typed in words):
                scored.append((-_closeness(words, candidate), candidate.organisation.name, candidate.organisation))
        found += [organisation for *_, organisation in sorted(scored, key=lambda row: row[:2])]
    unique = {organisation.pk: organisation for organisation in found}
    return list(unique.values())[:limit]


def provider_by_ods_code(*, code: str) -> Organisation | None:
    """The provider with this ODS code, or None for anything else (an unknown code, or text that cannot be one)."""
    valid = ods_code_or_none(code)
    return Organisation.objects.providers().filter(ods_code=valid).first() if valid else None


CASE_REFERENCE = re.compile(r"^SFR-[0-9]{5,10}$")


def public_case_by_reference(*, reference: str) -> Case | None:
    """The open case with this reference, only if the public already knows of it (it has a notice on the public
    record), so that a link cannot be used to find out whether an unannounced case exists. None otherwise."""
    reference = _clean(reference).strip().upper()
    if not CASE_REFERENCE.match(reference):
        return None
    return (
        Case.objects.filter(reference=reference, notices__in=Notice.objects.public())
        .exclude(status=CaseStatus.CLOSED)
        .select_related("provider")
        .first()
    )
