"""The interventions register: who records which kind, what each kind needs, improvement director hand-overs,
review dates on the clock, and every change on the episode's timeline."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.errors import TransitionNotAllowed
from accounts.models import Organisation, OrganisationKind, Role, User
from failure_regime import selectors
from failure_regime.dates import end_of_day
from failure_regime.models import (
    Basis,
    Deadline,
    Episode,
    Intervention,
    InterventionKind,
    InterventionStatus,
    OutboxMessage,
)
from failure_regime.services import episode_outcome
from failure_regime.services import interventions as iv
from failure_regime.services import special_measures as sm
from failure_regime.services.clock import deadline_sweep
from failure_regime.verbs import InterventionVerb
from tests.factories import OrganisationFactory, member, sole_organisation
from tests.failure_regime.inspection_helpers import rated_inspection

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def episode(oversight_lead: User, provider: Organisation, trust_manager: User) -> Episode:
    return sm.episode_enter(
        actor=oversight_lead,
        provider=provider,
        entered_on=timezone.localdate() - timedelta(days=40),
        basis=Basis.OWN_EVIDENCE,
    )


@pytest.fixture
def partner(monitor: Organisation) -> Organisation:
    return OrganisationFactory.create(name="Near Shire NHS Foundation Trust", ods_code="RZZ", oversight_body=monitor)


def add(actor: User, episode: Episode, **overrides: Any) -> Intervention:
    fields: dict[str, Any] = {
        "kind": InterventionKind.LEADERSHIP_CHANGE,
        "title": "New board chair",
        "starts_on": episode.entered_on,
        "owner": actor,
        "owner_organisation": actor.memberships.get().organisation,
        "review_on": timezone.localdate() + timedelta(days=60),
        **overrides,
    }
    return iv.intervention_add(actor=actor, episode=episode, **fields)


def director(actor: User, episode: Episode, name: str = "Dr Ada Lane", **overrides: Any) -> Intervention:
    return add(
        actor,
        episode,
        kind=InterventionKind.IMPROVEMENT_DIRECTOR,
        title="",
        person_name=name,
        person_organisation="NHS Improvement",
        **overrides,
    )


def review_deadlines(intervention: Intervention) -> Any:
    return Deadline.objects.filter(kind="intervention_review", subject_id=intervention.pk)


# --- Who records which kind ----------------------------------------------------------------------


def test_it_records_an_intervention_on_the_episode_timeline(episode: Episode, oversight_lead: User) -> None:
    intervention = add(oversight_lead, episode)
    assert (intervention.status, intervention.recorded_by_organisation.ods_code) == ("in_place", "MON")
    events = [(e.verb, e.target_id) for e in selectors.episode_timeline(episode=episode)]
    assert (InterventionVerb.ADDED, str(intervention.pk)) in events


def test_it_refuses_a_licence_condition_from_cqc(episode: Episode, regulator: User) -> None:
    with pytest.raises(PermissionDenied, match="oversight body"):
        add(regulator, episode, kind=InterventionKind.LICENCE_CONDITION, title="Governance condition")
    assert not Intervention.objects.filter(kind="licence_condition").exists()


def test_it_refuses_an_undertaking_from_another_oversight_body(episode: Episode, nhs_england: Organisation) -> None:
    other_lead = member(nhs_england, Role.OVERSIGHT_LEAD)
    with pytest.raises(PermissionDenied, match="oversight body"):
        add(other_lead, episode, kind=InterventionKind.UNDERTAKING, title="Financial recovery undertaking")


def test_the_providers_oversight_body_records_a_licence_condition(episode: Episode, oversight_lead: User) -> None:
    condition = add(oversight_lead, episode, kind=InterventionKind.LICENCE_CONDITION, title="Governance condition")
    assert condition.kind == "licence_condition"


def test_nobody_records_a_licence_condition_for_a_provider_cqc_alone_regulates(
    regulator: User, cqc: Organisation
) -> None:
    practice = OrganisationFactory.create(kind=OrganisationKind.GP_PRACTICE, name="Riverside Surgery")
    on = timezone.localdate() - timedelta(days=10)
    episode = sm.episode_enter(
        actor=regulator,
        provider=practice,
        entered_on=on,
        basis=Basis.CQC_DECISION,
        recommending_inspection=rated_inspection(practice, regulator, on),
    )
    assert add(regulator, episode, kind=InterventionKind.INTENSIVE_SUPPORT, title="Practice support").pk
    with pytest.raises(PermissionDenied):
        add(regulator, episode, kind=InterventionKind.LICENCE_CONDITION, title="Condition")


@pytest.mark.parametrize("person", ["trust_manager", "regulator", "national"])
def test_only_the_episodes_deciders_record_other_interventions(
    episode: Episode, person: str, request: pytest.FixtureRequest
) -> None:
    actor = request.getfixturevalue(person)
    with pytest.raises(PermissionDenied, match="can record its interventions"):
        add(actor, episode)


# --- What each kind needs -------------------------------------------------------------------------


def test_an_improvement_director_needs_a_name_and_organisation(episode: Episode, oversight_lead: User) -> None:
    with pytest.raises(ValidationError) as error:
        add(oversight_lead, episode, kind=InterventionKind.IMPROVEMENT_DIRECTOR, title="")
    assert set(error.value.message_dict) == {"person_name", "person_organisation"}


def test_only_improvement_directors_are_named(episode: Episode, oversight_lead: User) -> None:
    with pytest.raises(ValidationError) as error:
        add(oversight_lead, episode, person_name="Dr Ada Lane")
    assert set(error.value.message_dict) == {"person_name"}


def test_a_second_improvement_director_is_refused_while_one_is_in_place(episode: Episode, oversight_lead: User) -> None:
    director(oversight_lead, episode)
    with pytest.raises(ValidationError) as error:
        director(oversight_lead, episode, name="Dr Ben Moss")
    assert "hand over" in error.value.message_dict["kind"][0]


@pytest.mark.parametrize("which", ["none", "itself", "practice"])
def test_a_partner_agreement_needs_another_trust(
    episode: Episode, oversight_lead: User, provider: Organisation, which: str
) -> None:
    partner = {
        "none": None,
        "itself": provider,
        "practice": OrganisationFactory.create(kind=OrganisationKind.GP_PRACTICE),
    }[which]
    with pytest.raises(ValidationError) as error:
        add(oversight_lead, episode, kind=InterventionKind.PARTNER_AGREEMENT, partner=partner)
    assert set(error.value.message_dict) == {"partner"}


def test_a_partner_agreement_names_the_partner(episode: Episode, oversight_lead: User, partner: Organisation) -> None:
    agreement = add(oversight_lead, episode, kind=InterventionKind.PARTNER_AGREEMENT, partner=partner)
    assert agreement.partner == partner


def test_bad_dates_and_owner_are_field_errors(
    episode: Episode, oversight_lead: User, other_trust_manager: User, other_provider: Organisation
) -> None:
    with pytest.raises(ValidationError) as error:
        add(
            oversight_lead,
            episode,
            starts_on=episode.entered_on - timedelta(days=1),
            ends_on=episode.entered_on - timedelta(days=2),
            review_on=timezone.localdate() - timedelta(days=1),
            owner=other_trust_manager,
            owner_organisation=other_provider,
        )
    assert set(error.value.message_dict) == {"starts_on", "ends_on", "review_on", "owner"}


def test_the_owner_must_work_for_the_owning_organisation(
    episode: Episode, oversight_lead: User, provider: Organisation, other_trust_manager: User
) -> None:
    with pytest.raises(ValidationError) as error:
        add(oversight_lead, episode, owner=other_trust_manager, owner_organisation=provider)
    assert set(error.value.message_dict) == {"owner"}


def test_the_providers_manager_may_own_an_intervention(
    episode: Episode, oversight_lead: User, trust_manager: User, provider: Organisation
) -> None:
    intervention = add(oversight_lead, episode, owner=trust_manager, owner_organisation=provider)
    assert intervention.owner == trust_manager


def test_a_closed_episode_takes_no_new_interventions(episode: Episode, oversight_lead: User) -> None:
    Episode.objects.filter(pk=episode.pk).update(status="exited", exited_on=timezone.localdate())
    with pytest.raises(TransitionNotAllowed):
        add(oversight_lead, episode)


# --- Status and reviews -------------------------------------------------------------------------


def test_a_review_meets_the_due_review_and_starts_the_next(episode: Episode, oversight_lead: User) -> None:
    intervention = add(oversight_lead, episode, status=InterventionStatus.PLANNED)
    next_review = timezone.localdate() + timedelta(days=120)
    iv.intervention_update_status(
        actor=oversight_lead, intervention=intervention, status="in_place", review_on=next_review, note="Started"
    )
    deadlines = review_deadlines(intervention)
    assert deadlines.filter(met_at__isnull=False).count() == 1
    assert deadlines.get(met_at__isnull=True).due_at == end_of_day(next_review)
    verbs = [e.verb for e in selectors.episode_timeline(episode=episode)]
    assert InterventionVerb.STATUS_CHANGED in verbs


def test_a_status_cannot_go_back_to_planned(episode: Episode, oversight_lead: User) -> None:
    intervention = add(oversight_lead, episode)
    with pytest.raises(ValidationError) as error:
        iv.intervention_update_status(
            actor=oversight_lead, intervention=intervention, status="planned", review_on=TODAY()
        )
    assert set(error.value.message_dict) == {"status"}


def test_a_licence_condition_is_reviewed_only_by_its_oversight_body(
    episode: Episode, oversight_lead: User, regulator: User
) -> None:
    condition = add(oversight_lead, episode, kind=InterventionKind.LICENCE_CONDITION, title="Condition")
    with pytest.raises(PermissionDenied):
        iv.intervention_update_status(actor=regulator, intervention=condition, status="under_review", review_on=TODAY())
    with pytest.raises(PermissionDenied):
        iv.intervention_end(actor=regulator, intervention=condition, ended_on=TODAY(), reason="Met")


def test_ending_meets_the_review_deadline(episode: Episode, oversight_lead: User) -> None:
    intervention = add(oversight_lead, episode)
    iv.intervention_end(actor=oversight_lead, intervention=intervention, ended_on=TODAY(), reason="Board stable")
    intervention.refresh_from_db()
    assert (intervention.status, intervention.ends_on) == ("ended", TODAY())
    assert not review_deadlines(intervention).filter(met_at__isnull=True).exists()
    assert InterventionVerb.ENDED in [e.verb for e in selectors.episode_timeline(episode=episode)]


def test_an_ended_intervention_cannot_end_or_change_again(episode: Episode, oversight_lead: User) -> None:
    intervention = add(oversight_lead, episode)
    iv.intervention_end(actor=oversight_lead, intervention=intervention, ended_on=TODAY(), reason="Done")
    with pytest.raises(TransitionNotAllowed):
        iv.intervention_end(actor=oversight_lead, intervention=intervention, ended_on=TODAY(), reason="Again")
    with pytest.raises(TransitionNotAllowed):
        iv.intervention_update_status(
            actor=oversight_lead, intervention=intervention, status="in_place", review_on=TODAY()
        )


def test_an_end_needs_a_reason_and_a_date_after_the_start(episode: Episode, oversight_lead: User) -> None:
    intervention = add(oversight_lead, episode)
    with pytest.raises(ValidationError) as error:
        iv.intervention_end(
            actor=oversight_lead, intervention=intervention, ended_on=episode.entered_on - timedelta(days=1), reason=" "
        )
    assert set(error.value.message_dict) == {"ended_on", "reason"}


# --- Improvement director hand-over ---------------------------------------------------------------


def test_a_hand_over_keeps_both_directors_with_their_dates(episode: Episode, oversight_lead: User) -> None:
    first = director(oversight_lead, episode)
    handed_on = TODAY() - timedelta(days=5)
    second = iv.improvement_director_hand_over(
        actor=oversight_lead,
        intervention=first,
        person_name="Dr Ben Moss",
        person_organisation="NHS England",
        on=handed_on,
        owner=oversight_lead,
        owner_organisation=first.owner_organisation,
        review_on=TODAY() + timedelta(days=90),
    )
    first.refresh_from_db()
    assert (first.status, first.starts_on, first.ends_on) == ("ended", episode.entered_on, handed_on)
    assert (second.status, second.starts_on, second.ends_on, second.replaces) == ("in_place", handed_on, None, first)
    assert not review_deadlines(first).filter(met_at__isnull=True).exists()
    assert review_deadlines(second).filter(met_at__isnull=True).count() == 1
    event = next(
        e for e in selectors.episode_timeline(episode=episode) if e.verb == InterventionVerb.DIRECTOR_HANDED_OVER
    )
    assert (event.before["person_name"], event.after["person_name"]) == ("Dr Ada Lane", "Dr Ben Moss")


def test_a_hand_over_cannot_come_before_the_director_started(episode: Episode, oversight_lead: User) -> None:
    first = director(oversight_lead, episode, starts_on=TODAY())
    with pytest.raises(ValidationError) as error:
        iv.improvement_director_hand_over(
            actor=oversight_lead,
            intervention=first,
            person_name="Dr Ben Moss",
            person_organisation="",
            on=TODAY() - timedelta(days=1),
            owner=oversight_lead,
            owner_organisation=first.owner_organisation,
            review_on=TODAY(),
        )
    assert set(error.value.message_dict) == {"on", "person_organisation"}
    first.refresh_from_db()
    assert first.status == "in_place"


def test_only_an_improvement_director_is_handed_over(episode: Episode, oversight_lead: User) -> None:
    change = add(oversight_lead, episode)
    with pytest.raises(TransitionNotAllowed):
        iv.improvement_director_hand_over(
            actor=oversight_lead,
            intervention=change,
            person_name="Dr Ben Moss",
            person_organisation="NHS England",
            on=TODAY(),
            owner=oversight_lead,
            owner_organisation=change.owner_organisation,
            review_on=TODAY(),
        )


# --- Reminders ----------------------------------------------------------------------------------


def test_review_reminders_reach_the_owner_and_an_overdue_review_the_oversight_leads(
    episode: Episode, oversight_lead: User, trust_manager: User, provider: Organisation
) -> None:
    review_on = TODAY() + timedelta(days=20)
    intervention = director(
        oversight_lead, episode, owner=trust_manager, owner_organisation=provider, review_on=review_on
    )
    due = end_of_day(review_on)
    with time_machine.travel(due - timedelta(days=6), tick=False):  # after the 7-day reminder
        deadline_sweep()
    reminders = OutboxMessage.objects.filter(subject__startswith="Reminder: Review")
    assert [m.to for m in reminders] == [trust_manager.email]
    assert "Ada" not in reminders.get().body + reminders.get().subject  # the kind is named, never the person
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        deadline_sweep()
    overdue = OutboxMessage.objects.filter(subject__startswith="Overdue: Review")
    assert sorted(m.to for m in overdue) == sorted([trust_manager.email, oversight_lead.email])
    assert review_deadlines(intervention).count() == 1


def test_an_ended_intervention_is_not_chased(episode: Episode, oversight_lead: User) -> None:
    intervention = add(oversight_lead, episode, review_on=TODAY() + timedelta(days=3))
    iv.intervention_end(actor=oversight_lead, intervention=intervention, ended_on=TODAY(), reason="Done")
    with time_machine.travel(end_of_day(TODAY() + timedelta(days=4)), tick=False):
        deadline_sweep()
    assert not OutboxMessage.objects.filter(subject__contains="Review of").exists()


def test_leaving_special_measures_stops_the_reviews(episode: Episode, oversight_lead: User, inspector: User) -> None:
    intervention = add(oversight_lead, episode)
    inspection = episode_outcome.inspection_schedule(
        actor=inspector, organisation=sole_organisation(inspector), episode=episode, scheduled_for=TODAY()
    )
    ratings = {**dict.fromkeys((*episode_outcome.KEY_QUESTIONS, "overall"), "good")}
    episode_outcome.inspection_record(
        actor=inspector,
        organisation=sole_organisation(inspector),
        inspection=inspection,
        carried_out_on=TODAY(),
        ratings=ratings,
    )
    episode_outcome.episode_exit(actor=oversight_lead, episode=episode, inspection=inspection)
    assert not review_deadlines(intervention).filter(met_at__isnull=True).exists()


# --- Entry and existing episodes ------------------------------------------------------------------


def test_the_director_and_partner_named_at_entry_open_the_register(
    oversight_lead: User, provider: Organisation, partner: Organisation
) -> None:
    episode = sm.episode_enter(
        actor=oversight_lead,
        provider=provider,
        entered_on=TODAY() - timedelta(days=3),
        basis=Basis.OWN_EVIDENCE,
        improvement_director="Dr Ada Lane",
        buddy_trust=partner,
    )
    register = selectors.intervention_register(episode=episode)
    assert [(i.kind, i.person_name, i.partner, i.status) for i in register] == [
        ("improvement_director", "Dr Ada Lane", None, "in_place"),
        ("partner_agreement", "", partner, "in_place"),
    ]
    assert all(review_deadlines(i).filter(met_at__isnull=True).exists() for i in register)


def test_existing_episodes_gain_their_entry_interventions(
    episode: Episode, oversight_lead: User, partner: Organisation
) -> None:
    Episode.objects.filter(pk=episode.pk).update(improvement_director="Dr Ada Lane", buddy_trust=partner)
    closed = Episode.objects.get(pk=episode.pk)
    closed.pk = None
    closed.status, closed.exited_on, closed.improvement_director, closed.buddy_trust = (
        "exited",
        date(2020, 6, 1),
        "Dr Old Hand",
        None,
    )
    closed.entered_on = date(2019, 1, 1)
    closed.save()
    migration = importlib.import_module("failure_regime.migrations.0006_interventions_register")
    migration.register_entry_interventions(apps, None)
    rows = {(i.episode_id, i.kind, i.person_name, i.status, i.ends_on) for i in Intervention.objects.all()}
    assert rows == {
        (episode.pk, "improvement_director", "Dr Ada Lane", "in_place", None),
        (episode.pk, "partner_agreement", "", "in_place", None),
        (closed.pk, "improvement_director", "Dr Old Hand", "ended", date(2020, 6, 1)),
    }
