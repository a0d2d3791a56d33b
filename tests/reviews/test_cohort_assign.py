"""Giving reviews out: the specialty, capacity and balance, independence (no conflicted or unappointed
reviewer), second reviews by someone else, the poor-care rule, reassignment, and simultaneous runs."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.errors import TransitionNotAllowed
from accounts.models import AuditEvent, Organisation, User
from failure_regime.models import Case
from reviews.models import (
    Assignment,
    AssignmentKind,
    Cohort,
    CohortPatient,
    Expert,
    InterestKind,
    JudgementStatus,
    SecondReviewReason,
    StructuredJudgement,
)
from reviews.services import conflict_waive, interest_declare
from reviews.services.cohort import assignment_reassign, cohort_assign, second_review_require
from reviews.services.cohort_balance import Need, Place, plan_reviews
from reviews.verbs import ReviewsVerb
from tests.reviews.cohort_fixtures import *  # noqa: F403
from tests.reviews.cohort_fixtures import ImportFile, MakeReviewer, csv_text, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_sample(cohort: Cohort) -> Cohort:
    Cohort.objects.filter(pk=cohort.pk).update(second_review_share=Decimal("0"))
    cohort.refresh_from_db()
    return cohort


def loads(cohort: Cohort, kind: str | None = None) -> Counter[int]:
    assignments = Assignment.objects.filter(Assignment.ACTIVE, patient__cohort=cohort)
    if kind:
        assignments = assignments.filter(kind=kind)
    return Counter(assignments.values_list("reviewer_id", flat=True))


# --- The plan, on plain numbers -------------------------------------------------------------------


def test_the_plan_balances_within_one() -> None:
    reviewers = [Place(i, capacity=1000, load=0, specialty_ids=frozenset({1})) for i in range(7)]
    plan = plan_reviews(needs=[Need(p, 1, True, False) for p in range(1000)], reviewers=reviewers)
    counts = Counter(expert for _, _, expert in plan.given)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_the_plan_fills_the_least_loaded_first() -> None:
    reviewers = [Place(1, 10, 5, frozenset({1})), Place(2, 10, 0, frozenset({1}))]
    plan = plan_reviews(needs=[Need(p, 1, True, False) for p in range(5)], reviewers=reviewers)
    assert {expert for _, _, expert in plan.given} == {2}


def test_the_plan_never_goes_over_capacity_and_counts_what_is_left() -> None:
    plan = plan_reviews(needs=[Need(p, 1, True, False) for p in range(5)], reviewers=[Place(1, 3, 1, frozenset({1}))])
    assert (len(plan.given), plan.left) == (2, {(1, "first"): 3})


def test_the_plan_shares_a_reviewer_of_two_specialties_fairly() -> None:
    reviewers = [
        Place(1, 100, 0, frozenset({1, 2})),
        Place(2, 100, 0, frozenset({1})),
        Place(3, 100, 0, frozenset({2})),
    ]
    needs = [Need(p, 1 + p % 2, True, False) for p in range(60)]
    counts = Counter(expert for _, _, expert in plan_reviews(needs=needs, reviewers=reviewers).given)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_the_plan_gives_the_second_review_to_someone_else() -> None:
    reviewers = [Place(1, 10, 0, frozenset({1})), Place(2, 10, 0, frozenset({1}))]
    plan = plan_reviews(needs=[Need(9, 1, True, True)], reviewers=reviewers)
    assert {expert for _, _, expert in plan.given} == {1, 2}


def test_the_plan_leaves_a_second_review_when_only_the_first_reviewer_could_take_it() -> None:
    plan = plan_reviews(needs=[Need(9, 1, True, True)], reviewers=[Place(1, 10, 0, frozenset({1}))])
    assert plan.left == {(1, "second"): 1}


# --- The service ----------------------------------------------------------------------------------


def test_it_gives_each_patient_to_a_reviewer_with_the_specialty(
    import_file: ImportFile, no_sample: Cohort, make_reviewer: MakeReviewer, manager: User
) -> None:
    obstetrician = make_reviewer(name="Dr Obi")
    make_reviewer(name="Dr Paed", specialties=["Paediatrics"])
    import_file(csv_text(4))
    report = cohort_assign(actor=manager, cohort=no_sample)
    assert report.assigned == 4 and loads(no_sample) == {obstetrician.pk: 4}


def test_loads_end_at_most_one_apart(
    import_file: ImportFile, no_sample: Cohort, make_reviewer: MakeReviewer, manager: User
) -> None:
    for name in ("Dr A", "Dr B", "Dr C"):
        make_reviewer(name=name)
    import_file(csv_text(10))
    cohort_assign(actor=manager, cohort=no_sample)
    assert sorted(loads(no_sample).values()) == [3, 3, 4]


def test_capacity_limits_each_reviewer_and_the_rest_wait(
    import_file: ImportFile, no_sample: Cohort, make_reviewer: MakeReviewer, manager: User
) -> None:
    make_reviewer(name="Dr Busy", capacity_per_week=1)  # 4 weeks: 4 reviews
    import_file(csv_text(6))
    report = cohort_assign(actor=manager, cohort=no_sample)
    assert (report.assigned, report.by_specialty[0].first_unassigned) == (4, 2)


def test_open_reviews_count_against_capacity(
    import_file: ImportFile, no_sample: Cohort, make_reviewer: MakeReviewer, manager: User
) -> None:
    busy = make_reviewer(name="Dr Busy", capacity_per_week=1)
    free = make_reviewer(name="Dr Free", capacity_per_week=1)
    import_file(csv_text(3))
    cohort_assign(actor=manager, cohort=no_sample)
    import_file(csv_text(4, start=100))
    cohort_assign(actor=manager, cohort=no_sample)
    assert loads(no_sample) == {busy.pk: 4, free.pk: 3} or loads(no_sample) == {busy.pk: 3, free.pk: 4}


def test_a_second_run_gives_nothing_more(
    import_file: ImportFile, cohort: Cohort, make_reviewer: MakeReviewer, manager: User
) -> None:
    make_reviewer(name="Dr A")
    make_reviewer(name="Dr B")
    import_file(csv_text(5))
    cohort_assign(actor=manager, cohort=cohort)
    assert cohort_assign(actor=manager, cohort=cohort).assigned == 0


def test_a_conflicted_reviewer_is_never_assigned(
    import_file: ImportFile,
    no_sample: Cohort,
    make_reviewer: MakeReviewer,
    manager: User,
    oversight_lead: User,
    provider: Organisation,
) -> None:
    conflicted = make_reviewer(name="Dr Conflicted")
    clear = make_reviewer(name="Dr Clear")
    interest_declare(
        actor=oversight_lead,
        expert=conflicted,
        organisation=provider,
        kind=InterestKind.FINANCIAL,
        description="Shares.",
    )
    import_file(csv_text(3))
    cohort_assign(actor=manager, cohort=no_sample)
    assert loads(no_sample) == {clear.pk: 3}


def test_a_waived_conflict_allows_assignment(
    import_file: ImportFile,
    no_sample: Cohort,
    make_reviewer: MakeReviewer,
    manager: User,
    oversight_lead: User,
    provider: Organisation,
    case: Case,
) -> None:
    expert = make_reviewer(name="Dr Waived")
    interest_declare(
        actor=oversight_lead, expert=expert, organisation=provider, kind=InterestKind.OTHER, description="Past talk."
    )
    conflict_waive(actor=oversight_lead, case=case, expert=expert, rationale="Only specialist available.")
    import_file(csv_text(2))
    cohort_assign(actor=manager, cohort=no_sample)
    assert loads(no_sample) == {expert.pk: 2}


def test_an_unappointed_or_unavailable_expert_is_never_assigned(
    import_file: ImportFile, no_sample: Cohort, make_reviewer: MakeReviewer, manager: User
) -> None:
    make_reviewer(name="Dr Unappointed", appoint=False)
    make_reviewer(name="Dr Away", available=False)
    import_file(csv_text(2))
    report = cohort_assign(actor=manager, cohort=no_sample)
    assert report.assigned == 0 and report.unassigned == 2


def test_sampled_patients_get_a_second_review_by_someone_else(
    import_file: ImportFile, cohort: Cohort, make_reviewer: MakeReviewer, manager: User
) -> None:
    make_reviewer(name="Dr A")
    make_reviewer(name="Dr B")
    import_file(csv_text(10))
    cohort_assign(actor=manager, cohort=cohort)
    seconds = Assignment.objects.filter(kind=AssignmentKind.SECOND).select_related("patient")
    firsts = dict(Assignment.objects.filter(kind=AssignmentKind.FIRST).values_list("patient_id", "reviewer_id"))
    assert len(seconds) == 2 and all(firsts[s.patient_id] != s.reviewer_id for s in seconds)


def test_the_run_is_audited_with_its_counts(
    import_file: ImportFile, no_sample: Cohort, make_reviewer: MakeReviewer, manager: User
) -> None:
    make_reviewer(name="Dr A")
    import_file(csv_text(2))
    cohort_assign(actor=manager, cohort=no_sample)
    event = AuditEvent.objects.get(verb=ReviewsVerb.COHORT_ASSIGNED)
    assert event.after["assigned"] == 2 and event.after["by_specialty"]["Obstetrics"]["first"] == 2


def test_only_a_review_manager_may_assign(cohort: Cohort, trust_manager: User) -> None:
    with pytest.raises(PermissionDenied):
        cohort_assign(actor=trust_manager, cohort=cohort)


# --- The poor-care rule ---------------------------------------------------------------------------


@pytest.fixture
def assigned(import_file: ImportFile, no_sample: Cohort, make_reviewer: MakeReviewer, manager: User) -> Assignment:
    """One patient, first review given to Dr A; Dr B could take a second review."""
    make_reviewer(name="Dr A")
    import_file(csv_text(1))
    cohort_assign(actor=manager, cohort=no_sample)
    make_reviewer(name="Dr B")
    return Assignment.objects.select_related("patient", "reviewer").get()


def test_poor_care_gives_the_patient_a_second_reviewer_at_once(assigned: Assignment) -> None:
    second = second_review_require(patient=assigned.patient, actor=assigned.reviewer.user)  # type: ignore[arg-type]
    assert second is not None and second.kind == AssignmentKind.SECOND
    assert second.reviewer_id != assigned.reviewer_id


def test_poor_care_marks_the_reason(assigned: Assignment) -> None:
    second_review_require(patient=assigned.patient, actor=assigned.reviewer.user)  # type: ignore[arg-type]
    assert CohortPatient.objects.get().second_review == SecondReviewReason.POOR_CARE


def test_the_poor_care_rule_is_idempotent(assigned: Assignment) -> None:
    actor: User = assigned.reviewer.user  # type: ignore[assignment]
    first = second_review_require(patient=assigned.patient, actor=actor)
    again = second_review_require(patient=assigned.patient, actor=actor)
    assert first == again and AuditEvent.objects.filter(verb=ReviewsVerb.SECOND_REVIEW_ADDED).count() == 1


def test_a_sampled_patient_stays_counted_as_sampled(assigned: Assignment) -> None:
    CohortPatient.objects.update(second_review=SecondReviewReason.SAMPLED)
    second_review_require(patient=assigned.patient, actor=assigned.reviewer.user)  # type: ignore[arg-type]
    assert CohortPatient.objects.get().second_review == SecondReviewReason.SAMPLED


def test_without_capacity_the_patient_waits_marked(assigned: Assignment) -> None:
    Expert.objects.exclude(pk=assigned.reviewer_id).update(available=False)
    second = second_review_require(patient=assigned.patient, actor=assigned.reviewer.user)  # type: ignore[arg-type]
    assert second is None and CohortPatient.objects.get().second_review == SecondReviewReason.POOR_CARE


def test_a_waiting_second_review_is_given_by_the_next_run(assigned: Assignment, manager: User) -> None:
    available = Expert.objects.exclude(pk=assigned.reviewer_id)
    available.update(available=False)
    second_review_require(patient=assigned.patient, actor=manager)
    available.update(available=True)
    assert cohort_assign(actor=manager, cohort=assigned.patient.cohort).by_specialty[0].second_assigned == 1


# --- Reassignment ---------------------------------------------------------------------------------


def test_reassignment_ends_the_old_assignment_with_its_reason(assigned: Assignment, manager: User) -> None:
    new = assignment_reassign(actor=manager, assignment=assigned, reason="Dr A is on leave.")
    assigned.refresh_from_db()
    assert assigned.ended_at is not None and assigned.end_reason == "Dr A is on leave."
    assert new.reviewer.name == "Dr B" and new.kind == AssignmentKind.FIRST


def test_reassignment_is_audited(assigned: Assignment, manager: User) -> None:
    new = assignment_reassign(actor=manager, assignment=assigned, reason="On leave.")
    event = AuditEvent.objects.get(verb=ReviewsVerb.ASSIGNMENT_REASSIGNED)
    assert event.target_id == str(new.pk) and event.before["reviewer"] == assigned.reviewer_id


def test_reassignment_to_a_chosen_reviewer(assigned: Assignment, manager: User, make_reviewer: MakeReviewer) -> None:
    chosen = make_reviewer(name="Dr Chosen")
    assert assignment_reassign(actor=manager, assignment=assigned, reason="Asked.", reviewer=chosen).reviewer == chosen


def test_reassignment_refuses_a_conflicted_reviewer(
    assigned: Assignment, manager: User, make_reviewer: MakeReviewer, oversight_lead: User, provider: Organisation
) -> None:
    chosen = make_reviewer(name="Dr Conflicted")
    interest_declare(
        actor=oversight_lead, expert=chosen, organisation=provider, kind=InterestKind.FINANCIAL, description="Shares."
    )
    with pytest.raises(ValidationError) as error:
        assignment_reassign(actor=manager, assignment=assigned, reason="Asked.", reviewer=chosen)
    assert "reviewer" in error.value.message_dict


def test_reassignment_needs_a_reason(assigned: Assignment, manager: User) -> None:
    with pytest.raises(ValidationError) as error:
        assignment_reassign(actor=manager, assignment=assigned, reason=" ")
    assert "reason" in error.value.message_dict


def test_a_submitted_review_cannot_be_reassigned(assigned: Assignment, manager: User) -> None:
    now = timezone.now()
    StructuredJudgement.objects.create(
        assignment=assigned,
        status=JudgementStatus.SUBMITTED,
        overall_rating=3,
        avoidability=6,
        updated_at=now,
        submitted_at=now,
    )
    with pytest.raises(TransitionNotAllowed):
        assignment_reassign(actor=manager, assignment=assigned, reason="Too late.")


def test_only_a_review_manager_may_reassign(assigned: Assignment, trust_manager: User) -> None:
    with pytest.raises(PermissionDenied):
        assignment_reassign(actor=trust_manager, assignment=assigned, reason="Not mine to do.")


# --- Simultaneous runs ----------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_runs_give_each_review_once(
    import_file: ImportFile, cohort: Cohort, make_reviewer: MakeReviewer, manager: User
) -> None:
    for name in ("Dr A", "Dr B", "Dr C"):
        make_reviewer(name=name)
    import_file(csv_text(30, extra=[row("9434765919")]))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            cohort_assign(actor=manager, cohort=cohort)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    per_patient = Counter(Assignment.objects.filter(kind=AssignmentKind.FIRST).values_list("patient_id", flat=True))
    assert len(per_patient) == 31 and set(per_patient.values()) == {1}
