"""Who is told of each event of communications, and telling them: enquiries given to an officer or escalated, and
notices awaiting approval, approved and published.

One function per event, called by its service inside the service's transaction, after the change and its audit
event; each works out its recipients in a fixed number of queries and leaves out the person who acted. Titles name
an enquiry by its reference and a notice by its title: never the sender, a patient or anything they wrote.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from communications.models import ApprovalBasis, Enquiry, Notice, NoticeVersion, Urgency
from communications.selectors.notices import approvals_required
from communications.selectors.plans import public_communications_lead
from failure_regime.models import NotificationEvent
from failure_regime.permissions import sign_off_role_for
from failure_regime.services.clock import members_by_role
from failure_regime.services.notification_events import Audience, tell

# --- Enquiries ----------------------------------------------------------------------------------------------


def _enquiry_name(enquiry: Enquiry, *, capital: bool = False) -> str:
    urgent = "urgent " if enquiry.urgency == Urgency.URGENT else ""
    name = f"{urgent}enquiry {enquiry.reference}"
    return name[:1].upper() + name[1:] if capital else name


def enquiry_assigned_notify(*, enquiry: Enquiry, actor: User) -> list[User]:
    """Tells the family liaison officer an enquiry has been given to, unless they took it themselves."""
    if enquiry.assigned_to is None or enquiry.triaged_at is None:
        return []
    return tell(
        event=NotificationEvent.ENQUIRY_ASSIGNED,
        audience=[(enquiry.handled_by, [enquiry.assigned_to])],
        title=f"{_enquiry_name(enquiry, capital=True)} has been given to you",
        link=reverse("communications:enquiry-detail", args=[enquiry.pk]),
        key=f"enquiry:{enquiry.pk}:assigned:{enquiry.assigned_to_id}:{enquiry.triaged_at.isoformat()}",
        about=enquiry,
        leave_out=actor,
    )


def enquiry_escalated_notify(*, enquiry: Enquiry, recipients: list[User], body: str = "") -> list[User]:
    """Tells the people who handle an enquiry (the escalation sweep's own list of them) that its response is
    overdue. Nobody acted: the clock did."""
    if enquiry.escalated_at is None:
        return []
    return tell(
        event=NotificationEvent.ENQUIRY_ESCALATED,
        audience=[(enquiry.handled_by, recipients)],
        title=f"{_enquiry_name(enquiry, capital=True)}: response overdue",
        body=body,
        link=reverse("communications:enquiry-detail", args=[enquiry.pk]),
        key=f"enquiry:{enquiry.pk}:escalated:{enquiry.escalated_at.isoformat()}",
        about=enquiry,
    )


# --- Notices ------------------------------------------------------------------------------------------------


def _notice_link(notice: Notice) -> str:
    return reverse("communications:staff-notice-detail", args=[notice.pk])


def notice_awaiting_approval_notify(*, notice: Notice, version: NoticeVersion, actor: User) -> list[User]:
    """Asks the people who approve this version (``approvals_required``: the case's accountable lead for public
    communications, or for a joint statement the sign-off role of every party) to approve it."""
    required = [r for r in approvals_required(notice=notice, version=version) if not r.given]
    roles = {
        r.organisation.pk: sign_off_role_for(r.organisation)
        for r in required
        if r.basis == ApprovalBasis.PARTY_SIGN_OFF
    }
    members = members_by_role(roles.items())
    audience: Audience = []
    for r in required:
        if r.basis == ApprovalBasis.PARTY_SIGN_OFF:
            audience.append((r.organisation, members.get((r.organisation.pk, roles[r.organisation.pk]), [])))
        elif r.lead is not None:
            audience.append((r.organisation, [r.lead]))
    return tell(
        event=NotificationEvent.NOTICE_AWAITING_APPROVAL,
        audience=audience,
        title=f"To approve: {version.title}",
        body=f"A {notice.get_kind_display().lower()} about case {notice.case.reference} awaits approval.",
        link=_notice_link(notice),
        key=f"notice:{notice.pk}:version:{version.pk}:awaiting_approval",
        about=notice,
        leave_out=actor,
    )


def notice_approved_notify(*, notice: Notice, version: NoticeVersion, actor: User) -> list[User]:
    """Tells the notice's author that the version has every approval it needs and can be published."""
    return tell(
        event=NotificationEvent.NOTICE_APPROVED,
        audience=[(notice.created_by_organisation, [notice.created_by])],
        title=f"Approved: {version.title}",
        body="It can now be published.",
        link=_notice_link(notice),
        key=f"notice:{notice.pk}:version:{version.pk}:approved",
        about=notice,
        leave_out=actor,
    )


def notice_published_notify(*, notice: Notice, version: NoticeVersion, actor: User) -> list[User]:
    """Tells the notice's author and the case's accountable lead for public communications that a version has been
    published (or scheduled for publication)."""
    lead = public_communications_lead(case=notice.case)
    audience: Audience = [(notice.created_by_organisation, [notice.created_by])]
    if lead is not None and lead.lead is not None:
        audience.append((lead.lead_organisation, [lead.lead]))
    assert version.published_at is not None  # noqa: S101 - called once the version is published
    scheduled = version.published_at > timezone.now()
    return tell(
        event=NotificationEvent.NOTICE_PUBLISHED,
        audience=audience,
        title=f"{'Scheduled for publication' if scheduled else 'Published'}: {version.title}",
        link=_notice_link(notice),
        key=f"notice:{notice.pk}:version:{version.pk}:published:{version.published_at.isoformat()}",
        about=notice,
        leave_out=actor,
    )
