"""Every public page reads at grade 6 or below (Flesch–Kincaid), with the demo data in it.

The public who read these pages are often upset, and many read English as a second language or with a learning
disability; grade 6 is about a reading age of 11, the level the NHS writes for. The measure is taken on the words a
person reads as the page's own text:

- only the ``<main>`` element: the header, menu and footer are the same on every page and are not prose;
- no ``<script>``, ``<style>``, ``<svg>``, ``<template>`` or hidden (``hidden``, ``aria-hidden="true"``) content;
- no tables (``<table>``): their cells are dates, numbers, codes, names and short entries in a grid, which the
  formula would read as one endless sentence;
- no form controls' values (``<select>``, ``<option>``, ``<textarea>``), which list choices or hold what a person
  types; labels, hints and buttons are measured;
- no web or e-mail addresses: a person follows or copies them, and the formula would count one as a word of many
  syllables;
- each block (a paragraph, heading, list item, label, button, or a link or caption shown on a line of its own) ends
  a sentence, and so does a middle dot between the items of a line of facts ("Guidance · Medway NHS Foundation
  Trust · Published 4 May 2026"): a heading or an item is read as one thought even without a full stop, and
  counting it as part of the next sentence would make a page look harder than it is.

Grade 6 is checked with ``textstat.flesch_kincaid_grade``; a page that fails names its three hardest sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
import textstat
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone

from accounts.models import OrganisationKind
from communications.models import PUBLIC_NOTICE_KINDS, Notice, NoticeKind
from communications.selectors.notices import PUBLIC_AREA_LABELS
from communications.views.enquiries import sent_token
from failure_regime.demo import seed_demo
from failure_regime.models import Area
from failure_regime.services.special_measures import rule_set_for
from failure_regime.views.public import permission_denied, server_error
from reviews.models import Application
from reviews.selectors.judgement import published_summaries
from reviews.selectors.recruitment import open_campaigns

pytestmark = pytest.mark.django_db

GOAL = 6.0

# Elements whose content is not prose a person reads on the page.
SKIPPED = frozenset({"script", "style", "svg", "template", "table", "select", "textarea", "noscript"})
# Elements that end a line of text: each is read as a sentence of its own.
BLOCKS = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "div", "section", "article", "aside", "label",
        "legend", "caption", "figcaption", "blockquote", "br", "button", "summary", "details", "ul", "ol", "dl",
        "fieldset", "form", "header", "footer", "nav",
    }
)  # fmt: skip
# Web and e-mail addresses: "https://example.org/a", "111.nhs.uk", "help@example.org".
ADDRESS = re.compile(r"https?://\S+|\S+@\S+\.[a-z]+|\b(?:[a-z0-9-]+\.)+(?:uk|org|com|net)\b(?:/\S*)?")
# Links and spans that the design system shows on a line of their own: a back link, a button, a caption.
BLOCK_CLASSES = frozenset({"nhsuk-back-link", "nhsuk-button", "nhsuk-breadcrumb__link", "nhsuk-card__link"})
VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area", "base", "embed"})


class MainText(HTMLParser):
    """The visible text of a page's ``<main>``, one block per line (see the module's docstring)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_main = 0
        self.skipping = 0  # depth inside an element left out
        self.open: list[bool] = []  # for each element open inside <main>, whether it is a block
        self.lines: list[str] = [""]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            if tag == "br" and self.in_main and not self.skipping:
                self.lines.append("")
            return
        if self.skipping:
            self.skipping += 1
            return
        attributes = dict(attrs)
        if tag == "main":
            self.in_main += 1
            return
        if not self.in_main:
            return
        hidden = "hidden" in attributes or attributes.get("aria-hidden") == "true"
        classes = (attributes.get("class") or "").split()
        if tag in SKIPPED or hidden or "nhsuk-u-visually-hidden" in classes:
            # Visually hidden words are for screen readers and repeat what the page shows ("Change", "of 3").
            self.skipping = 1
            return
        block = tag in BLOCKS or any(c in BLOCK_CLASSES or c.startswith("nhsuk-caption") for c in classes)
        self.open.append(block)
        if block:
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if self.skipping:
            self.skipping -= 1
            return
        if tag == "main":
            self.in_main -= 1
        elif self.in_main and self.open and self.open.pop():
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if self.in_main and not self.skipping:
            self.lines[-1] += data

    def sentences(self) -> list[str]:
        found: list[str] = []
        for line in self.lines:
            text = " ".join(ADDRESS.sub("", line).split())
            if not text:
                continue
            for sentence in re.split(r"(?<=[.!?])\s+|\s+·\s+", text):
                sentence = sentence.strip()
                if re.search(r"[A-Za-z]", sentence):
                    found.append(sentence if sentence[-1] in ".!?" else sentence + ".")
        return found


