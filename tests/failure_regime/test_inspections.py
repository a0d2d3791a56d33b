"""CQC's inspections of any provider: recording them with their ratings and published report, who sees them before
publication, a provider's rating history and its current published ratings; in the service, the API and the pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Organisation, OrganisationKind, User
from failure_regime.models import Inspection
from failure_regime.selectors import inspection_list_for_user, provider_current_ratings, provider_rating_history
from failure_regime.services.inspections import inspection_add, inspection_publish
from tests.factories import OrganisationFactory, sole_organisation
from tests.failure_regime.inspection_helpers import rated_inspection

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
ApiClientFor = Callable[[User], APIClient]
INSPECTIONS = "/api/v1/inspections/"
RATINGS = {
    "safe": "inadequate",
    "effective": "requires_improvement",
    "caring": "good",
    "responsive": "requires_improvement",
    "well_led": "inadequate",
    "overall": "inadequate",
}
REPORT = {"report_reference": "INS2-123", "report_url": "https://www.cqc.org.uk/provider/RXX"}


def today() -> date:
    return timezone.localdate()


def add(actor: User, provider: Organisation, **overrides: Any) -> Inspection:
    fields: dict[str, Any] = {"carried_out_on": today() - timedelta(days=10), "ratings": RATINGS, **overrides}
    return inspection_add(actor=actor, organisation=sole_organisation(actor), provider=provider, **fields)


@pytest.fixture
def published(inspector: User, provider: Organisation) -> Inspection:
    return add(inspector, provider, published_on=today() - timedelta(days=2), **REPORT)


@pytest.fixture
def unpublished(inspector: User, provider: Organisation) -> Inspection:
    return add(inspector, provider)


# --- Recording --------------------------------------------------------------------------------------


def test_an_inspector_records_an_inspection_of_a_provider_outside_special_measures(
    published: Inspection, provider: Organisation
) -> None:
    assert (published.provider, published.episode, published.overall, published.well_led) == (
        provider,
        None,
        "inadequate",
        "inadequate",
    )
    assert (published.report_reference, published.published_on) == ("INS2-123", today() - timedelta(days=2))
    event = AuditEvent.objects.get(verb="inspection.recorded")
    assert event.after["report_url"] == REPORT["report_url"]


def test_cqc_records_a_care_home_inspection(cqc: Organisation, regulator: User) -> None:
    home = OrganisationFactory.create(kind=OrganisationKind.ADULT_SOCIAL_CARE)
    assert add(regulator, home).provider == home


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"carried_out_on": timezone.localdate() + timedelta(days=400)}, "carried_out_on"),
        ({"published_on": timezone.localdate() - timedelta(days=30), **REPORT}, "published_on"),  # before carried out
        ({"published_on": timezone.localdate() + timedelta(days=400), **REPORT}, "published_on"),
        (
            {"published_on": timezone.localdate(), "report_reference": "X1", "report_url": "http://cqc.org.uk/r"},
            "report_url",
        ),
        (
            {"published_on": timezone.localdate(), "report_reference": "X1", "report_url": "javascript:alert(1)"},
            "report_url",
        ),
        ({"published_on": timezone.localdate(), "report_url": "https://cqc.org.uk/r"}, "report_reference"),
        ({**REPORT}, "published_on"),
        ({"ratings": {**RATINGS, "caring": "splendid"}}, "caring"),
        ({"ratings": {k: v for k, v in RATINGS.items() if k != "overall"}}, "overall"),
    ],
)
def test_it_refuses_bad_input_field_by_field(
    inspector: User, provider: Organisation, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        add(inspector, provider, **overrides)
    assert field in error.value.message_dict
    assert not Inspection.objects.exists()


def test_an_organisation_that_is_not_a_provider_is_refused(inspector: User, monitor: Organisation) -> None:
    with pytest.raises(ValidationError) as error:
        add(inspector, monitor)
    assert "provider" in error.value.message_dict


@pytest.mark.parametrize("who", ["oversight_lead", "trust_manager", "national"])
def test_only_cqc_records_inspections(provider: Organisation, who: str, request: pytest.FixtureRequest) -> None:
    with pytest.raises(PermissionDenied):
        add(request.getfixturevalue(who), provider)


def test_the_report_is_published_later_once(unpublished: Inspection, inspector: User) -> None:
    done = inspection_publish(
        actor=inspector,
        organisation=sole_organisation(inspector),
        inspection=unpublished,
        published_on=today(),
        **REPORT,
    )
    assert done.published_on == today()
    assert AuditEvent.objects.filter(verb="inspection.published").count() == 1
    with pytest.raises(ValidationError):
        inspection_publish(
            actor=inspector,
            organisation=sole_organisation(inspector),
            inspection=unpublished,
            published_on=today(),
            **REPORT,
        )


# --- Who sees what ----------------------------------------------------------------------------------


def test_before_publication_only_cqc_the_provider_and_its_overseer_see_it(
    unpublished: Inspection,
    inspector: User,
    trust_manager: User,
    oversight_lead: User,
    national: User,
    other_trust_manager: User,
) -> None:
    for user in (inspector, trust_manager, oversight_lead, national):
        assert list(inspection_list_for_user(user=user)) == [unpublished]
    assert list(inspection_list_for_user(user=other_trust_manager)) == []


def test_once_published_every_staff_member_sees_it(published: Inspection, other_trust_manager: User) -> None:
    assert list(inspection_list_for_user(user=other_trust_manager)) == [published]


def test_the_rating_history_is_newest_first(inspector: User, provider: Organisation, trust_manager: User) -> None:
    old = add(inspector, provider, carried_out_on=today() - timedelta(days=400))
    new = add(inspector, provider)
    assert list(provider_rating_history(user=trust_manager, provider=provider)) == [new, old]


def test_current_ratings_are_the_latest_published(
    inspector: User, provider: Organisation, other_provider: Organisation, django_assert_num_queries: Any
) -> None:
    older = add(
        inspector,
        provider,
        carried_out_on=today() - timedelta(days=400),
        published_on=today() - timedelta(days=300),
        **REPORT,
    )
    add(inspector, provider, carried_out_on=today() - timedelta(days=5))  # not yet published
    with django_assert_num_queries(1):
        current = provider_current_ratings(providers=[provider, other_provider.pk])
    assert current == {provider.pk: older}
    assert current[provider.pk].overall == "inadequate"


@pytest.mark.parametrize("rows", [2, 40])
def test_current_ratings_take_one_query_for_any_number_of_providers(
    inspector: User, rows: int, django_assert_num_queries: Any
) -> None:
    providers = [OrganisationFactory.create() for _ in range(rows)]
    for provider in providers:
        inspection = rated_inspection(provider, inspector, today() - timedelta(days=9))
        Inspection.objects.filter(pk=inspection.pk).update(published_on=today(), **REPORT)
    with django_assert_num_queries(1):
        current = provider_current_ratings(providers=providers)
    assert len(current) == rows


# --- API --------------------------------------------------------------------------------------------


def body(provider: Organisation, **overrides: Any) -> dict[str, Any]:
    return {
        "provider": provider.pk,
        "carried_out_on": (today() - timedelta(days=10)).isoformat(),
        **RATINGS,
        **REPORT,
        "published_on": today().isoformat(),
        **overrides,
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", INSPECTIONS),
        ("post", INSPECTIONS),
        ("get", INSPECTIONS + "{pk}/"),
        ("post", INSPECTIONS + "{pk}/publish/"),
    ],
)
def test_the_api_tells_the_public_to_authenticate(
    client: Client, unpublished: Inspection, method: str, path: str
) -> None:
    response = getattr(client, method)(path.format(pk=unpublished.pk))
    assert response.status_code == 401


def test_an_inspector_records_an_inspection_through_the_api(
    api_client_for: ApiClientFor, inspector: User, provider: Organisation
) -> None:
    response = api_client_for(inspector).post(INSPECTIONS, body(provider), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["ratings"]["overall"], data["report_reference"], data["episode"]) == ("inadequate", "INS2-123", None)


def test_the_api_gives_field_errors(api_client_for: ApiClientFor, inspector: User, provider: Organisation) -> None:
    response = api_client_for(inspector).post(
        INSPECTIONS, body(provider, report_url="http://example.org/r"), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"report_url"}


def test_a_trust_manager_may_not_record_through_the_api(
    api_client_for: ApiClientFor, trust_manager: User, provider: Organisation
) -> None:
    response = api_client_for(trust_manager).post(INSPECTIONS, body(provider), format="json")
    assert response.status_code == 403


def test_an_unpublished_inspection_of_another_provider_is_not_found(
    api_client_for: ApiClientFor, unpublished: Inspection, other_trust_manager: User, trust_manager: User
) -> None:
    assert api_client_for(other_trust_manager).get(f"{INSPECTIONS}{unpublished.pk}/").status_code == 404
    assert api_client_for(trust_manager).get(f"{INSPECTIONS}{unpublished.pk}/").status_code == 200


def test_the_api_filters_inspections(
    api_client_for: ApiClientFor, published: Inspection, inspector: User, other_provider: Organisation
) -> None:
    add(inspector, other_provider, ratings={**RATINGS, "overall": "good", "well_led": "good"})
    api = api_client_for(inspector)
    assert [i["id"] for i in api.get(INSPECTIONS, {"overall": "inadequate"}).json()["results"]] == [published.pk]
    assert [i["id"] for i in api.get(INSPECTIONS, {"provider": "RXX"}).json()["results"]] == [published.pk]
    assert api.get(INSPECTIONS, {"published": "true"}).json()["count"] == 1
    assert api.get(INSPECTIONS, {"published": "false"}).json()["count"] == 1
    assert api.get(INSPECTIONS).json()["count"] == 2


def test_the_api_records_publication_once(
    api_client_for: ApiClientFor, unpublished: Inspection, inspector: User, trust_manager: User
) -> None:
    path = f"{INSPECTIONS}{unpublished.pk}/publish/"
    data = {**REPORT, "published_on": today().isoformat()}
    assert api_client_for(trust_manager).post(path, data, format="json").status_code == 403
    assert api_client_for(inspector).post(path, data, format="json").status_code == 200
    assert api_client_for(inspector).post(path, data, format="json").status_code == 400


@pytest.mark.parametrize("rows", [3, 60])
def test_the_inspection_list_keeps_to_a_query_budget(
    api_client_for: ApiClientFor, inspector: User, provider: Organisation, rows: int, django_assert_max_num_queries: Any
) -> None:
    for n in range(rows):
        rated_inspection(provider, inspector, today() - timedelta(days=n + 1))
    api = api_client_for(inspector)
    with django_assert_max_num_queries(12):
        response = api.get(INSPECTIONS, {"page_size": 200})
    assert response.json()["count"] == rows


# --- Pages ------------------------------------------------------------------------------------------


def test_the_pages_send_the_public_to_sign_in(client: Client, published: Inspection, provider: Organisation) -> None:
    for url in (
        reverse("regime:inspection-list"),
        reverse("regime:inspection-new"),
        reverse("regime:inspection-detail", args=[published.pk]),
        reverse("regime:provider-ratings", args=[provider.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))


def test_an_inspector_records_an_inspection_on_the_page(
    client_for: ClientFor, inspector: User, provider: Organisation
) -> None:
    page = client_for(inspector)
    assert page.get(reverse("regime:inspection-new")).status_code == 200
    data = {**body(provider), "published_on": today().isoformat()}
    response = page.post(reverse("regime:inspection-new"), data)
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "regime:inspection-detail", args=[inspection.pk]
    )


def test_the_record_page_shows_field_errors(client_for: ClientFor, inspector: User, provider: Organisation) -> None:
    data = body(provider, published_on=(today() - timedelta(days=20)).isoformat())
    response = client_for(inspector).post(reverse("regime:inspection-new"), data)
    assert response.status_code == 400
    assert "cannot be published before the inspection" in response.content.decode()


def test_a_trust_manager_may_not_record_on_the_page(client_for: ClientFor, trust_manager: User) -> None:
    assert client_for(trust_manager).get(reverse("regime:inspection-new")).status_code == 403


def test_the_rating_history_page(
    client_for: ClientFor, published: Inspection, trust_manager: User, provider: Organisation
) -> None:
    response = client_for(trust_manager).get(reverse("regime:provider-ratings", args=[provider.pk]))
    assert response.status_code == 200
    assert "Inadequate" in response.content.decode()


def test_a_provider_the_user_may_not_see_has_no_rating_page(
    client_for: ClientFor, other_trust_manager: User, provider: Organisation
) -> None:
    assert (
        client_for(other_trust_manager).get(reverse("regime:provider-ratings", args=[provider.pk])).status_code == 404
    )


def test_the_inspection_pages_hide_an_unpublished_inspection_from_others(
    client_for: ClientFor, unpublished: Inspection, other_trust_manager: User, oversight_lead: User
) -> None:
    url = reverse("regime:inspection-detail", args=[unpublished.pk])
    assert client_for(other_trust_manager).get(url).status_code == 404
    assert client_for(oversight_lead).get(url).status_code == 200
    assert client_for(oversight_lead).get(reverse("regime:inspection-list")).status_code == 200


def test_publication_on_the_page(
    client_for: ClientFor, unpublished: Inspection, inspector: User, trust_manager: User
) -> None:
    url = reverse("regime:inspection-publish", args=[unpublished.pk])
    data = {**REPORT, "published_on": today().isoformat()}
    assert client_for(trust_manager).post(url, data).status_code == 403
    bad = client_for(inspector).post(url, {**data, "report_url": "ftp://x"})
    assert bad.status_code == 400
    assert client_for(inspector).post(url, data).status_code == 302
    unpublished.refresh_from_db()
    assert unpublished.published_on == today()
