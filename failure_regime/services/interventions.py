"""The interventions register of an episode of special measures.

Who records what: licence conditions and undertakings are the oversight body's own regulatory powers, so only an
oversight lead of the provider's oversight body records and changes them (``licensing_body_organisation``); every
other kind is recorded by whoever manages the episode (``permissions.special_measures_deciders``). Each intervention
has a review date on the clock (``DeadlineKind.INTERVENTION_REVIEW``): reminders go to its owner, and once overdue to
the episode's deciders too. A review (a change of status with the next review date) or the end meets it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import TransitionNotAllowed
from accounts.limits import max_length_of
from accounts.models import Organisation, User
from failure_regime.dates import add_months, end_of_day
from failure_regime.models import (
    LICENSING_KINDS,
    Deadline,
    DeadlineKind,
    Episode,
    Intervention,
    InterventionKind,
    InterventionStatus,
)
from failure_regime.permissions import (
    licensing_body_organisation,
    special_measures_decider,
    special_measures_decider_for,
)
from failure_regime.services.clock import (
    DeadlineFacts,
    Recipients,
    deadline_meet,
    deadline_open,
    members_by_role,
    register_resolver,
)
from failure_regime.verbs import InterventionVerb

# An improvement director who hands over ends with these words and the hand-over's note, which has what is left of
# the limit on the reason for ending.
HANDED_OVER = "Handed over to a new improvement director."
HAND_OVER_NOTE_LIMIT = max_length_of(Intervention, "end_reason") - len(HANDED_OVER) - 1

# Interventions named when a provider enters special measures are first reviewed this many months later.
ENTRY_REVIEW_MONTHS = 3
OPENING_STATUSES = (InterventionStatus.PLANNED, InterventionStatus.IN_PLACE)


def intervention_recorder(*, actor: User, episode: Episode, kind: str) -> Organisation:
    """The organisation through which ``actor`` records and changes interventions of ``kind`` on ``episode``;
    refuses (403) anyone else with the reason."""
    provider = episode.provider
    if kind in LICENSING_KINDS:
        organisation = licensing_body_organisation(actor, provider)
        if organisation is None:
            raise PermissionDenied(
                "Licence conditions and undertakings are recorded only by an oversight lead of "
                f"{provider}'s oversight body, under its own powers."
            )
        return organisation
    return special_measures_decider_for(actor, provider, episode=episode, doing="record its interventions")


def _lock_episode(episode: Episode, *, open_only: bool) -> Episode:
    episode = (
        Episode.objects.select_for_update(of=("self",)).select_related("provider__oversight_body").get(pk=episode.pk)
    )
    if open_only and not episode.is_open:
        raise TransitionNotAllowed("This provider has left special measures.")
    return episode


def _lock(intervention: Intervention) -> Intervention:
    locked: Intervention = (
        Intervention.objects.select_for_update(of=("self",))
        .select_related("episode__provider__oversight_body", "owner", "owner_organisation", "partner")
        .get(pk=intervention.pk)
    )
    return locked


def _values(intervention: Intervention) -> dict[str, Any]:
    return {
        "kind": intervention.kind,
        "title": intervention.title,
        "description": intervention.description,
        "person_name": intervention.person_name,
        "person_organisation": intervention.person_organisation,
        "partner": intervention.partner.ods_code if intervention.partner else None,
        "starts_on": intervention.starts_on,
        "ends_on": intervention.ends_on,
        "owner": intervention.owner.email,
        "owner_organisation": intervention.owner_organisation.ods_code,
        "review_on": intervention.review_on,
        "status": intervention.status,
    }


def _owner_errors(episode: Episode, owner: User, owner_organisation: Organisation, partner: Organisation | None) -> str:
    provider = episode.provider
    allowed = {provider.pk, episode.decided_by_organisation_id, provider.oversight_body_id}
    if partner is not None:
        allowed.add(partner.pk)
    if owner_organisation.pk not in allowed:
        return "The owner must work for the provider, its oversight body, the body that decided, or the partner."
    if not owner.is_active or not owner.memberships.filter(organisation=owner_organisation).exists():
        return f"The owner must be a member of {owner_organisation}."
    return ""


def owner_candidates(*, episode: Episode) -> list[Organisation | None]:
    """The organisations an intervention's owner may work for, in order of preference: the provider, its oversight
    body, and the body that decided the entry."""
    provider = episode.provider
    return [provider, provider.oversight_body, episode.decided_by_organisation]


def intervention_owner_organisation(*, episode: Episode, owner: User) -> Organisation | None:
    """The organisation through which ``owner`` would own an intervention of ``episode``: the first of
    ``owner_candidates`` they belong to, or None."""
    belongs = set(owner.memberships.values_list("organisation_id", flat=True))
    return next((o for o in owner_candidates(episode=episode) if o is not None and o.pk in belongs), None)


def _review_errors(review_on: date | None) -> str:
    if review_on is None:
        return "Enter the date it must be reviewed by."
    if review_on < timezone.localdate():
        return "The review date cannot be in the past."
    return ""


def _open_review(intervention: Intervention) -> None:
    if intervention.review_on is None:
        return
    provider = intervention.episode.provider
    deadline_open(
        kind=DeadlineKind.INTERVENTION_REVIEW,
        # Mails carry the title: the kind and provider only, never a person's name.
        title=f"Review of the {intervention.get_kind_display().lower()} at {provider.ods_code} in special measures",
        provider=provider,
        subject=intervention,
        case=intervention.episode.case,
        due_at=end_of_day(intervention.review_on),
    )


@transaction.atomic
def intervention_add(
    *,
    actor: User,
    episode: Episode,
    kind: str,
    title: str,
    starts_on: date,
    owner: User,
    owner_organisation: Organisation,
    review_on: date | None,
    description: str = "",
    person_name: str = "",
    person_organisation: str = "",
    partner: Organisation | None = None,
    ends_on: date | None = None,
    status: str = InterventionStatus.IN_PLACE,
) -> Intervention:
    """Records an intervention on an open episode and starts the clock on its review."""
    episode = _lock_episode(episode, open_only=True)
    if kind not in InterventionKind.values:
        raise ValidationError({"kind": "Choose the kind of intervention."})
    organisation = intervention_recorder(actor=actor, episode=episode, kind=kind)
    title, person_name, person_organisation = title.strip(), person_name.strip(), person_organisation.strip()
    errors: dict[str, str] = {}
    if kind == InterventionKind.IMPROVEMENT_DIRECTOR:
        title = title or "Improvement director"
        if not person_name:
            errors["person_name"] = "Enter the improvement director's name."
        if not person_organisation:
            errors["person_organisation"] = "Enter the organisation the improvement director comes from."
        if episode.interventions.filter(kind=kind).exclude(status=InterventionStatus.ENDED).exists():
            errors["kind"] = "An improvement director is already in place: hand over to the new one instead."
    elif person_name or person_organisation:
        errors["person_name"] = "Only improvement directors are named."
    if not title:
        errors["title"] = "Enter a short title."
    if kind == InterventionKind.PARTNER_AGREEMENT:
        if partner is None:
            errors["partner"] = "Choose the partner organisation."
        elif partner.pk == episode.provider_id or not partner.is_provider:
            errors["partner"] = "The partner must be another provider."
        elif episode.provider.is_trust and not partner.is_trust:
            errors["partner"] = "A trust's partner must be another trust."
    elif partner is not None:
        errors["partner"] = "Only partner or buddy trust agreements have a partner organisation."
    if starts_on < episode.entered_on:
        errors["starts_on"] = "It cannot start before the provider entered special measures."
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = "The end date must be on or after the start date."
    if status not in OPENING_STATUSES:
        errors["status"] = "A new intervention is planned or in place."
    review_error = _review_errors(review_on)
    if review_error:
        errors["review_on"] = review_error
    owner_error = _owner_errors(episode, owner, owner_organisation, partner)
    if owner_error:
        errors["owner"] = owner_error
    if errors:
        raise ValidationError(errors)
    intervention = Intervention.objects.create(
        episode=episode,
        kind=kind,
        title=title,
        description=description.strip(),
        person_name=person_name,
        person_organisation=person_organisation,
        partner=partner,
        starts_on=starts_on,
        ends_on=ends_on,
        owner=owner,
        owner_organisation=owner_organisation,
        review_on=review_on,
        status=status,
        recorded_by=actor,
        recorded_by_organisation=organisation,
        recorded_at=timezone.now(),
    )
    _open_review(intervention)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=InterventionVerb.ADDED,
        target=intervention,
        scope=episode,
        after=_values(intervention),
    )
    return intervention


@transaction.atomic
def intervention_update_status(
    *, actor: User, intervention: Intervention, status: str, review_on: date | None, note: str = ""
) -> Intervention:
    """Records a review of the intervention: its status now (in place or under review; a planned one may be put in
    place) and the next review date. Meets the review that was due and starts the clock on the next."""
    intervention = _lock(intervention)
    episode = _lock_episode(intervention.episode, open_only=True)
    organisation = intervention_recorder(actor=actor, episode=episode, kind=intervention.kind)
    current = InterventionStatus(intervention.status)
    if current == InterventionStatus.ENDED:
        raise TransitionNotAllowed("This intervention has ended.")
    errors: dict[str, str] = {}
    if status not in Intervention.TRANSITIONS[current]:
        errors["status"] = f"An intervention that is {current.label.lower()} cannot become that; end it instead."
    review_error = _review_errors(review_on)
    if review_error:
        errors["review_on"] = review_error
    if errors:
        raise ValidationError(errors)
    before = {"status": intervention.status, "review_on": intervention.review_on}
    intervention.status, intervention.review_on = status, review_on
    intervention.save(update_fields=["status", "review_on"])
    deadline_meet(subject=intervention, kind=DeadlineKind.INTERVENTION_REVIEW)
    _open_review(intervention)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=InterventionVerb.STATUS_CHANGED,
        target=intervention,
        scope=episode,
        before=before,
        after={"status": status, "review_on": review_on, "note": note.strip()},
    )
    return intervention


@transaction.atomic
def improvement_director_hand_over(
    *,
    actor: User,
    intervention: Intervention,
    person_name: str,
    person_organisation: str,
    on: date,
    owner: User,
    owner_organisation: Organisation,
    review_on: date | None,
    note: str = "",
) -> Intervention:
    """A new improvement director takes over on ``on``: the previous one's time ends that day and both are kept.
    Returns the new director's intervention."""
    previous = _lock(intervention)
    episode = _lock_episode(previous.episode, open_only=True)
    organisation = intervention_recorder(actor=actor, episode=episode, kind=InterventionKind.IMPROVEMENT_DIRECTOR)
    if previous.kind != InterventionKind.IMPROVEMENT_DIRECTOR:
        raise TransitionNotAllowed("Only an improvement director is handed over.")
    if previous.status == InterventionStatus.ENDED:
        raise TransitionNotAllowed("This improvement director has already stood down.")
    person_name, person_organisation = person_name.strip(), person_organisation.strip()
    errors: dict[str, str] = {}
    if not person_name:
        errors["person_name"] = "Enter the new improvement director's name."
    if len(note.strip()) > HAND_OVER_NOTE_LIMIT:
        errors["note"] = f"Keep the note to {HAND_OVER_NOTE_LIMIT:,} characters or fewer."
    if not person_organisation:
        errors["person_organisation"] = "Enter the organisation the new improvement director comes from."
    if on < previous.starts_on:
        errors["on"] = (
            f"The hand-over cannot come before the previous director started ({previous.starts_on:%d %B %Y})."
        )
    elif on > timezone.localdate():
        errors["on"] = "Record the hand-over on or after the day it happens."
    review_error = _review_errors(review_on)
    if review_error:
        errors["review_on"] = review_error
    owner_error = _owner_errors(episode, owner, owner_organisation, None)
    if owner_error:
        errors["owner"] = owner_error
    if errors:
        raise ValidationError(errors)
    previous.status, previous.ends_on = InterventionStatus.ENDED, on
    previous.end_reason = f"{HANDED_OVER} {note.strip()}".strip()
    previous.save(update_fields=["status", "ends_on", "end_reason"])
    deadline_meet(subject=previous, kind=DeadlineKind.INTERVENTION_REVIEW)
    successor = Intervention.objects.create(
        episode=episode,
        kind=InterventionKind.IMPROVEMENT_DIRECTOR,
        title=previous.title,
        description=previous.description,
        person_name=person_name,
        person_organisation=person_organisation,
        starts_on=on,
        owner=owner,
        owner_organisation=owner_organisation,
        review_on=review_on,
        status=InterventionStatus.IN_PLACE,
        replaces=previous,
        recorded_by=actor,
        recorded_by_organisation=organisation,
        recorded_at=timezone.now(),
    )
    _open_review(successor)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=InterventionVerb.DIRECTOR_HANDED_OVER,
        target=successor,
        scope=episode,
        before={
            "intervention": previous.pk,
            "person_name": previous.person_name,
            "person_organisation": previous.person_organisation,
            "starts_on": previous.starts_on,
            "ends_on": previous.ends_on,
        },
        after={**_values(successor), "replaces": previous.pk, "note": note.strip()},
    )
    return successor


