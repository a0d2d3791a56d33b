"""Demo enquiries: fictional messages from the public about Basildon, in the states a family liaison officer meets:
one waiting for triage, an urgent one, a request for a review of care passed to the case's review chair (when the
reviews demo has made a cohort) with a counselling service offered, one answered with the help it accepted, and one
closed as a repeat; then one naming "Basildon Hospital" in the sender's words, which reaches the trust's officer,
and one about a hospital nobody can identify, which waits in the national triage queue. The senders are invented
(names marked "(demo)", example.org addresses and phone numbers in Ofcom's range for drama). They are handled by the
trust's family liaison officer, the demo case's accountable lead for family support. Everything goes through the
services, and nothing is added twice."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import Organisation, User
from communications.models import (
    ContactMethod,
    Enquiry,
    EnquiryCategory,
    NoteKind,
    Relation,
    SupportService,
    Urgency,
)
from communications.services.enquiries import (
    enquiry_close,
    enquiry_note_add,
    enquiry_pass_to_review,
    enquiry_receive,
    enquiry_respond,
    enquiry_triage,
    referral_decide,
    referral_offer,
)
from failure_regime.models import Area, Case, CaseStatus
from reviews.models import Cohort
from reviews.selectors.requests import review_chairs

LIAISON = "family.liaison@basildon.example"
MARK = " (demo)"


def _receive(**answers: Any) -> Enquiry:
    return enquiry_receive(
        provider=Organisation.objects.get(ods_code="RDD"),
        relation=answers.pop("relation", Relation.FAMILY),
        consent=True,
        **answers,
    )


def _case() -> Case | None:
    """The open Basildon case whose family support the trust's liaison officer leads, if any."""
    return (
        Case.objects.filter(
            provider__ods_code="RDD",
            responsibilities__area=Area.FAMILY_SUPPORT,
            responsibilities__lead__email=LIAISON,
        )
        .exclude(status=CaseStatus.CLOSED)
        .order_by("pk")
        .first()
    )


def _service(name: str) -> SupportService | None:
    return SupportService.objects.active().filter(name=name).first()


@transaction.atomic
def seed() -> None:
    if Enquiry.objects.filter(name__endswith=MARK).exists():
        return
    officer = User.objects.get(email=LIAISON)
    case = _case()

    first = _receive(
        name=f"Pat Example{MARK}",
        worry="My father was in the emergency department for two days on a trolley in March. Nobody told us what "
        "was happening and he was not given his usual medicines. I would like someone to look at his care.",
        contact_method=ContactMethod.EMAIL,
        email="pat.example@example.org",
        contact_times="Weekday evenings",
        wants_case_note_review=True,
    )
    if case is None or first.handled_by_id != case.responsibilities.get(area=Area.FAMILY_SUPPORT).lead_organisation_id:
        return  # without the reviews demo's leads, the oversight body handles enquiries: leave them new

    urgent = _receive(
        name=f"Jordan Sample{MARK}",
        relation=Relation.FRIEND_OR_CARER,
        worry="My neighbour was sent home yesterday still very unwell and is now confused. I do not know who to "
        "tell at the hospital.",
        contact_method=ContactMethod.PHONE,
        phone="01632 960 201",
        communication_needs="I am hard of hearing: please speak clearly, or send a text first.",
    )
    enquiry_triage(
        actor=officer,
        enquiry=urgent,
        category=EnquiryCategory.URGENT_CLINICAL,
        urgency=Urgency.URGENT,
        case=case,
        assigned_to=officer,
    )

    review = _receive(
        name=f"Morgan Demo{MARK}",
        worry="My mother died on a ward at the hospital in 2012. We were never told why. I want her care reviewed.",
        contact_method=ContactMethod.EMAIL,
        email="morgan.demo@example.org",
        wants_case_note_review=True,
    )
    enquiry_triage(
        actor=officer, enquiry=review, category=EnquiryCategory.CARE_REVIEW, urgency=Urgency.ROUTINE, case=case
    )
    counselling = _service("Talking Space counselling (demo)")
    if counselling is not None:
        referral_offer(actor=officer, enquiry=review, service=counselling, note="Offered by email.")
    if Cohort.objects.filter(case=case).exists() and review_chairs(case=case).exists():
        enquiry_pass_to_review(
            actor=officer,
            enquiry=review,
            text="The family asks for a review of the care of their mother, who died on a medical ward in the "
            "winter of 2012 after an emergency admission. They were never told why she died.",
            age_band="80 to 89",
        )

    answered = _receive(
        name=f"Sam Placeholder{MARK}",
        relation=Relation.PATIENT,
        worry="I had an operation at the hospital last year. Is the review about my ward, and will it affect my "
        "follow-up appointments?",
        contact_method=ContactMethod.PHONE,
        phone="01632 960 202",
        email="sam.placeholder@example.org",
    )
    enquiry_triage(
        actor=officer,
        enquiry=answered,
        category=EnquiryCategory.INFORMATION,
        urgency=Urgency.ROUTINE,
        case=case,
        assigned_to=officer,
    )
    enquiry_note_add(actor=officer, enquiry=answered, kind=NoteKind.CONTACT_ATTEMPT, text="Phoned: no answer.")
    enquiry_respond(
        actor=officer,
        enquiry=answered,
        text="Phoned back and explained that the review covers emergency care; appointments are not affected.",
    )
    advocacy = _service("Independent Health Complaints Advocacy (demo)")
    if advocacy is not None:
        referral = referral_offer(actor=officer, enquiry=answered, service=advocacy)
        referral_decide(actor=officer, referral=referral, accepted=True)

    repeat = _receive(
        name=f"Pat Example{MARK}",
        worry="I wrote earlier about my father's care in the emergency department.",
        contact_method=ContactMethod.EMAIL,
        email="pat.example@example.org",
    )
    enquiry_close(actor=officer, enquiry=repeat, reason="It repeats another enquiry")

    # Named in the sender's own words: "Basildon Hospital" reaches Basildon's family liaison officer.
    enquiry_receive(
        name=f"Robin Sample{MARK}",
        relation=Relation.FAMILY,
        consent=True,
        provider_name="Basildon Hospital",
        worry="My brother has been on the acute medical unit for a week and we cannot get any news of him.",
        contact_method=ContactMethod.EMAIL,
        email="robin.sample@example.org",
    )
    # A provider nobody can identify from what was written: the national triage queue at NHS England.
    enquiry_receive(
        name=f"Alex Placeholder{MARK}",
        relation=Relation.FRIEND_OR_CARER,
        consent=True,
        provider_name="The hospital near my aunt's flat",
        worry="My aunt was discharged at night without her medicines and nobody at the hospital will call me back.",
        contact_method=ContactMethod.PHONE,
        phone="01632 960 203",
    )
