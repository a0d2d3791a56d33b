"""Special measures: entry, the action plan, monthly progress reports, re-inspection and the outcome.

The rules (how long until re-inspection, how long an extension may be, when a registration decision
is due) come from the dated ``RuleSet`` in force on the entry date for the provider's kind, never
from code.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.audit import audit_record
from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import Membership, Organisation, OrganisationKind, Role, User
from failure_regime.dates import add_months, end_of_day, long_date, month_start, report_due_on
from failure_regime.models import (
    Action,
    ActionStatus,
    Area,
    Basis,
    Case,
    Deadline,
    DeadlineKind,
    EnforcementAction,
    EnforcementKind,
    Episode,
    EpisodeStatus,
    Extension,
    Inspection,
    InspectionKind,
    MonthlyReport,
    Rag,
    Rating,
    ReportActionStatus,
    ReportEvidence,
    ReportStatus,
    Responsibility,
    RuleSet,
)
from failure_regime.permissions import (
    INSPECTION_ROLES,
    PLAN_ROLES,
    acting_organisation,
    special_measures_decider,
    special_measures_decider_organisation,
)
from failure_regime.ratings import cqc_placement_refusal, recommendation_refusal
from failure_regime.services.clock import (
    Recipients,
    deadline_build,
    deadline_meet,
    deadline_open,
    members_by_role,
    register_resolver,
)
from failure_regime.services.interventions import intervention_reviews_stop, interventions_from_entry
from failure_regime.services.notification_events import (
    inspection_scheduled_notify,
    report_reviewed_notify,
    report_submitted_notify,
)
from failure_regime.uploads import check_upload, store
from failure_regime.verbs import MeasuresVerb

KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well_led")
# How long a provider has to send a returned report again.
RESUBMISSION_TIME = timedelta(days=14)


def rule_set_for(*, provider_kind: str, on: date) -> RuleSet:
    """The rule set in force on ``on`` for this kind of provider."""
    rule_set = (
        RuleSet.objects.filter(provider_kind=provider_kind, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .order_by("-effective_from")
        .first()
    )
    if rule_set is None:
        raise ValidationError({"entered_on": "No special measures rules cover this kind of provider on that date."})
    return rule_set


def placement_refusal(*, provider: Organisation, entered_on: date) -> str | None:
    """Why ``provider`` cannot be placed in special measures from ``entered_on``, or None. A provider whose
    registration was cancelled no longer provides regulated care, so it cannot be placed again. The one rule,
    used by the service, the form and the API."""
    cancelled = (
        Episode.objects.filter(
            provider=provider, status=EpisodeStatus.REGISTRATION_CANCELLED, exited_on__lte=entered_on
        )
        .order_by("-exited_on")
        .first()
    )
    if cancelled is not None and cancelled.exited_on is not None:
        return (
            f"The registration of {provider} was cancelled on {long_date(cancelled.exited_on)}, so it cannot be "
            "placed in special measures again."
        )
    return None


def episode_span_check(*, provider: Organisation, entered_on: date, ended_on: date | None) -> None:
    """Refuses a new or historic episode that would overlap another of the same provider, or that a cancelled
    registration rules out. Call it with the provider's row locked (``select_for_update``) in the transaction
    that creates the episode, so two recordings cannot both pass it."""
    refusal = placement_refusal(provider=provider, entered_on=entered_on)
    if refusal:
        raise ValidationError({"provider": refusal})
    others = Episode.objects.filter(provider=provider).filter(Q(exited_on__isnull=True) | Q(exited_on__gte=entered_on))
    if ended_on is not None:
        others = others.filter(entered_on__lte=ended_on)
    clash = others.order_by("entered_on").first()
    if clash is None:
        return
    if clash.is_open:
        raise ConflictError(
            f"{provider} has been in special measures since {long_date(clash.entered_on)}; "
            "episodes of one provider cannot overlap."
        )
    raise ConflictError(
        f"{provider} was in special measures from {long_date(clash.entered_on)} to "
        f"{long_date(clash.exited_on or clash.entered_on)}; episodes of one provider cannot overlap."
    )


def _decider(actor: User, provider: Organisation, doing: str) -> Organisation:
    organisation = special_measures_decider_organisation(actor, provider)
    if organisation is None:
        role = special_measures_decider(provider)[1]
        raise PermissionDenied(f"Only a {role.label.lower()} responsible for {provider} can {doing}.")
    return organisation


def _grant(episode: Episode) -> None:
    provider = episode.provider
    # The oversight body sees the episode through the provider (see the selectors), not through a grant.
    for group in {provider.group, episode.decided_by_organisation.group}:
        assign_perm("failure_regime.view_episode", group, episode)


@transaction.atomic
def episode_enter(
    *,
    actor: User,
    provider: Organisation,
    entered_on: date,
    basis: str,
    recommending_inspection: Inspection | None = None,
    case: Case | None = None,
    improvement_director: str = "",
    buddy_trust: Organisation | None = None,
) -> Episode:
    """Puts a provider into special measures: the oversight body decides for a trust (on CQC's recommendation or
    its own evidence), CQC for other providers. Starts the re-inspection clock and the monthly reports."""
    organisation = _decider(actor, provider, "put it into special measures")
    Organisation.objects.select_for_update().get(pk=provider.pk)  # one decision on this provider at a time
    errors: dict[str, str] = {}
    if provider.is_trust and basis not in (Basis.CQC_RECOMMENDATION, Basis.OWN_EVIDENCE):
        errors["basis"] = "Say whether CQC recommended it or the oversight body decided on its own evidence."
    if not provider.is_trust and basis != Basis.CQC_DECISION:
        errors["basis"] = "For this provider special measures are CQC's decision."
    if basis == Basis.CQC_RECOMMENDATION and recommending_inspection is None:
        errors["recommending_inspection"] = "Name the CQC inspection that recommended special measures."
    elif recommending_inspection is not None and recommending_inspection.provider_id != provider.pk:
        errors["recommending_inspection"] = "The inspection must be of the same provider."
    elif basis == Basis.CQC_RECOMMENDATION and recommending_inspection is not None:
        refusal = recommendation_refusal(recommending_inspection)
        if refusal:
            errors["recommending_inspection"] = refusal
    elif basis == Basis.CQC_DECISION and not provider.is_trust:
        refusal = cqc_placement_refusal(recommending_inspection)
        if refusal:
            errors["recommending_inspection"] = refusal
    if entered_on > timezone.localdate():
        errors["entered_on"] = "The entry date cannot be in the future."
    if case is not None and case.provider_id != provider.pk:
        errors["case"] = "The case must be about the same provider."
    if buddy_trust is not None and (not buddy_trust.is_trust or buddy_trust.pk == provider.pk):
        errors["buddy_trust"] = "The partner must be another trust."
    if errors:
        raise ValidationError(errors)
    if Episode.objects.filter(provider=provider, status=EpisodeStatus.OPEN).exists():
        raise ConflictError(f"{provider} is already in special measures.")
    episode_span_check(provider=provider, entered_on=entered_on, ended_on=None)
    rules = rule_set_for(provider_kind=provider.kind, on=entered_on)
    now = timezone.now()
    episode = Episode.objects.create(
        provider=provider,
        rule_set=rules,
        case=case,
        entered_on=entered_on,
        basis=basis,
        decided_by=actor,
        decided_by_organisation=organisation,
        decided_at=now,
        recorded_at=now,
        recommending_inspection=recommending_inspection,
        improvement_director=improvement_director.strip(),
        buddy_trust=buddy_trust,
        reinspection_due_on=add_months(entered_on, rules.reinspection_months),
        registration_decision_due_on=add_months(entered_on, rules.registration_decision_months)
        if rules.registration_decision_months
        else None,
    )
    _grant(episode)
    # An entry recorded late keeps its true dates: a date that passed before it was recorded is shown as
    # overdue, but nobody is chased about it.
    deadline_open(
        kind=DeadlineKind.REINSPECTION,
        title=f"Re-inspection of {provider.ods_code} in special measures",
        provider=provider,
        subject=episode,
        case=case,
        due_at=end_of_day(episode.reinspection_due_on),
        chase=end_of_day(episode.reinspection_due_on) > now,
    )
    if episode.registration_decision_due_on:
        deadline_open(
            kind=DeadlineKind.REGISTRATION_DECISION,
            title=f"Registration decision for {provider.ods_code}",
            provider=provider,
            subject=episode,
            case=case,
            due_at=end_of_day(episode.registration_decision_due_on),
            chase=end_of_day(episode.registration_decision_due_on) > now,
        )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=MeasuresVerb.EPISODE_ENTERED,
        target=episode,
        scope=episode,
        after={
            "provider": provider.ods_code,
            "entered_on": entered_on,
            "basis": basis,
            "rule_set": rules.name,
            "reinspection_due_on": episode.reinspection_due_on,
        },
    )
    interventions_from_entry(
        actor=actor,
        organisation=organisation,
        episode=episode,
        improvement_director=improvement_director,
        buddy_trust=buddy_trust,
    )
    report_slots_fill(episode=episode, today=timezone.localdate())
    return episode


def report_months(*, entered_on: date, today: date) -> list[date]:
    """The months an episode entered on ``entered_on`` owes a progress report for by ``today``: every month
    after the month of entry, up to this one."""
    months, month = [], add_months(month_start(entered_on), 1)
    while month <= month_start(today):
        months.append(month)
        month = add_months(month, 1)
    return months


def _clock_reports(reports: list[MonthlyReport]) -> int:
    """Opens the deadline of each report slot that has none. A slot due before its episode was recorded in the
    service is shown as overdue, but never chased: reminders and escalations go only for what falls due after
    the service knew of the episode (otherwise entering an episode three months late would mail three
    "Overdue" escalations at the next sweep)."""
    report_type = ContentType.objects.get_for_model(MonthlyReport)
    unclocked = (
        MonthlyReport.objects.filter(pk__in=[r.pk for r in reports])
        .exclude(Exists(Deadline.objects.filter(subject_type=report_type, subject_id=OuterRef("pk"))))
        .select_related("episode__provider")
    )
    deadlines = [
        deadline_build(
            kind=DeadlineKind.MONTHLY_REPORT,
            title=f"Monthly progress report of {r.episode.provider.ods_code} for {r.month:%B %Y}",
            provider=r.episode.provider,
            subject=r,
            case_id=r.episode.case_id,
            due_at=end_of_day(r.due_on),
            chase=end_of_day(r.due_on) > r.episode.recorded_at,
        )
        for r in unclocked
    ]
    Deadline.objects.bulk_create(deadlines, ignore_conflicts=True)
    return len(deadlines)


def report_slots_fill(*, episode: Episode, today: date) -> int:
    """Gives an open episode a report slot for every month it owes, from entry to this month, each with its
    deadline. Safe to run again. Returns how many deadlines it opened."""
    if not episode.is_open:
        return 0
    day = episode.rule_set.monthly_report_day
    MonthlyReport.objects.bulk_create(
        [
            MonthlyReport(episode=episode, month=m, due_on=report_due_on(m, day))
            for m in report_months(entered_on=episode.entered_on, today=today)
        ],
        ignore_conflicts=True,
    )
    return _clock_reports(list(episode.reports.filter(status=ReportStatus.DUE)))


def monthly_reports_open(*, today: date, episodes: list[Episode] | None = None) -> int:
    """Makes sure every open episode has this month's report slot and its deadline (from the month after
    entry). Safe to run any number of times, and at once; the sweep runs it. Returns how many it opened."""
    month = month_start(today)
    lacking = Episode.objects.filter(status=EpisodeStatus.OPEN, entered_on__lt=month).exclude(reports__month=month)
    if episodes is not None:
        lacking = lacking.filter(pk__in=[e.pk for e in episodes])
    candidates = list(lacking.select_related("rule_set"))
    if not candidates:
        return 0
    MonthlyReport.objects.bulk_create(
        [
            MonthlyReport(episode=e, month=month, due_on=report_due_on(month, e.rule_set.monthly_report_day))
            for e in candidates
        ],
        ignore_conflicts=True,
    )
    return _clock_reports(list(MonthlyReport.objects.filter(month=month, episode__in=candidates)))


def _lock_open_episode(episode: Episode) -> Episode:
    episode = Episode.objects.select_for_update().select_related("provider", "rule_set").get(pk=episode.pk)
    if not episode.is_open:
        raise TransitionNotAllowed("This provider has left special measures.")
    return episode


# --- The action plan --------------------------------------------------------------------------------

ACTION_FIELDS = ("description", "owner", "owner_organisation", "due_on", "status", "rag", "evidence")


def _plan_editor(actor: User, episode: Episode) -> Organisation:
    return acting_organisation(actor, PLAN_ROLES, episode.provider, doing="change this provider's action plan")


def _action_values(action: Action) -> dict[str, Any]:
    return {
        "description": action.description,
        "owner": action.owner.email if action.owner else None,
        "owner_organisation": action.owner_organisation.ods_code,
        "due_on": action.due_on,
        "status": action.status,
        "rag": action.rag,
        "evidence": action.evidence,
    }


def _check_owner(owner: User | None, owner_organisation: Organisation) -> None:
    if owner is not None and not owner.memberships.filter(organisation=owner_organisation).exists():
        raise ValidationError({"owner": f"The owner must be a member of {owner_organisation}."})


@transaction.atomic
def action_add(
    *,
    actor: User,
    episode: Episode,
    reference: str,
    description: str,
    owner_organisation: Organisation,
    due_on: date,
    owner: User | None = None,
    rag: str = Rag.RED,
) -> Action:
    """Adds an improvement action to the provider's plan."""
    episode = _lock_open_episode(episode)
    organisation = _plan_editor(actor, episode)
    _check_owner(owner, owner_organisation)
    if episode.actions.filter(reference=reference.strip()).exists():
        raise ValidationError({"reference": "Another action already has this reference."})
    action = Action.objects.create(
        episode=episode,
        reference=reference.strip(),
        description=description.strip(),
        owner=owner,
        owner_organisation=owner_organisation,
        due_on=due_on,
        rag=rag,
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=MeasuresVerb.ACTION_ADDED,
        target=action,
        scope=episode,
        after=_action_values(action),
    )
    return action


