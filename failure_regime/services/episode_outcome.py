"""Re-inspection of a provider in special measures, and how its episode ends.

CQC schedules the re-inspection and records its ratings, which stops the re-inspection (or extension) clock. The
provider then leaves special measures, or they are extended within the cap of the episode's rules; a provider CQC
alone regulates that is still inadequate is served a notice of proposal instead, and once its window for
representations has closed its registration may be cancelled. Ending an episode meets every deadline it still has.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.audit import audit_record
from accounts.errors import TransitionNotAllowed
from accounts.models import Organisation, User
from failure_regime.dates import add_months, end_of_day, long_date
from failure_regime.models import (
    DeadlineKind,
    EnforcementAction,
    EnforcementKind,
    Episode,
    EpisodeStatus,
    Extension,
    Inspection,
    InspectionKind,
    Rating,
    ReportStatus,
)
from failure_regime.permissions import INSPECTION_ROLES, membership_for, special_measures_decider_for
from failure_regime.services.clock import deadline_meet, deadline_open
from failure_regime.services.interventions import intervention_reviews_stop
from failure_regime.services.notification_events import inspection_scheduled_notify
from failure_regime.services.special_measures import _lock_open_episode
from failure_regime.verbs import MeasuresVerb

KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well_led")


@transaction.atomic
def inspection_schedule(
    *, actor: User, organisation: Organisation, episode: Episode, scheduled_for: date
) -> Inspection:
    """CQC schedules the re-inspection of a provider in special measures."""
    episode = _lock_open_episode(episode)
    membership_for(actor, organisation, INSPECTION_ROLES, doing="schedule inspections")
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
    *, actor: User, organisation: Organisation, inspection: Inspection, carried_out_on: date, ratings: dict[str, str]
) -> Inspection:
    """CQC records what it found: a rating for each of the five key questions and overall. A re-inspection of a
    provider in special measures stops the re-inspection (or extension) clock."""
    membership_for(actor, organisation, INSPECTION_ROLES, doing="record inspections")
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
    *, actor: User, organisation: Organisation, provider: Organisation, carried_out_on: date, ratings: dict[str, str]
) -> Inspection:
    """Records a CQC inspection outside special measures (the one that may recommend entry)."""
    membership_for(actor, organisation, INSPECTION_ROLES, doing="record inspections")
    inspection = Inspection.objects.create(
        provider=provider, kind=InspectionKind.INSPECTION, recorded_by=actor, recorded_at=timezone.now()
    )
    assign_perm("failure_regime.view_inspection", organisation.group, inspection)
    return inspection_record(
        actor=actor, organisation=organisation, inspection=inspection, carried_out_on=carried_out_on, ratings=ratings
    )


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
    organisation = special_measures_decider_for(
        actor, episode.provider, episode=episode, doing="take it out of special measures"
    )
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
    organisation = special_measures_decider_for(
        actor, episode.provider, episode=episode, doing="extend special measures"
    )
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
    organisation = special_measures_decider_for(
        actor, episode.provider, episode=episode, doing="propose cancelling its registration"
    )
    if episode.provider.is_trust:
        raise TransitionNotAllowed("Trusts are not registered this way; their special measures are extended instead.")
    return enforcement_record(
        actor=actor,
        organisation=organisation,
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
    organisation = special_measures_decider_for(
        actor, episode.provider, episode=episode, doing="cancel its registration"
    )
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
