"""The special-measures API under /api/v1/: episodes, action plans, re-inspections, monthly reports (with
evidence files) and how an episode ends.

What a user may not see answers 404, what their role may not do answers 403, and a change the current state
does not allow answers 409, each with the standard error body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries
from rest_framework.test import APIClient

from accounts.models import Organisation, OrganisationKind, User
from failure_regime.models import (
    Action,
    Basis,
    Case,
    ConcernSource,
    Deadline,
    EnforcementAction,
    Episode,
    EpisodeStatus,
    Inspection,
    MonthlyReport,
    ReportEvidence,
    ReportStatus,
)
from failure_regime.selectors import published_reports
from failure_regime.services import action_plan, episode_outcome, monthly_reports
from failure_regime.services import special_measures as sm
from failure_regime.services.concerns import concern_raise
from tests.factories import OrganisationFactory, sole_organisation
from tests.failure_regime.conftest import propose
from tests.failure_regime.inspection_helpers import basis_inspection
from tests.failure_regime.test_api import copies_of

pytestmark = pytest.mark.django_db

ApiClientFor = Callable[[User], APIClient]

EPISODES = "/api/v1/episodes/"
REPORTS = "/api/v1/monthly-reports/"

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# The first bytes of a Windows program: not a PDF, whatever the name says.
WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program"
RATINGS = dict.fromkeys((*episode_outcome.KEY_QUESTIONS, "overall"), "inadequate")


# --- Helpers and fixtures -----------------------------------------------------------------------


def today() -> date:
    return timezone.localdate()


def enter(actor: User, provider: Organisation, basis: str = Basis.OWN_EVIDENCE, days_ago: int | None = None) -> Episode:
    # By default, the first day of last month: the episode owes exactly one monthly report, this month's.
    on = (
        today() - timedelta(days=days_ago)
        if days_ago is not None
        else (today().replace(day=1) - timedelta(days=1)).replace(day=1)
    )
    inspection = basis_inspection(provider, actor, on, basis)
    return sm.episode_enter(
        actor=actor, provider=provider, entered_on=on, basis=basis, recommending_inspection=inspection
    )


def episode_url(episode: Episode, *parts: object) -> str:
    return EPISODES + "".join(f"{part}/" for part in (episode.pk, *parts))


def report_url(report: MonthlyReport, part: str = "") -> str:
    return f"{REPORTS}{report.pk}/{part}/" if part else f"{REPORTS}{report.pk}/"


def ids(response: Any) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def statuses(*actions: Action, status: str = "in_progress", rag: str = "amber") -> str:
    return json.dumps({str(a.pk): {"status": status, "rag": rag, "note": "Six midwives appointed."} for a in actions})


def report_form(action: Action, *files: SimpleUploadedFile, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "month": today().strftime("%Y-%m"),
        "narrative": "Six midwives appointed; the maternity unit is fully staffed at night.",
        "statuses": statuses(action),
        **overrides,
    }
    if files:
        form["evidence"] = list(files)
    return form


def send_report(api: APIClient, episode: Episode, form: dict[str, Any]) -> Any:
    return api.post(episode_url(episode, "reports"), form, format="multipart")


def submit(actor: User, episode: Episode, action: Action) -> MonthlyReport:
    return monthly_reports.report_submit(
        actor=actor,
        episode=episode,
        month=today(),
        narrative="Six midwives appointed.",
        statuses={action.pk: {"status": "in_progress", "rag": "amber"}},
    )


def action_body(provider: Organisation, **overrides: Any) -> dict[str, Any]:
    return {
        "reference": "A2",
        "description": "Audit every handover on the maternity unit.",
        "owner_organisation": provider.pk,
        "due_on": (today() + timedelta(days=60)).isoformat(),
        **overrides,
    }


@pytest.fixture
def episode(oversight_lead: User, provider: Organisation, trust_manager: User) -> Episode:
    return enter(oversight_lead, provider)


@pytest.fixture
def action(episode: Episode, trust_manager: User, provider: Organisation) -> Action:
    return action_plan.action_add(
        actor=trust_manager,
        episode=episode,
        reference="A1",
        description="Recruit midwives",
        owner_organisation=provider,
        due_on=today() + timedelta(days=90),
    )


@pytest.fixture
def report(episode: Episode) -> MonthlyReport:
    """This month's report slot, opened when the provider entered special measures."""
    return episode.reports.get()


@pytest.fixture
def submitted(episode: Episode, action: Action, trust_manager: User) -> MonthlyReport:
    return submit(trust_manager, episode, action)


@pytest.fixture
def scheduled(episode: Episode, inspector: User) -> Inspection:
    return episode_outcome.inspection_schedule(
        actor=inspector, organisation=sole_organisation(inspector), episode=episode, scheduled_for=today()
    )


@pytest.fixture
def reinspected(scheduled: Inspection, inspector: User) -> Inspection:
    improved = {**RATINGS, "overall": "requires_improvement"}  # good enough to leave special measures
    return episode_outcome.inspection_record(
        actor=inspector,
        organisation=sole_organisation(inspector),
        inspection=scheduled,
        carried_out_on=today(),
        ratings=improved,
    )


@pytest.fixture
def practice(cqc: Organisation) -> Organisation:
    return OrganisationFactory.create(kind=OrganisationKind.GP_PRACTICE, name="Riverside Surgery")


