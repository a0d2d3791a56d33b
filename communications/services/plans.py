"""Communications plans: what a case's communications must achieve, for whom, with which messages, and the
scheduled items that get it done. Each open item is a deadline on the regime's clock (``DeadlineKind
.COMMUNICATIONS_ITEM``): its owner is reminded the morning before it is due and the morning it is due, and once it
is overdue the owner and the case's public-communications lead hear so."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import Organisation, User
from communications.models import (
    Audience,
    Channel,
    CommunicationsPlan,
    Notice,
    PlanAudience,
    PlanItem,
)
from communications.selectors.plans import communications_acting_for
from communications.verbs import CommunicationsVerb
from failure_regime import areas
from failure_regime.dates import end_of_day
from failure_regime.models import Area, Case, CaseStatus, DeadlineKind
from failure_regime.services.clock import (
    DeadlineFacts,
    MorningBefore,
    Recipients,
    deadline_meet,
    deadline_open,
    register_resolver,
)


def _acting(actor: User, case: Case, organisation: Organisation | None, doing: str) -> Organisation:
    """``organisation``, checked to be one the actor works on the case's communications for; None for their only
    one (a person with several is asked, never guessed for)."""
    return communications_acting_for(user=actor, case=case, chosen=organisation, doing=doing)


def _lock_open_case(case: Case) -> Case:
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status == CaseStatus.CLOSED:
        raise TransitionNotAllowed("The communications plan of a closed case cannot change.")
    return locked


def _check_plan(objectives: str, audiences: dict[str, str]) -> None:
    errors: dict[str, str] = {}
    if not objectives.strip():
        errors["objectives"] = "Say what the communications must achieve."
    if not audiences:
        errors["audiences"] = "Choose at least one audience."
    elif any(a not in Audience.values for a in audiences):
        errors["audiences"] = "Choose audiences from the list."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def plan_create(
    *,
    actor: User,
    organisation: Organisation | None,
    case: Case,
    objectives: str,
    key_messages: str,
    audiences: dict[str, str],
) -> CommunicationsPlan:
    """Writes the case's communications plan: its objectives and key messages, and the audiences it reaches, each
    with what that audience needs (``audiences`` maps an ``Audience`` to its needs). One plan per case."""
    organisation = _acting(actor, case, organisation, "write this case's communications plan")
    case = _lock_open_case(case)
    _check_plan(objectives, audiences)
    if CommunicationsPlan.objects.filter(case=case).exists():
        raise ConflictError("This case already has a communications plan.")
    now = timezone.now()
    plan = CommunicationsPlan.objects.create(
        case=case,
        objectives=objectives.strip(),
        key_messages=key_messages.strip(),
        created_by=actor,
        created_by_organisation=organisation,
        created_at=now,
        updated_by=actor,
        updated_at=now,
    )
    PlanAudience.objects.bulk_create(
        [PlanAudience(plan=plan, audience=a, needs=needs.strip()) for a, needs in sorted(audiences.items())]
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.PLAN_CREATED,
        target=plan,
        scope=case,
        after={"audiences": sorted(audiences)},
    )
    return plan


@transaction.atomic
def plan_update(
    *,
    actor: User,
    organisation: Organisation | None,
    plan: CommunicationsPlan,
    objectives: str,
    key_messages: str,
    audiences: dict[str, str],
) -> CommunicationsPlan:
    """Changes the plan's objectives, key messages and audiences (with their needs). Audiences left out are removed;
    items already scheduled for them stay as they are."""
    organisation = _acting(actor, plan.case, organisation, "change this case's communications plan")
    _lock_open_case(plan.case)
    plan = CommunicationsPlan.objects.select_for_update().get(pk=plan.pk)
    _check_plan(objectives, audiences)
    existing = {a.audience: a for a in plan.audiences.all()}
    wanted = {audience: needs.strip() for audience, needs in audiences.items()}
    audiences_changed = {a: row.needs for a, row in existing.items()} != wanted
    before = {"audiences": sorted(existing)}
    text_changed = (plan.objectives, plan.key_messages) != (objectives.strip(), key_messages.strip())
    plan.objectives, plan.key_messages = objectives.strip(), key_messages.strip()
    plan.updated_by, plan.updated_at = actor, timezone.now()
    plan.save(update_fields=["objectives", "key_messages", "updated_by", "updated_at"])
    PlanAudience.objects.filter(plan=plan).exclude(audience__in=list(audiences)).delete()
    for audience, needs in sorted(wanted.items()):
        row = existing.get(audience)
        if row is None:
            PlanAudience.objects.create(plan=plan, audience=audience, needs=needs)
        elif row.needs != needs:
            row.needs = needs
            row.save(update_fields=["needs"])
    if text_changed:
        audit_record(
            actor=actor,
            organisation=organisation,
            verb=CommunicationsVerb.PLAN_CHANGED,
            target=plan,
            scope=plan.case,
            after={"objectives_and_messages": "changed"},
        )
    if audiences_changed:
        audit_record(
            actor=actor,
            organisation=organisation,
            verb=CommunicationsVerb.PLAN_AUDIENCES_SET,
            target=plan,
            scope=plan.case,
            before=before,
            after={"audiences": sorted(wanted)},
        )
    return plan


@transaction.atomic
def plan_item_add(
    *,
    actor: User,
    organisation: Organisation | None,
    plan: CommunicationsPlan,
    title: str,
    channel: str,
    audience: str,
    owner: User,
    due_on: date,
    description: str = "",
    notice: Notice | None = None,
) -> PlanItem:
    """Schedules a piece of communication: what, through which channel, to which of the plan's audiences, who
    owns it (a member of one of the case's parties) and by when."""
    organisation = _acting(actor, plan.case, organisation, "schedule communications for this case")
    _lock_open_case(plan.case)
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Say what the item is."
    if channel not in Channel.values:
        errors["channel"] = "Choose how it reaches its audience."
    if not plan.audiences.filter(audience=audience).exists():
        errors["audience"] = "Choose one of the plan's audiences."
    if not owner.is_active or not owner.memberships.filter(organisation__case_parties__case=plan.case).exists():
        errors["owner"] = "The owner must work for one of the case's parties."
    if due_on < timezone.localdate():
        errors["due_on"] = "The date must be today or in the future."
    if notice is not None and notice.case_id != plan.case_id:
        errors["notice"] = "Choose a notice about this case."
    if errors:
        raise ValidationError(errors)
    item = PlanItem.objects.create(
        plan=plan,
        title=title.strip(),
        description=description.strip(),
        channel=channel,
        audience=audience,
        owner=owner,
        due_on=due_on,
        notice=notice,
        created_by=actor,
        created_at=timezone.now(),
    )
    deadline_open(
        kind=DeadlineKind.COMMUNICATIONS_ITEM,
        title=_item_deadline_title(item, plan.case),
        provider=plan.case.provider,
        subject=item,
        case=plan.case,
        due_at=end_of_day(due_on),
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.PLAN_ITEM_ADDED,
        target=item,
        scope=plan.case,
        after={"channel": channel, "audience": audience, "owner": owner.email, "due_on": due_on},
    )
    return item


@transaction.atomic
def plan_item_done(*, actor: User, organisation: Organisation | None, item: PlanItem) -> PlanItem:
    """Marks an item done: by the case's communications staff for ``organisation``, or by its owner
    (``organisation`` None, when the owner does it as the owner). Its reminders stop."""
    case = item.plan.case
    if organisation is not None:
        organisation = _acting(actor, case, organisation, "mark this item done")
    elif item.owner_id != actor.pk:
        raise PermissionDenied("Only the item's owner or the case's communications staff can mark it done.")
    item = PlanItem.objects.select_for_update().get(pk=item.pk)
    if item.done_at is not None:
        raise TransitionNotAllowed("This item is already done.")
    item.done_at, item.done_by = timezone.now(), actor
    item.save(update_fields=["done_at", "done_by"])
    deadline_meet(subject=item, kind=DeadlineKind.COMMUNICATIONS_ITEM)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.PLAN_ITEM_DONE,
        target=item,
        scope=case,
        before={"done": False},
        after={"done": True},
    )
    return item


