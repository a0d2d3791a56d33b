"""Writes of the public's other names for providers (``ProviderAlias``), which route enquiries that name a
provider in the sender's own words."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.audit import audit_record
from accounts.errors import ConflictError
from accounts.models import Organisation, User
from communications.models import ProviderAlias
from communications.selectors.providers import name_key
from communications.verbs import CommunicationsVerb


@transaction.atomic
def provider_alias_add(*, actor: User | None, organisation: Organisation, alias: str) -> ProviderAlias:
    """Records another name by which the public knows a provider (a hospital, a town, a short name). Refused for
    an organisation that is not a provider, for a name of nothing but generic words ("General Hospital"), and for
    a name the provider already goes by."""
    alias = alias.strip()
    errors: dict[str, str] = {}
    if not organisation.is_provider:
        errors["organisation"] = "Choose a provider of care"
    if not alias or len(alias) > 200:
        errors["alias"] = "Enter a name of 200 characters or fewer"
    elif not name_key(alias):
        errors["alias"] = "Enter a name that tells this provider apart, not only words like hospital or trust"
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            provider_alias = ProviderAlias.objects.create(organisation=organisation, alias=alias, key=name_key(alias))
    except IntegrityError as exc:
        raise ConflictError(f"{organisation} already goes by that name.") from exc
    audit_record(
        actor=actor,
        organisation=None,
        verb=CommunicationsVerb.PROVIDER_ALIAS_ADDED,
        target=provider_alias,
        scope=organisation,
        after={"alias": alias, "organisation": organisation.ods_code},
    )
    return provider_alias
