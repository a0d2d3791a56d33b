"""The reviews API under /api/v1/: the expert registry, lead candidates, conflict waivers and appointments.

Only those who keep the registry may read it (anyone else sees no experts); a case the caller may not see
answers 404, a role that may not do something answers 403, and bad input answers 400 with field errors.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Organisation, Role, User
from accounts.services import membership_create
from failure_regime.models import Case
from reviews.models import Appointment, AppointmentRole, Expert, InterestKind, Regulator, Seniority
from reviews.services import appointment_make, conflict_waive, interest_declare
from reviews.verbs import ReviewsVerb
from tests.reviews.conftest import MakeExpert

pytestmark = pytest.mark.django_db

ApiClientFor = Callable[[User], APIClient]

EXPERTS = "/api/v1/experts/"
CANDIDATES = "/api/v1/review-candidates/"
WAIVERS = "/api/v1/conflict-waivers/"
APPOINTMENTS = "/api/v1/appointments/"

DECLARATION = "I have no interest in the trust and have not worked there in the last five years."


@pytest.fixture
def conflicted(expert: Expert, oversight_lead: User, provider: Organisation) -> Expert:
    interest_declare(
        actor=oversight_lead,
        expert=expert,
        organisation=provider,
        kind=InterestKind.PERSONAL_INVOLVEMENT,
        description="A relative was cared for on the unit under review.",
    )
    return expert


# JSON's 1e400 reads as a float too large for any integer (infinity); Python cannot write it, so it stands in here.
HUGE_FLOAT = "@1e400@"


def post(api: APIClient, url: str, body: dict[str, Any]) -> Any:
    return api.post(url, json.dumps(body).replace(f'"{HUGE_FLOAT}"', "1e400"), content_type="application/json")


def registration(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Dr Bea Expert",
        "profession": "Midwife",
        "regulator": Regulator.NMC,
        "registration_number": "12a3456b",
        "specialties": ["Midwifery"],
        "seniority": Seniority.CLINICAL_LEAD,
        "capacity_per_week": 3,
        **overrides,
    }


def appointment(case: Case, expert: Expert, **overrides: Any) -> dict[str, Any]:
    return {
        "case": case.pk,
        "expert": expert.pk,
        "role": AppointmentRole.EXPERT_REVIEWER,
        "declaration": DECLARATION,
        **overrides,
    }


def candidate_ids(response: Any) -> list[int]:
    return [row["expert"]["id"] for row in response.json()]


def errors(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    return dict(response.json()["errors"])


# --- Anonymous ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", EXPERTS),
        ("post", EXPERTS),
        ("get", f"{EXPERTS}1/"),
        ("post", f"{EXPERTS}1/employment/"),
        ("post", f"{EXPERTS}1/interests/"),
        ("post", f"{EXPERTS}1/training/"),
        ("get", f"{CANDIDATES}?case=1"),
        ("post", WAIVERS),
        ("get", f"{APPOINTMENTS}?case=1"),
        ("post", APPOINTMENTS),
        ("patch", f"{EXPERTS}1/"),
        ("get", f"{APPOINTMENTS}1/"),
        ("post", f"{APPOINTMENTS}1/end/"),
    ],
)
def test_it_refuses_the_anonymous(method: str, url: str) -> None:
    assert getattr(APIClient(), method)(url, {}, format="json").status_code == 401


# --- Experts ------------------------------------------------------------------------------------


def test_it_lists_the_registry_for_the_oversight_lead(
    api_client_for: ApiClientFor, oversight_lead: User, expert: Expert
) -> None:
    rows = api_client_for(oversight_lead).get(EXPERTS).json()["results"]
    assert [(r["id"], r["registration_number"]) for r in rows] == [(expert.pk, expert.registration_number)]


def test_national_oversight_reads_an_expert_with_their_record(
    api_client_for: ApiClientFor, national: User, expert: Expert
) -> None:
    body = api_client_for(national).get(f"{EXPERTS}{expert.pk}/").json()
    assert (body["id"], body["employments"], body["specialties"][0]["name"]) == (expert.pk, [], "Obstetrics")


def test_a_trust_manager_sees_no_experts(api_client_for: ApiClientFor, trust_manager: User, expert: Expert) -> None:
    assert api_client_for(trust_manager).get(EXPERTS).json()["results"] == []


def test_a_trust_manager_may_not_read_an_expert(
    api_client_for: ApiClientFor, trust_manager: User, expert: Expert
) -> None:
    assert api_client_for(trust_manager).get(f"{EXPERTS}{expert.pk}/").status_code == 404


def test_an_expert_id_beyond_any_integer_is_not_found(api_client_for: ApiClientFor, regulator: User) -> None:
    assert api_client_for(regulator).get(f"{EXPERTS}999999999999999999/").status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_the_expert_list_keeps_to_its_query_budget(
    api_client_for: ApiClientFor,
    oversight_lead: User,
    make_expert: MakeExpert,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    for number in range(count):
        make_expert(name=f"Dr {number}", specialties=["Obstetrics", f"Specialty {number}"])
    api = api_client_for(oversight_lead)
    with django_assert_max_num_queries(10):
        response = api.get(EXPERTS)
    assert len(response.json()["results"]) == count


def test_it_registers_an_expert_with_their_number_normalised(
    api_client_for: ApiClientFor, oversight_lead: User
) -> None:
    response = api_client_for(oversight_lead).post(EXPERTS, registration(), format="json")
    assert (response.status_code, response.json()["registration_number"]) == (201, "12A3456B")


def test_a_trust_manager_may_not_register_an_expert(api_client_for: ApiClientFor, trust_manager: User) -> None:
    response = api_client_for(trust_manager).post(EXPERTS, registration(), format="json")
    assert response.status_code == 403
    assert not Expert.objects.exists()


def test_a_number_in_the_wrong_format_is_a_field_error(api_client_for: ApiClientFor, oversight_lead: User) -> None:
    response = api_client_for(oversight_lead).post(EXPERTS, registration(registration_number="123"), format="json")
    assert "registration_number" in errors(response)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seniority", HUGE_FLOAT),
        ("seniority", 9),
        ("capacity_per_week", HUGE_FLOAT),
        ("regulator", "bma"),
        ("name", "Dr \x00Null"),
        ("user", HUGE_FLOAT),
        ("user", 10**30),
        ("specialties", "Obstetrics"),
    ],
)
def test_bad_registration_input_is_a_field_error(
    api_client_for: ApiClientFor, oversight_lead: User, field: str, value: Any
) -> None:
    response = post(api_client_for(oversight_lead), EXPERTS, registration(**{field: value}))
    assert field in errors(response)


def test_it_records_employment_at_a_provider(
    api_client_for: ApiClientFor, oversight_lead: User, expert: Expert, provider: Organisation
) -> None:
    body = {"organisation": provider.pk, "started_on": "2015-01-01"}
    response = api_client_for(oversight_lead).post(f"{EXPERTS}{expert.pk}/employment/", body, format="json")
    assert (response.status_code, response.json()["employer_name"]) == (201, provider.name)


def test_a_trust_manager_may_not_record_employment(
    api_client_for: ApiClientFor, trust_manager: User, expert: Expert, provider: Organisation
) -> None:
    body = {"organisation": provider.pk, "started_on": "2015-01-01"}
    response = api_client_for(trust_manager).post(f"{EXPERTS}{expert.pk}/employment/", body, format="json")
    assert response.status_code == 404


def test_employment_ending_before_it_starts_is_a_field_error(
    api_client_for: ApiClientFor, oversight_lead: User, expert: Expert
) -> None:
    body = {"employer_name": "A hospital", "started_on": "2015-01-01", "ended_on": "2014-01-01"}
    response = api_client_for(oversight_lead).post(f"{EXPERTS}{expert.pk}/employment/", body, format="json")
    assert "ended_on" in errors(response)


def test_a_float_organisation_id_is_a_field_error(
    api_client_for: ApiClientFor, oversight_lead: User, expert: Expert
) -> None:
    body = {"organisation": HUGE_FLOAT, "started_on": "2015-01-01"}
    response = post(api_client_for(oversight_lead), f"{EXPERTS}{expert.pk}/employment/", body)
    assert "organisation" in errors(response)


def test_it_records_a_declared_interest(
    api_client_for: ApiClientFor, regulator: User, expert: Expert, provider: Organisation
) -> None:
    body = {"organisation": provider.pk, "kind": InterestKind.FINANCIAL, "description": "Shares."}
    response = api_client_for(regulator).post(f"{EXPERTS}{expert.pk}/interests/", body, format="json")
    assert (response.status_code, response.json()["kind"]) == (201, InterestKind.FINANCIAL)


def test_an_unknown_kind_of_interest_is_a_field_error(
    api_client_for: ApiClientFor, regulator: User, expert: Expert, provider: Organisation
) -> None:
    body = {"organisation": provider.pk, "kind": "gifts", "description": "Shares."}
    response = api_client_for(regulator).post(f"{EXPERTS}{expert.pk}/interests/", body, format="json")
    assert "kind" in errors(response)


def test_a_trust_manager_may_not_declare_an_interest(
    api_client_for: ApiClientFor, trust_manager: User, expert: Expert, provider: Organisation
) -> None:
    body = {"organisation": provider.pk, "kind": InterestKind.FINANCIAL, "description": "Shares."}
    response = api_client_for(trust_manager).post(f"{EXPERTS}{expert.pk}/interests/", body, format="json")
    assert response.status_code == 404


def test_it_records_training(api_client_for: ApiClientFor, national: User, expert: Expert) -> None:
    body = {"kind": "structured_judgement_review", "completed_on": "2023-05-01"}
    response = api_client_for(national).post(f"{EXPERTS}{expert.pk}/training/", body, format="json")
    assert response.status_code == 201


def test_training_completed_in_the_future_is_a_field_error(
    api_client_for: ApiClientFor, national: User, expert: Expert
) -> None:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    body = {"kind": "structured_judgement_review", "completed_on": tomorrow.isoformat()}
    response = api_client_for(national).post(f"{EXPERTS}{expert.pk}/training/", body, format="json")
    assert "completed_on" in errors(response)


def test_a_trust_manager_may_not_record_training(
    api_client_for: ApiClientFor, trust_manager: User, expert: Expert
) -> None:
    body = {"kind": "structured_judgement_review", "completed_on": "2023-05-01"}
    response = api_client_for(trust_manager).post(f"{EXPERTS}{expert.pk}/training/", body, format="json")
    assert response.status_code == 404


# --- Candidates ---------------------------------------------------------------------------------


def test_it_ranks_candidates_with_the_specialty_first(
    api_client_for: ApiClientFor, regulator: User, case: Case, make_expert: MakeExpert
) -> None:
    senior = make_expert(name="Dr Senior", specialties=["Cardiology"], seniority=Seniority.NATIONAL_EXPERT)
    midwife = make_expert(name="Ms Midwife", specialties=["Midwifery"], seniority=Seniority.PRACTITIONER)
    specialty = midwife.specialties.get()
    response = api_client_for(regulator).get(CANDIDATES, {"case": case.pk, "specialty": specialty.pk})
    assert candidate_ids(response) == [midwife.pk, senior.pk]


def test_candidates_leave_out_the_less_senior(
    api_client_for: ApiClientFor, regulator: User, case: Case, make_expert: MakeExpert
) -> None:
    make_expert(name="Dr Junior", seniority=Seniority.PRACTITIONER)
    lead = make_expert(name="Dr Lead", seniority=Seniority.CLINICAL_LEAD)
    response = api_client_for(regulator).get(CANDIDATES, {"case": case.pk, "min_seniority": 4})
    assert candidate_ids(response) == [lead.pk]


def test_candidates_show_no_registration_number(
    api_client_for: ApiClientFor, regulator: User, case: Case, expert: Expert
) -> None:
    row = api_client_for(regulator).get(CANDIDATES, {"case": case.pk}).json()[0]
    assert (row["rank"], "registration_number" in row["expert"]) == (1, False)


def test_a_conflicted_expert_is_not_a_candidate(
    api_client_for: ApiClientFor, regulator: User, case: Case, conflicted: Expert
) -> None:
    assert candidate_ids(api_client_for(regulator).get(CANDIDATES, {"case": case.pk})) == []


def test_a_conflicted_expert_is_a_candidate_once_waived(
    api_client_for: ApiClientFor, regulator: User, oversight_lead: User, case: Case, conflicted: Expert
) -> None:
    conflict_waive(actor=oversight_lead, case=case, expert=conflicted, rationale="The only specialist.")
    assert candidate_ids(api_client_for(regulator).get(CANDIDATES, {"case": case.pk})) == [conflicted.pk]


def test_the_provider_may_not_see_candidates(
    api_client_for: ApiClientFor, trust_manager: User, case: Case, expert: Expert
) -> None:
    assert api_client_for(trust_manager).get(CANDIDATES, {"case": case.pk}).status_code == 403


def test_candidates_for_a_case_you_cannot_see_are_not_found(
    api_client_for: ApiClientFor, other_trust_manager: User, case: Case
) -> None:
    assert api_client_for(other_trust_manager).get(CANDIDATES, {"case": case.pk}).status_code == 404


@pytest.mark.parametrize(
    ("field", "query"),
    [
        ("case", {}),
        ("case", {"case": "1e400"}),
        ("case", {"case": str(10**30)}),
        ("specialty", {"specialty": "1e400"}),
        ("specialty", {"specialty": str(10**30)}),
        ("min_seniority", {"min_seniority": "9"}),
    ],
)
def test_a_bad_candidate_query_is_a_field_error(
    api_client_for: ApiClientFor, regulator: User, case: Case, field: str, query: dict[str, str]
) -> None:
    params = query if field == "case" else {"case": str(case.pk), **query}
    response = api_client_for(regulator).get(CANDIDATES, params)
    assert field in errors(response)


# --- Conflict waivers ---------------------------------------------------------------------------


def test_the_oversight_lead_waives_a_conflict(
    api_client_for: ApiClientFor, oversight_lead: User, case: Case, conflicted: Expert
) -> None:
    body = {"case": case.pk, "expert": conflicted.pk, "rationale": "The only specialist."}
    response = api_client_for(oversight_lead).post(WAIVERS, body, format="json")
    assert (response.status_code, response.json()["expert"]["id"]) == (201, conflicted.pk)


def test_a_trust_manager_may_not_waive_a_conflict(
    api_client_for: ApiClientFor, trust_manager: User, case: Case, conflicted: Expert
) -> None:
    body = {"case": case.pk, "expert": conflicted.pk, "rationale": "The only specialist."}
    assert api_client_for(trust_manager).post(WAIVERS, body, format="json").status_code == 403


def test_a_regulator_may_not_waive_a_conflict(
    api_client_for: ApiClientFor, regulator: User, case: Case, conflicted: Expert
) -> None:
    body = {"case": case.pk, "expert": conflicted.pk, "rationale": "The only specialist."}
    assert api_client_for(regulator).post(WAIVERS, body, format="json").status_code == 403


def test_there_is_nothing_to_waive_for_an_independent_expert(
    api_client_for: ApiClientFor, oversight_lead: User, case: Case, expert: Expert
) -> None:
    body = {"case": case.pk, "expert": expert.pk, "rationale": "The only specialist."}
    assert "expert" in errors(api_client_for(oversight_lead).post(WAIVERS, body, format="json"))


@pytest.mark.parametrize(("field", "value"), [("case", HUGE_FLOAT), ("expert", 10**30), ("rationale", "\x00")])
def test_bad_waiver_input_is_a_field_error(
    api_client_for: ApiClientFor, oversight_lead: User, case: Case, conflicted: Expert, field: str, value: Any
) -> None:
    body = {"case": case.pk, "expert": conflicted.pk, "rationale": "The only specialist.", field: value}
    assert field in errors(post(api_client_for(oversight_lead), WAIVERS, body))


# --- Appointments -------------------------------------------------------------------------------


def test_the_regulator_appoints_an_independent_expert(
    api_client_for: ApiClientFor, regulator: User, case: Case, expert: Expert
) -> None:
    response = api_client_for(regulator).post(APPOINTMENTS, appointment(case, expert), format="json")
    assert (response.status_code, response.json()["declaration"]) == (201, DECLARATION)


def test_a_conflicted_expert_cannot_be_appointed(
    api_client_for: ApiClientFor, regulator: User, case: Case, conflicted: Expert
) -> None:
    response = api_client_for(regulator).post(APPOINTMENTS, appointment(case, conflicted), format="json")
    assert "expert" in errors(response)
    assert not Appointment.objects.exists()


def test_a_trust_manager_may_not_appoint(
    api_client_for: ApiClientFor, trust_manager: User, case: Case, expert: Expert
) -> None:
    response = api_client_for(trust_manager).post(APPOINTMENTS, appointment(case, expert), format="json")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("field", "value"), [("role", "chair"), ("case", HUGE_FLOAT), ("expert", 1.5), ("declaration", "Signed \x00")]
)
def test_bad_appointment_input_is_a_field_error(
    api_client_for: ApiClientFor, regulator: User, case: Case, expert: Expert, field: str, value: Any
) -> None:
    response = post(api_client_for(regulator), APPOINTMENTS, {**appointment(case, expert), field: value})
    assert field in errors(response)


def test_the_provider_sees_the_appointments_on_its_case(
    api_client_for: ApiClientFor, regulator: User, trust_manager: User, case: Case, expert: Expert
) -> None:
    made = appointment_make(
        actor=regulator, case=case, expert=expert, role=AppointmentRole.REVIEW_CHAIR, declaration=DECLARATION
    )
    rows = api_client_for(trust_manager).get(APPOINTMENTS, {"case": case.pk}).json()["results"]
    assert [(r["id"], "registration_number" in r["expert"]) for r in rows] == [(made.pk, False)]


def test_appointments_on_a_case_you_cannot_see_are_not_found(
    api_client_for: ApiClientFor, other_trust_manager: User, case: Case
) -> None:
    assert api_client_for(other_trust_manager).get(APPOINTMENTS, {"case": case.pk}).status_code == 404


def test_a_bad_case_for_appointments_is_a_field_error(api_client_for: ApiClientFor, regulator: User) -> None:
    assert "case" in errors(api_client_for(regulator).get(APPOINTMENTS, {"case": "1e400"}))


# --- Changing an expert -------------------------------------------------------------------------


def test_a_registry_keeper_changes_an_experts_availability(
    api_client_for: ApiClientFor, regulator: User, expert: Expert
) -> None:
    response = api_client_for(regulator).patch(f"{EXPERTS}{expert.pk}/", {"available": False}, format="json")
    assert (response.status_code, response.json()["available"]) == (200, False)


def test_a_partial_change_leaves_the_other_fields(
    api_client_for: ApiClientFor, regulator: User, expert: Expert
) -> None:
    body = api_client_for(regulator).patch(f"{EXPERTS}{expert.pk}/", {"seniority": 5}, format="json").json()
    assert (body["seniority"], body["capacity_per_week"]) == (5, expert.capacity_per_week)


def test_a_trust_manager_may_not_change_an_expert(
    api_client_for: ApiClientFor, trust_manager: User, expert: Expert
) -> None:
    response = api_client_for(trust_manager).patch(f"{EXPERTS}{expert.pk}/", {"available": False}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [("capacity_per_week", -1), ("capacity_per_week", HUGE_FLOAT), ("seniority", 9), ("profession", "a\u0000b")],
)
def test_a_bad_change_is_a_field_error(
    api_client_for: ApiClientFor, regulator: User, expert: Expert, field: str, value: Any
) -> None:
    body = json.dumps({field: value}).replace(f'"{HUGE_FLOAT}"', "1e400")
    response = api_client_for(regulator).patch(f"{EXPERTS}{expert.pk}/", body, content_type="application/json")
    assert field in errors(response)


# --- Ending an appointment ----------------------------------------------------------------------


@pytest.fixture
def made(case: Case, expert: Expert, regulator: User) -> Appointment:
    return appointment_make(
        actor=regulator, case=case, expert=expert, role=AppointmentRole.EXPERT_REVIEWER, declaration=DECLARATION
    )


def test_the_appointing_regulator_ends_an_appointment(
    api_client_for: ApiClientFor, regulator: User, made: Appointment
) -> None:
    body = post(api_client_for(regulator), f"{APPOINTMENTS}{made.pk}/end/", {"reason": "Moved abroad."}).json()
    assert (body["active"], body["end_reason"], body["ended_by"]["id"]) == (False, "Moved abroad.", regulator.pk)


def test_a_provider_reads_an_appointment_on_its_case(
    api_client_for: ApiClientFor, trust_manager: User, made: Appointment
) -> None:
    assert api_client_for(trust_manager).get(f"{APPOINTMENTS}{made.pk}/").json()["id"] == made.pk


def test_an_appointment_on_a_case_you_cannot_see_is_not_found(
    api_client_for: ApiClientFor, other_trust_manager: User, made: Appointment
) -> None:
    response = post(api_client_for(other_trust_manager), f"{APPOINTMENTS}{made.pk}/end/", {"reason": "No."})
    assert response.status_code == 404


def test_the_provider_may_not_end_an_appointment(
    api_client_for: ApiClientFor, trust_manager: User, made: Appointment
) -> None:
    response = post(api_client_for(trust_manager), f"{APPOINTMENTS}{made.pk}/end/", {"reason": "We disagree."})
    assert response.status_code == 403


def test_ending_without_a_reason_is_a_field_error(
    api_client_for: ApiClientFor, regulator: User, made: Appointment
) -> None:
    assert "reason" in errors(post(api_client_for(regulator), f"{APPOINTMENTS}{made.pk}/end/", {"reason": ""}))


def test_ending_an_ended_appointment_is_a_conflict(
    api_client_for: ApiClientFor, regulator: User, made: Appointment
) -> None:
    api = api_client_for(regulator)
    post(api, f"{APPOINTMENTS}{made.pk}/end/", {"reason": "Moved abroad."})
    assert post(api, f"{APPOINTMENTS}{made.pk}/end/", {"reason": "Again."}).status_code == 409


def test_an_appointed_chair_lists_the_appointments_of_the_case_they_run(
    api_client_for: ApiClientFor, make_expert: MakeExpert, reviewer: User, regulator: User, case: Case
) -> None:
    chair = make_expert(name="Dr Chair", user=reviewer)
    appointment_make(
        actor=regulator, case=case, expert=chair, role=AppointmentRole.REVIEW_CHAIR, declaration=DECLARATION
    )
    rows = api_client_for(reviewer).get(APPOINTMENTS, {"case": case.pk}).json()["results"]
    assert [r["expert"]["id"] for r in rows] == [chair.pk]


def test_a_keeper_with_two_organisations_names_one(
    api_client_for: ApiClientFor, oversight_lead: User, nhs_england: Organisation
) -> None:
    membership_create(actor=None, user=oversight_lead, organisation=nhs_england, role=Role.NATIONAL_OVERSIGHT)
    client = api_client_for(oversight_lead)
    assert "acting_for" in errors(client.post(EXPERTS, registration(), format="json"))
    response = client.post(EXPERTS, registration(acting_for=nhs_england.pk), format="json")
    assert response.status_code == 201
    event = AuditEvent.objects.get(verb=ReviewsVerb.EXPERT_REGISTERED, target_id=str(response.json()["id"]))
    assert event.organisation == nhs_england