def _change_action(*, actor: User, organisation: Organisation, action: Action, changes: dict[str, Any]) -> Action:
    before = _action_values(action)
    for field, value in changes.items():
        if field not in ACTION_FIELDS:
            raise ValidationError({field: "This cannot be changed."})
        setattr(action, field, value)
    _check_owner(action.owner, action.owner_organisation)
    after = _action_values(action)
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        action.save(update_fields=[f for f in changes if f in ACTION_FIELDS])
        audit_record(
            actor=actor,
            organisation=organisation,
            verb=MeasuresVerb.ACTION_CHANGED,
            target=action,
            scope=action.episode,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return action


@transaction.atomic
def action_update(*, actor: User, action: Action, **changes: Any) -> Action:
    """Changes an action; what changed, from what to what, is kept in the audit trail."""
    episode = _lock_open_episode(action.episode)
    organisation = _plan_editor(actor, episode)
    action = Action.objects.select_for_update().get(pk=action.pk)
    return _change_action(actor=actor, organisation=organisation, action=action, changes=changes)


# --- Monthly progress reports -----------------------------------------------------------------------


@transaction.atomic
def report_submit(
    *,
    actor: User,
    episode: Episode,
    month: date,
    narrative: str,
    statuses: dict[int, dict[str, str]],
    evidence: list[UploadedFile] | None = None,
) -> MonthlyReport:
    """The provider's trust manager submits the report for ``month``: a narrative, the status of every action, and
    evidence. A second submission for the same month is refused; a returned report may be sent again."""
    episode = _lock_open_episode(episode)
    organisation = acting_organisation(actor, PLAN_ROLES, episode.provider, doing="submit this provider's reports")
    month = month_start(month)
    if not narrative.strip():
        raise ValidationError({"narrative": "Describe the progress made this month."})
    actions = {a.pk: a for a in episode.actions.select_for_update()}
    missing = sorted(a.reference for pk, a in actions.items() if pk not in statuses)
    if missing:
        raise ValidationError({"statuses": f"Give a status for every action (missing: {', '.join(missing)})."})
    unknown = set(statuses) - set(actions)
    if unknown:
        raise ValidationError({"statuses": "Some statuses are for actions that are not in this plan."})
    for values in statuses.values():
        if values.get("status") not in ActionStatus.values or values.get("rag") not in Rag.values:
            raise ValidationError({"statuses": "Each action needs a status and a RAG rating."})
    files = [(upload, check_upload(upload)) for upload in evidence or []]
    if month > month_start(timezone.localdate()) or month < month_start(episode.entered_on):
        raise ValidationError({"month": "Reports can be sent for months from entry up to this month."})
    report = MonthlyReport.objects.select_for_update().filter(episode=episode, month=month).first()
    if report is None:
        report = MonthlyReport.objects.create(
            episode=episode, month=month, due_on=report_due_on(month, episode.rule_set.monthly_report_day)
        )
    if ReportStatus.SUBMITTED not in MonthlyReport.TRANSITIONS[ReportStatus(report.status)]:
        raise ConflictError(f"The report for {month:%B %Y} has already been {report.get_status_display().lower()}.")
    report.status, report.narrative = ReportStatus.SUBMITTED, narrative.strip()
    report.submitted_by, report.submitted_at = actor, timezone.now()
    report.save(update_fields=["status", "narrative", "submitted_by", "submitted_at"])
    report.action_statuses.all().delete()
    ReportActionStatus.objects.bulk_create(
        [
            ReportActionStatus(
                report=report, action=actions[pk], status=v["status"], rag=v["rag"], note=v.get("note", "").strip()
            )
            for pk, v in statuses.items()
        ]
    )
    for pk, values in statuses.items():
        _change_action(
            actor=actor,
            organisation=organisation,
            action=actions[pk],
            changes={"status": values["status"], "rag": values["rag"]},
        )
    for upload, file_type in files:
        store(ReportEvidence(report=report), upload=upload, file_type=file_type, actor=actor)
    deadline_meet(subject=report, kind=DeadlineKind.MONTHLY_REPORT)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=MeasuresVerb.REPORT_SUBMITTED,
        target=report,
        scope=episode,
        after={"month": month, "actions": len(statuses), "evidence_files": len(files)},
    )
    report_submitted_notify(report=report, actor=actor)
    return report


