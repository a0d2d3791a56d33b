"""Reads of notices: for staff, by who is asking; for the public, by ``Notice.objects.public()`` and nothing else.

Staff see a notice exactly when they may see its case (the members of the case's parties and national oversight),
drafts included: a joint statement needs every party, and each party's sign-off officer must be able to read what
they approve.

Who must approve a version:

- an ordinary notice: the organisation of the case's accountable public-communications lead, through the lead
  in person;
- a joint statement: every party to the case, each through someone holding that party's sign-off role there
  (``failure_regime.permissions.sign_off_role_for``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_time

from accounts.models import Organisation, User
from communications.models import (
    PUBLIC_NOTICE_KINDS,
    PUBLISHED_VERSION_STATUSES,
    WORKING_VERSION_STATUSES,
    ApprovalBasis,
    Notice,
    NoticeApproval,
    NoticeKind,
    NoticeStatus,
    NoticeVersion,
    OpeningTime,
    SupportKind,
    SupportService,
    VersionStatus,
    public_notice_q,
    public_notice_sql,
    published_version_sql,
)
from communications.selectors.plans import communications_cases_for_user, public_communications_lead
from communications.selectors.support import describe_opening_hours
from communications.workdays import clock_words
from failure_regime import areas
from failure_regime import selectors as regime
from failure_regime.dates import iso_moment, long_date
from failure_regime.models import Area, CaseParty, Responsibility
from failure_regime.permissions import SIGN_OFF_ROLE_BY_KIND, sign_off_role_for

# --- Staff ------------------------------------------------------------------------------------------


def notice_list_for_user(*, user: User) -> QuerySet[Notice]:
    """The notices of the cases the user may see, newest first, each with the title of its latest version."""
    cases = regime.case_list_for_user(user=user).values("pk")
    latest = NoticeVersion.objects.filter(notice=OuterRef("pk")).order_by("-number")
    return (
        Notice.objects.filter(case__in=cases)
        .select_related("case", "provider")
        .annotate(
            latest_title=Subquery(latest.values("title")[:1]), latest_status=Subquery(latest.values("status")[:1])
        )
    )


def notices_awaiting_approval_by(*, user: User) -> QuerySet[Notice]:
    """Notices with a version in review that ``user`` may approve and whose organisation has not yet: as the
    case's public-communications lead (ordinary notices), or through a party's sign-off role (joint statements)."""
    as_lead = Q(
        kind__in=[k for k in NoticeKind.values if k != NoticeKind.JOINT_STATEMENT],
        case__in=areas.cases_led_by(user=user, areas=[Area.PUBLIC_COMMUNICATIONS]),
    )
    signatory = Q()
    for kind, role in SIGN_OFF_ROLE_BY_KIND.items():
        signatory |= Q(
            organisation__kind=kind, organisation__memberships__user=user, organisation__memberships__role=role
        )
    open_party = CaseParty.objects.filter(signatory, case=OuterRef("case")).exclude(
        Exists(
            NoticeApproval.objects.filter(
                version__notice=OuterRef(OuterRef("pk")),
                version__status=VersionStatus.IN_REVIEW,
                organisation=OuterRef("organisation"),
            )
        )
    )
    as_party = Q(kind=NoticeKind.JOINT_STATEMENT) & Q(Exists(open_party))
    in_review = NoticeVersion.objects.filter(notice=OuterRef("pk"), status=VersionStatus.IN_REVIEW)
    return notice_list_for_user(user=user).filter(Exists(in_review)).filter(as_lead | as_party).distinct()


def notices_to_finish_by(*, user: User) -> QuerySet[Notice]:
    """Unpublished notices of the cases ``user`` works on as communications staff (see
    ``communications.selectors.plans``) that wait for them: drafts to finish and send for approval, and approved
    notices to publish."""
    return notice_list_for_user(user=user).filter(
        case__in=communications_cases_for_user(user=user).values("pk"),
        status__in=[NoticeStatus.DRAFT, NoticeStatus.APPROVED],
    )


def notice_get_for_user(*, user: User, pk: int) -> Notice:
    """One notice the user may see, or 404."""
    return get_object_or_404(notice_list_for_user(user=user), pk=pk)


def notice_detail(*, notice: Notice) -> Notice:
    """The notice with every version and its approvals, in a fixed number of queries (access already checked)."""
    versions = NoticeVersion.objects.select_related("created_by", "submitted_by", "returned_by").prefetch_related(
        Prefetch("approvals", queryset=NoticeApproval.objects.select_related("organisation", "approver"))
    )
    return (
        Notice.objects.filter(pk=notice.pk)
        .select_related("case__provider", "provider", "published_version", "created_by", "created_by_organisation")
        .prefetch_related(Prefetch("versions", queryset=versions.order_by("-number")))
        .get()
    )


def working_version(*, notice: Notice) -> NoticeVersion | None:
    """The version being worked on (a draft, in review or approved), if any."""
    return notice.versions.filter(status__in=WORKING_VERSION_STATUSES).first()


@dataclass
class RequiredApproval:
    """One approval a version needs: from which organisation, in what capacity, and whether it has been given."""

    organisation: Organisation
    basis: str
    role_label: str
    approval: NoticeApproval | None
    lead: User | None = None

    @property
    def given(self) -> bool:
        return self.approval is not None


def approvals_required(*, notice: Notice, version: NoticeVersion) -> list[RequiredApproval]:
    """The approvals ``version`` needs, each with the one given if any. Empty for an ordinary notice whose case has
    no public-communications lead yet: nobody can approve it until one is appointed."""
    given = {a.organisation_id: a for a in version.approvals.all()}
    if notice.kind == NoticeKind.JOINT_STATEMENT:
        parties = CaseParty.objects.filter(case_id=notice.case_id).select_related("organisation").order_by("pk")
        return [
            RequiredApproval(
                organisation=party.organisation,
                basis=ApprovalBasis.PARTY_SIGN_OFF,
                role_label=sign_off_role_for(party.organisation).label,
                approval=given.get(party.organisation_id),
            )
            for party in parties
        ]
    lead = public_communications_lead(case=notice.case)
    if lead is None or lead.lead is None or lead.lead_organisation is None:
        return []
    return [
        RequiredApproval(
            organisation=lead.lead_organisation,
            basis=ApprovalBasis.COMMUNICATIONS_LEAD,
            role_label="Accountable lead for public communications",
            approval=given.get(lead.lead_organisation.pk),
            lead=lead.lead,
        )
    ]


def may_approve(*, user: User, required: RequiredApproval) -> bool:
    """Whether ``user`` may give (or, once given, could have given) this approval."""
    if required.basis == ApprovalBasis.COMMUNICATIONS_LEAD:
        return required.lead is not None and required.lead.pk == user.pk
    role = sign_off_role_for(required.organisation)
    return user.memberships.filter(organisation=required.organisation, role=role).exists()


def approvals_open_to(*, user: User, required: list[RequiredApproval]) -> list[RequiredApproval]:
    """The approvals still needed that ``user`` may give."""
    return [r for r in required if not r.given and may_approve(user=user, required=r)]


def is_approver(*, user: User, notice: Notice, version: NoticeVersion) -> bool:
    """Whether ``user`` is one of the people who approve this notice (and so may also return it for changes)."""
    return any(may_approve(user=user, required=r) for r in approvals_required(notice=notice, version=version))


# --- Public -----------------------------------------------------------------------------------------


def public_notices(*, now: datetime | None = None) -> QuerySet[Notice]:
    """What the public may read now (``public_notice_q``), newest publication first, with what lists show."""
    return Notice.objects.public(now=now).select_related("published_version", "provider").order_by("-publish_at", "-pk")


def public_record(*, now: datetime | None = None) -> QuerySet[Notice]:
    """Every notice that is or was public: the live ones, and those withdrawn after they went public (their page
    stays, with the withdrawal note). One withdrawn before it went public, as a draft or while still embargoed,
    never existed as far as the public knows. Open data and the public API list these, marked ``withdrawn``."""
    now = now or timezone.now()
    live = public_notice_q(now)
    withdrawn = Q(status=NoticeStatus.WITHDRAWN, publish_at__lte=now) & Q(publish_at__lte=F("withdrawn_at"))
    return (
        Notice.objects.filter(live | withdrawn)
        .select_related("published_version", "provider")
        .order_by("-publish_at", "-pk")
    )


def public_notice_get(*, pk: int) -> Notice:
    """A notice of the public record, or 404 (drafts, embargoed notices and notices withdrawn before they went
    public are not found)."""
    notice = public_record().select_related("case").filter(pk=pk).first()
    if notice is None:
        raise Http404("No such notice.")
    return notice


def public_corrections(*, notice: Notice) -> QuerySet[NoticeVersion]:
    """The corrections the public has seen, newest first, each with its note of what changed."""
    return notice.versions.filter(is_correction=True, status__in=PUBLISHED_VERSION_STATUSES).order_by("-number")


def public_leads(*, notice: Notice) -> QuerySet[Responsibility]:
    """Who leads each area of the response, by organisation: the public pages name organisations, never people."""
    return areas.led_areas(case=notice.case_id)


def public_support_services(*, notice: Notice) -> QuerySet[SupportService]:
    """The active support services linked to the notice's case, with their opening times."""
    return SupportService.objects.active().filter(cases=notice.case_id).prefetch_related("opening_times")


