"""The staff home page: each person sees what is waiting for them, from their own organisations and roles, overdue
first, each item linking to where it is acted on, in a fixed number of queries however much is waiting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind, Role, User
from accounts.services import membership_create
from failure_regime import work
from failure_regime.demo import seed_demo
from failure_regime.models import Area, Basis, Case, Concern, Episode, MonthlyReport
from failure_regime.services import action_plan, monthly_reports
from failure_regime.services import special_measures as sm
from failure_regime.services.accountability import lead_hand_over
from failure_regime.services.concerns import concern_raise
from failure_regime.services.sign_off import sign_off_record
from failure_regime.work import HEADING_LIMIT, WorkItem, work_for_user
from failure_regime.work_sources import (
    DEADLINES,
    LEADS,
    MISSING_LEAD,
    REPORTS_TO_ACCEPT,
    REPORTS_TO_SEND,
    SIGN_OFF,
)
from tests.factories import OrganisationFactory, member, sole_organisation
from tests.failure_regime.conftest import propose

pytestmark = pytest.mark.django_db


def items_in(user: User, group: str) -> list[WorkItem]:
    return [item for item in work_for_user(user=user) if item.group == group]


def titles_in(user: User, group: str) -> list[str]:
    return [item.title for item in items_in(user, group)]


@pytest.fixture
def episode(oversight_lead: User, provider: Organisation, trust_manager: User) -> Episode:
    """``provider`` in special measures since the first of last month, so this month's report (alone) is open."""
    return sm.episode_enter(
        actor=oversight_lead,
        provider=provider,
        entered_on=(timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1),
        basis=Basis.OWN_EVIDENCE,
    )


@pytest.fixture
def report(episode: Episode) -> MonthlyReport:
    return MonthlyReport.objects.filter(episode=episode).latest("month")


@pytest.fixture
def submitted(episode: Episode, report: MonthlyReport, trust_manager: User, provider: Organisation) -> MonthlyReport:
    action = action_plan.action_add(
        actor=trust_manager,
        episode=episode,
        reference="A1",
        description="Recruit midwives",
        owner_organisation=provider,
        due_on=timezone.localdate() + timedelta(days=90),
    )
    return monthly_reports.report_submit(
        actor=trust_manager,
        episode=episode,
        month=report.month,
        narrative="Six midwives appointed.",
        statuses={action.pk: {"status": "in_progress", "rag": "amber"}},
    )


# --- Decisions awaiting sign-off ---------------------------------------------------------------------------


def test_it_shows_the_sign_off_officer_the_case_waiting_for_their_trust(case: Case, sign_off_officer: User) -> None:
    [item] = items_in(sign_off_officer, SIGN_OFF)
    assert (item.url, item.organisation) == (
        reverse("regime:case-detail", args=[case.pk]) + "#sign-off",
        "Mid Shire Hospitals NHS Foundation Trust, trust sign-off officer",
    )


def test_it_shows_the_cqc_decision_maker_the_case_labelled_for_cqc(case: Case, regulator: User) -> None:
    [item] = items_in(regulator, SIGN_OFF)
    assert item.organisation == "Care Quality Commission, regulator decision-maker"


def test_it_shows_another_trusts_officer_no_decision(case: Case, other_provider: Organisation) -> None:
    outsider = member(other_provider, Role.TRUST_SIGN_OFF_OFFICER)
    assert items_in(outsider, SIGN_OFF) == []


def test_it_shows_the_trust_manager_no_decision_they_cannot_give(case: Case, trust_manager: User) -> None:
    assert items_in(trust_manager, SIGN_OFF) == []


def test_it_drops_the_decision_once_the_trust_has_given_it(
    case: Case, sign_off_officer: User, provider: Organisation
) -> None:
    sign_off_record(actor=sign_off_officer, case=case, organisation=provider, decision="agree")
    assert items_in(sign_off_officer, SIGN_OFF) == []


def test_it_marks_a_decision_overdue_once_its_deadline_has_passed(
    regulator: User, provider: Organisation, immediate_concern: Concern, sign_off_officer: User, oversight_lead: User
) -> None:
    # Proposed at noon, so that two days and an hour after the deadline is two calendar days later, whenever it runs.
    with time_machine.travel(timezone.now().replace(hour=12, minute=0), tick=False):
        case = propose(regulator, provider, immediate_concern)
    assert case.sign_off_deadline is not None
    with time_machine.travel(case.sign_off_deadline + timedelta(days=2, hours=1), tick=False):
        [item] = items_in(sign_off_officer, SIGN_OFF)
        assert (item.overdue, item.due_text()) == (True, "overdue by 2 days")


