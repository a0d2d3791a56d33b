"""Notifications of the case-note review's events: reviews given to a reviewer (one notification per reviewer per
assignment run, however many patients) and a cohort import finished (to whoever started it)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from failure_regime.models import Case, Notification, NotificationEvent
from failure_regime.services import notification_events as regime_events
from reviews.models import Assignment, Cohort, Expert
from reviews.services import notification_events as events
from reviews.services.cohort import assignment_reassign, cohort_assign, second_review_require
from tests.reviews.cohort_fixtures import *  # noqa: F403
from tests.reviews.cohort_fixtures import ImportFile, MakeReviewer, csv_text, row

pytestmark = pytest.mark.django_db


def told(event: str) -> list[str]:
    """Who was notified of ``event``, one entry per notification."""
    return sorted(Notification.objects.filter(event=event).values_list("user__email", flat=True))


def emails(*experts: Expert) -> list[str]:
    return sorted(e.user.email for e in experts if e.user is not None)


@pytest.fixture
def no_sample(cohort: Cohort) -> Cohort:
    Cohort.objects.filter(pk=cohort.pk).update(second_review_share=Decimal("0"))
    cohort.refresh_from_db()
    return cohort


# --- Reviews assigned ---------------------------------------------------------------------------------------


def test_a_run_tells_each_reviewer_given_reviews_once(
    import_file: ImportFile, no_sample: Cohort, make_reviewer: MakeReviewer, manager: User
) -> None:
    first, second = make_reviewer(name="Dr A"), make_reviewer(name="Dr B")
    make_reviewer(name="Dr Paed", specialties=["Paediatrics"])
    import_file(csv_text(6))
    cohort_assign(actor=manager, cohort=no_sample)
    assert told(NotificationEvent.REVIEW_ASSIGNED) == emails(first, second)


def test_the_notice_of_a_run_counts_the_reviews_and_names_no_patient(
    import_file: ImportFile, no_sample: Cohort, make_reviewer: MakeReviewer, manager: User, case: Case
) -> None:
    make_reviewer(name="Dr A")
    import_file(csv_text(3))
    cohort_assign(actor=manager, cohort=no_sample)
    notification = Notification.objects.get(event=NotificationEvent.REVIEW_ASSIGNED)
    assert notification.title.startswith("3 new reviews") and case.reference in notification.title
    assert "R" + str(no_sample.pk) not in f"{notification.title}{notification.body}"


def test_a_run_that_gives_nothing_tells_nobody(
    import_file: ImportFile, no_sample: Cohort, make_reviewer: MakeReviewer, manager: User
) -> None:
    make_reviewer(name="Dr A")
    import_file(csv_text(2))
    cohort_assign(actor=manager, cohort=no_sample)
    cohort_assign(actor=manager, cohort=no_sample)
    assert len(told(NotificationEvent.REVIEW_ASSIGNED)) == 1


def test_each_run_that_gives_new_reviews_tells_again(
    import_file: ImportFile, no_sample: Cohort, make_reviewer: MakeReviewer, manager: User
) -> None:
    reviewer = make_reviewer(name="Dr A")
    import_file(csv_text(2))
    cohort_assign(actor=manager, cohort=no_sample)
    import_file(csv_text(2, start=100))
    cohort_assign(actor=manager, cohort=no_sample)
    assert told(NotificationEvent.REVIEW_ASSIGNED) == emails(reviewer, reviewer)


def test_telling_of_a_run_again_duplicates_nothing(
    import_file: ImportFile, no_sample: Cohort, make_reviewer: MakeReviewer, manager: User, case: Case
) -> None:
    reviewer = make_reviewer(name="Dr A")
    events.reviews_assigned_notify(case=case, reviewer_ids=[reviewer.pk, reviewer.pk], key="run:1", actor=manager)
    events.reviews_assigned_notify(case=case, reviewer_ids=[reviewer.pk], key="run:1", actor=manager)
    assert told(NotificationEvent.REVIEW_ASSIGNED) == emails(reviewer)


@pytest.fixture
def assigned(import_file: ImportFile, no_sample: Cohort, make_reviewer: MakeReviewer, manager: User) -> Assignment:
    """One patient, first review given to Dr A; Dr B could take a second review."""
    make_reviewer(name="Dr A")
    import_file(csv_text(1))
    cohort_assign(actor=manager, cohort=no_sample)
    make_reviewer(name="Dr B")
    return Assignment.objects.select_related("patient", "reviewer__user").get()


def test_a_second_review_tells_the_second_reviewer_only(assigned: Assignment) -> None:
    second = second_review_require(patient=assigned.patient, actor=assigned.reviewer.user)  # type: ignore[arg-type]
    assert second is not None
    assert told(NotificationEvent.REVIEW_ASSIGNED) == emails(assigned.reviewer, second.reviewer)


def test_a_reassigned_review_tells_the_new_reviewer(assigned: Assignment, manager: User) -> None:
    new = assignment_reassign(actor=manager, assignment=assigned, reason="Dr A is on leave.")
    assert told(NotificationEvent.REVIEW_ASSIGNED) == emails(assigned.reviewer, new.reviewer)


# --- Imports ------------------------------------------------------------------------------------------------


def test_a_finished_import_tells_whoever_started_it(import_file: ImportFile, manager: User, regulator: User) -> None:
    cohort_import = import_file(csv_text(2))
    notification = Notification.objects.get(event=NotificationEvent.IMPORT_FINISHED)
    assert (notification.user, notification.link) == (manager, f"/staff/reviews/cohort-imports/{cohort_import.pk}/")


def test_a_file_with_errors_is_told_as_not_imported(import_file: ImportFile, manager: User) -> None:
    import_file(csv_text(1, extra=[row("123")]))
    assert "not imported" in Notification.objects.get(event=NotificationEvent.IMPORT_FINISHED).title


def test_each_import_is_told_once(import_file: ImportFile, manager: User) -> None:
    cohort_import = import_file(csv_text(2))
    import_file(csv_text(2, start=100))
    events.import_finished_notify(cohort_import=cohort_import)
    assert Notification.objects.filter(event=NotificationEvent.IMPORT_FINISHED, user=manager).count() == 2


@pytest.mark.parametrize("reviewers", [1, 8])
def test_a_run_finds_its_reviewers_in_the_same_queries_however_many_there_are(
    reviewers: int, make_reviewer: MakeReviewer, manager: User, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [make_reviewer(name=f"Dr {n}").pk for n in range(reviewers)]
    case = Case.objects.get(pk=case.pk)
    monkeypatch.setattr(regime_events, "notify", lambda **kwargs: [])
    with CaptureQueriesContext(connection) as queries:
        events.reviews_assigned_notify(case=case, reviewer_ids=ids * 3, key="run:1", actor=manager)
    assert len(queries) == 2  # the case's provider, the reviewers with their accounts