def summary_rows(notices: QuerySet[Notice]) -> QuerySet[Any]:
    """``notices`` as lists show them: one row (a dictionary) each, with ``pk``, ``kind``, ``status``,
    ``publish_at``, ``last_updated_at``, ``title``, ``summary``, ``provider_name`` and ``provider_id``. Rows, not
    models: the busiest pages read nothing more than they show."""
    return notices.values(
        "pk",
        "kind",
        "status",
        "publish_at",
        "last_updated_at",
        "provider_id",
        title=F("published_version__title"),
        summary=F("published_version__summary"),
        provider_name=F("provider__name"),
    )


def public_notice_summaries(*, now: datetime | None = None) -> QuerySet[Any]:
    """The public notices as rows for lists (see ``summary_rows``), newest publication first."""
    return summary_rows(Notice.objects.public(now=now).order_by("-publish_at", "-pk"))


def public_cases_of(*, provider: Organisation) -> list[dict[str, Any]]:
    """The provider's cases that have public notices, newest first, each with its notices (newest first)."""
    cases: dict[int, dict[str, Any]] = {}
    rows = (
        public_notice_summaries()
        .filter(provider=provider)
        .values(
            "pk",
            "kind",
            "status",
            "publish_at",
            "last_updated_at",
            "title",
            "summary",
            "provider_name",
            "case_id",
            case_reference=F("case__reference"),
            case_status=F("case__status"),
        )
    )
    for row in rows:
        entry = cases.setdefault(
            row["case_id"],
            {"reference": row["case_reference"], "closed": row["case_status"] == "closed", "notices": []},
        )
        entry["notices"].append(row)
    return list(cases.values())


