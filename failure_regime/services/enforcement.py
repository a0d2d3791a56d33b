"""The enforcement log: what was served on a provider, by when it must respond, and what came of it."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.audit import audit_record
from accounts.errors import TransitionNotAllowed
from accounts.models import Organisation, User
from failure_regime.dates import end_of_day
from failure_regime.models import (
    REPRESENTATION_WINDOW,
    Case,
    DeadlineKind,
    EnforcementAction,
    EnforcementKind,
    EnforcementOutcome,
)
from failure_regime.permissions import ENFORCEMENT_ROLES, membership_for
from failure_regime.services.clock import deadline_meet, deadline_open
from failure_regime.verbs import RegimeVerb

# The log starts with the Health and Social Care Act 2008; deadlines beyond ten years are typing errors.
EARLIEST_SERVICE = date(2009, 1, 1)
LATEST_DEADLINE = timedelta(days=3653)


@transaction.atomic
def enforcement_record(
    *,
    actor: User,
    organisation: Organisation,
    provider: Organisation,
    kind: str,
    summary: str,
    served_on: date,
    deadline_on: date | None = None,
    case: Case | None = None,
) -> EnforcementAction:
    """Logs an enforcement action served by the regulator. A notice of proposal gets its 28-day window for
    representations unless another date is given; any deadline starts the clock and its reminders."""
    membership_for(actor, organisation, ENFORCEMENT_ROLES, doing="record enforcement action")
    errors = {}
    if not provider.is_provider:
        errors["provider"] = "Choose a provider of care."
    if kind not in EnforcementKind.values:
        errors["kind"] = "Choose the kind of enforcement action."
    if case is not None and case.provider_id != provider.pk:
        errors["case"] = "The case must be about the same provider."
    if not summary.strip():
        errors["summary"] = "Describe what was served."
    if served_on > timezone.localdate():
        errors["served_on"] = "The date served cannot be in the future."
    elif served_on < EARLIEST_SERVICE:
        errors["served_on"] = f"The date served must be after {EARLIEST_SERVICE:%Y}."
    if kind == EnforcementKind.NOTICE_OF_PROPOSAL and deadline_on is None:
        deadline_on = served_on + REPRESENTATION_WINDOW
    if deadline_on is not None and deadline_on < served_on:
        errors["deadline_on"] = "The deadline must be on or after the date served."
    elif deadline_on is not None and deadline_on > served_on + LATEST_DEADLINE:
        errors["deadline_on"] = "The deadline must be within 10 years of the date served."
    if errors:
        raise ValidationError(errors)
    action = EnforcementAction.objects.create(
        provider=provider,
        case=case,
        kind=kind,
        summary=summary.strip(),
        served_on=served_on,
        deadline_on=deadline_on,
        recorded_by=actor,
        recorded_by_organisation=organisation,
        recorded_at=timezone.now(),
    )
    for group in {provider.group, organisation.group}:  # the oversight body sees it through the provider
        assign_perm("failure_regime.view_enforcementaction", group, action)
    if deadline_on is not None:
        representation = action.is_representation_window
        deadline_open(
            kind=DeadlineKind.REPRESENTATION_WINDOW if representation else DeadlineKind.ENFORCEMENT_COMPLIANCE,
            title=f"{action.get_kind_display()} for {provider.ods_code}: "
            f"{'representations' if representation else 'compliance'} due",
            provider=provider,
            subject=action,
            case=case,
            due_at=end_of_day(deadline_on),
        )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RegimeVerb.ENFORCEMENT_RECORDED,
        target=action,
        scope=case,
        after={"provider": provider.ods_code, "kind": kind, "served_on": served_on, "deadline_on": deadline_on},
    )
    return action


@transaction.atomic
def enforcement_outcome_record(
    *, actor: User, action: EnforcementAction, outcome: str, notes: str = ""
) -> EnforcementAction:
    """Records how an enforcement action ended, which stops its clock. The regulator that served it records it."""
    action = (
        EnforcementAction.objects.select_for_update(of=("self",))
        .select_related("recorded_by_organisation")
        .get(pk=action.pk)
    )
    organisation = action.recorded_by_organisation
    membership_for(actor, organisation, ENFORCEMENT_ROLES, doing="record this action's outcome")
    if action.outcome != EnforcementOutcome.PENDING:
        raise TransitionNotAllowed("This action already has an outcome.")
    if outcome not in EnforcementOutcome.values or outcome == EnforcementOutcome.PENDING:
        raise ValidationError({"outcome": "Choose the outcome."})
    action.outcome, action.outcome_notes, action.outcome_recorded_at = outcome, notes.strip(), timezone.now()
    action.save(update_fields=["outcome", "outcome_notes", "outcome_recorded_at"])
    deadline_meet(subject=action)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RegimeVerb.ENFORCEMENT_OUTCOME_RECORDED,
        target=action,
        scope=action.case,
        before={"outcome": EnforcementOutcome.PENDING},
        after={"outcome": outcome},
    )
    return action
