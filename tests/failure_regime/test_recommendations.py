"""CQC's recommendation of special measures and the oversight body's decision: who may recommend and decide, the
one rule on ratings, one decision only, the decision deadline on the clock, and CQC's own placement of providers it
alone regulates."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.errors import ConflictError
from accounts.models import AuditEvent, Organisation, OrganisationKind, Role, User
from failure_regime.dates import end_of_day
from failure_regime.models import (
    Alert,
    Basis,
    Deadline,
    DeadlineKind,
    Episode,
    EpisodeStatus,
    Inspection,
    Notification,
    NotificationEvent,
    OutboxMessage,
    Recommendation,
    RecommendationStatus,
)
from failure_regime.ratings import recommendation_allowed
from failure_regime.selectors import recommendations_awaiting_decision
from failure_regime.services import special_measures as sm
from failure_regime.services.clock import deadline_sweep
from failure_regime.services.recommendations import (
    recommendation_decide,
    recommendation_make,
    recommendation_withdraw,
)
from tests.factories import OrganisationFactory, member, sole_organisation
from tests.failure_regime.inspection_helpers import rated_inspection

pytestmark = pytest.mark.django_db

REASONS = "Unsafe staffing and a board unaware of the risks."


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def inspection(provider: Organisation, inspector: User) -> Inspection:
    return rated_inspection(provider, inspector, today() - timedelta(days=20))


@pytest.fixture
def recommendation(
    inspection: Inspection, regulator: User, oversight_lead: User, trust_manager: User
) -> Recommendation:
    return recommendation_make(
        actor=regulator, organisation=sole_organisation(regulator), inspection=inspection, reasons=REASONS
    )


@pytest.fixture
def practice(cqc: Organisation) -> Organisation:
    return OrganisationFactory.create(kind=OrganisationKind.GP_PRACTICE, name="Riverside Surgery")


# --- The rule on ratings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratings", "allowed"),
    [
        ({}, True),
        ({"overall": "requires_improvement"}, True),  # well-led still inadequate
        ({"well_led": "good"}, True),  # overall still inadequate
        ({"overall": "requires_improvement", "well_led": "requires_improvement"}, False),
        ({"overall": "good", "well_led": "good", "safe": "inadequate"}, False),
    ],
)
def test_it_allows_a_recommendation_only_on_inadequate_overall_or_well_led(
    provider: Organisation, inspector: User, ratings: dict[str, str], allowed: bool
) -> None:
    assert recommendation_allowed(rated_inspection(provider, inspector, today(), **ratings)) is allowed


def test_it_refuses_a_recommendation_on_a_good_rating(provider: Organisation, inspector: User, regulator: User) -> None:
    good = rated_inspection(provider, inspector, today(), overall="good", well_led="good")
    with pytest.raises(ValidationError) as error:
        recommendation_make(
            actor=regulator, organisation=sole_organisation(regulator), inspection=good, reasons=REASONS
        )
    assert "inspection" in error.value.message_dict
    assert not Recommendation.objects.exists()


def test_it_refuses_a_recommendation_for_a_gp_practice(
    practice: Organisation, inspector: User, regulator: User
) -> None:
    with pytest.raises(ValidationError) as error:
        recommendation_make(
            actor=regulator,
            organisation=sole_organisation(regulator),
            inspection=rated_inspection(practice, inspector, today()),
            reasons=REASONS,
        )
    assert "places other providers itself" in error.value.message_dict["inspection"][0]


def test_it_refuses_a_recommendation_without_reasons(inspection: Inspection, regulator: User) -> None:
    with pytest.raises(ValidationError) as error:
        recommendation_make(
            actor=regulator, organisation=sole_organisation(regulator), inspection=inspection, reasons="  "
        )
    assert "reasons" in error.value.message_dict


# --- Recommending -----------------------------------------------------------------------------------


def test_a_cqc_decision_maker_recommends_with_a_deadline_from_the_rules(
    recommendation: Recommendation, regulator: User, provider: Organisation
) -> None:
    rules = sm.rule_set_for(provider_kind=provider.kind, on=today())
    assert rules.recommendation_decision_days == 28
    assert recommendation.status == RecommendationStatus.AWAITING_DECISION
    assert recommendation.decision_due_on == today() + timedelta(days=28)
    assert recommendation.recommended_by_organisation.ods_code == "CQC"
    deadline = Deadline.objects.get(kind=DeadlineKind.RECOMMENDATION_DECISION)
    assert (deadline.subject, deadline.met_at) == (recommendation, None)
    event = AuditEvent.objects.get(verb="recommendation.made")
    assert event.after["decision_due_on"] == recommendation.decision_due_on.isoformat()


def test_the_oversight_leads_are_told_of_a_recommendation(
    recommendation: Recommendation, oversight_lead: User, trust_manager: User, regulator: User
) -> None:
    told = Notification.objects.filter(event=NotificationEvent.SPECIAL_MEASURES_RECOMMENDED)
    assert [n.user for n in told] == [oversight_lead]


@pytest.mark.parametrize("who", ["inspector", "oversight_lead", "trust_manager"])
def test_only_a_cqc_decision_maker_recommends(inspection: Inspection, who: str, request: pytest.FixtureRequest) -> None:
    with pytest.raises(PermissionDenied):
        recommendation_make(
            actor=request.getfixturevalue(who),
            organisation=sole_organisation(request.getfixturevalue(who)),
            inspection=inspection,
            reasons=REASONS,
        )


def test_a_second_recommendation_for_the_same_trust_is_refused(
    recommendation: Recommendation, inspection: Inspection, regulator: User
) -> None:
    with pytest.raises(ConflictError):
        recommendation_make(
            actor=regulator, organisation=sole_organisation(regulator), inspection=inspection, reasons=REASONS
        )


def test_a_trust_already_in_special_measures_is_not_recommended(
    inspection: Inspection, regulator: User, oversight_lead: User, provider: Organisation
) -> None:
    sm.episode_enter(actor=oversight_lead, provider=provider, entered_on=today(), basis=Basis.OWN_EVIDENCE)
    with pytest.raises(ConflictError):
        recommendation_make(
            actor=regulator, organisation=sole_organisation(regulator), inspection=inspection, reasons=REASONS
        )


# --- Deciding ---------------------------------------------------------------------------------------


def test_placing_enters_special_measures_on_cqcs_recommendation(
    recommendation: Recommendation, oversight_lead: User, inspection: Inspection, provider: Organisation
) -> None:
    decided = recommendation_decide(actor=oversight_lead, recommendation=recommendation, place=True, reasons="Agreed.")
    episode = Episode.objects.get(provider=provider)
    assert (episode.basis, episode.recommending_inspection, episode.entered_on) == (
        Basis.CQC_RECOMMENDATION,
        inspection,
        today(),
    )
    assert (decided.status, decided.episode, decided.decided_by) == (
        RecommendationStatus.PLACED,
        episode,
        oversight_lead,
    )
    assert decided.decided_by_organisation is not None and decided.decided_by_organisation.ods_code == "MON"
    assert Deadline.objects.get(kind=DeadlineKind.RECOMMENDATION_DECISION).met_at is not None
    assert Deadline.objects.filter(kind=DeadlineKind.REINSPECTION, met_at__isnull=True).count() == 1
    verbs = list(AuditEvent.objects.order_by("sequence").values_list("verb", flat=True))
    assert verbs[-2:] == ["special_measures.entered", "recommendation.placed"]


def test_not_placing_records_the_reasons_and_no_episode(
    recommendation: Recommendation, oversight_lead: User, provider: Organisation
) -> None:
    decided = recommendation_decide(
        actor=oversight_lead, recommendation=recommendation, place=False, reasons="A new board is in place."
    )
    assert (decided.status, decided.decision_reasons, decided.episode) == (
        RecommendationStatus.NOT_PLACED,
        "A new board is in place.",
        None,
    )
    assert not Episode.objects.filter(provider=provider).exists()
    assert AuditEvent.objects.filter(verb="recommendation.not_placed").exists()


def test_the_recommender_and_the_trust_managers_are_told_of_the_decision(
    recommendation: Recommendation, oversight_lead: User, regulator: User, trust_manager: User
) -> None:
    recommendation_decide(actor=oversight_lead, recommendation=recommendation, place=False, reasons="Not needed.")
    told = Notification.objects.filter(event=NotificationEvent.SPECIAL_MEASURES_DECIDED)
    assert {n.user for n in told} == {regulator, trust_manager}


def test_a_decision_needs_reasons(recommendation: Recommendation, oversight_lead: User) -> None:
    with pytest.raises(ValidationError):
        recommendation_decide(actor=oversight_lead, recommendation=recommendation, place=False, reasons=" ")
    recommendation.refresh_from_db()
    assert recommendation.is_awaiting


def test_a_second_decision_is_refused(recommendation: Recommendation, oversight_lead: User) -> None:
    recommendation_decide(actor=oversight_lead, recommendation=recommendation, place=False, reasons="No.")
    with pytest.raises(ConflictError):
        recommendation_decide(actor=oversight_lead, recommendation=recommendation, place=True, reasons="Yes after all.")
    assert not Episode.objects.exists()


def test_another_oversight_body_may_not_decide(recommendation: Recommendation, nhs_england: Organisation) -> None:
    with pytest.raises(PermissionDenied):
        recommendation_decide(
            actor=member(nhs_england, Role.OVERSIGHT_LEAD), recommendation=recommendation, place=True, reasons="Yes."
        )


@pytest.mark.parametrize("who", ["regulator", "trust_manager", "national"])
def test_the_wrong_role_may_not_decide(
    recommendation: Recommendation, who: str, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(PermissionDenied):
        recommendation_decide(
            actor=request.getfixturevalue(who), recommendation=recommendation, place=True, reasons="Yes."
        )
    recommendation.refresh_from_db()
    assert recommendation.is_awaiting


def test_a_decision_after_the_deadline_is_recorded_and_was_escalated(
    recommendation: Recommendation, oversight_lead: User, national: User
) -> None:
    late = recommendation.decision_due_on + timedelta(days=2)
    with time_machine.travel(end_of_day(late) - timedelta(hours=12)):
        deadline_sweep()
        escalation = Alert.objects.get(deadline__kind=DeadlineKind.RECOMMENDATION_DECISION, step="overdue")
        assert not escalation.superseded
        assert OutboxMessage.objects.filter(to=national.email, subject__startswith="Overdue").exists()
        assert OutboxMessage.objects.filter(to=oversight_lead.email, subject__startswith="Overdue").exists()
        decided = recommendation_decide(
            actor=oversight_lead, recommendation=recommendation, place=True, reasons="Late."
        )
    assert decided.status == RecommendationStatus.PLACED
    assert AuditEvent.objects.get(verb="recommendation.placed").after["after_deadline"] is True


def test_the_oversight_leads_are_reminded_before_the_deadline(
    recommendation: Recommendation, oversight_lead: User, national: User
) -> None:
    with time_machine.travel(timezone.now() + timedelta(days=27)):
        deadline_sweep()
    reminded = set(OutboxMessage.objects.filter(subject__startswith="Reminder").values_list("to", flat=True))
    assert oversight_lead.email in reminded and national.email not in reminded


def test_cqc_withdraws_a_recommendation_and_stops_the_clock(
    recommendation: Recommendation, regulator: User, oversight_lead: User
) -> None:
    withdrawn = recommendation_withdraw(
        actor=regulator, recommendation=recommendation, reasons="Re-inspected: improved."
    )
    assert withdrawn.status == RecommendationStatus.WITHDRAWN
    assert Deadline.objects.get(kind=DeadlineKind.RECOMMENDATION_DECISION).met_at is not None
    with pytest.raises(ConflictError):
        recommendation_decide(actor=oversight_lead, recommendation=recommendation, place=True, reasons="Yes.")


def test_an_oversight_lead_may_not_withdraw(recommendation: Recommendation, oversight_lead: User) -> None:
    with pytest.raises(PermissionDenied):
        recommendation_withdraw(actor=oversight_lead, recommendation=recommendation, reasons="No.")


def test_the_queue_holds_only_the_oversight_bodys_awaiting_recommendations(
    recommendation: Recommendation, oversight_lead: User, nhs_england: Organisation, regulator: User
) -> None:
    assert list(recommendations_awaiting_decision(user=oversight_lead)) == [recommendation]
    assert list(recommendations_awaiting_decision(user=member(nhs_england, Role.OVERSIGHT_LEAD))) == []
    assert list(recommendations_awaiting_decision(user=regulator)) == []
    recommendation_decide(actor=oversight_lead, recommendation=recommendation, place=False, reasons="No.")
    assert list(recommendations_awaiting_decision(user=oversight_lead)) == []


def test_the_oversight_body_still_places_on_its_own_evidence(oversight_lead: User, provider: Organisation) -> None:
    episode = sm.episode_enter(actor=oversight_lead, provider=provider, entered_on=today(), basis=Basis.OWN_EVIDENCE)
    assert episode.recommending_inspection is None


def test_entering_on_cqcs_recommendation_needs_an_inspection_that_allows_it(
    oversight_lead: User, provider: Organisation, inspector: User
) -> None:
    good = rated_inspection(provider, inspector, today(), overall="good", well_led="good")
    with pytest.raises(ValidationError) as error:
        sm.episode_enter(
            actor=oversight_lead,
            provider=provider,
            entered_on=today(),
            basis=Basis.CQC_RECOMMENDATION,
            recommending_inspection=good,
        )
    assert "recommending_inspection" in error.value.message_dict


# --- CQC places providers it alone regulates -------------------------------------------------------


@pytest.mark.parametrize("kind", [OrganisationKind.GP_PRACTICE, OrganisationKind.ADULT_SOCIAL_CARE])
def test_cqc_places_a_gp_practice_or_care_provider_rated_inadequate_overall(
    cqc: Organisation, regulator: User, inspector: User, kind: str
) -> None:
    provider = OrganisationFactory.create(kind=kind)
    inspection = rated_inspection(provider, inspector, today() - timedelta(days=5), well_led="requires_improvement")
    episode = sm.episode_enter(
        actor=regulator,
        provider=provider,
        entered_on=today(),
        basis=Basis.CQC_DECISION,
        recommending_inspection=inspection,
    )
    assert (episode.basis, episode.recommending_inspection, episode.status) == (
        Basis.CQC_DECISION,
        inspection,
        EpisodeStatus.OPEN,
    )


@pytest.mark.parametrize("kind", [OrganisationKind.GP_PRACTICE, OrganisationKind.ADULT_SOCIAL_CARE])
def test_cqc_does_not_place_without_an_inadequate_overall_rating(
    cqc: Organisation, regulator: User, inspector: User, kind: str
) -> None:
    provider = OrganisationFactory.create(kind=kind)
    inspection = rated_inspection(provider, inspector, today(), overall="requires_improvement")
    for given in (inspection, None):
        with pytest.raises(ValidationError) as error:
            sm.episode_enter(
                actor=regulator,
                provider=provider,
                entered_on=today(),
                basis=Basis.CQC_DECISION,
                recommending_inspection=given,
            )
        assert "recommending_inspection" in error.value.message_dict
    assert not Episode.objects.filter(provider=provider).exists()


def test_an_oversight_lead_may_not_place_a_gp_practice(
    oversight_lead: User, practice: Organisation, inspector: User
) -> None:
    with pytest.raises(PermissionDenied):
        sm.episode_enter(
            actor=oversight_lead,
            provider=practice,
            entered_on=today(),
            basis=Basis.CQC_DECISION,
            recommending_inspection=rated_inspection(practice, inspector, today()),
        )


# --- Two decisions at once ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_decisions_make_exactly_one(
    cqc: Organisation, monitor: Organisation, provider: Organisation
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL's row locks.")
    regulator = member(cqc, Role.REGULATOR_DECISION_MAKER)
    leads = [member(monitor, Role.OVERSIGHT_LEAD) for _ in range(2)]
    inspection = rated_inspection(provider, member(cqc, Role.INSPECTOR), today())
    recommendation = recommendation_make(
        actor=regulator, organisation=sole_organisation(regulator), inspection=inspection, reasons=REASONS
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(lead: User, place: bool) -> None:
        barrier.wait()
        try:
            recommendation_decide(actor=lead, recommendation=recommendation, place=place, reasons="Decided.")
            outcomes.append("decided")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(lead, n == 0)) for n, lead in enumerate(leads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "decided"]
    recommendation.refresh_from_db()
    assert recommendation.status in (RecommendationStatus.PLACED, RecommendationStatus.NOT_PLACED)
    assert Episode.objects.filter(provider=provider).count() == (
        1 if recommendation.status == RecommendationStatus.PLACED else 0
    )
    assert AuditEvent.objects.filter(verb__in=["recommendation.placed", "recommendation.not_placed"]).count() == 1
