"""The whole demo, as ``make run`` loads it: every enquiry reaches a demo user who can act on it, a new message about
"Basildon Hospital" reaches Basildon's family liaison officer, and the family's request for a review waits on the
demo review chair."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts.models import User
from communications.models import ContactMethod, Enquiry, Relation
from communications.selectors.enquiries import enquiry_may_act, enquiry_queue
from communications.services.enquiries import enquiry_receive
from reviews.selectors.requests import review_request_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db: None) -> None:
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=StringIO())


def reaches(email: str, enquiry: Enquiry) -> bool:
    user = User.objects.get(email=email)
    return enquiry_queue(user=user).filter(pk=enquiry.pk).exists() and enquiry_may_act(user=user, enquiry=enquiry)


def test_it_a_new_message_about_basildon_hospital_reaches_basildons_family_liaison_officer(demo: None) -> None:
    enquiry = enquiry_receive(
        name="Sam Sender",
        relation=Relation.FAMILY,
        provider_name="Basildon Hospital",
        worry="My father was left on a trolley overnight.",
        contact_method=ContactMethod.EMAIL,
        email="sam@example.org",
        consent=True,
    )
    assert reaches("family.liaison@basildon.example", enquiry)


def test_it_every_demo_enquiry_reaches_a_demo_user_who_can_act_on_it(demo: None) -> None:
    people = list(User.objects.filter(is_active=True))
    orphans = [
        e.reference
        for e in Enquiry.objects.all()
        if not any(
            enquiry_queue(user=p).filter(pk=e.pk).exists() and enquiry_may_act(user=p, enquiry=e) for p in people
        )
    ]
    assert Enquiry.objects.count() >= 7 and orphans == []


def test_it_the_demo_review_chair_has_the_familys_request_waiting(demo: None) -> None:
    chair = User.objects.get(email="review.chair@nhs-england.example")
    assert review_request_queue(user=chair).count() == 1
