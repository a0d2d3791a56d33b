"""A provider reports a concern about itself: it sees what it reported and never what others raised about it, and
CQC and its oversight body assess it (an immediate one on the clock)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Organisation, User
from failure_regime import selectors
from failure_regime.models import Concern, ConcernSource, Deadline, DeadlineKind, Severity
from failure_regime.services.clock import deadlines_mine_q, deadlines_of
from failure_regime.services.concern_steps import concern_assess
from failure_regime.services.concerns import concern_raise, concern_report_own

ClientFor = Callable[[User], Client]
ApiFor = Callable[[User], APIClient]


def _report(manager: User, provider: Organisation, severity: str = Severity.ROUTINE) -> Concern:
    return concern_report_own(
        actor=manager, organisation=provider, summary="Two never events in theatres this month.", severity=severity
    )


def test_the_provider_sees_its_own_report_and_not_others_concerns(
    trust_manager: User, provider: Organisation, concern: Concern
) -> None:
    """``concern`` was raised by CQC about the same provider, and may come from a whistleblower."""
    own = _report(trust_manager, provider)
    assert (own.source, own.provider, own.raised_by_organisation) == (ConcernSource.PROVIDER_REPORT, provider, provider)
    assert list(selectors.concern_list_for_user(user=trust_manager)) == [own]


def test_cqc_and_the_oversight_body_see_and_assess_it(
    trust_manager: User, provider: Organisation, inspector: User, oversight_lead: User
) -> None:
    own = _report(trust_manager, provider)
    assert own in selectors.concern_list_for_user(user=inspector)
    assert own in selectors.concern_list_for_user(user=oversight_lead)
    concern_assess(actor=oversight_lead, concern=own, reasons="The trust's own investigation is under way.")
    with pytest.raises(PermissionDenied):
        concern_assess(actor=trust_manager, concern=Concern.objects.get(pk=own.pk), reasons="We looked.")


def test_only_its_own_managers_report_and_only_about_it(
    trust_manager: User, other_trust_manager: User, provider: Organisation, inspector: User, cqc: Organisation
) -> None:
    with pytest.raises(PermissionDenied):
        _report(other_trust_manager, provider)
    with pytest.raises(PermissionDenied):
        concern_report_own(actor=inspector, organisation=cqc, summary="Not a provider.")
    with pytest.raises(ValidationError) as error:
        concern_report_own(actor=trust_manager, organisation=provider, summary="  ")
    assert "summary" in error.value.message_dict
    assert not Concern.objects.exists()


def test_staff_cannot_record_a_report_as_the_providers(
    inspector: User, cqc: Organisation, provider: Organisation
) -> None:
    with pytest.raises(ValidationError) as error:
        concern_raise(
            actor=inspector, organisation=cqc, provider=provider, source=ConcernSource.PROVIDER_REPORT, summary="x"
        )
    assert "source" in error.value.message_dict


def test_an_immediate_report_reaches_cqc_and_the_oversight_body_on_the_clock(
    trust_manager: User, provider: Organisation, inspector: User, regulator: User, oversight_lead: User, national: User
) -> None:
    own = _report(trust_manager, provider, Severity.IMMEDIATE)
    deadline = Deadline.objects.get(kind=DeadlineKind.CONCERN_ASSESSMENT, subject_id=own.pk)
    deadlines = Deadline.objects.filter(pk=deadline.pk)
    for moment, expected in (
        (timezone.now(), {inspector, regulator, oversight_lead}),
        (deadline.due_at + timedelta(hours=1), {inspector, regulator, oversight_lead, national}),
    ):
        with time_machine.travel(moment, tick=False):
            for user in (trust_manager, inspector, regulator, oversight_lead, national):
                by_resolver = bool(deadlines_of(user=user, deadlines=deadlines))
                by_query = deadlines.filter(deadlines_mine_q(user=user, kinds=[deadline.kind], now=moment)).exists()
                assert by_resolver == by_query == (user in expected), user.email


def test_the_page_and_the_api(
    client_for: ClientFor, api_client_for: ApiFor, trust_manager: User, inspector: User, provider: Organisation
) -> None:
    page = client_for(trust_manager)
    assert "Report a concern about your organisation" in page.get(reverse("regime:concern-list")).content.decode()
    refused = page.post(reverse("regime:concern-report"), {"severity": "routine", "summary": ""})
    assert refused.status_code == 400 and "Enter what the concern is" in refused.content.decode()
    sent = page.post(reverse("regime:concern-report"), {"severity": "routine", "summary": "Theatre lists overrun."})
    assert sent.status_code == 302
    assert page.get(sent["Location"]).status_code == 200
    assert client_for(inspector).get(reverse("regime:concern-report")).status_code == 403

    reported = api_client_for(trust_manager).post(
        "/api/v1/concerns/report-own/", {"summary": "Staffing below safe levels."}, format="json"
    )
    assert reported.status_code == 201 and reported.json()["source"] == ConcernSource.PROVIDER_REPORT
    assert (
        api_client_for(inspector).post("/api/v1/concerns/report-own/", {"summary": "x"}, format="json").status_code
        == 403
    )
    assert Concern.objects.filter(provider=provider, source=ConcernSource.PROVIDER_REPORT).count() == 2
