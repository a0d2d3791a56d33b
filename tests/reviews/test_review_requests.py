"""Review requests on the reviews side: the case's review chair sees the families' requests passed to the case's
review and accepts, declines or answers them, with audit; reviewers, other cases' chairs and the public do not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.errors import TransitionNotAllowed
from accounts.models import AuditEvent, Organisation, Role, User
from failure_regime.models import Case, ConcernSource, Notification
from failure_regime.services.concerns import concern_raise
from failure_regime.work import work_for_user
from reviews.models import AppointmentRole, Cohort, Regulator, ReviewRequest, ReviewRequestStatus, Seniority
from reviews.selectors.requests import review_request_list_for_user, review_request_queue
from reviews.services import appointment_make, expert_register
from reviews.services.requests import (
    review_request_accept,
    review_request_answer,
    review_request_decline,
    review_request_receive,
)
from reviews.work import REQUESTS
from tests.factories import member, sole_organisation
from tests.failure_regime.conftest import propose

pytestmark = pytest.mark.django_db

DECLARATION = "I declare that I have no conflict of interest with this provider."
numbers = iter(range(7200000, 7299999))


def chair_of(case: Case, *, regulator: User, oversight_lead: User, organisation: Organisation, name: str) -> User:
    user = member(organisation, Role.REVIEW_CHAIR, full_name=name)
    expert = expert_register(
        actor=oversight_lead,
        name=name,
        profession="Consultant physician",
        regulator=Regulator.GMC,
        registration_number=str(next(numbers)),
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
def chair(case: Case, regulator: User, oversight_lead: User, nhs_england: Organisation) -> User:
    return chair_of(case, regulator=regulator, oversight_lead=oversight_lead, organisation=nhs_england, name="Rosa")


@pytest.fixture
def other_chair(
    regulator: User, oversight_lead: User, inspector: User, nhs_england: Organisation, other_provider: Organisation
) -> User:
    """The chair of another case's review, about another provider."""
    other_concern = concern_raise(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=other_provider,
        source=ConcernSource.MORTALITY_DATA,
        summary="High mortality.",
    )
    other_case = propose(regulator, other_provider, other_concern)
    return chair_of(
        other_case, regulator=regulator, oversight_lead=oversight_lead, organisation=nhs_england, name="Ola"
    )


@pytest.fixture
def cohort(case: Case, regulator: User) -> Cohort:
    return Cohort.objects.create(
        case=case, title="Deaths 2019 to 2024", created_by=regulator, created_at=timezone.now()
    )


@pytest.fixture
def officer(provider: Organisation) -> User:
    return member(provider, Role.FAMILY_LIAISON_OFFICER, full_name="Faye Liaison")


@pytest.fixture
def review_request(case: Case, cohort: Cohort, chair: User, officer: User, provider: Organisation) -> ReviewRequest:
    return review_request_receive(
        actor=officer,
        organisation=provider,
        case=case,
        source_reference="ENQ-7K3Q-9XZ2",
        text="The family asks for a review of their father's care in the emergency department in March 2024.",
        age_band="70 to 79",
    )


@pytest.fixture
def expert_reviewer(case: Case, regulator: User, oversight_lead: User, nhs_england: Organisation) -> User:
    user = member(nhs_england, Role.EXPERT_REVIEWER, full_name="Rae Reviewer")
    expert = expert_register(
        actor=oversight_lead,
        name="Rae Reviewer",
        profession="Consultant",
        regulator=Regulator.GMC,
        registration_number=str(next(numbers)),
        specialties=["General medicine"],
        seniority=Seniority.CONSULTANT,
        capacity_per_week=4,
        user=user,
    )
    appointment_make(
        actor=regulator, case=case, expert=expert, role=AppointmentRole.EXPERT_REVIEWER, declaration=DECLARATION
    )
    return user


# --- Who sees them -----------------------------------------------------------------------------------------------


def test_the_chair_sees_the_request(review_request: ReviewRequest, chair: User) -> None:
    assert list(review_request_queue(user=chair)) == [review_request]


