"""The action plan of an episode of special measures: the improvement actions that the provider's trust
managers add and change. Every change is audited with what it was and what it became; a monthly report changes
each action's status and RAG rating the same way (``monthly_reports``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Organisation, User
from failure_regime.models import Action, Episode, Rag
from failure_regime.permissions import PLAN_ROLES, membership_for
from failure_regime.services.special_measures import _lock_open_episode
from failure_regime.verbs import MeasuresVerb

ACTION_FIELDS = ("description", "owner", "owner_organisation", "due_on", "status", "rag", "evidence")


def _plan_editor(actor: User, episode: Episode) -> Organisation:
    return membership_for(actor, episode.provider, PLAN_ROLES, doing="change this provider's action plan").organisation


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
