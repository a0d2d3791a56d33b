"""Who is told of each event of the regime, and telling them.

One function per event, called by its service inside the service's transaction, after the change and its audit
event. Each works out its recipients in a fixed number of queries, whatever the number of members, and leaves out
the person who acted (they know what they did) unless the event is news to them too, as a trigger is to the last
party to agree. People are told as a member of an organisation (a party, say), so there is one ``notify`` per
organisation told. Titles name the case by reference and the provider by name, never a person.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.urls import reverse

from accounts.models import AuditCheck, Membership, Organisation, Role, User
from accounts.selectors import AUDIT_INTEGRITY_ROLES
from failure_regime.dates import long_date
from failure_regime.models import (
    Case,
    CaseParty,
    Decision,
    Episode,
    Handover,
    Inspection,
    MonthlyReport,
    NotificationEvent,
    ReportStatus,
    Responsibility,
    SignOff,
)
from failure_regime.permissions import SIGN_OFF_ROLE_BY_KIND, special_measures_decider
from failure_regime.services.clock import members_by_role
from failure_regime.services.notifications import notify

TITLE_LENGTH = 200  # Notification.title's length
# People grouped by the organisation they are told as (None: not as anyone in particular).
Audience = list[tuple[Organisation | None, Iterable[User]]]


def tell(
    *,
    event: str,
    audience: Audience,
    title: str,
    link: str,
    key: str,
    about: models.Model | None = None,
    body: str = "",
    leave_out: User | None = None,
) -> list[User]:
    """Notifies each active person of ``audience`` once, as the first organisation they are listed under, and
    never ``leave_out``. A title too long to keep is shortened. Returns who was told."""
    if len(title) > TITLE_LENGTH:
        title = title[: TITLE_LENGTH - 1].rstrip() + "…"
    seen: set[int] = {leave_out.pk} if leave_out is not None else set()
    told: list[User] = []
    for organisation, people in audience:
        fresh = []
        for person in people:
            if person.is_active and person.pk not in seen:
                seen.add(person.pk)
                fresh.append(person)
        if fresh:
            notify(
                event=event,
                recipients=fresh,
                title=title,
                link=link,
                key=key,
                about=about,
                organisation=organisation,
                body=body,
            )
            told += fresh
    return told


def _by_organisation(memberships: models.QuerySet[Membership]) -> Audience:
    """The members of ``memberships``, grouped by the organisation they are told as. One query."""
    by_organisation: dict[int, tuple[Organisation, list[User]]] = {}
    for membership in memberships.select_related("user", "organisation").order_by("organisation_id", "pk"):
        by_organisation.setdefault(membership.organisation_id, (membership.organisation, []))[1].append(membership.user)
    return list(by_organisation.values())


def _case_name(case: Case, *, capital: bool = False) -> str:
    return f"{'C' if capital else 'c'}ase {case.reference} at {case.provider.name}"


def _case_link(case: Case) -> str:
    return reverse("regime:case-detail", args=[case.pk])


def _signatories(parties: list[CaseParty]) -> Audience:
    """Each party with the members holding its sign-off role there, in one query."""
    roles = {p.organisation_id: SIGN_OFF_ROLE_BY_KIND[p.organisation.kind] for p in parties}
    members = members_by_role(roles.items())
    return [(p.organisation, members.get((p.organisation_id, roles[p.organisation_id]), [])) for p in parties]


def _parties(case: Case) -> list[CaseParty]:
    return list(case.parties.select_related("organisation").order_by("pk"))


def _proposer(case: Case) -> Audience:
    return [(case.proposed_by_organisation, [case.proposed_by])]


# --- Cases and sign-off ---------------------------------------------------------------------------------------


def case_proposed_notify(*, case: Case, actor: User) -> list[User]:
    """Asks the signatories of every party that has not given its decision to decide. Called again when a party is
    added, it tells only the new party: the others were told already."""
    decided = set(case.sign_offs.filter(withdrawn_at__isnull=True).values_list("organisation_id", flat=True))
    undecided = [p for p in _parties(case) if p.organisation_id not in decided]
    return tell(
        event=NotificationEvent.CASE_PROPOSED,
        audience=_signatories(undecided),
        title=f"Decision needed: {_case_name(case)} has been proposed",
        body="Your organisation is a party to this case. Give its decision on triggering it.",
        link=reverse("regime:case-sign-off", args=[case.pk]),
        key=f"case:{case.pk}:proposed",
        about=case,
        leave_out=actor,
    )


def sign_off_notify(*, sign_off: SignOff, case: Case, actor: User) -> list[User]:
    """Tells the other parties' signatories and the proposer of a party's decision: an agreement or an objection."""
    parties = [p for p in _parties(case) if p.organisation_id != sign_off.organisation_id]
    agrees = sign_off.decision == Decision.AGREE
    return tell(
        event=NotificationEvent.SIGN_OFF_DECIDED if agrees else NotificationEvent.SIGN_OFF_OBJECTED,
        audience=_signatories(parties) + _proposer(case),
        title=f"{sign_off.organisation.name} {'agrees' if agrees else 'objects'} to triggering {_case_name(case)}",
        link=_case_link(case),
        key=f"sign_off:{sign_off.pk}:{'decided' if agrees else 'objected'}",
        about=case,
        leave_out=actor,
    )


def case_triggered_notify(*, case: Case) -> list[User]:
    """Tells every party's signatories and the proposer that every party has agreed: the case is triggered. The
    person whose agreement completed the set is told too: their decision triggered the case."""
    return tell(
        event=NotificationEvent.CASE_TRIGGERED,
        audience=_signatories(_parties(case)) + _proposer(case),
        title=f"{_case_name(case, capital=True)} has been triggered",
        body="Every party has agreed. Each area of the response now needs an accountable lead.",
        link=_case_link(case),
        key=f"case:{case.pk}:triggered",
        about=case,
    )


def lead_appointed_notify(*, handover: Handover, case: Case, actor: User) -> list[User]:
    """Tells the new accountable lead of an area, as a member of the organisation they lead it for."""
    area = handover.responsibility.get_area_display()
    return tell(
        event=NotificationEvent.LEAD_APPOINTED,
        audience=[(handover.to_organisation, [handover.to_lead])],
        title=f"You are the accountable lead for {area.lower()} on {_case_name(case)}",
        link=_case_link(case),
        key=f"handover:{handover.pk}:appointed",
        about=case,
        leave_out=actor,
    )


def case_activated_notify(*, case: Case, actor: User) -> list[User]:
    """Tells the case's accountable leads that the response is active."""
    leads = Responsibility.objects.filter(case=case, lead__isnull=False).select_related("lead", "lead_organisation")
    return tell(
        event=NotificationEvent.CASE_ACTIVATED,
        audience=[(r.lead_organisation, [r.lead]) for r in leads.order_by("pk") if r.lead is not None],
        title=f"{_case_name(case, capital=True)} is now active",
        link=_case_link(case),
        key=f"case:{case.pk}:activated",
        about=case,
        leave_out=actor,
    )