def _lock_submitted(report: MonthlyReport) -> MonthlyReport:
    report = MonthlyReport.objects.select_for_update().select_related("episode__provider").get(pk=report.pk)
    if report.status != ReportStatus.SUBMITTED:
        raise TransitionNotAllowed(f"Only a submitted report can be reviewed; this one is {report.status}.")
    return report


def _snapshot(report: MonthlyReport) -> dict[str, Any]:
    """What the public sees: the month, the provider, the narrative and each action's standing. No names."""
    statuses = report.action_statuses.select_related("action__owner_organisation").order_by("action__reference")
    return {
        "month": report.month.isoformat(),
        "provider": {"name": report.episode.provider.name, "ods_code": report.episode.provider.ods_code},
        "entered_special_measures_on": report.episode.entered_on.isoformat(),
        "narrative": report.narrative,
        "actions": [
            {
                "reference": s.action.reference,
                "description": s.action.description,
                "owner_organisation": s.action.owner_organisation.name,
                "due_on": s.action.due_on.isoformat(),
                "status": s.status,
                "status_label": ActionStatus(s.status).label,
                "rag": s.rag,
                "note": s.note,
            }
            for s in statuses
        ],
    }


@transaction.atomic
def report_accept(*, actor: User, report: MonthlyReport) -> MonthlyReport:
    """The oversight lead accepts the report; it is published as a snapshot that never changes."""
    report = _lock_submitted(report)
    organisation = _decider(actor, report.episode.provider, "accept its reports")
    now = timezone.now()
    report.status, report.reviewed_by, report.reviewed_at = ReportStatus.ACCEPTED, actor, now
    report.snapshot, report.published_at = _snapshot(report), now
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "snapshot", "published_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=MeasuresVerb.REPORT_ACCEPTED,
        target=report,
        scope=report.episode,
        before={"status": ReportStatus.SUBMITTED},
        after={"status": ReportStatus.ACCEPTED},
    )
    report_reviewed_notify(report=report, actor=actor)
    return report


