"""Accountable leads: one per mandatory area of a case, and every hand-over recorded."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import TransitionNotAllowed
from accounts.models import Organisation, User
from accounts.role_removal import RoleRemoval
from failure_regime.models import Case, CaseStatus, Handover, Responsibility
from failure_regime.services.cases import overseer_organisation
from failure_regime.services.notification_events import lead_appointed_notify
from failure_regime.verbs import RegimeVerb


def _lock_open(case: Case, area: str) -> Responsibility:
    # Lock the case as the lifecycle services do, so a hand-over cannot land on a case being closed.
    if Case.objects.select_for_update().get(pk=case.pk).status == CaseStatus.CLOSED:
        raise TransitionNotAllowed("The leads of a closed case cannot change.")
    try:
        return Responsibility.objects.select_for_update().get(case=case, area=area)
    except Responsibility.DoesNotExist as exc:
        raise ValidationError({"area": "Choose one of the case's areas."}) from exc


@transaction.atomic
def lead_hand_over(
    *,
    actor: User,
    case: Case,
    area: str,
    lead: User,
    organisation: Organisation,
    reason: str,
    acting_for: Organisation | None = None,
) -> Handover:
    """Makes ``lead`` (a member of ``organisation``) the one accountable lead for ``area``, recording the
    hand-over from the previous lead, if any, with its reason. The actor appoints for ``acting_for`` (needed only
    if they run the case for several: ``overseer_organisation``)."""
    acting = overseer_organisation(actor, case, "appoint accountable leads", acting_for)
    responsibility = _lock_open(case, area)
    errors = {}
    if not case.parties.filter(organisation=organisation).exists():
        errors["organisation"] = f"{organisation} is not a party to this case."
    elif not lead.is_active or not lead.memberships.filter(organisation=organisation).exists():
        errors["lead"] = f"The lead must be a member of {organisation}."
    if not reason.strip():
        errors["reason"] = "Say why this person is the lead."
    if responsibility.lead_id == lead.pk and responsibility.lead_organisation_id == organisation.pk:
        errors["lead"] = "This person is already the lead."
    if errors:
        raise ValidationError(errors)
    handover = Handover.objects.create(
        responsibility=responsibility,
        from_lead=responsibility.lead,
        from_organisation=responsibility.lead_organisation,
        to_lead=lead,
        to_organisation=organisation,
        reason=reason.strip(),
        made_by=actor,
        made_at=timezone.now(),
    )
    before = {
        "lead": responsibility.lead.email if responsibility.lead else None,
        "organisation": responsibility.lead_organisation.ods_code if responsibility.lead_organisation else None,
    }
    responsibility.lead, responsibility.lead_organisation = lead, organisation
    responsibility.save(update_fields=["lead", "lead_organisation"])
    audit_record(
        actor=actor,
        organisation=acting,
        verb=RegimeVerb.LEAD_HANDED_OVER,
        target=responsibility,
        scope=case,
        before=before,
        after={"area": area, "lead": lead.email, "organisation": organisation.ods_code, "reason": reason.strip()},
    )
    lead_appointed_notify(handover=handover, case=case, actor=actor)
    return handover


@transaction.atomic
def responsibility_organisations_set(
    *,
    actor: User,
    case: Case,
    area: str,
    responsible: list[Organisation],
    consulted: list[Organisation],
    organisation: Organisation | None = None,
) -> Responsibility:
    """Names the organisations responsible for, and consulted on, an area, for ``organisation`` (needed only if
    the actor runs the case for several: ``overseer_organisation``)."""
    acting = overseer_organisation(actor, case, "change who is responsible", organisation)
    responsibility = _lock_open(case, area)
    before = {
        "responsible": sorted(o.ods_code for o in responsibility.responsible.all()),
        "consulted": sorted(o.ods_code for o in responsibility.consulted.all()),
    }
    responsibility.responsible.set(responsible)
    responsibility.consulted.set(consulted)
    audit_record(
        actor=actor,
        organisation=acting,
        verb=RegimeVerb.RESPONSIBILITY_ORGANISATIONS_SET,
        target=responsibility,
        scope=case,
        before=before,
        after={
            "responsible": sorted(o.ods_code for o in responsible),
            "consulted": sorted(o.ods_code for o in consulted),
        },
    )
    return responsibility


@transaction.atomic
def leads_end_on_role_removal(removal: RoleRemoval) -> None:
    """Ends the removed person's accountable leads for the organisation whose membership was removed, once they keep
    no membership of it: a lead is a member of the organisation they lead for (``lead_hand_over``). The area is left
    with no lead, recorded with who removed it and why, and the case shows at once on the work list of those who
    appoint its leads ("cases missing a lead"). Closed cases keep their leads as they were. Registered with
    ``accounts.role_removal``; runs in ``membership_delete``'s transaction."""
    if removal.organisation.pk in removal.organisations_held():
        return
    led = (
        Responsibility.objects.filter(lead=removal.user, lead_organisation=removal.organisation)
        .exclude(case__status=CaseStatus.CLOSED)
        .order_by("case_id", "pk")
        .values_list("case_id", "area")
    )
    for case_id, area in list(led):
        if Case.objects.select_for_update().get(pk=case_id).status == CaseStatus.CLOSED:
            continue
        responsibility = (
            Responsibility.objects.select_for_update().select_related("case").get(case_id=case_id, area=area)
        )
        if (responsibility.lead_id, responsibility.lead_organisation_id) != (removal.user.pk, removal.organisation.pk):
            continue  # handed over meanwhile
        responsibility.lead, responsibility.lead_organisation = None, None
        responsibility.save(update_fields=["lead", "lead_organisation"])
        audit_record(
            actor=removal.actor,
            organisation=removal.organisation,
            verb=RegimeVerb.LEAD_REMOVED,
            target=responsibility,
            scope=responsibility.case,
            before={"lead": removal.user.email, "organisation": removal.organisation.ods_code},
            after={"area": area, "lead": None, "organisation": None, "reason": removal.reason},
        )