OPEN_DATA_FIELDS = (
    "id",
    "kind",
    "title",
    "summary",
    "provider_ods_code",
    "provider_name",
    "region",
    "published_at",
    "last_updated_at",
    "url",
    "correction_count",
    "withdrawn",
)


def open_data_rows(*, now: datetime | None = None) -> Iterator[dict[str, object]]:
    """Every notice of the public record as open data: no personal data, and for a withdrawn notice its title
    only (what it said was withdrawn)."""
    corrections = Count(
        "versions",
        filter=Q(versions__is_correction=True, versions__status__in=PUBLISHED_VERSION_STATUSES),
    )
    rows = (
        public_record(now=now)
        .annotate(correction_count=corrections)
        .values(
            "pk",
            "kind",
            "status",
            "published_version__title",
            "published_version__summary",
            "provider__ods_code",
            "provider__name",
            "provider__region",
            "publish_at",
            "last_updated_at",
            "correction_count",
        )
    )
    site = settings.SITE_URL.rstrip("/")
    for row in rows.iterator(chunk_size=2000):
        withdrawn = row["status"] == NoticeStatus.WITHDRAWN
        yield {
            "id": row["pk"],
            "kind": row["kind"],
            "title": row["published_version__title"],
            "summary": "" if withdrawn else row["published_version__summary"],
            "provider_ods_code": row["provider__ods_code"],
            "provider_name": row["provider__name"],
            "region": row["provider__region"],
            "published_at": iso_moment(row["publish_at"]),
            "last_updated_at": iso_moment(row["last_updated_at"]),
            "url": site + reverse("communications:notice-detail", args=[row["pk"]]),
            "correction_count": row["correction_count"],
            "withdrawn": withdrawn,
        }


