"""Removing a role ends what it granted: a reviewer's open case-note reviews and appointments, and an accountable
lead's areas, wherever no membership the person keeps still grants them. They are ended, not deleted, with who
ended them, and audited; the reviewer's pages and API answer 404 at once; the patients left without a reviewer wait
on the review managers' work list. The administration site removes roles through the same rule."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Membership, Organisation, Role, User
from accounts.role_removal import register_role_removal, role_removal_handlers
from accounts.services import membership_create
from failure_regime.models import Area, Case, Responsibility
from failure_regime.services.accountability import lead_hand_over
from failure_regime.verbs import RegimeVerb
from failure_regime.work import work_for_user
from reviews.models import Appointment, AppointmentRole, Assignment, Expert, StructuredJudgement
from reviews.selectors.cohort import eligible_reviewers
from reviews.services.judgement import judgement_save
from reviews.services.registry import appointment_make
from reviews.verbs import ReviewsVerb
from reviews.work import TO_ASSIGN
from tests.factories import member, role_remove
from tests.reviews.conftest import *  # noqa: F403
from tests.reviews.judgement_fixtures import *  # noqa: F403
from tests.reviews.judgement_fixtures import complete, submit

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
ApiClientFor = Callable[[User], APIClient]
DECLARATION = "I have no interest in the trust and have not worked there in the last five years."


def remove_reviewer(administrator: User, reviewer: User, nhs_england: Organisation) -> None:
    """Removes the reviewer persona's only role: expert reviewer at NHS England."""
    role_remove(administrator, reviewer, nhs_england, Role.EXPERT_REVIEWER)


def appoint(regulator: User, case: Case, expert: Expert, role: str = AppointmentRole.EXPERT_REVIEWER) -> Appointment:
    """Appoints the expert to the case as CQC (the regulator's organisation), which so brings them to it."""
    return appointment_make(actor=regulator, case=case, expert=expert, role=role, declaration=DECLARATION)


def refreshed(assignment: Assignment) -> Assignment:
    assignment.refresh_from_db()
    return assignment


# --- The last reviewing role ---------------------------------------------------------------------------------------


