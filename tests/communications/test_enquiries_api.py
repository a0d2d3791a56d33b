"""The API of the support directory (public and staff) and of enquiries (family liaison officers only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Organisation, Role, User
from accounts.services import membership_create
from communications.models import Enquiry, SupportKind, SupportService
from communications.services.enquiries import enquiry_receive, enquiry_triage, referral_offer
from communications.services.support import support_service_deactivate
from failure_regime.models import Case

pytestmark = pytest.mark.django_db

ApiClientFor = Callable[[User], APIClient]
PUBLIC = "/api/v1/support-services/"
DIRECTORY = "/api/v1/support-directory/"
ENQUIRIES = "/api/v1/enquiries/"


@pytest.fixture
def enquiry(family_support_case: Case, provider: Organisation) -> Enquiry:
    return enquiry_receive(
        provider=provider,
        name="Alex Example",
        relation="family",
        worry="My mother was left without pain relief.",
        contact_method="email",
        email="alex@example.org",
        consent=True,
    )


def new_service(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Advocacy for families",
        "kind": SupportKind.ADVOCACY,
        "description": "Independent advocates.",
        "website": "https://advocacy.example.org",
        **overrides,
    }


# --- The public directory ----------------------------------------------------------------------------------


def test_anyone_reads_the_directory(helpline: SupportService) -> None:
    [service] = APIClient().get(PUBLIC).json()["results"]
    assert service["name"] == "Maternity families helpline"


def test_the_directory_gives_opening_hours_in_plain_english(helpline: SupportService) -> None:
    service = APIClient().get(f"{PUBLIC}{helpline.pk}/").json()
    assert service["opening_hours"][0] == {"days": "Monday to Friday", "hours": "9am to 5pm"}


def test_the_public_directory_leaves_out_services_no_longer_offered(
    helpline: SupportService, liaison_officer: User
) -> None:
    support_service_deactivate(actor=liaison_officer, service=helpline)
    assert APIClient().get(f"{PUBLIC}{helpline.pk}/").status_code == 404


def test_the_public_directory_filters_by_kind(helpline: SupportService) -> None:
    assert APIClient().get(PUBLIC, {"kind": SupportKind.COUNSELLING}).json()["count"] == 0


def test_the_public_directory_may_be_cached_and_sets_no_cookie(helpline: SupportService) -> None:
    response = APIClient().get(PUBLIC)
    assert "public" in response["Cache-Control"] and not response.cookies


def test_the_public_directory_names_no_maintainer(helpline: SupportService) -> None:
    assert "maintained_by" not in APIClient().get(f"{PUBLIC}{helpline.pk}/").json()


# --- The staff directory -----------------------------------------------------------------------------------


def test_the_staff_directory_refuses_the_public(helpline: SupportService) -> None:
    assert APIClient().get(DIRECTORY).status_code == 401


def test_a_liaison_officer_adds_a_service(api_client_for: ApiClientFor, liaison_officer: User) -> None:
    response = api_client_for(liaison_officer).post(DIRECTORY, new_service(), format="json")
    assert response.status_code == 201 and response.json()["maintained_by"]["ods_code"] == "RXX"


def test_a_service_with_bad_details_is_refused_field_by_field(
    api_client_for: ApiClientFor, liaison_officer: User
) -> None:
    response = api_client_for(liaison_officer).post(DIRECTORY, new_service(website="nope"), format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["website"]


def test_a_trust_manager_cannot_add_a_service(api_client_for: ApiClientFor, trust_manager: User) -> None:
    assert api_client_for(trust_manager).post(DIRECTORY, new_service(), format="json").status_code == 403


def test_a_person_who_keeps_services_for_two_organisations_names_one(
    api_client_for: ApiClientFor, liaison_officer: User, other_provider: Organisation
) -> None:
    membership_create(actor=None, user=liaison_officer, organisation=other_provider, role=Role.COMMUNICATIONS_OFFICER)
    client = api_client_for(liaison_officer)
    unnamed = client.post(DIRECTORY, new_service(), format="json")
    assert unnamed.status_code == 400 and list(unnamed.json()["errors"]) == ["organisation"]
    named = client.post(DIRECTORY, new_service(organisation=other_provider.pk), format="json")
    assert named.status_code == 201, named.json()
    assert named.json()["maintained_by"]["ods_code"] == other_provider.ods_code


def test_the_maintainers_change_a_service(
    api_client_for: ApiClientFor, helpline: SupportService, liaison_officer: User
) -> None:
    response = api_client_for(liaison_officer).put(
        f"{DIRECTORY}{helpline.pk}/", new_service(name="Families advocacy"), format="json"
    )
    assert response.json()["name"] == "Families advocacy"


def test_another_organisation_cannot_change_a_service(
    api_client_for: ApiClientFor, helpline: SupportService, other_liaison_officer: User
) -> None:
    response = api_client_for(other_liaison_officer).put(f"{DIRECTORY}{helpline.pk}/", new_service(), format="json")
    assert response.status_code == 403


def test_the_maintainers_set_opening_times(
    api_client_for: ApiClientFor, helpline: SupportService, liaison_officer: User
) -> None:
    response = api_client_for(liaison_officer).post(
        f"{DIRECTORY}{helpline.pk}/opening-times/",
        {"opening_times": [{"weekday": 7, "opens": "10:00", "closes": "16:00"}]},
        format="json",
    )
    assert response.json()["opening_hours"][-1] == {"days": "Sunday", "hours": "10am to 4pm"}


def test_stopping_a_service_twice_is_a_conflict(
    api_client_for: ApiClientFor, helpline: SupportService, liaison_officer: User
) -> None:
    api = api_client_for(liaison_officer)
    api.post(f"{DIRECTORY}{helpline.pk}/deactivate/")
    assert api.post(f"{DIRECTORY}{helpline.pk}/deactivate/").status_code == 409


def test_staff_still_see_a_service_no_longer_offered(
    api_client_for: ApiClientFor, helpline: SupportService, liaison_officer: User, trust_manager: User
) -> None:
    support_service_deactivate(actor=liaison_officer, service=helpline)
    assert api_client_for(trust_manager).get(f"{DIRECTORY}{helpline.pk}/").json()["active"] is False


def test_a_party_links_a_service_to_its_case(
    api_client_for: ApiClientFor, helpline: SupportService, liaison_officer: User, case: Case
) -> None:
    response = api_client_for(liaison_officer).post(f"{DIRECTORY}{helpline.pk}/link/", {"case": case.pk})
    assert response.json()["cases"] == [case.pk]


def test_a_case_the_caller_cannot_see_cannot_be_linked(
    api_client_for: ApiClientFor, helpline: SupportService, other_liaison_officer: User, case: Case
) -> None:
    response = api_client_for(other_liaison_officer).post(f"{DIRECTORY}{helpline.pk}/link/", {"case": case.pk})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["case"]


def test_unlinking_a_service_not_linked_is_a_conflict(
    api_client_for: ApiClientFor, helpline: SupportService, liaison_officer: User, case: Case
) -> None:
    assert (
        api_client_for(liaison_officer).post(f"{DIRECTORY}{helpline.pk}/unlink/", {"case": case.pk}).status_code == 409
    )


# --- Enquiries -----------------------------------------------------------------------------------------------


def test_enquiries_refuse_the_public(enquiry: Enquiry) -> None:
    assert APIClient().get(ENQUIRIES).status_code == 401


def test_the_officer_lists_their_enquiries_without_personal_data(
    api_client_for: ApiClientFor, enquiry: Enquiry, liaison_officer: User
) -> None:
    [row] = api_client_for(liaison_officer).get(ENQUIRIES).json()["results"]
    assert row["reference"] == enquiry.reference and not {"name", "worry", "email", "phone"} & set(row)


def test_another_organisations_officer_lists_none(
    api_client_for: ApiClientFor, enquiry: Enquiry, other_liaison_officer: User
) -> None:
    assert api_client_for(other_liaison_officer).get(ENQUIRIES).json()["count"] == 0


def test_another_organisations_officer_gets_not_found(
    api_client_for: ApiClientFor, enquiry: Enquiry, other_liaison_officer: User
) -> None:
    assert api_client_for(other_liaison_officer).get(f"{ENQUIRIES}{enquiry.pk}/").status_code == 404


def test_national_oversight_gets_not_found(api_client_for: ApiClientFor, enquiry: Enquiry, national: User) -> None:
    assert api_client_for(national).get(f"{ENQUIRIES}{enquiry.pk}/").status_code == 404


def test_reading_an_enquiry_returns_what_the_sender_said_and_is_audited(
    api_client_for: ApiClientFor, enquiry: Enquiry, liaison_officer: User
) -> None:
    body = api_client_for(liaison_officer).get(f"{ENQUIRIES}{enquiry.pk}/").json()
    assert body["worry"] == "My mother was left without pain relief."
    assert AuditEvent.objects.filter(verb="enquiry.viewed", target_id=str(enquiry.pk)).count() == 1


def test_the_officer_triages_an_enquiry(api_client_for: ApiClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    response = api_client_for(liaison_officer).post(
        f"{ENQUIRIES}{enquiry.pk}/triage/",
        {"category": "urgent_clinical", "urgency": "urgent", "assigned_to": liaison_officer.pk},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "triaged"


def test_triage_with_an_unknown_category_is_refused(
    api_client_for: ApiClientFor, enquiry: Enquiry, liaison_officer: User
) -> None:
    response = api_client_for(liaison_officer).post(
        f"{ENQUIRIES}{enquiry.pk}/triage/", {"category": "gossip", "urgency": "urgent"}, format="json"
    )
    assert response.status_code == 400 and list(response.json()["errors"]) == ["category"]


def test_an_outsider_cannot_triage(api_client_for: ApiClientFor, enquiry: Enquiry, other_liaison_officer: User) -> None:
    response = api_client_for(other_liaison_officer).post(
        f"{ENQUIRIES}{enquiry.pk}/triage/", {"category": "information", "urgency": "routine"}, format="json"
    )
    assert response.status_code == 404


def test_answering_before_triage_is_a_conflict(
    api_client_for: ApiClientFor, enquiry: Enquiry, liaison_officer: User
) -> None:
    response = api_client_for(liaison_officer).post(f"{ENQUIRIES}{enquiry.pk}/respond/", {"text": "Phoned."})
    assert response.status_code == 409


def test_the_officer_records_the_response(
    api_client_for: ApiClientFor, enquiry: Enquiry, liaison_officer: User
) -> None:
    enquiry_triage(actor=liaison_officer, enquiry=enquiry, category="information", urgency="routine")
    response = api_client_for(liaison_officer).post(f"{ENQUIRIES}{enquiry.pk}/respond/", {"text": "Phoned."})
    assert response.json()["status"] == "responded"


def test_a_note_is_added_and_its_text_is_not_echoed(
    api_client_for: ApiClientFor, enquiry: Enquiry, liaison_officer: User
) -> None:
    response = api_client_for(liaison_officer).post(
        f"{ENQUIRIES}{enquiry.pk}/notes/", {"kind": "contact_attempt", "text": "No answer."}
    )
    assert response.status_code == 201 and "text" not in response.json()


def test_text_with_a_nul_byte_is_refused(api_client_for: ApiClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    response = api_client_for(liaison_officer).post(
        f"{ENQUIRIES}{enquiry.pk}/notes/", {"kind": "note", "text": "a\x00b"}, format="json"
    )
    assert response.status_code == 400


def test_the_officer_closes_an_enquiry(api_client_for: ApiClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    response = api_client_for(liaison_officer).post(f"{ENQUIRIES}{enquiry.pk}/close/", {"reason": "Duplicate"})
    assert response.json()["status"] == "closed"


def test_a_service_is_offered_and_accepted(
    api_client_for: ApiClientFor, enquiry: Enquiry, liaison_officer: User, helpline: SupportService
) -> None:
    api = api_client_for(liaison_officer)
    referral = api.post(f"{ENQUIRIES}{enquiry.pk}/referrals/", {"service": helpline.pk}).json()
    response = api.post(f"{ENQUIRIES}{enquiry.pk}/referrals/{referral['id']}/decision/", {"accepted": True})
    assert (referral["status"], response.json()["status"]) == ("offered", "accepted")


def test_a_service_offered_twice_is_a_conflict(
    api_client_for: ApiClientFor, enquiry: Enquiry, liaison_officer: User, helpline: SupportService
) -> None:
    referral_offer(actor=liaison_officer, enquiry=enquiry, service=helpline)
    response = api_client_for(liaison_officer).post(f"{ENQUIRIES}{enquiry.pk}/referrals/", {"service": helpline.pk})
    assert response.status_code == 409


def test_a_referral_of_another_enquiry_is_not_found(
    api_client_for: ApiClientFor, enquiry: Enquiry, liaison_officer: User, helpline: SupportService
) -> None:
    response = api_client_for(liaison_officer).post(
        f"{ENQUIRIES}{enquiry.pk}/referrals/999999/decision/", {"accepted": False}
    )
    assert response.status_code == 404


def test_a_huge_id_is_not_found(api_client_for: ApiClientFor, liaison_officer: User) -> None:
    assert api_client_for(liaison_officer).get(f"{ENQUIRIES}{'9' * 18}/").status_code == 404


def test_the_list_filters_by_urgency(api_client_for: ApiClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    assert api_client_for(liaison_officer).get(ENQUIRIES, {"urgency": "urgent"}).json()["count"] == 0


def test_the_list_keeps_to_its_query_budget(
    api_client_for: ApiClientFor,
    enquiry: Enquiry,
    provider: Organisation,
    liaison_officer: User,
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(10):
        received = enquiry_receive(
            provider=provider,
            name="A",
            relation="family",
            worry="W",
            contact_method="phone",
            phone="01632960001",
            consent=True,
        )
        enquiry_triage(
            actor=liaison_officer, enquiry=received, category="media", urgency="routine", assigned_to=liaison_officer
        )
    api = api_client_for(liaison_officer)
    with django_assert_max_num_queries(6):
        assert api.get(ENQUIRIES).json()["count"] == 11
