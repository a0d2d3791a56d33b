"""CQC's recommendations through the API and the pages: the oversight lead's queue, one decision only, refusals
for the wrong body or role, the home page's work item, the episode form's real inspections, and the demo."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Organisation, OrganisationKind, Role, User
from failure_regime.demo import seed_demo
from failure_regime.models import (
    Basis,
    Episode,
    Inspection,
    Recommendation,
    RecommendationStatus,
)
from failure_regime.selectors import recommendations_awaiting_decision
from failure_regime.services.recommendations import recommendation_make
from failure_regime.work import work_for_user
from failure_regime.work_sources import RECOMMENDATIONS
from tests.factories import OrganisationFactory, member, sole_organisation
from tests.failure_regime.inspection_helpers import rated_inspection

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
ApiClientFor = Callable[[User], APIClient]
RECOMMENDATIONS_API = "/api/v1/recommendations/"
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


def detail(recommendation: Recommendation, *parts: str) -> str:
    return RECOMMENDATIONS_API + "".join(f"{part}/" for part in (recommendation.pk, *parts))


# --- API ----------------------------------------------------------------------------------------------

API_ENDPOINTS = [
    ("get", RECOMMENDATIONS_API),
    ("post", RECOMMENDATIONS_API),
    ("get", RECOMMENDATIONS_API + "{pk}/"),
    ("post", RECOMMENDATIONS_API + "{pk}/decision/"),
    ("post", RECOMMENDATIONS_API + "{pk}/withdraw/"),
]


@pytest.mark.parametrize(("method", "path"), API_ENDPOINTS)
def test_the_api_tells_the_public_to_authenticate(
    client: Client, recommendation: Recommendation, method: str, path: str
) -> None:
    response = getattr(client, method)(path.format(pk=recommendation.pk))
    assert response.status_code == 401


def test_the_endpoints_above_are_every_recommendation_endpoint_and_document_409(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    documented = {
        (method, path.replace("{id}", "{pk}"))
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/recommendations/")
        for method in operations
        if method in {"get", "post"}
    }
    assert documented == set(API_ENDPOINTS)
    assert "409" in schema["paths"]["/api/v1/recommendations/{id}/decision/"]["post"]["responses"]


def test_a_cqc_decision_maker_recommends_through_the_api(
    api_client_for: ApiClientFor, regulator: User, inspection: Inspection, oversight_lead: User
) -> None:
    response = api_client_for(regulator).post(
        RECOMMENDATIONS_API, {"inspection": inspection.pk, "reasons": REASONS}, format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["status"], data["decision_due_on"], data["oversight_body"]["ods_code"]) == (
        "awaiting_decision",
        (today() + timedelta(days=28)).isoformat(),
        "MON",
    )


def test_a_recommendation_on_a_good_rating_is_a_field_error(
    api_client_for: ApiClientFor, regulator: User, provider: Organisation, inspector: User
) -> None:
    good = rated_inspection(provider, inspector, today(), overall="good", well_led="requires_improvement")
    response = api_client_for(regulator).post(
        RECOMMENDATIONS_API, {"inspection": good.pk, "reasons": REASONS}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"inspection"}


def test_an_inspector_may_not_recommend_through_the_api(
    api_client_for: ApiClientFor, inspector: User, inspection: Inspection
) -> None:
    response = api_client_for(inspector).post(
        RECOMMENDATIONS_API, {"inspection": inspection.pk, "reasons": REASONS}, format="json"
    )
    assert response.status_code == 403


def test_the_oversight_lead_places_through_the_api_once(
    api_client_for: ApiClientFor, recommendation: Recommendation, oversight_lead: User, inspection: Inspection
) -> None:
    api = api_client_for(oversight_lead)
    response = api.post(detail(recommendation, "decision"), {"decision": "place", "reasons": "Agreed."}, format="json")
    assert response.status_code == 200, response.json()
    episode = Episode.objects.get(pk=response.json()["episode"])
    assert (episode.basis, episode.recommending_inspection) == (Basis.CQC_RECOMMENDATION, inspection)
    again = api.post(detail(recommendation, "decision"), {"decision": "not_place", "reasons": "No."}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


def test_the_api_decision_needs_reasons(
    api_client_for: ApiClientFor, recommendation: Recommendation, oversight_lead: User
) -> None:
    response = api_client_for(oversight_lead).post(
        detail(recommendation, "decision"), {"decision": "not_place", "reasons": ""}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"reasons"}


def test_another_oversight_body_does_not_find_the_recommendation(
    api_client_for: ApiClientFor, recommendation: Recommendation, nhs_england: Organisation, trust_manager: User
) -> None:
    stranger = member(nhs_england, Role.OVERSIGHT_LEAD)
    for user in (stranger, trust_manager):
        api = api_client_for(user)
        assert api.get(detail(recommendation)).status_code == 404
        body = {"decision": "place", "reasons": "Yes."}
        assert api.post(detail(recommendation, "decision"), body, format="json").status_code == 404
        assert api.get(RECOMMENDATIONS_API).json()["count"] == 0


def test_cqc_sees_the_recommendation_but_may_not_decide(
    api_client_for: ApiClientFor, recommendation: Recommendation, regulator: User, national: User
) -> None:
    for user in (regulator, national):
        api = api_client_for(user)
        assert api.get(detail(recommendation)).status_code == 200
        body = {"decision": "place", "reasons": "Yes."}
        assert api.post(detail(recommendation, "decision"), body, format="json").status_code == 403
    recommendation.refresh_from_db()
    assert recommendation.is_awaiting


def test_the_api_withdraws_once(
    api_client_for: ApiClientFor, recommendation: Recommendation, regulator: User, oversight_lead: User
) -> None:
    body = {"reasons": "Improved at re-inspection."}
    assert (
        api_client_for(oversight_lead).post(detail(recommendation, "withdraw"), body, format="json").status_code == 403
    )
    assert api_client_for(regulator).post(detail(recommendation, "withdraw"), body, format="json").status_code == 200
    assert api_client_for(regulator).post(detail(recommendation, "withdraw"), body, format="json").status_code == 409


def test_the_api_gives_the_queue_and_filters(
    api_client_for: ApiClientFor, recommendation: Recommendation, oversight_lead: User, regulator: User
) -> None:
    mine = api_client_for(oversight_lead).get(RECOMMENDATIONS_API, {"awaiting_my_decision": "true"}).json()
    assert [r["id"] for r in mine["results"]] == [recommendation.pk]
    assert api_client_for(regulator).get(RECOMMENDATIONS_API, {"awaiting_my_decision": "true"}).json()["count"] == 0
    assert api_client_for(regulator).get(RECOMMENDATIONS_API, {"status": "placed"}).json()["count"] == 0
    assert api_client_for(regulator).get(RECOMMENDATIONS_API, {"provider": "RXX"}).json()["count"] == 1


def _recommendations(monitor: Organisation, regulator: User, inspector: User, rows: int) -> None:
    for _ in range(rows):
        trust = OrganisationFactory.create(kind=OrganisationKind.NHS_TRUST, oversight_body=monitor)
        recommendation_make(
            actor=regulator,
            organisation=sole_organisation(regulator),
            inspection=rated_inspection(trust, inspector, today()),
            reasons=REASONS,
        )


def _queries(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_the_queue_takes_the_same_queries_with_few_and_many_rows(
    api_client_for: ApiClientFor,
    client_for: ClientFor,
    monitor: Organisation,
    regulator: User,
    inspector: User,
    oversight_lead: User,
) -> None:
    api, page = api_client_for(oversight_lead), client_for(oversight_lead)

    def measure() -> tuple[int, int, int]:
        return (
            _queries(lambda: api.get(RECOMMENDATIONS_API, {"awaiting_my_decision": "true", "page_size": "200"})),
            _queries(lambda: page.get(reverse("regime:recommendation-list"))),
            _queries(lambda: list(recommendations_awaiting_decision(user=oversight_lead))),
        )

    _recommendations(monitor, regulator, inspector, 2)
    measure()  # the first request reads the content types and permissions, which are then cached
    few = measure()
    _recommendations(monitor, regulator, inspector, 25)
    many = measure()
    assert few == many
    assert api.get(RECOMMENDATIONS_API, {"awaiting_my_decision": "true"}).json()["count"] == 27


# --- Pages --------------------------------------------------------------------------------------------


def test_the_pages_send_the_public_to_sign_in(client: Client, recommendation: Recommendation) -> None:
    for method, url in (
        ("get", reverse("regime:recommendation-list")),
        ("get", reverse("regime:recommendation-new")),
        ("get", reverse("regime:recommendation-detail", args=[recommendation.pk])),
        ("post", reverse("regime:recommendation-decide", args=[recommendation.pk])),
        ("post", reverse("regime:recommendation-withdraw", args=[recommendation.pk])),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))


def test_a_cqc_decision_maker_recommends_on_the_page(
    client_for: ClientFor, regulator: User, inspection: Inspection, oversight_lead: User
) -> None:
    page = client_for(regulator)
    form = page.get(reverse("regime:recommendation-new"), {"inspection": inspection.pk})
    assert form.status_code == 200 and "Mid Shire Hospitals" in form.content.decode()
    response = page.post(reverse("regime:recommendation-new"), {"inspection": inspection.pk, "reasons": REASONS})
    recommendation = Recommendation.objects.get()
    assert response["Location"] == reverse("regime:recommendation-detail", args=[recommendation.pk])


def test_the_recommend_page_does_not_offer_a_good_rating(
    client_for: ClientFor, regulator: User, provider: Organisation, inspector: User
) -> None:
    good = rated_inspection(provider, inspector, today(), overall="good", well_led="good")
    response = client_for(regulator).post(reverse("regime:recommendation-new"), {"inspection": good.pk, "reasons": "x"})
    assert response.status_code == 400
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize("who", ["inspector", "oversight_lead", "trust_manager"])
def test_only_cqc_decision_makers_get_the_recommend_page(
    client_for: ClientFor, who: str, request: pytest.FixtureRequest
) -> None:
    assert client_for(request.getfixturevalue(who)).get(reverse("regime:recommendation-new")).status_code == 403


def test_the_oversight_lead_sees_the_queue_and_places_on_the_page(
    client_for: ClientFor, recommendation: Recommendation, oversight_lead: User
) -> None:
    page = client_for(oversight_lead)
    queue = page.get(reverse("regime:recommendation-list")).content.decode()
    assert "Waiting for your decision" in queue and "Mid Shire Hospitals" in queue
    shown = page.get(reverse("regime:recommendation-detail", args=[recommendation.pk])).content.decode()
    assert "Your decision" in shown
    response = page.post(
        reverse("regime:recommendation-decide", args=[recommendation.pk]), {"decision": "place", "reasons": "Agreed."}
    )
    assert response.status_code == 302
    recommendation.refresh_from_db()
    assert recommendation.status == RecommendationStatus.PLACED


def test_a_second_decision_on_the_page_is_a_form_error(
    client_for: ClientFor, recommendation: Recommendation, oversight_lead: User
) -> None:
    page = client_for(oversight_lead)
    url = reverse("regime:recommendation-decide", args=[recommendation.pk])
    page.post(url, {"decision": "not_place", "reasons": "No."})
    response = page.post(url, {"decision": "place", "reasons": "Yes."})
    assert response.status_code == 400
    assert "already been dealt with" in response.content.decode()
    assert not Episode.objects.exists()


def test_the_wrong_role_or_body_is_refused_on_the_page(
    client_for: ClientFor,
    recommendation: Recommendation,
    regulator: User,
    trust_manager: User,
    nhs_england: Organisation,
) -> None:
    url = reverse("regime:recommendation-decide", args=[recommendation.pk])
    body = {"decision": "place", "reasons": "Yes."}
    assert client_for(regulator).post(url, body).status_code == 403
    assert client_for(trust_manager).post(url, body).status_code == 404
    assert client_for(member(nhs_england, Role.OVERSIGHT_LEAD)).post(url, body).status_code == 404
    shown = client_for(regulator).get(reverse("regime:recommendation-detail", args=[recommendation.pk]))
    assert shown.status_code == 200 and "Your decision" not in shown.content.decode()


def test_cqc_withdraws_on_the_page(client_for: ClientFor, recommendation: Recommendation, regulator: User) -> None:
    url = reverse("regime:recommendation-withdraw", args=[recommendation.pk])
    assert client_for(regulator).post(url, {"reasons": ""}).status_code == 400
    assert client_for(regulator).post(url, {"reasons": "Improved."}).status_code == 302
    recommendation.refresh_from_db()
    assert recommendation.status == RecommendationStatus.WITHDRAWN


def test_the_oversight_lead_may_not_withdraw_on_the_page(
    client_for: ClientFor, recommendation: Recommendation, oversight_lead: User
) -> None:
    url = reverse("regime:recommendation-withdraw", args=[recommendation.pk])
    assert client_for(oversight_lead).post(url, {"reasons": "No."}).status_code == 403


# --- The home page, the episode form and the demo -----------------------------------------------------


def test_the_recommendation_is_work_for_the_oversight_lead_only(
    recommendation: Recommendation, oversight_lead: User, regulator: User
) -> None:
    items = [i for i in work_for_user(user=oversight_lead) if i.group == RECOMMENDATIONS]
    assert [(i.title, i.due, i.overdue) for i in items] == [
        (f"{recommendation.provider.name}: CQC recommends special measures", recommendation.decision_due_on, False)
    ]
    assert [i for i in work_for_user(user=regulator) if i.group == RECOMMENDATIONS] == []


def test_the_episode_form_offers_real_inspections_on_cqcs_recommendation(
    client_for: ClientFor, oversight_lead: User, inspection: Inspection, provider: Organisation, inspector: User
) -> None:
    good = rated_inspection(provider, inspector, today(), overall="good", well_led="good")
    page = client_for(oversight_lead)
    form = page.get(reverse("regime:episode-new"))
    field = form.context["form"].fields["recommending_inspection"]
    assert list(field.queryset) == [inspection]
    assert good not in field.queryset
    response = page.post(
        reverse("regime:episode-new"),
        {
            "provider": provider.pk,
            "entered_on": today().isoformat(),
            "basis": Basis.CQC_RECOMMENDATION,
            "recommending_inspection": inspection.pk,
        },
    )
    assert response.status_code == 302
    assert Episode.objects.get().recommending_inspection == inspection


def test_the_demo_has_a_tda_oversight_lead_with_a_recommendation_to_decide() -> None:
    seed_demo()
    seed_demo()  # idempotent
    lead = User.objects.get(email="oversight.lead@tda.example")
    waiting = list(recommendations_awaiting_decision(user=lead))
    assert [r.provider.ods_code for r in waiting] == ["RLT"]
    assert waiting[0].inspection.overall == "inadequate" and waiting[0].inspection.published_on is not None
    assert Recommendation.objects.count() == 1


def test_the_trust_sees_the_recommendation_once_decided(
    client_for: ClientFor, recommendation: Recommendation, oversight_lead: User, trust_manager: User
) -> None:
    url = reverse("regime:recommendation-detail", args=[recommendation.pk])
    assert client_for(trust_manager).get(url).status_code == 404
    client_for(oversight_lead).post(
        reverse("regime:recommendation-decide", args=[recommendation.pk]), {"decision": "not_place", "reasons": "No."}
    )
    shown = client_for(trust_manager).get(url)
    assert shown.status_code == 200 and "Your decision" not in shown.content.decode()
