"""An enquiry's staff page, the contact form's answer and its thank-you page are never kept by a browser or a
shared cache: they show what a member of the public wrote."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation, User
from communications.services.enquiries import enquiry_receive
from failure_regime.models import Case

pytestmark = pytest.mark.django_db


def test_it_keeps_an_enquiry_page_out_of_caches(
    family_support_case: Case, provider: Organisation, liaison_officer: User, client_for: Callable[[User], Client]
) -> None:
    enquiry = enquiry_receive(
        provider=provider,
        name="Alex Example",
        relation="family",
        worry="My mother was left without pain relief.",
        contact_method="email",
        email="alex@example.org",
        consent=True,
    )
    response = client_for(liaison_officer).get(reverse("communications:enquiry-detail", args=[enquiry.pk]))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_it_keeps_the_thank_you_page_out_of_caches(client: Client, provider: Organisation) -> None:
    form = {
        "name": "Alex Example",
        "relation": "family",
        "provider_name": provider.ods_code,
        "worry": "My mother was left without pain relief for a day on the maternity ward.",
        "contact_method": "email",
        "email": "alex@example.org",
        "consent": "on",
    }
    response = client.post(reverse("communications:enquiry-new"), form, follow=True)
    assert response.redirect_chain and "/contact-us/sent/" in response.redirect_chain[-1][0]
    assert "no-store" in response["Cache-Control"] and response["Pragma"] == "no-cache"
