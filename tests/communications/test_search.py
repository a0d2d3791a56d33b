"""The public site's search (/search/): several words in any order across providers, published notices, published
findings and support services; misspellings of providers' names; nothing unpublished; no 500 for any input; a
fixed query budget. The provider of these tests is Basildon, the words people type."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, OrganisationKind, User
from communications.models import Notice, SupportKind, SupportService
from communications.public_cache import public_site_state
from communications.selectors.search import PER_GROUP, notices_matching, search_words, site_search
from communications.services.notices import NoticeText, notice_correct, notice_withdraw
from communications.services.providers import provider_alias_add
from communications.services.support import support_service_create, support_service_deactivate
from failure_regime.models import Case
from reviews.models import Cohort, FindingsSummary
from tests.communications.conftest import approved_notice, published_notice
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("communications:search")

BASILDON_TEXT = NoticeText(
    title="Review of care for mothers and babies at Basildon",
    summary="Experts who do not work at the trust are looking at the care of mothers and babies there.",
    body_markdown="Families told us they were worried about **maternity care** at the trust.",
    what_happens_next_markdown="The review team will write to every family who asks within 2 working days.",
)


@pytest.fixture
def provider(monitor: Organisation) -> Organisation:
    """The provider of the cases here: Basildon, under its registered name, which nobody types."""
    return OrganisationFactory.create(
        name="Basildon and Thurrock University Hospitals NHS Foundation Trust",
        ods_code="RDD",
        kind=OrganisationKind.FOUNDATION_TRUST,
        oversight_body=monitor,
    )


@pytest.fixture
def medway(db: None) -> Organisation:
    return OrganisationFactory.create(
        name="Medway NHS Foundation Trust", ods_code="RPA", kind=OrganisationKind.FOUNDATION_TRUST
    )


@pytest.fixture
def notice(triggered_case: Case, comms_officer: User, comms_lead: User) -> Notice:
    """A published failure notice about Basildon's maternity care."""
    return published_notice(triggered_case, comms_officer, comms_lead, text=BASILDON_TEXT)


