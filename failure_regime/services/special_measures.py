"""Special measures: the rules every episode follows, and entering them.

The rules (how long until re-inspection, how long an extension may be, when a registration decision
is due) come from the dated ``RuleSet`` in force on the entry date for the provider's kind, never
from code. Who decides, the overlap check and the episode lock are here too, because every part of an
episode uses them: its report slots (``report_slots``), action plan (``action_plan``), monthly reports
(``monthly_reports``), re-inspection and outcome (``episode_outcome``), past episodes (``episode_history``)
and who hears about its deadlines (``special_measures_recipients``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.audit import audit_record
from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import Organisation, User
from failure_regime.dates import add_months, end_of_day, long_date
from failure_regime.models import Basis, Case, DeadlineKind, Episode, EpisodeStatus, Inspection, RuleSet
from failure_regime.permissions import special_measures_decider_for
from failure_regime.ratings import cqc_placement_refusal, recommendation_refusal
from failure_regime.services.clock import deadline_open
from failure_regime.services.interventions import interventions_from_entry
from failure_regime.services.report_slots import report_slots_fill
from failure_regime.verbs import MeasuresVerb


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


def _grant(episode: Episode) -> None:
    provider = episode.provider
    # The oversight body sees the episode through the provider (see the selectors), not through a grant.
    for group in {provider.group, episode.decided_by_organisation.group}:
        assign_perm("failure_regime.view_episode", group, episode)


def _episode_create(
    *,
    actor: User,
    organisation: Organisation,
    provider: Organisation,
    rules: RuleSet,
    entered_on: date,
    basis: str,
    now: datetime,
    reinspection_due_on: date,
    registration_decision_due_on: date | None,
    **details: Any,
) -> Episode:
    """Creates an episode that ``actor`` decided for ``organisation``, decided and recorded ``now``, and lets the
    provider and the deciding organisation see it. Entry and the recording of a past episode both come here, so
    that the two cannot drift apart; ``details`` holds the fields only one of them sets."""
    episode = Episode.objects.create(
        provider=provider,
        rule_set=rules,
        entered_on=entered_on,
        basis=basis,
        decided_by=actor,
        decided_by_organisation=organisation,
        decided_at=now,
        recorded_at=now,
        reinspection_due_on=reinspection_due_on,
        registration_decision_due_on=registration_decision_due_on,
        **details,
    )
    _grant(episode)
    return episode


def _lock_open_episode(episode: Episode) -> Episode:
    episode = Episode.objects.select_for_update().select_related("provider", "rule_set").get(pk=episode.pk)
    if not episode.is_open:
        raise TransitionNotAllowed("This provider has left special measures.")
    return episode


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
    organisation: Organisation | None = None,
) -> Episode:
    """Puts a provider into special measures: the oversight body decides for a trust (on CQC's recommendation or
    its own evidence), a regulator (CQC) for other providers. ``organisation`` is the regulator ``actor`` decides
    for (needed only if they are a decision-maker at several). Starts the re-inspection clock and the monthly
    reports."""
    organisation = special_measures_decider_for(
        actor, provider, chosen=organisation, doing="put it into special measures"
    )
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
    episode = _episode_create(
        actor=actor,
        organisation=organisation,
        provider=provider,
        rules=rules,
        entered_on=entered_on,
        basis=basis,
        now=now,
        reinspection_due_on=add_months(entered_on, rules.reinspection_months),
        registration_decision_due_on=add_months(entered_on, rules.registration_decision_months)
        if rules.registration_decision_months
        else None,
        case=case,
        recommending_inspection=recommending_inspection,
        improvement_director=improvement_director.strip(),
        buddy_trust=buddy_trust,
    )
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