@transaction.atomic
def report_return(*, actor: User, report: MonthlyReport, comments: str) -> MonthlyReport:
    """The oversight lead returns the report with comments; the provider may send it again."""
    report = _lock_submitted(report)
    organisation = _decider(actor, report.episode.provider, "return its reports")
    if not comments.strip():
        raise ValidationError({"comments": "Say what needs to change."})
    report.status, report.reviewed_by, report.reviewed_at = ReportStatus.RETURNED, actor, timezone.now()
    report.review_comments = comments.strip()
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comments"])
    # The returned report is chased like a missing one, with time to put it right.
    resend_by = max(report.due_on, timezone.localdate()) + RESUBMISSION_TIME
    deadline_open(
        kind=DeadlineKind.MONTHLY_REPORT,
        title=f"Returned progress report of {report.episode.provider.ods_code} for {report.month:%B %Y}",
        provider=report.episode.provider,
        subject=report,
        case=report.episode.case,
        due_at=end_of_day(resend_by),
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=MeasuresVerb.REPORT_RETURNED,
        target=report,
        scope=report.episode,
        before={"status": ReportStatus.SUBMITTED},
        after={"status": ReportStatus.RETURNED},
    )
    report_reviewed_notify(report=report, actor=actor)
    return report


# --- Re-inspection and outcome ----------------------------------------------------------------------