@transaction.atomic
def intervention_end(*, actor: User, intervention: Intervention, ended_on: date, reason: str) -> Intervention:
    """Ends an intervention (also after the provider has left special measures) and meets its review."""
    intervention = _lock(intervention)
    episode = _lock_episode(intervention.episode, open_only=False)
    organisation = intervention_recorder(actor=actor, episode=episode, kind=intervention.kind)
    if intervention.status == InterventionStatus.ENDED:
        raise TransitionNotAllowed("This intervention has already ended.")
    errors: dict[str, str] = {}
    if ended_on < intervention.starts_on:
        errors["ended_on"] = "It cannot end before it started."
    elif ended_on > timezone.localdate():
        errors["ended_on"] = "Record the end on or after the day it happens."
    if not reason.strip():
        errors["reason"] = "Say why it ended."
    if errors:
        raise ValidationError(errors)
    before = {"status": intervention.status, "ends_on": intervention.ends_on}
    intervention.status, intervention.ends_on, intervention.end_reason = (
        InterventionStatus.ENDED,
        ended_on,
        reason.strip(),
    )
    intervention.save(update_fields=["status", "ends_on", "end_reason"])
    deadline_meet(subject=intervention, kind=DeadlineKind.INTERVENTION_REVIEW)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=InterventionVerb.ENDED,
        target=intervention,
        scope=episode,
        before=before,
        after={"status": InterventionStatus.ENDED, "ends_on": ended_on, "reason": reason.strip()},
    )
    return intervention


