"""Reads of review requests: the case's review chair sees and acts on the requests passed to the case's review;
nobody else in reviews does (reviewers, other cases' chairs and other review managers get 404). The family
liaison officer who passed a request reads its outcome through their enquiry, in communications.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from failure_regime.models import Case
from reviews.models import Appointment, AppointmentRole, ReviewRequest
from reviews.models.requests import WAITING


def _chaired(*, user: User) -> QuerySet[Appointment]:
    return Appointment.objects.filter(
        role=AppointmentRole.REVIEW_CHAIR, ended_at__isnull=True, expert__user=user, expert__user__is_active=True
    )


def review_chairs(*, case: Case) -> QuerySet[User]:
    """The active users who chair ``case``'s review: who a review request on the case goes to."""
    return User.objects.filter(
        is_active=True,
        expert__appointments__case=case,
        expert__appointments__role=AppointmentRole.REVIEW_CHAIR,
        expert__appointments__ended_at__isnull=True,
    ).distinct()


def chairs_a_review(*, user: User) -> bool:
    """Whether ``user`` chairs any case's review, and so receives review requests."""
    return user.is_authenticated and _chaired(user=user).exists()


def review_request_may_decide(*, user: User, review_request: ReviewRequest) -> bool:
    """The one rule of who acts on a review request: an active chair of its case's review."""
    return user.is_authenticated and _chaired(user=user).filter(case_id=review_request.case_id).exists()


def review_request_list_for_user(*, user: User) -> QuerySet[ReviewRequest]:
    """The review requests ``user`` may see and act on: those of the cases whose review they chair, oldest
    first, without anything the list does not show."""
    if not user.is_authenticated or not user.is_active:
        return ReviewRequest.objects.none()
    return (
        ReviewRequest.objects.filter(case__in=_chaired(user=user).values("case_id"))
        .select_related("case__provider", "cohort", "requested_by_organisation")
        .order_by("requested_at", "pk")
    )


def review_request_queue(*, user: User) -> QuerySet[ReviewRequest]:
    """The review requests waiting on ``user`` as chair: to accept or decline, or to record the outcome of."""
    return review_request_list_for_user(user=user).filter(status__in=sorted(WAITING))


def review_request_get_for_user(*, user: User, pk: int) -> ReviewRequest:
    """One review request ``user`` chairs the review of, or 404."""
    found = (
        review_request_list_for_user(user=user)
        .select_related("requested_by", "decided_by", "answered_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such review request.")
    return found
