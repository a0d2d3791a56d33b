"""The audit event feed, /api/v1/events/: each user sees exactly the events about what their own lists show,
oldest first, resumable from a cursor, never with changed values or the labels of personal records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from rest_framework.test import APIClient

from accounts.audit import audit_record
from accounts.models import Organisation, Role, User
from communications.models import Enquiry
from failure_regime.models import Case, Concern, ConcernSource
from failure_regime.services.cases import case_terms_revise
from failure_regime.services.concerns import concern_raise
from tests.communications.test_enquiries import receive
from tests.factories import member, sole_organisation
from tests.failure_regime.conftest import propose

pytestmark = pytest.mark.django_db

ApiClientFor = Callable[[User], APIClient]
EVENTS = "/api/v1/events/"


def raise_concern(inspector: User, provider: Organisation) -> Concern:
    return concern_raise(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=provider,
        source=ConcernSource.MORTALITY_DATA,
        summary="Deaths well above expected.",
    )


@pytest.fixture
def case(
    regulator: User, inspector: User, provider: Organisation, oversight_lead: User, sign_off_officer: User
) -> Case:
    return propose(regulator, provider, raise_concern(inspector, provider))


@pytest.fixture
def other_case(regulator: User, inspector: User, other_provider: Organisation, other_trust_manager: User) -> Case:
    return propose(regulator, other_provider, raise_concern(inspector, other_provider), title="Emergency care")


def feed(api: APIClient, **params: Any) -> list[dict[str, Any]]:
    response = api.get(EVENTS, params)
    assert response.status_code == 200, response.content
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def about(events: list[dict[str, Any]], target_type: str, target_id: object) -> list[str]:
    return [e["verb"] for e in events if e["target_type"] == target_type and e["target_id"] == str(target_id)]


def test_it_shows_a_trust_manager_their_providers_case_events(
    api_client_for: ApiClientFor, trust_manager: User, case: Case
) -> None:
    events = feed(api_client_for(trust_manager))
    assert "case.proposed" in about(events, "failure_regime.case", case.pk)


def test_it_hides_another_trusts_case_events(
    api_client_for: ApiClientFor, trust_manager: User, case: Case, other_case: Case
) -> None:
    events = feed(api_client_for(trust_manager))
    assert about(events, "failure_regime.case", other_case.pk) == []


def test_it_hides_concerns_about_a_trust_manager_s_own_provider(
    api_client_for: ApiClientFor, trust_manager: User, case: Case
) -> None:
    events = feed(api_client_for(trust_manager))
    assert [e for e in events if e["target_type"] == "failure_regime.concern"] == []


def test_it_shows_concerns_to_the_oversight_body_of_their_provider(
    api_client_for: ApiClientFor, oversight_lead: User, case: Case, other_case: Case
) -> None:
    events = feed(api_client_for(oversight_lead), verb="concern.raised")
    assert [e["target_label"] for e in events] == [f"Concern {case.concerns.get().pk} about {case.provider}"]


def test_it_shows_national_oversight_every_case_and_concern(
    api_client_for: ApiClientFor, national: User, case: Case, other_case: Case
) -> None:
    events = feed(api_client_for(national), page_size=500)
    concerns = [e for e in events if e["target_type"] == "failure_regime.concern"]
    assert about(events, "failure_regime.case", case.pk) and about(events, "failure_regime.case", other_case.pk)
    assert len(concerns) == 2


def test_it_shows_events_on_a_visible_case_s_timeline(
    api_client_for: ApiClientFor, trust_manager: User, regulator: User, case: Case
) -> None:
    case_terms_revise(actor=regulator, case=case, text="Review every case of harm since 2018.")
    events = feed(api_client_for(trust_manager), verb="case.terms_revised")
    assert [(e["scope_type"], e["scope_id"]) for e in events] == [("failure_regime.case", str(case.pk))]


def test_it_shows_events_about_unregistered_objects_only_to_those_who_read_the_whole_trail(
    api_client_for: ApiClientFor, trust_manager: User, national: User
) -> None:
    national_sees = feed(api_client_for(national), target_type="accounts.user")
    manager_sees = feed(api_client_for(trust_manager), target_type="accounts.user")
    assert national_sees and manager_sees == []


def test_it_never_gives_changed_values(api_client_for: ApiClientFor, national: User, case: Case) -> None:
    events = feed(api_client_for(national))
    assert {"before", "after"} & set(events[0]) == set()


def test_it_filters_by_verb_and_target_type(
    api_client_for: ApiClientFor, national: User, case: Case, other_case: Case
) -> None:
    events = feed(api_client_for(national), verb="case.proposed,concern.raised", target_type="failure_regime.case")
    assert {(e["verb"], e["target_id"]) for e in events} == {
        ("case.proposed", str(case.pk)),
        ("case.proposed", str(other_case.pk)),
    }


# --- Personal data --------------------------------------------------------------------------------------------


@pytest.fixture
def enquiry(provider: Organisation, case: Case) -> Enquiry:
    return receive(provider)


@pytest.fixture
def liaison_officer(monitor: Organisation) -> User:
    """A family liaison officer of Monitor, which handles enquiries about ``provider`` (it oversees it)."""
    return member(monitor, Role.FAMILY_LIAISON_OFFICER, full_name="Fay Liaison")


def test_it_shows_an_enquiry_s_events_to_its_liaison_officer_without_its_label(
    api_client_for: ApiClientFor, liaison_officer: User, enquiry: Enquiry
) -> None:
    events = feed(api_client_for(liaison_officer), target_type="communications.enquiry")
    assert [(e["target_id"], e["target_label"]) for e in events] == [(str(enquiry.pk), None)]


def test_it_hides_enquiries_from_national_oversight(
    api_client_for: ApiClientFor, national: User, enquiry: Enquiry
) -> None:
    assert feed(api_client_for(national), target_type="communications.enquiry") == []


def test_it_hides_an_enquiry_on_a_case_s_timeline_from_those_who_see_only_the_case(
    api_client_for: ApiClientFor, trust_manager: User, enquiry: Enquiry, case: Case
) -> None:
    audit_record(actor=None, verb="enquiry.case_linked", target=enquiry, scope=case)
    assert feed(api_client_for(trust_manager), target_type="communications.enquiry") == []


def test_it_hides_another_organisation_s_memberships(
    api_client_for: ApiClientFor, trust_manager: User, other_trust_manager: User
) -> None:
    events = feed(api_client_for(trust_manager), target_type="accounts.membership")
    assert [e["target_label"] for e in events] == [None]  # their own, unlabelled: it names a person


# --- Paging ---------------------------------------------------------------------------------------------------


def test_it_resumes_from_the_cursor_without_gaps_or_repeats(
    api_client_for: ApiClientFor, national: User, regulator: User, case: Case, other_case: Case
) -> None:
    api = api_client_for(national)
    everything = [e["sequence"] for e in feed(api, page_size=500)]
    seen: list[int] = []
    cursor = 0
    while True:
        page = api.get(EVENTS, {"after": cursor, "page_size": 3}).json()
        seen += [e["sequence"] for e in page["results"]]
        cursor = page["after"]
        if page["next"] is None:
            break
    case_terms_revise(actor=regulator, case=case, text="Review every case of harm since 2017.")
    newer = [e["sequence"] for e in api.get(EVENTS, {"after": cursor}).json()["results"]]
    assert seen == everything and seen == sorted(set(seen))
    assert len(newer) == 1 and newer[0] > everything[-1]


def test_it_keeps_the_cursor_when_nothing_is_new(api_client_for: ApiClientFor, national: User, case: Case) -> None:
    last = feed(api_client_for(national), page_size=500)[-1]["sequence"]
    page = api_client_for(national).get(EVENTS, {"after": last}).json()
    assert page == {"after": last, "next": None, "results": []}


def test_it_refuses_a_cursor_that_is_not_a_number(api_client_for: ApiClientFor, national: User) -> None:
    response = api_client_for(national).get(EVENTS, {"after": "abc"})
    assert response.status_code == 400 and response.json()["errors"] == {"after": ["Enter a whole number, 0 or more."]}


def test_it_reads_a_page_in_the_same_number_of_queries_however_many_events(
    api_client_for: ApiClientFor,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    trust_manager: User,
    regulator: User,
    case: Case,
) -> None:
    api = api_client_for(trust_manager)
    feed(api)  # warms the content-type cache
    # Some of them read the person's grants and overseen providers first, so that indexes answer the lists.
    with django_assert_max_num_queries(14) as few:
        feed(api)
    for n in range(15):
        case_terms_revise(actor=regulator, case=case, text=f"Version {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(feed(api)) > 15


# --- Access -----------------------------------------------------------------------------------------------------


def test_it_answers_401_to_the_public(client: Client) -> None:
    assert client.get(EVENTS).status_code == 401


def test_it_serves_a_signed_in_browser_session(client_for: Callable[[User], Client], trust_manager: User) -> None:
    assert client_for(trust_manager).get(EVENTS).status_code == 200
