"""The joint trigger: each required party agrees or objects; the case is triggered when the last agrees.

Every decision locks the case row first, so decisions given at the same instant are taken one after
the other: the case is triggered exactly once, by whichever decision completes the set.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import Organisation, User
from failure_regime.models import Case, CaseStatus, DeadlineKind, Decision, SignOff
from failure_regime.permissions import sign_off_role_for
from failure_regime.services.clock import deadline_meet
from failure_regime.services.notification_events import case_triggered_notify, sign_off_notify
from failure_regime.verbs import RegimeVerb


def _check_signatory(*, actor: User, case: Case, organisation: Organisation) -> None:
    if not case.parties.filter(organisation=organisation).exists():
        raise PermissionDenied(f"{organisation} is not a party to this case.")
    role = sign_off_role_for(organisation)
    if not actor.memberships.filter(organisation=organisation, role=role).exists():
        raise PermissionDenied(f"Only a {role.label.lower()} of {organisation} can give its decision.")


def _lock_proposed(case: Case) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != CaseStatus.PROPOSED:
        raise TransitionNotAllowed(f"Decisions can be given only while the case is proposed; it is {case.status}.")
    return case


@transaction.atomic
def sign_off_record(*, actor: User, case: Case, organisation: Organisation, decision: str, reason: str = "") -> SignOff:
    """Records a party's decision. An objection needs reasons and holds the case; the last agreement triggers it."""
    case = _lock_proposed(case)
    _check_signatory(actor=actor, case=case, organisation=organisation)
    if decision not in Decision.values:
        raise ValidationError({"decision": "Choose whether your organisation agrees or objects."})
    if decision == Decision.OBJECT and not reason.strip():
        raise ValidationError({"reason": "Give the reasons for the objection."})
    if case.sign_offs.filter(organisation=organisation, withdrawn_at__isnull=True).exists():
        raise ConflictError(f"{organisation} has already given its decision. Withdraw it first to change it.")
    try:
        with transaction.atomic():
            sign_off = SignOff.objects.create(
                case=case,
                organisation=organisation,
                decision=decision,
                reason=reason.strip(),
                decided_by=actor,
                decided_at=timezone.now(),
            )
    except IntegrityError as exc:  # pragma: no cover - the case lock makes this unreachable; the constraint stays
        raise ConflictError(f"{organisation} has already given its decision.") from exc
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RegimeVerb.SIGN_OFF_RECORDED,
        target=sign_off,
        scope=case,
        after={"organisation": organisation.ods_code, "decision": decision},
    )
    if _every_party_agrees(case):
        _trigger(case=case, actor=actor, organisation=organisation)
    else:
        # A decision that triggers the case is told as the trigger.
        sign_off_notify(sign_off=sign_off, case=case, actor=actor)
    return sign_off


@transaction.atomic
def sign_off_withdraw(*, actor: User, case: Case, organisation: Organisation, reason: str) -> SignOff:
    """Withdraws a party's decision before the trigger; the withdrawn decision is kept, and a new one may follow."""
    case = _lock_proposed(case)
    _check_signatory(actor=actor, case=case, organisation=organisation)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the decision is withdrawn."})
    sign_off = case.sign_offs.filter(organisation=organisation, withdrawn_at__isnull=True).first()
    if sign_off is None:
        raise ConflictError(f"{organisation} has no decision to withdraw.")
    sign_off.withdrawn_by, sign_off.withdrawn_at, sign_off.withdrawal_reason = actor, timezone.now(), reason.strip()
    sign_off.save(update_fields=["withdrawn_by", "withdrawn_at", "withdrawal_reason"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RegimeVerb.SIGN_OFF_WITHDRAWN,
        target=sign_off,
        scope=case,
        before={"decision": sign_off.decision},
        after={"decision": None},
    )
    return sign_off


def _every_party_agrees(case: Case) -> bool:
    agreed = set(
        case.sign_offs.filter(withdrawn_at__isnull=True, decision=Decision.AGREE).values_list("organisation", flat=True)
    )
    return set(case.parties.values_list("organisation", flat=True)) <= agreed


def _trigger(*, case: Case, actor: User, organisation: Organisation) -> None:
    case.status, case.triggered_at = CaseStatus.TRIGGERED, timezone.now()
    case.save(update_fields=["status", "triggered_at"])
    deadline_meet(subject=case, kind=DeadlineKind.SIGN_OFF)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RegimeVerb.CASE_TRIGGERED,
        target=case,
        scope=case,
        before={"status": CaseStatus.PROPOSED},
        after={"status": CaseStatus.TRIGGERED},
    )
    case_triggered_notify(case=case)
