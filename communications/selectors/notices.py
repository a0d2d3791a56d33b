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
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, User
from communications.models import (
    LIVE_STATUSES,
    WORKING_VERSION_STATUSES,
    ApprovalBasis,
    Notice,
    NoticeApproval,
    NoticeKind,
    NoticeStatus,
    NoticeVersion,
    SupportService,
    VersionStatus,
)
from communications.selectors.plans import public_communications_lead
from failure_regime import selectors as regime
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
        case__responsibilities__area=Area.PUBLIC_COMMUNICATIONS,
        case__responsibilities__lead=user,
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
    """What the public may read now, newest publication first, with what lists show."""
    return Notice.objects.public(now=now).select_related("published_version", "provider").order_by("-publish_at", "-pk")


def public_record(*, now: datetime | None = None) -> QuerySet[Notice]:
    """Every notice that is or was public: the live ones, and those withdrawn after they went public (their page
    stays, with the withdrawal note). One withdrawn before it went public, as a draft or while still embargoed,
    never existed as far as the public knows. Open data and the public API list these, marked ``withdrawn``."""
    now = now or timezone.now()
    live = Q(status__in=LIVE_STATUSES, publish_at__lte=now)
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
    return notice.versions.filter(
        is_correction=True, status__in=[VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED]
    ).order_by("-number")


def public_leads(*, notice: Notice) -> QuerySet[Responsibility]:
    """Who leads each area of the response, by organisation: the public pages name organisations, never people."""
    return (
        Responsibility.objects.filter(case_id=notice.case_id, lead_organisation__isnull=False)
        .select_related("lead_organisation")
        .order_by("pk")
    )


def public_support_services(*, notice: Notice) -> QuerySet[SupportService]:
    """The active support services linked to the notice's case, with their opening times."""
    return SupportService.objects.active().filter(cases=notice.case_id).prefetch_related("opening_times")


_BODY_FIELDS = (
    "published_version__body_markdown",
    "published_version__body_html",
    "published_version__what_is_being_done_markdown",
    "published_version__what_is_being_done_html",
    "published_version__who_leads_markdown",
    "published_version__who_leads_html",
    "published_version__correction_note",
    "published_version__return_reason",
)


def public_notice_summaries(*, now: datetime | None = None) -> QuerySet[Notice]:
    """The public notices as lists show them (title, summary, kind, provider, dates), without their full text."""
    return public_notices(now=now).defer(*_BODY_FIELDS)


def public_cases_of(*, provider: Organisation) -> list[dict[str, object]]:
    """The provider's cases that have public notices, newest first, each with its notices (newest first)."""
    cases: dict[int, dict[str, object]] = {}
    for notice in public_notice_summaries().filter(provider=provider).select_related("case"):
        entry = cases.setdefault(notice.case_id, {"case": notice.case, "notices": []})
        entry["notices"].append(notice)  # type: ignore[attr-defined]
    return list(cases.values())


def public_provider_notices_version(*, provider_id: int) -> str:
    """Changes whenever the provider's public notices do: a publication, a correction or a withdrawal."""
    now = timezone.now()
    state = (
        public_record(now=now)
        .filter(provider_id=provider_id)
        .order_by()
        .aggregate(n=Count("pk"), updated=Max("last_updated_at"), withdrawn=Max("withdrawn_at"))
    )
    return "-".join(str(v) for v in state.values()).replace(" ", "T")


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
        filter=Q(
            versions__is_correction=True, versions__status__in=[VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED]
        ),
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
            "published_at": row["publish_at"],
            "last_updated_at": row["last_updated_at"],
            "url": site + reverse("communications:notice-detail", args=[row["pk"]]),
            "correction_count": row["correction_count"],
            "withdrawn": withdrawn,
        }
