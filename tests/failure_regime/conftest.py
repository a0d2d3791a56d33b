"""Fixtures of the regime: a concern, and a case proposed from it, about ``provider``."""

from __future__ import annotations

import pytest

from accounts.models import Organisation, User
from failure_regime.models import Case, Concern, ConcernSource, Severity
from failure_regime.services.cases import case_propose
from failure_regime.services.concerns import concern_raise
from tests.factories import sole_organisation


@pytest.fixture
def concern(inspector: User, provider: Organisation) -> Concern:
    return concern_raise(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=provider,
        source=ConcernSource.MORTALITY_DATA,
        summary="Mortality well above the expected range for two years.",
    )


@pytest.fixture
def immediate_concern(inspector: User, provider: Organisation) -> Concern:
    return concern_raise(
        actor=inspector,
        organisation=sole_organisation(inspector),
        provider=provider,
        source=ConcernSource.WHISTLEBLOWING,
        summary="Staff report unsafe staffing on the maternity unit.",
        severity=Severity.IMMEDIATE,
    )


def propose(actor: User, provider: Organisation, concern: Concern, **overrides: str) -> Case:
    fields = {
        "title": "Maternity services",
        "summary": "Failures of maternity care.",
        "scope": "2019 to 2024",
        "terms_of_reference": "Review every case of harm since 2019.",
        **overrides,
    }
    return case_propose(
        actor=actor, organisation=sole_organisation(actor), provider=provider, concerns=[concern], **fields
    )


@pytest.fixture
def case(
    regulator: User, provider: Organisation, concern: Concern, oversight_lead: User, sign_off_officer: User
) -> Case:
    return propose(regulator, provider, concern)
