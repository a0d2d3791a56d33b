"""Communications plans: what a case's communications must achieve, for whom, with which messages, and the
scheduled items that get it done. Item owners are reminded the day before an item is due and on the day, by a
beat sweep that stamps each reminder with a conditional update so that it goes once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
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
from failure_regime.dates import london_date, long_date, morning_of
from failure_regime.models import Case, CaseStatus
from failure_regime.services.outbox import Mail, outbox_enqueue

REMINDER_BATCH = 500


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
    item.delete()


# --- Reminders ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reminder:
    field: str
    key: str
    days_ahead: int
    when: str


_REMINDERS = (
    _Reminder("reminded_day_before_at", "day-before", 1, "tomorrow"),
    _Reminder("reminded_on_the_day_at", "on-the-day", 0, "today"),
)


def _reminder_mail(item: PlanItem, reminder: _Reminder) -> Mail:
    case = item.plan.case
    link = settings.SITE_URL + reverse("communications:plan", args=[case.pk])
    # The subject names the case by reference only: an item's title may name the people it is about.
    subject = f"Reminder: a communications item for case {case.reference} is due {reminder.when}"
    body = (
        f"Hello {item.owner.get_short_name()},\n\n"
        f"You own this item of the communications plan for case {case.reference}:\n\n"
        f"{item.title}\n{item.get_channel_display()}, for {item.get_audience_display().lower()}\n"
        f"Due {reminder.when}, {long_date(item.due_on)}.\n\n"
        f"When it is done, mark it done on the plan: {link}\n"
    )
    return Mail(dedupe_key=f"plan-item:{item.pk}:{reminder.key}", to=item.owner.email, subject=subject, body=body)


def _send_batch(reminder: _Reminder, day: date, now: datetime) -> int:
    stamp_empty = {f"{reminder.field}__isnull": True}
    due = PlanItem.objects.filter(done_at__isnull=True, due_on=day, **stamp_empty).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    items = list(due.select_related("owner", "plan__case")[:REMINDER_BATCH])
    if not items:
        return 0
    # Claim with an update conditional on the stamp still being empty: whatever another sweep already claimed
    # is left alone.
    PlanItem.objects.filter(pk__in=[i.pk for i in items], **stamp_empty).update(**{reminder.field: now})
    outbox_enqueue(messages=[_reminder_mail(item, reminder) for item in items if item.owner.is_active])
    return len(items)


def plan_item_reminders_send(*, now: datetime | None = None) -> int:
    """Reminds the owners of open items due tomorrow and today, from 9am London time, each reminder once. A day
    missed while beat was down is not made up: a reminder for yesterday's "tomorrow" would be wrong today.
    Returns how many reminders were queued."""
    now = now or timezone.now()
    today = london_date(now)
    if now < morning_of(today):
        return 0
    sent = 0
    for reminder in _REMINDERS:
        day = today + timedelta(days=reminder.days_ahead)
        while True:
            with transaction.atomic():
                count = _send_batch(reminder, day, now)
            sent += count
            if count < REMINDER_BATCH:
                break
    return sent