def test_a_reviewer_of_the_case_sees_nothing(review_request: ReviewRequest, expert_reviewer: User) -> None:
    assert not review_request_list_for_user(user=expert_reviewer).exists()


def test_another_cases_chair_sees_nothing(review_request: ReviewRequest, other_chair: User) -> None:
    assert not review_request_list_for_user(user=other_chair).exists()


def test_a_chair_whose_appointment_ended_sees_nothing(review_request: ReviewRequest, chair: User) -> None:
    chair.expert.appointments.update(ended_at=timezone.now(), end_reason="Stood down")
    assert not review_request_list_for_user(user=chair).exists()


# --- What the chair does -------------------------------------------------------------------------------------------


def test_the_chair_accepts_it_into_the_review(review_request: ReviewRequest, chair: User) -> None:
    assert review_request_accept(actor=chair, review_request=review_request).status == ReviewRequestStatus.ACCEPTED


def test_accepting_is_audited(review_request: ReviewRequest, chair: User) -> None:
    review_request_accept(actor=chair, review_request=review_request)
    event = AuditEvent.objects.get(verb="review_request.accepted")
    assert event.actor == chair and event.after["status"] == "accepted"


def test_the_chair_declines_it_with_the_reason(review_request: ReviewRequest, chair: User) -> None:
    declined = review_request_decline(actor=chair, review_request=review_request, reason="Outside the period.")
    assert (declined.status, declined.decline_reason) == (ReviewRequestStatus.DECLINED, "Outside the period.")


def test_declining_needs_a_reason(review_request: ReviewRequest, chair: User) -> None:
    with pytest.raises(ValidationError) as error:
        review_request_decline(actor=chair, review_request=review_request, reason=" ")
    assert "reason" in error.value.message_dict


def test_the_chair_records_the_outcome_of_an_accepted_request(review_request: ReviewRequest, chair: User) -> None:
    review_request_accept(actor=chair, review_request=review_request)
    answered = review_request_answer(actor=chair, review_request=review_request, outcome="Care was good.")
    assert (
        answered.status == ReviewRequestStatus.ANSWERED
        and AuditEvent.objects.filter(verb="review_request.answered").exists()
    )


def test_an_outcome_before_acceptance_is_refused(review_request: ReviewRequest, chair: User) -> None:
    with pytest.raises(TransitionNotAllowed):
        review_request_answer(actor=chair, review_request=review_request, outcome="Care was good.")


def test_an_outcome_naming_an_nhs_number_is_refused(review_request: ReviewRequest, chair: User) -> None:
    review_request_accept(actor=chair, review_request=review_request)
    with pytest.raises(ValidationError):
        review_request_answer(actor=chair, review_request=review_request, outcome="Patient 9434765919: poor care.")


def test_a_declined_request_cannot_be_accepted(review_request: ReviewRequest, chair: User) -> None:
    review_request_decline(actor=chair, review_request=review_request, reason="Outside the period.")
    with pytest.raises(TransitionNotAllowed):
        review_request_accept(actor=chair, review_request=review_request)


def test_another_cases_chair_may_not_decide(review_request: ReviewRequest, other_chair: User) -> None:
    with pytest.raises(PermissionDenied):
        review_request_accept(actor=other_chair, review_request=review_request)


def test_a_request_needs_a_chair(case: Case, cohort: Cohort, officer: User, provider: Organisation) -> None:
    with pytest.raises(ValidationError):
        review_request_receive(
            actor=officer, organisation=provider, case=case, source_reference="ENQ-1111-2222", text="Review it."
        )


# --- Pages --------------------------------------------------------------------------------------------------------

ClientFor = Callable[[User], Client]
LIST = reverse("reviews:review-request-list")


def detail(review_request: ReviewRequest) -> str:
    return reverse("reviews:review-request-detail", args=[review_request.pk])


