"""Demo data: the national bodies, the 14 trusts of the 2013 Keogh mortality review, a few GP
practices and care homes (fictional), one demo user for every role (and an oversight lead for each
oversight body of the trusts), Medway in special measures, two past episodes of fictional providers, and CQC's
recommendation for George Eliot waiting for a decision."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as accounts
from accounts.models import Organisation, OrganisationKind, Region, Role, User

DEMO_PASSWORD = "Demo-sign-in-2026"  # noqa: S105 - printed for local demo use only; seed_demo refuses DEBUG=false
DEMO_BACKUP_CODES = [f"demo-{n:02d}" for n in range(1, 21)]

FT, NHS_TRUST = OrganisationKind.FOUNDATION_TRUST, OrganisationKind.NHS_TRUST

# National bodies have no usable ODS code of their own; they carry short codes of this service.
NATIONAL_BODIES = [
    ("Care Quality Commission", "CQC", OrganisationKind.REGULATOR),
    ("Monitor", "MON", OrganisationKind.OVERSIGHT_BODY),
    ("NHS Trust Development Authority", "TDA", OrganisationKind.OVERSIGHT_BODY),
    ("NHS England", "X24", OrganisationKind.OVERSIGHT_BODY),
]

# The 14 trusts reviewed by Sir Bruce Keogh in 2013: foundation trusts answered to Monitor, NHS
# trusts to the NHS Trust Development Authority.
KEOGH_TRUSTS = [
    ("Basildon and Thurrock University Hospitals NHS Foundation Trust", "RDD", FT, Region.EAST_OF_ENGLAND),
    ("Blackpool Teaching Hospitals NHS Foundation Trust", "RXL", FT, Region.NORTH_WEST),
    ("Buckinghamshire Healthcare NHS Trust", "RXQ", NHS_TRUST, Region.SOUTH_EAST),
    ("Burton Hospitals NHS Foundation Trust", "RJF", FT, Region.MIDLANDS),
    ("Colchester Hospital University NHS Foundation Trust", "RDE", FT, Region.EAST_OF_ENGLAND),
    ("The Dudley Group NHS Foundation Trust", "RNA", FT, Region.MIDLANDS),
    ("East Lancashire Hospitals NHS Trust", "RXR", NHS_TRUST, Region.NORTH_WEST),
    ("George Eliot Hospital NHS Trust", "RLT", NHS_TRUST, Region.MIDLANDS),
    ("Medway NHS Foundation Trust", "RPA", FT, Region.SOUTH_EAST),
    ("North Cumbria University Hospitals NHS Trust", "RNL", NHS_TRUST, Region.NORTH_EAST_AND_YORKSHIRE),
    ("Northern Lincolnshire and Goole Hospitals NHS Foundation Trust", "RJL", FT, Region.NORTH_EAST_AND_YORKSHIRE),
    ("Sherwood Forest Hospitals NHS Foundation Trust", "RK5", FT, Region.MIDLANDS),
    ("Tameside Hospital NHS Foundation Trust", "RMP", FT, Region.NORTH_WEST),
    ("United Lincolnshire Hospitals NHS Trust", "RWD", NHS_TRUST, Region.MIDLANDS),
]

# Fictional GP practices and care homes, regulated by CQC alone.
OTHER_PROVIDERS = [
    ("Riverside Medical Practice (demo)", "Y90001", OrganisationKind.GP_PRACTICE, Region.LONDON),
    ("Hill Top Surgery (demo)", "Y90002", OrganisationKind.GP_PRACTICE, Region.SOUTH_WEST),
    ("Meadowbank Care Home (demo)", "VDM01", OrganisationKind.ADULT_SOCIAL_CARE, Region.NORTH_WEST),
    ("Oakwood House Nursing Home (demo)", "VDM02", OrganisationKind.ADULT_SOCIAL_CARE, Region.MIDLANDS),
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    ods_code: str
    role: Role


DEMO_USERS = [
    DemoUser("inspector@cqc.example", "Ifeoma Inspector", "CQC", Role.INSPECTOR),
    DemoUser("decision.maker@cqc.example", "Dev Decision-Maker", "CQC", Role.REGULATOR_DECISION_MAKER),
    DemoUser("oversight.lead@monitor.example", "Olu Oversight", "MON", Role.OVERSIGHT_LEAD),
    DemoUser("oversight.lead@tda.example", "Tamsin Oversight", "TDA", Role.OVERSIGHT_LEAD),
    DemoUser("trust.manager@basildon.example", "Tomasz Manager", "RDD", Role.TRUST_MANAGER),
    DemoUser("sign.off@basildon.example", "Sam Sign-off", "RDD", Role.TRUST_SIGN_OFF_OFFICER),
    DemoUser("communications@cqc.example", "Chloe Communications", "CQC", Role.COMMUNICATIONS_OFFICER),
    DemoUser("family.liaison@basildon.example", "Faith Liaison", "RDD", Role.FAMILY_LIAISON_OFFICER),
    # The national triage queue: enquiries about a provider nobody could identify, or no local team reaches.
    DemoUser("family.liaison@nhs-england.example", "Nadia Triage", "X24", Role.FAMILY_LIAISON_OFFICER),
    DemoUser("review.chair@nhs-england.example", "Rosa Chair", "X24", Role.REVIEW_CHAIR),
    DemoUser("expert.reviewer@nhs-england.example", "Eli Reviewer", "X24", Role.EXPERT_REVIEWER),
    DemoUser("national.oversight@nhs-england.example", "Nia National", "X24", Role.NATIONAL_OVERSIGHT),
    DemoUser("administrator@nhs-england.example", "Ada Administrator", "X24", Role.ADMINISTRATOR),
    DemoUser("trust.manager@medway.example", "Morgan Medway", "RPA", Role.TRUST_MANAGER),
]


def _organisation(
    name: str, ods_code: str, kind: str, region: str, oversight_body: Organisation | None = None
) -> Organisation:
    existing = Organisation.objects.filter(ods_code=ods_code).first()
    if existing is not None:
        return existing
    return accounts.organisation_create(
        actor=None, name=name, ods_code=ods_code, kind=kind, region=region, oversight_body=oversight_body
    )


def _demo_second_factor(user: User) -> None:
    """A confirmed authenticator app (so sign-in asks for a code) and the printed backup codes."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    backup, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes", defaults={"confirmed": True})
    unused = set(backup.token_set.values_list("token", flat=True))
    StaticToken.objects.bulk_create(
        [StaticToken(device=backup, token=code) for code in DEMO_BACKUP_CODES if code not in unused]
    )


