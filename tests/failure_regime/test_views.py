from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation, User
from failure_regime.models import Area, Case, CaseStatus, Concern, EnforcementKind, SignOff
from failure_regime.services.enforcement import enforcement_record
from failure_regime.work_sources import MISSING_LEAD, SIGN_OFF
from tests.factories import sole_organisation
from tests.failure_regime.conftest import propose
from tests.failure_regime.test_sign_off import everyone_agrees
from tests.failure_regime.test_uploads import PDF_BYTES

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def case_url(case: Case, name: str = "case-detail") -> str:
    return reverse(f"regime:{name}", args=[case.pk])


def test_a_provider_sees_its_own_cases(client_for: ClientFor, case: Case, trust_manager: User) -> None:
    page = client_for(trust_manager).get(reverse("regime:case-list"))
    assert list(page.context["page"].object_list) == [case]


def test_another_trust_sees_no_cases(client_for: ClientFor, case: Case, other_trust_manager: User) -> None:
    page = client_for(other_trust_manager).get(reverse("regime:case-list"))
    assert list(page.context["page"].object_list) == []


def test_another_trusts_case_is_not_found(client_for: ClientFor, case: Case, other_trust_manager: User) -> None:
    assert client_for(other_trust_manager).get(case_url(case)).status_code == 404


def test_national_oversight_sees_every_case(client_for: ClientFor, case: Case, national: User) -> None:
    assert client_for(national).get(case_url(case)).status_code == 200


def test_a_reviewer_outside_the_parties_cannot_see_the_case(client_for: ClientFor, case: Case, reviewer: User) -> None:
    assert client_for(reviewer).get(case_url(case)).status_code == 404


def test_the_case_list_filters_by_status(client_for: ClientFor, case: Case, national: User) -> None:
    page = client_for(national).get(reverse("regime:case-list"), {"status": "active"})
    assert list(page.context["page"].object_list) == []


def test_a_signatory_sees_the_sign_off_form(client_for: ClientFor, case: Case, sign_off_officer: User) -> None:
    assert client_for(sign_off_officer).get(case_url(case)).context["sign_off_form"] is not None


def test_a_trust_manager_sees_no_sign_off_form(client_for: ClientFor, case: Case, trust_manager: User) -> None:
    assert client_for(trust_manager).get(case_url(case)).context["sign_off_form"] is None


def test_a_signatory_agrees_on_the_page(
    client_for: ClientFor, case: Case, sign_off_officer: User, provider: Organisation
) -> None:
    response = client_for(sign_off_officer).post(
        case_url(case, "case-sign-off"), {"organisation": provider.pk, "decision": "agree"}
    )
    assert response.status_code == 302
    assert SignOff.objects.get(case=case).organisation == provider


def test_an_objection_without_reasons_shows_a_field_error(
    client_for: ClientFor, case: Case, sign_off_officer: User, provider: Organisation
) -> None:
    response = client_for(sign_off_officer).post(
        case_url(case, "case-sign-off"), {"organisation": provider.pk, "decision": "object", "reason": ""}
    )
    assert response.status_code == 400
    assert "Give the reasons for the objection." in response.content.decode()


def test_a_trust_manager_cannot_sign_off_by_posting(
    client_for: ClientFor, case: Case, trust_manager: User, provider: Organisation
) -> None:
    response = client_for(trust_manager).post(
        case_url(case, "case-sign-off"), {"organisation": provider.pk, "decision": "agree"}
    )
    assert response.status_code == 400
    assert not SignOff.objects.exists()


def test_activating_with_a_missing_lead_names_the_areas(
    client_for: ClientFor, case: Case, regulator: User, oversight_lead: User, sign_off_officer: User
) -> None:
    everyone_agrees(case, regulator, oversight_lead, sign_off_officer)
    response = client_for(regulator).post(case_url(case, "case-activate"))
    assert response.status_code == 400
    assert "These areas have no accountable lead yet" in response.content.decode()


def test_appointing_a_lead_on_the_page(
    client_for: ClientFor, case: Case, regulator: User, oversight_lead: User
) -> None:
    response = client_for(regulator).post(
        case_url(case, "case-lead"),
        {"area": Area.OVERSIGHT, "lead": oversight_lead.pk, "reason": "Monitor leads oversight"},
    )
    assert response.status_code == 302
    assert case.responsibilities.get(area=Area.OVERSIGHT).lead == oversight_lead


def test_a_trust_manager_cannot_appoint_leads(client_for: ClientFor, case: Case, trust_manager: User) -> None:
    response = client_for(trust_manager).post(
        case_url(case, "case-lead"), {"area": Area.OVERSIGHT, "lead": trust_manager.pk, "reason": "Me"}
    )
    assert response.status_code == 403


def test_the_case_page_shows_the_timeline(client_for: ClientFor, case: Case, regulator: User) -> None:
    labels = [label for _, label in client_for(regulator).get(case_url(case)).context["timeline"]]
    assert labels == ["Case proposed"]


def test_the_provider_cannot_see_concerns(client_for: ClientFor, concern: Concern, trust_manager: User) -> None:
    response = client_for(trust_manager).get(reverse("regime:concern-detail", args=[concern.pk]))
    assert response.status_code == 404


def test_the_overseer_sees_concerns_about_its_providers(
    client_for: ClientFor, concern: Concern, oversight_lead: User
) -> None:
    page = client_for(oversight_lead).get(reverse("regime:concern-list"))
    assert list(page.context["page"].object_list) == [concern]


