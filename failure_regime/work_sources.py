"""The regime's work sources for the home page (see ``failure_regime.work``): decisions to sign off, areas led,
cases missing a lead, monthly reports to send or accept, re-inspections and statutory windows due, and concerns
to assess or decide.

Who sees what is decided by the selectors and the rules in ``failure_regime.permissions`` and the clock's
resolvers; each source only reads them, in a fixed number of queries.
"""

from __future__ import annotations

from django.db.models import F, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind, Role, User
from failure_regime import selectors
from failure_regime.links import deadline_subject_url
from failure_regime.models import CaseParty, ConcernStatus, DeadlineKind, ReportStatus, Severity
from failure_regime.permissions import (
    CONCERN_ASSESSOR_ROLES,
    CONCERN_DECIDER_ROLES,
    PLAN_ROLES,
    SIGN_OFF_ROLE_BY_KIND,
    case_overseer_membership,
    special_measures_decider_membership,
)
from failure_regime.services.clock import deadlines_mine_q
from failure_regime.services.concern_clock import concerns_falling_to_q
from failure_regime.work import (
    RoleLabels,
    Urgency,
    WorkItem,
    first_listed,
    organisation_label,
    register_see_all,
    register_work_source,
)

SIGN_OFF = "Decisions waiting for your organisation's sign-off"
LEADS = "Areas you are the accountable lead for"
MISSING_LEAD = "Cases missing an accountable lead"
REPORTS_TO_SEND = "Monthly reports to send"
REPORTS_TO_ACCEPT = "Monthly reports waiting for your acceptance"
DEADLINES = "Re-inspections, statutory deadlines and immediate concerns"
RECOMMENDATIONS = "Recommendations awaiting your decision"
CONCERNS = "Concerns waiting for you"

# The deadlines listed as their own items. Sign-off and monthly-report deadlines are shown through the decision
# or the report they belong to.
DEADLINE_KINDS = (
    DeadlineKind.CONCERN_ASSESSMENT,
    DeadlineKind.REINSPECTION,
    DeadlineKind.EXTENSION_END,
    DeadlineKind.REGISTRATION_DECISION,
    DeadlineKind.REPRESENTATION_WINDOW,
    DeadlineKind.ENFORCEMENT_COMPLIANCE,
)


def _parties() -> Prefetch:
    return Prefetch("parties", queryset=CaseParty.objects.select_related("organisation"))


def decisions_to_sign_off(user: User) -> list[WorkItem]:
    """Proposed cases where one of the user's organisations has not decided, through the user's sign-off role."""
    labels = RoleLabels.of(user)
    now = timezone.now()
    # As the home page sorts them: overdue (the earliest deadlines) first, then soonest due, the most urgent first
    # among those due together, cases without a deadline last.
    awaiting = selectors.cases_awaiting_sign_off(user=user).order_by(
        F("sign_off_deadline").asc(nulls_last=True), "-immediate", "reference", "pk"
    )
    cases, items = first_listed(
        awaiting.prefetch_related(_parties()),
        heading=SIGN_OFF,
        overdue=Q(sign_off_deadline__lt=now),
    )
    for case in cases:
        signatory = next(
            (
                membership
                for party in case.parties.all()
                if (
                    membership := labels.find(
                        organisations=[party.organisation_id], roles=[SIGN_OFF_ROLE_BY_KIND[party.organisation.kind]]
                    )
                )
            ),
            None,
        )
        items.append(
            WorkItem(
                group=SIGN_OFF,
                kind="Joint sign-off",
                title=f"{case.reference}: {case.title}",
                url=reverse("regime:case-detail", args=[case.pk]) + "#sign-off",
                organisation=organisation_label(signatory.organisation, signatory.role) if signatory else "",
                due=case.sign_off_deadline,
                overdue=case.work_overdue,  # type: ignore[attr-defined]
                urgency=Urgency.URGENT if case.immediate else Urgency.ROUTINE,
                detail=f"About {case.provider.name}",
            )
        )
    return items


def areas_led(user: User) -> list[WorkItem]:
    """The areas of open cases where the user is the accountable lead."""
    labels = RoleLabels.of(user)
    return [
        WorkItem(
            group=LEADS,
            kind=responsibility.get_area_display(),
            title=f"{responsibility.get_area_display()} for {responsibility.case.reference}: "
            f"{responsibility.case.title}",
            url=reverse("regime:case-detail", args=[responsibility.case_id]) + "#accountability",
            organisation=labels.label(
                organisations=[responsibility.lead_organisation_id] if responsibility.lead_organisation_id else None,
                default=responsibility.lead_organisation.name if responsibility.lead_organisation else "",
            ),
            detail=f"{responsibility.case.get_status_display()} case about {responsibility.case.provider.name}",
        )
        for responsibility in selectors.responsibilities_led_by(user=user)
    ]


