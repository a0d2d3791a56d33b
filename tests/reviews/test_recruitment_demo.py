"""The recruitment demo data: an open campaign on the demo case once it has an expert-recruitment lead."""

from __future__ import annotations

import pytest

from accounts.models import Organisation, User
from failure_regime.demo import seed_demo
from failure_regime.models import Area, Case
from failure_regime.services.accountability import lead_hand_over
from reviews.demo.recruitment import seed
from reviews.models import Application, Campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_case() -> Case:
    seed_demo()
    return Case.objects.get(provider__ods_code="RDD")


@pytest.fixture
def with_lead(demo_case: Case) -> Case:
    decision_maker = User.objects.get(email="decision.maker@cqc.example")
    lead_hand_over(
        actor=decision_maker,
        case=demo_case,
        area=Area.EXPERT_RECRUITMENT,
        lead=decision_maker,
        organisation=Organisation.objects.get(ods_code="CQC"),
        reason="Demo.",
    )
    return demo_case


def test_without_a_recruitment_lead_it_adds_nothing(demo_case: Case) -> None:
    seed()
    assert not Campaign.objects.exists()


def test_it_opens_a_campaign_with_applications_in_every_state(with_lead: Case) -> None:
    seed()
    statuses = sorted(Application.objects.filter(campaign__case=with_lead).values_list("status", flat=True))
    assert statuses == ["approved", "rejected", "submitted", "submitted"]


def test_running_it_twice_changes_nothing(with_lead: Case) -> None:
    seed()
    seed()
    assert (Campaign.objects.count(), Application.objects.count()) == (1, 4)
