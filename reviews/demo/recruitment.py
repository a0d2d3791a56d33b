"""Demo data of recruitment: an open campaign on the demo case, with fictional applications waiting, part vetted,
approved (and invited) and turned down. It needs the case's expert-recruitment lead (set by the registry step);
without one it adds nothing. Running it again changes nothing."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from failure_regime.models import Area, Case, Responsibility
from reviews.models import Application, Campaign, Regulator, Seniority, Specialty
from reviews.services import recruitment

NEEDS = [
    recruitment.Need("Acute medicine", 3),
    recruitment.Need("Emergency medicine", 2),
    recruitment.Need("Adult nursing", 2),
]

# Fictional people: example.org addresses, and registration numbers in the right format that name no one.
APPLICANTS: list[dict[str, Any]] = [
    {
        "name": "Dr Priya Example",
        "email": "priya.example@example.org",
        "profession": "Consultant physician",
        "regulator": Regulator.GMC,
        "registration_number": "9100001",
        "specialties": ["Acute medicine"],
        "seniority": Seniority.CONSULTANT,
        "current_employer": "Northshire Teaching Hospitals (fictional)",
        "sjr_trained_on": datetime.date(2022, 5, 12),
        "checks": ["registration_checked", "references_checked", "interests_checked", "training_checked"],
        "decision": "approve",
    },
    {
        "name": "Dr Tom Sample",
        "email": "tom.sample@example.org",
        "profession": "Emergency medicine consultant",
        "regulator": Regulator.GMC,
        "registration_number": "9100002",
        "specialties": ["Emergency medicine"],
        "seniority": Seniority.CLINICAL_LEAD,
        "current_employer": "Westvale Hospital (fictional)",
        "sjr_trained_on": None,
        "checks": ["registration_checked", "references_checked"],
        "decision": "",
    },
    {
        "name": "Mo Placeholder",
        "email": "mo.placeholder@example.org",
        "profession": "Senior staff nurse",
        "regulator": Regulator.NMC,
        "registration_number": "91A0001Z",
        "specialties": ["Adult nursing"],
        "seniority": Seniority.SENIOR_PRACTITIONER,
        "current_employer": "Eastmoor Community Trust (fictional)",
        "sjr_trained_on": None,
        "checks": [],
        "decision": "",
    },
    {
        "name": "Dr Kim Dummy",
        "email": "kim.dummy@example.org",
        "profession": "Acute physician",
        "regulator": Regulator.GMC,
        "registration_number": "9100004",
        "specialties": ["Acute medicine", "Emergency medicine"],
        "seniority": Seniority.CONSULTANT,
        "current_employer": "Basildon and Thurrock University Hospitals (until last year)",
        "sjr_trained_on": datetime.date(2021, 11, 3),
        "checks": ["registration_checked", "interests_checked"],
        "decision": "reject",
    },
]


def _demo_case() -> Case | None:
    return Case.objects.filter(provider__ods_code="RDD").order_by("pk").first()


def _apply(campaign: Campaign, applicant: dict[str, Any]) -> Application:
    return recruitment.application_submit(
        campaign=campaign,
        name=applicant["name"],
        email=applicant["email"],
        profession=applicant["profession"],
        regulator=applicant["regulator"],
        registration_number=applicant["registration_number"],
        specialties=list(Specialty.objects.filter(name__in=applicant["specialties"])),
        seniority=applicant["seniority"],
        current_employer=applicant["current_employer"],
        employment_history=f"{applicant['profession']}, {applicant['current_employer']}, 2016 to date.",
        no_other_interests=True,
        sjr_trained_on=applicant["sjr_trained_on"],
        capacity_per_week=4,
        first_referee="Dr Ref Erence, clinical director (fictional), referee.one@example.org",
        second_referee="Ms Ref Two, head of nursing (fictional), referee.two@example.org",
        information_true=True,
        consent=True,
    )


@transaction.atomic
def seed() -> None:
    case = _demo_case()
    if case is None or Campaign.objects.filter(case=case).exists():
        return
    responsibility = Responsibility.objects.filter(case=case, area=Area.EXPERT_RECRUITMENT, lead__isnull=False).first()
    if responsibility is None or responsibility.lead is None:
        return
    lead = responsibility.lead
    campaign = recruitment.campaign_open(
        actor=lead,
        case=case,
        title="Doctors and nurses to look at the care of patients who died",
        description=(
            "We are looking at the care of patients who died after they came into Basildon University Hospital as "
            "an emergency. You would read patients' notes at home. You would score the care of each one in a set "
            "way (a structured judgement review). It takes about four hours a week for three months. We will "
            "train you."
        ),
        closes_on=timezone.localdate() + datetime.timedelta(days=28),
        needs=NEEDS,
    )
    for applicant in APPLICANTS:
        application = _apply(campaign, applicant)
        if applicant["checks"]:
            recruitment.application_check(
                actor=lead, application=application, checks=dict.fromkeys(applicant["checks"], True)
            )
        if applicant["decision"] == "reject":
            recruitment.application_reject(
                actor=lead,
                application=application,
                reason="Worked at the provider under review within the last five years.",
            )
        elif applicant["decision"] == "approve":
            try:
                with transaction.atomic():
                    recruitment.application_approve(
                        actor=lead, application=application, employer_started_on=datetime.date(2016, 4, 1)
                    )
            except (PermissionDenied, ValidationError):
                # A lead who cannot keep the registry, or a number the registry already holds: leave it vetted.
                pass