def _demo_case() -> None:
    """A concern about Basildon and a case proposed from it, waiting for the three parties' decisions."""
    from failure_regime.models import Case, ConcernSource
    from failure_regime.services.cases import case_propose
    from failure_regime.services.concerns import concern_raise

    basildon = Organisation.objects.get(ods_code="RDD")
    if Case.objects.filter(provider=basildon).exists():
        return
    cqc = Organisation.objects.get(ods_code="CQC")
    concern = concern_raise(
        actor=User.objects.get(email="inspector@cqc.example"),
        organisation=cqc,
        provider=basildon,
        source=ConcernSource.MORTALITY_DATA,
        summary="Hospital mortality has been above the expected range for two years running.",
    )
    case_propose(
        actor=User.objects.get(email="decision.maker@cqc.example"),
        organisation=cqc,
        provider=basildon,
        concerns=[concern],
        title="Mortality and quality of emergency care",
        summary="Persistently high mortality and concerns about the quality of emergency care.",
        scope="Emergency and acute medical care, April 2011 to March 2013.",
        terms_of_reference="Establish why mortality is high, review the care of patients who died, and set out "
        "what must change.",
    )


def _demo_open_concern() -> None:
    """An immediate concern about Colchester that nobody has assessed or taken up in a case yet: CQC's inspectors
    are asked to assess it within the day, and a regulator decision-maker or oversight lead can propose a case
    from it at once."""
    from failure_regime.models import Concern, ConcernSource, Severity
    from failure_regime.services.concerns import concern_raise

    colchester = Organisation.objects.get(ods_code="RDE")
    if Concern.objects.filter(provider=colchester).exists():
        return
    concern_raise(
        actor=User.objects.get(email="inspector@cqc.example"),
        organisation=Organisation.objects.get(ods_code="CQC"),
        provider=colchester,
        source=ConcernSource.WHISTLEBLOWING,
        severity=Severity.IMMEDIATE,
        summary="Staff report that patients waiting in the emergency department are not checked for hours and "
        "that cancer appointments are being cancelled without review.",
    )


def _demo_special_measures() -> None:
    """Medway in special measures for three months, with a short action plan, so that its trust manager can
    send this month's report and Monitor's oversight lead can accept it."""
    from datetime import timedelta

    from django.utils import timezone

    from failure_regime.models import Basis, Episode
    from failure_regime.services import action_plan
    from failure_regime.services import special_measures as sm

    medway = Organisation.objects.get(ods_code="RPA")
    if Episode.objects.filter(provider=medway).exists():
        return
    today = timezone.localdate()
    episode = sm.episode_enter(
        actor=User.objects.get(email="oversight.lead@monitor.example"),
        provider=medway,
        entered_on=today - timedelta(days=95),
        basis=Basis.OWN_EVIDENCE,
        improvement_director="Appointed by Monitor",
        buddy_trust=Organisation.objects.get(ods_code="RXL"),
    )
    manager = User.objects.get(email="trust.manager@medway.example")
    for reference, description, days in [
        ("A1", "Recruit enough midwives to meet the safe staffing level on every shift.", 120),
        ("A2", "Bring emergency department waiting times within the four-hour standard.", 180),
        ("A3", "Publish board papers and mortality reviews every month.", 30),
    ]:
        action_plan.action_add(
            actor=manager,
            episode=episode,
            reference=reference,
            description=description,
            owner_organisation=medway,
            due_on=today + timedelta(days=days),
        )


