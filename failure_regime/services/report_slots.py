"""The monthly progress reports an episode owes: a slot for every month after the month of entry, each with
its deadline on the clock.

Entry fills the slots owed so far (an entry recorded late owes several at once) and the deadline sweep opens each
new month's. Both are safe to run again, and at once: a slot is unique per episode and month, and a slot has one
open deadline at a time. Submitting and reviewing a report is in ``monthly_reports``.
"""

from __future__ import annotations

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef

from failure_regime.dates import add_months, end_of_day, month_start, report_due_on
from failure_regime.models import Deadline, DeadlineKind, Episode, EpisodeStatus, MonthlyReport, ReportStatus
from failure_regime.services.clock import deadline_build


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


def _slots_create(slots: list[tuple[Episode, date]]) -> None:
    """Creates the report slot of each (episode, month), due on the day of the month that the episode's rules
    set. A slot that exists already is left as it is, so that fills running at once do not clash."""
    MonthlyReport.objects.bulk_create(
        [MonthlyReport(episode=e, month=m, due_on=report_due_on(m, e.rule_set.monthly_report_day)) for e, m in slots],
        ignore_conflicts=True,
    )


def report_slots_fill(*, episode: Episode, today: date) -> int:
    """Gives an open episode a report slot for every month it owes, from entry to this month, each with its
    deadline. Safe to run again. Returns how many deadlines it opened."""
    if not episode.is_open:
        return 0
    _slots_create([(episode, m) for m in report_months(entered_on=episode.entered_on, today=today)])
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
    _slots_create([(e, month) for e in candidates])
    return _clock_reports(list(MonthlyReport.objects.filter(month=month, episode__in=candidates)))
