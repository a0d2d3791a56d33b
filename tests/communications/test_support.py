"""The support directory's services and reads: who keeps a service, its opening times in plain English, and
the services of a case for its notices."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.models import AuditEvent, Organisation, Region, Role, User
from accounts.services import membership_create
from communications.models import OpeningTime, SupportKind, SupportService
from communications.selectors.support import (
    describe_opening_hours,
    public_support_services,
    support_services_for_case,
    support_services_version_for_case,
)
from communications.services.support import (
    OpeningSpan,
    support_service_create,
    support_service_deactivate,
    support_service_link_to_case,
    support_service_opening_times_set,
    support_service_reactivate,
    support_service_unlink,
    support_service_update,
)
from failure_regime.models import Case
from tests.factories import member

pytestmark = pytest.mark.django_db


def details(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Bereavement support line",
        "kind": SupportKind.BEREAVEMENT,
        "description": "For anyone whose family member died in the trust's care.",
        "phone": "0808 157 0002",
        **overrides,
    }


def spans(*days: tuple[int, str, str]) -> list[OpeningTime]:
    return [OpeningTime(weekday=d, opens=time.fromisoformat(o), closes=time.fromisoformat(c)) for d, o, c in days]


# --- Adding and changing a service --------------------------------------------------------------------------


def test_a_family_liaison_officer_adds_a_service_kept_by_their_organisation(
    liaison_officer: User, provider: Organisation
) -> None:
    service = support_service_create(actor=liaison_officer, **details())
    assert service.maintained_by == provider


def test_adding_a_service_is_audited(liaison_officer: User) -> None:
    service = support_service_create(actor=liaison_officer, **details())
    event = AuditEvent.objects.get(verb="support_service.added", target_id=str(service.pk))
    assert event.after["kind"] == SupportKind.BEREAVEMENT


def test_a_trust_manager_cannot_add_a_service(trust_manager: User) -> None:
    with pytest.raises(PermissionDenied):
        support_service_create(actor=trust_manager, **details())


def test_a_service_needs_a_way_in(liaison_officer: User) -> None:
    with pytest.raises(ValidationError) as error:
        support_service_create(actor=liaison_officer, **details(phone=""))
    assert "at least one way" in error.value.message_dict["phone"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "call us"), ("website", "not a website"), ("email", "help@"), ("name", " "), ("kind", "spa")],
)
def test_a_service_refuses_bad_details_field_by_field(liaison_officer: User, field: str, value: str) -> None:
    with pytest.raises(ValidationError) as error:
        support_service_create(actor=liaison_officer, **details(**{field: value}))
    assert list(error.value.message_dict) == [field]


def test_a_short_helpline_number_is_accepted(liaison_officer: User) -> None:
    service = support_service_create(actor=liaison_officer, **details(phone="116 123"))
    assert service.phone == "116 123"


def test_the_maintainers_change_a_service(helpline: SupportService, liaison_officer: User) -> None:
    service = support_service_update(actor=liaison_officer, service=helpline, **details(name="Families helpline"))
    assert service.name == "Families helpline"


def test_another_organisation_cannot_change_a_service(helpline: SupportService, other_liaison_officer: User) -> None:
    with pytest.raises(PermissionDenied):
        support_service_update(actor=other_liaison_officer, service=helpline, **details())


def test_changing_a_service_is_audited_with_before_and_after(helpline: SupportService, liaison_officer: User) -> None:
    support_service_update(actor=liaison_officer, service=helpline, **details(name="Families helpline"))
    event = AuditEvent.objects.get(verb="support_service.changed", target_id=str(helpline.pk))
    assert (event.before["name"], event.after["name"]) == ("Maternity families helpline", "Families helpline")


# --- Opening times ----------------------------------------------------------------------------------------


def test_opening_times_are_replaced(helpline: SupportService, liaison_officer: User) -> None:
    support_service_opening_times_set(
        actor=liaison_officer, service=helpline, opening_times=[OpeningSpan(6, time(10), time(13))]
    )
    assert list(helpline.opening_times.values_list("weekday", flat=True)) == [6]


def test_overlapping_opening_times_are_refused(helpline: SupportService, liaison_officer: User) -> None:
    with pytest.raises(ValidationError, match="Monday: the opening times overlap"):
        support_service_opening_times_set(
            actor=liaison_officer,
            service=helpline,
            opening_times=[OpeningSpan(1, time(9), time(13)), OpeningSpan(1, time(12), time(17))],
        )


def test_a_closing_time_before_the_opening_time_is_refused(helpline: SupportService, liaison_officer: User) -> None:
    with pytest.raises(ValidationError, match="closing time must be after"):
        support_service_opening_times_set(
            actor=liaison_officer, service=helpline, opening_times=[OpeningSpan(2, time(17), time(9))]
        )


def test_a_service_open_all_hours_has_no_opening_times(helpline: SupportService, liaison_officer: User) -> None:
    with pytest.raises(ValidationError):
        support_service_opening_times_set(
            actor=liaison_officer,
            service=helpline,
            open_24_hours=True,
            opening_times=[OpeningSpan(1, time(9), time(17))],
        )


def test_weekdays_with_the_same_hours_are_said_together() -> None:
    hours = spans(*[(d, "09:00", "17:00") for d in range(1, 6)], (6, "10:00", "13:30"))
    assert describe_opening_hours(times=hours) == [
        ("Monday to Friday", "9am to 5pm"),
        ("Saturday", "10am to 1:30pm"),
        ("Sunday", "Closed"),
    ]


def test_a_break_for_lunch_and_midnight_are_said_plainly() -> None:
    hours = spans(*[(d, "08:00", "12:00") for d in (6, 7)], *[(d, "13:00", "00:00") for d in (6, 7)])
    assert describe_opening_hours(times=hours)[-1] == ("Saturday and Sunday", "8am to midday and 1pm to midnight")


def test_a_service_open_24_hours_says_so() -> None:
    assert describe_opening_hours(times=[], open_24_hours=True) == [("Every day", "Open 24 hours")]


def test_a_service_without_opening_times_says_nothing_about_them() -> None:
    assert describe_opening_hours(times=[]) == []


# --- Out of use and back --------------------------------------------------------------------------------------


def test_a_service_taken_out_of_use_leaves_the_public_directory(
    helpline: SupportService, liaison_officer: User
) -> None:
    support_service_deactivate(actor=liaison_officer, service=helpline)
    assert helpline not in public_support_services()


def test_taking_a_service_out_of_use_twice_is_refused(helpline: SupportService, liaison_officer: User) -> None:
    support_service_deactivate(actor=liaison_officer, service=helpline)
    with pytest.raises(TransitionNotAllowed):
        support_service_deactivate(actor=liaison_officer, service=helpline)


def test_a_service_can_be_offered_again(helpline: SupportService, liaison_officer: User) -> None:
    support_service_deactivate(actor=liaison_officer, service=helpline)
    support_service_reactivate(actor=liaison_officer, service=helpline)
    assert AuditEvent.objects.filter(verb="support_service.reactivated", target_id=str(helpline.pk)).exists()


def test_a_region_shows_its_own_and_the_national_services(liaison_officer: User) -> None:
    national = support_service_create(actor=liaison_officer, **details(name="National line"))
    london = support_service_create(actor=liaison_officer, **details(name="London line", region=Region.LONDON))
    support_service_create(actor=liaison_officer, **details(name="Midlands line", region=Region.MIDLANDS))
    assert set(public_support_services(region=Region.LONDON)) == {national, london}


def test_helplines_come_before_other_kinds(helpline: SupportService, liaison_officer: User) -> None:
    support_service_create(actor=liaison_officer, **details(name="A bereavement service"))
    assert public_support_services()[0] == helpline


# --- Linking to cases -------------------------------------------------------------------------------------


def test_a_party_links_a_service_to_its_case(helpline: SupportService, liaison_officer: User, case: Case) -> None:
    support_service_link_to_case(actor=liaison_officer, service=helpline, case=case)
    assert list(helpline.cases.all()) == [case]


def test_linking_is_audited_on_the_case(helpline: SupportService, liaison_officer: User, case: Case) -> None:
    support_service_link_to_case(actor=liaison_officer, service=helpline, case=case)
    event = AuditEvent.objects.get(verb="support_service.linked_to_case")
    assert (event.target_id, event.scope_id) == (str(helpline.pk), str(case.pk))


def test_an_outsider_cannot_link_a_service_to_a_case(
    helpline: SupportService, other_liaison_officer: User, case: Case
) -> None:
    with pytest.raises(PermissionDenied):
        support_service_link_to_case(actor=other_liaison_officer, service=helpline, case=case)


def test_a_service_is_linked_to_a_case_once(helpline: SupportService, liaison_officer: User, case: Case) -> None:
    support_service_link_to_case(actor=liaison_officer, service=helpline, case=case)
    with pytest.raises(ConflictError):
        support_service_link_to_case(actor=liaison_officer, service=helpline, case=case)


def test_a_service_no_longer_offered_cannot_be_linked(
    helpline: SupportService, liaison_officer: User, case: Case
) -> None:
    support_service_deactivate(actor=liaison_officer, service=helpline)
    with pytest.raises(TransitionNotAllowed):
        support_service_link_to_case(actor=liaison_officer, service=helpline, case=case)


def test_unlinking_takes_the_service_off_the_case(helpline: SupportService, liaison_officer: User, case: Case) -> None:
    support_service_link_to_case(actor=liaison_officer, service=helpline, case=case)
    support_service_unlink(actor=liaison_officer, service=helpline, case=case)
    assert support_services_for_case(case=case) == []


# --- The services of a case, for its notices --------------------------------------------------------------


def test_a_case_offers_its_linked_services_with_their_hours(
    helpline: SupportService, liaison_officer: User, case: Case
) -> None:
    support_service_link_to_case(actor=liaison_officer, service=helpline, case=case)
    [service] = support_services_for_case(case=case)
    assert (service.name, service.opening_hours) == (  # type: ignore[attr-defined]
        "Maternity families helpline",
        [("Monday to Friday", "9am to 5pm"), ("Saturday and Sunday", "Closed")],
    )


def test_a_case_leaves_out_services_no_longer_offered(
    helpline: SupportService, liaison_officer: User, case: Case
) -> None:
    support_service_link_to_case(actor=liaison_officer, service=helpline, case=case)
    support_service_deactivate(actor=liaison_officer, service=helpline)
    assert support_services_for_case(case=case) == []


def test_the_services_of_a_case_take_one_query(
    helpline: SupportService, liaison_officer: User, case: Case, django_assert_num_queries: Any
) -> None:
    for n in range(3):
        service = support_service_create(actor=liaison_officer, **details(name=f"Service {n}"))
        support_service_link_to_case(actor=liaison_officer, service=service, case=case)
    support_service_link_to_case(actor=liaison_officer, service=helpline, case=case)
    with django_assert_num_queries(1):
        assert len(support_services_for_case(case=case.pk)) == 4


def test_linking_a_service_changes_the_version_of_the_case_services(
    helpline: SupportService, liaison_officer: User, case: Case
) -> None:
    before = support_services_version_for_case(case=case)
    support_service_link_to_case(actor=liaison_officer, service=helpline, case=case)
    assert support_services_version_for_case(case=case) != before


# --- Whom a person with several organisations adds a service for ------------------------------------------


@pytest.fixture
def liaison_officer_of_two(provider: Organisation, other_provider: Organisation) -> User:
    officer = member(provider, Role.FAMILY_LIAISON_OFFICER, full_name="Tam Two")
    membership_create(actor=None, user=officer, organisation=other_provider, role=Role.COMMUNICATIONS_OFFICER)
    return officer


def test_a_person_who_keeps_services_for_two_organisations_is_asked_which(liaison_officer_of_two: User) -> None:
    with pytest.raises(ValidationError) as error:
        support_service_create(actor=liaison_officer_of_two, **details())
    assert "Choose which organisation" in error.value.message_dict["organisation"][0]
    assert not SupportService.objects.exists()


def test_the_service_is_kept_by_the_organisation_chosen(
    liaison_officer_of_two: User, other_provider: Organisation
) -> None:
    service = support_service_create(actor=liaison_officer_of_two, organisation=other_provider, **details())
    assert service.maintained_by == other_provider
    assert (
        AuditEvent.objects.get(verb="support_service.added", target_id=str(service.pk)).organisation == other_provider
    )


def test_a_service_for_an_organisation_the_person_does_not_keep_services_for_is_refused(
    liaison_officer: User, other_provider: Organisation
) -> None:
    with pytest.raises(PermissionDenied):
        support_service_create(actor=liaison_officer, organisation=other_provider, **details())
    assert not SupportService.objects.exists()
