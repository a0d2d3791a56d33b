"""An immediate concern is assessed within a set time of being recorded: its assessors are reminded, national
oversight hears when the time runs out, and assessing it or proposing a case from it stops the clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind, Role, User
from failure_regime.models import Concern, ConcernSource, Deadline, DeadlineKind, OutboxMessage, Severity
from failure_regime.services.clock import deadline_sweep
from failure_regime.services.concern_steps import concern_assess
from failure_regime.services.concerns import concern_raise
from failure_regime.work import work_for_user
from failure_regime.work_sources import DEADLINES
from tests.factories import OrganisationFactory, member, sole_organisation
from tests.failure_regime.conftest import propose

pytestmark = pytest.mark.django_db


def _raise(inspector: User, provider: Organisation, severity: str = Severity.IMMEDIATE) -> Concern:
    return concern_raise(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=provider,
        source=ConcernSource.WHISTLEBLOWING,
        summary="Patients in the emergency department are not checked for hours.",
        severity=severity,
    )


def _clock(concern: Concern) -> Deadline:
    return Deadline.objects.get(kind=DeadlineKind.CONCERN_ASSESSMENT, subject_id=concern.pk)


def _sweep_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        deadline_sweep()


def _mailed(subject: str) -> set[str]:
    return set(OutboxMessage.objects.filter(subject__startswith=subject).values_list("to", flat=True))


def test_an_immediate_concern_is_to_be_assessed_within_the_set_hours(inspector: User, provider: Organisation) -> None:
    concern = _raise(inspector, provider)
    assert _clock(concern).due_at == concern.raised_at + timedelta(hours=24)
    routine = _raise(inspector, provider, Severity.ROUTINE)
    assert not Deadline.objects.filter(subject_id=routine.pk, kind=DeadlineKind.CONCERN_ASSESSMENT).exists()


@override_settings(IMMEDIATE_CONCERN_ASSESSMENT_HOURS=4)
def test_the_time_is_a_setting(inspector: User, provider: Organisation) -> None:
    concern = _raise(inspector, provider)
    assert _clock(concern).due_at == concern.raised_at + timedelta(hours=4)


def test_the_assessors_are_reminded_and_national_oversight_hears_when_it_is_missed(
    inspector: User, regulator: User, oversight_lead: User, national: User, provider: Organisation, cqc: Organisation
) -> None:
    concern = _raise(inspector, provider)
    due = _clock(concern).due_at
    _sweep_at(due - timedelta(hours=5))
    assert _mailed("Reminder") == set()
    _sweep_at(due - timedelta(hours=3))
    # CQC recorded it: its inspectors and decision-makers assess it; Monitor and national oversight are not chased.
    assert _mailed("Reminder") == {inspector.email, regulator.email}
    _sweep_at(due + timedelta(minutes=5))
    _sweep_at(due + timedelta(hours=3))
    assert _mailed("Overdue") == {inspector.email, regulator.email, national.email}
    assert OutboxMessage.objects.filter(to=national.email).count() == 1


def test_assessing_it_stops_the_clock(inspector: User, national: User, provider: Organisation) -> None:
    concern = _raise(inspector, provider)
    due = _clock(concern).due_at
    concern_assess(actor=inspector, concern=concern, reasons="Checked the triage logs: the report is borne out.")
    assert _clock(concern).met_at is not None
    _sweep_at(due + timedelta(hours=1))
    assert not OutboxMessage.objects.exists()


def test_a_case_proposed_from_it_stops_the_clock(inspector: User, regulator: User, provider: Organisation) -> None:
    concern = _raise(inspector, provider)
    propose(regulator, provider, concern)
    assert _clock(concern).met_at is not None


def test_it_is_on_the_home_page_of_those_who_assess_it(
    client_for, inspector: User, oversight_lead: User, national: User, provider: Organisation
) -> None:
    """Its assessors find it among their deadlines, linked to the concern; national oversight once it is missed."""
    concern = _raise(inspector, provider)
    listed = [item for item in work_for_user(user=inspector) if item.group == DEADLINES]
    assert [item.url for item in listed] == [reverse("regime:concern-detail", args=[concern.pk])]
    assert not [item for item in work_for_user(user=oversight_lead) if item.group == DEADLINES]
    assert not [item for item in work_for_user(user=national) if item.group == DEADLINES]
    with time_machine.travel(_clock(concern).due_at + timedelta(hours=1), tick=False):
        overdue = [item for item in work_for_user(user=national) if item.group == DEADLINES]
        assert len(overdue) == 1 and overdue[0].overdue
    # An inspector at another regulator is not asked about CQC's.
    elsewhere = OrganisationFactory.create(name="Another Regulator", ods_code="REG2", kind=OrganisationKind.REGULATOR)
    assert not [item for item in work_for_user(user=member(elsewhere, Role.INSPECTOR)) if item.group == DEADLINES]
    page = client_for(inspector).get(reverse("regime:deadline-list")).content.decode()
    assert "Assess the immediate concern about" in page
    assert timezone.now() < _clock(concern).due_at
