"""Where each thing of the regime is acted on: the staff page of a deadline's subject."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from failure_regime.models import Deadline

# The page of each kind of subject a deadline can have, by model name.
_SUBJECT_PAGES = {
    "case": "regime:case-detail",
    "concern": "regime:concern-detail",
    "enforcementaction": "regime:enforcement-detail",
    "episode": "regime:episode-detail",
    "monthlyreport": "regime:report-detail",
    "recommendation": "regime:recommendation-detail",
}
# Subjects acted on from a page of their case, by model name: a communications plan's item, on the case's plan.
_CASE_PAGES = {
    "planitem": "communications:plan",
}


class DeadlinePaths:
    """The page of each deadline's subject, for many deadlines at once: each kind of page is reversed once, and
    every deadline's path is that page's path with its own id. For the sweep, which links thousands of reminders."""

    # An id no record has, reversed in place of the real one and replaced by it.
    _STAND_IN = "918273645546372819"

    def __init__(self) -> None:
        self._templates: dict[str, tuple[str, str]] = {}
        self._pages: dict[int, tuple[str | None, bool]] = {}

    def _template(self, page: str) -> tuple[str, str]:
        if page not in self._templates:
            before, _, after = reverse(page, args=[int(self._STAND_IN)]).partition(self._STAND_IN)
            self._templates[page] = (before, after)
        return self._templates[page]

    def path(self, *, subject_type_id: int, subject_id: int, case_id: int | None) -> str:
        if subject_type_id not in self._pages:
            model = ContentType.objects.get_for_id(subject_type_id).model
            self._pages[subject_type_id] = (
                (_CASE_PAGES[model], True) if model in _CASE_PAGES else (_SUBJECT_PAGES.get(model), False)
            )
        page, by_case = self._pages[subject_type_id]
        if page is not None and not by_case:
            before, after = self._template(page)
            return f"{before}{int(subject_id)}{after}"
        if case_id is not None:
            before, after = self._template(page or "regime:case-detail")
            return f"{before}{int(case_id)}{after}"
        return reverse("regime:deadline-list")


def provider_page_paths() -> Callable[[str], str]:
    """The public page of each provider by its ODS code, for lists of hundreds: the page is reversed once and each
    provider's path is it with the provider's code (``A-Z`` and digits only, so nothing to escape)."""
    stand_in = "Z9Z9Z9"
    before, _, after = reverse("provider-public", args=[stand_in]).partition(stand_in)
    return lambda ods_code: f"{before}{ods_code}{after}"


def deadline_subject_url(deadline: Deadline) -> str:
    """The page of the deadline's subject (its case, enforcement action, episode, monthly report or
    recommendation; a communications item's plan); its case's page for any other subject. Content types are read
    through Django's per-process cache, so this costs no query per deadline."""
    return DeadlinePaths().path(
        subject_type_id=deadline.subject_type_id, subject_id=deadline.subject_id, case_id=deadline.case_id
    )