def main_sentences(html: str) -> list[str]:
    parser = MainText()
    parser.feed(html)
    return parser.sentences()


def grade(sentences: list[str]) -> float:
    return float(textstat.flesch_kincaid_grade(" ".join(sentences)))


def hardest(sentences: list[str], count: int = 3) -> list[str]:
    """The sentences that pull the grade up most: long ones with long words."""
    return sorted(sentences, key=lambda s: -textstat.flesch_kincaid_grade(s) * len(s.split()))[:count]


# --- The pages --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    url: str | None  # None: a page another part of the service does not offer (yet)
    status: int = 200


# Providers the demo gives something to show: notices, special measures, progress reports, findings.
DEMO_PROVIDERS = ["RPA", "RDD", "RLT"]


def _url(name: str, *args: object) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _resolves(path: str) -> str | None:
    try:
        resolve(path.split("?")[0])
    except Resolver404:
        return None
    return path


def public_pages() -> Iterator[Page]:
    yield Page("home", reverse("public:home"))
    yield Page("notices", reverse("communications:notice-list"))
    for notice in Notice.objects.public().order_by("pk"):
        yield Page(f"notice: {notice.kind}", reverse("communications:notice-detail", args=[notice.pk]))
    for ods_code in DEMO_PROVIDERS:
        yield Page(f"provider {ods_code}", reverse("provider-public", args=[ods_code]))
    yield Page("providers", _resolves("/providers/"))
    yield Page("search", _resolves("/search/") and "/search/?q=Medway")
    yield Page("special measures", reverse("communications:special-measures"))
    yield Page("support", reverse("communications:support"))
    yield Page("contact us", reverse("communications:enquiry-new"))
    for emailed in (True, False):
        token = sent_token(reference="ENQ-2345-6789", emailed=emailed)
        yield Page(f"contact us sent{' (e-mailed)' if emailed else ''}", _url("communications:enquiry-sent", token))
    yield Page("findings", reverse("reviews:summary-list"))
    for summary in published_summaries()[:1]:
        yield Page("a finding", reverse("reviews:summary-detail", args=[summary.pk]))
    yield Page("join a review", reverse("reviews:join"))
    for campaign in open_campaigns()[:1]:
        yield Page("apply", reverse("reviews:apply", args=[campaign.pk]))
    for application in Application.objects.order_by("pk")[:1]:
        yield Page("application sent", reverse("reviews:application-sent", args=[application.reference]))
    yield Page("review not taking applications", reverse("reviews:apply", args=[999999]), status=404)
    yield Page("invitation link does not work", reverse("reviews:invitation-accept", args=["x" * 40]), status=404)
    yield Page("account ready", reverse("reviews:account-ready"))
    yield Page("accessibility", reverse("public:accessibility"))
    yield Page("privacy", _resolves("/privacy/"))
    yield Page("not found", "/no-such-page/", status=404)


# The pages are listed here, before the database exists, so that each is a test of its own; the demo is seeded once.
PAGE_NAMES = [
    "home",
    "notices",
    "notice: failure_notice",
    "notice: guidance",
    "notice: joint_statement",
    *(f"provider {code}" for code in DEMO_PROVIDERS),
    "providers",
    "search",
    "special measures",
    "support",
    "contact us",
    "contact us sent (e-mailed)",
    "contact us sent",
    "findings",
    "a finding",
    "join a review",
    "apply",
    "application sent",
    "review not taking applications",
    "invitation link does not work",
    "account ready",
    "accessibility",
    "privacy",
    "not found",
    "forbidden",
    "server error",
    "too many messages",
    "too many applications",
]


