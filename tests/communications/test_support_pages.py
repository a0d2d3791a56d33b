"""The public support page (cacheable, no cookies) and the staff pages of the support directory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, Region, Role, User
from accounts.services import membership_create
from communications.models import SupportKind, SupportService
from communications.services.support import (
    support_service_create,
    support_service_deactivate,
    support_service_link_to_case,
    support_service_update,
)
from failure_regime.models import Case

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
SUPPORT = reverse("communications:support")
SERVICES = reverse("communications:service-list")


def url(name: str, service: SupportService, *more: int) -> str:
    return reverse(f"communications:{name}", args=[service.pk, *more])


# --- The public page ------------------------------------------------------------------------------------------


def test_the_support_page_lists_the_services_with_their_hours(client: Client, helpline: SupportService) -> None:
    html = client.get(SUPPORT).content.decode()
    assert "Maternity families helpline" in html and "Monday to Friday: 9am to 5pm" in html


def test_the_support_page_leaves_out_services_no_longer_offered(
    client: Client, helpline: SupportService, liaison_officer: User
) -> None:
    support_service_deactivate(actor=liaison_officer, service=helpline)
    assert "Maternity families helpline" not in client.get(SUPPORT).content.decode()


def test_the_support_page_filters_by_kind(client: Client, helpline: SupportService) -> None:
    html = client.get(SUPPORT, {"kind": SupportKind.BEREAVEMENT}).content.decode()
    assert "Maternity families helpline" not in html


def test_the_support_page_filters_by_region(client: Client, helpline: SupportService, liaison_officer: User) -> None:
    support_service_create(
        actor=liaison_officer,
        name="Midlands advocacy",
        kind=SupportKind.ADVOCACY,
        description="Independent advocates.",
        website="https://advocacy.example.org",
        region=Region.MIDLANDS,
    )
    html = client.get(SUPPORT, {"region": Region.LONDON}).content.decode()
    assert "Maternity families helpline" in html and "Midlands advocacy" not in html


def test_a_nonsense_filter_shows_a_message_not_an_error(client: Client, helpline: SupportService) -> None:
    response = client.get(SUPPORT, {"kind": "spa"})
    assert response.status_code == 200 and "Maternity families helpline" in response.content.decode()


def test_the_support_page_may_be_cached_publicly(client: Client, helpline: SupportService) -> None:
    cache_control = client.get(SUPPORT)["Cache-Control"]
    assert "public" in cache_control and "max-age=" in cache_control


def test_the_support_page_sets_no_cookies(client: Client, helpline: SupportService) -> None:
    assert not client.get(SUPPORT).cookies


def test_the_support_page_does_not_vary_by_cookie(client: Client, helpline: SupportService) -> None:
    assert "cookie" not in client.get(SUPPORT).get("Vary", "").lower()


def test_a_signed_in_visit_to_the_support_page_sets_no_cookie(
    client_for: ClientFor, helpline: SupportService, liaison_officer: User
) -> None:
    client = client_for(liaison_officer)
    client.get(SERVICES)
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        response = client.get(SUPPORT)
    assert "public" in response["Cache-Control"] and not response.cookies


def test_the_support_page_answers_304_when_unchanged(client: Client, helpline: SupportService) -> None:
    etag = client.get(SUPPORT)["ETag"]
    assert client.get(SUPPORT, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_changing_a_service_changes_the_etag(client: Client, helpline: SupportService, liaison_officer: User) -> None:
    etag = client.get(SUPPORT)["ETag"]
    support_service_update(
        actor=liaison_officer,
        service=helpline,
        name="Families helpline",
        kind=SupportKind.HELPLINE,
        description="For families.",
        phone="0808 157 0001",
    )
    assert client.get(SUPPORT, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_each_filter_has_its_own_etag(client: Client, helpline: SupportService) -> None:
    assert client.get(SUPPORT)["ETag"] != client.get(SUPPORT, {"kind": SupportKind.HELPLINE})["ETag"]


def test_the_support_page_keeps_to_its_query_budget(
    client: Client, helpline: SupportService, liaison_officer: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(10):
        support_service_create(
            actor=liaison_officer, name=f"Line {n}", kind=SupportKind.HELPLINE, description="D", phone="116 123"
        )
    with django_assert_max_num_queries(3):
        client.get(SUPPORT)


# --- The staff pages ------------------------------------------------------------------------------------------


def test_staff_see_the_directory(client_for: ClientFor, helpline: SupportService, trust_manager: User) -> None:
    assert "Maternity families helpline" in client_for(trust_manager).get(SERVICES).content.decode()


def test_the_directory_refuses_the_public(client: Client) -> None:
    assert client.get(SERVICES)["Location"].startswith("/sign-in/")


def test_a_liaison_officer_adds_a_service(client_for: ClientFor, liaison_officer: User) -> None:
    response = client_for(liaison_officer).post(
        reverse("communications:service-new"),
        {
            "name": "Advocacy for families",
            "kind": SupportKind.ADVOCACY,
            "description": "Independent advocates.",
            "email": "help@advocacy.example.org",
            "region": Region.NATIONAL,
        },
    )
    service = SupportService.objects.get(name="Advocacy for families")
    assert response["Location"] == url("service-hours", service)


def test_a_service_with_no_way_in_is_shown_again(client_for: ClientFor, liaison_officer: User) -> None:
    response = client_for(liaison_officer).post(
        reverse("communications:service-new"),
        {"name": "X", "kind": SupportKind.ADVOCACY, "description": "D", "region": Region.NATIONAL},
    )
    assert response.status_code == 400 and "at least one way" in response.content.decode()


def test_a_trust_manager_cannot_add_a_service(client_for: ClientFor, trust_manager: User) -> None:
    assert client_for(trust_manager).get(reverse("communications:service-new")).status_code == 403


def test_another_organisation_cannot_edit_a_service(
    client_for: ClientFor, helpline: SupportService, other_liaison_officer: User
) -> None:
    assert client_for(other_liaison_officer).get(url("service-edit", helpline)).status_code == 403


def test_an_unknown_service_is_not_found(client_for: ClientFor, liaison_officer: User) -> None:
    assert client_for(liaison_officer).get(reverse("communications:service-detail", args=[999999])).status_code == 404


def test_the_maintainers_set_the_opening_times(
    client_for: ClientFor, helpline: SupportService, liaison_officer: User
) -> None:
    client_for(liaison_officer).post(
        url("service-hours", helpline), {"saturday_opens_1": "10:00", "saturday_closes_1": "13:00"}
    )
    assert list(helpline.opening_times.values_list("weekday", "opens")) == [(6, time(10, 0))]


def test_an_opening_time_without_a_closing_time_is_shown_again(
    client_for: ClientFor, helpline: SupportService, liaison_officer: User
) -> None:
    response = client_for(liaison_officer).post(url("service-hours", helpline), {"sunday_opens_1": "10:00"})
    assert response.status_code == 400 and "Enter the time it closes on Sunday" in response.content.decode()


def test_overlapping_opening_times_are_shown_again(
    client_for: ClientFor, helpline: SupportService, liaison_officer: User
) -> None:
    response = client_for(liaison_officer).post(
        url("service-hours", helpline),
        {"monday_opens_1": "09:00", "monday_closes_1": "13:00", "monday_opens_2": "12:00", "monday_closes_2": "17:00"},
    )
    assert "Monday: the opening times overlap" in response.content.decode()


def test_a_party_links_the_service_to_its_case(
    client_for: ClientFor, helpline: SupportService, liaison_officer: User, case: Case
) -> None:
    client_for(liaison_officer).post(url("service-link", helpline), {"case": case.pk})
    assert list(helpline.cases.all()) == [case]


def test_a_case_the_user_cannot_see_cannot_be_linked(
    client_for: ClientFor, helpline: SupportService, other_liaison_officer: User, liaison_officer: User, case: Case
) -> None:
    response = client_for(other_liaison_officer).post(url("service-link", helpline), {"case": case.pk})
    assert response.status_code == 400 and not helpline.cases.exists()


def test_the_service_page_shows_only_linked_cases_the_user_can_see(
    client_for: ClientFor, helpline: SupportService, liaison_officer: User, other_liaison_officer: User, case: Case
) -> None:
    support_service_link_to_case(actor=liaison_officer, service=helpline, case=case)
    assert case.reference not in client_for(other_liaison_officer).get(url("service-detail", helpline)).content.decode()


def test_a_party_unlinks_the_service(
    client_for: ClientFor, helpline: SupportService, liaison_officer: User, case: Case
) -> None:
    support_service_link_to_case(actor=liaison_officer, service=helpline, case=case)
    client_for(liaison_officer).post(url("service-unlink", helpline, case.pk))
    assert not helpline.cases.exists()


def test_the_maintainers_stop_offering_a_service(
    client_for: ClientFor, helpline: SupportService, liaison_officer: User
) -> None:
    client_for(liaison_officer).post(url("service-deactivate", helpline))
    helpline.refresh_from_db()
    assert not helpline.active


def test_stopping_a_service_twice_is_shown_as_an_error(
    client_for: ClientFor, helpline: SupportService, liaison_officer: User
) -> None:
    support_service_deactivate(actor=liaison_officer, service=helpline)
    response = client_for(liaison_officer).post(url("service-deactivate", helpline))
    assert response.status_code == 400 and "already no longer offered" in response.content.decode()


def test_another_organisation_cannot_stop_a_service(
    client_for: ClientFor, helpline: SupportService, other_liaison_officer: User
) -> None:
    assert client_for(other_liaison_officer).post(url("service-deactivate", helpline)).status_code == 403


def test_a_person_who_keeps_services_for_two_organisations_chooses_on_the_form(
    client_for: ClientFor, liaison_officer: User, other_provider: Organisation
) -> None:
    membership_create(actor=None, user=liaison_officer, organisation=other_provider, role=Role.COMMUNICATIONS_OFFICER)
    client = client_for(liaison_officer)
    assert (
        "Which organisation are you doing this for?"
        in client.get(reverse("communications:service-new")).content.decode()
    )
    data = {
        "name": "Advocacy for families",
        "kind": SupportKind.ADVOCACY,
        "description": "Independent advocates.",
        "email": "help@advocacy.example.org",
        "region": Region.NATIONAL,
    }
    unchosen = client.post(reverse("communications:service-new"), data)
    assert unchosen.status_code == 400 and not SupportService.objects.exists()
    client.post(reverse("communications:service-new"), {**data, "acting_for": other_provider.pk})
    assert SupportService.objects.get(name="Advocacy for families").maintained_by == other_provider
