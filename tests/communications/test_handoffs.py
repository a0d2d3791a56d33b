"""No hand-off reaches nobody: where an enquiry goes for exact, approximate and unknown provider names and for a
case the sender wrote from; the national triage queue; the invariant that every enquiry, in every state, is seen
and can be acted on by an active person; and passing a family's request for a review of care to the case's review
chair, with its outcome back on the enquiry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.errors import ConflictError
from accounts.models import AuditEvent, Organisation, Role, User
from communications.models import ContactMethod, Enquiry, EnquiryCategory, EnquiryStatus, Relation, Urgency
from communications.selectors.enquiries import enquiry_may_act, enquiry_queue
from communications.services.enquiries import (
    enquiry_close,
    enquiry_pass_to_review,
    enquiry_receive,
    enquiry_respond,
    enquiry_triage,
)
from failure_regime.models import Case
from reviews.models import AppointmentRole, Cohort, Regulator, ReviewRequest, ReviewRequestStatus, Seniority
from reviews.services import appointment_make, expert_register
from reviews.services.requests import review_request_accept, review_request_answer, review_request_decline
from tests.factories import member

pytestmark = pytest.mark.django_db

DECLARATION = "I declare that I have no conflict of interest with this provider."
REQUEST_TEXT = "The family asks for a review of the care of their mother on the maternity ward in March 2024."


def receive(**overrides: Any) -> Enquiry:
    answers: dict[str, Any] = {
        "name": "Alex Example",
        "relation": Relation.FAMILY,
        "worry": "My mother was left without pain relief for a day on the maternity ward.",
        "contact_method": ContactMethod.EMAIL,
        "email": "alex@example.org",
        "consent": True,
        **overrides,
    }
    return enquiry_receive(**answers)


@pytest.fixture
def national_liaison(nhs_england: Organisation) -> User:
    """A family liaison officer at NHS England, the national triage organisation: keeps the national queue."""
    return member(nhs_england, Role.FAMILY_LIAISON_OFFICER, full_name="Nadia Triage")


def sees_and_may_act(user: User, enquiry: Enquiry) -> bool:
    return enquiry_queue(user=user).filter(pk=enquiry.pk).exists() and enquiry_may_act(user=user, enquiry=enquiry)


# --- Routing: exact, approximate and unknown names --------------------------------------------------------------


def test_it_routes_an_exact_name_to_the_providers_family_liaison_team(
    family_support_case: Case, provider: Organisation, liaison_officer: User, national_liaison: User
) -> None:
    enquiry = receive(provider_name="Mid Shire Hospitals NHS Foundation Trust")
    assert enquiry.provider == provider and sees_and_may_act(liaison_officer, enquiry)


def test_it_routes_an_approximate_name_to_the_providers_family_liaison_team(
    family_support_case: Case, provider: Organisation, liaison_officer: User, national_liaison: User
) -> None:
    enquiry = receive(provider_name="mid-shire hospital")
    assert enquiry.handled_by == provider and sees_and_may_act(liaison_officer, enquiry)


def test_it_routes_an_unknown_name_to_the_national_triage_queue(
    family_support_case: Case, nhs_england: Organisation, liaison_officer: User, national_liaison: User
) -> None:
    enquiry = receive(provider_name="The hospital near my aunt's flat")
    assert enquiry.handled_by == nhs_england and sees_and_may_act(national_liaison, enquiry)


def test_the_providers_team_does_not_see_an_unknown_name(
    family_support_case: Case, liaison_officer: User, national_liaison: User
) -> None:
    enquiry = receive(provider_name="The hospital near my aunt's flat")
    assert not enquiry_queue(user=liaison_officer).filter(pk=enquiry.pk).exists()


def test_an_oversight_body_without_family_liaison_officers_is_passed_over(
    provider: Organisation, nhs_england: Organisation, national_liaison: User
) -> None:
    assert receive(provider=provider).handled_by == nhs_england


def test_an_oversight_body_with_family_liaison_officers_handles_it(
    provider: Organisation, monitor: Organisation, nhs_england: Organisation
) -> None:
    member(monitor, Role.FAMILY_LIAISON_OFFICER)
    assert receive(provider=provider).handled_by == monitor


def test_a_case_the_sender_wrote_from_is_linked(
    family_support_case: Case, provider: Organisation, national_liaison: User
) -> None:
    assert receive(provider=provider, case=family_support_case).case == family_support_case


def test_a_case_about_another_provider_is_not_linked(
    family_support_case: Case, other_provider: Organisation, national_liaison: User
) -> None:
    assert receive(provider=other_provider, case=family_support_case).case is None


def test_the_national_team_sees_an_enquiry_whose_own_team_has_left(
    family_support_case: Case,
    provider: Organisation,
    liaison_officer: User,
    national_liaison: User,
    regulator: User,
) -> None:
    enquiry = receive(provider=provider)
    liaison_officer.is_active = False
    liaison_officer.save(update_fields=["is_active"])
    assert sees_and_may_act(national_liaison, enquiry)


def test_the_national_team_does_not_see_an_enquiry_its_own_team_reaches(
    family_support_case: Case, provider: Organisation, liaison_officer: User, national_liaison: User
) -> None:
    enquiry = receive(provider=provider)
    assert not enquiry_queue(user=national_liaison).filter(pk=enquiry.pk).exists()


def test_national_oversight_does_not_act_on_enquiries(
    family_support_case: Case, national_liaison: User, national: User
) -> None:
    enquiry = receive(provider_name="somewhere")
    assert not enquiry_may_act(user=national, enquiry=enquiry)


def test_an_outsider_may_not_act_on_the_enquiry(
    family_support_case: Case, provider: Organisation, other_liaison_officer: User, national_liaison: User
) -> None:
    with pytest.raises(PermissionDenied):
        enquiry_close(actor=other_liaison_officer, enquiry=receive(provider=provider), reason="Not ours")


# --- The invariant: every enquiry, in every state, reaches someone who can act --------------------------------


def _in_state(enquiry: Enquiry, state: str, actor: User) -> Enquiry:
    if state == EnquiryStatus.NEW:
        return enquiry
    if state == EnquiryStatus.CLOSED:
        return enquiry_close(actor=actor, enquiry=enquiry, reason="It repeats another enquiry")
    enquiry = enquiry_triage(
        actor=actor, enquiry=enquiry, category=EnquiryCategory.INFORMATION, urgency=Urgency.ROUTINE
    )
    if state == EnquiryStatus.RESPONDED:
        enquiry = enquiry_respond(actor=actor, enquiry=enquiry, text="Phoned the sender and explained the review.")
    return enquiry


KINDS = ["chosen", "matched", "unmatched", "case_linked", "team_left"]


@pytest.mark.parametrize("state", EnquiryStatus.values)
@pytest.mark.parametrize("kind", KINDS)
def test_it_every_enquiry_is_seen_and_can_be_acted_on_by_an_active_person(
    kind: str,
    state: str,
    family_support_case: Case,
    provider: Organisation,
    liaison_officer: User,
    other_liaison_officer: User,
    national_liaison: User,
    national: User,
) -> None:
    ways: dict[str, dict[str, Any]] = {
        "chosen": {"provider": provider},
        "matched": {"provider_name": "Mid Shire Hospital"},
        "unmatched": {"provider_name": "The hospital near my aunt's flat"},
        "case_linked": {"provider": provider, "case": family_support_case},
        "team_left": {"provider": provider},
    }
    enquiry = receive(**ways[kind])
    handler = national_liaison if enquiry.handled_by_id != provider.pk else liaison_officer
    enquiry = _in_state(enquiry, state, handler)
    if kind == "team_left":
        liaison_officer.is_active = False
        liaison_officer.save(update_fields=["is_active"])
    enquiry.refresh_from_db()
    people = User.objects.filter(is_active=True)
    assert any(sees_and_may_act(person, enquiry) for person in people)


@pytest.mark.parametrize("kind", KINDS)
def test_it_whoever_sees_an_enquiry_may_act_on_it_and_no_one_else(
    kind: str,
    family_support_case: Case,
    provider: Organisation,
    liaison_officer: User,
    other_liaison_officer: User,
    national_liaison: User,
    national: User,
    regulator: User,
) -> None:
    ways: dict[str, dict[str, Any]] = {
        "chosen": {"provider": provider},
        "matched": {"provider_name": "Mid Shire Hospital"},
        "unmatched": {"provider_name": "somewhere I cannot name"},
        "case_linked": {"provider": provider, "case": family_support_case},
        "team_left": {"provider": provider},
    }
    enquiry = receive(**ways[kind])
    if kind == "team_left":
        liaison_officer.is_active = False
        liaison_officer.save(update_fields=["is_active"])
    people = [liaison_officer, other_liaison_officer, national_liaison, national, regulator]
    seen = [enquiry_queue(user=p).filter(pk=enquiry.pk).exists() for p in people]
    assert seen == [enquiry_may_act(user=p, enquiry=enquiry) for p in people]


# --- Passing a request for a review of care to the case's review --------------------------------------------------


@pytest.fixture
def chair(case: Case, regulator: User, oversight_lead: User, nhs_england: Organisation) -> User:
    """A review chair with an account, appointed to ``case``."""
    user = member(nhs_england, Role.REVIEW_CHAIR, full_name="Rosa Chair")
    expert = expert_register(
        actor=oversight_lead,
        name="Dr Rosa Chair",
        profession="Consultant physician",
        regulator=Regulator.GMC,
        registration_number="7100001",
        specialties=["General medicine"],
        seniority=Seniority.NATIONAL_EXPERT,
        capacity_per_week=2,
        user=user,
    )
    appointment_make(
        actor=regulator, case=case, expert=expert, role=AppointmentRole.REVIEW_CHAIR, declaration=DECLARATION
    )
    return user


@pytest.fixture
def cohort(family_support_case: Case, regulator: User) -> Cohort:
    return Cohort.objects.create(
        case=family_support_case, title="Maternity deaths 2019 to 2024", created_by=regulator, created_at=timezone.now()
    )


@pytest.fixture
def linked(family_support_case: Case, provider: Organisation, liaison_officer: User, national_liaison: User) -> Enquiry:
    """An enquiry about ``provider``, triaged as wanting a review of care and linked to its case."""
    enquiry = receive(provider=provider, wants_case_note_review=True)
    return enquiry_triage(
        actor=liaison_officer,
        enquiry=enquiry,
        category=EnquiryCategory.CARE_REVIEW,
        urgency=Urgency.ROUTINE,
        case=family_support_case,
    )


def pass_on(enquiry: Enquiry, actor: User, **overrides: Any) -> ReviewRequest:
    return enquiry_pass_to_review(
        actor=actor, enquiry=enquiry, **{"text": REQUEST_TEXT, "age_band": "60 to 69", **overrides}
    )


def test_it_passes_the_request_to_the_case_review_as_an_open_review_request(
    linked: Enquiry, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    review_request = pass_on(linked, liaison_officer)
    assert (review_request.case_id, review_request.cohort, review_request.status) == (
        linked.case_id,
        cohort,
        ReviewRequestStatus.OPEN,
    )


def test_the_enquiry_points_at_its_review_request(
    linked: Enquiry, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    review_request = pass_on(linked, liaison_officer)
    linked.refresh_from_db()
    assert linked.review_request == review_request and linked.cohort == cohort


def test_the_request_carries_the_enquiry_reference_not_the_sender(
    linked: Enquiry, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    review_request = pass_on(linked, liaison_officer)
    assert review_request.source_reference == linked.reference and "Alex" not in review_request.text


def test_passing_it_on_is_audited_without_the_text(
    linked: Enquiry, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    pass_on(linked, liaison_officer)
    event = AuditEvent.objects.get(verb="enquiry.passed_to_review")
    assert event.actor == liaison_officer and "maternity ward" not in f"{event.before}{event.after}"


@pytest.mark.parametrize(
    "text",
    [
        "Alex Example asks for a review of her mother's care.",
        "Please call alex@example.org about the review.",
        "Her NHS number is 943 476 5919.",
        "Born 12/03/1941, she died on the ward.",
    ],
)
def test_it_refuses_text_that_could_identify_the_patient_or_family(
    text: str, linked: Enquiry, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    with pytest.raises(ValidationError) as error:
        pass_on(linked, liaison_officer, text=text)
    assert "text" in error.value.message_dict


def test_it_refuses_an_enquiry_without_a_case(
    provider: Organisation, family_support_case: Case, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    with pytest.raises(ValidationError):
        pass_on(receive(provider=provider), liaison_officer)


def test_it_refuses_a_case_whose_review_has_no_chair(linked: Enquiry, liaison_officer: User, cohort: Cohort) -> None:
    with pytest.raises(ValidationError) as error:
        pass_on(linked, liaison_officer)
    assert "no chair" in str(error.value)


def test_it_refuses_a_case_without_a_cohort(linked: Enquiry, liaison_officer: User, chair: User) -> None:
    with pytest.raises(ValidationError):
        pass_on(linked, liaison_officer)


def test_it_refuses_an_officer_who_does_not_handle_the_enquiry(
    linked: Enquiry, other_liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    with pytest.raises(PermissionDenied):
        pass_on(linked, other_liaison_officer)


def test_it_refuses_to_pass_it_twice_while_it_stands(
    linked: Enquiry, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    pass_on(linked, liaison_officer)
    with pytest.raises(ConflictError):
        pass_on(linked, liaison_officer)


def test_a_declined_request_may_be_passed_again(
    linked: Enquiry, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    review_request_decline(actor=chair, review_request=pass_on(linked, liaison_officer), reason="Outside the period.")
    assert pass_on(linked, liaison_officer, text="The care was in April 2024, within the period.").waiting


def test_it_round_trips_from_the_officer_to_the_chair_and_back(
    client_for: Callable[[User], Client], linked: Enquiry, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    review_request = pass_on(linked, liaison_officer)
    review_request_accept(actor=chair, review_request=review_request)
    review_request_answer(actor=chair, review_request=review_request, outcome="The care was reviewed: it was poor.")
    page = client_for(liaison_officer).get(reverse("communications:enquiry-detail", args=[linked.pk]))
    assert "The care was reviewed: it was poor." in page.content.decode()


# --- The page and the API of passing it on -----------------------------------------------------------------------


def pass_url(enquiry: Enquiry) -> str:
    return reverse("communications:enquiry-pass-to-review", args=[enquiry.pk])


def test_the_officer_passes_it_on_from_the_enquiry_page(
    client_for: Callable[[User], Client], linked: Enquiry, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    response = client_for(liaison_officer).post(pass_url(linked), {"review-text": REQUEST_TEXT})
    assert response.status_code == 302 and ReviewRequest.objects.filter(source_reference=linked.reference).exists()


def test_another_officer_gets_404_passing_it_on(
    client_for: Callable[[User], Client], linked: Enquiry, other_liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    assert client_for(other_liaison_officer).post(pass_url(linked), {"review-text": REQUEST_TEXT}).status_code == 404


def test_the_public_cannot_pass_it_on(client: Client, linked: Enquiry, chair: User, cohort: Cohort) -> None:
    response = client.post(pass_url(linked), {"review-text": REQUEST_TEXT})
    assert response.status_code == 302 and not ReviewRequest.objects.exists()


def test_the_page_shows_the_field_error_for_identifying_text(
    client_for: Callable[[User], Client], linked: Enquiry, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    response = client_for(liaison_officer).post(pass_url(linked), {"review-text": "Her NHS number is 9434765919."})
    assert response.status_code == 400 and "Remove the NHS number" in response.content.decode()


def api_url(enquiry: Enquiry) -> str:
    return f"/api/v1/enquiries/{enquiry.pk}/review-request/"


def test_the_api_passes_it_on(
    api_client_for: Callable[[User], APIClient], linked: Enquiry, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    response = api_client_for(liaison_officer).post(api_url(linked), {"text": REQUEST_TEXT, "age_band": "60 to 69"})
    assert response.status_code == 201 and response.json()["status"] == "open"


def test_the_api_gives_another_officer_404(
    api_client_for: Callable[[User], APIClient],
    linked: Enquiry,
    other_liaison_officer: User,
    chair: User,
    cohort: Cohort,
) -> None:
    assert api_client_for(other_liaison_officer).post(api_url(linked), {"text": REQUEST_TEXT}).status_code == 404


def test_the_api_refuses_the_anonymous(linked: Enquiry, chair: User, cohort: Cohort) -> None:
    assert APIClient().post(api_url(linked), {"text": REQUEST_TEXT}).status_code in {401, 403}


def test_the_api_gives_field_errors_for_a_bad_age_band(
    api_client_for: Callable[[User], APIClient], linked: Enquiry, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    response = api_client_for(liaison_officer).post(api_url(linked), {"text": REQUEST_TEXT, "age_band": "old"})
    assert response.status_code == 400 and "age_band" in response.json()["errors"]


def test_the_api_shows_the_outcome_on_the_enquiry(
    api_client_for: Callable[[User], APIClient], linked: Enquiry, liaison_officer: User, chair: User, cohort: Cohort
) -> None:
    review_request = pass_on(linked, liaison_officer)
    review_request_decline(actor=chair, review_request=review_request, reason="The care was outside the period.")
    body = api_client_for(liaison_officer).get(f"/api/v1/enquiries/{linked.pk}/").json()
    assert body["review_request"]["decline_reason"] == "The care was outside the period."
