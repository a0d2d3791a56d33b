"""A concern's handling after it is recorded: assessed, an outcome decided, and closed, each with its reasons, by
the organisations that handle it (``permissions.concern_handlers``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import TransitionNotAllowed
from accounts.limits import max_length_of
from accounts.models import Organisation, Role, User
from failure_regime.models import Concern, ConcernOutcome, ConcernStatus, ConcernStep
from failure_regime.permissions import (
    CONCERN_ASSESSOR_ROLES,
    CONCERN_DECIDER_ROLES,
    choose_organisation,
    concern_handlers,
)
from failure_regime.services.concern_clock import concern_clock_stop
from failure_regime.verbs import RegimeVerb

# Which steps may follow which: a concern is assessed once received; its outcome is decided once assessed (and may
# be decided again, say from monitoring to enforcement); it is closed once an outcome is decided or it is part of
# a case. A case may be proposed from any concern not yet closed (``cases.case_propose``).
NEXT: dict[str, frozenset[str]] = {
    ConcernStatus.ASSESSED: frozenset({ConcernStatus.RECEIVED}),
    ConcernStatus.OUTCOME: frozenset({ConcernStatus.ASSESSED, ConcernStatus.OUTCOME}),
    ConcernStatus.CLOSED: frozenset({ConcernStatus.OUTCOME, ConcernStatus.IN_CASE}),
}
# Who takes each step, and the words for refusing anyone else.
STEP_ROLES: dict[str, tuple[frozenset[Role], str]] = {
    ConcernStatus.ASSESSED: (CONCERN_ASSESSOR_ROLES, "assess this concern"),
    ConcernStatus.OUTCOME: (CONCERN_DECIDER_ROLES, "decide the outcome of this concern"),
    ConcernStatus.CLOSED: (CONCERN_DECIDER_ROLES, "close this concern"),
}
VERBS: dict[str, RegimeVerb] = {
    ConcernStatus.ASSESSED: RegimeVerb.CONCERN_ASSESSED,
    ConcernStatus.OUTCOME: RegimeVerb.CONCERN_OUTCOME_DECIDED,
    ConcernStatus.CLOSED: RegimeVerb.CONCERN_CLOSED,
}
REASONS_MAX = max_length_of(ConcernStep, "reasons")
REFERRED_TO_MAX = max_length_of(ConcernStep, "referred_to")


def may_take(concern: Concern, step: str) -> bool:
    """Whether ``step`` may follow where ``concern`` is now (not who may take it: ``step_organisations``)."""
    return concern.status in NEXT[step]


def step_organisations(user: User, concern: Concern, step: str) -> list[Organisation]:
    """The organisations through which ``user`` may take ``step`` on ``concern`` now: what a page offers and asks
    them to choose between, by the rule the services apply. Empty if they may not."""
    if not may_take(concern, step):
        return []
    roles, _ = STEP_ROLES[step]
    return concern_handlers(user, concern, roles)


def concern_assess(
    *, actor: User, concern: Concern, reasons: str, organisation: Organisation | None = None
) -> ConcernStep:
    """Records the assessment of a received concern: what was found and why it matters (or does not)."""
    return _take(actor=actor, concern=concern, step=ConcernStatus.ASSESSED, reasons=reasons, chosen=organisation)


def concern_outcome_decide(
    *,
    actor: User,
    concern: Concern,
    outcome: str,
    reasons: str,
    referred_to: str = "",
    organisation: Organisation | None = None,
) -> ConcernStep:
    """Decides what follows an assessed concern (no further action, monitoring, enforcement, a single failure
    case, or a referral to another body, named in ``referred_to``), with the reasons."""
    errors: dict[str, str] = {}
    if outcome not in ConcernOutcome.values:
        errors["outcome"] = "Choose the outcome."
    elif outcome == ConcernOutcome.REFER and not referred_to.strip():
        errors["referred_to"] = "Enter the body the concern is referred to."
    if len(referred_to) > REFERRED_TO_MAX:
        errors["referred_to"] = f"The body's name must be {REFERRED_TO_MAX} characters or fewer."
    if errors:
        raise ValidationError(errors)
    return _take(
        actor=actor,
        concern=concern,
        step=ConcernStatus.OUTCOME,
        reasons=reasons,
        chosen=organisation,
        outcome=outcome,
        referred_to=referred_to.strip() if outcome == ConcernOutcome.REFER else "",
    )


def concern_close(
    *, actor: User, concern: Concern, reasons: str, organisation: Organisation | None = None
) -> ConcernStep:
    """Closes a concern whose outcome is decided (or which is part of a case), saying why it can close."""
    return _take(actor=actor, concern=concern, step=ConcernStatus.CLOSED, reasons=reasons, chosen=organisation)


@transaction.atomic
def _take(
    *,
    actor: User,
    concern: Concern,
    step: str,
    reasons: str,
    chosen: Organisation | None,
    outcome: str = "",
    referred_to: str = "",
) -> ConcernStep:
    roles, doing = STEP_ROLES[step]
    organisation = choose_organisation(concern_handlers(actor, concern, roles), chosen, doing=doing)
    # Locked, so two people taking the same step at once record it once.
    concern = Concern.objects.select_for_update().select_related("provider").get(pk=concern.pk)
    if not may_take(concern, step):
        raise TransitionNotAllowed(
            f"A concern that is {concern.get_status_display().lower()} cannot be {ConcernStatus(step).label.lower()}."
        )
    if not reasons.strip():
        raise ValidationError({"reasons": "Give the reasons."})
    if len(reasons) > REASONS_MAX:
        raise ValidationError({"reasons": f"The reasons must be {REASONS_MAX} characters or fewer."})
    before = {"status": concern.status, "outcome": concern.outcome}
    taken = ConcernStep.objects.create(
        concern=concern,
        status=step,
        outcome=outcome,
        referred_to=referred_to,
        reasons=reasons.strip(),
        made_by=actor,
        made_by_organisation=organisation,
        made_at=timezone.now(),
    )
    concern.status = step
    if outcome:
        concern.outcome = outcome
    concern.save(update_fields=["status", "outcome"])
    if step == ConcernStatus.ASSESSED:
        concern_clock_stop([concern])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=VERBS[step],
        target=concern,
        before=before,
        after={"status": step, "outcome": concern.outcome, "referred_to": referred_to, "reasons": reasons.strip()},
    )
    return taken
