"""The regime's answers to "who leads this area of the case" and "which organisations are in it", which
communications and reviews ask instead of reading responsibilities themselves."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Organisation, User
from failure_regime import areas
from failure_regime.models import Area, Case, CaseStatus, ClosureReason
from failure_regime.services.accountability import lead_hand_over, responsibility_organisations_set


@pytest.fixture
def led_case(case: Case, regulator: User, cqc: Organisation, monitor: Organisation) -> Case:
    """The case with CQC's decision-maker leading public communications, Monitor responsible for family support."""
    lead_hand_over(
        actor=regulator, case=case, area=Area.PUBLIC_COMMUNICATIONS, lead=regulator, organisation=cqc, reason="Set."
    )
    responsibility_organisations_set(
        actor=regulator, case=case, area=Area.FAMILY_SUPPORT, responsible=[monitor], consulted=[]
    )
    return case


def test_the_lead_of_an_area(led_case: Case, regulator: User, cqc: Organisation, trust_manager: User) -> None:
    communications = areas.area_of(case=led_case, area=Area.PUBLIC_COMMUNICATIONS)
    assert communications is not None and communications.lead_organisation == cqc
    assert areas.area_lead(case=led_case, area=Area.PUBLIC_COMMUNICATIONS) == regulator
    assert areas.area_lead(case=led_case, area=Area.INVESTIGATION) is None
    assert areas.is_area_lead(user=regulator, case=led_case, area=Area.PUBLIC_COMMUNICATIONS)
    assert not areas.is_area_lead(user=trust_manager, case=led_case, area=Area.PUBLIC_COMMUNICATIONS)
    assert not areas.is_area_lead(user=regulator, case=led_case, area=Area.INVESTIGATION)


def test_the_cases_and_people_leading(led_case: Case, regulator: User, trust_manager: User) -> None:
    assert list(areas.cases_led_by(user=regulator, areas=[Area.PUBLIC_COMMUNICATIONS])) == [{"case_id": led_case.pk}]
    assert not areas.cases_led_by(user=regulator, areas=[Area.INVESTIGATION]).exists()
    assert not areas.cases_led_by(user=trust_manager, areas=list(Area.values)).exists()
    leads = areas.area_leads(case=led_case, areas=[Area.PUBLIC_COMMUNICATIONS, Area.INVESTIGATION])
    assert list(User.objects.filter(pk__in=leads)) == [regulator]


def test_the_organisations_of_an_area(
    led_case: Case, cqc: Organisation, monitor: Organisation, provider: Organisation
) -> None:
    assert areas.area_organisation_ids(case=led_case, area=Area.PUBLIC_COMMUNICATIONS) == {cqc.pk}
    assert areas.area_organisation_ids(case=led_case, area=Area.FAMILY_SUPPORT) == {monitor.pk}
    assert areas.area_organisation_ids(case=None, area=Area.FAMILY_SUPPORT) == set()
    involving = areas.areas_involving(organisations=[monitor.pk], area=Area.FAMILY_SUPPORT)
    assert [r.case_id for r in involving] == [led_case.pk]
    assert not areas.areas_involving(organisations=[provider.pk], area=Area.FAMILY_SUPPORT).exists()
    assert list(areas.area_lead_organisations(case=led_case, area=Area.PUBLIC_COMMUNICATIONS)) == [cqc]
    assert [r.area for r in areas.led_areas(case=led_case)] == [Area.PUBLIC_COMMUNICATIONS]


def test_the_current_lead_organisation_skips_closed_cases(
    led_case: Case, cqc: Organisation, provider: Organisation
) -> None:
    area = Area.PUBLIC_COMMUNICATIONS
    assert areas.current_lead_organisation_id(area=area, case=led_case) == cqc.pk
    assert areas.current_lead_organisation_id(area=area, provider=provider) == cqc.pk
    assert areas.current_lead_organisation_id(area=area) is None
    Case.objects.filter(pk=led_case.pk).update(
        status=CaseStatus.CLOSED, closed_at=timezone.now(), closure_reason=ClosureReason.WITHDRAWN
    )
    assert areas.current_lead_organisation_id(area=area, provider=provider) is None
