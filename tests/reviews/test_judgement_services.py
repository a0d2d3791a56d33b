"""Writes of structured judgement reviews: drafts and submission by the assigned reviewer only, the lock on a
submitted review, the stored avoidability scale, the safety alert sent once, the poor-care rule, and the review
team's export and published summary."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import QuerySet

from accounts.errors import TransitionNotAllowed
from accounts.models import AuditEvent, Organisation, Role, User
from failure_regime.models import Case, OutboxMessage
from reviews.models import (
    AVOIDABILITY_DIRECTION,
    AVOIDABILITY_SCALE,
    Assignment,
    CohortPatient,
    EventKind,
    Expert,
    FindingsSummary,
    JudgementStatus,
    SecondReviewReason,
    StructuredJudgement,
)
from reviews.services.judgement import findings_export, findings_publish, judgement_save, judgement_submit
from tests.factories import member
from tests.reviews.judgement_fixtures import *  # noqa: F403
from tests.reviews.judgement_fixtures import DATE_OF_BIRTH_SHOWN, Assign, MakePatient, complete, submit

pytestmark = pytest.mark.django_db

CONCERN = {"safety_concern": True, "safety_concern_detail": "Oxygen cylinders on the ward were found empty."}


def save(reviewer: User, assignment: Assignment, **changes: object) -> StructuredJudgement:
    return judgement_save(actor=reviewer, assignment=assignment, changes=changes)


# --- Drafts -----------------------------------------------------------------------------------------------------


def test_it_saves_a_draft_for_the_assigned_reviewer(reviewer: User, assignment: Assignment) -> None:
    judgement = save(reviewer, assignment, overall_rating=2, overall_narrative="Late escalation.")
    judgement.refresh_from_db()
    assert (judgement.status, judgement.overall_rating) == (JudgementStatus.DRAFT, 2)


def test_it_records_the_draft_in_the_audit_trail_but_not_on_the_cases_timeline(
    reviewer: User, assignment: Assignment, case: Case
) -> None:
    judgement = save(reviewer, assignment, overall_rating=2)
    event = AuditEvent.objects.get(verb="judgement.saved")
    assert event.target_id == str(judgement.pk) and event.actor == reviewer
    assert not AuditEvent.objects.for_object(case).filter(verb__startswith="judgement.").exists()


def test_it_refuses_a_draft_from_another_reviewer(second_reviewer: User, assignment: Assignment) -> None:
    with pytest.raises(PermissionDenied):
        save(second_reviewer, assignment, overall_rating=2)


def test_it_refuses_a_draft_once_the_assignment_has_ended(reviewer: User, assignment: Assignment) -> None:
    Assignment.objects.filter(pk=assignment.pk).update(ended_at=assignment.assigned_at, end_reason="Reassigned.")
    with pytest.raises(PermissionDenied):
        save(reviewer, assignment, overall_rating=2)


@pytest.mark.parametrize(
    ("field", "value"),
    [("overall_rating", 6), ("admission_rating", 0), ("avoidability", 7), ("overall_rating", True)],
)
def test_it_refuses_a_score_off_the_scale(reviewer: User, assignment: Assignment, field: str, value: object) -> None:
    with pytest.raises(ValidationError) as error:
        save(reviewer, assignment, **{field: value})
    assert field in error.value.message_dict


def test_it_refuses_a_problem_type_not_on_the_list(reviewer: User, assignment: Assignment) -> None:
    with pytest.raises(ValidationError) as error:
        save(reviewer, assignment, problem_types=["bad_luck"])
    assert "problem_types" in error.value.message_dict


def test_it_refuses_a_safety_concern_without_its_detail(reviewer: User, assignment: Assignment) -> None:
    with pytest.raises(ValidationError) as error:
        save(reviewer, assignment, safety_concern=True)
    assert "safety_concern_detail" in error.value.message_dict


# --- Submission ---------------------------------------------------------------------------------------------------


def test_it_submits_a_complete_review(reviewer: User, assignment: Assignment) -> None:
    judgement = judgement_submit(actor=reviewer, assignment=assignment, changes=complete())
    judgement.refresh_from_db()
    assert judgement.status == JudgementStatus.SUBMITTED and judgement.submitted_at is not None


def test_it_records_the_submission_in_the_audit_trail(reviewer: User, assignment: Assignment) -> None:
    judgement = submit(assignment)
    event = AuditEvent.objects.get(verb="judgement.submitted")
    assert event.target_id == str(judgement.pk) and event.after["status"] == "submitted"


def test_it_stores_the_avoidability_scale_and_direction_with_the_score(assignment: Assignment) -> None:
    judgement = StructuredJudgement.objects.get(pk=submit(assignment, avoidability=2).pk)
    assert (judgement.avoidability, judgement.avoidability_scale, judgement.avoidability_direction) == (
        2,
        AVOIDABILITY_SCALE,
        AVOIDABILITY_DIRECTION,
    )


def test_it_submits_what_was_saved_in_the_draft(reviewer: User, assignment: Assignment) -> None:
    save(reviewer, assignment, **complete())
    assert judgement_submit(actor=reviewer, assignment=assignment).status == JudgementStatus.SUBMITTED


@pytest.mark.parametrize("missing", ["overall_rating", "overall_narrative", "avoidability"])
def test_it_refuses_to_submit_an_incomplete_review(reviewer: User, assignment: Assignment, missing: str) -> None:
    with pytest.raises(ValidationError) as error:
        judgement_submit(actor=reviewer, assignment=assignment, changes=complete(**{missing: None}))
    assert missing in error.value.message_dict


def test_it_needs_notes_for_each_phase_it_rates(reviewer: User, assignment: Assignment) -> None:
    with pytest.raises(ValidationError) as error:
        judgement_submit(actor=reviewer, assignment=assignment, changes=complete(procedure_rating=1))
    assert "procedure_narrative" in error.value.message_dict


def test_it_asks_for_the_avoidability_of_an_incident_too_for_now(
    reviewer: User, make_patient: MakePatient, assign: Assign, reviewer_expert: Expert
) -> None:
    incident = assign(make_patient(event_kind=EventKind.INCIDENT), reviewer_expert)
    with pytest.raises(ValidationError) as error:
        judgement_submit(actor=reviewer, assignment=incident, changes=complete(avoidability=None))
    assert error.value.message_dict["avoidability"] == ["Choose how avoidable the harm was."]


def test_a_refused_submission_keeps_the_draft_as_it_was(reviewer: User, assignment: Assignment) -> None:
    save(reviewer, assignment, overall_rating=4)
    with pytest.raises(ValidationError):
        judgement_submit(actor=reviewer, assignment=assignment, changes={"overall_rating": 1})
    assert StructuredJudgement.objects.get(assignment=assignment).overall_rating == 4


def test_a_submitted_review_cannot_be_changed(reviewer: User, assignment: Assignment) -> None:
    submit(assignment, overall_rating=3)
    with pytest.raises(TransitionNotAllowed):
        save(reviewer, assignment, overall_rating=1)
    assert StructuredJudgement.objects.get(assignment=assignment).overall_rating == 3


def test_a_submitted_review_cannot_be_submitted_again(reviewer: User, assignment: Assignment) -> None:
    submit(assignment)
    with pytest.raises(TransitionNotAllowed):
        judgement_submit(actor=reviewer, assignment=assignment)


# --- Safety concerns ----------------------------------------------------------------------------------------------


def safety_mail() -> QuerySet[OutboxMessage]:
    """The safety alerts queued (the case's other mail, its proposal say, is not what these tests are about)."""
    return OutboxMessage.objects.filter(dedupe_key__startswith="safety-concern:")


def test_a_safety_concern_alerts_the_investigation_lead(lead: User, assignment: Assignment) -> None:
    submit(assignment, **CONCERN)
    assert list(safety_mail().values_list("to", flat=True)) == [lead.email]


def test_a_safety_concern_in_a_draft_alerts_at_once(lead: User, reviewer: User, assignment: Assignment) -> None:
    judgement = save(reviewer, assignment, **CONCERN)
    assert OutboxMessage.objects.filter(to=lead.email).count() == 1 and judgement.safety_alerted_at is not None


def test_a_safety_concern_alerts_once_when_saved_and_then_submitted(
    lead: User, reviewer: User, assignment: Assignment
) -> None:
    save(reviewer, assignment, **CONCERN)
    save(reviewer, assignment, safety_concern_detail="Empty oxygen cylinders on two wards.")
    judgement_submit(actor=reviewer, assignment=assignment, changes=complete())
    assert safety_mail().count() == 1


def test_the_alert_is_in_the_audit_trail(lead: User, assignment: Assignment) -> None:
    judgement = submit(assignment, **CONCERN)
    event = AuditEvent.objects.get(verb="judgement.safety_concern_raised")
    assert event.target_id == str(judgement.pk) and event.after["alerted"] == [lead.email]


def test_the_alert_names_the_review_but_never_the_patient(
    lead: User, assignment: Assignment, patient: CohortPatient, case: Case
) -> None:
    submit(assignment, **CONCERN)
    message = safety_mail().get()
    text = message.subject + message.body
    assert patient.reference in message.body and case.reference in message.subject
    assert patient.nhs_number not in text and not any(shown in text for shown in DATE_OF_BIRTH_SHOWN)
    assert CONCERN["safety_concern_detail"] not in text  # type: ignore[operator]


def test_with_no_investigation_lead_the_review_managers_and_national_oversight_are_told(
    assignment: Assignment, case: Case, national: User, nhs_england: Organisation, oversight_lead: User
) -> None:
    from failure_regime.models import Area
    from failure_regime.services.accountability import lead_hand_over

    lead_hand_over(
        actor=oversight_lead,
        case=case,
        area=Area.EXPERT_RECRUITMENT,
        lead=oversight_lead,
        organisation=oversight_lead.memberships.get().organisation,
        reason="Runs recruitment.",
    )
    submit(assignment, **CONCERN)
    assert set(safety_mail().values_list("to", flat=True)) == {oversight_lead.email, national.email}


def test_no_alert_without_a_concern(lead: User, assignment: Assignment) -> None:
    submit(assignment)
    assert not safety_mail().exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_submissions_submit_and_alert_once(lead: User, reviewer: User, assignment: Assignment) -> None:
    judgement_save(actor=reviewer, assignment=assignment, changes=complete())
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit_now() -> None:
        try:
            barrier.wait()
            judgement_submit(actor=reviewer, assignment=assignment, changes=CONCERN)
            outcomes.append("submitted")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit_now) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "submitted"]
    assert safety_mail().count() == 1
    assert AuditEvent.objects.filter(verb="judgement.safety_concern_raised").count() == 1


