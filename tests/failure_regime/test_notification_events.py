"""Notifications of the regime's events: each event tells exactly the people it concerns, once each, and nobody
else (not another organisation's staff, not the person who acted)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind, Role, User
from failure_regime.models import (
    Area,
    Basis,
    Case,
    Concern,
    Decision,
    Episode,
    MonthlyReport,
    Notification,
    NotificationEvent,
    SignOff,
)
from failure_regime.services import action_plan, episode_outcome, monthly_reports
from failure_regime.services import notification_events as events
from failure_regime.services import special_measures as sm
from failure_regime.services.accountability import lead_hand_over
from failure_regime.services.cases import case_activate, case_party_add
from failure_regime.services.sign_off import sign_off_record
from tests.factories import OrganisationFactory, member, sole_organisation
from tests.failure_regime.conftest import propose
from tests.failure_regime.test_special_measures import enter, submit

pytestmark = pytest.mark.django_db

INADEQUATE = dict.fromkeys((*episode_outcome.KEY_QUESTIONS, "overall"), "inadequate")


def told(event: str) -> list[str]:
    """Who was notified of ``event``, one entry per notification."""
    return sorted(Notification.objects.filter(event=event).values_list("user__email", flat=True))


def emails(*users: User) -> list[str]:
    return sorted(u.email for u in users)


def decide(case: Case, user: User, decision: str = Decision.AGREE, reason: str = "") -> SignOff:
    return sign_off_record(
        actor=user, case=case, organisation=user.memberships.get().organisation, decision=decision, reason=reason
    )


@pytest.fixture
def cqc_colleague(cqc: Organisation) -> User:
    """A second CQC decision-maker: a signatory of CQC who did not propose the case."""
    return member(cqc, Role.REGULATOR_DECISION_MAKER, full_name="Cole League")


@pytest.fixture
def bystanders(provider: Organisation, trust_manager: User, other_provider: Organisation, inspector: User) -> None:
    """People who hold no sign-off role in the case's parties, or belong to another provider."""
    member(other_provider, Role.TRUST_SIGN_OFF_OFFICER, full_name="Other Signatory")
    member(provider, Role.FAMILY_LIAISON_OFFICER)


@pytest.fixture
def proposed(
    regulator: User,
    provider: Organisation,
    concern: Concern,
    oversight_lead: User,
    sign_off_officer: User,
    cqc_colleague: User,
    bystanders: None,
) -> Case:
    return propose(regulator, provider, concern)


@pytest.fixture
def triggered(proposed: Case, regulator: User, oversight_lead: User, sign_off_officer: User) -> Case:
    for user in (regulator, oversight_lead, sign_off_officer):
        decide(proposed, user)
    proposed.refresh_from_db()
    return proposed


# --- Proposal, decisions and the trigger ----------------------------------------------------------------------


def test_it_asks_every_partys_signatories_but_the_proposer_to_decide(
    proposed: Case, oversight_lead: User, sign_off_officer: User, cqc_colleague: User
) -> None:
    assert told(NotificationEvent.CASE_PROPOSED) == emails(oversight_lead, sign_off_officer, cqc_colleague)


def test_it_tells_each_signatory_as_their_party(proposed: Case, oversight_lead: User, monitor: Organisation) -> None:
    notification = Notification.objects.get(event=NotificationEvent.CASE_PROPOSED, user=oversight_lead)
    assert notification.organisation == monitor


def test_a_proposal_names_the_case_and_provider_and_links_to_the_decision(
    proposed: Case, sign_off_officer: User, provider: Organisation
) -> None:
    notification = Notification.objects.get(event=NotificationEvent.CASE_PROPOSED, user=sign_off_officer)
    assert proposed.reference in notification.title and provider.name in notification.title
    assert notification.link == f"/staff/cases/{proposed.pk}/sign-off/"


def test_telling_of_a_proposal_again_duplicates_nothing(proposed: Case, regulator: User) -> None:
    events.case_proposed_notify(case=proposed, actor=regulator)
    assert len(told(NotificationEvent.CASE_PROPOSED)) == 3


def test_an_added_party_is_asked_to_decide_and_nobody_twice(
    proposed: Case, regulator: User, oversight_lead: User, sign_off_officer: User, cqc_colleague: User
) -> None:
    commissioner = OrganisationFactory.create(kind=OrganisationKind.COMMISSIONER)
    commissioner_lead = member(commissioner, Role.OVERSIGHT_LEAD)
    case_party_add(actor=regulator, case=proposed, organisation=commissioner)
    assert told(NotificationEvent.CASE_PROPOSED) == emails(
        oversight_lead, sign_off_officer, cqc_colleague, commissioner_lead
    )


def test_an_agreement_tells_the_other_parties_and_the_proposer(
    proposed: Case, regulator: User, oversight_lead: User, sign_off_officer: User, cqc_colleague: User
) -> None:
    decide(proposed, sign_off_officer)
    assert told(NotificationEvent.SIGN_OFF_DECIDED) == emails(regulator, oversight_lead, cqc_colleague)


