"""Demo notices: a second case about Basildon (maternity care) that every party has agreed to, with CQC's
decision-maker as its accountable lead for public communications, a communications plan, and notices in the states
people meet: a published failure notice, guidance with a published correction, a joint statement approved by all
three parties, a progress update scheduled (embargoed) for tomorrow morning that tells families first, and a draft.
Each says what happens next, and the helpline the guidance names is given with its number.

The regime's own demo case stays as it is, waiting for the parties' decisions. Everything goes through the services,
as a person would do it, and nothing is added twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Case as DbCase
from django.db.models import IntegerField, Value, When
from django.utils import timezone

from accounts.models import Organisation, Role, User
from communications.models import (
    Audience,
    Channel,
    CommunicationsPlan,
    Notice,
    NoticeKind,
    SupportKind,
    SupportService,
)
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
    title="Review of care for mothers and babies at Basildon and Thurrock",
    summary="Experts who do not work at the trust are looking at the care of mothers and babies there since 2019.",
    body_markdown=(
        "Families, staff and our inspectors told us they were worried about **maternity care** (care for mothers "
        "and babies) at the trust.\n\n"
        "- More babies died or were injured around birth than we would expect.\n"
        "- Some families were not told what went wrong, or were not listened to.\n\n"
        "The Care Quality Commission (CQC), Monitor (the body that oversees NHS foundation trusts) and the trust "
        "agreed to start a review. The people doing it do not work for the trust."
    ),
    what_is_being_done_markdown=(
        "A team of midwives and doctors who care for mothers and new babies is looking at the care of every family "
        "who asks. None of them work for the trust. The trust has put extra senior midwives on every shift while "
        "the review goes on."
    ),
    who_leads_markdown="The Care Quality Commission is in charge of the review and of telling the public about it.",
    what_happens_next_markdown=(
        "The review team will write to every family who asks for a review within 2 working days. We will publish "
        "a progress update every month until the review ends."
    ),
)

GUIDANCE = NoticeText(
    title="How to ask for a review of your care",
    summary="If you or your baby had care at the trust's maternity unit since 2019, you can ask for a review.",
    body_markdown=(
        "## Who can ask\n\nAnyone who gave birth, or whose baby was born, at the trust since January 2019.\n\n"
        "## How to ask\n\n1. Contact us using the form on this site, or call the Families Helpline on 0808 157 0100 "
        "(free from landlines and mobiles).\n"
        "2. Tell us the year your baby was born.\n3. We will write to you within 5 working days."
    ),
    what_happens_next_markdown="We will add the questions families ask most often to this guidance.",
)

GUIDANCE_CORRECTED = NoticeText(
    title=GUIDANCE.title,
    summary=GUIDANCE.summary,
    body_markdown=GUIDANCE.body_markdown.replace("within 5 working days", "within 2 working days"),
    what_happens_next_markdown=GUIDANCE.what_happens_next_markdown,
    correction_note="We said we would write within 5 working days. We will write within 2 working days.",
)

JOINT_STATEMENT = NoticeText(
    title="Joint statement on care for mothers and babies at Basildon and Thurrock",
    summary=(
        "The trust, the Care Quality Commission (CQC) and Monitor agree what they must do to make care safe for "
        "mothers and babies. Monitor checks on NHS foundation trusts."
    ),
    body_markdown=(
        "We are sorry for the harm that families have suffered. We have agreed together:\n\n"
        "- to review the care of every family who asks;\n"
        "- to publish what the review finds;\n"
        "- to report progress every month until care is safe."
    ),
    who_leads_markdown="Signed for the trust, the Care Quality Commission and Monitor.",
    what_happens_next_markdown=(
        "The trust will publish what it has done every month. The Care Quality Commission will inspect maternity "
        "care again within 6 months and publish what it finds."
    ),
)

PROGRESS = NoticeText(
    title="First progress update on the maternity review",
    summary="The review team has started reviewing the care of the first 40 families who asked.",
    body_markdown="The review team has started work. 40 families have asked for a review so far.",
    what_is_being_done_markdown="The team will publish its first findings in the spring.",
    what_happens_next_markdown=(
        "The review team will go on reviewing the care of every family who asks. The next progress update will "
        "say how many reviews are finished."
    ),
)

DRAFT = NoticeText(
    title="Questions and answers for families",
    summary="Answers to the questions families ask most often about the review.",
    body_markdown="## Will the review look at my care?\n\nYes, if you ask for it.",
    what_happens_next_markdown="We will add new questions and answers as families ask them.",
)


def _user(email: str) -> User:
    return User.objects.get(email=email)


def _triggered_case() -> Case:
    basildon = Organisation.objects.get(ods_code="RDD")
    existing = Case.objects.filter(provider=basildon, title=CASE_TITLE).first()
    if existing is not None:
        return existing
    decision_maker = _user("decision.maker@cqc.example")
    cqc = Organisation.objects.get(ods_code="CQC")
    concern = concern_raise(
        actor=_user("inspector@cqc.example"),
        organisation=cqc,
        provider=basildon,
        source=ConcernSource.COMPLAINTS,
        summary="Families describe babies harmed around birth and complaints that were not answered.",
    )
    case = case_propose(
        actor=decision_maker,
        organisation=cqc,
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
    organisation = officer.memberships.get(role=Role.COMMUNICATIONS_OFFICER).organisation
    plan = plan_create(
        actor=officer,
        organisation=organisation,
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
            organisation=organisation,
            plan=plan,
            title=title,
            channel=channel,
            audience=audience,
            owner=officer,
            due_on=today + timedelta(days=days),
        )


def _approved(
    case: Case, officer: User, approvers: list[User], kind: str, text: NoticeText, families_first: bool = False
) -> Notice:
    notice = notice_draft(actor=officer, case=case, kind=kind, text=text, families_first=families_first)
    notice_submit(actor=officer, notice=notice)
    for approver in approvers:
        notice_approve(actor=approver, notice=notice)
    return notice


def _tomorrow_morning() -> datetime:
    return datetime.combine(timezone.localdate() + timedelta(days=1), time(9, 0), tzinfo=LONDON)


def _next_update(text: NoticeText, days: int) -> NoticeText:
    """The text promising its next update ``days`` from today."""
    return replace(text, next_update_on=timezone.localdate() + timedelta(days=days))


def _notices(case: Case, officer: User) -> None:
    if Notice.objects.filter(case=case).exists():
        return
    lead = _user("decision.maker@cqc.example")
    parties = [lead, _user("sign.off@basildon.example"), _user("oversight.lead@monitor.example")]
    failure = _next_update(FAILURE_NOTICE, 28)
    notice_publish(actor=officer, notice=_approved(case, officer, [lead], NoticeKind.FAILURE_NOTICE, failure))
    guidance = _approved(case, officer, [lead], NoticeKind.GUIDANCE, GUIDANCE)
    notice_publish(actor=officer, notice=guidance)
    notice_correct(actor=officer, notice=guidance, text=GUIDANCE_CORRECTED)
    notice_submit(actor=officer, notice=guidance)
    notice_approve(actor=lead, notice=guidance)
    notice_publish(actor=officer, notice=guidance)
    joint = _next_update(JOINT_STATEMENT, 31)
    notice_publish(actor=officer, notice=_approved(case, officer, parties, NoticeKind.JOINT_STATEMENT, joint))
    progress = _approved(
        case, officer, [lead], NoticeKind.PROGRESS_UPDATE, _next_update(PROGRESS, 35), families_first=True
    )
    notice_publish(actor=officer, notice=progress, publish_at=_tomorrow_morning())
    notice_draft(actor=officer, case=case, kind=NoticeKind.QUESTIONS_AND_ANSWERS, text=DRAFT)


def _support(case: Case, officer: User) -> None:
    """Offers the directory's national services on the case's notices, once the support demo has added them."""
    from communications.services.support import support_service_link_to_case

    # Helplines first: the guidance tells families to call the Families Helpline, so its number shows beside it.
    offered = SupportService.objects.active().exclude(cases=case).filter(provider__isnull=True)
    first = DbCase(When(kind=SupportKind.HELPLINE, then=Value(0)), default=Value(1), output_field=IntegerField())
    for service in offered.order_by(first, "name")[:3]:
        support_service_link_to_case(actor=officer, service=service, case=case)


@transaction.atomic
def seed() -> None:
    officer = _user("communications@cqc.example")
    case = _triggered_case()
    _plan(case, officer)
    _notices(case, officer)
    if not SupportService.objects.filter(cases=case).exists():
        _support(case, officer)
