"""A family liaison officer raises a concern about the provider from a public enquiry: the two are linked both ways,
and the family's details stay with the enquiry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import AuditEvent, Organisation, Role, User
from communications.models import Enquiry
from communications.services.enquiries import enquiry_close, enquiry_raise_concern
from failure_regime import selectors
from failure_regime.models import Concern, ConcernSource, Deadline, DeadlineKind, Severity
from failure_regime.services.clock import deadlines_of
from tests.communications import test_handoffs as handoffs
from tests.factories import member

ClientFor = Callable[[User], Client]
ApiFor = Callable[[User], APIClient]
SUMMARY = "Patients on the maternity ward are left without pain relief for many hours."


def receive(**overrides: Any) -> Enquiry:
    """``test_handoffs.receive``, from a sender who also gave a telephone number."""
    return handoffs.receive(phone="07700 900123", **overrides)


@pytest.fixture
def triage_officer(nhs_england: Organisation) -> User:
    """A family liaison officer at NHS England, the national triage organisation."""
    return member(nhs_england, Role.FAMILY_LIAISON_OFFICER, full_name="Nadia Triage")


@pytest.fixture
def enquiry(provider: Organisation, triage_officer: User) -> Enquiry:
    """An enquiry about ``provider``, in the national queue: no case leads its family support yet, and its oversight
    body has no family liaison officers."""
    return receive(provider=provider)


def test_the_officer_raises_a_concern_linked_both_ways(
    enquiry: Enquiry, triage_officer: User, provider: Organisation
) -> None:
    concern = enquiry_raise_concern(actor=triage_officer, enquiry=enquiry, summary=SUMMARY)
    assert (concern.source, concern.provider, concern.summary) == (ConcernSource.PUBLIC_ENQUIRY, provider, SUMMARY)
    assert Enquiry.objects.get(pk=enquiry.pk).concern == concern
    assert Concern.objects.get(pk=concern.pk).enquiry == enquiry
    event = AuditEvent.objects.get(verb="enquiry.raised_as_concern")
    assert event.after["concern"] == concern.pk and "Alex" not in str(event.after)


@pytest.mark.parametrize(
    "summary",
    [
        "Alex Example says her mother was left in pain.",
        "Write to alex@example.org about the ward.",
        "Ring her daughter on 07700900123.",
        "The patient's NHS number is 943 476 5919.",
        "The patient, born 12/03/1950, was left in pain.",
    ],
)
def test_a_summary_holding_the_familys_details_is_refused(enquiry: Enquiry, triage_officer: User, summary: str) -> None:
    with pytest.raises(ValidationError) as error:
        enquiry_raise_concern(actor=triage_officer, enquiry=enquiry, summary=summary)
    assert "summary" in error.value.message_dict
    assert not Concern.objects.exists() and Enquiry.objects.get(pk=enquiry.pk).concern is None


def test_once_per_enquiry_and_not_once_closed(enquiry: Enquiry, triage_officer: User, provider: Organisation) -> None:
    enquiry_raise_concern(actor=triage_officer, enquiry=enquiry, summary=SUMMARY)
    with pytest.raises(ConflictError):
        enquiry_raise_concern(actor=triage_officer, enquiry=enquiry, summary=SUMMARY)
    closed = receive(provider=provider)
    enquiry_close(actor=triage_officer, enquiry=closed, reason="The family have the answer they needed.")
    with pytest.raises(TransitionNotAllowed):
        enquiry_raise_concern(actor=triage_officer, enquiry=closed, summary=SUMMARY)
    assert Concern.objects.count() == 1


def test_only_the_officers_handling_it_may(enquiry: Enquiry, other_liaison_officer: User, inspector: User) -> None:
    for outsider in (other_liaison_officer, inspector):
        with pytest.raises(PermissionDenied):
            enquiry_raise_concern(actor=outsider, enquiry=enquiry, summary=SUMMARY)
    assert not Concern.objects.exists()


def test_an_immediate_one_reaches_cqc_and_the_oversight_body(
    enquiry: Enquiry, triage_officer: User, inspector: User, oversight_lead: User, trust_manager: User
) -> None:
    """Raised from an enquiry, it is assessed by CQC and the provider's oversight body, not by the national triage
    team that raised it."""
    concern = enquiry_raise_concern(actor=triage_officer, enquiry=enquiry, summary=SUMMARY, severity=Severity.IMMEDIATE)
    deadlines = Deadline.objects.filter(kind=DeadlineKind.CONCERN_ASSESSMENT, subject_id=concern.pk)
    assert deadlines.exists()
    assert deadlines_of(user=inspector, deadlines=deadlines) and deadlines_of(user=oversight_lead, deadlines=deadlines)
    assert not deadlines_of(user=triage_officer, deadlines=deadlines)
    assert not deadlines_of(user=trust_manager, deadlines=deadlines)
    assert concern in selectors.concern_list_for_user(user=inspector)


def test_the_pages_link_each_to_the_other(
    client_for: ClientFor, enquiry: Enquiry, triage_officer: User, inspector: User, other_liaison_officer: User
) -> None:
    url = reverse("communications:enquiry-raise-concern", args=[enquiry.pk])
    page = client_for(triage_officer)
    refused = page.post(url, {"concern-summary": "Alex Example is worried.", "concern-severity": "routine"})
    assert refused.status_code == 400 and "name and contact details" in refused.content.decode()
    assert page.post(url, {"concern-summary": SUMMARY, "concern-severity": "routine"}).status_code == 302
    concern = Concern.objects.get()
    detail = page.get(reverse("communications:enquiry-detail", args=[enquiry.pk])).content.decode()
    assert reverse("regime:concern-detail", args=[concern.pk]) in detail and "Raise the concern" not in detail
    concern_page = client_for(inspector).get(reverse("regime:concern-detail", args=[concern.pk])).content.decode()
    assert f"enquiry {enquiry.reference}" in concern_page and "alex@example.org" not in concern_page
    assert client_for(other_liaison_officer).post(url, {"concern-summary": SUMMARY}).status_code == 404


def test_the_api_raises_it(api_client_for: ApiFor, enquiry: Enquiry, triage_officer: User) -> None:
    api = api_client_for(triage_officer)
    url = f"/api/v1/enquiries/{enquiry.pk}/concern/"
    refused = api.post(url, {"summary": "Write to alex@example.org."}, format="json")
    assert refused.status_code == 400 and "summary" in refused.json()["errors"]
    raised = api.post(url, {"summary": SUMMARY, "severity": "immediate"}, format="json")
    assert raised.status_code == 201 and raised.json()["concern"] == Concern.objects.get().pk
    assert api.post(url, {"summary": SUMMARY}, format="json").status_code == 409
