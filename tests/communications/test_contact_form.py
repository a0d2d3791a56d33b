"""The public contact form's choice of provider: from a link (a notice's or a provider's page), by Find without
JavaScript, by the suggestions as the sender types, or in the sender's own words; and bad links ignored."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation, Role, User
from communications.models import Enquiry, Notice
from failure_regime.models import Case
from tests.factories import member

pytestmark = pytest.mark.django_db

FORM = reverse("communications:enquiry-new")
SUGGEST = reverse("communications:enquiry-providers")


def answers(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Alex Example",
        "relation": "family",
        "provider_name": "",
        "worry": "My mother was left without pain relief for a day on the maternity ward.",
        "contact_method": "email",
        "email": "alex@example.org",
        "consent": "on",
        **overrides,
    }


@pytest.fixture
def national_liaison(nhs_england: Organisation) -> User:
    return member(nhs_england, Role.FAMILY_LIAISON_OFFICER, full_name="Nadia Triage")


# --- Links that name the provider and the case --------------------------------------------------------------------


def test_a_link_names_the_provider(client: Client, provider: Organisation) -> None:
    page = client.get(FORM, {"provider": "rxx"}).content.decode()
    assert provider.name in page and 'name="provider" value="RXX"' in page


def test_a_nul_in_a_link_is_refused_as_unreadable(client: Client, provider: Organisation) -> None:
    response = client.get(FORM, {"provider": "\x00"})
    assert response.status_code == 400 and 'name="provider" value=' not in response.content.decode()


@pytest.mark.parametrize("value", ["%00", "ZZZ999", "RXX' OR 1=1", "x" * 5000, "NHS England", "X24"])
def test_a_bad_provider_in_a_link_is_ignored(client: Client, provider: Organisation, value: str) -> None:
    response = client.get(FORM, {"provider": value})
    assert response.status_code == 200 and 'name="provider" value=' not in response.content.decode()


def test_a_link_names_the_case_of_a_public_notice(client: Client, published: Notice) -> None:
    page = client.get(FORM, {"case": published.case.reference}).content.decode()
    assert f'name="case" value="{published.case.reference}"' in page and published.case.provider.name in page


def test_a_case_without_a_public_notice_is_ignored(client: Client, case: Case) -> None:
    assert f'value="{case.reference}"' not in client.get(FORM, {"case": case.reference}).content.decode()


@pytest.mark.parametrize("value", ["SFR-99999", "SFR-1", "<script>"])
def test_a_bad_case_in_a_link_is_ignored(client: Client, published: Notice, value: str) -> None:
    assert client.get(FORM, {"case": value}).status_code == 200


def test_the_notice_page_links_to_the_form_with_its_provider_and_case(client: Client, published: Notice) -> None:
    page = client.get(reverse("communications:notice-detail", args=[published.pk])).content.decode()
    assert f"?provider=RXX&amp;case={published.case.reference}" in page


def test_the_provider_page_links_to_the_form_with_the_provider(client: Client, provider: Organisation) -> None:
    page = client.get(reverse("provider-public", args=["RXX"])).content.decode()
    assert f"{FORM}?provider=RXX" in page


def test_a_message_from_a_notice_is_linked_to_its_case(
    client: Client, published: Notice, national_liaison: User
) -> None:
    client.post(FORM, answers(provider="RXX", case=published.case.reference))
    assert Enquiry.objects.get().case == published.case


# --- Finding the provider without JavaScript ----------------------------------------------------------------------


def test_find_lists_the_providers_that_fit_as_choices(client: Client, provider: Organisation) -> None:
    page = client.post(FORM, answers(provider_name="mid shire", action="find")).content.decode()
    assert 'type="radio" value="RXX"' in page


def test_find_keeps_what_the_sender_typed(client: Client, provider: Organisation) -> None:
    page = client.post(FORM, answers(provider_name="mid shire", action="find")).content.decode()
    assert "without pain relief" in page and "alex@example.org" in page


def test_find_sends_nothing(client: Client, provider: Organisation, national_liaison: User) -> None:
    client.post(FORM, answers(provider_name="mid shire", action="find"))
    assert not Enquiry.objects.exists()


def test_find_shows_no_errors_before_the_sender_sends(client: Client, provider: Organisation) -> None:
    page = client.post(FORM, answers(name="", provider_name="mid shire", action="find")).content.decode()
    assert "There is a problem" not in page


def test_find_with_nothing_that_fits_says_so(client: Client, provider: Organisation) -> None:
    page = client.post(FORM, answers(provider_name="Nowhere Infirmary", action="find")).content.decode()
    assert "None in our list fits what you typed" in page


def test_a_provider_chosen_from_the_list_is_sent(
    client: Client, provider: Organisation, national_liaison: User
) -> None:
    client.post(FORM, answers(provider="RXX", provider_name="mid shire"))
    assert Enquiry.objects.get().provider == provider


def test_changing_the_chosen_provider_shows_the_search_again(client: Client, provider: Organisation) -> None:
    page = client.post(FORM, answers(provider="RXX", action="change-provider")).content.decode()
    assert 'name="provider_name"' in page and 'name="provider" value="RXX"' not in page


# --- The sender's own words ---------------------------------------------------------------------------------------


def test_the_senders_own_words_are_matched_to_the_provider(
    client: Client, provider: Organisation, national_liaison: User
) -> None:
    client.post(FORM, answers(provider_name="Mid Shire Hospital"))
    assert Enquiry.objects.get().provider == provider


def test_words_that_match_nothing_are_kept_for_the_national_team(
    client: Client, provider: Organisation, nhs_england: Organisation, national_liaison: User
) -> None:
    client.post(FORM, answers(provider_name="the hospital by the river"))
    enquiry = Enquiry.objects.get()
    assert (enquiry.provider, enquiry.provider_name, enquiry.handled_by) == (
        None,
        "the hospital by the river",
        nhs_england,
    )


def test_no_provider_at_all_is_a_field_error(client: Client, provider: Organisation) -> None:
    response = client.post(FORM, answers(provider="", provider_name=""))
    assert response.status_code == 400 and "Enter the name of the hospital" in response.content.decode()


# --- Suggestions as the sender types ------------------------------------------------------------------------------


def test_suggestions_list_the_providers_that_fit(client: Client, provider: Organisation) -> None:
    assert client.get(SUGGEST, {"q": "mid sh"}).json()["results"] == [{"ods_code": "RXX", "name": provider.name}]


@pytest.mark.parametrize("value", ["", "m", "x" * 5000])
def test_suggestions_for_too_little_or_nonsense_are_empty(client: Client, provider: Organisation, value: str) -> None:
    response = client.get(SUGGEST, {"q": value})
    assert response.status_code == 200 and response.json()["results"] == []


def test_suggestions_never_list_an_organisation_that_is_not_a_provider(
    client: Client, nhs_england: Organisation
) -> None:
    assert client.get(SUGGEST, {"q": "england"}).json()["results"] == []


def test_suggestions_may_be_cached_by_anyone(client: Client, provider: Organisation) -> None:
    assert "public" in client.get(SUGGEST, {"q": "mid"})["Cache-Control"]


def test_the_form_loads_its_script_from_the_site_and_has_no_inline_script(client: Client) -> None:
    page = client.get(FORM).content.decode()
    scripts = re.findall(r"<script([^>]*)>", page)
    assert "provider-search.mjs" in page and all("src=" in attributes for attributes in scripts)