# --- The poor-care rule -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [1, 2])
def test_a_first_review_finding_poor_care_asks_for_a_second_review(
    assignment: Assignment, patient: CohortPatient, rating: int
) -> None:
    submit(assignment, overall_rating=rating)
    patient.refresh_from_db()
    assert patient.second_review == SecondReviewReason.POOR_CARE


def test_a_first_review_finding_adequate_care_asks_for_none(assignment: Assignment, patient: CohortPatient) -> None:
    submit(assignment, overall_rating=3)
    patient.refresh_from_db()
    assert patient.second_review == ""


def test_a_second_review_finding_poor_care_asks_for_no_third(
    second_assignment: Assignment, patient: CohortPatient
) -> None:
    submit(second_assignment, overall_rating=1)
    assert not Assignment.objects.filter(patient=patient).exclude(pk=second_assignment.pk).exists()


# --- Export -------------------------------------------------------------------------------------------------------


def export_rows(actor: User, case: Case) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(findings_export(actor=actor, case=case)))))


def test_the_export_has_a_row_for_each_submitted_review(
    lead: User, case: Case, assignment: Assignment, second_assignment: Assignment, patient: CohortPatient
) -> None:
    submit(assignment, overall_rating=2)
    submit(second_assignment, overall_rating=3)
    rows = export_rows(lead, case)
    assert [(r["review_reference"], r["review"], r["overall_rating"]) for r in rows] == [
        (patient.reference, "First review", "2"),
        (patient.reference, "Second review", "3"),
    ]


