"""The demo support directory and enquiries: fictional, complete, and added once."""

from __future__ import annotations

import pytest

from accounts.models import Organisation, User
from communications.demo import enquiries as demo_enquiries
from communications.demo import support as demo_support
from communications.models import Enquiry, SupportService
from failure_regime.demo import seed_demo
from failure_regime.models import Area, Case
from failure_regime.services.accountability import lead_hand_over

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db: None) -> Case:
    """The regime's demo, with the trust's family liaison officer leading family support on its case (as the
    reviews demo makes it)."""
    seed_demo()
    case = Case.objects.get(provider__ods_code="RDD")
    lead_hand_over(
        actor=User.objects.get(email="decision.maker@cqc.example"),
        case=case,
        area=Area.FAMILY_SUPPORT,
        lead=User.objects.get(email="family.liaison@basildon.example"),
        organisation=Organisation.objects.get(ods_code="RDD"),
        reason="Leads the trust's family liaison team",
    )
    return case


def test_the_demo_directory_has_eight_services(demo: Case) -> None:
    demo_support.seed()
    assert SupportService.objects.count() == 8


def test_the_demo_directory_uses_fictional_numbers_and_addresses(demo: Case) -> None:
    demo_support.seed()
    for service in SupportService.objects.all():
        assert service.phone == "" or service.phone.startswith(("01632 960", "0808 157 0"))
        assert service.website == "" or service.website.endswith(".example.org")


def test_the_demo_case_offers_support(demo: Case) -> None:
    demo_support.seed()
    assert demo.support_services.count() == 6


def test_the_demo_enquiries_are_in_every_state(demo: Case) -> None:
    demo_support.seed()
    demo_enquiries.seed()
    assert set(Enquiry.objects.values_list("status", flat=True)) == {"new", "triaged", "responded", "closed"}


def test_seeding_twice_adds_nothing(demo: Case) -> None:
    for _ in range(2):
        demo_support.seed()
        demo_enquiries.seed()
    assert (SupportService.objects.count(), Enquiry.objects.count()) == (8, 7)
