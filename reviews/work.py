"""Reviews' work sources for the home page (see ``failure_regime.work``): the reviewer's assigned case-note
reviews with their progress, and for the people who run a review, applications to vet and patients waiting to be
assigned. Each reads the reviews selectors, which hold the rules of who sees and does what."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import Role, User
from failure_regime.work import RoleLabels, WorkItem, register_see_all, register_work_source
from reviews.models import JudgementStatus
from reviews.selectors.cohort import patients_waiting_by_cohort
from reviews.selectors.judgement import my_assignments
from reviews.selectors.recruitment import applications_to_vet_by_campaign
from reviews.selectors.requests import review_request_queue

REVIEWS = "Case-note reviews assigned to you"
VETTING = "Applications to vet"
TO_ASSIGN = "Patients waiting for a reviewer"
REQUESTS = "Review requests from families"

REVIEW_ROLES = (Role.EXPERT_REVIEWER, Role.REVIEW_CHAIR)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def reviews_assigned(user: User) -> list[WorkItem]:
    """The reviewer's unfinished assigned reviews, as one item with their progress ("3 of 11 submitted") that opens
    the next review to do."""
    assigned = my_assignments(user=user)
    to_do = [c for c in assigned if c.progress != JudgementStatus.SUBMITTED]
    if not to_do:
        return []
    labels = RoleLabels.of(user)
    submitted = len(assigned) - len(to_do)
    following = to_do[0]
    return [
        WorkItem(
            group=REVIEWS,
            kind="Case-note review",
            title=f"Review {following.reference} next" if len(to_do) > 1 else f"Review {following.reference}",
            url=reverse("reviews:judgement", args=[following.assignment_id]),
            organisation=labels.label(roles=REVIEW_ROLES, default="Expert reviewer"),
            progress=f"{submitted} of {len(assigned)} submitted",
            detail=f"{len(to_do)} still to finish",
        )
    ]


def applications_to_vet(user: User) -> list[WorkItem]:
    """Applications waiting for vetting, per campaign, for the case's expert-recruitment lead."""
    labels = RoleLabels.of(user)
    return [
        WorkItem(
            group=VETTING,
            kind="Recruitment",
            title=f"{campaign.title}: {_count(campaign.waiting, 'application')} to vet",
            url=reverse("reviews:campaign-detail", args=[campaign.campaign_id]),
            organisation=labels.label(
                organisations=[campaign.organisation_id],
                default=f"Expert-recruitment lead, {campaign.case_reference}",
            ),
            detail=f"For {campaign.case_reference}. Oldest sent on {campaign.oldest:%-d %B %Y}",
        )
        for campaign in applications_to_vet_by_campaign(user=user)
    ]


def patients_to_assign(user: User) -> list[WorkItem]:
    """Patients of the cohorts the user runs that still wait for a first or second review."""
    labels = RoleLabels.of(user)
    return [
        WorkItem(
            group=TO_ASSIGN,
            kind="Cohort",
            title=f"{row.case_reference}: {_count(row.waiting, 'patient')} waiting for a reviewer",
            url=reverse("reviews:cohort", args=[row.case_id]),
            organisation=labels.label(roles=[Role.REVIEW_CHAIR], default=f"Review of {row.case_reference}"),
            detail=row.case_title,
        )
        for row in patients_waiting_by_cohort(user=user)
    ]


def review_requests_waiting(user: User) -> list[WorkItem]:
    """Families' requests for a review of their relative's care, passed on by a family liaison officer, that
    wait on the chair of the case's review: to accept or decline, or to record the outcome of."""
    labels = RoleLabels.of(user)
    return [
        WorkItem(
            group=REQUESTS,
            kind="Review request",
            title=f"{review_request.source_reference} on {review_request.case.reference}",
            url=reverse("reviews:review-request-detail", args=[review_request.pk]),
            organisation=labels.label(roles=[Role.REVIEW_CHAIR], default="Chair of the case's review"),
            progress=review_request.get_status_display(),
            detail=f"About {review_request.case.provider.name}",
        )
        for review_request in review_request_queue(user=user)
    ]


def register() -> None:
    """Called once when the app loads."""
    register_work_source("reviews.assigned", reviews_assigned)
    register_work_source("reviews.applications_to_vet", applications_to_vet)
    register_work_source("reviews.patients_to_assign", patients_to_assign)
    register_work_source("reviews.review_requests", review_requests_waiting)
    register_see_all(REQUESTS, "reviews:review-request-list")