def test_it_lists_the_most_pressing_decisions_and_counts_the_rest_with_the_overdue(
    regulator: User,
    provider: Organisation,
    immediate_concern: Concern,
    concern: Concern,
    sign_off_officer: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(work, "HEADING_LIMIT", 2)
    immediate = []
    for hour in (9, 10, 11):
        with time_machine.travel(timezone.now().replace(hour=hour, minute=0), tick=False):
            immediate.append(propose(regulator, provider, immediate_concern, title=f"Immediate at {hour}"))
    routine = propose(regulator, provider, concern, title="Routine")
    assert routine.sign_off_deadline is None and immediate[-1].sign_off_deadline is not None
    with time_machine.travel(immediate[-1].sign_off_deadline + timedelta(hours=1), tick=False):
        found = work_for_user(user=sign_off_officer)
    listed = [item.title for item in found if item.group == SIGN_OFF]
    assert listed == [f"{case.reference}: {case.title}" for case in immediate[:2]]
    [group] = [g for g in work.work_groups(found, limit=2) if g.heading == SIGN_OFF]
    assert (group.total, group.overdue_count) == (4, 3)


# --- Areas led and cases missing a lead --------------------------------------------------------------------


def test_it_shows_the_accountable_lead_their_area(
    case: Case, regulator: User, oversight_lead: User, monitor: Organisation
) -> None:
    lead_hand_over(
        actor=regulator, case=case, area=Area.OVERSIGHT, lead=oversight_lead, organisation=monitor, reason="Leads."
    )
    assert titles_in(oversight_lead, LEADS) == [f"Oversight for {case.reference}: {case.title}"]


def test_it_shows_the_case_missing_a_lead_to_those_who_appoint_leads(case: Case, oversight_lead: User) -> None:
    assert titles_in(oversight_lead, MISSING_LEAD) == [f"{case.reference}: {case.title}"]


def test_it_shows_national_oversight_the_case_missing_a_lead(case: Case, national: User) -> None:
    [item] = items_in(national, MISSING_LEAD)
    assert item.organisation == "NHS England, national oversight"


def test_it_shows_national_oversight_no_decision_to_sign_off(case: Case, national: User) -> None:
    assert items_in(national, SIGN_OFF) == []


def test_it_shows_the_case_missing_a_lead_to_no_one_who_cannot_appoint(case: Case, trust_manager: User) -> None:
    assert items_in(trust_manager, MISSING_LEAD) == []


# --- Monthly reports ---------------------------------------------------------------------------------------


def test_it_shows_the_trust_manager_the_report_to_send(report: MonthlyReport, trust_manager: User) -> None:
    [item] = items_in(trust_manager, REPORTS_TO_SEND)
    assert (item.url, item.due) == (
        reverse("regime:report-form", args=[report.episode_id, report.month.year, report.month.month]),
        report.due_on,
    )


def test_it_shows_another_trusts_manager_no_report(report: MonthlyReport, other_trust_manager: User) -> None:
    assert items_in(other_trust_manager, REPORTS_TO_SEND) == []


def test_it_shows_a_report_past_its_due_date_as_overdue(report: MonthlyReport, trust_manager: User) -> None:
    with time_machine.travel(report.due_on + timedelta(days=3, hours=12), tick=False):
        [item] = items_in(trust_manager, REPORTS_TO_SEND)
        assert item.due_text() == "overdue by 3 days"


def test_it_lists_the_overdue_report_before_anything_due_later(
    report: MonthlyReport, trust_manager: User, provider: Organisation, case: Case
) -> None:
    membership_create(actor=None, user=trust_manager, organisation=provider, role=Role.TRUST_SIGN_OFF_OFFICER)
    with time_machine.travel(report.due_on + timedelta(days=3, hours=12), tick=False):
        first = work_for_user(user=trust_manager)[0]
    assert first.group == REPORTS_TO_SEND


def test_it_shows_the_oversight_lead_the_report_to_accept(submitted: MonthlyReport, oversight_lead: User) -> None:
    [item] = items_in(oversight_lead, REPORTS_TO_ACCEPT)
    assert (item.url, item.organisation) == (
        reverse("regime:report-detail", args=[submitted.pk]),
        "Monitor, oversight lead",
    )


def test_it_shows_another_oversight_bodys_lead_no_report_to_accept(
    submitted: MonthlyReport, nhs_england: Organisation
) -> None:
    assert items_in(member(nhs_england, Role.OVERSIGHT_LEAD), REPORTS_TO_ACCEPT) == []


def test_it_shows_cqc_no_trusts_report_to_accept(submitted: MonthlyReport, regulator: User) -> None:
    assert items_in(regulator, REPORTS_TO_ACCEPT) == []


def test_it_drops_the_sent_report_from_the_trust_managers_list(submitted: MonthlyReport, trust_manager: User) -> None:
    assert items_in(trust_manager, REPORTS_TO_SEND) == []


# --- Re-inspections and statutory deadlines ---------------------------------------------------------------


def test_it_shows_the_inspector_the_reinspection_due(episode: Episode, inspector: User) -> None:
    [item] = items_in(inspector, DEADLINES)
    assert (item.kind, item.url) == ("Re-inspection", reverse("regime:episode-detail", args=[episode.pk]))


def test_it_shows_the_trust_manager_no_reinspection(episode: Episode, trust_manager: User) -> None:
    assert items_in(trust_manager, DEADLINES) == []


# --- The page ----------------------------------------------------------------------------------------------


def test_it_sends_the_public_to_sign_in(client: Client) -> None:
    response = client.get(reverse("staff-home"))
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_it_tells_a_person_with_nothing_to_do_so(client_for: Callable[[User], Client], reviewer: User) -> None:
    response = client_for(reviewer).get(reverse("staff-home"))
    assert "Nothing is waiting for you" in response.content.decode()


def test_it_still_lists_the_persons_organisations_and_roles(
    client_for: Callable[[User], Client], reviewer: User
) -> None:
    response = client_for(reviewer).get(reverse("staff-home"))
    assert "Your organisations and roles" in response.content.decode()


def test_it_links_each_item_to_where_it_is_acted_on(
    client_for: Callable[[User], Client], report: MonthlyReport, trust_manager: User
) -> None:
    page = client_for(trust_manager).get(reverse("staff-home")).content.decode()
    url = reverse("regime:report-form", args=[report.episode_id, report.month.year, report.month.month])
    assert f'href="{url}"' in page


def test_it_shows_the_due_date_in_words(
    client_for: Callable[[User], Client], report: MonthlyReport, trust_manager: User
) -> None:
    page = client_for(trust_manager).get(reverse("staff-home")).content.decode()
    assert f"due {report.due_on.day} {report.due_on:%B %Y}" in page


# --- Several roles, and a fixed number of queries ----------------------------------------------------------


@pytest.fixture
def busy(provider: Organisation, cqc: Organisation, monitor: Organisation) -> User:
    """One person with five roles in three organisations."""
    user = member(provider, Role.TRUST_SIGN_OFF_OFFICER, full_name="Bea Busy")
    for organisation, role in [
        (provider, Role.TRUST_MANAGER),
        (provider, Role.FAMILY_LIAISON_OFFICER),
        (monitor, Role.OVERSIGHT_LEAD),
        (cqc, Role.INSPECTOR),
    ]:
        membership_create(actor=None, user=user, organisation=organisation, role=role)
    return user


def add_work(regulator: User, provider: Organisation, concern: Concern, busy: User, n: int) -> None:
    """``n`` cases waiting for decisions (each missing leads), and ``n`` providers in special measures with a
    report due and a re-inspection to make, all for ``busy``."""
    for i in range(n):
        propose(regulator, provider, concern, title=f"Case {i}")
        trust = OrganisationFactory.create(
            kind=OrganisationKind.FOUNDATION_TRUST, oversight_body=provider.oversight_body
        )
        membership_create(actor=None, user=busy, organisation=trust, role=Role.TRUST_MANAGER)
        sm.episode_enter(
            actor=busy, provider=trust, entered_on=timezone.localdate() - timedelta(days=40), basis=Basis.OWN_EVIDENCE
        )


def count_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("staff-home")).status_code == 200
    return len(queries)


