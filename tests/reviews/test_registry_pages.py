"""Staff pages of the registry side of reviews: the start page, a case's review, candidates, appointments,
waivers, the expert registry and an expert's own record.

Who is who here: the ``regulator`` (CQC, a party) keeps the registry and appoints; the ``oversight_lead``
(Monitor, a party) also waives conflicts; the ``trust_manager`` of the provider can see the case but not the
registry; the ``other_trust_manager`` sees neither; the ``reviewer`` is an expert with an account.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from accounts.models import AuditEvent, Organisation, Role, User
from accounts.services import membership_create
from failure_regime.models import Case
from reviews.models import (
    Appointment,
    AppointmentRole,
    ConflictWaiver,
    DeclaredInterest,
    Employment,
    Expert,
    InterestKind,
    Seniority,
    Training,
    TrainingKind,
)
from reviews.services.registry import appointment_end, appointment_make, conflict_waive, interest_declare
from reviews.verbs import ReviewsVerb
from tests.reviews.conftest import MakeExpert

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]

DECLARATION = "I am independent of the trust."


def url(name: str, *args: Any) -> str:
    return reverse(f"reviews:{name}", args=args)


def appoint(case: Case, actor: User, expert: Expert, role: str = AppointmentRole.EXPERT_REVIEWER) -> Appointment:
    return appointment_make(actor=actor, case=case, expert=expert, role=role, declaration=DECLARATION)


def field_errors(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    return dict(response.context["form"].errors)


@pytest.fixture
def conflicted(make_expert: MakeExpert, oversight_lead: User, provider: Organisation) -> Expert:
    expert = make_expert(name="Dr Con Flicted")
    interest_declare(
        actor=oversight_lead,
        expert=expert,
        organisation=provider,
        kind=InterestKind.FINANCIAL,
        description="Shares in the trust's private patients unit.",
    )
    return expert


@pytest.fixture
def own_expert(make_expert: MakeExpert, reviewer: User) -> Expert:
    """The ``reviewer``'s own record in the registry."""
    return make_expert(name="Dr Rae Reviewer", user=reviewer, specialties=["Midwifery"])


@pytest.fixture
def made(case: Case, expert: Expert, regulator: User) -> Appointment:
    return appoint(case, regulator, expert)


# --- The start page ----------------------------------------------------------------------------------------


def test_the_start_page_asks_the_anonymous_to_sign_in(client: Client) -> None:
    assert client.get(url("home"))["Location"].startswith("/sign-in/")


def test_the_start_page_links_the_registry_for_those_who_keep_it(client_for: ClientFor, regulator: User) -> None:
    assert url("expert-list") in client_for(regulator).get(url("home")).content.decode()


def test_the_start_page_leaves_out_the_registry_for_a_trust_manager(client_for: ClientFor, trust_manager: User) -> None:
    assert url("expert-list") not in client_for(trust_manager).get(url("home")).content.decode()


def test_the_start_page_lists_the_cases_the_user_can_see(
    client_for: ClientFor, trust_manager: User, case: Case
) -> None:
    assert list(client_for(trust_manager).get(url("home")).context["page"].object_list) == [case]


def test_the_start_page_lists_no_case_of_another_provider(
    client_for: ClientFor, other_trust_manager: User, case: Case
) -> None:
    assert list(client_for(other_trust_manager).get(url("home")).context["page"].object_list) == []


def test_the_start_page_lists_the_case_an_appointed_chair_runs(
    client_for: ClientFor, reviewer: User, own_expert: Expert, regulator: User, case: Case
) -> None:
    appoint(case, regulator, own_expert, AppointmentRole.REVIEW_CHAIR)
    assert list(client_for(reviewer).get(url("home")).context["managed"]) == [case]


def test_the_start_page_links_an_expert_to_their_own_record(
    client_for: ClientFor, reviewer: User, own_expert: Expert
) -> None:
    assert url("my-record") in client_for(reviewer).get(url("home")).content.decode()


# --- A case's review -------------------------------------------------------------------------------------


def test_the_review_page_asks_the_anonymous_to_sign_in(client: Client, case: Case) -> None:
    assert client.get(url("case-review", case.pk))["Location"].startswith("/sign-in/")


def test_the_review_page_shows_the_appointments(
    client_for: ClientFor, regulator: User, case: Case, made: Appointment
) -> None:
    response = client_for(regulator).get(url("case-review", case.pk))
    assert response.context["appointments"] == [made]
    assert made.expert.name in response.content.decode()


