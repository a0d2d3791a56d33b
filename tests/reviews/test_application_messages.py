"""The public expert application says what each missing answer needs, and where to read how its answers are used."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from reviews.models import Campaign
from tests.reviews import recruitment_fixtures as fixtures

pytestmark = pytest.mark.django_db

# An open campaign on ``case`` for obstetricians and a midwife, and the lead who opened it.
campaign, recruitment_lead = fixtures.campaign, fixtures.recruitment_lead


def apply_url(of: Campaign) -> str:
    return reverse("reviews:apply", args=[of.pk])


EMPTY = {"phone": ""}  # sent with every answer empty

MESSAGES = [
    "Enter your full name",
    "Enter your e-mail address",
    "Enter your profession",
    "Choose who regulates your profession",
    "Choose at least one of the specialties this review needs",
    "Choose how senior you are",
    "Enter your current employer, or say that you are retired or self-employed",
    "Enter how many cases you could review each week",
    "Enter your first referee&#x27;s name, role and contact details",
    "Agree to the use of your information to apply",
]


def test_it_says_what_each_empty_answer_needs(client: Client, campaign: Campaign) -> None:
    page = client.post(apply_url(campaign), EMPTY).content.decode()
    assert [message for message in MESSAGES if message not in page] == []


def test_it_never_says_only_that_a_field_is_required(client: Client, campaign: Campaign) -> None:
    assert "This field is required." not in client.post(apply_url(campaign), EMPTY).content.decode()


def test_it_links_the_privacy_notice_before_the_button(client: Client, campaign: Campaign) -> None:
    page = client.get(apply_url(campaign)).content.decode()
    assert page.index(reverse("public:privacy")) < page.index("Send the application")