@transaction.atomic
def inspection_schedule(*, actor: User, episode: Episode, scheduled_for: date) -> Inspection:
    """CQC schedules the re-inspection of a provider in special measures."""
    episode = _lock_open_episode(episode)
    organisation = acting_organisation(actor, INSPECTION_ROLES, doing="schedule inspections")
    if scheduled_for < timezone.localdate():
        raise ValidationError({"scheduled_for": "The date cannot be in the past."})
    inspection = Inspection.objects.create(
        provider=episode.provider,
        episode=episode,
        kind=InspectionKind.REINSPECTION,
        scheduled_for=scheduled_for,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=MeasuresVerb.INSPECTION_SCHEDULED,
        target=inspection,
        scope=episode,
        after={"scheduled_for": scheduled_for},
    )
    inspection_scheduled_notify(inspection=inspection, actor=actor)
    return inspection


@transaction.atomic
def inspection_record(
    *, actor: User, inspection: Inspection, carried_out_on: date, ratings: dict[str, str]
) -> Inspection:
    """CQC records what it found: a rating for each of the five key questions and overall. A re-inspection of a
    provider in special measures stops the re-inspection (or extension) clock."""
    organisation = acting_organisation(actor, INSPECTION_ROLES, doing="record inspections")
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if inspection.is_rated:
        raise TransitionNotAllowed("This inspection's ratings are already recorded.")
    errors = {q: "Choose a rating." for q in (*KEY_QUESTIONS, "overall") if ratings.get(q) not in Rating.values}
    if carried_out_on > timezone.localdate():
        errors["carried_out_on"] = "The date cannot be in the future."
    elif inspection.scheduled_for is not None and carried_out_on < inspection.scheduled_for:
        errors["carried_out_on"] = (
            "The inspection cannot have been carried out before it was scheduled "
            f"({long_date(inspection.scheduled_for)})."
        )
    elif inspection.episode is not None and carried_out_on < inspection.episode.entered_on:
        errors["carried_out_on"] = "A re-inspection cannot come before entry into special measures."
    if errors:
        raise ValidationError(errors)
    inspection.carried_out_on = carried_out_on
    for question in (*KEY_QUESTIONS, "overall"):
        setattr(inspection, question, ratings[question])
    inspection.save()
    if inspection.episode is not None:
        deadline_meet(subject=inspection.episode, kind=DeadlineKind.REINSPECTION)
        deadline_meet(subject=inspection.episode, kind=DeadlineKind.EXTENSION_END)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=MeasuresVerb.INSPECTION_RECORDED,
        target=inspection,
        scope=inspection.episode,
        after={"carried_out_on": carried_out_on, **ratings},
    )
    return inspection


