"""Which enquiries were linked to a case shows on its timeline only to those who may see the enquiries (family
liaison officers whose lists show them), not to every party of the case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Organisation, User
from communications.models import Enquiry, EnquiryCategory, Urgency
from communications.services.enquiries import enquiry_receive, enquiry_triage
from communications.verbs import CommunicationsVerb
from communications.workdays import LONDON
from failure_regime.models import Case
from failure_regime.selectors import case_timeline

pytestmark = pytest.mark.django_db

LINKED = CommunicationsVerb.ENQUIRY_LINKED_TO_CASE


@pytest.fixture
def linked(family_support_case: Case, provider: Organisation, liaison_officer: User) -> Enquiry:
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=LONDON), tick=False):
        enquiry = enquiry_receive(
            provider=provider,
            name="Alex Example",
            relation="family",
            worry="My mother was left without pain relief.",
            contact_method="email",
            email="alex@example.org",
            consent=True,
        )
    return enquiry_triage(
        actor=liaison_officer,
        enquiry=enquiry,
        category=EnquiryCategory.INFORMATION,
        urgency=Urgency.ROUTINE,
        case=family_support_case,
    )


def verbs_for(user: User, case: Case) -> list[str]:
    return [event.verb for event in case_timeline(case=case, user=user)]


def test_it_shows_the_link_to_the_family_liaison_officer(
    linked: Enquiry, family_support_case: Case, liaison_officer: User
) -> None:
    assert LINKED in verbs_for(liaison_officer, family_support_case)


def test_it_hides_the_link_from_a_trust_manager(
    linked: Enquiry, family_support_case: Case, trust_manager: User
) -> None:
    verbs = verbs_for(trust_manager, family_support_case)
    assert LINKED not in verbs and verbs  # the rest of the timeline is still shown


def test_it_hides_the_link_from_a_family_liaison_officer_elsewhere(
    linked: Enquiry, family_support_case: Case, other_liaison_officer: User
) -> None:
    assert LINKED not in verbs_for(other_liaison_officer, family_support_case)


def test_the_case_page_hides_the_link_from_a_trust_manager(
    linked: Enquiry, family_support_case: Case, trust_manager: User, client_for: Callable[[User], Client]
) -> None:
    page = client_for(trust_manager).get(reverse("regime:case-detail", args=[family_support_case.pk]))
    assert page.status_code == 200
    assert LINKED not in [event.verb for event, _ in page.context["timeline"]]


def test_the_api_timeline_hides_the_link_from_a_trust_manager(
    linked: Enquiry, family_support_case: Case, trust_manager: User, api_client_for: Callable[[User], APIClient]
) -> None:
    response = api_client_for(trust_manager).get(f"/api/v1/cases/{family_support_case.pk}/timeline/")
    assert response.status_code == 200
    assert LINKED not in [event["verb"] for event in response.json()["results"]]