def test_the_export_names_reviewers_only_by_a_code(
    lead: User, case: Case, assignment: Assignment, second_assignment: Assignment, reviewer: User
) -> None:
    submit(assignment)
    submit(second_assignment)
    text = "".join(findings_export(actor=lead, case=case))
    assert "Reviewer 1" in text and "Reviewer 2" in text
    assert not any(name in text for name in ["Rae", "Sasha", reviewer.email, "nhs-england"])


def test_the_export_keeps_the_avoidability_scale_and_direction(lead: User, case: Case, assignment: Assignment) -> None:
    submit(assignment, avoidability=2)
    row = export_rows(lead, case)[0]
    assert (row["avoidability"], row["avoidability_scale"], row["avoidability_direction"]) == (
        "2",
        AVOIDABILITY_SCALE,
        AVOIDABILITY_DIRECTION,
    )


def test_the_export_holds_no_identifier_of_a_patient(
    lead: User, case: Case, assignment: Assignment, patient: CohortPatient
) -> None:
    submit(assignment)
    text = "".join(findings_export(actor=lead, case=case))
    assert patient.nhs_number not in text and not any(shown in text for shown in DATE_OF_BIRTH_SHOWN)


def test_the_export_keeps_spreadsheets_from_running_formulas(
    lead: User, case: Case, make_patient: MakePatient, assign: Assign, reviewer_expert: Expert
) -> None:
    submit(assign(make_patient(category='=HYPERLINK("http://x.example")'), reviewer_expert))
    assert export_rows(lead, case)[0]["category"].startswith("'=")


