"""Fixtures of communications: the regime's ``case`` about ``provider``."""

from tests.failure_regime.conftest import case, concern  # noqa: F401