@transaction.atomic
def inspection_for_recommendation(
    *, actor: User, provider: Organisation, carried_out_on: date, ratings: dict[str, str]
) -> Inspection:
    """Records a CQC inspection outside special measures (the one that may recommend entry)."""
    organisation = acting_organisation(actor, INSPECTION_ROLES, doing="record inspections")
    inspection = Inspection.objects.create(
        provider=provider, kind=InspectionKind.INSPECTION, recorded_by=actor, recorded_at=timezone.now()
    )
    assign_perm("failure_regime.view_inspection", organisation.group, inspection)
    return inspection_record(actor=actor, inspection=inspection, carried_out_on=carried_out_on, ratings=ratings)


def _end(episode: Episode, status: str, on: date) -> None:
    episode.status, episode.exited_on = status, on
    episode.days_in_special_measures = (on - episode.entered_on).days
    episode.save(update_fields=["status", "exited_on", "days_in_special_measures"])
    deadline_meet(subject=episode)
    intervention_reviews_stop(episode=episode)
    for report in episode.reports.filter(status=ReportStatus.DUE):
        deadline_meet(subject=report)


@transaction.atomic
def episode_exit(*, actor: User, episode: Episode, inspection: Inspection) -> Episode:
    """The provider leaves special measures after a re-inspection; the time spent in them is recorded."""
    episode = _lock_open_episode(episode)
    organisation = _decider(actor, episode.provider, "take it out of special measures")
    inspection = Inspection.objects.get(pk=inspection.pk)
    if (
        inspection.episode_id != episode.pk
        or not inspection.is_rated
        or inspection.carried_out_on is None
        or inspection.carried_out_on < episode.entered_on
    ):
        raise ValidationError({"inspection": "Choose this episode's recorded re-inspection."})
    if inspection.overall == Rating.INADEQUATE:
        raise ValidationError({"inspection": "The provider was still rated inadequate overall at this re-inspection."})
    _end(episode, EpisodeStatus.EXITED, inspection.carried_out_on)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=MeasuresVerb.EPISODE_EXITED,
        target=episode,
        scope=episode,
        before={"status": EpisodeStatus.OPEN},
        after={
            "status": EpisodeStatus.EXITED,
            "exited_on": episode.exited_on,
            "days_in_special_measures": episode.days_in_special_measures,
        },
    )
    return episode


