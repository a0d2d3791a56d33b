from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts import services
from accounts.audit import audit_events_for
from accounts.models import AuditEvent, Membership, Organisation, OrganisationKind, Role, User
from accounts.selectors import organisation_list_for_user
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_upper_cases_and_validates_the_ods_code() -> None:
    organisation = OrganisationFactory.create(ods_code=" rxl ")
    assert organisation.ods_code == "RXL"


@pytest.mark.parametrize("code", ["R", "RX-L", "TOOLONGCODE", ""])
def test_it_refuses_a_malformed_ods_code(code: str) -> None:
    with pytest.raises(ValidationError) as error:
        OrganisationFactory.create(ods_code=code)
    assert "ods_code" in error.value.message_dict


def test_it_refuses_a_duplicate_ods_code() -> None:
    OrganisationFactory.create(ods_code="RXL")
    with pytest.raises(ValidationError):
        OrganisationFactory.create(ods_code="rxl")


def test_the_database_refuses_a_malformed_ods_code(provider: Organisation) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.filter(pk=provider.pk).update(ods_code="ab c")


def test_only_providers_have_an_oversight_body(monitor: Organisation) -> None:
    with pytest.raises(ValidationError) as error:
        OrganisationFactory.create(kind=OrganisationKind.COMMISSIONER, oversight_body=monitor)
    assert error.value.message_dict["oversight_body"] == ["Only providers have an oversight body."]


def test_the_oversight_body_must_be_one(provider: Organisation, other_provider: Organisation) -> None:
    with pytest.raises(ValidationError):
        OrganisationFactory.create(oversight_body=other_provider)


def test_creating_an_organisation_is_audited() -> None:
    organisation = OrganisationFactory.create(name="Audit Test Trust")
    event = audit_events_for(obj=organisation).get()
    assert (event.verb, event.after["name"]) == ("organisation.created", "Audit Test Trust")


def test_members_see_their_organisation(trust_manager: User, provider: Organisation) -> None:
    assert list(organisation_list_for_user(user=trust_manager)) == [provider]


def test_the_oversight_body_sees_the_providers_it_oversees(
    oversight_lead: User, provider: Organisation, other_provider: Organisation
) -> None:
    assert set(organisation_list_for_user(user=oversight_lead)) == {provider.oversight_body, provider}


def test_a_role_must_fit_the_kind_of_organisation(provider: Organisation) -> None:
    with pytest.raises(ValidationError) as error:
        services.membership_create(
            actor=None, user=UserFactory.create(), organisation=provider, role=Role.REGULATOR_DECISION_MAKER
        )
    assert "role" in error.value.message_dict


def test_a_membership_is_audited_on_the_organisation(trust_manager: User, provider: Organisation) -> None:
    event = AuditEvent.objects.get(verb="membership.created", scope_id=str(provider.pk))
    assert event.after == {"user": trust_manager.email, "role": Role.TRUST_MANAGER}


def test_the_same_role_twice_is_one_membership(trust_manager: User, provider: Organisation) -> None:
    services.membership_create(actor=None, user=trust_manager, organisation=provider, role=Role.TRUST_MANAGER)
    assert Membership.objects.filter(user=trust_manager).count() == 1


def test_losing_a_membership_loses_the_access(trust_manager: User, provider: Organisation) -> None:
    services.membership_delete(actor=None, membership=trust_manager.memberships.get())
    trust_manager = User.objects.get(pk=trust_manager.pk)  # permissions are cached per instance
    assert not organisation_list_for_user(user=trust_manager).exists()


def test_an_administrator_can_use_the_admin_site(nhs_england: Organisation) -> None:
    user = UserFactory.create()
    services.membership_create(actor=None, user=user, organisation=nhs_england, role=Role.ADMINISTRATOR)
    assert User.objects.get(pk=user.pk).is_staff


def test_national_oversight_sees_every_organisation(
    national: User, provider: Organisation, other_provider: Organisation
) -> None:
    assert organisation_list_for_user(user=national).count() == Organisation.objects.count()


def test_an_organisation_change_moves_who_may_see_it(
    provider: Organisation, oversight_lead: User, nhs_england: Organisation
) -> None:
    services.organisation_update(
        actor=None, organisation=provider, name=provider.name, region=provider.region, oversight_body=nhs_england
    )
    oversight_lead = User.objects.get(pk=oversight_lead.pk)
    assert provider not in organisation_list_for_user(user=oversight_lead)
