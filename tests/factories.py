"""factory_boy factories. Domain objects are made through their services, as the service makes them."""

from __future__ import annotations

from typing import Any

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import Membership, Organisation, OrganisationKind, Region, User

PASSWORD = "correct-horse-battery-staple"


class OrganisationFactory(factory.Factory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Test Hospitals NHS Foundation Trust {n}")
    ods_code = factory.Sequence(lambda n: f"T{n:04d}")
    kind = OrganisationKind.FOUNDATION_TRUST
    region = Region.MIDLANDS
    oversight_body = None

    @classmethod
    def _create(cls, model_class: type[Organisation], *args: Any, **kwargs: Any) -> Organisation:
        return services.organisation_create(actor=None, **kwargs)


class UserFactory(factory.Factory[User]):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        return services.user_create(actor=None, password=PASSWORD, **kwargs)


def member(organisation: Organisation, role: str, **user_fields: Any) -> User:
    """A new user holding ``role`` in ``organisation``, with a confirmed authenticator app."""
    user = UserFactory.create(**user_fields)
    services.membership_create(actor=None, user=user, organisation=organisation, role=role)
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return user


def role_remove(actor: User, user: User, organisation: Organisation, role: str) -> None:
    """``actor`` removes ``user``'s ``role`` in ``organisation``, as the administration pages do."""
    membership = Membership.objects.get(user=user, organisation=organisation, role=role)
    services.membership_delete(actor=actor, membership=membership)


def sole_organisation(user: User) -> Organisation:
    """The one organisation ``user`` belongs to: what a test's service call acts for when its person has only one.
    Fails the test if they have several, which must name theirs."""
    organisations = {membership.organisation for membership in user.memberships.select_related("organisation")}
    assert len(organisations) == 1, f"{user} belongs to {len(organisations)} organisations: name the one they act for"
    return organisations.pop()
