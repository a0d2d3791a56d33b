from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation, User

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def test_the_staff_home_lists_my_roles(client_for: ClientFor, trust_manager: User, provider: Organisation) -> None:
    response = client_for(trust_manager).get(reverse("staff-home"))
    assert provider.name in response.content.decode() and "Trust manager" in response.content.decode()


def test_the_staff_home_refuses_the_public(client: Client) -> None:
    response = client.get(reverse("staff-home"))
    assert response["Location"].startswith(reverse("accounts:sign-in"))


def test_the_organisation_list_shows_only_what_i_may_see(
    client_for: ClientFor, trust_manager: User, provider: Organisation, other_provider: Organisation
) -> None:
    page = client_for(trust_manager).get(reverse("accounts:organisation-list")).content.decode()
    assert provider.name in page and other_provider.name not in page


def test_the_organisation_list_filters_by_kind(
    client_for: ClientFor, national: User, provider: Organisation, other_provider: Organisation
) -> None:
    response = client_for(national).get(reverse("accounts:organisation-list"), {"kind": "nhs_trust"})
    assert list(response.context["page"].object_list) == [other_provider]


def test_the_organisation_list_reports_a_bad_filter(client_for: ClientFor, national: User) -> None:
    response = client_for(national).get(reverse("accounts:organisation-list"), {"kind": "spaceship"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_another_trust_is_not_found(client_for: ClientFor, trust_manager: User, other_provider: Organisation) -> None:
    response = client_for(trust_manager).get(reverse("accounts:organisation-detail", args=[other_provider.pk]))
    assert response.status_code == 404


def test_members_see_who_else_is_a_member(client_for: ClientFor, trust_manager: User, provider: Organisation) -> None:
    response = client_for(trust_manager).get(reverse("accounts:organisation-detail", args=[provider.pk]))
    assert [m.user for m in response.context["members"]] == [trust_manager]


def test_an_overseer_does_not_see_a_providers_members(
    client_for: ClientFor, oversight_lead: User, trust_manager: User, provider: Organisation
) -> None:
    response = client_for(oversight_lead).get(reverse("accounts:organisation-detail", args=[provider.pk]))
    assert response.context["members"] is None


def test_members_read_their_organisations_audit_trail(
    client_for: ClientFor, trust_manager: User, provider: Organisation
) -> None:
    response = client_for(trust_manager).get(reverse("accounts:organisation-audit", args=[provider.pk]))
    assert [e.verb for e in response.context["page"].object_list] == ["membership.created", "organisation.created"]


def test_an_overseer_may_not_read_a_providers_audit_trail(
    client_for: ClientFor, oversight_lead: User, provider: Organisation
) -> None:
    response = client_for(oversight_lead).get(reverse("accounts:organisation-audit", args=[provider.pk]))
    assert response.status_code == 404


def test_another_trusts_audit_trail_is_not_found(
    client_for: ClientFor, trust_manager: User, other_provider: Organisation
) -> None:
    response = client_for(trust_manager).get(reverse("accounts:organisation-audit", args=[other_provider.pk]))
    assert response.status_code == 404


def test_the_organisation_list_keeps_to_a_query_budget(
    client_for: ClientFor, national: User, django_assert_max_num_queries
) -> None:
    from tests.factories import OrganisationFactory

    OrganisationFactory.create_batch(60)
    client = client_for(national)
    with django_assert_max_num_queries(10):
        client.get(reverse("accounts:organisation-list"))
