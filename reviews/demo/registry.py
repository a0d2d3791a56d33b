"""Demo data of the registry: the demo case at Basildon taken through joint sign-off to active, with an accountable
lead for every area; thirteen fictional experts (one of them a recent Basildon employee, and so not independent);
expert records for the demo review chair and expert reviewer and for four more reviewers who can sign in; and the
chair and five reviewers appointed to the case with their declarations.

Every person, registration number and post is made up. Each step looks before it writes, so running it again
changes nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Organisation, Role, User
from failure_regime.demo import DEMO_PASSWORD, _demo_second_factor
from failure_regime.models import Area, Case, CaseStatus, Decision
from failure_regime.services.accountability import lead_hand_over
from failure_regime.services.cases import case_activate
from failure_regime.services.sign_off import sign_off_record
from reviews.models import Appointment, AppointmentRole, Expert, Regulator, Seniority, TrainingKind
from reviews.services.registry import (
    appointment_make,
    employment_add,
    expert_register,
    independence_declaration,
    training_record,
)

DEMO_CASE_TITLE = "Mortality and quality of emergency care"
REGISTRAR = "oversight.lead@monitor.example"  # keeps the registry and appoints, as Monitor's oversight lead

# Who leads each area of the demo case; all are members of a party (CQC, Monitor or the trust).
LEADS = [
    (Area.INVESTIGATION, "decision.maker@cqc.example", "CQC"),
    (Area.EXPERT_RECRUITMENT, "oversight.lead@monitor.example", "MON"),
    (Area.PUBLIC_COMMUNICATIONS, "communications@cqc.example", "CQC"),
    (Area.FAMILY_SUPPORT, "family.liaison@basildon.example", "RDD"),
    (Area.OVERSIGHT, "oversight.lead@monitor.example", "MON"),
]
SIGNATORIES = {
    "RDD": "sign.off@basildon.example",
    "CQC": "decision.maker@cqc.example",
    "MON": "oversight.lead@monitor.example",
}


@dataclass(frozen=True)
class DemoExpert:
    name: str
    profession: str
    regulator: str
    registration_number: str
    specialties: list[str]
    seniority: int
    employer: str
    employer_ods: str = ""
    since: datetime.date = datetime.date(2015, 9, 1)
    until: datetime.date | None = None
    capacity_per_week: int = 4
    available: bool = True
    sjr_trained: bool = False
    email: str = ""  # an account to link: a demo user, or a reviewer account made here
    role: str = ""  # the appointment on the demo case, if any
    extra_posts: list[tuple[str, str, datetime.date, datetime.date]] = field(default_factory=list)


def _years_ago(years: int) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28))


EXPERTS = [
    DemoExpert(
        "Rosa Chair",
        "Consultant physician",
        Regulator.GMC,
        "7100001",
        ["General medicine", "Acute medicine"],
        Seniority.NATIONAL_EXPERT,
        "Northshire Teaching Hospitals (fictional)",
        since=datetime.date(2008, 2, 1),
        capacity_per_week=2,
        sjr_trained=True,
        email="review.chair@nhs-england.example",
        role=AppointmentRole.REVIEW_CHAIR,
    ),
    DemoExpert(
        "Eli Reviewer",
        "Consultant in acute medicine",
        Regulator.GMC,
        "7100002",
        ["Acute medicine", "General medicine"],
        Seniority.CONSULTANT,
        "Colchester Hospital University NHS Foundation Trust",
        employer_ods="RDE",
        sjr_trained=True,
        email="expert.reviewer@nhs-england.example",
        role=AppointmentRole.EXPERT_REVIEWER,
    ),
    DemoExpert(
        "Dr Amara Osei",
        "Consultant in emergency medicine",
        Regulator.GMC,
        "7100003",
        ["Emergency medicine"],
        Seniority.CONSULTANT,
        "Medway NHS Foundation Trust",
        employer_ods="RPA",
        sjr_trained=True,
        email="amara.osei@nhs-england.example",
        role=AppointmentRole.EXPERT_REVIEWER,
    ),
    DemoExpert(
        "Dr Ben Hartley",
        "Consultant physician",
        Regulator.GMC,
        "7100004",
        ["Acute medicine"],
        Seniority.CLINICAL_LEAD,
        "Burton Hospitals NHS Foundation Trust",
        employer_ods="RJF",
        sjr_trained=True,
        email="ben.hartley@nhs-england.example",
        role=AppointmentRole.EXPERT_REVIEWER,
    ),
    DemoExpert(
        "Carys Morgan",
        "Advanced nurse practitioner, acute medicine",
        Regulator.NMC,
        "71A1004B",
        ["Acute medicine"],
        Seniority.SENIOR_PRACTITIONER,
        "The Dudley Group NHS Foundation Trust",
        employer_ods="RNA",
        sjr_trained=True,
        email="carys.morgan@nhs-england.example",
        role=AppointmentRole.EXPERT_REVIEWER,
    ),
    DemoExpert(
        "Dr Dan Fletcher",
        "Consultant in emergency medicine",
        Regulator.GMC,
        "7100006",
        ["Emergency medicine", "General medicine"],
        Seniority.CONSULTANT,
        "Tameside Hospital NHS Foundation Trust",
        employer_ods="RMP",
        sjr_trained=True,
        email="dan.fletcher@nhs-england.example",
        role=AppointmentRole.EXPERT_REVIEWER,
    ),
    DemoExpert(
        "Dr Marcus Webb",
        "Consultant in emergency medicine",
        Regulator.GMC,
        "7100007",
        ["Emergency medicine"],
        Seniority.CLINICAL_LEAD,
        "George Eliot Hospital NHS Trust",
        employer_ods="RLT",
        since=_years_ago(2),
        sjr_trained=True,
        # Clinical director at Basildon until two years ago: not independent of the demo case's provider.
        extra_posts=[
            (
                "Basildon and Thurrock University Hospitals NHS Foundation Trust",
                "RDD",
                datetime.date(2012, 4, 1),
                _years_ago(2),
            )
        ],
    ),
    DemoExpert(
        "Dr Helen Ashworth",
        "Consultant obstetrician",
        Regulator.GMC,
        "7100008",
        ["Obstetrics"],
        Seniority.CLINICAL_LEAD,
        "Westvale Hospital (fictional)",
    ),
    DemoExpert(
        "Grace Okafor",
        "Consultant midwife",
        Regulator.NMC,
        "71A1009C",
        ["Midwifery"],
        Seniority.CLINICAL_LEAD,
        "Eastmoor Community Trust (fictional)",
        sjr_trained=True,
    ),
    DemoExpert(
        "Dr Samuel Reid",
        "Consultant neonatologist",
        Regulator.GMC,
        "7100010",
        ["Neonatology"],
        Seniority.NATIONAL_EXPERT,
        "Northshire Teaching Hospitals (fictional)",
        capacity_per_week=1,
    ),
    DemoExpert(
        "Dr Priyanka Shah",
        "Consultant in intensive care medicine",
        Regulator.GMC,
        "7100011",
        ["Intensive care medicine", "Anaesthesia"],
        Seniority.CONSULTANT,
        "Blackpool Teaching Hospitals NHS Foundation Trust",
        employer_ods="RXL",
    ),
    DemoExpert(
        "Tom Ellis",
        "Paramedic",
        Regulator.HCPC,
        "PA71012",
        ["Emergency medicine"],
        Seniority.PRACTITIONER,
        "Eastmoor Ambulance Service (fictional)",
    ),
    DemoExpert(
        "Dr Lucy Grant",
        "Specialty doctor in general medicine",
        Regulator.GMC,
        "7100013",
        ["General medicine"],
        Seniority.SENIOR_PRACTITIONER,
        "Buckinghamshire Healthcare NHS Trust",
        employer_ods="RXQ",
        available=False,
    ),
]


def _user(email: str) -> User:
    return User.objects.get(email=email)


def _reviewer_account(demo: DemoExpert) -> User:
    """The account of a demo expert: a demo user already there, or a fictional expert reviewer at NHS England who
    signs in with the demo password and backup codes."""
    user = User.objects.filter(email=demo.email).first()
    if user is None:
        user = accounts.user_create(actor=None, email=demo.email, full_name=demo.name, password=DEMO_PASSWORD)
        accounts.membership_create(
            actor=None, user=user, organisation=Organisation.objects.get(ods_code="X24"), role=Role.EXPERT_REVIEWER
        )
    _demo_second_factor(user)
    return user


def _register(demo: DemoExpert, registrar: User) -> Expert:
    existing = Expert.objects.filter(regulator=demo.regulator, registration_number=demo.registration_number).first()
    if existing is not None:
        return existing
    account = _reviewer_account(demo) if demo.email else None
    expert = expert_register(
        actor=registrar,
        name=demo.name,
        profession=demo.profession,
        regulator=demo.regulator,
        registration_number=demo.registration_number,
        specialties=demo.specialties,
        seniority=demo.seniority,
        capacity_per_week=demo.capacity_per_week,
        available=demo.available,
        user=account,
    )
    posts = [(demo.employer, demo.employer_ods, demo.since, None), *demo.extra_posts]
    for employer, ods_code, started_on, ended_on in posts:
        employment_add(
            actor=registrar,
            expert=expert,
            employer_name=employer,
            organisation=Organisation.objects.filter(ods_code=ods_code).first() if ods_code else None,
            started_on=started_on,
            ended_on=ended_on,
        )
    if demo.sjr_trained:
        training_record(
            actor=registrar,
            expert=expert,
            kind=TrainingKind.STRUCTURED_JUDGEMENT_REVIEW,
            completed_on=datetime.date(2023, 3, 14),
        )
    return expert


def _progress_case(case: Case, registrar: User) -> Case:
    """Every area of the case gets its lead, every party agrees, and the case becomes active."""
    for area, email, ods_code in LEADS:
        responsibility = case.responsibilities.get(area=area)
        if responsibility.lead_id is None:
            lead_hand_over(
                actor=registrar,
                case=case,
                area=area,
                lead=_user(email),
                organisation=Organisation.objects.get(ods_code=ods_code),
                reason="Agreed by the parties at the first meeting on the case.",
            )
    for party in case.parties.select_related("organisation"):
        case.refresh_from_db()
        signatory = SIGNATORIES.get(party.organisation.ods_code)
        decided = case.sign_offs.filter(organisation=party.organisation, withdrawn_at__isnull=True).exists()
        if case.status == CaseStatus.PROPOSED and signatory and not decided:
            sign_off_record(actor=_user(signatory), case=case, organisation=party.organisation, decision=Decision.AGREE)
    case.refresh_from_db()
    if case.status == CaseStatus.TRIGGERED:
        case = case_activate(actor=registrar, case=case)
    return case


@transaction.atomic
def seed() -> None:
    # The regime's demo case, which comes first; other apps may add cases about Basildon too.
    at_basildon = Case.objects.filter(provider__ods_code="RDD").order_by("pk")
    case = at_basildon.filter(title=DEMO_CASE_TITLE).first() or at_basildon.first()
    registrar = User.objects.filter(email=REGISTRAR).first()
    if case is None or registrar is None:
        return
    case = _progress_case(case, registrar)
    for demo in EXPERTS:
        expert = _register(demo, registrar)
        if not demo.role or case.status == CaseStatus.CLOSED:
            continue
        if not Appointment.objects.filter(case=case, expert=expert, role=demo.role, ended_at__isnull=True).exists():
            appointment_make(
                actor=registrar,
                case=case,
                expert=expert,
                role=demo.role,
                declaration=independence_declaration(expert=expert, case=case),
            )
