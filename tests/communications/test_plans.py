"""Communications plans: who may write them, their audiences and items, the reminders the day before and on the
day (once each), and the plan page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import AuditEvent, Organisation, Role, User
from accounts.services import membership_create
from communications.models import Audience, Channel, CommunicationsPlan, PlanItem
from communications.selectors.plans import communications_organisations
from communications.services.plans import (
    plan_create,
    plan_item_add,
    plan_item_done,
    plan_item_remove,
    plan_update,
)
from failure_regime.dates import LONDON, end_of_day, long_date
from failure_regime.links import deadline_subject_url
from failure_regime.models import Case, Deadline, DeadlineKind, OutboxMessage
from failure_regime.services.clock import deadline_steps, deadline_sweep, deadlines_of
from tests.factories import member, sole_organisation

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
AUDIENCES: dict[str, str] = {Audience.AFFECTED_FAMILIES: "Told first, by letter and phone.", Audience.MEDIA: ""}


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


@pytest.fixture
def plan(triggered_case: Case, comms_officer: User) -> CommunicationsPlan:
    return plan_create(
        actor=comms_officer,
        organisation=sole_organisation(comms_officer),
        case=triggered_case,
        objectives="Families hear first; the public understands what happens next.",
        key_messages="We are sorry.\nAn independent review has begun.",
        audiences=AUDIENCES,
    )


def add_item(plan: CommunicationsPlan, actor: User, owner: User, due_on: date, **fields: Any) -> PlanItem:
    values: dict[str, Any] = {
        "title": "Letter to every family",
        "channel": Channel.LETTER,
        "audience": Audience.AFFECTED_FAMILIES,
        **fields,
    }
    organisation = values.pop("organisation", None) or sole_organisation(actor)
    return plan_item_add(actor=actor, organisation=organisation, plan=plan, owner=owner, due_on=due_on, **values)


def reminders() -> Any:
    """The mail the clock sent about plan items."""
    keys = Q()
    for pk in Deadline.objects.filter(kind=DeadlineKind.COMMUNICATIONS_ITEM).values_list("pk", flat=True):
        keys |= Q(dedupe_key__startswith=f"deadline:{pk}:")
    return OutboxMessage.objects.filter(keys) if keys else OutboxMessage.objects.none()


# --- The plan ---------------------------------------------------------------------------------------


def test_a_communications_officer_of_a_party_writes_the_plan(plan: CommunicationsPlan) -> None:
    assert sorted(plan.audiences.values_list("audience", flat=True)) == sorted(AUDIENCES)


def test_writing_the_plan_is_audited(plan: CommunicationsPlan) -> None:
    assert AuditEvent.objects.filter(verb="communications_plan.created", target_id=str(plan.pk)).exists()


def test_the_public_communications_lead_may_write_the_plan(
    triggered_case: Case, comms_lead: User, cqc: Organisation
) -> None:
    plan = plan_create(
        actor=comms_lead,
        organisation=cqc,
        case=triggered_case,
        objectives="Inform.",
        key_messages="",
        audiences=AUDIENCES,
    )
    assert plan.created_by_organisation == cqc


def test_a_communications_officer_of_another_organisation_cannot_write_the_plan(
    triggered_case: Case, outsider_comms_officer: User
) -> None:
    with pytest.raises(PermissionDenied):
        plan_create(
            actor=outsider_comms_officer,
            organisation=sole_organisation(outsider_comms_officer),
            case=triggered_case,
            objectives="x",
            key_messages="",
            audiences=AUDIENCES,
        )


def test_a_trust_manager_cannot_write_the_plan(triggered_case: Case, trust_manager: User) -> None:
    with pytest.raises(PermissionDenied):
        plan_create(
            actor=trust_manager,
            organisation=sole_organisation(trust_manager),
            case=triggered_case,
            objectives="x",
            key_messages="",
            audiences=AUDIENCES,
        )


def test_a_case_has_one_plan(plan: CommunicationsPlan, comms_officer: User, triggered_case: Case) -> None:
    with pytest.raises(ConflictError):
        plan_create(
            actor=comms_officer,
            organisation=sole_organisation(comms_officer),
            case=triggered_case,
            objectives="x",
            key_messages="",
            audiences=AUDIENCES,
        )


def test_a_plan_needs_an_audience(triggered_case: Case, comms_officer: User) -> None:
    with pytest.raises(ValidationError) as error:
        plan_create(
            actor=comms_officer,
            organisation=sole_organisation(comms_officer),
            case=triggered_case,
            objectives="Inform.",
            key_messages="",
            audiences={},
        )
    assert "audiences" in error.value.message_dict


def test_changing_the_audiences_keeps_the_needs_of_those_that_stay(
    plan: CommunicationsPlan, comms_officer: User
) -> None:
    plan_update(
        actor=comms_officer,
        organisation=sole_organisation(comms_officer),
        plan=plan,
        objectives=plan.objectives,
        key_messages=plan.key_messages,
        audiences={"affected_families": "Told first, by letter and phone.", "staff": "Briefed."},
    )
    assert dict(plan.audiences.values_list("audience", "needs")) == {
        Audience.AFFECTED_FAMILIES: "Told first, by letter and phone.",
        Audience.STAFF: "Briefed.",
    }


def test_changing_the_audiences_is_audited(plan: CommunicationsPlan, comms_officer: User) -> None:
    plan_update(
        actor=comms_officer,
        organisation=sole_organisation(comms_officer),
        plan=plan,
        objectives="New.",
        key_messages="",
        audiences=AUDIENCES,
    )
    verbs = set(AuditEvent.objects.filter(target_id=str(plan.pk)).values_list("verb", flat=True))
    assert "communications_plan.changed" in verbs and "communications_plan.audiences_set" not in verbs


# --- Items ------------------------------------------------------------------------------------------


def test_an_item_is_scheduled_for_one_of_the_plans_audiences(
    plan: CommunicationsPlan, comms_officer: User, trust_manager: User
) -> None:
    item = add_item(plan, comms_officer, trust_manager, timezone.localdate() + timedelta(days=3))
    assert item.owner == trust_manager and item.done_at is None


def test_an_item_for_an_audience_the_plan_does_not_reach_is_refused(
    plan: CommunicationsPlan, comms_officer: User, trust_manager: User
) -> None:
    with pytest.raises(ValidationError) as error:
        add_item(plan, comms_officer, trust_manager, timezone.localdate(), audience=Audience.STAFF)
    assert "audience" in error.value.message_dict


def test_an_item_owner_must_work_for_a_party(
    plan: CommunicationsPlan, comms_officer: User, other_trust_manager: User
) -> None:
    with pytest.raises(ValidationError) as error:
        add_item(plan, comms_officer, other_trust_manager, timezone.localdate())
    assert "owner" in error.value.message_dict


def test_an_item_cannot_be_due_in_the_past(plan: CommunicationsPlan, comms_officer: User, trust_manager: User) -> None:
    with pytest.raises(ValidationError):
        add_item(plan, comms_officer, trust_manager, timezone.localdate() - timedelta(days=1))


def test_the_owner_marks_their_item_done(plan: CommunicationsPlan, comms_officer: User, trust_manager: User) -> None:
    item = add_item(plan, comms_officer, trust_manager, timezone.localdate())
    plan_item_done(actor=trust_manager, organisation=None, item=item)
    item.refresh_from_db()
    assert item.done_by == trust_manager and item.is_done


def test_someone_else_cannot_mark_an_item_done(
    plan: CommunicationsPlan, comms_officer: User, trust_manager: User, sign_off_officer: User
) -> None:
    item = add_item(plan, comms_officer, trust_manager, timezone.localdate())
    with pytest.raises(PermissionDenied):
        plan_item_done(actor=sign_off_officer, organisation=None, item=item)


def test_an_item_is_done_once(plan: CommunicationsPlan, comms_officer: User, trust_manager: User) -> None:
    item = add_item(plan, comms_officer, trust_manager, timezone.localdate())
    plan_item_done(actor=trust_manager, organisation=None, item=item)
    with pytest.raises(TransitionNotAllowed):
        plan_item_done(actor=comms_officer, organisation=sole_organisation(comms_officer), item=item)


# --- On the regime's clock --------------------------------------------------------------------------


@pytest.fixture
def due_thursday(plan: CommunicationsPlan, comms_officer: User, trust_manager: User) -> PlanItem:
    thursday = timezone.localdate() + timedelta(days=10)
    return add_item(plan, comms_officer, trust_manager, thursday)


def item_deadline(item: PlanItem) -> Deadline:
    return Deadline.objects.get(kind=DeadlineKind.COMMUNICATIONS_ITEM, subject_id=item.pk)


def sweep(day: date, hour: int) -> None:
    deadline_sweep(now=at(day, hour))


def test_an_item_is_a_deadline_due_at_the_end_of_its_day(due_thursday: PlanItem) -> None:
    deadline = item_deadline(due_thursday)
    assert deadline.due_at == end_of_day(due_thursday.due_on)
    assert deadline.next_alert_at == at(due_thursday.due_on - timedelta(days=1), 9)
    assert deadline.case == due_thursday.plan.case and deadline.provider == due_thursday.plan.case.provider


def test_its_reminders_go_at_nine_in_the_morning_across_a_change_of_the_clocks() -> None:
    # The clocks go forward on Sunday 28 March 2027: the reminders are at 9am London time all the same.
    due_on = date(2027, 3, 29)
    steps = deadline_steps(kind=DeadlineKind.COMMUNICATIONS_ITEM, due_at=end_of_day(due_on))
    assert [(step.key, step.at) for step in steps] == [
        ("morning-1", at(date(2027, 3, 28), 9)),
        ("morning-0", at(due_on, 9)),
        ("overdue", end_of_day(due_on)),
    ]


def test_its_deadline_links_to_the_plan(due_thursday: PlanItem, triggered_case: Case) -> None:
    assert deadline_subject_url(item_deadline(due_thursday)) == plan_url(triggered_case)


def test_the_owner_is_reminded_the_morning_before(due_thursday: PlanItem, trust_manager: User) -> None:
    sweep(due_thursday.due_on - timedelta(days=1), 10)
    assert list(reminders().values_list("to", flat=True)) == [trust_manager.email]


def test_the_owner_is_reminded_on_the_morning_it_is_due(due_thursday: PlanItem, trust_manager: User) -> None:
    sweep(due_thursday.due_on - timedelta(days=1), 10)
    sweep(due_thursday.due_on, 10)
    last = reminders().order_by("pk").last()
    assert last is not None and last.to == trust_manager.email
    assert last.subject.endswith(f"is due on {long_date(due_thursday.due_on)}")


def test_each_reminder_goes_once_however_many_sweeps_run(due_thursday: PlanItem) -> None:
    for hour in (9, 10, 15):
        sweep(due_thursday.due_on - timedelta(days=1), hour)
    sweep(due_thursday.due_on, 9)
    sweep(due_thursday.due_on, 16)
    assert reminders().count() == 2


def test_no_reminder_goes_before_nine_in_the_morning(due_thursday: PlanItem) -> None:
    sweep(due_thursday.due_on - timedelta(days=1), 8)
    assert not reminders().exists()


def test_once_its_day_has_passed_the_owner_and_the_communications_lead_hear(
    due_thursday: PlanItem, trust_manager: User, comms_lead: User
) -> None:
    sweep(due_thursday.due_on + timedelta(days=1), 10)
    overdue = reminders().filter(subject__startswith="Overdue:")
    assert sorted(overdue.values_list("to", flat=True)) == sorted([trust_manager.email, comms_lead.email])


def test_it_is_not_overdue_on_its_own_day(due_thursday: PlanItem) -> None:
    sweep(due_thursday.due_on, 23)
    assert not reminders().filter(subject__startswith="Overdue:").exists()


def test_a_done_item_is_not_reminded(due_thursday: PlanItem, trust_manager: User) -> None:
    plan_item_done(actor=trust_manager, organisation=None, item=due_thursday)
    sweep(due_thursday.due_on, 10)
    sweep(due_thursday.due_on + timedelta(days=1), 10)
    assert not reminders().exists()
    assert item_deadline(due_thursday).met_at is not None


def test_an_item_taken_off_the_plan_is_not_reminded(due_thursday: PlanItem, comms_officer: User) -> None:
    deadline = item_deadline(due_thursday)
    plan_item_remove(actor=comms_officer, organisation=sole_organisation(comms_officer), item=due_thursday)
    sweep(due_thursday.due_on + timedelta(days=1), 10)
    assert not OutboxMessage.objects.filter(dedupe_key__startswith=f"deadline:{deadline.pk}:").exists()


def test_the_reminder_names_the_case_not_the_item(due_thursday: PlanItem, triggered_case: Case) -> None:
    sweep(due_thursday.due_on, 10)
    mail = reminders().get()
    assert triggered_case.reference in mail.subject
    assert due_thursday.title not in mail.subject and due_thursday.title not in mail.body


def test_the_owner_finds_it_among_their_deadlines(
    due_thursday: PlanItem, trust_manager: User, comms_officer: User
) -> None:
    deadline = item_deadline(due_thursday)
    assert deadlines_of(user=trust_manager, deadlines=[deadline]) == [deadline]
    assert deadlines_of(user=comms_officer, deadlines=[deadline]) == []


def test_the_beat_task_sends_the_reminders(due_thursday: PlanItem) -> None:
    from failure_regime.tasks import sweep_deadlines

    with time_machine.travel(at(due_thursday.due_on, 10)):
        sweep_deadlines.delay().get()
    assert reminders().count() == 1


# --- The plan page ----------------------------------------------------------------------------------


def plan_url(case: Case) -> str:
    return reverse("communications:plan", args=[case.pk])


def test_the_plan_page_shows_the_plan(client_for: ClientFor, plan: CommunicationsPlan, trust_manager: User) -> None:
    assert "Families hear first" in client_for(trust_manager).get(plan_url(plan.case)).content.decode()


def test_the_plan_page_of_another_providers_case_is_not_found(
    client_for: ClientFor, plan: CommunicationsPlan, other_trust_manager: User
) -> None:
    assert client_for(other_trust_manager).get(plan_url(plan.case)).status_code == 404


def test_the_plan_page_sends_the_public_to_sign_in(client: Client, plan: CommunicationsPlan) -> None:
    assert client.get(plan_url(plan.case))["Location"].startswith("/sign-in/")


def test_a_communications_officer_writes_the_plan_on_its_page(
    client_for: ClientFor, triggered_case: Case, comms_officer: User
) -> None:
    response = client_for(comms_officer).post(
        plan_url(triggered_case),
        {"objectives": "Inform.", "key_messages": "Sorry.", "audiences": ["public"], "needs_public": "Plain words."},
    )
    assert (
        response.status_code == 302
        and CommunicationsPlan.objects.get(case=triggered_case).audiences.get().needs == "Plain words."
    )


def test_a_trust_manager_cannot_write_the_plan_on_its_page(
    client_for: ClientFor, triggered_case: Case, trust_manager: User
) -> None:
    response = client_for(trust_manager).post(plan_url(triggered_case), {"objectives": "x", "audiences": ["public"]})
    assert response.status_code == 403


def test_the_plan_form_shows_what_is_missing(client_for: ClientFor, triggered_case: Case, comms_officer: User) -> None:
    response = client_for(comms_officer).post(plan_url(triggered_case), {"objectives": ""})
    assert response.status_code == 400 and "Choose at least one audience." in response.content.decode()


def test_an_item_is_scheduled_on_the_plan_page(
    client_for: ClientFor, plan: CommunicationsPlan, comms_officer: User, trust_manager: User
) -> None:
    response = client_for(comms_officer).post(
        reverse("communications:plan-item-add", args=[plan.case.pk]),
        {
            "item-title": "Briefing for local MPs",
            "item-channel": Channel.PARLIAMENTARY_BRIEFING,
            "item-audience": Audience.MEDIA,
            "item-owner": trust_manager.pk,
            "item-due_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 302 and plan.items.get().title == "Briefing for local MPs"


def test_the_owner_marks_an_item_done_on_the_plan_page(
    client_for: ClientFor, plan: CommunicationsPlan, comms_officer: User, trust_manager: User
) -> None:
    item = add_item(plan, comms_officer, trust_manager, timezone.localdate())
    client_for(trust_manager).post(reverse("communications:plan-item-done", args=[plan.case.pk, item.pk]))
    item.refresh_from_db()
    assert item.is_done


def test_an_item_of_another_case_is_not_found(
    client_for: ClientFor, plan: CommunicationsPlan, comms_officer: User, trust_manager: User, regulator: User
) -> None:
    item = add_item(plan, comms_officer, trust_manager, timezone.localdate())
    url = reverse("communications:plan-item-done", args=[plan.case.pk + 1000, item.pk])
    assert client_for(trust_manager).post(url).status_code == 404


def test_the_plan_page_keeps_a_fixed_query_budget(
    client_for: ClientFor,
    plan: CommunicationsPlan,
    comms_officer: User,
    trust_manager: User,
    django_assert_max_num_queries: Any,
) -> None:
    for days in range(5):
        add_item(plan, comms_officer, trust_manager, timezone.localdate() + timedelta(days=days))
    client = client_for(comms_officer)
    with django_assert_max_num_queries(17):  # one of them reads the grants behind the case list
        client.get(plan_url(plan.case))


def test_the_case_list_shows_the_cases_a_communications_officer_works_on(
    client_for: ClientFor, triggered_case: Case, comms_officer: User
) -> None:
    response = client_for(comms_officer).get(reverse("communications:case-list"))
    assert triggered_case.reference in response.content.decode()


def test_the_case_list_shows_nothing_to_an_outsider(
    client_for: ClientFor, triggered_case: Case, outsider_comms_officer: User
) -> None:
    response = client_for(outsider_comms_officer).get(reverse("communications:case-list"))
    assert triggered_case.reference not in response.content.decode()


# --- Whom a person with several organisations acts for -----------------------------------------------------


@pytest.fixture
def officer_of_two(cqc: Organisation, provider: Organisation, triggered_case: Case) -> User:
    """A communications officer at CQC and at the trust, both parties to ``triggered_case``."""
    officer = member(cqc, Role.COMMUNICATIONS_OFFICER, full_name="Tess Two")
    membership_create(actor=None, user=officer, organisation=provider, role=Role.COMMUNICATIONS_OFFICER)
    return officer


def test_each_organisation_a_person_works_on_the_communications_for_is_theirs_to_choose(
    triggered_case: Case, officer_of_two: User, cqc: Organisation, provider: Organisation, comms_lead: User
) -> None:
    assert communications_organisations(user=officer_of_two, case=triggered_case) == sorted(
        [cqc, provider], key=lambda organisation: organisation.name
    )
    assert communications_organisations(user=comms_lead, case=triggered_case) == [cqc]


def test_the_plan_is_written_for_the_organisation_chosen(
    triggered_case: Case, officer_of_two: User, provider: Organisation
) -> None:
    plan = plan_create(
        actor=officer_of_two,
        organisation=provider,
        case=triggered_case,
        objectives="Inform.",
        key_messages="",
        audiences=AUDIENCES,
    )
    assert plan.created_by_organisation == provider
    event = AuditEvent.objects.get(verb="communications_plan.created", target_id=str(plan.pk))
    assert event.organisation == provider


def test_an_organisation_the_person_does_not_work_on_the_case_for_is_refused(
    triggered_case: Case, comms_officer: User, provider: Organisation
) -> None:
    with pytest.raises(PermissionDenied):
        plan_create(
            actor=comms_officer,
            organisation=provider,
            case=triggered_case,
            objectives="Inform.",
            key_messages="",
            audiences=AUDIENCES,
        )
    assert not CommunicationsPlan.objects.exists()


def test_the_plan_form_asks_a_person_with_two_organisations_which_and_saves_for_that_one(
    client_for: ClientFor, triggered_case: Case, officer_of_two: User, provider: Organisation
) -> None:
    client = client_for(officer_of_two)
    page = client.get(plan_url(triggered_case)).content.decode()
    assert "Which organisation are you doing this for?" in page
    data = {"objectives": "Inform.", "key_messages": "", "audiences": [Audience.MEDIA]}
    unchosen = client.post(plan_url(triggered_case), data)
    assert unchosen.status_code == 400
    assert "Choose which organisation you are doing this for" in unchosen.content.decode()
    assert not CommunicationsPlan.objects.exists()
    chosen = client.post(plan_url(triggered_case), {**data, "acting_for": provider.pk})
    assert chosen.status_code == 302
    assert CommunicationsPlan.objects.get(case=triggered_case).created_by_organisation == provider


def test_the_plan_form_asks_nothing_of_a_person_with_one_organisation(
    client_for: ClientFor, triggered_case: Case, comms_officer: User
) -> None:
    page = client_for(comms_officer).get(plan_url(triggered_case)).content.decode()
    assert "Which organisation are you doing this for?" not in page


def test_marking_an_item_done_asks_a_person_with_two_organisations_which_first(
    client_for: ClientFor, plan: CommunicationsPlan, officer_of_two: User, trust_manager: User, cqc: Organisation
) -> None:
    item = add_item(plan, officer_of_two, trust_manager, timezone.localdate(), organisation=cqc)
    url = reverse("communications:plan-item-done", args=[plan.case.pk, item.pk])
    client = client_for(officer_of_two)
    question = client.post(url)
    assert question.status_code == 200
    assert "Which organisation are you doing this for?" in question.content.decode()
    item.refresh_from_db()
    assert not item.is_done
    assert client.post(url, {"acting_for": cqc.pk}).status_code == 302
    item.refresh_from_db()
    assert item.is_done
    assert AuditEvent.objects.get(verb="communications_plan.item_done", target_id=str(item.pk)).organisation == cqc


def test_removing_an_item_for_an_organisation_not_theirs_changes_nothing(
    client_for: ClientFor,
    plan: CommunicationsPlan,
    officer_of_two: User,
    comms_officer: User,
    trust_manager: User,
    other_provider: Organisation,
) -> None:
    item = add_item(plan, comms_officer, trust_manager, timezone.localdate())
    url = reverse("communications:plan-item-remove", args=[plan.case.pk, item.pk])
    response = client_for(officer_of_two).post(url, {"acting_for": other_provider.pk})
    assert response.status_code == 400
    assert PlanItem.objects.filter(pk=item.pk).exists()