def test_an_objection_tells_the_other_parties_and_the_proposer(
    proposed: Case, regulator: User, oversight_lead: User, sign_off_officer: User, cqc_colleague: User
) -> None:
    decide(proposed, oversight_lead, Decision.OBJECT, reason="The scope is too narrow.")
    assert told(NotificationEvent.SIGN_OFF_OBJECTED) == emails(regulator, sign_off_officer, cqc_colleague)


def test_the_proposers_own_decision_does_not_tell_the_proposer(
    proposed: Case, regulator: User, oversight_lead: User, sign_off_officer: User
) -> None:
    decide(proposed, regulator)
    assert told(NotificationEvent.SIGN_OFF_DECIDED) == emails(oversight_lead, sign_off_officer)


def test_telling_of_a_decision_again_duplicates_nothing(proposed: Case, sign_off_officer: User) -> None:
    sign_off = decide(proposed, sign_off_officer)
    events.sign_off_notify(sign_off=sign_off, case=proposed, actor=sign_off_officer)
    assert len(told(NotificationEvent.SIGN_OFF_DECIDED)) == 3


def test_the_trigger_tells_every_partys_signatories_and_the_proposer(
    triggered: Case, regulator: User, oversight_lead: User, sign_off_officer: User, cqc_colleague: User
) -> None:
    assert told(NotificationEvent.CASE_TRIGGERED) == emails(regulator, oversight_lead, sign_off_officer, cqc_colleague)


def test_the_decision_that_triggers_is_told_as_the_trigger_alone(
    triggered: Case, regulator: User, oversight_lead: User, sign_off_officer: User, cqc_colleague: User
) -> None:
    # The regulator and the oversight lead agreed first; the sign-off officer's agreement triggered the case.
    first, second = emails(oversight_lead, sign_off_officer), emails(regulator, sign_off_officer, cqc_colleague)
    assert told(NotificationEvent.SIGN_OFF_DECIDED) == sorted(first + second)


def test_telling_of_the_trigger_again_duplicates_nothing(triggered: Case) -> None:
    events.case_triggered_notify(case=triggered)
    assert len(told(NotificationEvent.CASE_TRIGGERED)) == 4


# --- Leads and activation -----------------------------------------------------------------------------------


def appoint(case: Case, actor: User, area: str, lead: User) -> None:
    organisation = lead.memberships.get().organisation
    lead_hand_over(actor=actor, case=case, area=area, lead=lead, organisation=organisation, reason="Named by board")


def test_the_new_lead_is_told_as_a_member_of_their_organisation(
    triggered: Case, regulator: User, trust_manager: User, provider: Organisation
) -> None:
    appoint(triggered, regulator, Area.FAMILY_SUPPORT, trust_manager)
    [notification] = Notification.objects.filter(event=NotificationEvent.LEAD_APPOINTED)
    assert (notification.user, notification.organisation) == (trust_manager, provider)


def test_a_hand_over_tells_the_new_lead_only(
    triggered: Case, regulator: User, trust_manager: User, sign_off_officer: User
) -> None:
    appoint(triggered, regulator, Area.FAMILY_SUPPORT, trust_manager)
    appoint(triggered, regulator, Area.FAMILY_SUPPORT, sign_off_officer)
    assert told(NotificationEvent.LEAD_APPOINTED) == emails(trust_manager, sign_off_officer)


def test_someone_who_appoints_themselves_is_not_told(triggered: Case, regulator: User) -> None:
    appoint(triggered, regulator, Area.INVESTIGATION, regulator)
    assert told(NotificationEvent.LEAD_APPOINTED) == []


def test_activation_tells_the_accountable_leads(
    triggered: Case, regulator: User, oversight_lead: User, trust_manager: User, inspector: User
) -> None:
    leads = {
        Area.INVESTIGATION: regulator,
        Area.EXPERT_RECRUITMENT: oversight_lead,
        Area.PUBLIC_COMMUNICATIONS: inspector,
        Area.FAMILY_SUPPORT: trust_manager,
        Area.OVERSIGHT: oversight_lead,
    }
    for area, lead in leads.items():
        appoint(triggered, regulator, area, lead)
    case_activate(actor=regulator, case=triggered)
    events.case_activated_notify(case=triggered, actor=regulator)
    assert told(NotificationEvent.CASE_ACTIVATED) == emails(oversight_lead, inspector, trust_manager)


# --- Special measures ---------------------------------------------------------------------------------------


@pytest.fixture
def episode(oversight_lead: User, provider: Organisation, trust_manager: User, bystanders: None) -> Episode:
    return enter(oversight_lead, provider, timezone.localdate() - timedelta(days=40))


@pytest.fixture
def report(episode: Episode, trust_manager: User, provider: Organisation, regulator: User) -> MonthlyReport:
    action = action_plan.action_add(
        actor=trust_manager,
        episode=episode,
        reference="A1",
        description="Recruit midwives",
        owner_organisation=provider,
        due_on=timezone.localdate() + timedelta(days=90),
    )
    return submit(trust_manager, episode, action)


