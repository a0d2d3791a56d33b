"""The regime's API under /api/v1/: concerns, cases, enforcement actions and deadlines.

What a user may not see answers 404, what their role may not do answers 403, and a change the object's
current state does not allow answers 409, each with the standard error body.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import Client
from django.utils import timezone
from guardian.models import GroupObjectPermission
from pytest_django import DjangoAssertNumQueries, Settings
from rest_framework.test import APIClient

from accounts.models import Organisation, OrganisationKind, Region, Role, User
from failure_regime.models import (
    Area,
    Case,
    ClosureReason,
    Concern,
    ConcernEvidence,
    ConcernSource,
    Deadline,
    DeadlineKind,
    Decision,
    EnforcementAction,
    EnforcementKind,
    EnforcementOutcome,
    Severity,
)
from failure_regime.services.accountability import lead_hand_over
from failure_regime.services.cases import case_close, case_party_add
from failure_regime.services.concerns import concern_raise
from failure_regime.services.enforcement import enforcement_outcome_record, enforcement_record
from failure_regime.services.sign_off import sign_off_record
from tests.factories import OrganisationFactory, member, sole_organisation
from tests.failure_regime.conftest import propose
from tests.failure_regime.test_sign_off import everyone_agrees

pytestmark = pytest.mark.django_db

ApiClientFor = Callable[[User], APIClient]
M = TypeVar("M", bound=Model)

CONCERNS = "/api/v1/concerns/"
CASES = "/api/v1/cases/"
ENFORCEMENT = "/api/v1/enforcement-actions/"
DEADLINES = "/api/v1/deadlines/"

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
# The first bytes of a Windows program and of a Linux one: neither is a PDF, whatever the name says.
WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program"
LINUX_PROGRAM = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00"


# --- Helpers and fixtures -----------------------------------------------------------------------


def organisation_of(user: User) -> Organisation:
    return user.memberships.get().organisation


def case_url(case: Case, action: str = "") -> str:
    return f"{CASES}{case.pk}/{action}/" if action else f"{CASES}{case.pk}/"


def ids(response: Any) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def proposal(provider: Organisation, *concerns: Concern, **overrides: Any) -> dict[str, Any]:
    return {
        "provider": provider.pk,
        "concerns": [c.pk for c in concerns],
        "title": "Maternity services",
        "summary": "Failures of maternity care.",
        "scope": "2019 to 2024",
        "terms_of_reference": "Review every case of harm since 2019.",
        **overrides,
    }


def hand_every_area_to(case: Case, *, actor: User, lead: User) -> None:
    for area in Area:
        lead_hand_over(
            actor=actor,
            case=case,
            area=area,
            lead=lead,
            organisation=organisation_of(lead),
            reason="Named by the board.",
        )


def notice(actor: User, provider: Organisation, **overrides: Any) -> EnforcementAction:
    fields: dict[str, Any] = {
        "kind": EnforcementKind.NOTICE_OF_PROPOSAL,
        "summary": "Notice of proposal to cancel the maternity registration.",
        "served_on": timezone.localdate(),
        **overrides,
    }
    return enforcement_record(actor=actor, organisation=sole_organisation(actor), provider=provider, **fields)


def enforcement_body(provider: Organisation, **overrides: Any) -> dict[str, Any]:
    return {
        "provider": provider.pk,
        "kind": "warning_notice",
        "summary": "Warning notice about staffing on the maternity unit.",
        "served_on": timezone.localdate().isoformat(),
        **overrides,
    }


@pytest.fixture
def triggered(case: Case, regulator: User, oversight_lead: User, sign_off_officer: User) -> Case:
    everyone_agrees(case, regulator, oversight_lead, sign_off_officer)
    case.refresh_from_db()
    return case


@pytest.fixture
def other_case(regulator: User, inspector: User, other_provider: Organisation) -> Case:
    concern = concern_raise(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=other_provider,
        source=ConcernSource.COMPLAINTS,
        summary="Long waits in A&E.",
    )
    return propose(regulator, other_provider, concern, title="Emergency department")


@pytest.fixture
def action(inspector: User, provider: Organisation) -> EnforcementAction:
    return notice(inspector, provider)


@pytest.fixture
def deadline(action: EnforcementAction) -> Deadline:
    return Deadline.objects.get(subject_id=action.pk, kind=DeadlineKind.REPRESENTATION_WINDOW)


@pytest.fixture
def commissioner(db: None) -> Organisation:
    return OrganisationFactory.create(name="Mid Shire ICB", ods_code="QXX", kind=OrganisationKind.COMMISSIONER)


# --- Anyone not signed in -----------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/api/v1/concerns/"),
    ("post", "/api/v1/concerns/"),
    ("post", "/api/v1/concerns/report-own/"),
    ("get", "/api/v1/concerns/{concern}/"),
    ("post", "/api/v1/concerns/{concern}/evidence/"),
    ("post", "/api/v1/concerns/{concern}/assess/"),
    ("post", "/api/v1/concerns/{concern}/outcome/"),
    ("post", "/api/v1/concerns/{concern}/close/"),
    ("get", "/api/v1/cases/"),
    ("post", "/api/v1/cases/"),
    ("get", "/api/v1/cases/{case}/"),
    ("post", "/api/v1/cases/{case}/agree/"),
    ("post", "/api/v1/cases/{case}/object/"),
    ("post", "/api/v1/cases/{case}/withdraw/"),
    ("post", "/api/v1/cases/{case}/parties/"),
    ("post", "/api/v1/cases/{case}/terms/"),
    ("post", "/api/v1/cases/{case}/hand-over/"),
    ("post", "/api/v1/cases/{case}/responsibility-organisations/"),
    ("post", "/api/v1/cases/{case}/activate/"),
    ("post", "/api/v1/cases/{case}/close/"),
    ("get", "/api/v1/cases/{case}/handovers/"),
    ("get", "/api/v1/cases/{case}/timeline/"),
    ("get", "/api/v1/enforcement-actions/"),
    ("post", "/api/v1/enforcement-actions/"),
    ("get", "/api/v1/enforcement-actions/{action}/"),
    ("post", "/api/v1/enforcement-actions/{action}/outcome/"),
    ("get", "/api/v1/deadlines/"),
    ("get", "/api/v1/deadlines/{deadline}/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_the_public_is_told_to_authenticate(
    client: Client, case: Case, concern: Concern, deadline: Deadline, method: str, path: str
) -> None:
    address = path.format(case=case.pk, concern=concern.pk, action=deadline.subject_id, deadline=deadline.pk)
    response = getattr(client, method)(address)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_endpoints_above_are_every_endpoint_of_the_regime(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    documented = {
        (method, path)
        for path, operations in schema["paths"].items()
        if path.startswith((CONCERNS, CASES, ENFORCEMENT, DEADLINES))
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    placeholders = {"case": "{id}", "concern": "{id}", "action": "{id}", "deadline": "{id}"}
    assert documented == {(method, path.format(**placeholders)) for method, path in ENDPOINTS}


# --- Concerns -----------------------------------------------------------------------------------


def test_an_inspector_lists_concerns(api_client_for: ApiClientFor, inspector: User, concern: Concern) -> None:
    assert ids(api_client_for(inspector).get(CONCERNS)) == [concern.pk]


def test_a_provider_does_not_list_concerns_about_itself(
    api_client_for: ApiClientFor, trust_manager: User, concern: Concern
) -> None:
    # A concern may come from a whistleblower at the provider.
    assert ids(api_client_for(trust_manager).get(CONCERNS)) == []


def test_the_oversight_body_opens_a_concern_about_a_provider_it_oversees(
    api_client_for: ApiClientFor, oversight_lead: User, concern: Concern
) -> None:
    response = api_client_for(oversight_lead).get(f"{CONCERNS}{concern.pk}/")
    assert response.status_code == 200
    assert response.json()["evidence"] == []


def test_another_trust_does_not_find_a_concern(
    api_client_for: ApiClientFor, other_trust_manager: User, concern: Concern
) -> None:
    response = api_client_for(other_trust_manager).get(f"{CONCERNS}{concern.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_inspector_raises_a_concern(api_client_for: ApiClientFor, inspector: User, provider: Organisation) -> None:
    body = {"provider": provider.pk, "source": "whistleblowing", "summary": "Unsafe staffing.", "severity": "immediate"}
    response = api_client_for(inspector).post(CONCERNS, body, format="json")
    assert response.status_code == 201
    assert Concern.objects.get(pk=response.json()["id"]).severity == Severity.IMMEDIATE


def test_a_trust_manager_may_not_raise_a_concern(
    api_client_for: ApiClientFor, trust_manager: User, provider: Organisation
) -> None:
    body = {"provider": provider.pk, "source": "complaints", "summary": "About ourselves."}
    response = api_client_for(trust_manager).post(CONCERNS, body, format="json")
    assert response.status_code == 403
    assert not Concern.objects.exists()


def test_a_concern_with_an_unknown_source_gets_the_standard_error_body(
    api_client_for: ApiClientFor, inspector: User, provider: Organisation
) -> None:
    body = {"provider": provider.pk, "source": "rumour", "summary": "Heard it in the pub."}
    response = api_client_for(inspector).post(CONCERNS, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "code": "invalid",
        "detail": "Check the fields and try again.",
        "errors": {"source": ['"rumour" is not a valid choice.']},
    }


def test_a_provider_the_user_may_not_see_is_a_field_error(
    api_client_for: ApiClientFor, oversight_lead: User, other_provider: Organisation
) -> None:
    body = {"provider": other_provider.pk, "source": "complaints", "summary": "Not ours to oversee."}
    response = api_client_for(oversight_lead).post(CONCERNS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["provider"]


# --- Evidence -----------------------------------------------------------------------------------


def upload(content: bytes, name: str = "ward-report.pdf") -> dict[str, SimpleUploadedFile]:
    return {"file": SimpleUploadedFile(name, content, content_type="application/pdf")}


def test_it_stores_a_pdf_as_evidence(api_client_for: ApiClientFor, inspector: User, concern: Concern) -> None:
    response = api_client_for(inspector).post(f"{CONCERNS}{concern.pk}/evidence/", upload(PDF), format="multipart")
    assert response.status_code == 201
    assert (response.json()["original_name"], response.json()["content_type"]) == ("ward-report.pdf", "application/pdf")


def test_it_keeps_only_the_base_name_of_an_upload(
    api_client_for: ApiClientFor, inspector: User, concern: Concern
) -> None:
    api = api_client_for(inspector)
    response = api.post(
        f"{CONCERNS}{concern.pk}/evidence/", upload(PDF, "../../etc/ward-report.pdf"), format="multipart"
    )
    assert response.json()["original_name"] == "ward-report.pdf"


def test_an_empty_upload_is_a_file_field_error(api_client_for: ApiClientFor, inspector: User, concern: Concern) -> None:
    response = api_client_for(inspector).post(f"{CONCERNS}{concern.pk}/evidence/", upload(b""), format="multipart")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]


def test_an_upload_over_the_size_limit_is_refused(
    api_client_for: ApiClientFor, inspector: User, concern: Concern, settings: Settings
) -> None:
    settings.UPLOAD_MAX_BYTES = len(PDF) - 1
    response = api_client_for(inspector).post(f"{CONCERNS}{concern.pk}/evidence/", upload(PDF), format="multipart")
    assert response.status_code == 400
    assert not ConcernEvidence.objects.exists()


@pytest.mark.parametrize("content", [WINDOWS_PROGRAM, LINUX_PROGRAM], ids=["windows", "linux"])
def test_it_refuses_a_program_named_like_a_pdf(
    api_client_for: ApiClientFor, inspector: User, concern: Concern, content: bytes
) -> None:
    response = api_client_for(inspector).post(f"{CONCERNS}{concern.pk}/evidence/", upload(content), format="multipart")
    assert response.status_code == 400
    assert not ConcernEvidence.objects.exists()


def test_a_refused_upload_is_a_file_field_error(
    api_client_for: ApiClientFor, inspector: User, concern: Concern
) -> None:
    api = api_client_for(inspector)
    response = api.post(f"{CONCERNS}{concern.pk}/evidence/", upload(WINDOWS_PROGRAM), format="multipart")
    assert list(response.json()["errors"]) == ["file"]


def test_a_provider_does_not_find_a_concern_to_add_evidence_to(
    api_client_for: ApiClientFor, trust_manager: User, concern: Concern
) -> None:
    response = api_client_for(trust_manager).post(f"{CONCERNS}{concern.pk}/evidence/", upload(PDF), format="multipart")
    assert response.status_code == 404


def test_a_reviewer_who_sees_a_concern_may_not_add_evidence(
    api_client_for: ApiClientFor, monitor: Organisation, concern: Concern
) -> None:
    reviewer_at_monitor = member(monitor, Role.EXPERT_REVIEWER)
    api = api_client_for(reviewer_at_monitor)
    response = api.post(f"{CONCERNS}{concern.pk}/evidence/", upload(PDF), format="multipart")
    assert response.status_code == 403
    assert not ConcernEvidence.objects.exists()


# --- Which cases each person sees ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("trust_manager", {"case"}),
        ("sign_off_officer", {"case"}),
        ("other_trust_manager", {"other_case"}),
        ("regulator", {"case", "other_case"}),
        ("inspector", {"case", "other_case"}),
        ("oversight_lead", {"case"}),
        ("reviewer", set()),
        ("national", {"case", "other_case"}),
    ],
)
def test_each_person_lists_the_cases_their_organisation_is_party_to(
    request: pytest.FixtureRequest,
    api_client_for: ApiClientFor,
    case: Case,
    other_case: Case,
    persona: str,
    expected: set[str],
) -> None:
    user = request.getfixturevalue(persona)
    cases = {"case": case.pk, "other_case": other_case.pk}
    assert set(ids(api_client_for(user).get(CASES))) == {cases[name] for name in expected}


def test_list_and_detail_agree_for_every_persona(
    api_client_for: ApiClientFor,
    case: Case,
    other_case: Case,
    regulator: User,
    oversight_lead: User,
    trust_manager: User,
    other_trust_manager: User,
    sign_off_officer: User,
    inspector: User,
    reviewer: User,
    national: User,
) -> None:
    everyone = (regulator, oversight_lead, trust_manager, other_trust_manager, sign_off_officer, inspector)
    for user in (*everyone, reviewer, national):
        api = api_client_for(user)
        listed = set(ids(api.get(CASES, {"page_size": 200})))
        found = {c.pk for c in (case, other_case) if api.get(case_url(c)).status_code == 200}
        assert listed == found, user


def test_a_party_added_as_appropriate_sees_the_case(
    api_client_for: ApiClientFor, regulator: User, case: Case, commissioner: Organisation
) -> None:
    api_client_for(regulator).post(case_url(case, "parties"), {"organisation": commissioner.pk}, format="json")
    icb_lead = member(commissioner, Role.OVERSIGHT_LEAD)
    assert ids(api_client_for(icb_lead).get(CASES)) == [case.pk]


def test_a_provider_opens_its_own_case(api_client_for: ApiClientFor, trust_manager: User, case: Case) -> None:
    response = api_client_for(trust_manager).get(case_url(case))
    assert response.status_code == 200
    assert response.json()["reference"] == case.reference


def test_another_trust_does_not_find_a_case(
    api_client_for: ApiClientFor, other_trust_manager: User, case: Case
) -> None:
    response = api_client_for(other_trust_manager).get(case_url(case))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_it_filters_cases_by_status(
    api_client_for: ApiClientFor, national: User, triggered: Case, other_case: Case
) -> None:
    assert ids(api_client_for(national).get(CASES, {"status": "triggered"})) == [triggered.pk]


def test_it_filters_cases_with_overdue_deadlines(
    api_client_for: ApiClientFor,
    national: User,
    regulator: User,
    provider: Organisation,
    case: Case,
    immediate_concern: Concern,
) -> None:
    immediate = propose(regulator, provider, immediate_concern, title="Maternity staffing")
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = api_client_for(national).get(CASES, {"overdue": "true"})
    assert ids(response) == [immediate.pk]


def test_a_bad_case_filter_is_a_field_error(api_client_for: ApiClientFor, national: User) -> None:
    response = api_client_for(national).get(CASES, {"status": "dormant"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]


# --- Proposing a case ---------------------------------------------------------------------------


def test_a_regulator_proposes_a_case_with_its_required_parties(
    api_client_for: ApiClientFor,
    regulator: User,
    provider: Organisation,
    concern: Concern,
    cqc: Organisation,
    monitor: Organisation,
) -> None:
    response = api_client_for(regulator).post(CASES, proposal(provider, concern), format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "proposed"
    assert {p["organisation"]["id"] for p in response.json()["parties"]} == {provider.pk, cqc.pk, monitor.pk}


def test_a_trust_manager_may_not_propose_a_case(
    api_client_for: ApiClientFor, trust_manager: User, provider: Organisation, concern: Concern
) -> None:
    response = api_client_for(trust_manager).post(CASES, proposal(provider, concern), format="json")
    assert response.json() == {
        "status": 403,
        "code": "permission_denied",
        "detail": "Your role does not allow you to propose cases.",
        "errors": {},
    }
    assert not Case.objects.exists()


def test_an_inspector_may_not_propose_a_case(
    api_client_for: ApiClientFor, inspector: User, provider: Organisation, concern: Concern
) -> None:
    response = api_client_for(inspector).post(CASES, proposal(provider, concern), format="json")
    assert response.status_code == 403


def test_a_blank_title_is_a_field_error(
    api_client_for: ApiClientFor, regulator: User, provider: Organisation, concern: Concern
) -> None:
    response = api_client_for(regulator).post(CASES, proposal(provider, concern, title=""), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["title"]


def test_a_concern_about_another_provider_is_a_field_error(
    api_client_for: ApiClientFor, regulator: User, provider: Organisation, other_case: Case
) -> None:
    other_concern = other_case.concerns.get()
    response = api_client_for(regulator).post(CASES, proposal(provider, other_concern), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"concerns": ["Every concern must be about the same provider as the case."]}


def test_a_concern_the_proposer_may_not_see_does_not_start_a_case(
    api_client_for: ApiClientFor, oversight_lead: User, provider: Organisation, other_case: Case
) -> None:
    other_concern = other_case.concerns.get()
    response = api_client_for(oversight_lead).post(CASES, proposal(provider, other_concern), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"concerns": ["One or more of these concerns was not found."]}


# --- Joint sign-off -----------------------------------------------------------------------------


def test_a_party_agrees_for_its_organisation(
    api_client_for: ApiClientFor, regulator: User, case: Case, cqc: Organisation
) -> None:
    response = api_client_for(regulator).post(case_url(case, "agree"), {"organisation": cqc.pk}, format="json")
    assert response.status_code == 200
    assert [(s["organisation"]["id"], s["decision"]) for s in response.json()["sign_offs"]] == [(cqc.pk, "agree")]


def test_a_trust_manager_may_not_agree_for_the_trust(
    api_client_for: ApiClientFor, trust_manager: User, case: Case, provider: Organisation
) -> None:
    response = api_client_for(trust_manager).post(case_url(case, "agree"), {"organisation": provider.pk}, format="json")
    assert response.status_code == 403
    assert not case.sign_offs.exists()


def test_nobody_agrees_for_an_organisation_they_do_not_belong_to(
    api_client_for: ApiClientFor, regulator: User, case: Case, monitor: Organisation
) -> None:
    response = api_client_for(regulator).post(case_url(case, "agree"), {"organisation": monitor.pk}, format="json")
    assert response.status_code == 403


def test_another_trust_does_not_find_a_case_to_agree_to(
    api_client_for: ApiClientFor, other_trust_manager: User, case: Case, other_provider: Organisation
) -> None:
    api = api_client_for(other_trust_manager)
    response = api.post(case_url(case, "agree"), {"organisation": other_provider.pk}, format="json")
    assert response.status_code == 404


def test_a_second_decision_by_the_same_party_is_a_conflict(
    api_client_for: ApiClientFor, regulator: User, case: Case, cqc: Organisation
) -> None:
    api = api_client_for(regulator)
    api.post(case_url(case, "agree"), {"organisation": cqc.pk}, format="json")
    response = api.post(case_url(case, "agree"), {"organisation": cqc.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == f"{cqc} has already given its decision. Withdraw it first to change it."


def test_an_objection_holds_the_case(
    api_client_for: ApiClientFor,
    case: Case,
    regulator: User,
    oversight_lead: User,
    sign_off_officer: User,
    provider: Organisation,
) -> None:
    for user in (regulator, oversight_lead):
        sign_off_record(actor=user, case=case, organisation=organisation_of(user), decision=Decision.AGREE)
    body = {"organisation": provider.pk, "reason": "The scope names the wrong years."}
    response = api_client_for(sign_off_officer).post(case_url(case, "object"), body, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "proposed"


def test_an_objection_needs_reasons(
    api_client_for: ApiClientFor, sign_off_officer: User, case: Case, provider: Organisation
) -> None:
    body = {"organisation": provider.pk, "reason": ""}
    response = api_client_for(sign_off_officer).post(case_url(case, "object"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]


def test_a_trust_manager_may_not_object_for_the_trust(
    api_client_for: ApiClientFor, trust_manager: User, case: Case, provider: Organisation
) -> None:
    body = {"organisation": provider.pk, "reason": "We disagree."}
    response = api_client_for(trust_manager).post(case_url(case, "object"), body, format="json")
    assert response.status_code == 403


def test_a_party_withdraws_its_decision(
    api_client_for: ApiClientFor, regulator: User, case: Case, cqc: Organisation
) -> None:
    sign_off_record(actor=regulator, case=case, organisation=cqc, decision=Decision.AGREE)
    body = {"organisation": cqc.pk, "reason": "New evidence arrived."}
    response = api_client_for(regulator).post(case_url(case, "withdraw"), body, format="json")
    assert response.status_code == 200
    assert response.json()["sign_offs"][0]["withdrawal_reason"] == "New evidence arrived."


def test_withdrawing_without_a_decision_is_a_conflict(
    api_client_for: ApiClientFor, regulator: User, case: Case, cqc: Organisation
) -> None:
    body = {"organisation": cqc.pk, "reason": "Changed our mind."}
    response = api_client_for(regulator).post(case_url(case, "withdraw"), body, format="json")
    assert response.status_code == 409


def test_a_trust_manager_may_not_withdraw_the_trusts_decision(
    api_client_for: ApiClientFor, trust_manager: User, sign_off_officer: User, case: Case, provider: Organisation
) -> None:
    sign_off_record(actor=sign_off_officer, case=case, organisation=provider, decision=Decision.AGREE)
    body = {"organisation": provider.pk, "reason": "Changed our mind."}
    response = api_client_for(trust_manager).post(case_url(case, "withdraw"), body, format="json")
    assert response.status_code == 403
    assert case.sign_offs.get().withdrawn_at is None


def test_the_trust_sign_off_journey_triggers_the_case_and_leads_make_it_active(
    api_client_for: ApiClientFor,
    regulator: User,
    oversight_lead: User,
    sign_off_officer: User,
    trust_manager: User,
    provider: Organisation,
    concern: Concern,
) -> None:
    proposer = api_client_for(regulator)
    case_id = proposer.post(CASES, proposal(provider, concern), format="json").json()["id"]
    decisions = [
        api_client_for(user).post(f"{CASES}{case_id}/agree/", {"organisation": organisation_of(user).pk}, format="json")
        for user in (regulator, oversight_lead, sign_off_officer)
    ]
    assert decisions[-1].json()["status"] == "triggered"
    areas = ["investigation", "expert_recruitment", "public_communications", "family_support", "oversight"]
    handovers = [
        proposer.post(
            f"{CASES}{case_id}/hand-over/",
            {"area": area, "lead": trust_manager.pk, "organisation": provider.pk, "reason": "Named by the board."},
            format="json",
        ).status_code
        for area in areas
    ]
    assert handovers == [201] * 5
    assert proposer.post(f"{CASES}{case_id}/activate/").json()["status"] == "active"


# --- Parties and terms of reference -------------------------------------------------------------


def test_the_proposer_adds_a_party_as_appropriate(
    api_client_for: ApiClientFor, regulator: User, case: Case, commissioner: Organisation
) -> None:
    response = api_client_for(regulator).post(
        case_url(case, "parties"), {"organisation": commissioner.pk}, format="json"
    )
    assert response.status_code == 200
    assert {"id": commissioner.pk, "basis": "as_appropriate"} in [
        {"id": p["organisation"]["id"], "basis": p["basis"]} for p in response.json()["parties"]
    ]


def test_only_the_proposers_organisation_adds_parties(
    api_client_for: ApiClientFor, oversight_lead: User, case: Case, commissioner: Organisation
) -> None:
    api = api_client_for(oversight_lead)
    response = api.post(case_url(case, "parties"), {"organisation": commissioner.pk}, format="json")
    assert response.status_code == 403


def test_parties_cannot_be_added_once_sign_off_starts(
    api_client_for: ApiClientFor, regulator: User, case: Case, cqc: Organisation, commissioner: Organisation
) -> None:
    sign_off_record(actor=regulator, case=case, organisation=cqc, decision=Decision.AGREE)
    response = api_client_for(regulator).post(
        case_url(case, "parties"), {"organisation": commissioner.pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "Parties can be added only before sign-off starts."


def test_an_existing_party_is_a_field_error(
    api_client_for: ApiClientFor, regulator: User, case: Case, monitor: Organisation
) -> None:
    response = api_client_for(regulator).post(case_url(case, "parties"), {"organisation": monitor.pk}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["organisation"]


def test_an_overseer_revises_the_terms_of_reference(
    api_client_for: ApiClientFor, oversight_lead: User, case: Case
) -> None:
    response = api_client_for(oversight_lead).post(case_url(case, "terms"), {"text": "Also 2018."}, format="json")
    assert response.status_code == 200
    assert [t["version"] for t in response.json()["terms_of_reference"]] == [2, 1]


def test_a_trust_manager_may_not_revise_the_terms_of_reference(
    api_client_for: ApiClientFor, trust_manager: User, case: Case
) -> None:
    response = api_client_for(trust_manager).post(case_url(case, "terms"), {"text": "Only 2024."}, format="json")
    assert response.status_code == 403
    assert case.terms_versions.count() == 1


def test_the_terms_of_a_closed_case_cannot_change(api_client_for: ApiClientFor, regulator: User, case: Case) -> None:
    case_close(actor=regulator, case=case, reason=ClosureReason.WITHDRAWN, summary="Withdrawn by CQC.")
    response = api_client_for(regulator).post(case_url(case, "terms"), {"text": "Too late."}, format="json")
    assert response.status_code == 409


# --- Accountable leads --------------------------------------------------------------------------


def lead_body(lead: User, organisation: Organisation, area: str = "investigation") -> dict[str, Any]:
    return {"area": area, "lead": lead.pk, "organisation": organisation.pk, "reason": "Chairs the review."}


def test_an_overseer_hands_an_area_to_a_lead(
    api_client_for: ApiClientFor, regulator: User, case: Case, trust_manager: User, provider: Organisation
) -> None:
    response = api_client_for(regulator).post(
        case_url(case, "hand-over"), lead_body(trust_manager, provider), format="json"
    )
    assert response.status_code == 201
    assert (response.json()["area"], response.json()["to_lead"]["id"]) == ("investigation", trust_manager.pk)


def test_a_trust_manager_may_not_appoint_leads(
    api_client_for: ApiClientFor, trust_manager: User, case: Case, provider: Organisation
) -> None:
    response = api_client_for(trust_manager).post(
        case_url(case, "hand-over"), lead_body(trust_manager, provider), format="json"
    )
    assert response.status_code == 403
    assert not case.responsibilities.filter(lead__isnull=False).exists()


def test_a_lead_from_another_organisation_is_a_field_error(
    api_client_for: ApiClientFor, regulator: User, case: Case, trust_manager: User, cqc: Organisation
) -> None:
    response = api_client_for(regulator).post(case_url(case, "hand-over"), lead_body(trust_manager, cqc), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"lead": [f"The lead must be a member of {cqc}."]}


def test_an_unknown_area_is_a_field_error(
    api_client_for: ApiClientFor, regulator: User, case: Case, inspector: User, cqc: Organisation
) -> None:
    body = lead_body(inspector, cqc, area="catering")
    response = api_client_for(regulator).post(case_url(case, "hand-over"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["area"]


def test_a_party_reads_every_handover(
    api_client_for: ApiClientFor, regulator: User, inspector: User, trust_manager: User, case: Case, cqc: Organisation
) -> None:
    for lead in (regulator, inspector):
        lead_hand_over(actor=regulator, case=case, area=Area.INVESTIGATION, lead=lead, organisation=cqc, reason="Set.")
    response = api_client_for(trust_manager).get(case_url(case, "handovers"))
    people = [(h["from_lead"]["id"] if h["from_lead"] else None, h["to_lead"]["id"]) for h in response.json()]
    assert people == [
        (None, regulator.pk),
        (regulator.pk, inspector.pk),
    ]


def test_another_trust_does_not_find_the_handovers(
    api_client_for: ApiClientFor, other_trust_manager: User, case: Case
) -> None:
    assert api_client_for(other_trust_manager).get(case_url(case, "handovers")).status_code == 404


def test_an_overseer_names_the_organisations_of_an_area(
    api_client_for: ApiClientFor, oversight_lead: User, case: Case, provider: Organisation, cqc: Organisation
) -> None:
    body = {"area": "family_support", "responsible": [provider.pk], "consulted": [cqc.pk]}
    response = api_client_for(oversight_lead).post(case_url(case, "responsibility-organisations"), body, format="json")
    assert response.status_code == 200
    assert ([o["id"] for o in response.json()["responsible"]], [o["id"] for o in response.json()["consulted"]]) == (
        [provider.pk],
        [cqc.pk],
    )


def test_a_trust_manager_may_not_name_the_organisations_of_an_area(
    api_client_for: ApiClientFor, trust_manager: User, case: Case, provider: Organisation
) -> None:
    body = {"area": "family_support", "responsible": [provider.pk], "consulted": []}
    response = api_client_for(trust_manager).post(case_url(case, "responsibility-organisations"), body, format="json")
    assert response.status_code == 403


# --- Activation and closure ---------------------------------------------------------------------


def test_a_triggered_case_with_every_lead_becomes_active(
    api_client_for: ApiClientFor, regulator: User, inspector: User, triggered: Case
) -> None:
    hand_every_area_to(triggered, actor=regulator, lead=inspector)
    response = api_client_for(regulator).post(case_url(triggered, "activate"))
    assert response.status_code == 200
    assert response.json()["status"] == "active"


def test_activating_with_missing_leads_is_a_conflict_that_names_them(
    api_client_for: ApiClientFor, regulator: User, inspector: User, cqc: Organisation, triggered: Case
) -> None:
    lead_hand_over(
        actor=regulator, case=triggered, area=Area.INVESTIGATION, lead=inspector, organisation=cqc, reason="Set."
    )
    response = api_client_for(regulator).post(case_url(triggered, "activate"))
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "These areas have no accountable lead yet: Expert recruitment, Public communications, "
        "Family and public support, Oversight."
    )


def test_a_conflict_has_the_code_conflict(api_client_for: ApiClientFor, regulator: User, triggered: Case) -> None:
    response = api_client_for(regulator).post(case_url(triggered, "activate"))
    assert response.json()["code"] == "conflict"


def test_a_proposed_case_cannot_become_active(api_client_for: ApiClientFor, regulator: User, case: Case) -> None:
    response = api_client_for(regulator).post(case_url(case, "activate"))
    assert response.status_code == 409
    assert response.json()["detail"] == "A proposed case cannot become active."


def test_a_trust_manager_may_not_activate_a_case(
    api_client_for: ApiClientFor, regulator: User, inspector: User, trust_manager: User, triggered: Case
) -> None:
    hand_every_area_to(triggered, actor=regulator, lead=inspector)
    response = api_client_for(trust_manager).post(case_url(triggered, "activate"))
    assert response.status_code == 403


def test_an_overseer_closes_a_case(api_client_for: ApiClientFor, oversight_lead: User, case: Case) -> None:
    body = {"reason": "not_agreed", "summary": "The trust did not agree."}
    response = api_client_for(oversight_lead).post(case_url(case, "close"), body, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["closure_reason"]) == ("closed", "not_agreed")


def test_a_closed_case_cannot_close_again(api_client_for: ApiClientFor, regulator: User, case: Case) -> None:
    case_close(actor=regulator, case=case, reason=ClosureReason.WITHDRAWN, summary="Withdrawn by CQC.")
    body = {"reason": "completed", "summary": "Again."}
    response = api_client_for(regulator).post(case_url(case, "close"), body, format="json")
    assert response.status_code == 409


def test_a_closure_needs_a_known_reason(api_client_for: ApiClientFor, regulator: User, case: Case) -> None:
    body = {"reason": "bored", "summary": "Enough."}
    response = api_client_for(regulator).post(case_url(case, "close"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]


def test_a_trust_manager_may_not_close_a_case(api_client_for: ApiClientFor, trust_manager: User, case: Case) -> None:
    body = {"reason": "not_agreed", "summary": "We would rather not."}
    response = api_client_for(trust_manager).post(case_url(case, "close"), body, format="json")
    assert response.status_code == 403


def test_a_party_reads_the_timeline(api_client_for: ApiClientFor, trust_manager: User, triggered: Case) -> None:
    response = api_client_for(trust_manager).get(case_url(triggered, "timeline"))
    verbs = [event["verb"] for event in response.json()["results"]]
    assert (verbs[0], verbs[-1]) == ("case.proposed", "case.triggered")


def test_another_trust_does_not_find_the_timeline(
    api_client_for: ApiClientFor, other_trust_manager: User, case: Case
) -> None:
    assert api_client_for(other_trust_manager).get(case_url(case, "timeline")).status_code == 404


# --- Enforcement actions ------------------------------------------------------------------------


def test_a_provider_lists_its_enforcement_actions(
    api_client_for: ApiClientFor, trust_manager: User, action: EnforcementAction
) -> None:
    assert ids(api_client_for(trust_manager).get(ENFORCEMENT)) == [action.pk]


def test_another_trust_lists_no_enforcement_actions_of_others(
    api_client_for: ApiClientFor, other_trust_manager: User, action: EnforcementAction
) -> None:
    assert ids(api_client_for(other_trust_manager).get(ENFORCEMENT)) == []


def test_the_oversight_body_opens_an_enforcement_action(
    api_client_for: ApiClientFor, oversight_lead: User, action: EnforcementAction
) -> None:
    response = api_client_for(oversight_lead).get(f"{ENFORCEMENT}{action.pk}/")
    assert response.status_code == 200
    assert response.json()["kind"] == "notice_of_proposal"


def test_another_trust_does_not_find_an_enforcement_action(
    api_client_for: ApiClientFor, other_trust_manager: User, action: EnforcementAction
) -> None:
    assert api_client_for(other_trust_manager).get(f"{ENFORCEMENT}{action.pk}/").status_code == 404


def test_an_inspector_records_an_enforcement_action_on_a_case(
    api_client_for: ApiClientFor, inspector: User, provider: Organisation, case: Case
) -> None:
    response = api_client_for(inspector).post(ENFORCEMENT, enforcement_body(provider, case=case.pk), format="json")
    assert response.status_code == 201
    assert EnforcementAction.objects.get(pk=response.json()["id"]).case == case


def test_a_notice_of_proposal_gets_a_28_day_window_for_representations(
    api_client_for: ApiClientFor, inspector: User, provider: Organisation
) -> None:
    served_on = timezone.localdate() - timedelta(days=3)
    body = enforcement_body(provider, kind="notice_of_proposal", served_on=served_on.isoformat())
    response = api_client_for(inspector).post(ENFORCEMENT, body, format="json")
    assert response.json()["deadline_on"] == (served_on + timedelta(days=28)).isoformat()
    assert Deadline.objects.get().kind == DeadlineKind.REPRESENTATION_WINDOW


def test_a_trust_manager_may_not_record_an_enforcement_action(
    api_client_for: ApiClientFor, trust_manager: User, provider: Organisation
) -> None:
    response = api_client_for(trust_manager).post(ENFORCEMENT, enforcement_body(provider), format="json")
    assert response.status_code == 403
    assert not EnforcementAction.objects.exists()


def test_an_enforcement_action_on_a_case_about_another_provider_is_a_field_error(
    api_client_for: ApiClientFor, inspector: User, provider: Organisation, other_case: Case
) -> None:
    response = api_client_for(inspector).post(
        ENFORCEMENT, enforcement_body(provider, case=other_case.pk), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["case"]


def test_an_enforcement_action_on_a_case_out_of_sight_is_not_found(
    api_client_for: ApiClientFor, provider: Organisation, case: Case
) -> None:
    # A regulator set up after the case was proposed is not one of its parties, so does not see it.
    newcomer = OrganisationFactory.create(kind=OrganisationKind.REGULATOR, region=Region.NATIONAL)
    inspector = member(newcomer, Role.INSPECTOR)
    response = api_client_for(inspector).post(ENFORCEMENT, enforcement_body(provider, case=case.pk), format="json")
    assert response.status_code == 404
    assert not EnforcementAction.objects.exists()


def test_a_service_date_in_the_future_is_a_field_error(
    api_client_for: ApiClientFor, inspector: User, provider: Organisation
) -> None:
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = api_client_for(inspector).post(
        ENFORCEMENT, enforcement_body(provider, served_on=tomorrow), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"served_on": ["The date served cannot be in the future."]}


def test_an_inspector_records_the_outcome_and_the_clock_stops(
    api_client_for: ApiClientFor, inspector: User, deadline: Deadline
) -> None:
    body = {"outcome": "representations_rejected", "notes": "Nothing new in them."}
    response = api_client_for(inspector).post(f"{ENFORCEMENT}{deadline.subject_id}/outcome/", body, format="json")
    assert response.json()["outcome"] == "representations_rejected"
    deadline.refresh_from_db()
    assert deadline.met_at is not None


def test_a_second_outcome_is_a_conflict(
    api_client_for: ApiClientFor, inspector: User, action: EnforcementAction
) -> None:
    enforcement_outcome_record(actor=inspector, action=action, outcome=EnforcementOutcome.WITHDRAWN)
    response = api_client_for(inspector).post(
        f"{ENFORCEMENT}{action.pk}/outcome/", {"outcome": "complied"}, format="json"
    )
    assert response.status_code == 409


def test_pending_is_not_an_outcome(api_client_for: ApiClientFor, inspector: User, action: EnforcementAction) -> None:
    response = api_client_for(inspector).post(
        f"{ENFORCEMENT}{action.pk}/outcome/", {"outcome": "pending"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["outcome"]


def test_a_trust_manager_may_not_record_an_outcome(
    api_client_for: ApiClientFor, trust_manager: User, action: EnforcementAction
) -> None:
    response = api_client_for(trust_manager).post(
        f"{ENFORCEMENT}{action.pk}/outcome/", {"outcome": "complied"}, format="json"
    )
    assert response.status_code == 403
    action.refresh_from_db()
    assert action.outcome == EnforcementOutcome.PENDING


def test_another_trust_does_not_find_an_action_to_record_the_outcome_of(
    api_client_for: ApiClientFor, other_trust_manager: User, action: EnforcementAction
) -> None:
    response = api_client_for(other_trust_manager).post(
        f"{ENFORCEMENT}{action.pk}/outcome/", {"outcome": "complied"}, format="json"
    )
    assert response.status_code == 404


# --- Deadlines ----------------------------------------------------------------------------------


def test_a_provider_lists_its_open_deadlines(
    api_client_for: ApiClientFor, trust_manager: User, deadline: Deadline
) -> None:
    assert ids(api_client_for(trust_manager).get(DEADLINES)) == [deadline.pk]


def test_another_trust_lists_no_deadlines_of_others(
    api_client_for: ApiClientFor, other_trust_manager: User, deadline: Deadline
) -> None:
    assert ids(api_client_for(other_trust_manager).get(DEADLINES)) == []


def test_a_provider_opens_its_deadline(api_client_for: ApiClientFor, trust_manager: User, deadline: Deadline) -> None:
    response = api_client_for(trust_manager).get(f"{DEADLINES}{deadline.pk}/")
    assert response.status_code == 200
    assert response.json()["kind"] == "representation_window"


def test_another_trust_does_not_find_a_deadline(
    api_client_for: ApiClientFor, other_trust_manager: User, deadline: Deadline
) -> None:
    assert api_client_for(other_trust_manager).get(f"{DEADLINES}{deadline.pk}/").status_code == 404


def test_an_immediate_case_shows_its_sign_off_deadline_to_its_parties(
    api_client_for: ApiClientFor,
    regulator: User,
    oversight_lead: User,
    provider: Organisation,
    immediate_concern: Concern,
) -> None:
    case = propose(regulator, provider, immediate_concern)
    response = api_client_for(oversight_lead).get(DEADLINES)
    assert [(d["kind"], d["case"]) for d in response.json()["results"]] == [("sign_off", case.pk)]


def test_a_met_deadline_leaves_the_list(
    api_client_for: ApiClientFor, inspector: User, trust_manager: User, action: EnforcementAction
) -> None:
    enforcement_outcome_record(actor=inspector, action=action, outcome=EnforcementOutcome.COMPLIED)
    assert ids(api_client_for(trust_manager).get(DEADLINES)) == []


def test_a_party_that_may_not_see_an_enforcement_action_does_not_see_its_deadline(
    api_client_for: ApiClientFor,
    regulator: User,
    inspector: User,
    provider: Organisation,
    case: Case,
    commissioner: Organisation,
) -> None:
    case_party_add(actor=regulator, case=case, organisation=commissioner)
    notice(inspector, provider, case=case)
    icb_lead = api_client_for(member(commissioner, Role.OVERSIGHT_LEAD))
    assert ids(icb_lead.get(ENFORCEMENT)) == ids(icb_lead.get(DEADLINES)) == []


# --- Query budgets ------------------------------------------------------------------------------

QUERY_BUDGET = 10


def copies_of(template: M, rows: int, **vary: Callable[[int], Any]) -> list[M]:
    """``rows`` carbon copies of ``template``, made in two queries and seen by the same groups as the template.

    The service makes the template; making all 300 rows through it would take most of a minute.
    """
    model = type(template)
    fields = {f.attname: getattr(template, f.attname) for f in model._meta.concrete_fields if not f.primary_key}
    made = model._default_manager.bulk_create(
        [model(**{**fields, **{name: value(n) for name, value in vary.items()}}) for n in range(rows)]
    )
    content_type = ContentType.objects.get_for_model(model)
    grants = list(GroupObjectPermission.objects.filter(content_type=content_type, object_pk=str(template.pk)))
    GroupObjectPermission.objects.bulk_create(
        GroupObjectPermission(
            group_id=grant.group_id, permission_id=grant.permission_id, content_type=content_type, object_pk=str(row.pk)
        )
        for row in made
        for grant in grants
    )
    return made


@pytest.mark.parametrize("rows", [3, 300])
def test_the_concern_list_keeps_to_a_query_budget(
    api_client_for: ApiClientFor,
    oversight_lead: User,
    concern: Concern,
    rows: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    copies_of(concern, rows - 1)
    api = api_client_for(oversight_lead)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = api.get(CONCERNS, {"page_size": 200})
    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [3, 300])
def test_the_case_list_keeps_to_a_query_budget(
    api_client_for: ApiClientFor,
    trust_manager: User,
    case: Case,
    rows: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    copies_of(case, rows - 1, reference=lambda n: f"SFR-COPY-{n:05d}")
    api = api_client_for(trust_manager)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = api.get(CASES, {"page_size": 200})
    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [3, 300])
def test_the_enforcement_list_keeps_to_a_query_budget(
    api_client_for: ApiClientFor,
    trust_manager: User,
    action: EnforcementAction,
    rows: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    copies_of(action, rows - 1)
    api = api_client_for(trust_manager)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = api.get(ENFORCEMENT, {"page_size": 200})
    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [3, 300])
def test_the_deadline_list_keeps_to_a_query_budget(
    api_client_for: ApiClientFor,
    trust_manager: User,
    action: EnforcementAction,
    deadline: Deadline,
    rows: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    actions = copies_of(action, rows - 1)
    copies_of(deadline, rows - 1, subject_id=lambda n: actions[n].pk)
    api = api_client_for(trust_manager)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = api.get(DEADLINES, {"page_size": 200})
    assert response.json()["count"] == rows


def test_the_schema_documents_the_conflict_of_activation(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    responses = schema["paths"]["/api/v1/cases/{id}/activate/"]["post"]["responses"]
    assert responses["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_provider_does_not_learn_of_the_cases_concerns(
    api_client_for: ApiClientFor, sign_off_officer: User, case: Case
) -> None:
    assert api_client_for(sign_off_officer).get(f"/api/v1/cases/{case.pk}/").json()["concerns"] == []
