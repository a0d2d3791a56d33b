"""Demo notices: a second case about Basildon (maternity care) that every party has agreed to, with CQC's
decision-maker as its accountable lead for public communications, a communications plan, and notices in the states
people meet: a published failure notice, guidance with a published correction, a joint statement approved by all
three parties, a progress update scheduled (embargoed) for tomorrow morning that tells families first, and a draft.

The regime's own demo case stays as it is, waiting for the parties' decisions. Everything goes through the services,
as a person would do it, and nothing is added twice."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from communications.models import Audience, Channel, CommunicationsPlan, Notice, NoticeKind, SupportService
from communications.services.notices import (
    NoticeText,
    notice_approve,
    notice_correct,
    notice_draft,
    notice_publish,
    notice_submit,
)
from communications.services.plans import plan_create, plan_item_add
from failure_regime.dates import LONDON
from failure_regime.models import Area, Case, ConcernSource, Decision
from failure_regime.services.accountability import lead_hand_over
from failure_regime.services.cases import case_propose
from failure_regime.services.concerns import concern_raise
from failure_regime.services.sign_off import sign_off_record

CASE_TITLE = "Maternity care and the deaths of babies"

FAILURE_NOTICE = NoticeText(
    title="Review of maternity care at Basildon and Thurrock University Hospitals",
    summary="An independent review is looking at the care of mothers and babies at the trust since 2019.",
    body_markdown=(
        "Families, staff and our inspectors raised concerns about **maternity care** at the trust.\n\n"
        "- More babies died or were injured around birth than we would expect.\n"
        "- Some families were not told what went wrong, or were not listened to.\n\n"
        "The Care Quality Commission, Monitor and the trust agreed together to start an independent review."
    ),
    what_is_being_done_markdown=(
        "An independent team of midwives, obstetricians and neonatal doctors is reviewing the care of every family "
        "who asks. The trust has put extra senior midwives on every shift while the review goes on."
    ),
    who_leads_markdown="The Care Quality Commission leads the review and tells the public about it.",
)

GUIDANCE = NoticeText(
    title="How to ask for a review of your care",
    summary="If you or your baby were cared for at the trust's maternity unit since 2019, you can ask for a review.",
    body_markdown=(
        "## Who can ask\n\nAnyone who gave birth, or whose baby was born, at the trust since January 2019.\n\n"
        "## How to ask\n\n1. Contact us using the form on this site, or call the families helpline.\n"
        "2. Tell us the year your baby was born.\n3. We will write to you within 5 working days."
    ),
)

GUIDANCE_CORRECTED = NoticeText(
    title=GUIDANCE.title,
    summary=GUIDANCE.summary,
    body_markdown=GUIDANCE.body_markdown.replace("within 5 working days", "within 2 working days"),
    correction_note="We said we would write within 5 working days. We will write within 2 working days.",
)

JOINT_STATEMENT = NoticeText(
    title="Joint statement on maternity care at Basildon and Thurrock",
    summary="The trust, the Care Quality Commission and Monitor agree on the steps needed to make maternity care safe.",
    body_markdown=(
        "We are sorry for the harm that families have suffered. We have agreed together:\n\n"
        "- to review the care of every family who asks;\n"
        "- to publish what the review finds;\n"
        "- to report progress every month until care is safe."
    ),
    who_leads_markdown="Signed for the trust, the Care Quality Commission and Monitor.",
)

PROGRESS = NoticeText(
    title="First progress update on the maternity review",
    summary="The review team has started reviewing the care of the first 40 families who asked.",
    body_markdown="The review team has started work. 40 families have asked for a review so far.",
    what_is_being_done_markdown="The team will publish its first findings in the spring.",
)

DRAFT = NoticeText(
    title="Questions and answers for families",
    summary="Answers to the questions families ask most often about the review.",
    body_markdown="## Will the review look at my care?\n\nYes, if you ask for it.",
)


def _user(email: str) -> User:
    return User.objects.get(email=email)


def _triggered_case() -> Case:
    basildon = Organisation.objects.get(ods_code="RDD")
    existing = Case.objects.filter(provider=basildon, title=CASE_TITLE).first()
    if existing is not None:
        return existing
    decision_maker = _user("decision.maker@cqc.example")
    concern = concern_raise(
        actor=_user("inspector@cqc.example"),
        provider=basildon,
        source=ConcernSource.COMPLAINTS,
        summary="Families describe babies harmed around birth and complaints that were not answered.",
    )
    case = case_propose(
        actor=decision_maker,
        provider=basildon,
        concerns=[concern],
        title=CASE_TITLE,
        summary="Avoidable deaths and injuries of babies, and families not listened to.",
        scope="Maternity and neonatal care, January 2019 to now.",
        terms_of_reference="Review the care of every family who asks, find what went wrong, and say what must change.",
    )
    for email in ("decision.maker@cqc.example", "sign.off@basildon.example", "oversight.lead@monitor.example"):
        user = _user(email)
        party = user.memberships.get(organisation__case_parties__case=case).organisation
        sign_off_record(actor=user, case=case, organisation=party, decision=Decision.AGREE)
    lead_hand_over(
        actor=decision_maker,
        case=case,
        area=Area.PUBLIC_COMMUNICATIONS,
        lead=decision_maker,
        organisation=Organisation.objects.get(ods_code="CQC"),
        reason="CQC leads what the public is told about this review.",
    )
    case.refresh_from_db()
    return case


def _plan(case: Case, officer: User) -> None:
    if CommunicationsPlan.objects.filter(case=case).exists():
        return
    plan = plan_create(
        actor=officer,
        case=case,
        objectives="Families hear everything first and are listened to; the public understands what is being done.",
        key_messages="We are sorry.\nWe will review the care of every family who asks.\nThe findings will be public.",
        audiences={
            Audience.AFFECTED_FAMILIES: "Told first, by phone and letter, before anything is published.",
            Audience.STAFF: "Briefed by the trust before each publication.",
            Audience.MEDIA: "A press release with each notice; interviews through CQC's press office.",
            Audience.MPS_AND_SCRUTINY: "Briefings for local MPs and the county's health scrutiny committee.",
        },
    )
    today = timezone.localdate()
    for title, channel, audience, days in [
        ("Briefing for local MPs", Channel.PARLIAMENTARY_BRIEFING, Audience.MPS_AND_SCRUTINY, 1),
        ("Letter to every family who asked for a review", Channel.LETTER, Audience.AFFECTED_FAMILIES, 7),
        ("Staff briefing before the progress update", Channel.STAFF_BRIEFING, Audience.STAFF, 14),
    ]:
        plan_item_add(
            actor=officer,
            plan=plan,
            title=title,
            channel=channel,
            audience=audience,
            owner=officer,
            due_on=today + timedelta(days=days),
        )


def _approved(case: Case, officer: User, approvers: list[User], kind: str, text: NoticeText, **fields: bool) -> Notice:
    notice = notice_draft(actor=officer, case=case, kind=kind, text=text, **fields)
    notice_submit(actor=officer, notice=notice)
    for approver in approvers:
        notice_approve(actor=approver, notice=notice)
    return notice


def _tomorrow_morning() -> datetime:
    return datetime.combine(timezone.localdate() + timedelta(days=1), time(9, 0), tzinfo=LONDON)


def _notices(case: Case, officer: User) -> None:
    if Notice.objects.filter(case=case).exists():
        return
    lead = _user("decision.maker@cqc.example")
    parties = [lead, _user("sign.off@basildon.example"), _user("oversight.lead@monitor.example")]
    notice_publish(actor=officer, notice=_approved(case, officer, [lead], NoticeKind.FAILURE_NOTICE, FAILURE_NOTICE))
    guidance = _approved(case, officer, [lead], NoticeKind.GUIDANCE, GUIDANCE)
    notice_publish(actor=officer, notice=guidance)
    notice_correct(actor=officer, notice=guidance, text=GUIDANCE_CORRECTED)
    notice_submit(actor=officer, notice=guidance)
    notice_approve(actor=lead, notice=guidance)
    notice_publish(actor=officer, notice=guidance)
    notice_publish(actor=officer, notice=_approved(case, officer, parties, NoticeKind.JOINT_STATEMENT, JOINT_STATEMENT))
    progress = _approved(case, officer, [lead], NoticeKind.PROGRESS_UPDATE, PROGRESS, families_first=True)
    notice_publish(actor=officer, notice=progress, publish_at=_tomorrow_morning())
    notice_draft(actor=officer, case=case, kind=NoticeKind.QUESTIONS_AND_ANSWERS, text=DRAFT)


def _support(case: Case, officer: User) -> None:
    """Offers the directory's national services on the case's notices, once the support demo has added them."""
    from communications.services.support import support_service_link_to_case

    for service in SupportService.objects.active().exclude(cases=case).filter(provider__isnull=True)[:3]:
        support_service_link_to_case(actor=officer, service=service, case=case)


@transaction.atomic
def seed() -> None:
    officer = _user("communications@cqc.example")
    case = _triggered_case()
    _plan(case, officer)
    _notices(case, officer)
    if not SupportService.objects.filter(cases=case).exists():
        _support(case, officer)