@transaction.atomic
def episode_extend(*, actor: User, episode: Episode, until: date, reason: str) -> Extension:
    """Extends special measures after re-inspection, within the rule set's cap, with the approver and reason."""
    episode = _lock_open_episode(episode)
    organisation = _decider(actor, episode.provider, "extend special measures")
    cap = episode.rule_set.extension_max_months
    latest = add_months(episode.reinspection_due_on, cap)
    errors = {}
    if cap and not episode.inspections.exclude(overall="").exists():
        raise TransitionNotAllowed("Special measures can be extended only after CQC has re-inspected and rated.")
    if cap == 0:
        errors["until"] = f"The {episode.rule_set.name} rules allow no extension for this provider."
    elif until <= (episode.extended_until or episode.reinspection_due_on) or until > latest:
        errors["until"] = (
            f"The extension must end after the current due date and no later than {long_date(latest)} ({cap} months)."
        )
    if not reason.strip():
        errors["reason"] = "Give the reason for the extension."
    if errors:
        raise ValidationError(errors)
    extension = Extension.objects.create(
        episode=episode,
        until=until,
        reason=reason.strip(),
        approved_by=actor,
        approved_by_organisation=organisation,
        approved_at=timezone.now(),
    )
    before = episode.extended_until
    episode.extended_until = until
    episode.save(update_fields=["extended_until"])
    deadline_meet(subject=episode, kind=DeadlineKind.EXTENSION_END)
    deadline_open(
        kind=DeadlineKind.EXTENSION_END,
        title=f"End of the extension for {episode.provider.ods_code}",
        provider=episode.provider,
        subject=episode,
        case=episode.case,
        due_at=end_of_day(until),
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=MeasuresVerb.EPISODE_EXTENDED,
        target=episode,
        scope=episode,
        before={"extended_until": before},
        after={"extended_until": until, "reason": reason},
    )
    return extension


@transaction.atomic
def episode_propose_cancellation(*, actor: User, episode: Episode, summary: str) -> Any:
    """For a provider CQC alone regulates that is still inadequate: serves a notice of proposal to cancel its
    registration, which opens the 28-day window for representations."""
    from failure_regime.services.enforcement import enforcement_record

    episode = _lock_open_episode(episode)
    _decider(actor, episode.provider, "propose cancelling its registration")
    if episode.provider.is_trust:
        raise TransitionNotAllowed("Trusts are not registered this way; their special measures are extended instead.")
    return enforcement_record(
        actor=actor,
        provider=episode.provider,
        kind=EnforcementKind.NOTICE_OF_PROPOSAL,
        summary=summary,
        served_on=timezone.localdate(),
        case=episode.case,
    )


@transaction.atomic
def episode_cancel_registration(*, actor: User, episode: Episode, on: date) -> Episode:
    """Records the registration decision: the provider's registration is cancelled, which ends the episode."""
    episode = _lock_open_episode(episode)
    organisation = _decider(actor, episode.provider, "cancel its registration")
    if episode.provider.is_trust:
        raise TransitionNotAllowed("Trusts are not registered this way.")
    if on < episode.entered_on or on > timezone.localdate():
        raise ValidationError({"on": "The date must be between entry into special measures and today."})
    if not episode.inspections.filter(overall=Rating.INADEQUATE).exists():
        raise TransitionNotAllowed("Registration is cancelled only after a re-inspection still rates it inadequate.")
    window_closed = EnforcementAction.objects.filter(
        provider=episode.provider,
        kind=EnforcementKind.NOTICE_OF_PROPOSAL,
        served_on__gte=episode.entered_on,
        deadline_on__lt=on,
    )
    if not window_closed.exists():
        raise TransitionNotAllowed(
            "Registration is cancelled only after a notice of proposal and the end of its window for representations."
        )
    _end(episode, EpisodeStatus.REGISTRATION_CANCELLED, on)
    # The decision has been made: the window for representations no longer waits for anything.
    for notice in EnforcementAction.objects.filter(
        provider=episode.provider, kind=EnforcementKind.NOTICE_OF_PROPOSAL, served_on__gte=episode.entered_on
    ):
        deadline_meet(subject=notice, kind=DeadlineKind.REPRESENTATION_WINDOW)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=MeasuresVerb.EPISODE_REGISTRATION_CANCELLED,
        target=episode,
        scope=episode,
        after={"status": EpisodeStatus.REGISTRATION_CANCELLED, "on": on},
    )
    return episode