def page(client: Client, q: str) -> str:
    response = client.get(SEARCH, {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, key: str) -> str:
    """The part of the page under the heading of one group of results, or "" if the group is not there."""
    found = re.search(rf'<h2 id="{key}">(.*?)(?=<h2 |</main>|$)', html, re.S)
    return found.group(1) if found else ""


def findings(case: Case, by: User, title: str, body: str) -> FindingsSummary:
    cohort, _ = Cohort.objects.get_or_create(
        case=case, defaults={"title": "Babies born 2019 to 2024", "created_by": by, "created_at": timezone.now()}
    )
    return FindingsSummary.objects.create(
        cohort=cohort, title=title, body=body, patients_reviewed=20, published_by=by, published_at=timezone.now()
    )


# --- Several words, in any order --------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["Basildon Hospital", "maternity Basildon", "hospital basildon", "BASILDON  maternity"])
def test_it_finds_a_notice_whatever_the_order_of_the_words(client: Client, notice: Notice, q: str) -> None:
    assert BASILDON_TEXT.title in section(page(client, q), "notices")


def test_it_finds_a_notice_only_when_every_word_is_in_it(client: Client, notice: Notice) -> None:
    assert BASILDON_TEXT.title not in page(client, "maternity Colchester")


def test_it_finds_the_provider_by_a_short_name(client: Client, provider: Organisation) -> None:
    assert provider.name in section(page(client, "Basildon Hospital"), "providers")


def test_it_finds_the_provider_by_another_name(client: Client, provider: Organisation) -> None:
    provider_alias_add(actor=None, organisation=provider, alias="Orsett Hospital")
    assert provider.name in section(page(client, "orsett"), "providers")


def test_it_finds_the_provider_by_its_ods_code(client: Client, provider: Organisation) -> None:
    providers = section(page(client, "rdd"), "providers")
    assert provider.name in providers and reverse("provider-public", args=["RDD"]) in providers


@pytest.mark.parametrize(
    ("q", "name"), [("Medwya", "Medway"), ("Basildn", "Basildon"), ("basildon hospitl", "Basildon")]
)
def test_it_finds_a_provider_spelt_wrongly(
    client: Client, provider: Organisation, medway: Organisation, q: str, name: str
) -> None:
    assert f"{name} " in section(page(client, q), "providers")


def test_it_says_what_else_it_searched_for_when_a_word_was_spelt_wrongly(
    client: Client, provider: Organisation
) -> None:
    assert "We also searched for “basildon maternity”" in page(client, "Basildn maternity")


def test_a_misspelt_provider_finds_its_notices_too(client: Client, notice: Notice) -> None:
    assert BASILDON_TEXT.title in section(page(client, "Basildn maternity"), "notices")


def test_a_word_that_begins_a_name_is_not_respelt(provider: Organisation) -> None:
    assert site_search(text="basil").respelt == ()


def test_it_finds_published_findings(client: Client, triggered_case: Case, regulator: User) -> None:
    summary = findings(triggered_case, regulator, "What the review found so far", "Staff did not check babies often.")
    found = section(page(client, "babies check"), "findings")
    assert reverse("reviews:summary-detail", args=[summary.pk]) in found


def test_it_finds_support_services(client: Client, helpline: SupportService) -> None:
    assert "Maternity families helpline" in section(page(client, "helpline maternity"), "support")


def test_it_finds_a_support_service_by_its_kind(client: Client, helpline: SupportService) -> None:
    assert f"#support-{helpline.pk}" in section(page(client, "helpline"), "support")


def test_guidance_is_found(client: Client, triggered_case: Case, comms_officer: User, comms_lead: User) -> None:
    guidance = replace(BASILDON_TEXT, title="How to ask for a review of your care", what_happens_next_markdown="")
    published_notice(triggered_case, comms_officer, comms_lead, kind="guidance", text=guidance)
    assert guidance.title in section(page(client, "ask review"), "notices")


def test_the_best_match_comes_first(
    client: Client, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    in_body = replace(BASILDON_TEXT, title="An update for families", body_markdown="We have news about staffing.")
    in_title = replace(BASILDON_TEXT, title="Staffing on the maternity unit")
    published_notice(triggered_case, comms_officer, comms_lead, text=in_title)
    published_notice(triggered_case, comms_officer, comms_lead, text=in_body)
    found = section(page(client, "staffing"), "notices")
    assert found.index(in_title.title) < found.index(in_body.title)


# --- Nothing that is not public ----------------------------------------------------------------------------


def test_a_draft_is_never_found(client: Client, draft: Notice) -> None:
    assert "Mid Shire" not in section(page(client, "maternity"), "notices")


def test_an_approved_notice_not_yet_published_is_never_found(
    client: Client, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    approved_notice(triggered_case, comms_officer, comms_lead, text=BASILDON_TEXT)
    assert section(page(client, "maternity"), "notices") == ""


def test_an_embargoed_notice_is_never_found(
    client: Client, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    tomorrow = timezone.now() + timedelta(days=1)
    published_notice(triggered_case, comms_officer, comms_lead, publish_at=tomorrow, text=BASILDON_TEXT)
    assert section(page(client, "maternity"), "notices") == ""


def test_a_withdrawn_notice_is_never_found(client: Client, notice: Notice, comms_lead: User) -> None:
    notice_withdraw(actor=comms_lead, notice=notice, reason="Published about the wrong trust.")
    assert BASILDON_TEXT.title not in page(client, "maternity")


def test_a_correction_not_yet_published_is_never_found(client: Client, notice: Notice, comms_officer: User) -> None:
    correction = replace(BASILDON_TEXT, summary="Neonatal unit closed.", correction_note="The unit closed.")
    notice_correct(actor=comms_officer, notice=notice, text=correction)
    assert "No results" in page(client, "neonatal")


def test_the_notice_list_never_finds_a_withdrawn_notice_by_what_it_said(notice: Notice, comms_lead: User) -> None:
    notice_withdraw(actor=comms_lead, notice=notice, reason="Published about the wrong trust.")
    assert not notices_matching(Notice.objects.all(), text="worried maternity").exists()


def test_a_review_not_published_is_never_found(client: Client, triggered_case: Case, regulator: User) -> None:
    Cohort.objects.create(case=triggered_case, title="Zephyr cohort", created_by=regulator, created_at=timezone.now())
    assert "No results" in page(client, "zephyr")


def test_a_support_service_no_longer_offered_is_never_found(
    client: Client, helpline: SupportService, liaison_officer: User
) -> None:
    support_service_deactivate(actor=liaison_officer, service=helpline)
    assert section(page(client, "helpline"), "support") == ""


# --- Nothing found -----------------------------------------------------------------------------------------


def test_nothing_found_says_so_and_suggests_where_to_look(client: Client, notice: Notice) -> None:
    html = page(client, "zebra crossing")
    assert "No results for “zebra crossing”" in html and "check the spelling" in html


@pytest.mark.parametrize(
    "name",
    [
        "communications:special-measures",
        "communications:notice-list",
        "communications:support",
        "communications:enquiry-new",
    ],
)
def test_nothing_found_links_to_the_lists_and_the_contact_form(client: Client, name: str) -> None:
    assert f'href="{reverse(name)}"' in page(client, "zebra")


# --- Any input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", "Enter what you are looking for"),
        ("   ", "Enter what you are looking for"),
        ("x" * 10_000, "Enter 200 characters or fewer"),
        ("!!! ... ???", "Enter words made of letters or numbers"),
    ],
)
def test_a_search_that_cannot_be_run_says_what_to_do(client: Client, q: str, message: str) -> None:
    html = page(client, q)
    assert message in html and "There is a problem" in html


@pytest.mark.parametrize(
    "q",
    [
        "'; DROP TABLE communications_notice; --",
        "% _ \\",
        '"maternity" OR 1=1',
        "<script>alert(1)</script>",
        "é ü ß",
        "the or and",
    ],
)
def test_odd_input_is_searched_as_words(client: Client, notice: Notice, q: str) -> None:
    assert "<script>alert" not in page(client, q)


def test_the_page_without_a_search_shows_the_box_and_no_error(client: Client) -> None:
    html = client.get(SEARCH).content.decode()
    assert 'name="q"' in html and "There is a problem" not in html


def test_only_letters_and_digits_are_searched() -> None:
    assert search_words("King's  Mill, (Mansfield) KING'S") == ("king", "s", "mill", "mansfield")


# --- Limits and budget -------------------------------------------------------------------------------------


def test_each_group_shows_at_most_ten_with_a_link_to_see_all(
    client: Client, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    for _ in range(PER_GROUP + 2):
        published_notice(triggered_case, comms_officer, comms_lead, text=BASILDON_TEXT)
    found = section(page(client, "maternity basildon"), "notices")
    assert found.count("<h3") == PER_GROUP and "Showing the first 10 of 12" in found
    assert f'href="{reverse("communications:notice-list")}?q=maternity+basildon"' in found


def _many(triggered_case: Case, comms_officer: User, comms_lead: User, liaison_officer: User, count: int) -> None:
    for n in range(count):
        published_notice(triggered_case, comms_officer, comms_lead, text=BASILDON_TEXT)
        OrganisationFactory.create(name=f"Basildon Care Home {n}", kind=OrganisationKind.ADULT_SOCIAL_CARE)
        support_service_create(
            actor=liaison_officer,
            name=f"Basildon maternity helpline {n}",
            kind=SupportKind.HELPLINE,
            description="For families in Basildon.",
            phone="0808 157 0001",
        )
        findings(triggered_case, comms_lead, f"Maternity findings {n}", "Care at Basildon was poor.")


@pytest.mark.parametrize("count", [1, 15])
def test_the_page_keeps_a_fixed_query_budget(
    client: Client,
    triggered_case: Case,
    comms_officer: User,
    comms_lead: User,
    liaison_officer: User,
    django_assert_max_num_queries: Any,
    count: int,
) -> None:
    _many(triggered_case, comms_officer, comms_lead, liaison_officer, count)
    public_site_state()  # worked out once per change for the whole site, not per page
    with django_assert_max_num_queries(6):
        html = page(client, "Basildon maternity")
    assert f"Notices and guidance ({count})" in html


def test_a_respelt_search_keeps_a_fixed_query_budget(
    client: Client, provider: Organisation, medway: Organisation, django_assert_max_num_queries: Any
) -> None:
    public_site_state()  # worked out once per change for the whole site, not per page
    with django_assert_max_num_queries(9):
        html = page(client, "Medwya")
    assert "Medway NHS Foundation Trust" in section(html, "providers")


def test_the_page_is_the_same_for_everyone_and_cached(client: Client, notice: Notice) -> None:
    response = client.get(SEARCH, {"q": "maternity"})
    assert "public" in response["Cache-Control"] and not response.cookies


# --- The rest of the site ----------------------------------------------------------------------------------


def test_the_home_page_searches_the_site(client: Client) -> None:
    html = client.get(reverse("public:home")).content.decode()
    assert f'action="{SEARCH}"' in html and "Search this site" in html


@pytest.mark.parametrize("q", ["hospital basildon", "maternity Basildon"])
def test_the_notice_list_finds_every_word_in_any_order(client: Client, notice: Notice, q: str) -> None:
    html = client.get(reverse("communications:notice-list"), {"q": q}).content.decode()
    assert BASILDON_TEXT.title in html


def test_the_notice_list_needs_every_word(client: Client, notice: Notice) -> None:
    html = client.get(reverse("communications:notice-list"), {"q": "maternity Colchester"}).content.decode()
    assert BASILDON_TEXT.title not in html


def test_the_public_api_searches_the_same_way(client: Client, notice: Notice) -> None:
    response = client.get("/api/v1/public-notices/", {"q": "hospital basildon"})
    assert [row["id"] for row in response.json()["results"]] == [notice.pk]


# --- The demo ---------------------------------------------------------------------------------------------------


@pytest.fixture
def demo() -> None:
    """The demo data as ``manage.py seed_demo`` adds it: the regime's, then the reviews', then communications'."""
    from communications.demo import seed_demo as seed_communications
    from failure_regime.demo import seed_demo
    from reviews.demo import seed_demo as seed_reviews

    seed_demo()
    seed_reviews()
    seed_communications()


def test_on_the_demo_data_basildon_hospital_finds_the_trust_its_notices_and_its_pals(
    client: Client, demo: None
) -> None:
    html = page(client, "Basildon Hospital")
    assert "Basildon and Thurrock University Hospitals NHS Foundation Trust" in section(html, "providers")
    assert "Review of care for mothers and babies at Basildon and Thurrock" in section(html, "notices")
    assert "Basildon Hospital PALS (demo)" in section(html, "support")


def test_on_the_demo_data_maternity_basildon_finds_the_maternity_notices(client: Client, demo: None) -> None:
    found = section(page(client, "maternity Basildon"), "notices")
    assert "Review of care for mothers and babies at Basildon and Thurrock" in found
    assert "How to ask for a review of your care" in found


def test_on_the_demo_data_medway_finds_the_trust(client: Client, demo: None) -> None:
    found = section(page(client, "Medway"), "providers")
    assert "Medway NHS Foundation Trust" in found and reverse("provider-public", args=["RPA"]) in found