@pytest.fixture
def practice_episode(regulator: User, practice: Organisation) -> Episode:
    return enter(regulator, practice, Basis.CQC_DECISION)


# --- Anyone not signed in -----------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/api/v1/episodes/"),
    ("post", "/api/v1/episodes/"),
    ("post", "/api/v1/episodes/history/"),
    ("post", "/api/v1/episodes/history/import/"),
    ("get", "/api/v1/episodes/{episode}/"),
    ("get", "/api/v1/episodes/{episode}/actions/"),
    ("post", "/api/v1/episodes/{episode}/actions/"),
    ("post", "/api/v1/episodes/{episode}/actions/{action}/"),
    ("post", "/api/v1/episodes/{episode}/inspections/"),
    ("post", "/api/v1/episodes/{episode}/inspections/{inspection}/ratings/"),
    ("post", "/api/v1/episodes/{episode}/exit/"),
    ("post", "/api/v1/episodes/{episode}/extend/"),
    ("post", "/api/v1/episodes/{episode}/propose-cancellation/"),
    ("post", "/api/v1/episodes/{episode}/cancel-registration/"),
    ("post", "/api/v1/episodes/{episode}/reports/"),
    ("get", "/api/v1/monthly-reports/"),
    ("get", "/api/v1/monthly-reports/{report}/"),
    ("post", "/api/v1/monthly-reports/{report}/accept/"),
    ("post", "/api/v1/monthly-reports/{report}/return/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_the_public_is_told_to_authenticate(
    client: Client, action: Action, report: MonthlyReport, scheduled: Inspection, method: str, path: str
) -> None:
    address = path.format(episode=action.episode_id, action=action.pk, inspection=scheduled.pk, report=report.pk)
    response = getattr(client, method)(address)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_endpoints_above_are_every_endpoint_of_special_measures(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    documented = {
        (method, path)
        for path, operations in schema["paths"].items()
        if path.startswith((EPISODES, REPORTS))
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    placeholders = {"episode": "{id}", "action": "{action_id}", "inspection": "{inspection_id}", "report": "{id}"}
    assert documented == {(method, path.format(**placeholders)) for method, path in ENDPOINTS}


# --- Listing and opening episodes ---------------------------------------------------------------


def test_the_oversight_body_lists_the_episodes_of_providers_it_oversees(
    api_client_for: ApiClientFor, oversight_lead: User, episode: Episode
) -> None:
    assert ids(api_client_for(oversight_lead).get(EPISODES)) == [episode.pk]


def test_another_trust_lists_no_episodes_of_others(
    api_client_for: ApiClientFor, other_trust_manager: User, episode: Episode
) -> None:
    assert ids(api_client_for(other_trust_manager).get(EPISODES)) == []


def test_the_list_shows_the_next_reinspection_and_the_overdue_reports(
    api_client_for: ApiClientFor, trust_manager: User, episode: Episode
) -> None:
    row = api_client_for(trust_manager).get(EPISODES).json()["results"][0]
    assert (row["next_reinspection_on"], row["overdue_reports"]) == (episode.reinspection_due_on.isoformat(), 0)


def test_it_filters_episodes_by_status(api_client_for: ApiClientFor, national: User, episode: Episode) -> None:
    assert ids(api_client_for(national).get(EPISODES, {"status": "exited"})) == []


def test_a_bad_episode_filter_is_a_field_error(api_client_for: ApiClientFor, national: User) -> None:
    response = api_client_for(national).get(EPISODES, {"status": "dormant"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]


def test_a_trust_manager_opens_the_episode_with_its_plan_and_reports(
    api_client_for: ApiClientFor, trust_manager: User, action: Action, report: MonthlyReport
) -> None:
    body = api_client_for(trust_manager).get(episode_url(action.episode)).json()
    assert [a["reference"] for a in body["actions"]] == ["A1"]
    assert [(r["id"], r["status"]) for r in body["reports"]] == [(report.pk, "due")]


def test_the_episode_shows_its_inspections_and_extensions(
    api_client_for: ApiClientFor, oversight_lead: User, episode: Episode, reinspected: Inspection
) -> None:
    episode_outcome.episode_extend(
        actor=oversight_lead, episode=episode, until=episode.reinspection_due_on + timedelta(days=90), reason="Progress"
    )
    body = api_client_for(oversight_lead).get(episode_url(episode)).json()
    assert body["inspections"][0]["ratings"]["overall"] == "requires_improvement"
    assert body["extensions"][0]["approved_by"]["full_name"] == oversight_lead.full_name


def test_another_trust_does_not_find_an_episode(
    api_client_for: ApiClientFor, other_trust_manager: User, episode: Episode
) -> None:
    response = api_client_for(other_trust_manager).get(episode_url(episode))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- Entering special measures ------------------------------------------------------------------


def entry(provider: Organisation, **overrides: Any) -> dict[str, Any]:
    return {
        "provider": provider.pk,
        "entered_on": (today() - timedelta(days=3)).isoformat(),
        "basis": "own_evidence",
        **overrides,
    }


def test_the_oversight_body_puts_a_trust_into_special_measures(
    api_client_for: ApiClientFor, oversight_lead: User, provider: Organisation
) -> None:
    response = api_client_for(oversight_lead).post(EPISODES, entry(provider), format="json")
    assert response.status_code == 201
    assert Episode.objects.get(pk=response.json()["id"]).decided_by == oversight_lead


def test_the_new_episode_names_its_case_and_partner_trust(
    api_client_for: ApiClientFor, oversight_lead: User, provider: Organisation, case: Case, monitor: Organisation
) -> None:
    partner = OrganisationFactory.create(name="Near Shire NHS Trust", oversight_body=monitor)
    body = entry(provider, case=case.pk, buddy_trust=partner.pk, improvement_director="Dr Ada Lane")
    response = api_client_for(oversight_lead).post(EPISODES, body, format="json")
    assert (response.json()["case"], response.json()["buddy_trust"]["id"]) == (case.pk, partner.pk)


def test_cqc_may_not_put_a_trust_into_special_measures(
    api_client_for: ApiClientFor, regulator: User, provider: Organisation
) -> None:
    response = api_client_for(regulator).post(EPISODES, entry(provider), format="json")
    assert response.status_code == 403
    assert not Episode.objects.exists()


def test_a_provider_out_of_sight_is_a_field_error(
    api_client_for: ApiClientFor, oversight_lead: User, other_provider: Organisation
) -> None:
    response = api_client_for(oversight_lead).post(EPISODES, entry(other_provider), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["provider"]


def test_a_case_out_of_sight_is_a_field_error(
    api_client_for: ApiClientFor,
    oversight_lead: User,
    regulator: User,
    inspector: User,
    provider: Organisation,
    other_provider: Organisation,
) -> None:
    concern = concern_raise(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=other_provider,
        source=ConcernSource.COMPLAINTS,
        summary="Long waits in A&E.",
    )
    other_case = propose(regulator, other_provider, concern, title="Emergency department")
    response = api_client_for(oversight_lead).post(EPISODES, entry(provider, case=other_case.pk), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["case"]


def test_a_recommendation_by_an_inspection_of_another_provider_is_a_field_error(
    api_client_for: ApiClientFor,
    oversight_lead: User,
    inspector: User,
    provider: Organisation,
    other_provider: Organisation,
) -> None:
    elsewhere = episode_outcome.inspection_for_recommendation(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=other_provider,
        carried_out_on=today(),
        ratings=RATINGS,
    )
    body = entry(provider, basis="cqc_recommendation", recommending_inspection=elsewhere.pk)
    response = api_client_for(oversight_lead).post(EPISODES, body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["recommending_inspection"]


def test_a_recommendation_names_the_inspection(
    api_client_for: ApiClientFor, oversight_lead: User, provider: Organisation
) -> None:
    body = entry(provider, basis="cqc_recommendation")
    response = api_client_for(oversight_lead).post(EPISODES, body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["recommending_inspection"]


def test_a_provider_already_in_special_measures_is_a_conflict(
    api_client_for: ApiClientFor, oversight_lead: User, provider: Organisation, episode: Episode
) -> None:
    response = api_client_for(oversight_lead).post(EPISODES, entry(provider), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_an_entry_date_in_the_future_is_a_field_error(
    api_client_for: ApiClientFor, oversight_lead: User, provider: Organisation
) -> None:
    body = entry(provider, entered_on=(today() + timedelta(days=1)).isoformat())
    response = api_client_for(oversight_lead).post(EPISODES, body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["entered_on"]


@pytest.mark.parametrize("provider_id", ["10" * 15, "1e400", "1.5", "true", '"\\u0000"'])
def test_an_impossible_provider_id_is_a_field_error(
    api_client_for: ApiClientFor, oversight_lead: User, provider_id: str
) -> None:
    raw = f'{{"provider": {provider_id}, "entered_on": "2026-01-05", "basis": "own_evidence"}}'
    response = api_client_for(oversight_lead).post(EPISODES, raw, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["provider"]


def test_a_nul_byte_is_a_field_error(
    api_client_for: ApiClientFor, oversight_lead: User, provider: Organisation
) -> None:
    body = entry(provider, improvement_director="Dr Ada\x00 Lane")
    response = api_client_for(oversight_lead).post(EPISODES, body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["improvement_director"]


def test_an_id_too_long_for_the_address_is_not_found(api_client_for: ApiClientFor, national: User) -> None:
    response = api_client_for(national).get(f"{EPISODES}{'9' * 19}/")
    assert response.status_code == 404


# --- The action plan ----------------------------------------------------------------------------


def test_a_trust_manager_reads_the_plan(api_client_for: ApiClientFor, trust_manager: User, action: Action) -> None:
    response = api_client_for(trust_manager).get(episode_url(action.episode, "actions"))
    assert [a["reference"] for a in response.json()] == ["A1"]


def test_another_trust_does_not_find_the_plan(
    api_client_for: ApiClientFor, other_trust_manager: User, action: Action
) -> None:
    assert api_client_for(other_trust_manager).get(episode_url(action.episode, "actions")).status_code == 404


def test_a_trust_manager_adds_an_action(
    api_client_for: ApiClientFor, trust_manager: User, provider: Organisation, episode: Episode
) -> None:
    api = api_client_for(trust_manager)
    response = api.post(episode_url(episode, "actions"), action_body(provider, owner=trust_manager.pk), format="json")
    assert response.status_code == 201
    assert (response.json()["reference"], response.json()["owner"]["id"]) == ("A2", trust_manager.pk)


def test_the_oversight_body_may_not_add_an_action(
    api_client_for: ApiClientFor, oversight_lead: User, provider: Organisation, episode: Episode
) -> None:
    response = api_client_for(oversight_lead).post(
        episode_url(episode, "actions"), action_body(provider), format="json"
    )
    assert response.status_code == 403
    assert not episode.actions.exists()


def test_another_trust_does_not_find_a_plan_to_add_to(
    api_client_for: ApiClientFor, other_trust_manager: User, other_provider: Organisation, episode: Episode
) -> None:
    api = api_client_for(other_trust_manager)
    response = api.post(episode_url(episode, "actions"), action_body(other_provider), format="json")
    assert response.status_code == 404


def test_a_reference_used_twice_is_a_field_error(
    api_client_for: ApiClientFor, trust_manager: User, provider: Organisation, action: Action
) -> None:
    api = api_client_for(trust_manager)
    response = api.post(episode_url(action.episode, "actions"), action_body(provider, reference="A1"), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reference"]


def test_a_reference_longer_than_the_column_is_a_field_error(
    api_client_for: ApiClientFor, trust_manager: User, provider: Organisation, episode: Episode
) -> None:
    api = api_client_for(trust_manager)
    response = api.post(episode_url(episode, "actions"), action_body(provider, reference="A" * 21), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reference"]


def test_an_owner_outside_the_owning_organisation_is_a_field_error(
    api_client_for: ApiClientFor, trust_manager: User, oversight_lead: User, provider: Organisation, episode: Episode
) -> None:
    body = action_body(provider, owner=oversight_lead.pk)
    response = api_client_for(trust_manager).post(episode_url(episode, "actions"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["owner"]


def test_a_trust_manager_changes_an_action(api_client_for: ApiClientFor, trust_manager: User, action: Action) -> None:
    body = {"rag": "green", "status": "complete"}
    response = api_client_for(trust_manager).post(
        episode_url(action.episode, "actions", action.pk), body, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["rag"], response.json()["status"], response.json()["reference"]) == (
        "green",
        "complete",
        "A1",
    )


def test_the_oversight_body_may_not_change_an_action(
    api_client_for: ApiClientFor, oversight_lead: User, action: Action
) -> None:
    api = api_client_for(oversight_lead)
    response = api.post(episode_url(action.episode, "actions", action.pk), {"rag": "green"}, format="json")
    assert response.status_code == 403
    action.refresh_from_db()
    assert action.rag == "red"


def test_another_trust_does_not_find_an_action_to_change(
    api_client_for: ApiClientFor, other_trust_manager: User, action: Action
) -> None:
    api = api_client_for(other_trust_manager)
    response = api.post(episode_url(action.episode, "actions", action.pk), {"rag": "green"}, format="json")
    assert response.status_code == 404


def test_an_action_of_another_episode_is_not_found(
    api_client_for: ApiClientFor, trust_manager: User, action: Action
) -> None:
    api = api_client_for(trust_manager)
    response = api.post(episode_url(action.episode, "actions", action.pk + 1000), {"rag": "green"}, format="json")
    assert response.status_code == 404


def test_a_change_of_nothing_is_a_field_error(
    api_client_for: ApiClientFor, trust_manager: User, action: Action
) -> None:
    response = api_client_for(trust_manager).post(episode_url(action.episode, "actions", action.pk), {}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["non_field_errors"]


# --- Re-inspection ------------------------------------------------------------------------------


def test_an_inspector_schedules_the_reinspection(
    api_client_for: ApiClientFor, inspector: User, episode: Episode
) -> None:
    body = {"scheduled_for": (today() + timedelta(days=30)).isoformat()}
    response = api_client_for(inspector).post(episode_url(episode, "inspections"), body, format="json")
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["ratings"]) == ("reinspection", None)


def test_a_trust_manager_may_not_schedule_an_inspection(
    api_client_for: ApiClientFor, trust_manager: User, episode: Episode
) -> None:
    body = {"scheduled_for": today().isoformat()}
    response = api_client_for(trust_manager).post(episode_url(episode, "inspections"), body, format="json")
    assert response.status_code == 403
    assert not Inspection.objects.exists()


def test_another_trust_does_not_find_an_episode_to_inspect(
    api_client_for: ApiClientFor, other_trust_manager: User, episode: Episode
) -> None:
    body = {"scheduled_for": today().isoformat()}
    response = api_client_for(other_trust_manager).post(episode_url(episode, "inspections"), body, format="json")
    assert response.status_code == 404


def test_a_reinspection_in_the_past_is_a_field_error(
    api_client_for: ApiClientFor, inspector: User, episode: Episode
) -> None:
    body = {"scheduled_for": (today() - timedelta(days=1)).isoformat()}
    response = api_client_for(inspector).post(episode_url(episode, "inspections"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["scheduled_for"]


def ratings_url(inspection: Inspection) -> str:
    assert inspection.episode is not None
    return episode_url(inspection.episode, "inspections", inspection.pk, "ratings")


def test_an_inspector_records_the_ratings_and_the_clock_stops(
    api_client_for: ApiClientFor, inspector: User, episode: Episode, scheduled: Inspection
) -> None:
    body = {"carried_out_on": today().isoformat(), **RATINGS}
    response = api_client_for(inspector).post(ratings_url(scheduled), body, format="json")
    assert response.json()["ratings"]["overall"] == "inadequate"
    assert Deadline.objects.get(kind="reinspection", subject_id=episode.pk).met_at is not None


def test_a_trust_manager_may_not_record_ratings(
    api_client_for: ApiClientFor, trust_manager: User, scheduled: Inspection
) -> None:
    body = {"carried_out_on": today().isoformat(), **RATINGS}
    response = api_client_for(trust_manager).post(ratings_url(scheduled), body, format="json")
    assert response.status_code == 403


def test_another_trust_does_not_find_an_inspection_to_rate(
    api_client_for: ApiClientFor, other_trust_manager: User, scheduled: Inspection
) -> None:
    body = {"carried_out_on": today().isoformat(), **RATINGS}
    response = api_client_for(other_trust_manager).post(ratings_url(scheduled), body, format="json")
    assert response.status_code == 404


def test_every_key_question_needs_a_rating(
    api_client_for: ApiClientFor, inspector: User, scheduled: Inspection
) -> None:
    body = {"carried_out_on": today().isoformat(), **RATINGS, "caring": "so-so"}
    del body["safe"]
    response = api_client_for(inspector).post(ratings_url(scheduled), body, format="json")
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["caring", "safe"]


def test_an_inspection_before_entry_is_a_field_error(
    api_client_for: ApiClientFor, inspector: User, scheduled: Inspection
) -> None:
    body = {"carried_out_on": "2001-01-01", **RATINGS}
    response = api_client_for(inspector).post(ratings_url(scheduled), body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["carried_out_on"]


def test_ratings_are_recorded_once(api_client_for: ApiClientFor, inspector: User, reinspected: Inspection) -> None:
    body = {"carried_out_on": today().isoformat(), **RATINGS}
    response = api_client_for(inspector).post(ratings_url(reinspected), body, format="json")
    assert response.status_code == 409


# --- How an episode ends ------------------------------------------------------------------------


def test_the_oversight_body_takes_the_trust_out_of_special_measures(
    api_client_for: ApiClientFor, oversight_lead: User, episode: Episode, reinspected: Inspection
) -> None:
    response = api_client_for(oversight_lead).post(
        episode_url(episode, "exit"), {"inspection": reinspected.pk}, format="json"
    )
    assert response.status_code == 200
    days = (today() - episode.entered_on).days
    assert (response.json()["status"], response.json()["days_in_special_measures"]) == ("exited", days)


def test_cqc_may_not_take_a_trust_out_of_special_measures(
    api_client_for: ApiClientFor, regulator: User, episode: Episode, reinspected: Inspection
) -> None:
    response = api_client_for(regulator).post(
        episode_url(episode, "exit"), {"inspection": reinspected.pk}, format="json"
    )
    assert response.status_code == 403
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.OPEN


def test_another_trust_does_not_find_an_episode_to_end(
    api_client_for: ApiClientFor, other_trust_manager: User, episode: Episode, reinspected: Inspection
) -> None:
    response = api_client_for(other_trust_manager).post(
        episode_url(episode, "exit"), {"inspection": reinspected.pk}, format="json"
    )
    assert response.status_code == 404


def test_an_exit_needs_a_recorded_reinspection(
    api_client_for: ApiClientFor, oversight_lead: User, episode: Episode, scheduled: Inspection
) -> None:
    response = api_client_for(oversight_lead).post(
        episode_url(episode, "exit"), {"inspection": scheduled.pk}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["inspection"]


def test_a_reinspection_dated_before_entry_is_a_field_error(
    api_client_for: ApiClientFor, inspector: User, scheduled: Inspection
) -> None:
    response = api_client_for(inspector).post(
        ratings_url(scheduled), {"carried_out_on": "2001-01-01", **RATINGS}, format="json"
    )
    assert response.status_code == 400
    assert "carried_out_on" in response.json()["errors"]


def test_a_provider_leaves_special_measures_once(
    api_client_for: ApiClientFor, oversight_lead: User, episode: Episode, reinspected: Inspection
) -> None:
    episode_outcome.episode_exit(actor=oversight_lead, episode=episode, inspection=reinspected)
    response = api_client_for(oversight_lead).post(
        episode_url(episode, "exit"), {"inspection": reinspected.pk}, format="json"
    )
    assert response.status_code == 409


def test_the_oversight_body_extends_special_measures(
    api_client_for: ApiClientFor, oversight_lead: User, episode: Episode, reinspected: Inspection
) -> None:
    until = episode.reinspection_due_on + timedelta(days=90)
    body = {"until": until.isoformat(), "reason": "Real progress; the new board needs time."}
    response = api_client_for(oversight_lead).post(episode_url(episode, "extend"), body, format="json")
    assert response.status_code == 201
    assert Episode.objects.get(pk=episode.pk).extended_until == until


def test_a_trust_manager_may_not_extend_special_measures(
    api_client_for: ApiClientFor, trust_manager: User, episode: Episode
) -> None:
    body = {"until": (episode.reinspection_due_on + timedelta(days=90)).isoformat(), "reason": "More time"}
    response = api_client_for(trust_manager).post(episode_url(episode, "extend"), body, format="json")
    assert response.status_code == 403


def test_another_trust_does_not_find_an_episode_to_extend(
    api_client_for: ApiClientFor, other_trust_manager: User, episode: Episode
) -> None:
    body = {"until": (episode.reinspection_due_on + timedelta(days=90)).isoformat(), "reason": "More time"}
    response = api_client_for(other_trust_manager).post(episode_url(episode, "extend"), body, format="json")
    assert response.status_code == 404


def test_an_extension_beyond_the_cap_is_a_field_error(
    api_client_for: ApiClientFor, oversight_lead: User, episode: Episode, reinspected: Inspection
) -> None:
    body = {"until": "9999-12-31", "reason": "Forever"}
    response = api_client_for(oversight_lead).post(episode_url(episode, "extend"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["until"]


def test_cqc_proposes_to_cancel_a_practices_registration(
    api_client_for: ApiClientFor, regulator: User, practice_episode: Episode
) -> None:
    body = {"summary": "Still inadequate at re-inspection."}
    response = api_client_for(regulator).post(
        episode_url(practice_episode, "propose-cancellation"), body, format="json"
    )
    assert response.status_code == 201
    assert EnforcementAction.objects.get(pk=response.json()["id"]).kind == "notice_of_proposal"


def test_an_inspector_may_not_propose_cancellation(
    api_client_for: ApiClientFor, inspector: User, practice_episode: Episode
) -> None:
    body = {"summary": "Still inadequate at re-inspection."}
    response = api_client_for(inspector).post(
        episode_url(practice_episode, "propose-cancellation"), body, format="json"
    )
    assert response.status_code == 403
    assert not EnforcementAction.objects.exists()


def test_another_provider_does_not_find_a_practice_to_propose_cancelling(
    api_client_for: ApiClientFor, other_trust_manager: User, practice_episode: Episode
) -> None:
    body = {"summary": "Still inadequate at re-inspection."}
    api = api_client_for(other_trust_manager)
    assert api.post(episode_url(practice_episode, "propose-cancellation"), body, format="json").status_code == 404


def test_a_trusts_registration_is_not_cancelled_this_way(
    api_client_for: ApiClientFor, oversight_lead: User, episode: Episode
) -> None:
    body = {"summary": "Still inadequate."}
    response = api_client_for(oversight_lead).post(episode_url(episode, "propose-cancellation"), body, format="json")
    assert response.status_code == 409


def test_cqc_cannot_cancel_a_registration_before_notice_and_representations(
    api_client_for: ApiClientFor, regulator: User, practice_episode: Episode
) -> None:
    body = {"on": today().isoformat()}
    response = api_client_for(regulator).post(episode_url(practice_episode, "cancel-registration"), body, format="json")
    assert response.status_code == 409


def test_cqc_cancels_a_practices_registration_after_the_window(
    api_client_for: ApiClientFor, regulator: User, inspector: User, practice: Organisation
) -> None:
    start = today() - timedelta(days=200)
    with time_machine.travel(start, tick=False):
        episode = sm.episode_enter(
            actor=regulator,
            provider=practice,
            entered_on=start,
            basis=Basis.CQC_DECISION,
            recommending_inspection=basis_inspection(practice, regulator, start, Basis.CQC_DECISION),
        )
    with time_machine.travel(start + timedelta(days=150), tick=False):
        inspection = episode_outcome.inspection_schedule(
            actor=inspector,
            organisation=sole_organisation(inspector),
            episode=episode,
            scheduled_for=start + timedelta(days=150),
        )
        episode_outcome.inspection_record(
            actor=inspector,
            organisation=sole_organisation(inspector),
            inspection=inspection,
            carried_out_on=start + timedelta(days=150),
            ratings=RATINGS,
        )
        episode_outcome.episode_propose_cancellation(actor=regulator, episode=episode, summary="Still inadequate")
    response = api_client_for(regulator).post(
        episode_url(episode, "cancel-registration"), {"on": today().isoformat()}, format="json"
    )
    assert response.json()["status"] == "registration_cancelled"


def test_an_inspector_may_not_cancel_a_registration(
    api_client_for: ApiClientFor, inspector: User, practice_episode: Episode
) -> None:
    body = {"on": today().isoformat()}
    response = api_client_for(inspector).post(episode_url(practice_episode, "cancel-registration"), body, format="json")
    assert response.status_code == 403


def test_another_provider_does_not_find_a_registration_to_cancel(
    api_client_for: ApiClientFor, other_trust_manager: User, practice_episode: Episode
) -> None:
    body = {"on": today().isoformat()}
    api = api_client_for(other_trust_manager)
    assert api.post(episode_url(practice_episode, "cancel-registration"), body, format="json").status_code == 404


def test_a_cancellation_before_entry_is_a_field_error(
    api_client_for: ApiClientFor, regulator: User, practice_episode: Episode
) -> None:
    body = {"on": "2001-01-01"}
    response = api_client_for(regulator).post(episode_url(practice_episode, "cancel-registration"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["on"]


def test_a_trusts_registration_cannot_be_cancelled(
    api_client_for: ApiClientFor, oversight_lead: User, episode: Episode
) -> None:
    body = {"on": today().isoformat()}
    response = api_client_for(oversight_lead).post(episode_url(episode, "cancel-registration"), body, format="json")
    assert response.status_code == 409


# --- Sending a monthly report -------------------------------------------------------------------


def test_a_trust_manager_sends_the_report_with_a_pdf(
    api_client_for: ApiClientFor, trust_manager: User, action: Action
) -> None:
    form = report_form(action, SimpleUploadedFile("board minutes.pdf", PDF))
    response = send_report(api_client_for(trust_manager), action.episode, form)
    assert response.status_code == 201
    assert (response.json()["status"], [e["original_name"] for e in response.json()["evidence"]]) == (
        "submitted",
        ["board minutes.pdf"],
    )


def test_the_report_records_where_each_action_stands(
    api_client_for: ApiClientFor, trust_manager: User, action: Action
) -> None:
    response = send_report(api_client_for(trust_manager), action.episode, report_form(action))
    assert [(s["reference"], s["status"], s["rag"]) for s in response.json()["action_statuses"]] == [
        ("A1", "in_progress", "amber")
    ]


def test_the_month_may_be_given_as_its_first_day(
    api_client_for: ApiClientFor, trust_manager: User, action: Action, report: MonthlyReport
) -> None:
    form = report_form(action, month=today().replace(day=1).isoformat())
    response = send_report(api_client_for(trust_manager), action.episode, form)
    assert response.json()["id"] == report.pk


def test_a_program_named_pdf_is_refused_and_nothing_is_saved(
    api_client_for: ApiClientFor, trust_manager: User, action: Action, report: MonthlyReport
) -> None:
    form = report_form(action, SimpleUploadedFile("minutes.pdf", WINDOWS_PROGRAM))
    response = send_report(api_client_for(trust_manager), action.episode, form)
    assert (response.status_code, list(response.json()["errors"])) == (400, ["evidence"])
    report.refresh_from_db()
    assert (report.status, ReportEvidence.objects.count()) == (ReportStatus.DUE, 0)


def test_an_empty_file_is_refused(api_client_for: ApiClientFor, trust_manager: User, action: Action) -> None:
    form = report_form(action, SimpleUploadedFile("minutes.pdf", b""))
    response = send_report(api_client_for(trust_manager), action.episode, form)
    assert response.status_code == 400
    assert response.json()["errors"] == {"evidence": ["The file minutes.pdf is empty."]}


def test_a_second_report_for_the_month_is_a_conflict(
    api_client_for: ApiClientFor, trust_manager: User, action: Action, submitted: MonthlyReport
) -> None:
    response = send_report(api_client_for(trust_manager), action.episode, report_form(action))
    assert response.status_code == 409
    assert MonthlyReport.objects.filter(episode=action.episode).count() == 1


def test_a_regulator_may_not_send_the_report(api_client_for: ApiClientFor, regulator: User, action: Action) -> None:
    response = send_report(api_client_for(regulator), action.episode, report_form(action))
    assert response.status_code == 403


def test_another_trust_does_not_find_the_episode_to_report_on(
    api_client_for: ApiClientFor, other_trust_manager: User, action: Action
) -> None:
    response = send_report(api_client_for(other_trust_manager), action.episode, report_form(action))
    assert response.status_code == 404


@pytest.mark.parametrize("month", ["2026-13", "0000-01", "2026-03-15", "March", ""])
def test_a_month_that_is_not_a_month_is_a_field_error(
    api_client_for: ApiClientFor, trust_manager: User, action: Action, month: str
) -> None:
    response = send_report(api_client_for(trust_manager), action.episode, report_form(action, month=month))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["month"]


def test_a_month_not_yet_begun_is_a_field_error(
    api_client_for: ApiClientFor, trust_manager: User, action: Action
) -> None:
    form = report_form(action, month=(today().replace(day=1) + timedelta(days=32)).strftime("%Y-%m"))
    response = send_report(api_client_for(trust_manager), action.episode, form)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["month"]


@pytest.mark.parametrize(
    "value",
    [
        "{not json",
        "[1, 2]",
        '{"A1": {"status": "in_progress", "rag": "amber"}}',
        '{"1": {"status": "finished", "rag": "amber"}}',
        '{"1": "in_progress"}',
        '{"1": {"status": "in_progress", "rag": "amber", "note": "\\u0000"}}',
        "[" * 100_000,
    ],
)
def test_statuses_that_are_not_a_map_of_actions_are_a_field_error(
    api_client_for: ApiClientFor, trust_manager: User, action: Action, value: str
) -> None:
    response = send_report(api_client_for(trust_manager), action.episode, report_form(action, statuses=value))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["statuses"]


def test_every_action_needs_a_status(api_client_for: ApiClientFor, trust_manager: User, action: Action) -> None:
    response = send_report(api_client_for(trust_manager), action.episode, report_form(action, statuses="{}"))
    assert response.status_code == 400
    assert response.json()["errors"] == {"statuses": ["Give a status for every action (missing: A1)."]}


def test_a_nul_byte_in_the_narrative_is_refused_and_nothing_is_sent(
    api_client_for: ApiClientFor, trust_manager: User, action: Action
) -> None:
    form = report_form(action, narrative="Six midwives\x00 appointed.")
    response = send_report(api_client_for(trust_manager), action.episode, form)
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    assert not action.episode.reports.filter(status=ReportStatus.SUBMITTED).exists()


def test_the_report_is_sent_as_a_form_not_as_json(
    api_client_for: ApiClientFor, trust_manager: User, action: Action
) -> None:
    api = api_client_for(trust_manager)
    response = api.post(episode_url(action.episode, "reports"), report_form(action), format="json")
    assert response.status_code == 415


# --- Reading and reviewing monthly reports ------------------------------------------------------


def test_the_oversight_body_lists_the_reports(
    api_client_for: ApiClientFor, oversight_lead: User, report: MonthlyReport
) -> None:
    assert ids(api_client_for(oversight_lead).get(REPORTS)) == [report.pk]


def test_another_trust_lists_no_reports_of_others(
    api_client_for: ApiClientFor, other_trust_manager: User, report: MonthlyReport
) -> None:
    assert ids(api_client_for(other_trust_manager).get(REPORTS)) == []


def test_it_filters_reports_by_status(api_client_for: ApiClientFor, national: User, submitted: MonthlyReport) -> None:
    api = api_client_for(national)
    assert (ids(api.get(REPORTS, {"status": "submitted"})), ids(api.get(REPORTS, {"status": "due"}))) == (
        [submitted.pk],
        [],
    )


@pytest.mark.parametrize("episode_id", ["9" * 40, "1.5", "-1", "x"])
def test_a_bad_report_filter_is_a_field_error(api_client_for: ApiClientFor, national: User, episode_id: str) -> None:
    response = api_client_for(national).get(REPORTS, {"episode": episode_id})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["episode"]


def test_a_trust_manager_opens_the_sent_report(
    api_client_for: ApiClientFor, trust_manager: User, submitted: MonthlyReport
) -> None:
    body = api_client_for(trust_manager).get(report_url(submitted)).json()
    assert (body["narrative"], body["submitted_by"]["id"]) == ("Six midwives appointed.", trust_manager.pk)


def test_another_trust_does_not_find_a_report(
    api_client_for: ApiClientFor, other_trust_manager: User, report: MonthlyReport
) -> None:
    assert api_client_for(other_trust_manager).get(report_url(report)).status_code == 404


def test_the_oversight_lead_accepts_and_the_report_is_published(
    api_client_for: ApiClientFor, oversight_lead: User, provider: Organisation, submitted: MonthlyReport
) -> None:
    response = api_client_for(oversight_lead).post(report_url(submitted, "accept"))
    assert response.json()["status"] == "accepted"
    assert list(published_reports(provider=provider)) == [submitted]


def test_cqc_may_not_accept_a_trusts_report(
    api_client_for: ApiClientFor, regulator: User, submitted: MonthlyReport
) -> None:
    response = api_client_for(regulator).post(report_url(submitted, "accept"))
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED


def test_another_trust_does_not_find_a_report_to_accept(
    api_client_for: ApiClientFor, other_trust_manager: User, submitted: MonthlyReport
) -> None:
    assert api_client_for(other_trust_manager).post(report_url(submitted, "accept")).status_code == 404


def test_a_report_not_yet_sent_cannot_be_accepted(
    api_client_for: ApiClientFor, oversight_lead: User, report: MonthlyReport
) -> None:
    response = api_client_for(oversight_lead).post(report_url(report, "accept"))
    assert response.status_code == 409


def test_the_oversight_lead_returns_the_report_and_it_may_be_sent_again(
    api_client_for: ApiClientFor, oversight_lead: User, trust_manager: User, action: Action, submitted: MonthlyReport
) -> None:
    returned = api_client_for(oversight_lead).post(
        report_url(submitted, "return"), {"comments": "Add the staffing audit."}, format="json"
    )
    assert returned.json()["status"] == "returned"
    assert send_report(api_client_for(trust_manager), action.episode, report_form(action)).status_code == 201


def test_a_trust_manager_may_not_return_a_report(
    api_client_for: ApiClientFor, trust_manager: User, submitted: MonthlyReport
) -> None:
    response = api_client_for(trust_manager).post(
        report_url(submitted, "return"), {"comments": "Not us."}, format="json"
    )
    assert response.status_code == 403


def test_another_trust_does_not_find_a_report_to_return(
    api_client_for: ApiClientFor, other_trust_manager: User, submitted: MonthlyReport
) -> None:
    response = api_client_for(other_trust_manager).post(
        report_url(submitted, "return"), {"comments": "Add the audit."}, format="json"
    )
    assert response.status_code == 404


def test_a_return_needs_comments(api_client_for: ApiClientFor, oversight_lead: User, submitted: MonthlyReport) -> None:
    response = api_client_for(oversight_lead).post(report_url(submitted, "return"), {"comments": ""}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["comments"]


# --- Query budgets ------------------------------------------------------------------------------

QUERY_BUDGET = 10


@pytest.mark.parametrize("rows", [3, 300])
def test_the_episode_list_keeps_to_a_query_budget(
    api_client_for: ApiClientFor,
    oversight_lead: User,
    episode: Episode,
    rows: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    # One open episode per provider and none overlapping: the copies are earlier episodes, one a year, that ended.
    copies_of(
        episode,
        rows - 1,
        status=lambda n: EpisodeStatus.EXITED,
        entered_on=lambda n: date(1700 + n, 1, 1),
        exited_on=lambda n: date(1700 + n, 6, 30),
    )
    api = api_client_for(oversight_lead)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = api.get(EPISODES, {"page_size": 200})
    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [3, 300])
def test_the_report_list_keeps_to_a_query_budget(
    api_client_for: ApiClientFor,
    oversight_lead: User,
    submitted: MonthlyReport,
    rows: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    copies_of(submitted, rows - 1, month=lambda n: date(1990 + n // 12, n % 12 + 1, 1))
    api = api_client_for(oversight_lead)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = api.get(REPORTS, {"page_size": 200})
    assert response.json()["count"] == rows