def cases_missing_a_lead(user: User) -> list[WorkItem]:
    """Open cases the user may see that still lack an accountable lead somewhere, for those who appoint leads
    (``case_overseer_membership``, the rule ``lead_hand_over`` applies)."""
    labels = RoleLabels.of(user)
    cases = selectors.cases_to_appoint_leads_for(user=user)
    listed, items = first_listed(cases.prefetch_related(_parties()), heading=MISSING_LEAD)
    for case in listed:
        overseer = case_overseer_membership(labels.memberships, [p.organisation_id for p in case.parties.all()])
        if overseer is None:  # the selector and the rule agree (a test holds them to it)
            continue
        items.append(
            WorkItem(
                group=MISSING_LEAD,
                kind="Accountable leads",
                title=f"{case.reference}: {case.title}",
                url=reverse("regime:case-detail", args=[case.pk]) + "#accountability",
                organisation=organisation_label(overseer.organisation, overseer.role),
                detail=f"{case.get_status_display()} case about {case.provider.name}",
            )
        )
    return items


def reports_to_send(user: User) -> list[WorkItem]:
    """The monthly reports the user's providers must send (or send again), with their due dates."""
    labels = RoleLabels.of(user)
    today = timezone.localdate()
    items = []
    for report in selectors.reports_to_send(user=user):
        provider = report.episode.provider
        returned = report.status == ReportStatus.RETURNED
        items.append(
            WorkItem(
                group=REPORTS_TO_SEND,
                kind="Monthly report",
                title=f"{provider.name}: progress report for {report.month:%B %Y}",
                url=reverse("regime:report-form", args=[report.episode_id, report.month.year, report.month.month]),
                organisation=labels.label(organisations=[provider.pk], roles=PLAN_ROLES),
                due=report.due_on,
                overdue=report.due_on < today,
                progress="Returned for changes" if returned else "",
                urgency=Urgency.HIGH if returned else Urgency.ROUTINE,
            )
        )
    return items


def reports_to_accept(user: User) -> list[WorkItem]:
    """Submitted monthly reports that the user accepts or returns: as the provider's oversight lead, or CQC's
    decision-maker of the regulator that placed a provider CQC alone regulates (``special_measures_decider``)."""
    labels = RoleLabels.of(user)
    items = []
    for report in selectors.reports_submitted(user=user):
        provider = report.episode.provider
        decider = special_measures_decider_membership(labels.memberships, provider, report.episode)
        if decider is None:
            continue
        submitted = timezone.localtime(report.submitted_at) if report.submitted_at else None
        items.append(
            WorkItem(
                group=REPORTS_TO_ACCEPT,
                kind="Monthly report",
                title=f"{provider.name}: progress report for {report.month:%B %Y}",
                url=reverse("regime:report-detail", args=[report.pk]),
                organisation=labels.label(organisations=[decider.organisation_id], roles=[decider.role]),
                detail=f"Sent on {submitted:%-d %B %Y}" if submitted else "",
            )
        )
    return items


def recommendations_to_decide(user: User) -> list[WorkItem]:
    """CQC's recommendations of special measures waiting for the user's decision, as an oversight lead of the
    trust's oversight body (``selectors.recommendations_awaiting_decision``), with their decision deadlines."""
    labels = RoleLabels.of(user)
    today = timezone.localdate()
    return [
        WorkItem(
            group=RECOMMENDATIONS,
            kind="CQC recommendation",
            title=f"{recommendation.provider.name}: CQC recommends special measures",
            url=reverse("regime:recommendation-detail", args=[recommendation.pk]),
            organisation=labels.label(
                organisations=[recommendation.provider.oversight_body_id or 0], roles=[Role.OVERSIGHT_LEAD]
            ),
            due=recommendation.decision_due_on,
            overdue=recommendation.decision_due_on < today,
            urgency=Urgency.HIGH,
            detail=f"Recommended on {timezone.localtime(recommendation.recommended_at):%-d %B %Y}",
        )
        for recommendation in selectors.recommendations_awaiting_decision(user=user)
    ]