def test_the_chair_lists_the_requests(client_for: ClientFor, review_request: ReviewRequest, chair: User) -> None:
    assert review_request.source_reference in client_for(chair).get(LIST).content.decode()


def test_a_reviewer_lists_none(client_for: ClientFor, review_request: ReviewRequest, expert_reviewer: User) -> None:
    assert review_request.source_reference not in client_for(expert_reviewer).get(LIST).content.decode()


def test_the_list_is_for_staff_only(client: Client, review_request: ReviewRequest) -> None:
    assert client.get(LIST).status_code == 302


def test_the_chair_opens_the_request(client_for: ClientFor, review_request: ReviewRequest, chair: User) -> None:
    assert client_for(chair).get(detail(review_request)).status_code == 200


def test_a_reviewer_gets_404(client_for: ClientFor, review_request: ReviewRequest, expert_reviewer: User) -> None:
    assert client_for(expert_reviewer).get(detail(review_request)).status_code == 404


def test_another_cases_chair_gets_404(client_for: ClientFor, review_request: ReviewRequest, other_chair: User) -> None:
    assert client_for(other_chair).get(detail(review_request)).status_code == 404


def test_the_public_is_sent_to_sign_in(client: Client, review_request: ReviewRequest) -> None:
    assert client.get(detail(review_request)).status_code == 302


def test_the_chair_accepts_from_the_page(client_for: ClientFor, review_request: ReviewRequest, chair: User) -> None:
    url = reverse("reviews:review-request-accept", args=[review_request.pk])
    response = client_for(chair).post(url)
    review_request.refresh_from_db()
    assert response.status_code == 302 and review_request.status == ReviewRequestStatus.ACCEPTED


def test_a_reviewer_cannot_accept(client_for: ClientFor, review_request: ReviewRequest, expert_reviewer: User) -> None:
    url = reverse("reviews:review-request-accept", args=[review_request.pk])
    assert client_for(expert_reviewer).post(url).status_code == 404


def test_declining_without_a_reason_shows_the_field_error(
    client_for: ClientFor, review_request: ReviewRequest, chair: User
) -> None:
    url = reverse("reviews:review-request-decline", args=[review_request.pk])
    response = client_for(chair).post(url, {"decline-reason": ""})
    assert response.status_code == 400 and "Say why the request is declined" in response.content.decode()


def test_the_chair_records_the_outcome_from_the_page(
    client_for: ClientFor, review_request: ReviewRequest, chair: User
) -> None:
    review_request_accept(actor=chair, review_request=review_request)
    url = reverse("reviews:review-request-outcome", args=[review_request.pk])
    client_for(chair).post(url, {"outcome-outcome": "The care was reviewed and found good."})
    review_request.refresh_from_db()
    assert review_request.outcome == "The care was reviewed and found good."


def test_the_case_review_page_shows_the_chair_the_open_request(
    client_for: ClientFor, review_request: ReviewRequest, chair: User, case: Case
) -> None:
    page = client_for(chair).get(reverse("reviews:case-review", args=[case.pk])).content.decode()
    assert detail(review_request) in page