def test_a_submitted_report_tells_the_oversight_bodys_oversight_leads(
    report: MonthlyReport, oversight_lead: User, monitor: Organisation, trust_manager: User
) -> None:
    colleague = member(monitor, Role.OVERSIGHT_LEAD)
    events.report_submitted_notify(report=report, actor=trust_manager)
    # The colleague joined after the submission; telling again reaches them, and nobody twice.
    assert told(NotificationEvent.REPORT_SUBMITTED) == emails(oversight_lead, colleague)


def test_a_report_of_a_provider_cqc_alone_regulates_tells_cqcs_decision_makers(
    regulator: User, cqc: Organisation, inspector: User
) -> None:
    practice = OrganisationFactory.create(kind=OrganisationKind.GP_PRACTICE, name="Riverside Surgery")
    practice_manager = member(practice, Role.TRUST_MANAGER)
    today = timezone.localdate()
    rated = episode_outcome.inspection_for_recommendation(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=practice,
        carried_out_on=today - timedelta(days=50),
        ratings=INADEQUATE,
    )
    episode = sm.episode_enter(
        actor=regulator,
        provider=practice,
        entered_on=today - timedelta(days=40),
        basis=Basis.CQC_DECISION,
        recommending_inspection=rated,
    )
    action = action_plan.action_add(
        actor=practice_manager,
        episode=episode,
        reference="A1",
        description="Fix the fridges",
        owner_organisation=practice,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    submit(practice_manager, episode, action)
    assert told(NotificationEvent.REPORT_SUBMITTED) == emails(regulator)


def test_an_accepted_report_tells_the_providers_trust_managers(
    report: MonthlyReport, oversight_lead: User, trust_manager: User, other_trust_manager: User
) -> None:
    monthly_reports.report_accept(actor=oversight_lead, report=report)
    assert told(NotificationEvent.REPORT_ACCEPTED) == emails(trust_manager)


def test_a_returned_report_tells_the_trust_each_time(
    report: MonthlyReport, oversight_lead: User, trust_manager: User, other_trust_manager: User
) -> None:
    monthly_reports.report_return(actor=oversight_lead, report=report, comments="Add the staffing figures.")
    action = report.episode.actions.get()
    resent = submit(trust_manager, report.episode, action, month=report.month)
    monthly_reports.report_return(actor=oversight_lead, report=resent, comments="Still no staffing figures.")
    assert told(NotificationEvent.REPORT_RETURNED) == emails(trust_manager, trust_manager)
    assert told(NotificationEvent.REPORT_SUBMITTED) == emails(oversight_lead, oversight_lead)


def test_telling_of_an_accepted_report_again_duplicates_nothing(
    report: MonthlyReport, oversight_lead: User, trust_manager: User
) -> None:
    accepted = monthly_reports.report_accept(actor=oversight_lead, report=report)
    events.report_reviewed_notify(report=accepted, actor=oversight_lead)
    assert told(NotificationEvent.REPORT_ACCEPTED) == emails(trust_manager)


def test_a_scheduled_reinspection_tells_the_trusts_managers_and_sign_off_officers(
    episode: Episode, inspector: User, trust_manager: User, sign_off_officer: User, other_trust_manager: User
) -> None:
    inspection = episode_outcome.inspection_schedule(
        actor=inspector,
        organisation=sole_organisation(inspector),
        episode=episode,
        scheduled_for=timezone.localdate() + timedelta(days=7),
    )
    events.inspection_scheduled_notify(inspection=inspection, actor=inspector)
    assert told(NotificationEvent.INSPECTION_SCHEDULED) == emails(trust_manager, sign_off_officer)


@pytest.mark.parametrize("more", [0, 20])
def test_a_proposal_finds_its_recipients_in_the_same_queries_however_many_there_are(
    more: int, regulator: User, provider: Organisation, concern: Concern, oversight_lead: User, monkeypatch
) -> None:
    for _ in range(more):
        member(provider, Role.TRUST_SIGN_OFF_OFFICER)
    case = propose(regulator, provider, concern)
    monkeypatch.setattr(events, "notify", lambda **kwargs: [])
    with CaptureQueriesContext(connection) as queries:
        events.case_proposed_notify(case=case, actor=regulator)
    assert len(queries) == 3  # the decisions, the parties, their members


@pytest.mark.parametrize("more", [0, 20])
def test_a_report_finds_its_recipients_in_the_same_queries_however_many_there_are(
    more: int, report: MonthlyReport, monitor: Organisation, oversight_lead: User, monkeypatch
) -> None:
    for _ in range(more):
        member(monitor, Role.OVERSIGHT_LEAD)
    report = MonthlyReport.objects.get(pk=report.pk)
    monkeypatch.setattr(events, "notify", lambda **kwargs: [])
    with CaptureQueriesContext(connection) as queries:
        events.report_submitted_notify(report=report, actor=oversight_lead)
    assert len(queries) == 3  # the episode, the provider, the deciders (the oversight body is read by its id)
