"""Where each thing of the regime is acted on: the staff page of a deadline's subject."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from failure_regime.models import Deadline

# The page of each kind of subject a deadline can have, by model name.
_SUBJECT_PAGES = {
    "case": "regime:case-detail",
    "enforcementaction": "regime:enforcement-detail",
    "episode": "regime:episode-detail",
    "monthlyreport": "regime:report-detail",
    "recommendation": "regime:recommendation-detail",
}


def deadline_subject_url(deadline: Deadline) -> str:
    """The page of the deadline's subject (its case, enforcement action, episode, monthly report or
    recommendation); its case's page for any other subject. Content types are read through Django's
    per-process cache, so this costs no query per deadline."""
    page = _SUBJECT_PAGES.get(ContentType.objects.get_for_id(deadline.subject_type_id).model)
    if page is not None:
        return reverse(page, args=[deadline.subject_id])
    if deadline.case_id is not None:
        return reverse("regime:case-detail", args=[deadline.case_id])
    return reverse("regime:deadline-list")