def test_a_party_that_does_not_keep_the_registry_sees_the_review(
    client_for: ClientFor, trust_manager: User, case: Case, made: Appointment
) -> None:
    response = client_for(trust_manager).get(url("case-review", case.pk))
    assert (response.status_code, response.context["can_appoint"]) == (200, False)


def test_another_provider_does_not_find_the_review(
    client_for: ClientFor, other_trust_manager: User, case: Case
) -> None:
    assert client_for(other_trust_manager).get(url("case-review", case.pk)).status_code == 404


def test_a_reviewer_not_on_the_case_does_not_find_the_review(
    client_for: ClientFor, reviewer: User, own_expert: Expert, case: Case
) -> None:
    assert client_for(reviewer).get(url("case-review", case.pk)).status_code == 404


def test_the_appointed_chair_runs_the_review(
    client_for: ClientFor, reviewer: User, own_expert: Expert, regulator: User, case: Case
) -> None:
    appoint(case, regulator, own_expert, AppointmentRole.REVIEW_CHAIR)
    response = client_for(reviewer).get(url("case-review", case.pk))
    assert (response.status_code, response.context["is_review_manager"]) == (200, True)


def test_the_review_page_offers_candidates_to_those_who_may_appoint(
    client_for: ClientFor, regulator: User, case: Case
) -> None:
    assert url("candidates", case.pk) in client_for(regulator).get(url("case-review", case.pk)).content.decode()


def test_the_review_page_shows_an_ended_appointment_with_its_reason(
    client_for: ClientFor, regulator: User, case: Case, made: Appointment
) -> None:
    appointment_end(actor=regulator, appointment=made, reason="Moved abroad.")
    assert "Moved abroad." in client_for(regulator).get(url("case-review", case.pk)).content.decode()


def test_the_review_page_offers_to_end_an_appointment_to_the_appointing_organisation(
    client_for: ClientFor, regulator: User, case: Case, made: Appointment
) -> None:
    page = client_for(regulator).get(url("case-review", case.pk)).content.decode()
    assert url("appointment-end", made.pk) in page


def test_the_review_page_does_not_offer_a_trust_manager_to_end_an_appointment(
    client_for: ClientFor, trust_manager: User, case: Case, made: Appointment
) -> None:
    page = client_for(trust_manager).get(url("case-review", case.pk)).content.decode()
    assert url("appointment-end", made.pk) not in page