@pytest.fixture(scope="module")
def page_texts(django_db_setup: None, django_db_blocker: Any) -> dict[str, list[str] | None]:
    """Seeds the whole demo once, reads every public page as the public, and rolls everything back."""
    texts: dict[str, list[str] | None] = {}
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo()
        for config in apps.get_app_configs():
            seed_app = getattr(config, "seed_demo", None)
            if callable(seed_app):
                seed_app()
        cache.clear()
        client = Client()
        for page in public_pages():
            if page.url is None:
                texts[page.name] = None
                continue
            response = client.get(page.url)
            assert response.status_code == page.status, f"{page.name} ({page.url}) answered {response.status_code}"
            texts[page.name] = main_sentences(response.content.decode())
        # The pages for a refused request and for a fault, as their handlers give them to someone not signed in.
        request = RequestFactory().get("/a-page/")
        request.user = AnonymousUser()
        texts["forbidden"] = main_sentences(permission_denied(request, PermissionDenied()).content.decode())
        texts["server error"] = main_sentences(server_error(request).content.decode())
        # The pages for too many messages or applications from one connection, as their views show them.
        for name, template in [
            ("too many messages", "communications/public/enquiries/too_many.html"),
            ("too many applications", "reviews/public/recruitment/too_many_requests.html"),
        ]:
            texts[name] = main_sentences(render_to_string(template, request=request))
        transaction.set_rollback(True)
    cache.clear()
    return texts


@pytest.mark.xdist_group("reading_grade")
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_it_reads_at_grade_6_or_below(page_texts: dict[str, list[str] | None], name: str) -> None:
    if name not in page_texts:
        pytest.fail(f"the demo has no page {name!r}: the list of pages and the demo disagree")
    sentences = page_texts[name]
    if sentences is None:
        pytest.skip(f"the service has no {name} page")
    assert sentences, f"{name}: no text found in <main>"
    measured = grade(sentences)
    worst = "\n".join(f"  - {s}" for s in hardest(sentences))
    assert measured <= GOAL, f"{name} reads at grade {measured:.1f}; its hardest sentences:\n{worst}"


def test_the_measure_leaves_out_tables_hidden_text_and_the_page_frame() -> None:
    html = (
        "<header><p>Single failure regime quantification infrastructure.</p></header>"
        "<main><h1>Get help</h1><p>Call us today.</p><p>Website: https://interdisciplinary.example.org</p>"
        '<span class="nhsuk-u-visually-hidden">Organisational accountability documentation</span>'
        "<table><tr><td>1 January 2026</td><td>Medway NHS Foundation Trust</td></tr></table>"
        "<script>var x = 'interdisciplinary';</script></main><footer>Crown copyright</footer>"
    )
    assert main_sentences(html) == ["Get help.", "Call us today.", "Website:."]


def test_a_hard_sentence_fails_the_measure() -> None:
    hard = ["Organisational accountability arrangements necessitate comprehensive multidisciplinary investigation."]
    assert grade(hard) > GOAL


# --- Plain names ------------------------------------------------------------------------------------------------


def test_public_pages_carry_the_plain_name_and_staff_pages_the_official_one(client: Client) -> None:
    request = RequestFactory().get("/a-page/")
    request.user = AnonymousUser()
    staff_page = permission_denied(request, PermissionDenied()).content.decode()
    assert f"– {settings.PUBLIC_SERVICE_NAME}</title>" in client.get(reverse("public:home")).content.decode()
    assert f"– {settings.SERVICE_NAME}</title>" in staff_page


def test_every_kind_of_notice_and_area_of_a_case_has_a_public_name() -> None:
    assert set(PUBLIC_NOTICE_KINDS) == set(NoticeKind) and set(PUBLIC_AREA_LABELS) == set(Area)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (OrganisationKind.NHS_TRUST, "CQC checks an NHS trust again within {months} months."),
        (OrganisationKind.FOUNDATION_TRUST, "CQC checks an NHS trust again within {months} months."),
        (OrganisationKind.GP_PRACTICE, "It checks a GP practice or care home again within {months} months."),
        (OrganisationKind.ADULT_SOCIAL_CARE, "It checks a GP practice or care home again within {months} months."),
    ],
)
def test_the_home_page_gives_the_re_inspection_time_of_the_rules_in_force(
    client: Client, kind: str, words: str
) -> None:
    months = rule_set_for(provider_kind=kind, on=timezone.localdate()).reinspection_months
    assert words.format(months=months) in client.get(reverse("public:home")).content.decode()
