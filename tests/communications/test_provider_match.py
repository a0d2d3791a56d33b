"""Finding the provider a member of the public meant: the tolerant match that routes an enquiry, and the search
of the public form. Run against the demo's register: the 14 trusts of the Keogh review, a few GP practices and care
homes, and the public's other names for the trusts."""

from __future__ import annotations

import pytest

from accounts.models import Organisation, OrganisationKind, Region
from communications.demo import providers as demo_providers
from communications.models import ProviderAlias
from communications.selectors.providers import name_key, provider_match, provider_search
from communications.services.providers import provider_alias_add
from failure_regime.demo import KEOGH_TRUSTS, NATIONAL_BODIES, OTHER_PROVIDERS
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def register(db: None) -> None:
    for name, code, kind in NATIONAL_BODIES:
        OrganisationFactory.create(name=name, ods_code=code, kind=kind, region=Region.NATIONAL)
    for name, code, kind, region in [*KEOGH_TRUSTS, *OTHER_PROVIDERS]:
        OrganisationFactory.create(name=name, ods_code=code, kind=kind, region=region)
    demo_providers.seed()


def code_of(text: str) -> str | None:
    provider = provider_match(text=text)
    return provider.ods_code if provider else None


# --- Exact names ------------------------------------------------------------------------------------------------


def test_it_matches_the_registered_name() -> None:
    assert code_of("Basildon and Thurrock University Hospitals NHS Foundation Trust") == "RDD"


def test_it_matches_the_ods_code_whatever_its_case() -> None:
    assert code_of(" rdd ") == "RDD"


def test_it_matches_a_name_with_a_leading_the() -> None:
    assert code_of("The Dudley Group NHS Foundation Trust") == "RNA"


# --- Approximate names ------------------------------------------------------------------------------------------


def test_it_matches_basildon_hospital_to_the_basildon_trust() -> None:
    assert code_of("Basildon Hospital") == "RDD"


def test_it_ignores_case_punctuation_and_the_generic_words_of_the_register() -> None:
    assert code_of("BASILDON & THURROCK HOSPITALS, NHS TRUST") == "RDD"


def test_it_matches_a_name_without_its_nhs_foundation_trust() -> None:
    assert code_of("Medway") == "RPA"


def test_it_matches_a_hospital_of_the_trust() -> None:
    assert code_of("Medway Maritime Hospital") == "RPA"


def test_it_matches_a_hospital_written_with_an_apostrophe_or_without() -> None:
    assert code_of("Kings Mill hospital") == code_of("King's Mill Hospital") == "RK5"


def test_it_matches_a_town_the_trust_serves() -> None:
    assert code_of("Gillingham") == "RPA"


def test_it_matches_a_name_with_the_town_added() -> None:
    assert code_of("Tameside hospital in Ashton") == "RMP"


def test_it_matches_a_care_home_without_its_bracketed_note() -> None:
    assert code_of("Meadowbank care home") == "VDM01"


# --- Unknown and ambiguous names --------------------------------------------------------------------------------


def test_it_matches_nothing_for_a_place_nobody_can_identify() -> None:
    assert code_of("The hospital near my aunt's flat") is None


def test_it_matches_nothing_when_two_providers_fit_equally() -> None:
    assert code_of("Lincolnshire") is None  # Northern Lincolnshire and Goole, and United Lincolnshire


def test_it_matches_nothing_for_generic_words_alone() -> None:
    assert code_of("General Hospital NHS Trust") is None


def test_it_never_matches_an_organisation_that_is_not_a_provider() -> None:
    assert code_of("NHS England") is None and code_of("X24") is None


def test_it_matches_nothing_for_empty_or_control_characters() -> None:
    assert code_of("") is None and code_of("\x00\x00") is None


def test_an_exact_name_beats_a_partial_one() -> None:
    OrganisationFactory.create(name="Medway Community Healthcare", ods_code="RY9", kind=OrganisationKind.NHS_TRUST)
    assert code_of("Medway") == "RPA"


# --- The public form's search -------------------------------------------------------------------------------------


def test_the_search_finds_a_provider_from_the_first_letters_of_its_name() -> None:
    assert [p.ods_code for p in provider_search(text="basil")] == ["RDD"]


def test_the_search_finds_a_provider_by_one_of_its_hospitals() -> None:
    assert "RXQ" in [p.ods_code for p in provider_search(text="Stoke Mandeville")]


def test_the_search_lists_every_provider_that_fits() -> None:
    assert {"RJL", "RWD"} <= {p.ods_code for p in provider_search(text="lincolnshire")}


def test_the_search_keeps_to_its_query_budget(django_assert_max_num_queries: object) -> None:
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        provider_search(text="hospital trust")


# --- Aliases --------------------------------------------------------------------------------------------------------


def test_an_alias_is_stored_by_its_key_words() -> None:
    assert ProviderAlias.objects.get(alias="Basildon University Hospital").key == name_key("Basildon")


def test_an_alias_of_generic_words_alone_is_refused() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        provider_alias_add(actor=None, organisation=Organisation.objects.get(ods_code="RDD"), alias="General Hospital")