def test_an_inspector_records_a_concern_with_evidence(
    client_for: ClientFor, inspector: User, provider: Organisation
) -> None:
    response = client_for(inspector).post(
        reverse("regime:concern-new"),
        {
            "provider": provider.pk,
            "source": "coroner",
            "severity": "routine",
            "summary": "Prevention of future deaths",
            "evidence": [SimpleUploadedFile("report.pdf", PDF_BYTES)],
        },
    )
    concern = Concern.objects.get()
    assert response["Location"] == reverse("regime:concern-detail", args=[concern.pk])
    assert concern.evidence.get().original_name == "report.pdf"


def test_a_bad_evidence_file_is_refused_and_nothing_saved(
    client_for: ClientFor, inspector: User, provider: Organisation
) -> None:
    response = client_for(inspector).post(
        reverse("regime:concern-new"),
        {
            "provider": provider.pk,
            "source": "coroner",
            "severity": "routine",
            "summary": "Report",
            "evidence": [SimpleUploadedFile("report.pdf", b"MZ\x90\x00not a pdf")],
        },
    )
    assert response.status_code == 400 and "must be a PDF" in response.content.decode()
    assert not Concern.objects.exists()


def test_evidence_downloads_as_an_attachment(client_for: ClientFor, inspector: User, provider: Organisation) -> None:
    from failure_regime.services.concerns import concern_raise

    concern = concern_raise(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=provider,
        source="media",
        summary="Reports",
        evidence=[SimpleUploadedFile("notes.pdf", PDF_BYTES)],
    )
    evidence = concern.evidence.get()
    response = client_for(inspector).get(reverse("regime:evidence-download", args=[concern.pk, evidence.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="notes.pdf"'


def test_enforcement_is_visible_to_its_provider_only(
    client_for: ClientFor, inspector: User, provider: Organisation, trust_manager: User, other_trust_manager: User
) -> None:
    action = enforcement_record(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=provider,
        kind=EnforcementKind.WARNING_NOTICE,
        summary="Staffing",
        served_on=date(2026, 1, 5),
    )
    url = reverse("regime:enforcement-detail", args=[action.pk])
    assert (client_for(trust_manager).get(url).status_code, client_for(other_trust_manager).get(url).status_code) == (
        200,
        404,
    )


def test_a_trust_manager_cannot_record_enforcement(
    client_for: ClientFor, trust_manager: User, provider: Organisation
) -> None:
    response = client_for(trust_manager).post(
        reverse("regime:enforcement-new"),
        {"provider": provider.pk, "kind": "warning_notice", "summary": "x", "served_on": "2026-01-05"},
    )
    assert response.status_code == 403


def test_the_home_page_lists_cases_awaiting_my_sign_off(
    client_for: ClientFor, case: Case, sign_off_officer: User
) -> None:
    response = client_for(sign_off_officer).get(reverse("staff-home"))
    assert _home_titles(response, SIGN_OFF) == [f"{case.reference}: {case.title}"]


def test_a_decided_case_leaves_the_awaiting_list(
    client_for: ClientFor, case: Case, sign_off_officer: User, provider: Organisation
) -> None:
    from failure_regime.services.sign_off import sign_off_record

    sign_off_record(actor=sign_off_officer, case=case, organisation=provider, decision="agree")
    response = client_for(sign_off_officer).get(reverse("staff-home"))
    assert _home_titles(response, SIGN_OFF) == []


def test_the_home_page_lists_cases_missing_a_lead(client_for: ClientFor, case: Case, regulator: User) -> None:
    response = client_for(regulator).get(reverse("staff-home"))
    assert _home_titles(response, MISSING_LEAD) == [f"{case.reference}: {case.title}"]


def _home_titles(response: Any, heading: str) -> list[str]:
    return [item.title for group in response.context["groups"] if group.heading == heading for item in group.items]


@pytest.mark.parametrize("rows", [3, 300])
def test_the_case_list_keeps_to_a_query_budget(
    client_for: ClientFor,
    national: User,
    regulator: User,
    inspector: User,
    provider: Organisation,
    concern: Concern,
    rows: int,
    django_assert_max_num_queries,
) -> None:
    for _ in range(rows):
        propose(regulator, provider, concern)
    client = client_for(national)
    client.get(reverse("regime:case-list"))  # the first page in a process fills Django's content-type cache
    with django_assert_max_num_queries(11):  # the list, and once per page: the person, roles for the menu, ...
        response = client.get(reverse("regime:case-list"))
    assert response.context["page"].paginator.count == rows


def test_the_case_page_keeps_to_a_query_budget(
    client_for: ClientFor,
    case: Case,
    regulator: User,
    oversight_lead: User,
    sign_off_officer: User,
    django_assert_max_num_queries,
) -> None:
    everyone_agrees(case, regulator, oversight_lead, sign_off_officer)
    client = client_for(regulator)
    with django_assert_max_num_queries(30):
        response = client.get(case_url(case))
    assert response.context["case"].status == CaseStatus.TRIGGERED


def test_the_provider_does_not_see_the_cases_concerns(
    client_for: ClientFor, case: Case, sign_off_officer: User
) -> None:
    response = client_for(sign_off_officer).get(case_url(case))
    assert list(response.context["concerns"]) == []
    assert "Mortality well above" not in response.content.decode()


def test_an_impossible_report_month_is_not_found(
    client_for: ClientFor, trust_manager: User, provider: Organisation, oversight_lead: User
) -> None:
    from failure_regime.services.special_measures import episode_enter

    episode = episode_enter(actor=oversight_lead, provider=provider, entered_on=date(2026, 1, 5), basis="own_evidence")
    response = client_for(trust_manager).get(f"/staff/special-measures/{episode.pk}/reports/99999999999999999999-01/")
    assert response.status_code == 404