def test_it_labels_each_item_with_the_organisation_and_role_it_is_for(
    busy: User, regulator: User, provider: Organisation, concern: Concern
) -> None:
    add_work(regulator, provider, concern, busy, 1)
    labels = {item.group: item.organisation for item in work_for_user(user=busy)}
    assert (labels[SIGN_OFF], labels[MISSING_LEAD]) == (
        "Mid Shire Hospitals NHS Foundation Trust, trust sign-off officer",
        "Monitor, oversight lead",
    )


def test_it_reads_the_same_number_of_queries_for_few_items_and_many(
    client_for: Callable[[User], Client], busy: User, regulator: User, provider: Organisation, concern: Concern
) -> None:
    client = client_for(busy)
    add_work(regulator, provider, concern, busy, 1)
    few = count_queries(client)
    add_work(regulator, provider, concern, busy, 6)
    assert count_queries(client) == few


def test_it_lists_the_first_under_a_long_heading_and_links_the_rest(
    client_for: Callable[[User], Client], national: User, regulator: User, provider: Organisation, concern: Concern
) -> None:
    for n in range(HEADING_LIMIT + 2):
        propose(regulator, provider, concern, title=f"Case {n}")
    page = client_for(national).get(reverse("staff-home"))
    [group] = [g for g in page.context["groups"] if g.heading == MISSING_LEAD]
    assert (len(group.items), group.total) == (HEADING_LIMIT, HEADING_LIMIT + 2)
    html = page.content.decode()
    assert f"{MISSING_LEAD} ({HEADING_LIMIT + 2})" in html
    assert f"These are the {HEADING_LIMIT} most pressing of {HEADING_LIMIT + 2}." in html
    assert f'href="{reverse("regime:case-list")}">See all cases missing an accountable lead' in html