def test_it_ends_the_open_assignment_with_who_ended_it(
    administrator: User, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    remove_reviewer(administrator, reviewer, nhs_england)
    ended = refreshed(assignment)
    assert ended.ended_at is not None and ended.ended_by == administrator


def test_it_keeps_the_ended_assignment_with_its_reason(
    administrator: User, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    remove_reviewer(administrator, reviewer, nhs_england)
    assert Assignment.objects.get(pk=assignment.pk).end_reason == (
        "Their expert reviewer role at NHS England was removed."
    )


def test_it_audits_the_ended_assignments(
    administrator: User, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    remove_reviewer(administrator, reviewer, nhs_england)
    event = AuditEvent.objects.get(verb=ReviewsVerb.ASSIGNMENTS_ENDED)
    assert (event.actor, event.after["ended"], event.scope_id) == (
        administrator,
        [assignment.pk],
        str(assignment.patient.cohort.case_id),
    )


def test_it_keeps_the_draft_with_the_ended_assignment(
    administrator: User, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    judgement_save(actor=reviewer, assignment=assignment, changes={"admission_rating": 4})
    remove_reviewer(administrator, reviewer, nhs_england)
    assert StructuredJudgement.objects.get(assignment=assignment).admission_rating == 4


def test_the_patient_waits_on_the_review_managers_work_list(
    administrator: User, reviewer: User, nhs_england: Organisation, assignment: Assignment, lead: User
) -> None:
    assert [i for i in work_for_user(user=lead) if i.group == TO_ASSIGN] == []
    remove_reviewer(administrator, reviewer, nhs_england)
    [item] = [i for i in work_for_user(user=lead) if i.group == TO_ASSIGN]
    assert "1 patient waiting for a reviewer" in item.title


def test_it_ends_their_appointment_to_the_case(
    administrator: User, reviewer: User, nhs_england: Organisation, regulator: User, case: Case, reviewer_expert: Expert
) -> None:
    appointment = appoint(regulator, case, reviewer_expert)
    remove_reviewer(administrator, reviewer, nhs_england)
    appointment.refresh_from_db()
    assert appointment.ended_at is not None and appointment.ended_by == administrator


def test_it_leaves_them_no_longer_eligible_for_the_cases_reviews(
    administrator: User, reviewer: User, nhs_england: Organisation, regulator: User, case: Case, reviewer_expert: Expert
) -> None:
    appoint(regulator, case, reviewer_expert)
    remove_reviewer(administrator, reviewer, nhs_england)
    assert reviewer_expert.pk not in {r.expert_id for r in eligible_reviewers(case=case)}


def test_a_submitted_review_stays_in_the_findings(
    administrator: User, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    submit(assignment)
    remove_reviewer(administrator, reviewer, nhs_england)
    assert refreshed(assignment).ended_at is None


def test_it_leaves_other_reviewers_assignments_alone(
    administrator: User,
    reviewer: User,
    nhs_england: Organisation,
    assignment: Assignment,
    second_assignment: Assignment,
) -> None:
    remove_reviewer(administrator, reviewer, nhs_england)
    assert refreshed(second_assignment).ended_at is None


# --- Access stops at once -----------------------------------------------------------------------------------------


def test_the_assignment_page_answers_404(
    administrator: User, client_for: ClientFor, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    browser = client_for(reviewer)
    remove_reviewer(administrator, reviewer, nhs_england)
    assert browser.get(reverse("reviews:judgement", args=[assignment.pk])).status_code == 404


def test_saving_on_the_assignment_page_is_refused(
    administrator: User, client_for: ClientFor, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    browser = client_for(reviewer)
    remove_reviewer(administrator, reviewer, nhs_england)
    response = browser.post(reverse("reviews:judgement", args=[assignment.pk]), {**complete(), "action": "save"})
    assert response.status_code == 404 and not StructuredJudgement.objects.exists()


def test_my_reviews_no_longer_lists_it(
    administrator: User, client_for: ClientFor, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    browser = client_for(reviewer)
    remove_reviewer(administrator, reviewer, nhs_england)
    assert assignment.patient.reference not in browser.get(reverse("reviews:my-reviews")).text


def test_the_api_answers_404_for_the_assignment(
    administrator: User, api_client_for: ApiClientFor, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    api = api_client_for(reviewer)
    remove_reviewer(administrator, reviewer, nhs_england)
    assert api.get(f"/api/v1/my-assignments/{assignment.pk}/").status_code == 404
    assert api.get(f"/api/v1/judgements/{assignment.pk}/").status_code == 404


def test_the_api_refuses_a_write(
    administrator: User, api_client_for: ApiClientFor, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    api = api_client_for(reviewer)
    remove_reviewer(administrator, reviewer, nhs_england)
    response = api.put(f"/api/v1/judgements/{assignment.pk}/", json.dumps(complete()), content_type="application/json")
    assert response.status_code == 404 and not StructuredJudgement.objects.exists()


def test_the_service_refuses_a_write(
    administrator: User, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    remove_reviewer(administrator, reviewer, nhs_england)
    with pytest.raises(PermissionDenied):
        judgement_save(actor=reviewer, assignment=assignment, changes={"admission_rating": 4})


def test_a_submitted_review_is_no_longer_theirs_to_read(
    administrator: User, client_for: ClientFor, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    submit(assignment)
    browser = client_for(reviewer)
    remove_reviewer(administrator, reviewer, nhs_england)
    assert browser.get(reverse("reviews:judgement", args=[assignment.pk])).status_code == 404


# --- Another granting role, and the wrong organisation ------------------------------------------------------------


def test_a_reviewer_who_keeps_another_reviewing_role_keeps_their_assignment(
    administrator: User, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    membership_create(actor=None, user=reviewer, organisation=nhs_england, role=Role.REVIEW_CHAIR)
    remove_reviewer(administrator, reviewer, nhs_england)
    assert refreshed(assignment).ended_at is None


def test_a_reviewer_who_keeps_another_reviewing_role_keeps_their_page(
    administrator: User, client_for: ClientFor, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    membership_create(actor=None, user=reviewer, organisation=nhs_england, role=Role.REVIEW_CHAIR)
    browser = client_for(reviewer)
    remove_reviewer(administrator, reviewer, nhs_england)
    assert browser.get(reverse("reviews:judgement", args=[assignment.pk])).status_code == 200


def test_removing_a_role_that_grants_no_reviews_ends_nothing(
    administrator: User, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    membership_create(actor=None, user=reviewer, organisation=nhs_england, role=Role.COMMUNICATIONS_OFFICER)
    role_remove(administrator, reviewer, nhs_england, Role.COMMUNICATIONS_OFFICER)
    assert refreshed(assignment).ended_at is None


def test_removing_the_role_in_an_organisation_that_did_not_bring_them_to_the_case_ends_nothing(
    administrator: User,
    reviewer: User,
    nhs_england: Organisation,
    cqc: Organisation,
    regulator: User,
    case: Case,
    reviewer_expert: Expert,
    assignment: Assignment,
) -> None:
    # CQC appointed them to the case, and they review for CQC too: their role at NHS England did not bring them.
    membership_create(actor=None, user=reviewer, organisation=cqc, role=Role.EXPERT_REVIEWER)
    appoint(regulator, case, reviewer_expert)
    remove_reviewer(administrator, reviewer, nhs_england)
    assert refreshed(assignment).ended_at is None


def test_removing_the_role_in_the_organisation_that_brought_them_to_the_case_ends_it(
    administrator: User,
    reviewer: User,
    nhs_england: Organisation,
    cqc: Organisation,
    regulator: User,
    case: Case,
    reviewer_expert: Expert,
    assignment: Assignment,
) -> None:
    # A reviewing role kept at NHS England does not hold up what CQC, which appointed them, has taken back.
    membership_create(actor=None, user=reviewer, organisation=cqc, role=Role.EXPERT_REVIEWER)
    appointment = appoint(regulator, case, reviewer_expert)
    role_remove(administrator, reviewer, cqc, Role.EXPERT_REVIEWER)
    appointment.refresh_from_db()
    assert refreshed(assignment).ended_at is not None and appointment.ended_at is not None


def test_a_chair_whose_role_is_removed_no_longer_runs_the_review(
    administrator: User,
    client_for: ClientFor,
    nhs_england: Organisation,
    regulator: User,
    case: Case,
    make_expert: Callable[..., Expert],
) -> None:
    chair = member(nhs_england, Role.REVIEW_CHAIR, full_name="Prof Rosa Chair")
    appoint(regulator, case, make_expert(name="Prof Rosa Chair", user=chair), AppointmentRole.REVIEW_CHAIR)
    browser = client_for(chair)
    role_remove(administrator, chair, nhs_england, Role.REVIEW_CHAIR)
    assert browser.get(reverse("reviews:findings", args=[case.pk])).status_code == 404


# --- Accountable leads ------------------------------------------------------------------------------------------


def test_leaving_the_organisation_removes_the_accountable_lead(
    administrator: User, regulator: User, cqc: Organisation, lead: User, case: Case
) -> None:
    role_remove(administrator, regulator, cqc, Role.REGULATOR_DECISION_MAKER)
    responsibility = Responsibility.objects.get(case=case, area=Area.INVESTIGATION)
    assert (responsibility.lead, responsibility.lead_organisation) == (None, None)


def test_the_removed_lead_is_audited(administrator: User, regulator: User, cqc: Organisation, lead: User) -> None:
    role_remove(administrator, regulator, cqc, Role.REGULATOR_DECISION_MAKER)
    event = AuditEvent.objects.get(verb=RegimeVerb.LEAD_REMOVED)
    assert (event.actor, event.before["lead"], event.after["area"]) == (administrator, regulator.email, "investigation")


def test_a_lead_who_keeps_a_role_in_the_organisation_stays_the_lead(
    administrator: User, regulator: User, cqc: Organisation, lead: User, case: Case
) -> None:
    membership_create(actor=None, user=regulator, organisation=cqc, role=Role.INSPECTOR)
    role_remove(administrator, regulator, cqc, Role.REGULATOR_DECISION_MAKER)
    assert Responsibility.objects.get(case=case, area=Area.INVESTIGATION).lead == regulator


def test_leaving_another_organisation_leaves_the_lead_alone(
    administrator: User, regulator: User, nhs_england: Organisation, lead: User, case: Case
) -> None:
    membership_create(actor=None, user=regulator, organisation=nhs_england, role=Role.COMMUNICATIONS_OFFICER)
    role_remove(administrator, regulator, nhs_england, Role.COMMUNICATIONS_OFFICER)
    assert Responsibility.objects.get(case=case, area=Area.INVESTIGATION).lead == regulator


def test_a_new_lead_can_be_handed_the_area(
    administrator: User,
    regulator: User,
    cqc: Organisation,
    lead: User,
    case: Case,
    inspector: User,
    oversight_lead: User,
) -> None:
    role_remove(administrator, regulator, cqc, Role.REGULATOR_DECISION_MAKER)
    handover = lead_hand_over(
        actor=oversight_lead,
        case=case,
        area=Area.INVESTIGATION,
        lead=inspector,
        organisation=cqc,
        reason="Takes it on.",
    )
    assert (handover.from_lead, handover.to_lead) == (None, inspector)


# --- One rule, wherever a role is removed ---------------------------------------------------------------------------


def test_every_app_registers_what_its_roles_grant() -> None:
    assert set(role_removal_handlers()) >= {"reviews.reviewer", "regime.leads", "communications.enquiries"}


def test_another_handler_cannot_take_a_registered_name() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_role_removal("reviews.reviewer", lambda removal: None)


def test_removing_the_role_in_the_administration_site_ends_the_assignment(
    administrator: User, client_for: ClientFor, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    membership = Membership.objects.get(user=reviewer, role=Role.EXPERT_REVIEWER)
    url = reverse("admin:accounts_membership_delete", args=[membership.pk])
    client_for(administrator).post(url, {"post": "yes"})
    assert refreshed(assignment).ended_by == administrator


def test_removing_roles_in_bulk_in_the_administration_site_ends_the_assignment(
    administrator: User, client_for: ClientFor, reviewer: User, nhs_england: Organisation, assignment: Assignment
) -> None:
    membership = Membership.objects.get(user=reviewer, role=Role.EXPERT_REVIEWER)
    data = {"action": "delete_selected", "_selected_action": [membership.pk], "post": "yes"}
    client_for(administrator).post(reverse("admin:accounts_membership_changelist"), data)
    assert refreshed(assignment).ended_by == administrator
