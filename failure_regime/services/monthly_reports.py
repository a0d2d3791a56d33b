"""Monthly progress reports: the provider's trust manager submits the report of a month (a narrative, where each
action stands, evidence files), and whoever decides the provider's special measures accepts it, which publishes a
snapshot that never changes, or returns it with comments to be sent again within ``RESUBMISSION_TIME``.

The slots a report fills, and their deadlines, are in ``report_slots``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import User
from failure_regime.dates import end_of_day, month_start, report_due_on
from failure_regime.models import (
    ActionStatus,
    DeadlineKind,
    Episode,
    MonthlyReport,
    Rag,
    ReportActionStatus,
    ReportEvidence,
    ReportStatus,
)
from failure_regime.permissions import PLAN_ROLES, membership_for, special_measures_decider_for
from failure_regime.services.action_plan import _change_action
from failure_regime.services.clock import deadline_meet, deadline_open
from failure_regime.services.notification_events import report_reviewed_notify, report_submitted_notify
from failure_regime.services.special_measures import _lock_open_episode
from failure_regime.uploads import check_upload, store
from failure_regime.verbs import MeasuresVerb

# How long a provider has to send a returned report again.
RESUBMISSION_TIME = timedelta(days=14)


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
    organisation = membership_for(
        actor, episode.provider, PLAN_ROLES, doing="submit this provider's reports"
    ).organisation
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
    organisation = special_measures_decider_for(
        actor, report.episode.provider, episode=report.episode, doing="accept its reports"
    )
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
    organisation = special_measures_decider_for(
        actor, report.episode.provider, episode=report.episode, doing="return its reports"
    )
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