@pytest.mark.parametrize(
    "who", ["regulator", "oversight_lead", "national", "trust_manager", "inspector", "sign_off_officer"]
)
def test_the_cases_to_appoint_leads_for_are_those_the_rule_finds_an_overseer_for(
    who: str, request: pytest.FixtureRequest, case: Case, regulator: User, other_provider: Organisation
) -> None:
    """``selectors.cases_to_appoint_leads_for`` writes ``case_overseer_membership`` as a query: for each person,
    the two agree on every case they may see that is missing a lead (one about a trust Monitor does not oversee
    included)."""
    from failure_regime.permissions import case_overseer_membership
    from failure_regime.selectors import cases_missing_a_lead, cases_to_appoint_leads_for

    concern = concern_raise(
        actor=regulator, organisation=sole_organisation(regulator), provider=other_provider, source="media", summary="x"
    )
    propose(regulator, other_provider, concern, title="Elsewhere")
    user: User = request.getfixturevalue(who)
    memberships = list(user.memberships.select_related("organisation"))
    by_rule = {
        c.pk
        for c in cases_missing_a_lead(user=user).prefetch_related("parties")
        if case_overseer_membership(memberships, [p.organisation_id for p in c.parties.all()]) is not None
    }
    assert set(cases_to_appoint_leads_for(user=user).values_list("pk", flat=True)) == by_rule


def test_it_shows_many_items_to_the_person_with_many_roles(
    busy: User, regulator: User, provider: Organisation, concern: Concern
) -> None:
    add_work(regulator, provider, concern, busy, 3)
    groups = {item.group for item in work_for_user(user=busy)}
    assert {SIGN_OFF, MISSING_LEAD, REPORTS_TO_SEND, DEADLINES} <= groups


# --- The demo: each demo user finds their own work -------------------------------------------------------


def test_each_demo_user_finds_their_own_work() -> None:
    seed_demo()
    for config in apps.get_app_configs():
        seed_app = getattr(config, "seed_demo", None)
        if callable(seed_app):
            seed_app()
    groups = {
        email: {item.group for item in work_for_user(user=User.objects.get(email=email))}
        for email in [
            "trust.manager@medway.example",
            "family.liaison@basildon.example",
            "communications@cqc.example",
            "expert.reviewer@nhs-england.example",
            "inspector@cqc.example",
        ]
    }
    assert groups == {
        "trust.manager@medway.example": {REPORTS_TO_SEND},
        "family.liaison@basildon.example": {"Enquiries waiting for a response", LEADS},
        "communications@cqc.example": {"Communications plan items due", "Notices to finish or publish", LEADS},
        "expert.reviewer@nhs-england.example": {"Case-note reviews assigned to you"},
        "inspector@cqc.example": {DEADLINES},
    }
