"""The registry's demo data: an active demo case with its leads, experts (one not independent) and appointments."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent, User
from failure_regime.demo import seed_demo
from failure_regime.models import Area, Case, CaseStatus
from reviews.demo import registry
from reviews.models import Appointment, AppointmentRole, Expert
from reviews.selectors.registry import lead_candidates
from reviews.selectors.team import is_recruitment_lead, is_review_manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_case() -> Case:
    seed_demo()
    registry.seed()
    return Case.objects.get(provider__ods_code="RDD")


# Seeding takes seconds, so each test checks one part of the demo rather than one assertion.


def test_the_demo_case_is_active_with_a_lead_from_a_party_for_every_area(demo_case: Case) -> None:
    investigation = demo_case.responsibilities.get(area=Area.INVESTIGATION)
    assert demo_case.status == CaseStatus.ACTIVE
    assert not demo_case.responsibilities.filter(lead__isnull=True).exists()
    assert demo_case.parties.filter(organisation=investigation.lead_organisation).exists()


def test_the_demo_review_is_run_by_the_chair_and_monitor_with_five_reviewers(demo_case: Case) -> None:
    reviewers = Appointment.objects.filter(case=demo_case, role=AppointmentRole.EXPERT_REVIEWER)
    assert is_review_manager(user=User.objects.get(email="review.chair@nhs-england.example"), case=demo_case)
    assert is_recruitment_lead(user=User.objects.get(email="oversight.lead@monitor.example"), case=demo_case)
    assert set(reviewers.values_list("expert__user__email", flat=True)) >= {"expert.reviewer@nhs-england.example"}
    assert reviewers.filter(expert__user__isnull=False).count() == 5


def test_the_former_basildon_clinician_is_not_a_candidate(demo_case: Case) -> None:
    webb = Expert.objects.get(name="Dr Marcus Webb")
    assert len(Expert.objects.all()) == 13
    assert webb not in lead_candidates(case=demo_case)


def test_running_it_again_changes_nothing(demo_case: Case) -> None:
    events = AuditEvent.objects.count()
    seed_demo()
    registry.seed()
    assert AuditEvent.objects.count() == events