def _demo_history() -> None:
    """Two past episodes recorded from the record of the time, as a regulator would enter the years before the
    service: a GP practice whose registration was cancelled and a care home that left special measures. Both
    providers are fictional; neither episode sends anything."""
    from datetime import date

    from failure_regime.models import Basis, Episode, EpisodeStatus
    from failure_regime.services.episode_history import episode_record_history

    cqc = User.objects.get(email="decision.maker@cqc.example")
    for ods_code, entered_on, outcome, ended_on, reinspected_on in [
        ("Y90002", date(2016, 2, 1), EpisodeStatus.REGISTRATION_CANCELLED, date(2016, 10, 3), [date(2016, 8, 1)]),
        ("VDM01", date(2019, 5, 13), EpisodeStatus.EXITED, date(2020, 3, 2), [date(2019, 11, 12), date(2020, 2, 4)]),
    ]:
        provider = Organisation.objects.get(ods_code=ods_code)
        if Episode.objects.filter(provider=provider).exists():
            continue
        episode_record_history(
            actor=cqc,
            provider=provider,
            entered_on=entered_on,
            basis=Basis.CQC_DECISION,
            outcome=outcome,
            ended_on=ended_on,
            reinspected_on=reinspected_on,
        )


def _demo_recommendation() -> None:
    """A published CQC inspection of George Eliot, an NHS trust answering to the NHS Trust Development Authority,
    rating it inadequate, and CQC's recommendation of special measures waiting for the TDA's decision."""
    from datetime import timedelta

    from django.utils import timezone

    from failure_regime.models import Inspection, Recommendation
    from failure_regime.services.inspections import inspection_add
    from failure_regime.services.recommendations import recommendation_make

    george_eliot = Organisation.objects.get(ods_code="RLT")
    if Recommendation.objects.filter(provider=george_eliot).exists():
        return
    today = timezone.localdate()
    inspection = Inspection.objects.filter(provider=george_eliot, episode__isnull=True).exclude(overall="").first()
    if inspection is None:
        inspection = inspection_add(
            actor=User.objects.get(email="inspector@cqc.example"),
            organisation=Organisation.objects.get(ods_code="CQC"),
            provider=george_eliot,
            carried_out_on=today - timedelta(days=30),
            ratings={
                "safe": "inadequate",
                "effective": "requires_improvement",
                "caring": "good",
                "responsive": "requires_improvement",
                "well_led": "inadequate",
                "overall": "inadequate",
            },
            report_reference="INS2-DEMO-RLT",
            report_url="https://www.cqc.org.uk/provider/RLT",
            published_on=today - timedelta(days=3),
        )
    recommendation_make(
        actor=User.objects.get(email="decision.maker@cqc.example"),
        organisation=Organisation.objects.get(ods_code="CQC"),
        inspection=inspection,
        reasons="Unsafe staffing and poor infection control in the emergency department, and a board that did not "
        "know of the risks or act on them.",
    )


@transaction.atomic
def seed_demo() -> list[DemoUser]:
    """Creates whatever demo data is missing; running it again changes nothing but fresh backup codes."""
    bodies = {code: _organisation(name, code, kind, Region.NATIONAL) for name, code, kind in NATIONAL_BODIES}
    for name, code, kind, region in KEOGH_TRUSTS:
        _organisation(name, code, kind, region, bodies["MON"] if kind == FT else bodies["TDA"])
    for name, code, kind, region in OTHER_PROVIDERS:
        _organisation(name, code, kind, region)
    for demo in DEMO_USERS:
        user = User.objects.filter(email=demo.email).first() or accounts.user_create(
            actor=None, email=demo.email, full_name=demo.full_name, password=DEMO_PASSWORD
        )
        accounts.membership_create(
            actor=None, user=user, organisation=Organisation.objects.get(ods_code=demo.ods_code), role=demo.role
        )
        _demo_second_factor(user)
    _demo_case()
    _demo_open_concern()
    _demo_special_measures()
    _demo_history()
    _demo_recommendation()
    return DEMO_USERS
