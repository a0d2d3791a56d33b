"""The finishing touches of the staff pages: the menu per role, the refused-action page, confirmations after
actions, the lead picker, setting responsible and consulted organisations, and links from "What is due"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from accounts.models import Organisation, Role, User
from failure_regime.models import Area, Case, Decision, EnforcementKind
from failure_regime.navigation import menu_for
from failure_regime.services.enforcement import enforcement_record
from tests.factories import member, sole_organisation

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def menu_labels(user: User) -> list[str]:
    return [item.label for item in menu_for(user=user)]


def confirmations(response: object) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "success"]  # type: ignore[attr-defined]


# --- The menu ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "kind_fixture", "expected"),
    [
        (
            Role.TRUST_MANAGER,
            "provider",
            # Concerns: only the ones the provider reported about itself, and the form to report one.
            ["Home", "Cases", "Concerns", "Special measures", "What is due"],
        ),
        (Role.EXPERT_REVIEWER, "nhs_england", ["Home", "Reviews"]),
        (Role.REVIEW_CHAIR, "nhs_england", ["Home", "Reviews"]),
        (Role.FAMILY_LIAISON_OFFICER, "provider", ["Home", "Enquiries"]),
        (Role.COMMUNICATIONS_OFFICER, "cqc", ["Home", "Notices"]),
        (
            Role.INSPECTOR,
            "cqc",
            ["Home", "Cases", "Concerns", "Special measures", "What is due"],
        ),
        (
            Role.REGULATOR_DECISION_MAKER,
            "cqc",
            ["Home", "Cases", "Concerns", "Special measures", "Reviews", "What is due"],
        ),
        (
            Role.OVERSIGHT_LEAD,
            "monitor",
            ["Home", "Cases", "Concerns", "Special measures", "Reviews", "What is due"],
        ),
        (
            Role.NATIONAL_OVERSIGHT,
            "nhs_england",
            ["Home", "Cases", "Concerns", "Special measures", "Reviews", "Notices", "What is due", "Audit trail"],
        ),
        (Role.ADMINISTRATOR, "nhs_england", ["Home", "Reviews", "Audit trail"]),
    ],
)
def test_it_shows_each_role_only_the_pages_it_can_use(
    request: pytest.FixtureRequest, role: str, kind_fixture: str, expected: list[str]
) -> None:
    organisation: Organisation = request.getfixturevalue(kind_fixture)
    assert menu_labels(member(organisation, role)) == expected


def test_it_joins_the_menus_of_several_roles_in_menu_order(provider: Organisation) -> None:
    user = member(provider, Role.FAMILY_LIAISON_OFFICER)
    member_again = member(provider, Role.TRUST_MANAGER)
    member_again.memberships.update(user=user)
    assert menu_labels(user) == ["Home", "Cases", "Concerns", "Special measures", "Enquiries", "What is due"]


def test_it_renders_the_menu_with_the_current_page_marked(client_for: ClientFor, trust_manager: User) -> None:
    html = client_for(trust_manager).get(reverse("regime:case-list")).content.decode()
    assert 'aria-current="page">Cases</a>' in html
    assert "Reviews</a>" not in html
    assert 'class="nhsuk-header__menu" hidden' in html


def test_it_shows_no_menu_to_someone_signed_out(client: Client) -> None:
    html = client.get(reverse("accounts:sign-in")).content.decode()
    assert "nhsuk-header__navigation-item" in html  # the public menu
    assert 'href="/staff/cases/"' not in html


# --- The refused-action page ---------------------------------------------------------------------------------


def test_it_explains_a_refused_action_in_the_layout(client_for: ClientFor, trust_manager: User) -> None:
    response = client_for(trust_manager).get(reverse("regime:case-new"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "You cannot do this" in html
    assert "Only a regulator decision-maker or an oversight lead can propose a case." in html
    assert "Go to your home page" in html
    assert "ask your organisation's administrator" in html
    assert "nhsuk-header" in html
    assert "403 Forbidden" not in html


def test_it_answers_a_refusal_under_the_api_in_json(client_for: ClientFor, trust_manager: User) -> None:
    from django.core.exceptions import PermissionDenied

    from failure_regime.views.public import permission_denied

    request = client_for(trust_manager).get("/").wsgi_request
    request.path = "/api/v1/anything/"
    response = permission_denied(request, PermissionDenied("No."))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert b'"code": "permission_denied"' in response.content


# --- Confirmations -------------------------------------------------------------------------------------------


def test_it_confirms_a_decision(client_for: ClientFor, case: Case, regulator: User, cqc: Organisation) -> None:
    response = client_for(regulator).post(
        reverse("regime:case-sign-off", args=[case.pk]),
        {"organisation": cqc.pk, "decision": Decision.AGREE, "reason": ""},
        follow=True,
    )
    html = response.content.decode()
    assert f"Your decision for {cqc.name} has been recorded." in html
    assert "nhsuk-notification-banner--success" in html
    assert 'role="alert"' in html


def test_it_confirms_an_appointment(client_for: ClientFor, case: Case, regulator: User, oversight_lead: User) -> None:
    response = client_for(regulator).post(
        reverse("regime:case-lead", args=[case.pk]),
        {"area": Area.OVERSIGHT, "lead": oversight_lead.pk, "reason": "Monitor leads oversight"},
    )
    assert confirmations(response) == [f"{oversight_lead.full_name} is now the accountable lead: Oversight."]


def test_it_does_not_confirm_what_failed(client_for: ClientFor, case: Case, regulator: User) -> None:
    response = client_for(regulator).post(reverse("regime:case-lead", args=[case.pk]), {"area": Area.OVERSIGHT})
    assert response.status_code == 400
    assert confirmations(response) == []


def test_it_confirms_a_concern(client_for: ClientFor, inspector: User, provider: Organisation) -> None:
    response = client_for(inspector).post(
        reverse("regime:concern-new"),
        {"provider": provider.pk, "source": "mortality_data", "severity": "routine", "summary": "High mortality."},
    )
    assert response.status_code == 302, response.content
    assert confirmations(response) == ["The concern has been recorded."]


# --- The lead picker -----------------------------------------------------------------------------------------


def test_it_names_each_possible_lead_with_organisation_and_role(
    client_for: ClientFor, case: Case, regulator: User, oversight_lead: User, monitor: Organisation, cqc: Organisation
) -> None:
    form = client_for(regulator).get(reverse("regime:case-detail", args=[case.pk])).context["lead_form"]
    labels = [label for _, label in form.fields["lead"].choices]
    assert f"{oversight_lead.full_name} ({monitor.name}, oversight lead)" in labels
    assert f"{regulator.full_name} ({cqc.name}, regulator decision-maker)" in labels


def test_it_lists_the_leads_in_a_fixed_number_of_queries(
    client_for: ClientFor,
    case: Case,
    regulator: User,
    provider: Organisation,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    from failure_regime.forms import LeadForm
    from failure_regime.selectors import lead_candidates

    def count() -> int:
        form = LeadForm(acting=[], candidates=lead_candidates(case=case), parties=Organisation.objects.none())
        return len(list(form.fields["lead"].choices))  # type: ignore[attr-defined]

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        few = count()
    for n in range(5):
        member(provider, Role.TRUST_MANAGER, full_name=f"Extra {n}")
    with django_assert_max_num_queries(len(queries.captured_queries)):
        assert count() == few + 5


# --- Responsible and consulted organisations -----------------------------------------------------------------


def responsibility_url(case: Case, area: str = Area.OVERSIGHT) -> str:
    return reverse("regime:case-responsibility", args=[case.pk, area])


def test_it_sets_responsible_and_consulted_organisations(
    client_for: ClientFor, case: Case, regulator: User, provider: Organisation, monitor: Organisation
) -> None:
    client = client_for(regulator)
    page = client.get(responsibility_url(case))
    assert page.status_code == 200
    assert {o.pk for o in page.context["form"].fields["responsible"].queryset} == set(
        case.parties.values_list("organisation", flat=True)
    )
    response = client.post(responsibility_url(case), {"responsible": [provider.pk], "consulted": [monitor.pk]})
    assert response.status_code == 302
    responsibility = case.responsibilities.get(area=Area.OVERSIGHT)
    assert list(responsibility.responsible.all()) == [provider]
    assert list(responsibility.consulted.all()) == [monitor]
    assert confirmations(response) == ["Who is responsible and who is consulted has been saved: Oversight."]


def test_it_refuses_someone_who_does_not_run_the_case(
    client_for: ClientFor, case: Case, trust_manager: User, provider: Organisation
) -> None:
    client = client_for(trust_manager)
    assert client.get(responsibility_url(case)).status_code == 403
    assert client.post(responsibility_url(case), {"responsible": [provider.pk]}).status_code == 403
    assert not case.responsibilities.get(area=Area.OVERSIGHT).responsible.exists()


def test_it_hides_another_organisations_case(client_for: ClientFor, case: Case, other_trust_manager: User) -> None:
    assert client_for(other_trust_manager).get(responsibility_url(case)).status_code == 404


def test_it_refuses_an_organisation_that_is_no_party_and_an_unknown_area(
    client_for: ClientFor, case: Case, regulator: User, other_provider: Organisation
) -> None:
    client = client_for(regulator)
    response = client.post(responsibility_url(case), {"responsible": [other_provider.pk]})
    assert response.status_code == 400
    assert "responsible" in response.context["form"].errors
    assert not case.responsibilities.get(area=Area.OVERSIGHT).responsible.exists()
    assert client.get(responsibility_url(case, "no_such_area")).status_code == 404


# --- What is due ---------------------------------------------------------------------------------------------


def test_it_links_each_deadline_to_its_subject(
    client_for: ClientFor, case: Case, regulator: User, provider: Organisation
) -> None:
    action = enforcement_record(
        actor=regulator,
        organisation=sole_organisation(regulator),
        provider=provider,
        kind=EnforcementKind.WARNING_NOTICE,
        summary="Staffing",
        served_on=timezone.localdate(),
        deadline_on=timezone.localdate() + timedelta(days=60),
    )
    html = client_for(regulator).get(reverse("regime:deadline-list")).content.decode()
    assert f'href="{reverse("regime:enforcement-detail", args=[action.pk])}"' in html
    links = client_for(regulator).get(reverse("regime:deadline-list")).context["deadlines"]
    assert {url for _, url in links} >= {reverse("regime:enforcement-detail", args=[action.pk])}


def test_it_lists_deadlines_in_a_fixed_number_of_queries(
    client_for: ClientFor,
    regulator: User,
    provider: Organisation,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(regulator)

    def record(n: int) -> None:
        for _ in range(n):
            enforcement_record(
                actor=regulator,
                organisation=sole_organisation(regulator),
                provider=provider,
                kind=EnforcementKind.WARNING_NOTICE,
                summary="Staffing",
                served_on=timezone.localdate(),
                deadline_on=timezone.localdate() + timedelta(days=60),
            )

    record(1)
    client.get(reverse("regime:deadline-list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("regime:deadline-list"))
    record(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("regime:deadline-list"))
    assert len(response.context["deadlines"]) == 6
