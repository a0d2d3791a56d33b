"""What the public pages of communications link to in reviews: a case's or a provider's published findings, and
whether a case's review is looking for experts. Read through the public selectors of reviews
(``published_summaries`` and ``open_campaigns``), so that what counts as published or open is their rule alone.
Titles and dates only: a summary names no patient and no reviewer, and a campaign no person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import CharField, Count, Max, Value

from accounts.models import Organisation
from reviews.selectors.judgement import published_summaries
from reviews.selectors.recruitment import open_campaigns


@dataclass(frozen=True)
class PublishedFindings:
    """One published summary of a review's findings, as a link."""

    pk: int
    title: str
    published_at: datetime | None = None


@dataclass(frozen=True)
class CaseReviewLinks:
    """A case's published findings, newest first, and whether its review takes applications from experts now."""

    findings: tuple[PublishedFindings, ...]
    recruiting: bool


def case_review_links(*, case_id: int) -> CaseReviewLinks:
    """The findings published for the case and whether it is recruiting experts, in one query."""
    findings = (
        published_summaries()
        .filter(cohort__case_id=case_id)
        .order_by()
        .annotate(what=Value("findings", output_field=CharField()))
        .values_list("pk", "title", "what")
    )
    campaigns = (
        open_campaigns()
        .prefetch_related(None)
        .filter(case_id=case_id)
        .order_by()
        .annotate(what=Value("campaign", output_field=CharField()))
        .values_list("pk", "title", "what")
    )
    rows = list(findings.union(campaigns, all=True))
    return CaseReviewLinks(
        findings=tuple(
            PublishedFindings(pk, title) for pk, title, what in sorted(rows, reverse=True) if what == "findings"
        ),
        recruiting=any(what == "campaign" for _, _, what in rows),
    )


def provider_findings(*, provider: Organisation) -> list[PublishedFindings]:
    """Every summary of findings published about the provider's cases, newest first."""
    rows = published_summaries().filter(cohort__case__provider=provider).values_list("pk", "title", "published_at")
    return [PublishedFindings(pk, title, published_at) for pk, title, published_at in rows]


def findings_version() -> str:
    """Changes whenever any summary is published or removed."""
    state = published_summaries().order_by().aggregate(n=Count("pk"), latest=Max("published_at"), top=Max("pk"))
    return "-".join(str(value) for value in state.values()).replace(" ", "T")