def interventions_from_entry(
    *,
    actor: User,
    organisation: Organisation,
    episode: Episode,
    improvement_director: str,
    buddy_trust: Organisation | None,
) -> list[Intervention]:
    """The improvement director and partner trust named in the decision to enter become the register's first
    interventions, owned by the decider, in place from entry. Called inside ``episode_enter``'s transaction."""
    today = timezone.localdate()
    review_on = add_months(max(episode.entered_on, today), ENTRY_REVIEW_MONTHS)
    made = []
    common = {
        "episode": episode,
        "starts_on": episode.entered_on,
        "owner": actor,
        "owner_organisation": organisation,
        "review_on": review_on,
        "status": InterventionStatus.IN_PLACE,
        "recorded_by": actor,
        "recorded_by_organisation": organisation,
        "recorded_at": timezone.now(),
    }
    if improvement_director.strip():
        made.append(
            Intervention(
                kind=InterventionKind.IMPROVEMENT_DIRECTOR,
                title="Improvement director",
                person_name=improvement_director.strip(),
                **common,
            )
        )
    if buddy_trust is not None:
        made.append(
            Intervention(
                kind=InterventionKind.PARTNER_AGREEMENT,
                title=f"Partnership with {buddy_trust}",
                partner=buddy_trust,
                **common,
            )
        )
    for intervention in made:
        intervention.save()
        _open_review(intervention)
        audit_record(
            actor=actor,
            organisation=organisation,
            verb=InterventionVerb.ADDED,
            target=intervention,
            scope=episode,
            after=_values(intervention),
        )
    return made