def test_the_list_keeps_to_its_query_budget(
    client_for: ClientFor,
    review_request: ReviewRequest,
    chair: User,
    case: Case,
    cohort: Cohort,
    officer: User,
    provider: Organisation,
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(chair)
    with django_assert_max_num_queries(30) as few:
        client.get(LIST)
    for n in range(10):
        review_request_receive(
            actor=officer, organisation=provider, case=case, source_reference=f"ENQ-0000-{n:04d}", text="Review it."
        )
    with django_assert_max_num_queries(len(few)):
        client.get(LIST)


# --- API ----------------------------------------------------------------------------------------------------------

ApiFor = Callable[[User], APIClient]
API = "/api/v1/review-requests/"


def test_the_api_lists_the_chairs_requests(api_client_for: ApiFor, review_request: ReviewRequest, chair: User) -> None:
    assert [r["id"] for r in api_client_for(chair).get(API).json()["results"]] == [review_request.pk]


def test_the_api_gives_a_reviewer_404(
    api_client_for: ApiFor, review_request: ReviewRequest, expert_reviewer: User
) -> None:
    assert api_client_for(expert_reviewer).get(f"{API}{review_request.pk}/").status_code == 404


def test_the_api_refuses_the_anonymous(review_request: ReviewRequest) -> None:
    assert APIClient().get(API).status_code in {401, 403}


def test_the_api_accepts(api_client_for: ApiFor, review_request: ReviewRequest, chair: User) -> None:
    response = api_client_for(chair).post(f"{API}{review_request.pk}/accept/")
    assert response.status_code == 200 and response.json()["status"] == "accepted"


def test_the_api_declines_with_the_reason(api_client_for: ApiFor, review_request: ReviewRequest, chair: User) -> None:
    response = api_client_for(chair).post(f"{API}{review_request.pk}/decline/", {"reason": "Outside the period."})
    assert response.json()["decline_reason"] == "Outside the period."


def test_the_api_gives_field_errors_for_an_empty_reason(
    api_client_for: ApiFor, review_request: ReviewRequest, chair: User
) -> None:
    response = api_client_for(chair).post(f"{API}{review_request.pk}/decline/", {"reason": ""})
    assert response.status_code == 400 and "reason" in response.json()["errors"]


def test_the_api_refuses_an_outcome_before_acceptance(
    api_client_for: ApiFor, review_request: ReviewRequest, chair: User
) -> None:
    response = api_client_for(chair).post(f"{API}{review_request.pk}/outcome/", {"outcome": "Good care."})
    assert response.status_code == 409


def test_the_api_gives_another_cases_chair_404_on_acting(
    api_client_for: ApiFor, review_request: ReviewRequest, other_chair: User
) -> None:
    assert api_client_for(other_chair).post(f"{API}{review_request.pk}/accept/").status_code == 404


# --- On the chair's home page ------------------------------------------------------------------------------------


def test_it_lists_the_request_on_the_chairs_home_page(review_request: ReviewRequest, chair: User) -> None:
    items = [item for item in work_for_user(user=chair) if item.group == REQUESTS]
    assert [(item.title, item.url) for item in items] == [
        (
            f"ENQ-7K3Q-9XZ2 on {review_request.case.reference}",
            reverse("reviews:review-request-detail", args=[review_request.pk]),
        )
    ]


def test_it_keeps_the_request_off_another_chairs_home_page(review_request: ReviewRequest, other_chair: User) -> None:
    assert not [item for item in work_for_user(user=other_chair) if item.group == REQUESTS]


def test_it_drops_the_request_from_the_home_page_once_declined(review_request: ReviewRequest, chair: User) -> None:
    review_request_decline(actor=chair, review_request=review_request, reason="Outside the review's period.")
    assert not [item for item in work_for_user(user=chair) if item.group == REQUESTS]


def test_the_reviews_start_page_links_the_chair_to_the_requests(
    client_for: ClientFor, review_request: ReviewRequest, chair: User
) -> None:
    page = client_for(chair).get(reverse("reviews:home")).content.decode()
    assert LIST in page and "1 waiting for you" in page


def test_the_reviews_start_page_has_no_requests_link_for_a_reviewer(
    client_for: ClientFor, review_request: ReviewRequest, expert_reviewer: User
) -> None:
    assert LIST not in client_for(expert_reviewer).get(reverse("reviews:home")).content.decode()


# --- Notifications -------------------------------------------------------------------------------------------------


def test_the_chair_is_told_when_a_request_arrives(review_request: ReviewRequest, chair: User) -> None:
    [told] = Notification.objects.filter(event="review_request_received")
    assert told.user == chair and review_request.source_reference not in told.title


def test_the_officer_is_told_of_the_chairs_decision(review_request: ReviewRequest, chair: User, officer: User) -> None:
    review_request_decline(actor=chair, review_request=review_request, reason="Outside the period.")
    assert [n.user for n in Notification.objects.filter(event="review_request_answered")] == [officer]
