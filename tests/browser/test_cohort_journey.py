"""A review cohort driven in the browser by the case's review manager: start the cohort, add a wave, upload a
file with a bad row (nothing is imported, the problem is listed by line), upload it again importing only the
valid rows, assign the patients, open a patient's record and give a review to someone else. axe checks every
page on the way, including the progress page of an import still running."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import FilePayload, expect

from accounts.models import Organisation, Role, User
from failure_regime.models import Area, Case
from failure_regime.services.accountability import lead_hand_over
from reviews.models import AppointmentRole, CohortImport, ImportStatus, Regulator, Seniority
from reviews.services import appointment_make, expert_register
from reviews.services.cohort_rows import COLUMNS, nhs_number_check_digit
from tests.browser import test_case_journey as journey
from tests.browser.conftest import Accessibility
from tests.browser.test_case_journey import SignIn
from tests.factories import member
from tests.failure_regime.conftest import *  # noqa: F403

pytestmark = pytest.mark.django_db(transaction=True)

sign_in = journey.sign_in


def numbers(count: int) -> list[str]:
    found: list[str] = []
    n = 0
    while len(found) < count:
        base = f"999{n:06d}"
        n += 1
        check = nhs_number_check_digit(base)
        if check is not None:
            found.append(f"{base}{check}")
    return found


def cohort_file() -> FilePayload:
    rows = [",".join(COLUMNS)]
    for number in numbers(4):
        rows.append(f"{number},1980-04-01,2020-01-10,death,2020-01-12,Obstetrics,Maternal death,coroner")
    rows.append("9434765918,1980-04-01,2020-01-10,death,2020-01-12,Obstetrics,Maternal death,coroner")
    return {"name": "wave-1.csv", "mimeType": "text/csv", "buffer": ("\n".join(rows) + "\n").encode()}


@pytest.fixture
def manager(regulator: User, case: Case, cqc: Organisation, nhs_england: Organisation) -> User:
    lead_hand_over(
        actor=regulator, case=case, area=Area.INVESTIGATION, lead=regulator, organisation=cqc, reason="Leads it."
    )
    for n, name in enumerate(["Dr Ada Obi", "Dr Ben Ode", "Dr Cara Oke"]):
        expert = expert_register(
            actor=regulator,
            name=name,
            profession="Obstetrician",
            regulator=Regulator.GMC,
            registration_number=f"700000{n}",
            specialties=["Obstetrics"],
            seniority=Seniority.CONSULTANT,
            capacity_per_week=5,
            user=member(nhs_england, Role.EXPERT_REVIEWER, full_name=name),
        )
        appointment_make(
            actor=regulator,
            case=case,
            expert=expert,
            role=AppointmentRole.EXPERT_REVIEWER,
            declaration="I am independent of the trust.",
        )
    return regulator


def test_a_cohort_is_imported_assigned_and_reassigned(
    sign_in: SignIn, axe: Accessibility, live_server: Any, case: Case, manager: User
) -> None:
    page = sign_in(manager)
    page.goto(f"{live_server.url}/staff/reviews/cases/{case.pk}/")
    page.get_by_role("link", name="Start the cohort").click()
    axe.check(page)
    page.get_by_label("Title").fill("Maternity deaths 2019 to 2024")
    page.get_by_role("button", name="Start the cohort").click()

    expect(page.get_by_role("heading", name="Add a wave")).to_be_visible()
    axe.check(page)
    page.get_by_label("Version of the inclusion criteria").fill("v1, March 2026")
    page.get_by_label("Inclusion criteria", exact=True).fill("Every maternal death since April 2019.")
    page.get_by_role("button", name="Add the wave").click()

    expect(page.get_by_role("heading", name="Upload patients")).to_be_visible()
    axe.check(page)
    page.get_by_label("CSV file").set_input_files(cohort_file())
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("check digit is wrong")
    axe.check(page)

    page.get_by_role("link", name="Upload a file").click()
    page.get_by_label("CSV file").set_input_files(cohort_file())
    page.get_by_label("Import only the valid rows").check()
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_text("4 of 5 patients imported")).to_be_visible()
    axe.check(page)

    running = CohortImport.objects.order_by("pk").first()
    assert running is not None
    CohortImport.objects.filter(pk=running.pk).update(status=ImportStatus.CHECKING, total_rows=5, processed_rows=2)
    page.goto(f"{live_server.url}/staff/reviews/cohort-imports/{running.pk}/")
    expect(page.get_by_role("status")).to_contain_text("40% checked")
    axe.check(page)
    CohortImport.objects.filter(pk=running.pk).update(status=ImportStatus.INVALID, processed_rows=5)
    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible(timeout=10_000)  # no reload

    page.goto(f"{live_server.url}/staff/reviews/cases/{case.pk}/cohort/")
    axe.check(page)
    page.get_by_role("button", name="Assign now").click()
    expect(page.get_by_role("alert")).to_contain_text("reviews assigned")
    axe.check(page)

    page.get_by_role("link", name="See the patients").click()
    axe.check(page)
    page.get_by_role("link", name=f"R{case.cohort.pk}-000001").click()
    expect(page.get_by_text("Identifiable record")).to_be_visible()
    axe.check(page)

    page.get_by_role("link", name="Give to someone else").first.click()
    axe.check(page)
    page.get_by_label("Why is the review being given to someone else?").fill("On leave until June.")
    page.get_by_role("button", name="Give it to the new reviewer").click()
    expect(page.get_by_role("cell", name="On leave until June.", exact=False)).to_be_visible()
    axe.check(page)
