"""Who is told of each event of the case-note review, and telling them: reviews given to a reviewer, and a cohort
import finished.

One function per event, called by its service inside the service's transaction, after the change and its audit
event; each works out its recipients in a fixed number of queries. Titles name the case by reference and the
provider by name: never a patient (not even by review reference) or a file's name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.urls import reverse

from accounts.models import User
from failure_regime.models import Case, NotificationEvent
from failure_regime.services.notification_events import tell
from reviews.models import Assignment, CohortImport, Expert, ImportStatus


def _case_name(case: Case) -> str:
    return f"case {case.reference} at {case.provider.name}"


def reviews_assigned_notify(*, case: Case, reviewer_ids: Iterable[int], key: str, actor: User) -> list[User]:
    """Tells each reviewer given new reviews by one assignment (``key`` names it: a run, or one assignment) how
    many they have been given: one notification per reviewer per assignment, however many patients."""
    counts = Counter(reviewer_ids)
    if not counts:
        return []
    experts = Expert.objects.filter(pk__in=counts, user__isnull=False).select_related("user").order_by("pk")
    # Reviewers given the same number of reviews share one title, so one call tells them all: an assignment run
    # balances loads, so there are few distinct numbers however many reviewers there are.
    by_count: dict[int, list[User]] = {}
    for expert in experts:
        if expert.user is not None:
            by_count.setdefault(counts[expert.pk], []).append(expert.user)
    told: list[User] = []
    for count, reviewers in sorted(by_count.items()):
        told += tell(
            event=NotificationEvent.REVIEW_ASSIGNED,
            audience=[(None, reviewers)],
            title=f"{count} new review{'s' if count != 1 else ''} for you on {_case_name(case)}",
            link=reverse("reviews:my-reviews"),
            key=key,
            about=case,
            leave_out=actor,
        )
    return told


def review_assignment_notify(*, assignment: Assignment, case: Case, actor: User) -> list[User]:
    """Tells the reviewer given one review (a second review, or a review passed on from someone else)."""
    return reviews_assigned_notify(
        case=case, reviewer_ids=[assignment.reviewer_id], key=f"assignment:{assignment.pk}:assigned", actor=actor
    )


def import_finished_notify(*, cohort_import: CohortImport) -> list[User]:
    """Tells whoever uploaded a cohort file how its import ended: they started it, and it finished without them."""
    case = cohort_import.wave.cohort.case
    if cohort_import.status == ImportStatus.DONE:
        outcome = f"{cohort_import.imported_rows} patient{'s' if cohort_import.imported_rows != 1 else ''} imported"
    elif cohort_import.status == ImportStatus.INVALID:
        outcome = "not imported, the file has errors"
    else:
        outcome = "the import failed"
    return tell(
        event=NotificationEvent.IMPORT_FINISHED,
        audience=[(None, [cohort_import.uploaded_by])],
        title=f"Cohort import for {_case_name(case)}: {outcome}",
        link=reverse("reviews:import-detail", args=[cohort_import.pk]),
        key=f"import:{cohort_import.pk}:finished",
        about=cohort_import,
    )
