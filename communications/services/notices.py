"""Notices and guidance, from draft to the public site: drafted and revised by the case's communications staff,
sent for review, approved by the case's accountable public-communications lead (a joint statement: by the sign-off
officer of every party), published at once or at an embargo time, then corrected with a visible note or withdrawn.

Every version is kept. A version's text is frozen once submitted: returning it marks it returned (with the reason)
and opens a new draft carrying the same text, so every approval refers to exactly the words approved. Each service
locks the notice row first, so concurrent approvals, publications and withdrawals are serialised, and records the
audit event in the same transaction. What the public sees changes only through these services and the embargo
clock; the public cache is told once each change commits.

Who does what:

- the case's communications staff (communications officers of its parties, and its accountable lead for public
  communications) draft, revise, submit, publish, take off the schedule, draft corrections and discard them;
- the approvers (see ``communications.selectors.notices``) approve and return;
- withdrawing a notice that is public or scheduled is for the accountable lead alone; a notice that never went
  public may be abandoned (withdrawn) by any of the communications staff.

Families first: when a notice is marked so, the e-mail addresses given with the public enquiries linked to its case
(every enquiry needs the sender's consent to keep and use their details to help them) are told before the public,
once, when the notice is scheduled; such a notice must be scheduled at least ``NOTICE_FAMILIES_FIRST_MINUTES``
ahead, so that the families hear first. Enquiries are the only record of families the service holds: when a register
of enrolled families exists, it replaces them here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import Organisation, User
from communications.markdown import render_markdown
from communications.models import (
    LIVE_STATUSES,
    UNPUBLISHED_STATUSES,
    WORKING_VERSION_STATUSES,
    Enquiry,
    Notice,
    NoticeApproval,
    NoticeKind,
    NoticeStatus,
    NoticeVersion,
    SupportService,
    VersionStatus,
)
from communications.public_cache import public_site_changing
from communications.selectors.notices import approvals_open_to, approvals_required, is_approver, may_approve
from communications.selectors.plans import communications_acting_for, is_public_communications_lead
from communications.services.notification_events import (
    notice_approved_notify,
    notice_awaiting_approval_notify,
    notice_published_notify,
)
from communications.verbs import CommunicationsVerb
from failure_regime.dates import long_date
from failure_regime.models import Case, CaseStatus
from failure_regime.services.outbox import Mail, outbox_enqueue

# A case goes public only once every party has agreed to it.
PUBLISHABLE_CASE_STATUSES = frozenset({CaseStatus.TRIGGERED, CaseStatus.ACTIVE, CaseStatus.CLOSED})


@dataclass(frozen=True)
class NoticeText:
    """The words of one version, as the communications staff write them (Markdown)."""

    title: str
    summary: str
    body_markdown: str
    what_is_being_done_markdown: str = ""
    who_leads_markdown: str = ""
    correction_note: str = ""
    what_happens_next_markdown: str = ""
    next_update_on: date | None = None


# --- Helpers ----------------------------------------------------------------------------------------


def _staff_organisation(actor: User, case: Case, doing: str, organisation: Organisation | None) -> Organisation:
    """The organisation the actor works on the case's communications for: ``organisation`` if given (checked to be
    one of theirs), else their only one; a person with several who named none is asked (``acting_for``)."""
    return communications_acting_for(user=actor, case=case, chosen=organisation, doing=doing)


def _lock(notice: Notice) -> Notice:
    return Notice.objects.select_for_update().select_related("case", "provider").get(pk=notice.pk)


def _working(notice: Notice) -> NoticeVersion | None:
    return notice.versions.select_for_update().filter(status__in=WORKING_VERSION_STATUSES).first()


def _require_working(notice: Notice, status: str, message: str) -> NoticeVersion:
    version = _working(notice)
    if version is None or version.status != status:
        raise TransitionNotAllowed(message)
    return version


def _move(notice: Notice, status: str) -> None:
    if not notice.can_become(status):
        raise TransitionNotAllowed(
            f"A notice that is {notice.get_status_display().lower()} cannot become "
            f"{NoticeStatus(status).label.lower()}."
        )
    notice.status = status


def _move_version(version: NoticeVersion, status: str) -> None:
    if not version.can_become(status):
        raise TransitionNotAllowed(
            f"A version that is {version.get_status_display().lower()} cannot become "
            f"{VersionStatus(status).label.lower()}."
        )
    version.status = status


def _check_text(text: NoticeText, *, correction: bool) -> None:
    errors: dict[str, str] = {}
    if not text.title.strip():
        errors["title"] = "Enter a title."
    elif len(text.title.strip()) > 200:
        errors["title"] = "The title must be 200 characters or fewer."
    if not text.summary.strip():
        errors["summary"] = "Enter a summary of one or two sentences."
    elif len(text.summary.strip()) > 500:
        errors["summary"] = "The summary must be 500 characters or fewer."
    if not text.body_markdown.strip():
        errors["body_markdown"] = "Say what happened."
    if correction and not text.correction_note.strip():
        errors["correction_note"] = "Say what changed and why: the public will see this note."
    if errors:
        raise ValidationError(errors)


# The fields of a version the public reads, in the order the page shows them.
_PUBLIC_TEXT = (
    "title",
    "summary",
    "body_markdown",
    "what_is_being_done_markdown",
    "who_leads_markdown",
    "what_happens_next_markdown",
)
_HELPLINE = re.compile(r"\bhelp[ -]?lines?\b", re.IGNORECASE)
# A UK telephone number: 01, 02, 03, 05, 07, 08 and 09 numbers of 10 or 11 digits (spaces or hyphens allowed,
# +44 for the first 0), or a short number the public knows: 111, 999 and the 116 helplines.
_UK_PHONE = re.compile(
    r"(?<![\d+])(?:\+44[ -]?(?:\(0\)[ -]?)?|0)[1-35789](?:[ -]?\d){8,9}(?!\d)"
    r"|(?<!\d)(?:111|999|116[ -]?\d{3})(?!\d)"
)
_HREF = re.compile(r'href="([^"]*)"')


def _links_support(html: str) -> bool:
    """Whether the rendered text links the public support directory, or the website of a support service offered."""
    support = reverse("communications:support")
    site = urlsplit(settings.SITE_URL).netloc
    websites: set[str] | None = None
    for href in _HREF.findall(html.replace("&amp;", "&")):
        parts = urlsplit(href)
        if parts.netloc in ("", site) and parts.path.startswith(support):
            return True
        if parts.scheme in ("http", "https"):
            if websites is None:
                offered = SupportService.objects.active().exclude(website="").values_list("website", flat=True)
                websites = {urlsplit(w).netloc.lower() for w in offered}
            if parts.netloc.lower() in websites:
                return True
    return False


def notice_text_problems(*, kind: str, text: NoticeText, today: date | None = None) -> dict[str, str]:
    """What must change before a version can be sent for approval, by field: every notice except guidance says
    what happens next (and a promised update date is not already past); a notice that mentions a helpline gives a
    UK phone number or links a support service. ``notice_submit`` refuses a draft with any, as field errors."""
    problems: dict[str, str] = {}
    if kind != NoticeKind.GUIDANCE and not text.what_happens_next_markdown.strip():
        problems["what_happens_next_markdown"] = "Say what happens next and when, so that people know what to expect."
    if text.next_update_on is not None and text.next_update_on < (today or timezone.localdate()):
        problems["next_update_on"] = "The date of the next update must be today or in the future."
    values = {field: str(getattr(text, field)) for field in _PUBLIC_TEXT}
    mentions = [field for field, value in values.items() if _HELPLINE.search(value)]
    if mentions:
        everything = "\n".join(values.values())
        rendered = "".join(render_markdown(values[field]) for field in _PUBLIC_TEXT[2:])
        if not _UK_PHONE.search(everything) and not _links_support(rendered):
            problems.setdefault(
                mentions[0],
                "Give the phone number of the helpline you mention, or link to the support page.",
            )
    return problems


def _write_text(version: NoticeVersion, text: NoticeText) -> None:
    version.title = text.title.strip()
    version.summary = text.summary.strip()
    version.body_markdown = text.body_markdown.strip()
    version.body_html = render_markdown(version.body_markdown)
    version.what_is_being_done_markdown = text.what_is_being_done_markdown.strip()
    version.what_is_being_done_html = render_markdown(version.what_is_being_done_markdown)
    version.who_leads_markdown = text.who_leads_markdown.strip()
    version.who_leads_html = render_markdown(version.who_leads_markdown)
    version.what_happens_next_markdown = text.what_happens_next_markdown.strip()
    version.what_happens_next_html = render_markdown(version.what_happens_next_markdown)
    version.next_update_on = text.next_update_on
    version.correction_note = text.correction_note.strip() if version.is_correction else ""


def _text_of(version: NoticeVersion) -> NoticeText:
    return NoticeText(
        title=version.title,
        summary=version.summary,
        body_markdown=version.body_markdown,
        what_is_being_done_markdown=version.what_is_being_done_markdown,
        who_leads_markdown=version.who_leads_markdown,
        correction_note=version.correction_note,
        what_happens_next_markdown=version.what_happens_next_markdown,
        next_update_on=version.next_update_on,
    )


def _lock_published(notice: Notice) -> NoticeVersion:
    if notice.published_version_id is None:
        raise TransitionNotAllowed("This notice has no published version.")
    return NoticeVersion.objects.select_for_update().get(pk=notice.published_version_id)


def _next_number(notice: Notice) -> int:
    latest = notice.versions.order_by("-number").values_list("number", flat=True).first()
    return (latest or 0) + 1


def _is_embargoed(notice: Notice, now: datetime) -> bool:
    return notice.status == NoticeStatus.PUBLISHED and notice.publish_at is not None and notice.publish_at > now


# --- Drafting ---------------------------------------------------------------------------------------


@transaction.atomic
def notice_draft(
    *,
    actor: User,
    case: Case,
    kind: str,
    text: NoticeText,
    families_first: bool = False,
    organisation: Organisation | None = None,
) -> Notice:
    """Starts a notice about ``case`` with its first draft version. Only the case's communications staff may."""
    organisation = _staff_organisation(actor, case, "draft notices about this case", organisation)
    if kind not in NoticeKind.values:
        raise ValidationError({"kind": "Choose what kind of notice this is."})
    _check_text(text, correction=False)
    now = timezone.now()
    notice = Notice.objects.create(
        kind=kind,
        case=case,
        provider_id=case.provider_id,
        families_first=families_first,
        created_by=actor,
        created_by_organisation=organisation,
        created_at=now,
    )
    version = NoticeVersion(notice=notice, number=1, created_by=actor, created_at=now)
    _write_text(version, text)
    version.save()
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.NOTICE_DRAFTED,
        target=notice,
        scope=case,
        after={"kind": kind, "status": NoticeStatus.DRAFT, "version": 1, "families_first": families_first},
    )
    return notice


