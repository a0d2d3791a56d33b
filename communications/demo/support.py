"""Demo support directory: eight fictional services (phone numbers in Ofcom's ranges for drama, 01632 960xxx and
0808 157 0xxx, and example.org websites), kept by CQC's communications officer or the Basildon trust's family
liaison officer, and linked to the open demo cases about Basildon. Everything goes through the services, and
nothing is added twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from django.db import transaction

from accounts.models import Organisation, Region, User
from communications.models import SupportKind, SupportService
from communications.services.support import OpeningSpan, support_service_create, support_service_link_to_case
from failure_regime.models import Case, CaseStatus

WEEKDAYS = range(1, 6)
EVERY_DAY = range(1, 8)
CQC_OFFICER = "communications@cqc.example"
TRUST_LIAISON = "family.liaison@basildon.example"


def _hours(days: range | tuple[int, ...], opens: str, closes: str) -> list[OpeningSpan]:
    return [OpeningSpan(weekday=d, opens=time.fromisoformat(opens), closes=time.fromisoformat(closes)) for d in days]


@dataclass(frozen=True)
class DemoService:
    name: str
    kind: str
    description: str
    keeper: str
    run_by: str = ""
    phone: str = ""
    textphone: str = ""
    website: str = ""
    email: str = ""
    region: str = Region.NATIONAL
    provider_ods: str = ""
    open_24_hours: bool = False
    note: str = ""
    hours: list[OpeningSpan] = field(default_factory=list)
    on_cases: bool = True


SERVICES = [
    DemoService(
        "Families Helpline (demo)",
        SupportKind.HELPLINE,
        "For anyone worried about care that they or someone close to them had in a hospital under review. Our "
        "trained staff listen, tell you what is going on and help you find the right support.",
        CQC_OFFICER,
        run_by="Families Together (not a real charity)",
        phone="0808 157 0100",
        website="https://families-helpline.example.org",
        hours=_hours(WEEKDAYS, "08:00", "20:00") + _hours((6, 7), "10:00", "16:00"),
        note="Calls are free from landlines and mobiles. Closed on Christmas Day.",
    ),
    DemoService(
        "Night Line (demo)",
        SupportKind.HELPLINE,
        "Someone to talk to at any time of the day or night if it all feels too much or you cannot cope.",
        CQC_OFFICER,
        run_by="Night Line (not a real charity)",
        phone="0808 157 0101",
        textphone="18001 0808 157 0101",
        open_24_hours=True,
    ),
    DemoService(
        "Talking Space counselling (demo)",
        SupportKind.COUNSELLING,
        "Free, private counselling (talking with a trained person) for families hurt by poor care. You can meet "
        "in person, by phone or by video. You can ask for it yourself.",
        CQC_OFFICER,
        run_by="Talking Space (not a real charity)",
        phone="01632 960 110",
        website="https://talking-space.example.org",
        hours=_hours(WEEKDAYS, "09:00", "17:00") + _hours((2, 4), "18:00", "21:00"),
    ),
    DemoService(
        "Independent Health Complaints Advocacy (demo)",
        SupportKind.ADVOCACY,
        "An advocate (someone on your side) can help you make a complaint about NHS care. They can write letters "
        "and come to meetings with you.",
        CQC_OFFICER,
        run_by="Speak Up Advocacy (not a real charity)",
        phone="0808 157 0120",
        email="help@speak-up-advocacy.example.org",
        hours=_hours(WEEKDAYS, "09:00", "17:00"),
    ),
    DemoService(
        "Basildon Hospital PALS (demo)",
        SupportKind.PALS,
        "The hospital's patient advice and liaison service (PALS) answers questions about care at the hospital. "
        "It can sort out problems quickly.",
        TRUST_LIAISON,
        phone="01632 960 130",
        email="pals@basildon-hospital.example.org",
        region=Region.EAST_OF_ENGLAND,
        provider_ods="RDD",
        hours=_hours(WEEKDAYS, "09:00", "12:30") + _hours(WEEKDAYS, "13:30", "16:30"),
        note="You can also visit the PALS office by the main entrance.",
    ),
    DemoService(
        "Bereaved Families Support (demo)",
        SupportKind.BEREAVEMENT,
        "Support for anyone whose partner, child or relative died in hospital. This includes help with inquests "
        "(court hearings about a death) and meetings with the hospital.",
        CQC_OFFICER,
        run_by="Bereaved Families Support (not a real charity)",
        phone="0808 157 0140",
        website="https://bereaved-families.example.org",
        hours=_hours(WEEKDAYS, "10:00", "16:00"),
    ),
    DemoService(
        "East of England Bereavement Network (demo)",
        SupportKind.BEREAVEMENT,
        "Local groups where families who have lost someone meet others who have been through the same.",
        TRUST_LIAISON,
        website="https://eoe-bereavement.example.org",
        region=Region.EAST_OF_ENGLAND,
        note="Groups meet in the evenings. See the website for times and places.",
        on_cases=False,
    ),
    DemoService(
        "Baby Loss Listening Service (demo)",
        SupportKind.COUNSELLING,
        "Counselling for parents whose baby died in pregnancy, at birth or soon after.",
        CQC_OFFICER,
        run_by="Little Lives (not a real charity)",
        phone="01632 960 160",
        website="https://little-lives.example.org",
        hours=_hours(EVERY_DAY, "10:00", "22:00"),
        on_cases=False,
    ),
]


def _service(demo: DemoService) -> SupportService:
    existing = SupportService.objects.filter(name=demo.name).first()
    if existing is not None:
        return existing
    return support_service_create(
        actor=User.objects.get(email=demo.keeper),
        name=demo.name,
        kind=demo.kind,
        description=demo.description,
        run_by=demo.run_by,
        phone=demo.phone,
        textphone=demo.textphone,
        website=demo.website,
        email=demo.email,
        region=demo.region,
        provider=Organisation.objects.get(ods_code=demo.provider_ods) if demo.provider_ods else None,
        open_24_hours=demo.open_24_hours,
        opening_hours_note=demo.note,
        opening_times=demo.hours,
    )


@transaction.atomic
def seed() -> None:
    cases = list(Case.objects.filter(provider__ods_code="RDD").exclude(status=CaseStatus.CLOSED))
    officer = User.objects.get(email=CQC_OFFICER)
    for demo in SERVICES:
        service = _service(demo)
        if not demo.on_cases:
            continue
        for case in cases:
            if not service.cases.filter(pk=case.pk).exists():
                support_service_link_to_case(actor=officer, service=service, case=case)