def test_the_export_is_audited(lead: User, case: Case, assignment: Assignment) -> None:
    submit(assignment)
    findings_export(actor=lead, case=case)
    assert AuditEvent.objects.for_object(case).filter(verb="findings.exported", actor=lead).count() == 1


def test_only_the_review_team_may_export(reviewer: User, case: Case, assignment: Assignment) -> None:
    with pytest.raises(PermissionDenied):
        findings_export(actor=reviewer, case=case)


# --- Publishing ---------------------------------------------------------------------------------------------------


def test_a_review_manager_publishes_a_summary_with_the_number_reviewed(
    lead: User, case: Case, assignment: Assignment, second_assignment: Assignment
) -> None:
    submit(assignment)
    submit(second_assignment)
    summary = findings_publish(actor=lead, case=case, title="Early findings", body="Care was adequate.")
    assert FindingsSummary.objects.get().patients_reviewed == summary.patients_reviewed == 1


def test_publishing_is_audited(lead: User, case: Case, assignment: Assignment) -> None:
    submit(assignment)
    summary = findings_publish(actor=lead, case=case, title="Early findings", body="Care was adequate.")
    assert AuditEvent.objects.filter(verb="findings.published", target_id=str(summary.pk)).exists()


@pytest.mark.parametrize(
    "body",
    ["The review of 999 000 0018 found gaps.", "Dr Rae Reviewer found poor care.", "Patient 9990000018 died."],
)
def test_a_summary_that_identifies_a_patient_or_a_reviewer_is_refused(
    lead: User, case: Case, assignment: Assignment, body: str
) -> None:
    submit(assignment)
    with pytest.raises(ValidationError) as error:
        findings_publish(actor=lead, case=case, title="Early findings", body=body)
    assert "body" in error.value.message_dict


def test_nothing_is_published_before_a_review_is_submitted(lead: User, case: Case, assignment: Assignment) -> None:
    with pytest.raises(ValidationError):
        findings_publish(actor=lead, case=case, title="Early findings", body="Nothing yet.")


def test_only_the_review_team_may_publish(
    reviewer: User, case: Case, assignment: Assignment, provider: Organisation
) -> None:
    submit(assignment)
    outsider = member(provider, Role.TRUST_MANAGER)
    for actor in (reviewer, outsider):
        with pytest.raises(PermissionDenied):
            findings_publish(actor=actor, case=case, title="Early findings", body="Care was adequate.")
