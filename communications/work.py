"""Communications' work sources for the home page (see ``failure_regime.work``): enquiries waiting for a
response, notices to approve, finish or publish, and plan items due. Each reads the communications selectors,
which hold the rules of who sees and approves what, in a fixed number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from communications.models import AWAITING_RESPONSE, EnquiryCategory, NoticeKind, NoticeStatus, Urgency
from communications.selectors.enquiries import enquiry_queue
from communications.selectors.notices import notices_awaiting_approval_by, notices_to_finish_by
from communications.selectors.plans import plan_items_owned_by
from failure_regime.models import CaseParty
from failure_regime.permissions import SIGN_OFF_ROLE_BY_KIND
from failure_regime.work import (
    RoleLabels,
    WorkItem,
    first_listed,
    organisation_label,
    register_see_all,
    register_work_source,
)
from failure_regime.work import Urgency as WorkUrgency

ENQUIRIES = "Enquiries waiting for a response"
APPROVALS = "Notices waiting for your approval"
NOTICES = "Notices to finish or publish"
PLAN_ITEMS = "Communications plan items due"


def _parties() -> Prefetch:
    return Prefetch("case__parties", queryset=CaseParty.objects.select_related("organisation"))


def enquiries_waiting(user: User) -> list[WorkItem]:
    """Enquiries in the user's triage queue still waiting for their first response, unassigned or assigned to
    them (one assigned to a colleague is that colleague's), most urgent and soonest due first."""
    labels = RoleLabels.of(user)
    queue = enquiry_queue(user=user).filter(status__in=sorted(AWAITING_RESPONSE))
    queue = queue.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True)).order_by("response_due_at", "pk")
    # Soonest due (so the overdue) first, as the home page sorts them.
    listed, items = first_listed(
        queue,
        heading=ENQUIRIES,
        overdue=Q(is_overdue=True),
    )
    for enquiry in listed:
        organisation = labels.label(
            organisations=[enquiry.handled_by_id] if enquiry.handled_by_id else [],
            roles=[Role.FAMILY_LIAISON_OFFICER],
            default=labels.label(roles=[Role.FAMILY_LIAISON_OFFICER]),
        )
        about = f"About {enquiry.case.reference}" if enquiry.case_id and enquiry.case else "Not yet linked to a case"
        category = EnquiryCategory(enquiry.category).label if enquiry.category else "Not yet triaged"
        items.append(
            WorkItem(
                group=ENQUIRIES,
                kind="Enquiry",
                title=f"Enquiry {enquiry.reference}",
                url=reverse("communications:enquiry-detail", args=[enquiry.pk]),
                organisation=organisation,
                due=enquiry.response_due_at,
                overdue=enquiry.work_overdue,  # type: ignore[attr-defined]
                urgency=WorkUrgency.URGENT if enquiry.urgency == Urgency.URGENT else WorkUrgency.ROUTINE,
                progress="Assigned to you" if enquiry.assigned_to_id == user.pk else "Not assigned",
                detail=f"{category}. {about}",
            )
        )
    return items


def notices_to_approve(user: User) -> list[WorkItem]:
    """Notices with a version in review that the user may approve and their organisation has not (the rule of
    ``notices_awaiting_approval_by``): as the public-communications lead, or a party's sign-off role."""
    labels = RoleLabels.of(user)
    items = []
    for notice in notices_awaiting_approval_by(user=user).prefetch_related(_parties()):
        if notice.kind == NoticeKind.JOINT_STATEMENT:
            signatory = next(
                (
                    membership
                    for party in notice.case.parties.all()
                    if (
                        membership := labels.find(
                            organisations=[party.organisation_id],
                            roles=[SIGN_OFF_ROLE_BY_KIND[party.organisation.kind]],
                        )
                    )
                ),
                None,
            )
            organisation = organisation_label(signatory.organisation, signatory.role) if signatory else ""
        else:
            party_label = labels.label(organisations=[p.organisation_id for p in notice.case.parties.all()])
            organisation = f"Public communications lead{', ' + party_label if party_label else ''}"
        items.append(
            WorkItem(
                group=APPROVALS,
                kind=NoticeKind(notice.kind).label,
                title=notice.latest_title or f"{NoticeKind(notice.kind).label} for {notice.case.reference}",  # type: ignore[attr-defined]
                url=reverse("communications:staff-notice-detail", args=[notice.pk]) + "#approval",
                organisation=organisation,
                urgency=WorkUrgency.HIGH if notice.case.immediate else WorkUrgency.ROUTINE,
                detail=f"About {notice.case.reference}: {notice.case.title}",
            )
        )
    return items


def notices_to_finish(user: User) -> list[WorkItem]:
    """Drafts to finish and send for approval, and approved notices to publish, on the cases where the user is
    communications staff."""
    labels = RoleLabels.of(user)
    items = []
    for notice in notices_to_finish_by(user=user).prefetch_related(_parties()):
        draft = notice.status == NoticeStatus.DRAFT
        organisation = labels.label(
            organisations=[p.organisation_id for p in notice.case.parties.all()],
            roles=[Role.COMMUNICATIONS_OFFICER],
            default="Public communications lead",
        )
        items.append(
            WorkItem(
                group=NOTICES,
                kind=NoticeKind(notice.kind).label,
                title=notice.latest_title or f"{NoticeKind(notice.kind).label} for {notice.case.reference}",  # type: ignore[attr-defined]
                url=reverse("communications:staff-notice-detail", args=[notice.pk]),
                organisation=organisation,
                progress="Draft: finish and send for approval" if draft else "Approved: ready to publish",
                detail=f"About {notice.case.reference}: {notice.case.title}",
            )
        )
    return items


def plan_items_due(user: User) -> list[WorkItem]:
    """The communications plan items the user owns and has not done."""
    labels = RoleLabels.of(user)
    today = timezone.localdate()
    return [
        WorkItem(
            group=PLAN_ITEMS,
            kind="Plan item",
            title=item.title,
            url=reverse("communications:plan", args=[item.plan.case_id]),
            organisation=labels.label(organisations=[p.organisation_id for p in item.plan.case.parties.all()]),
            due=item.due_on,
            overdue=item.due_on < today,
            detail=f"{item.get_audience_display()}, {item.get_channel_display().lower()}. "
            f"Plan for {item.plan.case.reference}",
        )
        for item in plan_items_owned_by(user=user)
    ]


def register() -> None:
    """Called once when the app loads."""
    register_work_source("communications.enquiries", enquiries_waiting)
    register_work_source("communications.notice_approvals", notices_to_approve)
    register_work_source("communications.notices_to_finish", notices_to_finish)
    register_work_source("communications.plan_items", plan_items_due)
    register_see_all(ENQUIRIES, "communications:enquiry-queue")
    for heading in (APPROVALS, NOTICES, PLAN_ITEMS):
        register_see_all(heading, "communications:case-list")