# --- A notice's public page, read lean ----------------------------------------------------------------------


def when_words(moment: datetime) -> str:
    """A moment as people write it, in UK time: 5 March 2026, 2:30pm."""
    local = timezone.localtime(moment)
    return f"{long_date(local.date())}, {clock_words(local.time())}"


@dataclass(frozen=True)
class PublicCorrection:
    published_at: datetime
    correction_note: str

    @property
    def published_on(self) -> str:
        return long_date(timezone.localtime(self.published_at).date())

    @property
    def published_when(self) -> str:
        return when_words(self.published_at)


# The areas of a case as the public pages name them: what each lead does, in plain words.
PUBLIC_AREA_LABELS = {
    Area.INVESTIGATION: "Leading the review",
    Area.EXPERT_RECRUITMENT: "Finding experts for the review",
    Area.PUBLIC_COMMUNICATIONS: "Telling the public",
    Area.FAMILY_SUPPORT: "Helping families and the public",
    Area.OVERSIGHT: "Checking the work gets done",
}


@dataclass(frozen=True)
class PublicLead:
    area: str
    organisation: str


@dataclass(frozen=True)
class RelatedNotice:
    """Another public notice of the same case, as the notice page links it."""

    pk: int
    title: str
    publish_at: datetime

    @property
    def published_on(self) -> str:
        return long_date(timezone.localtime(self.publish_at).date())


def next_update_words(day: date | None, *, today: date | None = None) -> str:
    """The promised date of the next update, as the public reads it: a promise while the date is to come, and
    what was said once it has passed (never a promise in the past). Empty without a date."""
    if day is None:
        return ""
    if day < (today or timezone.localdate()):
        return f"We said we would publish an update by {long_date(day)}"
    return f"We will publish an update by {long_date(day)}"


@dataclass(frozen=True)
class PublicNoticePage:
    """What a notice's public page shows, and nothing else: no author, no approver, no draft."""

    pk: int
    kind: str
    status: str
    case_id: int
    case_reference: str
    provider_name: str
    provider_ods_code: str
    publish_at: datetime
    last_updated_at: datetime | None
    withdrawn_at: datetime | None
    withdrawal_reason: str
    title: str
    summary: str
    body_html: str
    what_is_being_done_html: str
    who_leads_html: str
    leads: list[PublicLead]
    corrections: list[PublicCorrection]
    what_happens_next_html: str = ""
    next_update_on: date | None = None
    related: tuple[RelatedNotice, ...] = ()

    @property
    def next_update(self) -> str:
        return next_update_words(self.next_update_on)

    @property
    def kind_label(self) -> str:
        return PUBLIC_NOTICE_KINDS[self.kind]

    @property
    def published_on(self) -> str:
        return long_date(timezone.localtime(self.publish_at).date())

    @property
    def updated_when(self) -> str:
        """When it was last corrected, or "" if it never was."""
        if self.last_updated_at is None or self.last_updated_at == self.publish_at:
            return ""
        return when_words(self.last_updated_at)

    @property
    def withdrawn_on(self) -> str:
        return long_date(timezone.localtime(self.withdrawn_at).date()) if self.withdrawn_at else ""

    @property
    def withdrawn(self) -> bool:
        return self.status == NoticeStatus.WITHDRAWN


