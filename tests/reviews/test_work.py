"""Reviews' work on the staff home page: the reviewer's assigned reviews with their progress, and for the people
who run a review, applications to vet and patients waiting for a reviewer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Organisation, Role, User
from failure_regime.work import WorkItem, work_for_user
from reviews.models import Application, AppointmentRole, Assignment, CohortPatient, Expert
from reviews.services.registry import appointment_make
from reviews.work import REVIEWS, TO_ASSIGN, VETTING
from tests.factories import member
from tests.reviews import judgement_fixtures as judgement
from tests.reviews.conftest import MakeExpert
from tests.reviews.judgement_fixtures import *  # noqa: F403
from tests.reviews.judgement_fixtures import Assign, MakePatient
from tests.reviews.recruitment_fixtures import application, campaign, recruitment_lead  # noqa: F401

pytestmark = pytest.mark.django_db


def items_in(user: User, group: str) -> list[WorkItem]:
    return [item for item in work_for_user(user=user) if item.group == group]


@pytest.fixture
def two_assigned(assign: Assign, make_patient: MakePatient, reviewer_expert: Expert) -> list[Assignment]:
    return [assign(make_patient(), reviewer_expert), assign(make_patient(), reviewer_expert)]


def test_it_shows_the_reviewer_their_progress(two_assigned: list[Assignment], reviewer: User) -> None:
    judgement.submit(two_assigned[0])
    [item] = items_in(reviewer, REVIEWS)
    assert item.progress == "1 of 2 submitted"


def test_it_opens_the_next_review_to_do(two_assigned: list[Assignment], reviewer: User) -> None:
    judgement.submit(two_assigned[0])
    [item] = items_in(reviewer, REVIEWS)
    assert item.url == reverse("reviews:judgement", args=[two_assigned[1].pk])


def test_it_shows_nothing_once_every_review_is_submitted(two_assigned: list[Assignment], reviewer: User) -> None:
    for assignment in two_assigned:
        judgement.submit(assignment)
    assert items_in(reviewer, REVIEWS) == []


def test_it_shows_another_reviewer_only_their_own_reviews(
    two_assigned: list[Assignment], second_assignment: Assignment, second_reviewer: User
) -> None:
    [item] = items_in(second_reviewer, REVIEWS)
    assert (item.progress, item.url) == ("0 of 1 submitted", reverse("reviews:judgement", args=[second_assignment.pk]))


def test_it_labels_the_reviews_with_the_reviewers_role(two_assigned: list[Assignment], reviewer: User) -> None:
    [item] = items_in(reviewer, REVIEWS)
    assert item.organisation == "NHS England, expert reviewer"


def test_it_shows_the_recruitment_lead_the_applications_to_vet(
    application: Application,  # noqa: F811
    recruitment_lead: User,  # noqa: F811
) -> None:
    [item] = items_in(recruitment_lead, VETTING)
    assert (item.title, item.url) == (
        f"{application.campaign.title}: 1 application to vet",
        reverse("reviews:campaign-detail", args=[application.campaign_id]),
    )


def test_it_shows_the_investigation_lead_no_application_to_vet(
    application: Application,  # noqa: F811
    oversight_lead: User,
) -> None:
    assert items_in(oversight_lead, VETTING) == []


def test_it_shows_the_review_manager_the_patients_waiting(lead: User, patient: CohortPatient) -> None:
    [item] = items_in(lead, TO_ASSIGN)
    assert (item.title, item.url) == (
        f"{patient.cohort.case.reference}: 1 patient waiting for a reviewer",
        reverse("reviews:cohort", args=[patient.cohort.case_id]),
    )


def test_it_shows_a_reviewer_no_patients_to_assign(patient: CohortPatient, reviewer: User) -> None:
    assert items_in(reviewer, TO_ASSIGN) == []


def test_it_shows_the_appointed_review_chair_the_patients_waiting(
    patient: CohortPatient, make_expert: MakeExpert, regulator: User, nhs_england: Organisation
) -> None:
    chair = member(nhs_england, Role.REVIEW_CHAIR, full_name="Rosa Chair")
    expert = make_expert(name="Prof Rosa Chair", user=chair)
    appointment_make(
        actor=regulator,
        case=patient.cohort.case,
        expert=expert,
        role=AppointmentRole.REVIEW_CHAIR,
        declaration="I have no conflict of interest.",
    )
    [item] = items_in(chair, TO_ASSIGN)
    assert item.organisation == "NHS England, review chair"
