"""Fixtures of recruitment, imported by the recruitment test modules.

- ``recruitment_lead``: the ``regulator`` (a CQC decision-maker, who keeps the expert registry), made the case's
  accountable expert-recruitment lead; the ``oversight_lead`` is made its investigation lead, so they manage the
  review but may not vet.
- ``campaign``: open on ``case`` for two obstetricians and a midwife, closing in 30 days.
- ``submit(campaign, **overrides)``: an application from the public, valid unless overridden.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Organisation, User
from failure_regime.models import Area, Case
from failure_regime.services.accountability import lead_hand_over
from reviews.models import Application, Campaign, Regulator, Seniority, Specialty
from reviews.services.recruitment import CHECKS, Need, application_check, application_submit, campaign_open

PASSWORD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def recruitment_lead(
    case: Case, regulator: User, oversight_lead: User, cqc: Organisation, monitor: Organisation
) -> User:
    lead_hand_over(
        actor=regulator,
        case=case,
        area=Area.EXPERT_RECRUITMENT,
        lead=regulator,
        organisation=cqc,
        reason="Named by the parties.",
    )
    lead_hand_over(
        actor=regulator,
        case=case,
        area=Area.INVESTIGATION,
        lead=oversight_lead,
        organisation=monitor,
        reason="Named by the parties.",
    )
    return regulator


def open_campaign(case: Case, lead: User, **overrides: Any) -> Campaign:
    fields: dict[str, Any] = {
        "title": "Obstetricians and midwives to review maternity care",
        "description": "Review the notes of families harmed in maternity care from 2019 to 2024.",
        "closes_on": timezone.localdate() + datetime.timedelta(days=30),
        "needs": [Need("Obstetrics", 2), Need("Midwifery", 1)],
        **overrides,
    }
    return campaign_open(actor=lead, case=case, **fields)


@pytest.fixture
def campaign(case: Case, recruitment_lead: User) -> Campaign:
    return open_campaign(case, recruitment_lead)


def specialty(name: str) -> Specialty:
    return Specialty.objects.get(name=name)


def application_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Dr Alex Example",
        "email": "alex.example@example.org",
        "phone": "",
        "profession": "Obstetrician",
        "regulator": Regulator.GMC,
        "registration_number": "7654321",
        "specialties": [specialty("Obstetrics")],
        "seniority": Seniority.CONSULTANT,
        "current_employer": "Far Shire NHS Trust",
        "employment_history": "Consultant obstetrician, Far Shire NHS Trust, 2015 to date.",
        "interests": "",
        "no_other_interests": True,
        "sjr_trained_on": datetime.date(2023, 3, 1),
        "capacity_per_week": 4,
        "first_referee": "Dr Referee One, clinical director, one@example.org",
        "second_referee": "Ms Referee Two, head of midwifery, two@example.org",
        "information_true": True,
        "consent": True,
        **overrides,
    }


def submit(campaign: Campaign, **overrides: Any) -> Application:
    return application_submit(campaign=campaign, **application_fields(**overrides))


def vet(application: Application, lead: User) -> Application:
    return application_check(actor=lead, application=application, checks=dict.fromkeys(CHECKS, True))


@pytest.fixture
def application(campaign: Campaign) -> Application:
    return submit(campaign)


@pytest.fixture
def vetted(application: Application, recruitment_lead: User) -> Application:
    return vet(application, recruitment_lead)