def intervention_reviews_stop(*, episode: Episode) -> int:
    """The episode has ended: no intervention of it is chased for review any more. Returns how many stopped."""
    return Deadline.objects.filter(
        kind=DeadlineKind.INTERVENTION_REVIEW,
        subject_type__app_label="failure_regime",
        subject_type__model="intervention",
        subject_id__in=list(episode.interventions.values_list("pk", flat=True)),
        met_at__isnull=True,
    ).update(met_at=timezone.now(), next_alert_at=None)


# --- Who hears about reviews ---------------------------------------------------------------------------------


def _review_recipients(deadlines: Sequence[DeadlineFacts], overdue: bool) -> Recipients:
    """Reminders go to the intervention's owner; an overdue review is escalated to the episode's deciders too (the
    oversight body's oversight leads for a trust, the placing regulator's decision-makers otherwise)."""
    interventions = Intervention.objects.select_related("owner", "episode__provider__oversight_body").in_bulk(
        [d.subject_id for d in deadlines]
    )
    wanted: dict[int, list[tuple[int, str]]] = {}
    if overdue:
        for intervention in interventions.values():
            organisation_id, role = special_measures_decider(intervention.episode.provider, intervention.episode)
            wanted[intervention.pk] = [(organisation_id, role)]
    members = members_by_role({pair for pairs in wanted.values() for pair in pairs})
    recipients: Recipients = {}
    for deadline in deadlines:
        found = interventions.get(deadline.subject_id)
        if found is None:
            recipients[deadline.pk] = []
            continue
        people = [found.owner] if found.owner.is_active else []
        people += [u for pair in wanted.get(found.pk, []) for u in members.get(pair, [])]
        recipients[deadline.pk] = list({u.pk: u for u in people}.values())
    return recipients


register_resolver(DeadlineKind.INTERVENTION_REVIEW, _review_recipients)