# --- Who hears about special-measures deadlines ------------------------------------------------------


def _role_everywhere(role: str, kind: str | None = None) -> list[User]:
    memberships = Membership.objects.filter(role=role, user__is_active=True)
    if kind:
        memberships = memberships.filter(organisation__kind=kind)
    return [m.user for m in memberships.select_related("user")]


def _episodes_of(deadlines: list[Any]) -> dict[int, Episode]:
    """The episode behind each deadline: the deadline's subject, or the report's episode."""
    episode_ids = {d.subject_id for d in deadlines if d.kind != DeadlineKind.MONTHLY_REPORT}
    report_episode = dict(
        MonthlyReport.objects.filter(
            pk__in=[d.subject_id for d in deadlines if d.kind == DeadlineKind.MONTHLY_REPORT]
        ).values_list("pk", "episode_id")
    )
    episodes = Episode.objects.select_related("provider__oversight_body").in_bulk(
        episode_ids | set(report_episode.values())
    )
    return {
        d.pk: episodes[report_episode[d.subject_id] if d.kind == DeadlineKind.MONTHLY_REPORT else d.subject_id]
        for d in deadlines
    }


def _deciders(episodes: list[Episode]) -> dict[int, list[tuple[int, str]]]:
    regulators = list(Organisation.objects.filter(kind=OrganisationKind.REGULATOR).values_list("pk", flat=True))
    wanted: dict[int, list[tuple[int, str]]] = {}
    for episode in episodes:
        organisation, role = special_measures_decider(episode.provider)
        wanted[episode.pk] = [(organisation.pk, role)] if organisation else [(r, role) for r in regulators]
    return wanted


def _case_oversight_leads(episodes: list[Episode]) -> dict[int, list[User]]:
    leads = Responsibility.objects.filter(
        case_id__in={e.case_id for e in episodes if e.case_id}, area=Area.OVERSIGHT, lead__isnull=False
    ).select_related("lead")
    by_case = {r.case_id: [r.lead] for r in leads if r.lead is not None}
    return {e.pk: by_case.get(e.case_id, []) if e.case_id else [] for e in episodes}


def _report_recipients(deadlines: list[Any], overdue: bool) -> Recipients:
    """Reminders go to the provider's trust managers; an overdue report is escalated to whoever accepts reports
    (the oversight body, or CQC) and to the case's accountable oversight lead."""
    episodes = _episodes_of(deadlines)
    if not overdue:
        members = members_by_role({(e.provider_id, Role.TRUST_MANAGER) for e in episodes.values()})
        return {pk: members.get((e.provider_id, Role.TRUST_MANAGER), []) for pk, e in episodes.items()}
    deciders = _deciders(list(episodes.values()))
    members = members_by_role({pair for pairs in deciders.values() for pair in pairs})
    leads = _case_oversight_leads(list(episodes.values()))
    return {
        pk: [u for pair in deciders[e.pk] for u in members.get(pair, [])] + leads[e.pk] for pk, e in episodes.items()
    }


def _inspection_recipients(deadlines: list[Any], overdue: bool) -> Recipients:
    """CQC's inspectors and decision-makers must re-inspect; the overseer hears too, and national oversight
    when the date passes."""
    episodes = _episodes_of(deadlines)
    cqc = _role_everywhere(Role.INSPECTOR, OrganisationKind.REGULATOR) + _role_everywhere(
        Role.REGULATOR_DECISION_MAKER, OrganisationKind.REGULATOR
    )
    deciders = _deciders(list(episodes.values()))
    members = members_by_role({pair for pairs in deciders.values() for pair in pairs})
    national = _role_everywhere(Role.NATIONAL_OVERSIGHT) if overdue else []
    return {
        pk: list(
            {u.pk: u for u in cqc + [u for pair in deciders[e.pk] for u in members.get(pair, [])] + national}.values()
        )
        for pk, e in episodes.items()
    }


register_resolver(DeadlineKind.MONTHLY_REPORT, _report_recipients)
register_resolver(DeadlineKind.REINSPECTION, _inspection_recipients)
register_resolver(DeadlineKind.EXTENSION_END, _inspection_recipients)
register_resolver(DeadlineKind.REGISTRATION_DECISION, _inspection_recipients)