@transaction.atomic
def notice_revise(
    *,
    actor: User,
    notice: Notice,
    text: NoticeText,
    families_first: bool | None = None,
    organisation: Organisation | None = None,
) -> NoticeVersion:
    """Changes the words of the draft being worked on (a first draft or a correction). Text sent for review is
    frozen: it must be returned first. Whether families hear first can change until the first publication."""
    organisation = _staff_organisation(actor, notice.case, "change this notice", organisation)
    notice = _lock(notice)
    version = _require_working(
        notice, VersionStatus.DRAFT, "Only a draft can be changed. Ask an approver to return it for changes."
    )
    _check_text(text, correction=version.is_correction)
    _write_text(version, text)
    version.save()
    if families_first is not None and families_first != notice.families_first:
        if notice.status not in UNPUBLISHED_STATUSES:
            raise ValidationError({"families_first": "This can change only before the notice is first published."})
        notice.families_first = families_first
        notice.save(update_fields=["families_first"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.NOTICE_REVISED,
        target=notice,
        scope=notice.case,
        after={"version": version.number, "families_first": notice.families_first},
    )
    return version


@transaction.atomic
def notice_submit(*, actor: User, notice: Notice, organisation: Organisation | None = None) -> NoticeVersion:
    """Sends the draft for review; its text is frozen from now on."""
    organisation = _staff_organisation(actor, notice.case, "send this notice for review", organisation)
    notice = _lock(notice)
    version = _require_working(notice, VersionStatus.DRAFT, "There is no draft to send for review.")
    problems = notice_text_problems(kind=notice.kind, text=_text_of(version))
    if problems:
        raise ValidationError(problems)
    before = {"status": notice.status, "version_status": version.status}
    _move_version(version, VersionStatus.IN_REVIEW)
    version.submitted_by, version.submitted_at = actor, timezone.now()
    version.save(update_fields=["status", "submitted_by", "submitted_at"])
    if notice.status == NoticeStatus.DRAFT:
        _move(notice, NoticeStatus.IN_REVIEW)
        notice.save(update_fields=["status"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.NOTICE_SUBMITTED,
        target=notice,
        scope=notice.case,
        before=before,
        after={"status": notice.status, "version_status": version.status, "version": version.number},
    )
    notice_awaiting_approval_notify(notice=notice, version=version, actor=actor)
    return version


# --- Review -----------------------------------------------------------------------------------------


def _approver_organisation(actor: User, notice: Notice, version: NoticeVersion) -> Organisation | None:
    required = approvals_required(notice=notice, version=version)
    return next((r.organisation for r in required if may_approve(user=actor, required=r)), None)


@transaction.atomic
def notice_return(*, actor: User, notice: Notice, reason: str) -> NoticeVersion:
    """An approver sends the version back for changes, with the reason. The returned version is kept as it was;
    a new draft carrying the same text takes its place. Returns the new draft."""
    notice = _lock(notice)
    version = _working(notice)
    if version is None or version.status not in (VersionStatus.IN_REVIEW, VersionStatus.APPROVED):
        raise TransitionNotAllowed("Only a version in review or approved (and not yet published) can be returned.")
    if not is_approver(user=actor, notice=notice, version=version):
        raise PermissionDenied("Only the people who approve this notice can return it.")
    if not reason.strip():
        raise ValidationError({"reason": "Say what needs to change."})
    organisation = _approver_organisation(actor, notice, version)
    before = {"status": notice.status, "version_status": version.status}
    now = timezone.now()
    # Mark it returned before its replacement exists: a notice has one working version at a time.
    _move_version(version, VersionStatus.RETURNED)
    version.returned_by, version.returned_at, version.return_reason = actor, now, reason.strip()
    version.save(update_fields=["status", "returned_by", "returned_at", "return_reason"])
    draft = NoticeVersion(
        notice=notice,
        number=_next_number(notice),
        is_correction=version.is_correction,
        created_by=actor,
        created_at=now,
    )
    _write_text(draft, _text_of(version))
    draft.save()
    if notice.status in (NoticeStatus.IN_REVIEW, NoticeStatus.APPROVED):
        _move(notice, NoticeStatus.DRAFT)
        notice.save(update_fields=["status"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.NOTICE_RETURNED,
        target=notice,
        scope=notice.case,
        before=before,
        after={"status": notice.status, "returned_version": version.number, "new_version": draft.number},
    )
    return draft


@transaction.atomic
def notice_approve(*, actor: User, notice: Notice, organisation: Organisation | None = None) -> NoticeApproval:
    """Records one organisation's approval of the version in review. When the last approval it needs is in, the
    version (and a notice not yet published) becomes approved. ``organisation`` chooses, for someone who could
    approve for more than one, which they approve for."""
    notice = _lock(notice)
    version = _require_working(notice, VersionStatus.IN_REVIEW, "Only a version in review can be approved.")
    required = approvals_required(notice=notice, version=version)
    if not required:
        raise TransitionNotAllowed(
            "The case has no accountable lead for public communications yet, so nobody can approve this notice."
        )
    open_to_actor = approvals_open_to(user=actor, required=required)
    if organisation is not None:
        open_to_actor = [r for r in open_to_actor if r.organisation.pk == organisation.pk]
    if not open_to_actor:
        if is_approver(user=actor, notice=notice, version=version):
            raise ConflictError("Your organisation has already approved this version.")
        raise PermissionDenied("Your role does not allow you to approve this notice.")
    if len(open_to_actor) > 1:
        raise ValidationError({"organisation": "Choose which organisation you approve this notice for."})
    chosen = open_to_actor[0]
    now = timezone.now()
    approval = NoticeApproval.objects.create(
        version=version, organisation=chosen.organisation, approver=actor, basis=chosen.basis, decided_at=now
    )
    audit_record(
        actor=actor,
        organisation=chosen.organisation,
        verb=CommunicationsVerb.NOTICE_APPROVAL_GIVEN,
        target=notice,
        scope=notice.case,
        after={"version": version.number, "organisation": chosen.organisation.ods_code, "basis": chosen.basis},
    )
    if all(r.given or r is chosen for r in required):
        before = {"status": notice.status, "version_status": version.status}
        _move_version(version, VersionStatus.APPROVED)
        version.approved_at = now
        version.save(update_fields=["status", "approved_at"])
        if notice.status == NoticeStatus.IN_REVIEW:
            _move(notice, NoticeStatus.APPROVED)
            notice.save(update_fields=["status"])
        audit_record(
            actor=actor,
            organisation=chosen.organisation,
            verb=CommunicationsVerb.NOTICE_APPROVED,
            target=notice,
            scope=notice.case,
            before=before,
            after={"status": notice.status, "version_status": version.status, "version": version.number},
        )
        notice_approved_notify(notice=notice, version=version, actor=actor)
    return approval


# --- Publication ------------------------------------------------------------------------------------


def families_first_lead_time() -> timedelta:
    return timedelta(minutes=int(settings.NOTICE_FAMILIES_FIRST_MINUTES))


def _families_mail(notice: Notice, version: NoticeVersion, publish_at: datetime, enquiry_pk: int, to: str) -> Mail:
    link = settings.SITE_URL + reverse("communications:notice-detail", args=[notice.pk])
    local = timezone.localtime(publish_at)
    when = f"{long_date(local.date())} at {local:%H:%M}"
    body = (
        "Hello,\n\n"
        f"You wrote to us about care at {notice.provider.name}. We promised to tell families before we tell the "
        "public, so we are writing to you first.\n\n"
        f"On {when} we will publish:\n\n{version.title}\n\n{version.summary}\n\n"
        f"From then you can read it in full here: {link}\n\n"
        "If this news is hard to read, you do not have to face it alone. Support is listed on the notice. To talk to "
        "someone about it, contact us again and give the reference we sent you when you first wrote.\n"
    )
    # The subject names the provider, never the family or the patient.
    subject = f"Before it is published: news about care at {notice.provider.name}"
    return Mail(dedupe_key=f"notice:{notice.pk}:families:{enquiry_pk}", to=to, subject=subject, body=body)


def _notify_families(actor: User, organisation: Organisation, notice: Notice, version: NoticeVersion) -> None:
    assert notice.publish_at is not None  # noqa: S101 - called only once a publication time is set
    senders = Enquiry.objects.filter(case_id=notice.case_id, consent=True).exclude(email="").order_by("received_at")
    first_by_address: dict[str, tuple[int, str]] = {}
    for pk, email in senders.values_list("pk", "email"):
        first_by_address.setdefault(email.strip().lower(), (pk, email.strip()))
    mails = [_families_mail(notice, version, notice.publish_at, pk, email) for pk, email in first_by_address.values()]
    outbox_enqueue(messages=mails)
    notice.families_notified_at = timezone.now()
    notice.save(update_fields=["families_notified_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.NOTICE_FAMILIES_NOTIFIED,
        target=notice,
        scope=notice.case,
        after={"families": len(mails), "publish_at": notice.publish_at},
    )


def _publish_first(
    actor: User, organisation: Organisation, notice: Notice, version: NoticeVersion, publish_at: datetime | None
) -> None:
    now = timezone.now()
    if notice.case.status not in PUBLISHABLE_CASE_STATUSES:
        raise TransitionNotAllowed("Nothing about a case is published until every party has agreed to trigger it.")
    if publish_at is not None and publish_at <= now:
        raise ValidationError({"publish_at": "The time must be in the future. To publish now, publish it now."})
    if notice.families_first and (publish_at is None or publish_at < now + families_first_lead_time()):
        minutes = int(settings.NOTICE_FAMILIES_FIRST_MINUTES)
        raise ValidationError(
            {
                "publish_at": f"This notice tells families first: schedule it at least {minutes} minutes ahead, so "
                "that they hear before the public."
            }
        )
    at = publish_at or now
    before = {"status": notice.status, "version_status": version.status}
    _move_version(version, VersionStatus.PUBLISHED)
    version.published_at = at
    version.save(update_fields=["status", "published_at"])
    _move(notice, NoticeStatus.PUBLISHED)
    notice.published_version, notice.publish_at, notice.last_updated_at = version, at, at
    notice.save(update_fields=["status", "published_version", "publish_at", "last_updated_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.NOTICE_SCHEDULED if publish_at else CommunicationsVerb.NOTICE_PUBLISHED,
        target=notice,
        scope=notice.case,
        before=before,
        after={"status": notice.status, "version": version.number, "publish_at": at},
    )
    if notice.families_first and notice.families_notified_at is None:
        _notify_families(actor, organisation, notice, version)


def _publish_correction(
    actor: User, organisation: Organisation, notice: Notice, version: NoticeVersion, publish_at: datetime | None
) -> None:
    if publish_at is not None:
        raise ValidationError({"publish_at": "A correction is published at once; it cannot be scheduled."})
    current = _lock_published(notice)
    now = timezone.now()
    before = {"status": notice.status, "published_version": current.number}
    # Supersede the old version before publishing the new: a notice has one published version at a time.
    _move_version(current, VersionStatus.SUPERSEDED)
    current.superseded_at = now
    current.save(update_fields=["status", "superseded_at"])
    _move_version(version, VersionStatus.PUBLISHED)
    version.published_at = now
    version.save(update_fields=["status", "published_at"])
    _move(notice, NoticeStatus.CORRECTED)
    notice.published_version, notice.last_updated_at = version, now
    notice.save(update_fields=["status", "published_version", "last_updated_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.NOTICE_CORRECTED,
        target=notice,
        scope=notice.case,
        before=before,
        after={"status": notice.status, "published_version": version.number},
    )


@transaction.atomic
def notice_publish(
    *, actor: User, notice: Notice, publish_at: datetime | None = None, organisation: Organisation | None = None
) -> Notice:
    """Publishes the approved version: at once, or (for the first publication only) at ``publish_at``, an embargo
    before which the public sees nothing. An approved correction replaces the published version at once."""
    organisation = _staff_organisation(actor, notice.case, "publish this notice", organisation)
    notice = _lock(notice)
    version = _require_working(notice, VersionStatus.APPROVED, "Only an approved version can be published.")
    if notice.status == NoticeStatus.APPROVED:
        _publish_first(actor, organisation, notice, version, publish_at)
    elif notice.status in LIVE_STATUSES and not _is_embargoed(notice, timezone.now()):
        _publish_correction(actor, organisation, notice, version, publish_at)
    else:
        raise TransitionNotAllowed("This notice cannot be published now.")
    notice_published_notify(notice=notice, version=version, actor=actor)
    public_site_changing()
    return notice


@transaction.atomic
def notice_unschedule(*, actor: User, notice: Notice, organisation: Organisation | None = None) -> Notice:
    """Takes a scheduled notice off the schedule before its embargo lifts: it is approved again, and can be
    rescheduled or returned for changes. Families already told are not told again."""
    organisation = _staff_organisation(actor, notice.case, "change when this notice is published", organisation)
    notice = _lock(notice)
    if not _is_embargoed(notice, timezone.now()):
        raise TransitionNotAllowed("Only a notice that is scheduled and not yet public can be taken off the schedule.")
    version = _lock_published(notice)
    before = {"status": notice.status, "publish_at": notice.publish_at}
    _move_version(version, VersionStatus.APPROVED)
    version.published_at = None
    version.save(update_fields=["status", "published_at"])
    _move(notice, NoticeStatus.APPROVED)
    notice.published_version, notice.publish_at, notice.last_updated_at = None, None, None
    notice.save(update_fields=["status", "published_version", "publish_at", "last_updated_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.NOTICE_UNSCHEDULED,
        target=notice,
        scope=notice.case,
        before=before,
        after={"status": notice.status},
    )
    public_site_changing()
    return notice


# --- After publication ------------------------------------------------------------------------------


@transaction.atomic
def notice_correct(
    *, actor: User, notice: Notice, text: NoticeText, organisation: Organisation | None = None
) -> NoticeVersion:
    """Starts a correction of a public notice: a new draft version with a note, shown to the public, of what
    changed and why. The published version stays public until the correction is approved and published."""
    organisation = _staff_organisation(actor, notice.case, "correct this notice", organisation)
    notice = _lock(notice)
    if notice.status not in LIVE_STATUSES or _is_embargoed(notice, timezone.now()):
        raise TransitionNotAllowed(
            "Only a notice the public can read can be corrected. Take a scheduled notice off the schedule to change it."
        )
    if _working(notice) is not None:
        raise ConflictError("A correction of this notice is already being worked on.")
    _check_text(text, correction=True)
    version = NoticeVersion(
        notice=notice, number=_next_number(notice), is_correction=True, created_by=actor, created_at=timezone.now()
    )
    _write_text(version, text)
    version.save()
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.NOTICE_CORRECTION_DRAFTED,
        target=notice,
        scope=notice.case,
        after={"version": version.number},
    )
    return version


@transaction.atomic
def notice_discard(*, actor: User, notice: Notice, organisation: Organisation | None = None) -> NoticeVersion:
    """Abandons a correction being worked on; the published version stays as it is. (A notice that was never
    published is abandoned by withdrawing it.)"""
    organisation = _staff_organisation(actor, notice.case, "discard this correction", organisation)
    notice = _lock(notice)
    version = _working(notice)
    if version is None or not version.is_correction:
        raise TransitionNotAllowed("There is no correction being worked on.")
    before = {"version_status": version.status}
    _move_version(version, VersionStatus.DISCARDED)
    version.save(update_fields=["status"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.NOTICE_VERSION_DISCARDED,
        target=notice,
        scope=notice.case,
        before=before,
        after={"version_status": version.status, "version": version.number},
    )
    return version


@transaction.atomic
def notice_withdraw(*, actor: User, notice: Notice, reason: str, organisation: Organisation | None = None) -> Notice:
    """Withdraws a notice, with a reason the public sees on its page. A notice that is public or scheduled is
    withdrawn by the case's accountable lead for public communications only. Every version is kept; a version still
    being worked on is discarded."""
    notice = _lock(notice)
    if notice.status in LIVE_STATUSES:
        organisation = _staff_organisation(actor, notice.case, "withdraw this notice", organisation)
        if not is_public_communications_lead(user=actor, case=notice.case):
            raise PermissionDenied(
                "Only the case's accountable lead for public communications can withdraw a published notice."
            )
    else:
        organisation = _staff_organisation(actor, notice.case, "withdraw this notice", organisation)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the notice is withdrawn: the public will see this."})
    before = {"status": notice.status}
    _move(notice, NoticeStatus.WITHDRAWN)
    working = _working(notice)
    if working is not None:
        _move_version(working, VersionStatus.DISCARDED)
        working.save(update_fields=["status"])
    notice.withdrawn_at, notice.withdrawn_by, notice.withdrawal_reason = timezone.now(), actor, reason.strip()
    notice.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.NOTICE_WITHDRAWN,
        target=notice,
        scope=notice.case,
        before=before,
        after={"status": notice.status},
    )
    public_site_changing()
    return notice
