"""The accessibility statement and the privacy notice, the links to them, the favicon, the API documentation page
and the shared layout's skip link."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User
from failure_regime.dates import long_date
from failure_regime.models import Action, Episode
from failure_regime.services import monthly_reports
from failure_regime.views.public import ACCESSIBILITY_STATEMENT_PREPARED, ACCESSIBILITY_STATEMENT_REVIEWED
from tests.failure_regime import test_special_measures as measures

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]

# ``provider``'s special measures episode, its action A1 (due in 90 days), and ``submit``, which sends a report.
episode = measures.episode
action = measures.action

ACCESSIBILITY = reverse("public:accessibility")
PRIVACY = reverse("public:privacy")


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- The accessibility statement -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "heading",
    [
        "How accessible this website is",
        "What to do if you cannot use parts of this website",
        "Reporting accessibility problems with this website",
        "Enforcement procedure",
        "Technical information about this website's accessibility",
        "Compliance status",
        "Content that is not accessible",
        "Preparation of this accessibility statement",
    ],
)
def test_the_statement_has_each_section_of_the_model_statement(client: Client, heading: str) -> None:
    assert f">{heading}</h" in page(client, ACCESSIBILITY)


def test_the_statement_says_the_service_is_partially_compliant(client: Client) -> None:
    text = page(client, ACCESSIBILITY)
    assert "partially compliant with the" in text and "fully compliant" not in text


def test_the_statement_says_when_it_was_prepared_and_reviewed(client: Client) -> None:
    text = page(client, ACCESSIBILITY)
    assert f"prepared on {long_date(ACCESSIBILITY_STATEMENT_PREPARED)}" in text
    assert f"last reviewed on {long_date(ACCESSIBILITY_STATEMENT_REVIEWED)}" in text


def test_the_statement_says_how_it_was_tested_and_that_no_one_has_checked_by_hand(client: Client) -> None:
    text = page(client, ACCESSIBILITY)
    assert "1280 pixels wide" in text and "320 pixels wide" in text
    assert "No one has checked the website by hand for accessibility yet" in text


def test_the_statement_names_the_api_documentation_as_a_developer_tool_outside_its_scope(client: Client) -> None:
    assert "developer tool outside the scope of this statement" in page(client, ACCESSIBILITY)


def test_the_statement_points_to_the_enforcement_bodies(client: Client) -> None:
    text = page(client, ACCESSIBILITY)
    assert "Equality and Human Rights Commission" in text and "https://www.equalityadvisoryservice.com/" in text


@override_settings(ACCESSIBILITY_CONTACT_EMAIL="access@trust.example")
def test_the_statement_gives_the_configured_contact_address(client: Client) -> None:
    assert 'href="mailto:access@trust.example"' in page(client, ACCESSIBILITY)


# --- The privacy notice ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "heading",
    [
        "Who we are",
        "If you tell us what worries you",
        "If you apply to review care as an expert",
        "Our legal reason for using your information",
        "How long we keep it",
        "Your rights",
        "If you are not happy",
    ],
)
def test_the_privacy_notice_has_each_section(client: Client, heading: str) -> None:
    assert f">{heading}</h2>" in page(client, PRIVACY)


def test_the_privacy_notice_says_health_information_is_special_category_data(client: Client) -> None:
    text = page(client, PRIVACY)
    assert "special category" in text and "Article 9(2)(h)" in text and "Article 6(1)(e)" in text


def test_the_privacy_notice_says_truthfully_that_nothing_is_deleted_by_itself_yet(client: Client) -> None:
    assert "does not delete them by itself" in page(client, PRIVACY)


def test_the_privacy_notice_links_to_the_ico(client: Client) -> None:
    assert 'href="https://ico.org.uk/make-a-complaint/"' in page(client, PRIVACY)


@override_settings(DATA_PROTECTION_OFFICER_EMAIL="dpo@trust.example", SERVICE_OPERATOR="Example Health Board")
def test_the_privacy_notice_names_the_configured_controller_and_officer(client: Client) -> None:
    text = page(client, PRIVACY)
    assert 'href="mailto:dpo@trust.example"' in text and "Example Health Board is the data controller" in text


def test_a_signed_in_person_reads_the_same_privacy_notice(client_for: ClientFor, regulator: User) -> None:
    assert "Your rights" in page(client_for(regulator), PRIVACY)


# --- Links to them ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [reverse("public:home"), ACCESSIBILITY, reverse("accounts:sign-in")])
def test_public_pages_link_both_from_the_footer(client: Client, url: str) -> None:
    footer = page(client, url).split('<footer class="nhsuk-footer"')[1]
    assert f'href="{ACCESSIBILITY}"' in footer and f'href="{PRIVACY}"' in footer


def test_staff_pages_link_both_from_the_footer(client_for: ClientFor, regulator: User) -> None:
    footer = page(client_for(regulator), reverse("staff-home")).split('<footer class="nhsuk-footer"')[1]
    assert f'href="{ACCESSIBILITY}"' in footer and f'href="{PRIVACY}"' in footer


def test_the_contact_form_links_the_privacy_notice_before_its_button(client: Client) -> None:
    text = page(client, reverse("communications:enquiry-new"))
    assert text.index(f'href="{PRIVACY}"') < text.index("Send your message")


# --- Dates on people's pages ------------------------------------------------------------------------------------


def test_the_provider_page_writes_out_an_action_due_date(
    client: Client, episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    monthly_reports.report_accept(actor=oversight_lead, report=measures.submit(trust_manager, episode, action))
    text = page(client, reverse("provider-public", args=[episode.provider.ods_code]))
    assert long_date(action.due_on) in text and action.due_on.isoformat() not in text


# --- The shared layout, favicon and API documentation ------------------------------------------------------


def test_the_skip_link_is_started_by_the_design_system_script(client: Client) -> None:
    assert '<a class="nhsuk-skip-link" data-module="nhsuk-skip-link" href="#maincontent">' in page(client, PRIVACY)


def test_favicon_ico_is_served_at_the_site_root(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"


def test_every_icon_the_layout_links_is_served(client: Client) -> None:
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', page(client, PRIVACY))
    assert len(icons) == 2 and [client.get(href).status_code for href in icons] == [200, 200]


def test_the_api_documentation_page_says_its_language(client: Client) -> None:
    assert '<html lang="en-GB">' in page(client, reverse("api-docs"))


def test_the_api_documentation_page_says_it_is_a_developer_tool(client: Client) -> None:
    text = page(client, reverse("api-docs"))
    assert "tool for developers" in text and f'href="{ACCESSIBILITY}"' in text


def test_the_api_documentation_page_has_no_links_inside_its_buttons(client: Client) -> None:
    """Swagger UI's deep links put a link inside each operation's button (axe: nested-interactive)."""
    script_url = re.search(r'<script src="(/api/docs/\?[^"]+)"', page(client, reverse("api-docs")))
    assert script_url is not None
    assert '"deepLinking": false' in page(client, script_url.group(1).replace("&amp;", "&"))
