"""Fixtures of reviews: experts in the registry, and the regime's ``case`` about ``provider``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import User
from reviews.models import Expert, Regulator, Seniority
from reviews.services import expert_register
from tests.failure_regime.conftest import case, concern  # noqa: F401

MakeExpert = Callable[..., Expert]


@pytest.fixture
def make_expert(oversight_lead: User) -> MakeExpert:
    """``make_expert(name=..., **fields)``: an expert registered by the oversight lead, with a unique GMC number."""
    numbers = iter(range(1000000, 9999999))

    def make(**overrides: Any) -> Expert:
        fields: dict[str, Any] = {
            "name": "Dr Ada Expert",
            "profession": "Obstetrician",
            "regulator": Regulator.GMC,
            "registration_number": str(next(numbers)),
            "specialties": ["Obstetrics"],
            "seniority": Seniority.CONSULTANT,
            "capacity_per_week": 5,
            **overrides,
        }
        return expert_register(actor=oversight_lead, **fields)

    return make


@pytest.fixture
def expert(make_expert: MakeExpert) -> Expert:
    return make_expert()
