from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Organisation, User
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

ApiClientFor = Callable[[User], APIClient]
ORGANISATIONS = "/api/v1/organisations/"


def test_the_public_is_told_to_authenticate(client: Client) -> None:
    response = client.get(ORGANISATIONS)
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "errors": {},
    }


def test_a_token_lists_what_the_user_may_see(
    api_client_for: ApiClientFor, trust_manager: User, provider: Organisation, other_provider: Organisation
) -> None:
    response = api_client_for(trust_manager).get(ORGANISATIONS)
    assert [o["ods_code"] for o in response.json()["results"]] == [provider.ods_code]


def test_another_trust_is_not_found(
    api_client_for: ApiClientFor, trust_manager: User, other_provider: Organisation
) -> None:
    response = api_client_for(trust_manager).get(f"{ORGANISATIONS}{other_provider.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_list_and_detail_agree_for_every_persona(
    api_client_for: ApiClientFor,
    regulator: User,
    oversight_lead: User,
    trust_manager: User,
    other_trust_manager: User,
    reviewer: User,
    national: User,
) -> None:
    everyone = Organisation.objects.all()
    for user in (regulator, oversight_lead, trust_manager, other_trust_manager, reviewer, national):
        api = api_client_for(user)
        listed = {o["id"] for o in api.get(ORGANISATIONS, {"page_size": 200}).json()["results"]}
        found = {o.pk for o in everyone if api.get(f"{ORGANISATIONS}{o.pk}/").status_code == 200}
        assert listed == found, user


def test_a_session_without_the_second_factor_is_refused(trust_manager: User) -> None:
    client = Client()
    client.force_login(trust_manager)
    assert client.get(ORGANISATIONS).status_code == 401


def test_a_fully_signed_in_session_may_use_the_api(client_for: Callable[[User], Client], trust_manager: User) -> None:
    assert client_for(trust_manager).get(ORGANISATIONS).status_code == 200


def test_it_filters_by_kind(api_client_for: ApiClientFor, national: User, other_provider: Organisation) -> None:
    response = api_client_for(national).get(ORGANISATIONS, {"kind": "nhs_trust"})
    assert [o["ods_code"] for o in response.json()["results"]] == [other_provider.ods_code]


def test_a_bad_filter_gets_a_field_error(api_client_for: ApiClientFor, national: User) -> None:
    response = api_client_for(national).get(ORGANISATIONS, {"kind": "spaceship"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["kind"]


def test_a_nul_byte_is_a_field_error_not_a_crash(api_client_for: ApiClientFor, national: User) -> None:
    response = api_client_for(national).get(ORGANISATIONS, {"q": "a\x00b"})
    assert response.status_code == 400


def test_me_shows_my_roles(api_client_for: ApiClientFor, trust_manager: User, provider: Organisation) -> None:
    body = api_client_for(trust_manager).get("/api/v1/me/").json()
    assert body["memberships"] == [
        {
            "organisation": {
                "id": provider.pk,
                "name": provider.name,
                "ods_code": provider.ods_code,
                "kind": provider.kind,
            },
            "role": "trust_manager",
        }
    ]


def test_an_unknown_api_address_answers_in_json(api_client_for: ApiClientFor, trust_manager: User) -> None:
    response = api_client_for(trust_manager).get("/api/v1/nothing-here/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("rows", [3, 300])
def test_the_organisation_list_keeps_to_a_query_budget(
    api_client_for: ApiClientFor, national: User, rows: int, django_assert_max_num_queries
) -> None:
    OrganisationFactory.create_batch(rows)
    api = api_client_for(national)
    with django_assert_max_num_queries(6):
        api.get(ORGANISATIONS, {"page_size": 200})


def test_the_schema_documents_the_error_body(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    responses = schema["paths"]["/api/v1/organisations/{id}/"]["get"]["responses"]
    assert responses["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