def deadlines_due(user: User) -> list[WorkItem]:
    """Open re-inspection, registration, extension, representation and compliance deadlines the user may see and
    is asked to act on: those the clock reminds them of (its resolvers' rule, as a condition the database answers:
    ``deadlines_mine_q``), one rule for mail and home page. The first ``HEADING_LIMIT`` and a count."""
    labels = RoleLabels.of(user)
    now = timezone.now()
    # As the home page sorts them: soonest (and so overdue) first, the most urgent first among those due together.
    theirs = (
        selectors.deadline_list_for_user(user=user)
        .filter(deadlines_mine_q(user=user, kinds=DEADLINE_KINDS, now=now))
        .select_related("subject_type", "provider__oversight_body", "case")
        .order_by("due_at", F("case__immediate").desc(nulls_last=True), "title", "pk")
    )
    deadlines, items = first_listed(theirs, heading=DEADLINES, overdue=Q(due_at__lt=now))
    for deadline in deadlines:
        provider: Organisation = deadline.provider
        concerned = [provider.pk] + ([provider.oversight_body_id] if provider.oversight_body_id else [])
        items.append(
            WorkItem(
                group=DEADLINES,
                kind=deadline.get_kind_display(),
                title=deadline.title,
                url=deadline_subject_url(deadline),
                organisation=labels.label(
                    organisations=concerned,
                    default=labels.label(
                        organisations=[m.organisation_id for m in labels.memberships if _is_regulator(m.organisation)],
                        default=labels.label(roles=[Role.NATIONAL_OVERSIGHT]),
                    ),
                ),
                due=deadline.due_at,
                overdue=deadline.work_overdue,  # type: ignore[attr-defined]
                urgency=Urgency.HIGH if deadline.case and deadline.case.immediate else Urgency.ROUTINE,
                detail=f"About {provider.name}",
            )
        )
    return items


def concerns_to_handle(user: User) -> list[WorkItem]:
    """Concerns whose next step is the user's (``concern_clock.concerns_falling_to_q``): received ones to assess,
    for inspectors, decision-makers and oversight leads; assessed ones whose outcome is to be decided, for
    decision-makers and oversight leads. An immediate one waiting for its assessment is listed with its deadline
    instead. Oldest first; the first ``HEADING_LIMIT`` and a count."""
    labels = RoleLabels.of(user)
    waiting = (
        Q(status=ConcernStatus.RECEIVED, severity=Severity.ROUTINE)
        & concerns_falling_to_q(labels.memberships, CONCERN_ASSESSOR_ROLES)
    ) | (Q(status=ConcernStatus.ASSESSED) & concerns_falling_to_q(labels.memberships, CONCERN_DECIDER_ROLES))
    concerns = selectors.concern_list_for_user(user=user).filter(waiting).order_by("raised_at", "pk")
    listed, items = first_listed(concerns, heading=CONCERNS)
    for concern in listed:
        assessing = concern.status == ConcernStatus.RECEIVED
        items.append(
            WorkItem(
                group=CONCERNS,
                kind="Assess the concern" if assessing else "Decide the outcome",
                title=f"Concern about {concern.provider.name}",
                url=reverse("regime:concern-detail", args=[concern.pk]),
                organisation=labels.label(
                    organisations=[concern.raised_by_organisation_id, concern.provider.oversight_body_id or 0],
                    roles=CONCERN_ASSESSOR_ROLES if assessing else CONCERN_DECIDER_ROLES,
                    default=labels.label(roles=CONCERN_ASSESSOR_ROLES if assessing else CONCERN_DECIDER_ROLES),
                ),
                urgency=Urgency.URGENT if concern.severity == Severity.IMMEDIATE else Urgency.ROUTINE,
                detail=f"{concern.get_source_display()}, recorded {timezone.localtime(concern.raised_at):%-d %B %Y}",
            )
        )
    return items


def _is_regulator(organisation: Organisation) -> bool:
    return organisation.kind == OrganisationKind.REGULATOR


def register() -> None:
    """Called once when the app loads."""
    register_work_source("regime.sign_off", decisions_to_sign_off)
    register_work_source("regime.areas_led", areas_led)
    register_work_source("regime.missing_lead", cases_missing_a_lead)
    register_work_source("regime.reports_to_send", reports_to_send)
    register_work_source("regime.reports_to_accept", reports_to_accept)
    register_work_source("regime.deadlines", deadlines_due)
    register_work_source("regime.recommendations_to_decide", recommendations_to_decide)
    register_work_source("regime.concerns", concerns_to_handle)
    for heading in (SIGN_OFF, LEADS, MISSING_LEAD):
        register_see_all(heading, "regime:case-list")
    for heading in (REPORTS_TO_SEND, REPORTS_TO_ACCEPT):
        register_see_all(heading, "regime:episode-list")
    register_see_all(DEADLINES, "regime:deadline-list")
    register_see_all(RECOMMENDATIONS, "regime:recommendation-list")
    register_see_all(CONCERNS, "regime:concern-list")
