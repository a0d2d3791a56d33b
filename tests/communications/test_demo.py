"""The demo data of communications, as ``manage.py seed_demo`` adds it through the app's configuration."""

from __future__ import annotations

import sys

import pytest
from django.apps import apps


def test_a_demo_module_that_cannot_be_imported_stops_the_seeding(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken import inside a demo module is raised, not skipped: skipping it would leave its demo data out
    without a word. The demo modules are imported afresh, and the support step's own import fails."""
    for name in [name for name in sys.modules if name.startswith("communications.demo")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "communications.services.support", None)
    with pytest.raises(ModuleNotFoundError, match="communications.services.support"):
        apps.get_app_config("communications").seed_demo()  # type: ignore[attr-defined]