def test_the_review_page_keeps_its_query_count_however_many_are_appointed(
    client_for: ClientFor,
    regulator: User,
    case: Case,
    make_expert: MakeExpert,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    browser = client_for(regulator)
    appoint(case, regulator, make_expert(name="Dr First"))
    with CaptureQueriesContext(connection) as one:
        browser.get(url("case-review", case.pk))
    for n in range(12):
        made = appoint(case, regulator, make_expert(name=f"Dr Expert {n}"))
        if n % 3 == 0:
            appointment_end(actor=regulator, appointment=made, reason="Ended.")
    with django_assert_max_num_queries(max(len(one), 25)) as many:
        browser.get(url("case-review", case.pk))
    assert len(many) <= len(one)  # the first request also warms the content type cache


# --- Candidates --------------------------------------------------------------------------------------------


def candidates(response: Any) -> list[Expert]:
    assert response.status_code == 200, response.content
    return [row["expert"] for row in response.context["candidates"]]


def test_the_candidates_page_asks_the_anonymous_to_sign_in(client: Client, case: Case) -> None:
    assert client.get(url("candidates", case.pk))["Location"].startswith("/sign-in/")


def test_it_lists_an_independent_expert_as_a_candidate(
    client_for: ClientFor, regulator: User, case: Case, expert: Expert
) -> None:
    assert candidates(client_for(regulator).get(url("candidates", case.pk))) == [expert]


def test_a_conflicted_expert_is_never_a_candidate(
    client_for: ClientFor, regulator: User, case: Case, expert: Expert, conflicted: Expert
) -> None:
    assert candidates(client_for(regulator).get(url("candidates", case.pk))) == [expert]


def test_a_conflicted_expert_is_listed_as_not_independent_with_the_reason(
    client_for: ClientFor, regulator: User, case: Case, conflicted: Expert
) -> None:
    response = client_for(regulator).get(url("candidates", case.pk))
    [row] = response.context["conflicted"]
    assert row.expert == conflicted
    assert "Shares in the trust" in response.content.decode()


def test_a_conflicted_expert_is_a_candidate_once_waived(
    client_for: ClientFor, regulator: User, oversight_lead: User, case: Case, conflicted: Expert
) -> None:
    conflict_waive(actor=oversight_lead, case=case, expert=conflicted, rationale="The only expert available.")
    response = client_for(regulator).get(url("candidates", case.pk))
    assert (candidates(response), response.context["conflicted"]) == ([conflicted], [])


def test_the_oversight_lead_is_offered_a_waiver(
    client_for: ClientFor, oversight_lead: User, case: Case, conflicted: Expert
) -> None:
    page = client_for(oversight_lead).get(url("candidates", case.pk)).content.decode()
    assert url("waive", case.pk, conflicted.pk) in page


def test_a_regulator_is_not_offered_a_waiver(
    client_for: ClientFor, regulator: User, case: Case, conflicted: Expert
) -> None:
    page = client_for(regulator).get(url("candidates", case.pk)).content.decode()
    assert url("waive", case.pk, conflicted.pk) not in page


def test_candidates_are_filtered_by_specialty(
    client_for: ClientFor, regulator: User, case: Case, make_expert: MakeExpert, expert: Expert
) -> None:
    midwife = make_expert(name="Mo Midwife", specialties=["Midwifery"])
    specialty = midwife.specialties.get()
    response = client_for(regulator).get(url("candidates", case.pk), {"specialty": specialty.pk})
    assert candidates(response) == [midwife]


def test_candidates_are_filtered_by_minimum_seniority_and_ranked_most_senior_first(
    client_for: ClientFor, regulator: User, case: Case, make_expert: MakeExpert
) -> None:
    make_expert(name="Pat Practitioner", seniority=Seniority.PRACTITIONER)
    lead = make_expert(name="Lee Lead", seniority=Seniority.CLINICAL_LEAD)
    national = make_expert(name="Nat National", seniority=Seniority.NATIONAL_EXPERT)
    response = client_for(regulator).get(url("candidates", case.pk), {"min_seniority": Seniority.CONSULTANT})
    assert candidates(response) == [national, lead]


def test_a_bad_seniority_is_a_field_error_not_a_failure(
    client_for: ClientFor, regulator: User, case: Case, expert: Expert
) -> None:
    response = client_for(regulator).get(url("candidates", case.pk), {"min_seniority": "99"})
    assert "min_seniority" in response.context["form"].errors


def test_a_trust_manager_does_not_find_the_candidates(client_for: ClientFor, trust_manager: User, case: Case) -> None:
    assert client_for(trust_manager).get(url("candidates", case.pk)).status_code == 404


def test_another_provider_does_not_find_the_candidates(
    client_for: ClientFor, other_trust_manager: User, case: Case
) -> None:
    assert client_for(other_trust_manager).get(url("candidates", case.pk)).status_code == 404


def test_the_candidates_page_keeps_its_query_count(
    client_for: ClientFor,
    oversight_lead: User,
    case: Case,
    make_expert: MakeExpert,
    provider: Organisation,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(8):
        expert = make_expert(name=f"Dr Expert {n}", specialties=["Obstetrics", f"Area {n}"])
        if n % 2:
            interest_declare(
                actor=oversight_lead, expert=expert, organisation=provider, kind=InterestKind.OTHER, description="x"
            )
    browser = client_for(oversight_lead)
    with django_assert_max_num_queries(25):
        browser.get(url("candidates", case.pk))


# --- Appointing ------------------------------------------------------------------------------------------------


def test_the_appointment_page_shows_the_declaration_to_be_signed(
    client_for: ClientFor, regulator: User, case: Case, expert: Expert
) -> None:
    response = client_for(regulator).get(url("appoint", case.pk, expert.pk))
    assert f"I, {expert.name}, declare that I am independent of {case.provider.name}" in response.content.decode()


def test_the_regulator_appoints_a_candidate(client_for: ClientFor, regulator: User, case: Case, expert: Expert) -> None:
    response = client_for(regulator).post(
        url("appoint", case.pk, expert.pk), {"role": AppointmentRole.REVIEW_CHAIR, "signed": "on"}
    )
    assert response["Location"] == url("case-review", case.pk)
    assert Appointment.objects.get().role == AppointmentRole.REVIEW_CHAIR


def test_the_declaration_shown_is_the_one_recorded(
    client_for: ClientFor, regulator: User, case: Case, expert: Expert
) -> None:
    client_for(regulator).post(
        url("appoint", case.pk, expert.pk), {"role": AppointmentRole.REVIEW_CHAIR, "signed": "on"}
    )
    assert Appointment.objects.get().declaration.startswith(f"I, {expert.name}, declare")


def test_an_appointment_needs_the_signature_confirmed(
    client_for: ClientFor, regulator: User, case: Case, expert: Expert
) -> None:
    response = client_for(regulator).post(url("appoint", case.pk, expert.pk), {"role": AppointmentRole.REVIEW_CHAIR})
    assert "signed" in field_errors(response)
    assert not Appointment.objects.exists()


def test_an_appointment_needs_a_role(client_for: ClientFor, regulator: User, case: Case, expert: Expert) -> None:
    response = client_for(regulator).post(url("appoint", case.pk, expert.pk), {"role": "king", "signed": "on"})
    assert "role" in field_errors(response)


def test_a_conflicted_expert_cannot_be_appointed_from_the_page(
    client_for: ClientFor, regulator: User, case: Case, conflicted: Expert
) -> None:
    response = client_for(regulator).post(
        url("appoint", case.pk, conflicted.pk), {"role": AppointmentRole.EXPERT_REVIEWER, "signed": "on"}
    )
    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_the_appointment_page_warns_of_a_conflict_instead_of_offering_the_form(
    client_for: ClientFor, regulator: User, case: Case, conflicted: Expert
) -> None:
    page = client_for(regulator).get(url("appoint", case.pk, conflicted.pk)).content.decode()
    assert "Not independent" in page and 'name="signed"' not in page


def test_a_trust_manager_does_not_find_the_appointment_page(
    client_for: ClientFor, trust_manager: User, case: Case, expert: Expert
) -> None:
    assert client_for(trust_manager).get(url("appoint", case.pk, expert.pk)).status_code == 404


def test_an_unknown_expert_is_not_found(client_for: ClientFor, regulator: User, case: Case) -> None:
    assert client_for(regulator).get(url("appoint", case.pk, 999999)).status_code == 404


def test_the_appointment_page_asks_the_anonymous_to_sign_in(client: Client, case: Case, expert: Expert) -> None:
    assert client.get(url("appoint", case.pk, expert.pk))["Location"].startswith("/sign-in/")


# --- Waiving a conflict -------------------------------------------------------------------------------------


def test_the_oversight_lead_waives_a_conflict_with_a_rationale(
    client_for: ClientFor, oversight_lead: User, case: Case, conflicted: Expert
) -> None:
    response = client_for(oversight_lead).post(
        url("waive", case.pk, conflicted.pk), {"rationale": "The only neonatal pathologist."}
    )
    assert response["Location"] == url("candidates", case.pk)
    assert ConflictWaiver.objects.get().rationale == "The only neonatal pathologist."


def test_someone_who_could_waive_for_two_organisations_chooses_on_the_page(
    client_for: ClientFor, oversight_lead: User, case: Case, conflicted: Expert, nhs_england: Organisation
) -> None:
    membership_create(actor=None, user=oversight_lead, organisation=nhs_england, role=Role.NATIONAL_OVERSIGHT)
    page = client_for(oversight_lead)
    assert 'name="acting_for"' in page.get(url("waive", case.pk, conflicted.pk)).content.decode()
    unchosen = page.post(url("waive", case.pk, conflicted.pk), {"rationale": "The only neonatal pathologist."})
    assert "acting_for" in field_errors(unchosen)
    assert not ConflictWaiver.objects.exists()
    page.post(url("waive", case.pk, conflicted.pk), {"rationale": "The only one.", "acting_for": nhs_england.pk})
    assert ConflictWaiver.objects.get().waived_by_organisation == nhs_england


def test_a_waiver_needs_a_rationale(
    client_for: ClientFor, oversight_lead: User, case: Case, conflicted: Expert
) -> None:
    response = client_for(oversight_lead).post(url("waive", case.pk, conflicted.pk), {"rationale": "  "})
    assert "rationale" in field_errors(response)
    assert not ConflictWaiver.objects.exists()


def test_the_waiver_page_shows_the_conflicts_to_waive(
    client_for: ClientFor, oversight_lead: User, case: Case, conflicted: Expert
) -> None:
    assert (
        "Shares in the trust" in client_for(oversight_lead).get(url("waive", case.pk, conflicted.pk)).content.decode()
    )


def test_a_regulator_does_not_find_the_waiver_page(
    client_for: ClientFor, regulator: User, case: Case, conflicted: Expert
) -> None:
    assert client_for(regulator).post(url("waive", case.pk, conflicted.pk), {"rationale": "Fine."}).status_code == 404
    assert not ConflictWaiver.objects.exists()


def test_a_trust_manager_does_not_find_the_waiver_page(
    client_for: ClientFor, trust_manager: User, case: Case, conflicted: Expert
) -> None:
    assert client_for(trust_manager).get(url("waive", case.pk, conflicted.pk)).status_code == 404


def test_the_waiver_page_asks_the_anonymous_to_sign_in(client: Client, case: Case, conflicted: Expert) -> None:
    assert client.get(url("waive", case.pk, conflicted.pk))["Location"].startswith("/sign-in/")


# --- Ending an appointment ----------------------------------------------------------------------------------


def test_the_appointing_regulator_ends_an_appointment_with_a_reason(
    client_for: ClientFor, regulator: User, case: Case, made: Appointment
) -> None:
    response = client_for(regulator).post(url("appointment-end", made.pk), {"reason": "Moved abroad."})
    assert response["Location"] == url("case-review", case.pk)
    made.refresh_from_db()
    assert (made.active, made.end_reason) == (False, "Moved abroad.")


def test_the_cases_oversight_lead_ends_an_appointment_from_the_page(
    client_for: ClientFor, oversight_lead: User, made: Appointment
) -> None:
    client_for(oversight_lead).post(url("appointment-end", made.pk), {"reason": "Conflict found."})
    made.refresh_from_db()
    assert not made.active


def test_ending_needs_a_reason_on_the_page(client_for: ClientFor, regulator: User, made: Appointment) -> None:
    response = client_for(regulator).post(url("appointment-end", made.pk), {"reason": ""})
    assert "reason" in field_errors(response)


def test_a_trust_manager_does_not_find_the_end_page(
    client_for: ClientFor, trust_manager: User, made: Appointment
) -> None:
    assert client_for(trust_manager).post(url("appointment-end", made.pk), {"reason": "No."}).status_code == 404


def test_another_provider_does_not_find_the_end_page(
    client_for: ClientFor, other_trust_manager: User, made: Appointment
) -> None:
    assert client_for(other_trust_manager).get(url("appointment-end", made.pk)).status_code == 404


def test_an_ended_appointment_has_no_end_page(client_for: ClientFor, regulator: User, made: Appointment) -> None:
    appointment_end(actor=regulator, appointment=made, reason="Moved abroad.")
    assert client_for(regulator).get(url("appointment-end", made.pk)).status_code == 404


def test_the_end_page_asks_the_anonymous_to_sign_in(client: Client, made: Appointment) -> None:
    assert client.get(url("appointment-end", made.pk))["Location"].startswith("/sign-in/")


# --- The registry ---------------------------------------------------------------------------------------------


def listed(response: Any) -> list[Expert]:
    assert response.status_code == 200, response.content
    return list(response.context["page"].object_list)


def test_the_registry_asks_the_anonymous_to_sign_in(client: Client) -> None:
    assert client.get(url("expert-list"))["Location"].startswith("/sign-in/")


def test_the_registry_lists_experts_for_the_regulator(client_for: ClientFor, regulator: User, expert: Expert) -> None:
    assert listed(client_for(regulator).get(url("expert-list"))) == [expert]


def test_a_trust_manager_does_not_find_the_registry(client_for: ClientFor, trust_manager: User) -> None:
    assert client_for(trust_manager).get(url("expert-list")).status_code == 404


def test_an_expert_does_not_find_the_registry(client_for: ClientFor, reviewer: User, own_expert: Expert) -> None:
    assert client_for(reviewer).get(url("expert-list")).status_code == 404


def test_the_registry_is_searched_by_name(
    client_for: ClientFor, national: User, make_expert: MakeExpert, expert: Expert
) -> None:
    wanted = make_expert(name="Dr Wanda Wanted")
    assert listed(client_for(national).get(url("expert-list"), {"name": "wanda"})) == [wanted]


def test_the_registry_is_filtered_by_specialty(
    client_for: ClientFor, regulator: User, make_expert: MakeExpert, expert: Expert
) -> None:
    neonatologist = make_expert(name="Dr Neo", specialties=["Neonatology"])
    response = client_for(regulator).get(url("expert-list"), {"specialty": neonatologist.specialties.get().pk})
    assert listed(response) == [neonatologist]


def test_the_registry_is_filtered_by_seniority(
    client_for: ClientFor, regulator: User, make_expert: MakeExpert, expert: Expert
) -> None:
    senior = make_expert(name="Dr Senior", seniority=Seniority.NATIONAL_EXPERT)
    response = client_for(regulator).get(url("expert-list"), {"min_seniority": Seniority.CLINICAL_LEAD})
    assert listed(response) == [senior]


def test_the_registry_is_filtered_to_available_experts(
    client_for: ClientFor, regulator: User, make_expert: MakeExpert, expert: Expert
) -> None:
    make_expert(name="Dr Busy", available=False)
    assert listed(client_for(regulator).get(url("expert-list"), {"available": "on"})) == [expert]


def test_the_registry_keeps_its_query_count_however_many_experts_there_are(
    client_for: ClientFor,
    regulator: User,
    make_expert: MakeExpert,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(30):
        make_expert(name=f"Dr Expert {n:02d}", specialties=["Obstetrics", f"Area {n}"])
    browser = client_for(regulator)
    with django_assert_max_num_queries(12):
        response = browser.get(url("expert-list"))
    assert len(listed(response)) == 25


def registration(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Dr Bea Expert",
        "profession": "Midwife",
        "regulator": "nmc",
        "registration_number": "12a3456b",
        "other_specialties": "Midwifery, Obstetrics",
        "seniority": Seniority.CLINICAL_LEAD,
        "capacity_per_week": 3,
        "available": "on",
        **overrides,
    }


def test_the_regulator_registers_an_expert(client_for: ClientFor, regulator: User) -> None:
    response = client_for(regulator).post(url("expert-new"), registration())
    expert = Expert.objects.get()
    assert response["Location"] == url("expert-detail", expert.pk)
    assert (expert.registration_number, expert.specialties.count()) == ("12A3456B", 2)


def test_a_registration_number_in_the_wrong_format_is_a_field_error(client_for: ClientFor, regulator: User) -> None:
    response = client_for(regulator).post(url("expert-new"), registration(regulator="gmc", registration_number="12"))
    assert "registration_number" in field_errors(response)


def test_an_unknown_account_is_a_field_error(client_for: ClientFor, regulator: User) -> None:
    response = client_for(regulator).post(url("expert-new"), registration(account_email="nobody@example.org"))
    assert "account_email" in field_errors(response)


def test_an_expert_is_registered_with_their_account(client_for: ClientFor, regulator: User, reviewer: User) -> None:
    client_for(regulator).post(url("expert-new"), registration(account_email=reviewer.email.upper()))
    assert Expert.objects.get().user == reviewer


def test_a_trust_manager_does_not_find_the_registration_form(client_for: ClientFor, trust_manager: User) -> None:
    assert client_for(trust_manager).post(url("expert-new"), registration()).status_code == 404
    assert not Expert.objects.exists()


# --- An expert's record -----------------------------------------------------------------------------------


def test_the_record_shows_posts_interests_and_training(
    client_for: ClientFor, regulator: User, conflicted: Expert
) -> None:
    page = client_for(regulator).get(url("expert-detail", conflicted.pk)).content.decode()
    assert "Shares in the trust" in page


def test_the_record_shows_the_conflicts_with_a_chosen_provider(
    client_for: ClientFor, regulator: User, conflicted: Expert, provider: Organisation
) -> None:
    response = client_for(regulator).get(url("expert-detail", conflicted.pk), {"provider": provider.ods_code.lower()})
    assert [c.reason for c in response.context["conflicts"]] == [
        f"Declared financial interest in {provider}: Shares in the trust's private patients unit."
    ]


def test_an_unknown_provider_code_is_a_field_error(client_for: ClientFor, regulator: User, expert: Expert) -> None:
    response = client_for(regulator).get(url("expert-detail", expert.pk), {"provider": "ZZZ"})
    assert "provider" in response.context["check_form"].errors


def test_the_record_lists_appointments_on_cases_the_user_can_see(
    client_for: ClientFor, regulator: User, expert: Expert, made: Appointment
) -> None:
    assert list(client_for(regulator).get(url("expert-detail", expert.pk)).context["appointments"]) == [made]


def test_a_trust_manager_does_not_find_a_record(client_for: ClientFor, trust_manager: User, expert: Expert) -> None:
    assert client_for(trust_manager).get(url("expert-detail", expert.pk)).status_code == 404


def test_an_expert_does_not_find_another_experts_record(
    client_for: ClientFor, reviewer: User, own_expert: Expert, expert: Expert
) -> None:
    assert client_for(reviewer).get(url("expert-detail", expert.pk)).status_code == 404


def test_the_record_asks_the_anonymous_to_sign_in(client: Client, expert: Expert) -> None:
    assert client.get(url("expert-detail", expert.pk))["Location"].startswith("/sign-in/")


def test_the_record_keeps_its_query_count(
    client_for: ClientFor,
    regulator: User,
    case: Case,
    expert: Expert,
    oversight_lead: User,
    provider: Organisation,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(5):
        interest_declare(
            actor=oversight_lead, expert=expert, organisation=provider, kind=InterestKind.OTHER, description=f"{n}"
        )
    browser = client_for(regulator)
    # 16 for the record itself, and 2 for the staff header: the roles for the menu and the unread count.
    with django_assert_max_num_queries(19):  # one of them reads the grants behind the case list
        browser.get(url("expert-detail", expert.pk), {"provider": provider.ods_code})


@pytest.mark.parametrize(
    ("name", "data", "model"),
    [
        (
            "expert-employment",
            {"organisation": "RXX", "started_on": "2015-01-01", "ended_on": "2018-01-01"},
            Employment,
        ),
        (
            "expert-interest",
            {"organisation": "RXX", "kind": InterestKind.PERSONAL_INVOLVEMENT, "description": "A relative."},
            DeclaredInterest,
        ),
        ("expert-training", {"kind": TrainingKind.STRUCTURED_JUDGEMENT_REVIEW, "completed_on": "2024-05-01"}, Training),
    ],
)
def test_a_registry_keeper_adds_to_a_record(
    client_for: ClientFor, regulator: User, expert: Expert, provider: Organisation, name: str, data: dict, model: Any
) -> None:
    response = client_for(regulator).post(url(name, expert.pk), data)
    assert response["Location"] == url("expert-detail", expert.pk)
    assert model.objects.get().expert == expert


def test_employment_is_named_after_the_registered_organisation(
    client_for: ClientFor, regulator: User, expert: Expert, provider: Organisation
) -> None:
    client_for(regulator).post(url("expert-employment", expert.pk), {"organisation": "rxx", "started_on": "2015-01-01"})
    assert Employment.objects.get().employer_name == provider.name


@pytest.mark.parametrize(
    ("name", "data", "field"),
    [
        ("expert-employment", {"employer_name": "", "started_on": "2015-01-01"}, "employer_name"),
        ("expert-employment", {"employer_name": "X", "started_on": "2015-01-01", "ended_on": "2014-01-01"}, "ended_on"),
        ("expert-employment", {"employer_name": "X", "started_on": "not a date"}, "started_on"),
        ("expert-employment", {"organisation": "ZZZZ", "started_on": "2015-01-01"}, "organisation"),
        ("expert-interest", {"organisation": "", "kind": InterestKind.OTHER, "description": "x"}, "organisation"),
        ("expert-interest", {"organisation": "RXX", "kind": "hobby", "description": "x"}, "kind"),
        ("expert-interest", {"organisation": "RXX", "kind": InterestKind.OTHER, "description": " "}, "description"),
        ("expert-training", {"kind": TrainingKind.OTHER, "completed_on": "2999-01-01"}, "completed_on"),
        ("expert-edit", {"profession": "Midwife", "seniority": 9, "capacity_per_week": 1}, "seniority"),
        ("expert-edit", {"profession": "Midwife", "seniority": 3, "capacity_per_week": -1}, "capacity_per_week"),
    ],
)
def test_bad_input_to_a_record_is_a_field_error(
    client_for: ClientFor, regulator: User, expert: Expert, provider: Organisation, name: str, data: dict, field: str
) -> None:
    assert field in field_errors(client_for(regulator).post(url(name, expert.pk), data))


def test_a_registry_keeper_changes_the_seniority_and_availability(
    client_for: ClientFor, regulator: User, expert: Expert
) -> None:
    data = {"profession": "Obstetrician", "other_specialties": "Obstetrics", "seniority": 5, "capacity_per_week": 2}
    client_for(regulator).post(url("expert-edit", expert.pk), data)
    expert.refresh_from_db()
    assert (expert.seniority, expert.capacity_per_week, expert.available) == (5, 2, False)


@pytest.mark.parametrize("name", ["expert-edit", "expert-employment", "expert-interest", "expert-training"])
def test_a_trust_manager_does_not_find_the_record_forms(
    client_for: ClientFor, trust_manager: User, expert: Expert, name: str
) -> None:
    assert client_for(trust_manager).get(url(name, expert.pk)).status_code == 404


@pytest.mark.parametrize("name", ["expert-edit", "expert-employment", "expert-interest", "expert-training"])
def test_the_record_forms_ask_the_anonymous_to_sign_in(client: Client, expert: Expert, name: str) -> None:
    assert client.get(url(name, expert.pk))["Location"].startswith("/sign-in/")


# --- An expert's own record ------------------------------------------------------------------------------


def test_an_expert_sees_their_own_record(client_for: ClientFor, reviewer: User, own_expert: Expert) -> None:
    assert client_for(reviewer).get(url("my-record")).context["expert"] == own_expert


def test_an_expert_sees_the_declaration_recorded_for_them(
    client_for: ClientFor, reviewer: User, own_expert: Expert, regulator: User, case: Case
) -> None:
    appoint(case, regulator, own_expert)
    assert DECLARATION in client_for(reviewer).get(url("my-record")).content.decode()


def test_someone_without_an_expert_record_has_no_own_record(client_for: ClientFor, regulator: User) -> None:
    assert client_for(regulator).get(url("my-record")).status_code == 404


def test_the_own_record_asks_the_anonymous_to_sign_in(client: Client) -> None:
    assert client.get(url("my-record"))["Location"].startswith("/sign-in/")


def test_an_expert_declares_an_interest_on_their_own_record(
    client_for: ClientFor, reviewer: User, own_expert: Expert, provider: Organisation
) -> None:
    data = {"organisation": provider.ods_code, "kind": InterestKind.PERSONAL_INVOLVEMENT, "description": "My aunt."}
    response = client_for(reviewer).post(url("my-record-interest"), data)
    assert response["Location"] == url("my-record")
    assert DeclaredInterest.objects.get().recorded_by == reviewer


def test_an_expert_adds_a_post_to_their_own_record(
    client_for: ClientFor, reviewer: User, own_expert: Expert, provider: Organisation
) -> None:
    data = {"employer_name": "Far Shire NHS Trust", "started_on": "2019-01-01"}
    client_for(reviewer).post(url("my-record-employment"), data)
    assert Employment.objects.get().expert == own_expert


def test_an_expert_records_their_own_training(client_for: ClientFor, reviewer: User, own_expert: Expert) -> None:
    data = {"kind": TrainingKind.STRUCTURED_JUDGEMENT_REVIEW, "completed_on": "2025-02-01"}
    client_for(reviewer).post(url("my-record-training"), data)
    assert Training.objects.get().expert == own_expert


def test_an_expert_changes_their_own_availability(client_for: ClientFor, reviewer: User, own_expert: Expert) -> None:
    client_for(reviewer).post(url("my-record-edit"), {"capacity_per_week": 1})
    own_expert.refresh_from_db()
    assert (own_expert.capacity_per_week, own_expert.available) == (1, False)


def test_an_expert_cannot_change_their_seniority_on_their_own_record(
    client_for: ClientFor, reviewer: User, own_expert: Expert
) -> None:
    client_for(reviewer).post(url("my-record-edit"), {"capacity_per_week": 1, "seniority": 5})
    own_expert.refresh_from_db()
    assert own_expert.seniority == Seniority.CONSULTANT


def test_a_future_training_date_is_a_field_error_on_the_own_record(
    client_for: ClientFor, reviewer: User, own_expert: Expert
) -> None:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    data = {"kind": TrainingKind.OTHER, "completed_on": tomorrow.isoformat()}
    assert "completed_on" in field_errors(client_for(reviewer).post(url("my-record-training"), data))


@pytest.mark.parametrize("name", ["my-record-edit", "my-record-employment", "my-record-interest", "my-record-training"])
def test_someone_without_an_expert_record_has_no_own_record_forms(
    client_for: ClientFor, trust_manager: User, name: str
) -> None:
    assert client_for(trust_manager).get(url(name)).status_code == 404


def test_a_keeper_with_two_organisations_chooses_on_the_form(
    client_for: ClientFor, oversight_lead: User, nhs_england: Organisation
) -> None:
    membership_create(actor=None, user=oversight_lead, organisation=nhs_england, role=Role.NATIONAL_OVERSIGHT)
    client = client_for(oversight_lead)
    assert "Which organisation are you doing this for?" in client.get(url("expert-new")).content.decode()
    assert client.post(url("expert-new"), registration()).status_code == 400
    assert not Expert.objects.exists()
    assert client.post(url("expert-new"), {**registration(), "acting_for": nhs_england.pk}).status_code == 302
    expert = Expert.objects.get()
    event = AuditEvent.objects.get(verb=ReviewsVerb.EXPERT_REGISTERED, target_id=str(expert.pk))
    assert event.organisation == nhs_england