# --- Special measures ---------------------------------------------------------------------------------------


def _report_name(report: MonthlyReport) -> str:
    return f"progress report of {report.episode.provider.name} for {report.month:%B %Y}"


def _deciders(episode: Episode) -> Audience:
    """Whoever decides the episode's special measures and accepts its reports (``special_measures_decider``):
    the oversight body's oversight leads, or the decision-makers of the regulator that placed it. One query."""
    organisation_id, role = special_measures_decider(episode.provider, episode)
    memberships = Membership.objects.filter(role=role, user__is_active=True, organisation_id=organisation_id)
    return _by_organisation(memberships)


def _provider_roles(provider: Organisation, roles: list[str]) -> Audience:
    members = members_by_role((provider.pk, role) for role in roles)
    return [(provider, [u for role in roles for u in members.get((provider.pk, role), [])])]


def report_submitted_notify(*, report: MonthlyReport, actor: User) -> list[User]:
    """Tells whoever accepts the provider's reports that one has been sent and awaits their decision."""
    assert report.submitted_at is not None  # noqa: S101 - called once the report is submitted
    return tell(
        event=NotificationEvent.REPORT_SUBMITTED,
        audience=_deciders(report.episode),
        title=f"To accept or return: the {_report_name(report)}",
        link=reverse("regime:report-detail", args=[report.pk]),
        key=f"report:{report.pk}:submitted:{report.submitted_at.isoformat()}",
        about=report,
        leave_out=actor,
    )


def report_reviewed_notify(*, report: MonthlyReport, actor: User) -> list[User]:
    """Tells the provider's trust managers that their report was accepted, or returned with comments."""
    assert report.reviewed_at is not None  # noqa: S101 - called once the report is reviewed
    accepted = report.status == ReportStatus.ACCEPTED
    what = "accepted" if accepted else "returned"
    return tell(
        event=NotificationEvent.REPORT_ACCEPTED if accepted else NotificationEvent.REPORT_RETURNED,
        audience=_provider_roles(report.episode.provider, [Role.TRUST_MANAGER]),
        title=f"The {_report_name(report)} has been {what}",
        body="" if accepted else "Read the comments, then send the report again.",
        link=reverse("regime:report-detail", args=[report.pk]),
        key=f"report:{report.pk}:{what}:{report.reviewed_at.isoformat()}",
        about=report,
        leave_out=actor,
    )


def inspection_scheduled_notify(*, inspection: Inspection, actor: User) -> list[User]:
    """Tells the provider's trust managers and sign-off officers when CQC will re-inspect."""
    provider = inspection.provider
    when = long_date(inspection.scheduled_for) if inspection.scheduled_for else "a date to be confirmed"
    return tell(
        event=NotificationEvent.INSPECTION_SCHEDULED,
        audience=_provider_roles(provider, [Role.TRUST_MANAGER, Role.TRUST_SIGN_OFF_OFFICER]),
        title=f"Re-inspection of {provider.name} scheduled for {when}",
        link=reverse("regime:episode-detail", args=[inspection.episode_id])
        if inspection.episode_id
        else reverse("regime:episode-list"),
        key=f"inspection:{inspection.pk}:scheduled",
        about=inspection,
        leave_out=actor,
    )


# --- The audit trail -----------------------------------------------------------------------------------------------


def audit_chain_broken_notify(*, check: AuditCheck) -> list[User]:
    """Tells national oversight and administrators, at once by mail, that a check of the audit trail found it
    changed (``accounts.audit.audit_check_run`` calls it through ``ACCOUNTS_AUDIT_CHAIN_BROKEN``). One query for
    the audience."""
    memberships = Membership.objects.filter(role__in=sorted(AUDIT_INTEGRITY_ROLES), user__is_active=True)
    count = check.problem_count
    problems = f"{count} problem{'' if count == 1 else 's'}"
    first = check.problems[0] if check.problems else ""
    return tell(
        event=NotificationEvent.AUDIT_CHAIN_BROKEN,
        audience=_by_organisation(memberships),
        title=f"The audit trail check found {problems}: the trail may have been changed",
        body=f"The first: {first} Open the audit trail page to see every problem and check again.",
        link=reverse("accounts:audit-integrity"),
        key=f"audit-check:{check.pk}",
        about=check,
    )