# Written out: this is the page a national news story sends thousands of readers to, and each of these statements
# costs a tenth of what the ORM spends building it. The public rule itself is the model's (see below).
_PAGE_SQL = """
    SELECT n.id, n.kind, n.status, n.case_id, c.reference, o.name, o.ods_code, n.publish_at, n.last_updated_at,
           n.withdrawn_at, n.withdrawal_reason, v.title, v.summary, v.body_html, v.what_is_being_done_html,
           v.who_leads_html, v.what_happens_next_html, v.next_update_on
      FROM communications_notice n
      JOIN failure_regime_case c ON c.id = n.case_id
      JOIN accounts_organisation o ON o.id = n.provider_id
      JOIN communications_noticeversion v ON v.id = n.published_version_id
     WHERE n.id = %s
"""
# The case's leads, the notice's public corrections and the case's other public notices, in one statement. The
# rules for what is public are the model's, written in when this module is loaded.
_LEADS_AND_CORRECTIONS_SQL = f"""
    SELECT 'lead', r.id, r.area, o.name, NULL
      FROM failure_regime_responsibility r
      JOIN accounts_organisation o ON o.id = r.lead_organisation_id
     WHERE r.case_id = %s
     UNION ALL
    SELECT 'correction', v.number, NULL, v.correction_note, v.published_at
      FROM communications_noticeversion v
     WHERE v.notice_id = %s AND v.is_correction AND {published_version_sql("v")}
     UNION ALL
    SELECT 'related', n.id, NULL, v.title, n.publish_at
      FROM communications_notice n
      JOIN communications_noticeversion v ON v.id = n.published_version_id
     WHERE n.case_id = %s AND n.id <> %s AND {public_notice_sql("n", "%s")}
"""  # noqa: S608 - the conditions are built from code constants; every value is a parameter


def _aware(value: Any) -> Any:
    """A time as the database gave it, made aware: SQLite's are naive UTC, or text when a UNION hid the type."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return timezone.make_aware(value, UTC) if isinstance(value, datetime) and timezone.is_naive(value) else value


def _was_public(status: str, publish_at: datetime | None, withdrawn_at: datetime | None, now: datetime) -> bool:
    """The public rule for one row: ``Notice.is_public`` for a live notice, and for a withdrawn one, whether it
    had gone public before it was withdrawn (``public_record``)."""
    if status == NoticeStatus.WITHDRAWN:
        return publish_at is not None and withdrawn_at is not None and publish_at <= min(now, withdrawn_at)
    return Notice(status=status, publish_at=publish_at).is_public(now=now)


def public_notice_page(*, pk: int, now: datetime | None = None) -> PublicNoticePage:
    """A notice of the public record, as its page shows it, or 404 (drafts, embargoed notices and notices withdrawn
    before they went public are not found)."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_PAGE_SQL, [pk])
        row = cursor.fetchone()
        if row is None:
            raise Http404("No such notice.")
        (
            pk,
            kind,
            status,
            case_id,
            case_reference,
            name,
            ods_code,
            publish_at,
            updated_at,
            withdrawn_at,
            reason,
            *text,
        ) = row
        publish_at, updated_at, withdrawn_at = _aware(publish_at), _aware(updated_at), _aware(withdrawn_at)
        if not _was_public(status, publish_at, withdrawn_at, now):
            raise Http404("No such notice.")
        moment = connection.ops.adapt_datetimefield_value(now)
        cursor.execute(_LEADS_AND_CORRECTIONS_SQL, [case_id, pk, case_id, pk, moment])
        rows = sorted(cursor.fetchall(), key=lambda row: (row[0], row[1]))
    leads = [PublicLead(PUBLIC_AREA_LABELS[Area(area)], name) for what, _, area, name, _ in rows if what == "lead"]
    corrections = [
        PublicCorrection(_aware(at), note) for what, _, _, note, at in reversed(rows) if what == "correction"
    ]
    related = sorted(
        (RelatedNotice(other, title, _aware(at)) for what, other, _, title, at in rows if what == "related"),
        key=lambda notice: (notice.publish_at, notice.pk),
        reverse=True,
    )
    title, summary, body_html, what_is_being_done_html, who_leads_html, what_happens_next_html, next_update_on = text
    return PublicNoticePage(
        pk=pk,
        kind=kind,
        status=status,
        case_id=case_id,
        case_reference=case_reference,
        provider_name=name,
        provider_ods_code=ods_code,
        publish_at=publish_at,
        last_updated_at=updated_at,
        withdrawn_at=withdrawn_at,
        withdrawal_reason=reason,
        title=title,
        summary=summary,
        body_html=body_html,
        what_is_being_done_html=what_is_being_done_html,
        who_leads_html=who_leads_html,
        leads=leads,
        corrections=corrections,
        what_happens_next_html=what_happens_next_html,
        next_update_on=parse_date(next_update_on) if isinstance(next_update_on, str) else next_update_on,
        related=tuple(related),
    )


