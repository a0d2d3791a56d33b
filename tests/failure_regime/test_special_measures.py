"""Special measures: entry by the right body, the dated rules, monthly reports, re-inspection and exit."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import AuditEvent, Organisation, OrganisationKind, Role, User
from failure_regime.dates import end_of_day
from failure_regime.models import (
    Action,
    Alert,
    Basis,
    Deadline,
    EnforcementAction,
    Episode,
    EpisodeStatus,
    Inspection,
    MonthlyReport,
    OutboxMessage,
    ReportStatus,
)
from failure_regime.services import action_plan, episode_outcome, monthly_reports, report_slots
from failure_regime.services import special_measures as sm
from failure_regime.services.clock import deadline_sweep
from tests.factories import OrganisationFactory, member, sole_organisation
from tests.failure_regime.inspection_helpers import basis_inspection
from tests.failure_regime.test_uploads import PDF_BYTES

pytestmark = pytest.mark.django_db

RATINGS = dict.fromkeys((*episode_outcome.KEY_QUESTIONS, "overall"), "inadequate")


def enter(actor: User, provider: Organisation, on: date, basis: str = Basis.OWN_EVIDENCE) -> Episode:
    inspection = basis_inspection(provider, actor, on, basis)
    return sm.episode_enter(
        actor=actor, provider=provider, entered_on=on, basis=basis, recommending_inspection=inspection
    )


def first_of_last_month() -> date:
    """An entry date that owes exactly one monthly report (this month's), at least four weeks ago."""
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def episode(oversight_lead: User, provider: Organisation, trust_manager: User) -> Episode:
    return enter(oversight_lead, provider, first_of_last_month())


@pytest.fixture
def action(episode: Episode, trust_manager: User, provider: Organisation) -> Action:
    return action_plan.action_add(
        actor=trust_manager,
        episode=episode,
        reference="A1",
        description="Recruit midwives",
        owner_organisation=provider,
        due_on=timezone.localdate() + timedelta(days=90),
    )


@pytest.fixture
def practice(cqc: Organisation) -> Organisation:
    return OrganisationFactory.create(kind=OrganisationKind.GP_PRACTICE, name="Riverside Surgery")


def submit(actor: User, episode: Episode, action: Action, month: date | None = None, **extra):
    return monthly_reports.report_submit(
        actor=actor,
        episode=episode,
        month=month or timezone.localdate(),
        narrative="Six midwives appointed.",
        statuses={action.pk: {"status": "in_progress", "rag": "amber"}},
        **extra,
    )


# --- Entry and the rules -----------------------------------------------------------------------


def test_the_oversight_body_puts_a_trust_into_special_measures(episode: Episode, oversight_lead: User) -> None:
    assert (episode.decided_by, episode.basis, episode.rule_set.reinspection_months) == (
        oversight_lead,
        "own_evidence",
        12,
    )


def test_cqc_cannot_put_a_trust_into_special_measures(regulator: User, provider: Organisation) -> None:
    with pytest.raises(PermissionDenied):
        enter(regulator, provider, date(2026, 1, 5))


def test_another_oversight_body_cannot_decide(provider: Organisation, nhs_england: Organisation) -> None:
    with pytest.raises(PermissionDenied):
        enter(member(nhs_england, Role.OVERSIGHT_LEAD), provider, date(2026, 1, 5))


def test_cqc_puts_a_gp_practice_into_special_measures(regulator: User, practice: Organisation) -> None:
    episode = enter(regulator, practice, date(2026, 1, 5), Basis.CQC_DECISION)
    assert (episode.reinspection_due_on, episode.registration_decision_due_on) == (date(2026, 7, 5), date(2027, 1, 5))


def test_a_cqc_recommendation_names_the_inspection(oversight_lead: User, provider: Organisation) -> None:
    with pytest.raises(ValidationError) as error:
        enter(oversight_lead, provider, date(2026, 1, 5), Basis.CQC_RECOMMENDATION)
    assert "recommending_inspection" in error.value.message_dict


def test_a_provider_has_at_most_one_open_episode(
    episode: Episode, oversight_lead: User, provider: Organisation
) -> None:
    with pytest.raises(ConflictError):
        enter(oversight_lead, provider, date(2026, 2, 1))


def test_the_database_refuses_a_second_open_episode(episode: Episode) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Episode.objects.create(
            provider=episode.provider,
            rule_set=episode.rule_set,
            entered_on=episode.entered_on,
            basis=episode.basis,
            decided_by=episode.decided_by,
            decided_by_organisation=episode.decided_by_organisation,
            decided_at=timezone.now(),
            reinspection_due_on=episode.reinspection_due_on,
        )


@pytest.mark.parametrize(
    ("entered_on", "rules"),
    [
        (date(2014, 5, 1), "Special measures (2013)"),
        (date(2022, 5, 1), "Recovery Support Programme (2021)"),
        (date(2025, 5, 1), "NHS Oversight Framework (2025)"),
    ],
)
def test_the_rules_in_force_on_the_entry_date_apply(entered_on: date, rules: str) -> None:
    assert sm.rule_set_for(provider_kind=OrganisationKind.NHS_TRUST, on=entered_on).name == rules


def test_there_are_no_rules_before_special_measures_began() -> None:
    with pytest.raises(ValidationError):
        sm.rule_set_for(provider_kind=OrganisationKind.NHS_TRUST, on=date(2012, 1, 1))


def test_twelve_months_after_29_february_is_28_february(oversight_lead: User, provider: Organisation) -> None:
    assert enter(oversight_lead, provider, date(2024, 2, 29)).reinspection_due_on == date(2025, 2, 28)


def test_entry_opens_the_reinspection_clock(episode: Episode) -> None:
    deadline = Deadline.objects.get(kind="reinspection", subject_id=episode.pk)
    assert deadline.due_at == end_of_day(episode.reinspection_due_on)


# --- The action plan ---------------------------------------------------------------------------


def test_every_change_to_an_action_is_kept(action: Action, trust_manager: User) -> None:
    action_plan.action_update(actor=trust_manager, action=action, rag="green", status="complete")
    event = AuditEvent.objects.filter(verb="action_plan.action_changed", target_id=str(action.pk)).get()
    assert (event.before, event.after) == (
        {"status": "not_started", "rag": "red"},
        {"status": "complete", "rag": "green"},
    )


def test_another_trust_cannot_change_the_plan(action: Action, other_trust_manager: User) -> None:
    with pytest.raises(PermissionDenied):
        action_plan.action_update(actor=other_trust_manager, action=action, rag="green")


# --- Monthly reports ---------------------------------------------------------------------------


def test_a_slot_opens_each_month_after_entry(episode: Episode) -> None:
    assert list(episode.reports.values_list("month", flat=True)) == [timezone.localdate().replace(day=1)]


def test_opening_the_month_twice_opens_one_slot(episode: Episode) -> None:
    report_slots.monthly_reports_open(today=timezone.localdate())
    assert episode.reports.count() == 1 and Deadline.objects.filter(kind="monthly_report").count() == 1


def test_the_report_is_due_on_the_last_day_of_the_month(episode: Episode) -> None:
    report = episode.reports.get()
    assert report.due_on == (report.month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def test_a_trust_manager_submits_the_months_report(episode: Episode, action: Action, trust_manager: User) -> None:
    report = submit(trust_manager, episode, action, evidence=[SimpleUploadedFile("minutes.pdf", PDF_BYTES)])
    assert (report.status, report.evidence.count(), report.action_statuses.get().rag) == ("submitted", 1, "amber")


def test_a_second_report_for_the_month_is_refused(episode: Episode, action: Action, trust_manager: User) -> None:
    submit(trust_manager, episode, action)
    with pytest.raises(ConflictError):
        submit(trust_manager, episode, action)
    assert MonthlyReport.objects.filter(episode=episode).count() == 1


def test_the_database_refuses_two_reports_for_one_month(episode: Episode) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyReport.objects.create(episode=episode, month=episode.reports.get().month, due_on=timezone.localdate())


def test_a_trust_manager_of_another_provider_cannot_submit(
    episode: Episode, action: Action, other_trust_manager: User
) -> None:
    with pytest.raises(PermissionDenied):
        submit(other_trust_manager, episode, action)


def test_a_regulator_cannot_submit_for_the_trust(episode: Episode, action: Action, regulator: User) -> None:
    with pytest.raises(PermissionDenied):
        submit(regulator, episode, action)


def test_every_action_needs_a_status(episode: Episode, action: Action, trust_manager: User) -> None:
    with pytest.raises(ValidationError) as error:
        monthly_reports.report_submit(
            actor=trust_manager, episode=episode, month=timezone.localdate(), narrative="Progress", statuses={}
        )
    assert "A1" in error.value.message_dict["statuses"][0]


def test_a_bad_file_saves_nothing(episode: Episode, action: Action, trust_manager: User) -> None:
    with pytest.raises(ValidationError):
        submit(trust_manager, episode, action, evidence=[SimpleUploadedFile("plan.pdf", b"MZ\x90\x00\x03")])
    assert episode.reports.get().status == ReportStatus.DUE


def test_submitting_stops_the_months_clock(episode: Episode, action: Action, trust_manager: User) -> None:
    submit(trust_manager, episode, action)
    assert Deadline.objects.get(kind="monthly_report").met_at is not None


def test_accepting_publishes_a_snapshot(
    episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    report = monthly_reports.report_accept(actor=oversight_lead, report=submit(trust_manager, episode, action))
    assert report.snapshot is not None
    assert report.snapshot["actions"][0]["reference"] == "A1" and report.published_at is not None


def test_the_snapshot_names_no_person(
    episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    action_plan.action_update(actor=trust_manager, action=action, owner=trust_manager)
    report = monthly_reports.report_accept(actor=oversight_lead, report=submit(trust_manager, episode, action))
    text = str(report.snapshot)
    assert trust_manager.full_name not in text and trust_manager.email not in text


def test_an_accepted_report_cannot_be_changed(
    episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    monthly_reports.report_accept(actor=oversight_lead, report=submit(trust_manager, episode, action))
    with pytest.raises(ConflictError):
        submit(trust_manager, episode, action)


def test_a_returned_report_can_be_sent_again(
    episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    monthly_reports.report_return(
        actor=oversight_lead, report=submit(trust_manager, episode, action), comments="Add the audit."
    )
    assert submit(trust_manager, episode, action).status == ReportStatus.SUBMITTED


def test_only_the_oversight_lead_accepts(
    episode: Episode, action: Action, trust_manager: User, regulator: User
) -> None:
    with pytest.raises(PermissionDenied):
        monthly_reports.report_accept(actor=regulator, report=submit(trust_manager, episode, action))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_a_double_submission_at_once_makes_one_report(
    oversight_lead: User, provider: Organisation, trust_manager: User
) -> None:
    from failure_regime.models import RuleSet

    # Transactional tests flush the rule sets that the migrations seed; this test brings its own.
    RuleSet.objects.get_or_create(
        provider_kind=provider.kind,
        effective_from=date(2013, 1, 1),
        defaults={"name": "Test rules", "reinspection_months": 12, "extension_max_months": 6},
    )
    episode = enter(oversight_lead, provider, first_of_last_month())
    action = action_plan.action_add(
        actor=trust_manager,
        episode=episode,
        reference="A1",
        description="x",
        owner_organisation=provider,
        due_on=timezone.localdate(),
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def send() -> None:
        try:
            barrier.wait()
            submit(trust_manager, episode, action)
            outcomes.append("sent")
        except ConflictError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "sent"]
    assert MonthlyReport.objects.filter(episode=episode).count() == 1


# --- Reminders ---------------------------------------------------------------------------------


def sweep_at(moment) -> None:
    with time_machine.travel(moment, tick=False):
        deadline_sweep()


def test_the_report_reminder_goes_once_to_the_trust(
    oversight_lead: User, provider: Organisation, trust_manager: User
) -> None:
    with time_machine.travel(date(2026, 6, 2), tick=False):  # early in the month, before the 7-day reminder
        episode = enter(oversight_lead, provider, date(2026, 4, 20))
    due = end_of_day(episode.reports.get(month=date(2026, 6, 1)).due_on)
    sweep_at(due - timedelta(days=6))
    sweep_at(due - timedelta(days=5))
    assert OutboxMessage.objects.filter(to=trust_manager.email).count() == 1


def test_a_returned_report_is_chased_again(
    episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    report = monthly_reports.report_return(
        actor=oversight_lead, report=submit(trust_manager, episode, action), comments="Redo"
    )
    assert Deadline.objects.filter(subject_id=report.pk, kind="monthly_report", met_at__isnull=True).count() == 1


def test_an_overdue_report_is_escalated_once_to_the_oversight_lead(episode: Episode, oversight_lead: User) -> None:
    due = end_of_day(episode.reports.get().due_on)
    sweep_at(due + timedelta(hours=1))
    sweep_at(due + timedelta(days=2))
    overdue = OutboxMessage.objects.filter(to=oversight_lead.email, subject__startswith="Overdue: Monthly")
    assert overdue.count() == 1


def test_reinspection_reminders_go_out_at_90_30_7_days_and_on_the_day(episode: Episode) -> None:
    due = end_of_day(episode.reinspection_due_on)
    for days_before in (100, 89, 60, 29, 10, 6, 3):
        sweep_at(due - timedelta(days=days_before))
    sweep_at(due - timedelta(hours=10))
    steps = list(Alert.objects.filter(deadline__kind="reinspection").values_list("step", flat=True))
    assert steps == [str(90 * 86400), str(30 * 86400), str(7 * 86400), "0"]


# --- Re-inspection and outcome -----------------------------------------------------------------


@pytest.fixture
def reinspected(episode: Episode, inspector: User) -> Inspection:
    inspection = episode_outcome.inspection_schedule(
        actor=inspector, organisation=sole_organisation(inspector), episode=episode, scheduled_for=timezone.localdate()
    )
    return episode_outcome.inspection_record(
        actor=inspector,
        organisation=sole_organisation(inspector),
        inspection=inspection,
        carried_out_on=timezone.localdate(),
        ratings=RATINGS,
    )


def test_recording_the_reinspection_stops_its_clock(reinspected: Inspection, episode: Episode) -> None:
    assert Deadline.objects.get(kind="reinspection", subject_id=episode.pk).met_at is not None


def test_a_trust_manager_cannot_record_an_inspection(episode: Episode, inspector: User, trust_manager: User) -> None:
    inspection = episode_outcome.inspection_schedule(
        actor=inspector, organisation=sole_organisation(inspector), episode=episode, scheduled_for=timezone.localdate()
    )
    with pytest.raises(PermissionDenied):
        episode_outcome.inspection_record(
            actor=trust_manager,
            organisation=sole_organisation(trust_manager),
            inspection=inspection,
            carried_out_on=timezone.localdate(),
            ratings=RATINGS,
        )


@pytest.fixture
def improved(episode: Episode, inspector: User) -> Inspection:
    inspection = episode_outcome.inspection_schedule(
        actor=inspector, organisation=sole_organisation(inspector), episode=episode, scheduled_for=timezone.localdate()
    )
    ratings = {**RATINGS, "overall": "requires_improvement", "well_led": "good"}
    return episode_outcome.inspection_record(
        actor=inspector,
        organisation=sole_organisation(inspector),
        inspection=inspection,
        carried_out_on=timezone.localdate(),
        ratings=ratings,
    )


def test_exit_records_the_time_in_special_measures(
    improved: Inspection, episode: Episode, oversight_lead: User
) -> None:
    episode = episode_outcome.episode_exit(actor=oversight_lead, episode=episode, inspection=improved)
    days = (timezone.localdate() - first_of_last_month()).days
    assert (episode.status, episode.days_in_special_measures) == (EpisodeStatus.EXITED, days)


def test_a_provider_still_inadequate_cannot_leave(
    reinspected: Inspection, episode: Episode, oversight_lead: User
) -> None:
    with pytest.raises(ValidationError, match="still rated inadequate"):
        episode_outcome.episode_exit(actor=oversight_lead, episode=episode, inspection=reinspected)


def test_no_extension_before_the_reinspection(episode: Episode, oversight_lead: User) -> None:
    with pytest.raises(TransitionNotAllowed):
        episode_outcome.episode_extend(
            actor=oversight_lead,
            episode=episode,
            until=episode.reinspection_due_on + timedelta(days=30),
            reason="More time",
        )


def test_registration_is_not_cancelled_without_the_notice_and_its_window(
    regulator: User, practice: Organisation, inspector: User
) -> None:
    episode = enter(regulator, practice, timezone.localdate() - timedelta(days=10), Basis.CQC_DECISION)
    with pytest.raises(TransitionNotAllowed):
        episode_outcome.episode_cancel_registration(actor=regulator, episode=episode, on=timezone.localdate())


def test_registration_is_cancelled_after_the_window_for_representations(
    regulator: User, practice: Organisation, inspector: User
) -> None:
    start = timezone.localdate() - timedelta(days=200)
    with time_machine.travel(start, tick=False):
        episode = enter(regulator, practice, start, Basis.CQC_DECISION)
    with time_machine.travel(start + timedelta(days=150), tick=False):
        inspection = episode_outcome.inspection_schedule(
            actor=inspector,
            organisation=sole_organisation(inspector),
            episode=episode,
            scheduled_for=start + timedelta(days=150),
        )
        episode_outcome.inspection_record(
            actor=inspector,
            organisation=sole_organisation(inspector),
            inspection=inspection,
            carried_out_on=start + timedelta(days=150),
            ratings=RATINGS,
        )
        episode_outcome.episode_propose_cancellation(actor=regulator, episode=episode, summary="Still inadequate")
    episode = episode_outcome.episode_cancel_registration(actor=regulator, episode=episode, on=timezone.localdate())
    assert episode.status == EpisodeStatus.REGISTRATION_CANCELLED


def test_an_extension_within_six_months_is_allowed(
    reinspected: Inspection, episode: Episode, oversight_lead: User
) -> None:
    extension = episode_outcome.episode_extend(
        actor=oversight_lead,
        episode=episode,
        until=episode.reinspection_due_on + timedelta(days=180),
        reason="Progress is real",
    )
    assert (extension.approved_by, Episode.objects.get(pk=episode.pk).extended_until) == (
        oversight_lead,
        extension.until,
    )


def test_an_extension_beyond_the_cap_is_refused(
    reinspected: Inspection, episode: Episode, oversight_lead: User
) -> None:
    with pytest.raises(ValidationError):
        episode_outcome.episode_extend(
            actor=oversight_lead,
            episode=episode,
            until=episode.reinspection_due_on + timedelta(days=200),
            reason="Too long",
        )


def test_a_gp_practice_gets_no_extension(regulator: User, practice: Organisation) -> None:
    episode = enter(regulator, practice, date(2026, 1, 5), Basis.CQC_DECISION)
    with pytest.raises(ValidationError, match="allow no extension"):
        episode_outcome.episode_extend(actor=regulator, episode=episode, until=date(2026, 9, 1), reason="More time")


def test_a_gp_practice_still_inadequate_faces_cancellation(regulator: User, practice: Organisation) -> None:
    episode = enter(regulator, practice, date(2026, 1, 5), Basis.CQC_DECISION)
    notice = episode_outcome.episode_propose_cancellation(actor=regulator, episode=episode, summary="Still inadequate")
    assert isinstance(notice, EnforcementAction)
    assert notice.deadline_on == timezone.localdate() + timedelta(days=28)


def test_a_trust_cannot_face_cancellation(episode: Episode, oversight_lead: User) -> None:
    with pytest.raises(TransitionNotAllowed):
        episode_outcome.episode_propose_cancellation(actor=oversight_lead, episode=episode, summary="No")
