"""Demo data: the names by which the public knows the demo providers (their hospitals and the towns they serve),
so that a message about "Basildon Hospital" or "Medway Maritime" finds its trust. The hospitals are real; the
list is not complete. Nothing is added twice."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Organisation
from communications.models import ProviderAlias
from communications.selectors.providers import name_key
from communications.services.providers import provider_alias_add

ALIASES: dict[str, list[str]] = {
    "RDD": ["Basildon University Hospital", "Orsett Hospital", "Thurrock Community Hospital"],
    "RXL": ["Blackpool Victoria Hospital", "Clifton Hospital"],
    "RXQ": ["Stoke Mandeville Hospital", "Wycombe Hospital", "Amersham Hospital", "Aylesbury"],
    "RJF": ["Queen's Hospital Burton", "Burton upon Trent"],
    "RDE": ["Colchester General Hospital", "Essex County Hospital"],
    "RNA": ["Russells Hall Hospital"],
    "RXR": ["Royal Blackburn Hospital", "Burnley General Hospital", "Blackburn"],
    "RLT": ["Nuneaton"],
    "RPA": ["Medway Maritime Hospital", "Gillingham"],
    "RNL": ["Cumberland Infirmary", "West Cumberland Hospital", "Carlisle", "Whitehaven"],
    "RJL": ["Scunthorpe General Hospital", "Diana Princess of Wales Hospital", "Goole", "Grimsby"],
    "RK5": ["King's Mill Hospital", "Newark Hospital", "Mansfield"],
    "RMP": ["Tameside General Hospital", "Ashton-under-Lyne"],
    "RWD": ["Lincoln County Hospital", "Pilgrim Hospital", "Grantham and District Hospital", "Boston"],
}


@transaction.atomic
def seed() -> None:
    providers = {o.ods_code: o for o in Organisation.objects.providers().filter(ods_code__in=ALIASES)}
    known = set(ProviderAlias.objects.values_list("organisation__ods_code", "key"))
    for code, aliases in ALIASES.items():
        provider = providers.get(code)
        if provider is None:
            continue
        for alias in aliases:
            if (code, name_key(alias)) not in known:
                provider_alias_add(actor=None, organisation=provider, alias=alias)