_SUPPORT_SQL = """
    SELECT s.id, s.name, s.kind, s.run_by, s.description, s.phone, s.textphone, s.website, s.email, s.open_24_hours,
           s.opening_hours_note, s.region, t.weekday, t.opens, t.closes
      FROM communications_supportservice s
      JOIN communications_supportservice_cases c ON c.supportservice_id = s.id
      LEFT JOIN communications_openingtime t ON t.service_id = s.id
     WHERE c.case_id = %s AND s.active
"""
_SUPPORT_FIELDS = (
    "id",
    "name",
    "kind",
    "run_by",
    "description",
    "phone",
    "textphone",
    "website",
    "email",
    "open_24_hours",
    "opening_hours_note",
    "region",
)


def public_support_for_case(*, case_id: int) -> list[SupportService]:
    """The services still offered that are linked to the case, as ``support_services_for_case`` gives them (helplines
    first, then by name, each with ``opening_hours`` in plain English), read with one written-out query for the
    busiest public page. The objects are for showing, not for saving."""
    with connection.cursor() as cursor:
        cursor.execute(_SUPPORT_SQL, [case_id])
        rows = cursor.fetchall()
    services: dict[int, SupportService] = {}
    times: dict[int, list[OpeningTime]] = {}
    for row in rows:
        service_id = row[0]
        if service_id not in services:
            services[service_id] = SupportService(**dict(zip(_SUPPORT_FIELDS, row[:12], strict=True)))
            times[service_id] = []
        if row[12] is not None:
            times[service_id].append(OpeningTime(weekday=row[12], opens=_time(row[13]), closes=_time(row[14])))
    order = {kind: rank for rank, kind in enumerate(SupportKind.values)}
    listed = sorted(services.values(), key=lambda s: (order.get(s.kind, len(order)), s.name, s.pk))
    for service in listed:
        service.opening_hours = describe_opening_hours(  # type: ignore[attr-defined]
            times=times[service.pk], open_24_hours=bool(service.open_24_hours)
        )
    return listed


def _time(value: Any) -> Any:
    """A time as the database gave it (SQLite's are strings)."""
    return parse_time(value) if isinstance(value, str) else value


_SUMMARIES_SQL = f"""
    SELECT n.id, n.kind, n.status, n.publish_at, n.last_updated_at, n.provider_id, v.title, v.summary, o.name
      FROM communications_notice n
      JOIN communications_noticeversion v ON v.id = n.published_version_id
      JOIN accounts_organisation o ON o.id = n.provider_id
     WHERE {public_notice_sql("n", "%s")}
     ORDER BY n.publish_at DESC, n.id DESC
     LIMIT %s OFFSET %s
"""  # noqa: S608 - the condition is built from code constants; every value is a parameter
_SUMMARY_COLUMNS = ("pk", "kind", "status", "publish_at", "last_updated_at", "provider_id", "title", "summary")


def public_summaries_page(*, offset: int, limit: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """One page of the unfiltered public list, as ``public_notice_summaries`` rows, read with one written-out query
    (the rule is ``Notice.objects.public()``'s, through ``public_notice_sql``: published or corrected, and past its
    embargo)."""
    moment = connection.ops.adapt_datetimefield_value(now or timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_SUMMARIES_SQL, [moment, limit, offset])
        rows = cursor.fetchall()
    return [
        {
            **dict(zip(_SUMMARY_COLUMNS, row[:8], strict=True)),
            "publish_at": _aware(row[3]),
            "last_updated_at": _aware(row[4]),
            "provider_name": row[8],
        }
        for row in rows
    ]
