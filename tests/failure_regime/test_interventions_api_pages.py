"""The interventions register through the staff pages and the API: who sees and does what, field errors, and the
episode page's query budget with few and many interventions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Organisation, OrganisationKind, Role, User
from failure_regime.models import Basis, Episode, Intervention, InterventionKind
from failure_regime.services import interventions as iv
from failure_regime.services import special_measures as sm
from failure_regime.verbs import InterventionVerb
from tests.factories import OrganisationFactory, member
from tests.failure_regime.inspection_helpers import rated_inspection

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
ApiClientFor = Callable[[User], APIClient]


def today() -> Any:
    return timezone.localdate()


@pytest.fixture
def episode(oversight_lead: User, provider: Organisation, trust_manager: User) -> Episode:
    return sm.episode_enter(
        actor=oversight_lead,
        provider=provider,
        entered_on=today() - timedelta(days=40),
        basis=Basis.OWN_EVIDENCE,
        improvement_director="Dr Ada Lane",
    )


@pytest.fixture
def ada(episode: Episode) -> Intervention:
    return episode.interventions.get(kind=InterventionKind.IMPROVEMENT_DIRECTOR)


def add(actor: User, episode: Episode, n: int = 0, **overrides: Any) -> Intervention:
    fields: dict[str, Any] = {
        "kind": InterventionKind.LEADERSHIP_CHANGE,
        "title": f"Board change {n}",
        "starts_on": episode.entered_on,
        "owner": actor,
        "owner_organisation": actor.memberships.get().organisation,
        "review_on": today() + timedelta(days=60),
        **overrides,
    }
    return iv.intervention_add(actor=actor, episode=episode, **fields)


def form_body(owner: User, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "financial_support",
        "title": "Cash support",
        "description": "",
        "starts_on": today().isoformat(),
        "owner": owner.pk,
        "review_on": (today() + timedelta(days=30)).isoformat(),
        "status": "in_place",
        **overrides,
    }


# --- The episode page ----------------------------------------------------------------------------


def test_the_episode_page_shows_the_register_and_the_current_director(
    client_for: ClientFor, episode: Episode, oversight_lead: User, ada: Intervention
) -> None:
    add(oversight_lead, episode)
    page = client_for(oversight_lead).get(reverse("regime:episode-detail", args=[episode.pk]))
    assert [label for label, _ in page.context["intervention_groups"]] == [
        "Improvement director",
        "Leadership or board change",
    ]
    assert page.context["improvement_director"] == ada
    assert page.context["may_add_intervention"] is True
    assert "Dr Ada Lane" in page.content.decode()


def test_the_trust_sees_the_register_but_may_not_add(
    client_for: ClientFor, episode: Episode, trust_manager: User
) -> None:
    page = client_for(trust_manager).get(reverse("regime:episode-detail", args=[episode.pk]))
    assert page.context["may_add_intervention"] is False
    assert reverse("regime:intervention-new", args=[episode.pk]) not in page.content.decode()


@pytest.mark.parametrize("many", [1, 25])
def test_the_episode_page_keeps_its_query_budget(
    client_for: ClientFor,
    episode: Episode,
    oversight_lead: User,
    many: int,
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(many):
        add(oversight_lead, episode, n)
    client = client_for(oversight_lead)
    with django_assert_max_num_queries(30):
        page = client.get(reverse("regime:episode-detail", args=[episode.pk]))
    assert sum(len(group) for _, group in page.context["intervention_groups"]) == many + 1


def test_the_episode_page_makes_the_same_queries_with_few_and_many(
    client_for: ClientFor, episode: Episode, oversight_lead: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(oversight_lead)
    url = reverse("regime:episode-detail", args=[episode.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(20):
        add(oversight_lead, episode, n)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


# --- Recording on the page -----------------------------------------------------------------------


def test_the_oversight_lead_records_an_intervention(
    client_for: ClientFor, episode: Episode, oversight_lead: User
) -> None:
    client = client_for(oversight_lead)
    url = reverse("regime:intervention-new", args=[episode.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, form_body(oversight_lead))
    assert response.status_code == 302
    support = episode.interventions.get(kind="financial_support")
    assert (support.owner, support.owner_organisation.ods_code) == (oversight_lead, "MON")


def test_bad_input_on_the_page_shows_field_errors(
    client_for: ClientFor, episode: Episode, oversight_lead: User
) -> None:
    body = form_body(oversight_lead, kind="improvement_director", review_on=(today() - timedelta(days=1)).isoformat())
    response = client_for(oversight_lead).post(reverse("regime:intervention-new", args=[episode.pk]), body)
    assert response.status_code == 400
    assert {"person_name", "person_organisation", "review_on"} <= set(response.context["form"].errors)


def test_the_trust_is_refused_with_the_reason(client_for: ClientFor, episode: Episode, trust_manager: User) -> None:
    response = client_for(trust_manager).get(reverse("regime:intervention-new", args=[episode.pk]))
    assert response.status_code == 403
    assert "record its interventions" in response.content.decode()


def test_another_trusts_episode_is_not_found(
    client_for: ClientFor, episode: Episode, ada: Intervention, other_trust_manager: User
) -> None:
    client = client_for(other_trust_manager)
    assert client.get(reverse("regime:intervention-new", args=[episode.pk])).status_code == 404
    assert client.get(reverse("regime:intervention-detail", args=[episode.pk, ada.pk])).status_code == 404
    assert client.post(reverse("regime:intervention-end", args=[episode.pk, ada.pk])).status_code == 404


def test_an_intervention_of_another_episode_is_not_found(
    client_for: ClientFor, episode: Episode, ada: Intervention, regulator: User, oversight_lead: User
) -> None:
    practice = OrganisationFactory.create(kind=OrganisationKind.GP_PRACTICE)
    on = today() - timedelta(days=5)
    other = sm.episode_enter(
        actor=regulator,
        provider=practice,
        entered_on=on,
        basis=Basis.CQC_DECISION,
        recommending_inspection=rated_inspection(practice, regulator, on),
    )
    url = reverse("regime:intervention-detail", args=[other.pk, ada.pk])
    assert client_for(regulator).get(url).status_code == 404


def test_a_licence_condition_from_cqc_is_refused_with_the_reason(
    client_for: ClientFor, regulator: User, cqc: Organisation
) -> None:
    practice = OrganisationFactory.create(kind=OrganisationKind.GP_PRACTICE)
    on = today() - timedelta(days=5)
    episode = sm.episode_enter(
        actor=regulator,
        provider=practice,
        entered_on=on,
        basis=Basis.CQC_DECISION,
        recommending_inspection=rated_inspection(practice, regulator, on),
    )
    response = client_for(regulator).post(
        reverse("regime:intervention-new", args=[episode.pk]), form_body(regulator, kind="licence_condition")
    )
    assert response.status_code == 400
    assert "oversight body" in response.context["form"].errors["kind"][0]
    assert not episode.interventions.exists()


def test_the_public_is_sent_to_sign_in(client: Client, episode: Episode, ada: Intervention) -> None:
    for method, url in (
        ("get", reverse("regime:intervention-new", args=[episode.pk])),
        ("get", reverse("regime:intervention-detail", args=[episode.pk, ada.pk])),
        ("post", reverse("regime:intervention-review", args=[episode.pk, ada.pk])),
        ("post", reverse("regime:intervention-hand-over", args=[episode.pk, ada.pk])),
        ("post", reverse("regime:intervention-end", args=[episode.pk, ada.pk])),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))


# --- The intervention page -----------------------------------------------------------------------


def test_the_director_is_handed_over_on_the_page(
    client_for: ClientFor, episode: Episode, ada: Intervention, oversight_lead: User
) -> None:
    client = client_for(oversight_lead)
    page = client.get(reverse("regime:intervention-detail", args=[episode.pk, ada.pk]))
    assert page.context["hand_over_form"] is not None
    body = {
        "person_name": "Dr Ben Moss",
        "person_organisation": "NHS England",
        "on": today().isoformat(),
        "owner": oversight_lead.pk,
        "review_on": (today() + timedelta(days=90)).isoformat(),
    }
    response = client.post(reverse("regime:intervention-hand-over", args=[episode.pk, ada.pk]), body)
    assert response.status_code == 302
    ada.refresh_from_db()
    ben = ada.replaced_by
    assert (ada.status, ada.ends_on, ben.person_name, ben.starts_on) == ("ended", today(), "Dr Ben Moss", today())
    page = client.get(reverse("regime:episode-detail", args=[episode.pk]))
    assert page.context["improvement_director"] == ben
    assert InterventionVerb.DIRECTOR_HANDED_OVER in [e.verb for e, _ in page.context["timeline"]]


def test_a_hand_over_with_bad_input_shows_the_errors(
    client_for: ClientFor, episode: Episode, ada: Intervention, oversight_lead: User
) -> None:
    url = reverse("regime:intervention-hand-over", args=[episode.pk, ada.pk])
    response = client_for(oversight_lead).post(url, {"person_name": "", "on": "", "owner": oversight_lead.pk})
    assert response.status_code == 400
    assert {"person_name", "person_organisation", "on", "review_on"} <= set(response.context["failed_form"].errors)


def test_the_review_and_end_forms_work_without_script(
    client_for: ClientFor, episode: Episode, ada: Intervention, oversight_lead: User
) -> None:
    client = client_for(oversight_lead)
    review = {"status": "under_review", "review_on": (today() + timedelta(days=14)).isoformat(), "note": "Checking"}
    assert client.post(reverse("regime:intervention-review", args=[episode.pk, ada.pk]), review).status_code == 302
    ada.refresh_from_db()
    assert ada.status == "under_review"
    end = {"ended_on": today().isoformat(), "reason": "No longer needed."}
    assert client.post(reverse("regime:intervention-end", args=[episode.pk, ada.pk]), end).status_code == 302
    ada.refresh_from_db()
    assert ada.status == "ended"


def test_the_trust_may_read_but_not_change_an_intervention(
    client_for: ClientFor, episode: Episode, ada: Intervention, trust_manager: User
) -> None:
    client = client_for(trust_manager)
    page = client.get(reverse("regime:intervention-detail", args=[episode.pk, ada.pk]))
    assert page.status_code == 200 and page.context["end_form"] is None
    end = {"ended_on": today().isoformat(), "reason": "No."}
    response = client.post(reverse("regime:intervention-end", args=[episode.pk, ada.pk]), end)
    assert response.status_code == 403
    ada.refresh_from_db()
    assert ada.status == "in_place"


# --- API ------------------------------------------------------------------------------------------


API_LIST = "/api/v1/interventions/"


def api_detail(intervention: Intervention, step: str = "") -> str:
    return f"{API_LIST}{intervention.pk}/" + (f"{step}/" if step else "")


def api_body(episode: Episode, **overrides: Any) -> dict[str, Any]:
    return {
        "episode": episode.pk,
        "kind": "intensive_support",
        "title": "Intensive support team",
        "starts_on": today().isoformat(),
        "review_on": (today() + timedelta(days=30)).isoformat(),
        **overrides,
    }


def test_the_api_lists_one_episodes_register(
    api_client_for: ApiClientFor, episode: Episode, ada: Intervention, trust_manager: User, oversight_lead: User
) -> None:
    add(oversight_lead, episode)
    body = (
        api_client_for(trust_manager).get(API_LIST, {"episode": str(episode.pk), "kind": "improvement_director"}).json()
    )
    assert [(i["id"], i["person_name"], i["status"]) for i in body["results"]] == [(ada.pk, "Dr Ada Lane", "in_place")]


def test_the_api_hides_other_providers_interventions(
    api_client_for: ApiClientFor, ada: Intervention, other_trust_manager: User
) -> None:
    api = api_client_for(other_trust_manager)
    assert api.get(API_LIST).json()["results"] == []
    response = api.get(api_detail(ada))
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_the_api_records_an_intervention(api_client_for: ApiClientFor, episode: Episode, oversight_lead: User) -> None:
    response = api_client_for(oversight_lead).post(API_LIST, api_body(episode), format="json")
    assert response.status_code == 201
    assert (response.json()["owner"]["id"], response.json()["owner_organisation"]["ods_code"]) == (
        oversight_lead.pk,
        "MON",
    )


def test_the_api_refuses_a_licence_condition_from_another_body(
    api_client_for: ApiClientFor, episode: Episode, nhs_england: Organisation
) -> None:
    lead = member(nhs_england, Role.NATIONAL_OVERSIGHT)
    body = api_body(episode, kind="licence_condition")
    response = api_client_for(lead).post(API_LIST, body, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert "oversight body" in response.json()["detail"]


def test_the_api_gives_field_errors(api_client_for: ApiClientFor, episode: Episode, oversight_lead: User) -> None:
    body = api_body(episode, kind="partner_agreement", review_on="2000-01-01", starts_on="not a date")
    response = api_client_for(oversight_lead).post(API_LIST, body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"starts_on"}
    body = api_body(episode, kind="partner_agreement", review_on="2000-01-01")
    response = api_client_for(oversight_lead).post(API_LIST, body, format="json")
    assert set(response.json()["errors"]) == {"partner", "review_on"}


def test_the_api_does_not_find_an_episode_the_caller_may_not_see(
    api_client_for: ApiClientFor, episode: Episode, other_trust_manager: User
) -> None:
    response = api_client_for(other_trust_manager).post(API_LIST, api_body(episode), format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"episode"}


def test_the_api_reviews_hands_over_and_ends(
    api_client_for: ApiClientFor, ada: Intervention, oversight_lead: User
) -> None:
    api = api_client_for(oversight_lead)
    next_review = (today() + timedelta(days=10)).isoformat()
    response = api.post(api_detail(ada, "review"), {"status": "under_review", "review_on": next_review}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "under_review")
    body = {"person_name": "Dr Ben Moss", "person_organisation": "NHS England", "on": today().isoformat()}
    response = api.post(api_detail(ada, "hand-over"), {**body, "review_on": next_review}, format="json")
    assert (response.status_code, response.json()["replaces"]) == (201, ada.pk)
    ben = Intervention.objects.get(pk=response.json()["id"])
    response = api.post(api_detail(ben, "end"), {"ended_on": today().isoformat(), "reason": "Exit"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "ended")
    response = api.post(api_detail(ben, "end"), {"ended_on": today().isoformat(), "reason": "Again"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "conflict")


def test_the_api_current_filter(api_client_for: ApiClientFor, ada: Intervention, oversight_lead: User) -> None:
    api = api_client_for(oversight_lead)
    iv.intervention_end(actor=oversight_lead, intervention=ada, ended_on=today(), reason="Done")
    assert api.get(API_LIST, {"current": "true"}).json()["results"] == []
    assert [i["id"] for i in api.get(API_LIST, {"current": "false"}).json()["results"]] == [ada.pk]


@pytest.mark.parametrize(("method", "step"), [("get", ""), ("post", "review"), ("post", "hand-over"), ("post", "end")])
def test_the_api_tells_the_public_to_authenticate(client: Client, ada: Intervention, method: str, step: str) -> None:
    assert getattr(client, method)(api_detail(ada, step)).status_code == 401
    assert client.post(API_LIST, {}).status_code == 401
