"""Recruitment reads: progress against what is needed, the campaigns the public sees, and who sees what."""

# The fixtures are imported by name from the recruitment fixtures, so test arguments share their names.
# ruff: noqa: F811

from __future__ import annotations

import datetime

import pytest

from accounts.models import User
from failure_regime.models import Case
from reviews.models import Appointment, AppointmentRole, Campaign
from reviews.selectors.recruitment import (
    application_list_for_user,
    campaign_list_for_case,
    campaign_list_for_user,
    open_campaigns,
)
from reviews.services import appointment_make
from reviews.services.recruitment import application_approve, application_reject, campaign_close
from tests.reviews.recruitment_fixtures import (  # noqa: F401
    application,
    campaign,
    open_campaign,
    recruitment_lead,
    specialty,
    submit,
    vet,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def progressed(campaign: Campaign, recruitment_lead: User, regulator: User, case: Case) -> Campaign:
    """Four obstetricians: one waiting, one vetted, one rejected after vetting, one approved and appointed."""
    submit(campaign, email="waiting@example.org", registration_number="1000001")
    vet(submit(campaign, email="vetted@example.org", registration_number="1000002"), recruitment_lead)
    rejected = vet(submit(campaign, email="rejected@example.org", registration_number="1000003"), recruitment_lead)
    application_reject(actor=recruitment_lead, application=rejected, reason="Not independent.")
    approved = application_approve(
        actor=recruitment_lead,
        application=vet(
            submit(campaign, email="approved@example.org", registration_number="1000004"), recruitment_lead
        ),
        employer_started_on=datetime.date(2015, 1, 1),
    )
    assert approved.expert is not None
    appointment_make(
        actor=regulator,
        case=case,
        expert=approved.expert,
        role=AppointmentRole.EXPERT_REVIEWER,
        declaration="I am independent of the trust.",
    )
    return campaign


def obstetrics(case: Case) -> tuple[int, int, int, int, int]:
    [progress] = campaign_list_for_case(case=case)
    need = next(n for n in progress.needs if n.specialty.name == "Obstetrics")
    return (need.needed, need.applied, need.vetted, need.approved, need.appointed)


def test_progress_counts_applied_vetted_approved_and_appointed_against_needed(progressed: Campaign, case: Case) -> None:
    assert obstetrics(case) == (2, 4, 2, 1, 1)


def test_a_specialty_nobody_offered_shows_zeros(progressed: Campaign, case: Case) -> None:
    [progress] = campaign_list_for_case(case=case)
    midwifery = next(n for n in progress.needs if n.specialty.name == "Midwifery")
    assert (midwifery.needed, midwifery.applied, midwifery.appointed) == (1, 0, 0)


def test_an_ended_appointment_no_longer_counts(progressed: Campaign, case: Case, regulator: User) -> None:
    Appointment.objects.filter(case=case).update(
        ended_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC), ended_by=regulator, end_reason="Left."
    )
    assert obstetrics(case)[4] == 0


def test_an_application_offering_two_specialties_counts_in_both(campaign: Campaign, case: Case) -> None:
    submit(campaign, specialties=[specialty("Obstetrics"), specialty("Midwifery")])
    [progress] = campaign_list_for_case(case=case)
    assert [n.applied for n in progress.needs] == [1, 1]


def test_the_public_sees_only_campaigns_taking_applications(
    campaign: Campaign, recruitment_lead: User, case: Case
) -> None:
    closed = open_campaign(case, recruitment_lead, title="Closed early")
    campaign_close(actor=recruitment_lead, campaign=closed)
    assert list(open_campaigns()) == [campaign]


def test_someone_outside_the_review_sees_no_campaign(campaign: Campaign, inspector: User) -> None:
    assert not campaign_list_for_user(user=inspector).exists()


def test_someone_outside_the_review_sees_no_application(application: object, other_trust_manager: User) -> None:
    assert not application_list_for_user(user=other_trust_manager).exists()