@transaction.atomic
def plan_item_remove(*, actor: User, organisation: Organisation | None, item: PlanItem) -> None:
    """Takes an item off the plan (one added by mistake, or no longer needed). The audit trail keeps it."""
    case = item.plan.case
    organisation = _acting(actor, case, organisation, "change this case's communications plan")
    _lock_open_case(case)
    item = PlanItem.objects.select_for_update().get(pk=item.pk)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.PLAN_ITEM_REMOVED,
        target=item,
        scope=case,
        before={"channel": item.channel, "audience": item.audience, "due_on": item.due_on},
    )
    deadline_meet(subject=item, kind=DeadlineKind.COMMUNICATIONS_ITEM)
    item.delete()


# --- On the regime's clock -------------------------------------------------------------------------

# Owners are reminded the morning before an item is due and the morning it is due; once the day has passed, the
# owner and the case's accountable public-communications lead hear that it is overdue.
ITEM_REMINDERS = (MorningBefore(1), MorningBefore(0))


def _item_deadline_title(item: PlanItem, case: Case) -> str:
    # Reminders name the case by reference and the item by channel and audience only: an item's title may name
    # the people it is about, and mail leaves the service.
    return (
        f"Communications item for case {case.reference}: "
        f"{item.get_channel_display().lower()} for {item.get_audience_display().lower()}"
    )


def _item_recipients(deadlines: Sequence[DeadlineFacts], overdue: bool) -> Recipients:
    """The item's owner; once it is overdue, also the case's accountable public-communications lead."""
    owners = dict(PlanItem.objects.filter(pk__in=[d.subject_id for d in deadlines]).values_list("pk", "owner"))
    leads = (
        areas.area_leads_by_case(cases={d.case_id for d in deadlines if d.case_id}, area=Area.PUBLIC_COMMUNICATIONS)
        if overdue
        else {}
    )
    people = User.objects.in_bulk(set(owners.values()))
    recipients: Recipients = {}
    for deadline in deadlines:
        owner = people.get(owners.get(deadline.subject_id))
        lead = leads.get(deadline.case_id) if deadline.case_id else None
        recipients[deadline.pk] = [user for user in (owner, lead) if user is not None]
    return recipients


register_resolver(DeadlineKind.COMMUNICATIONS_ITEM, _item_recipients, reminders=ITEM_REMINDERS)
