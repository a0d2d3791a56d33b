"""Demo data of communications, added by ``manage.py seed_demo`` after the regime's and the reviews': a
communications plan and published notices for the demo case, the support directory, the public's other names for
the demo providers, and public enquiries waiting for triage. Each step is idempotent."""

from __future__ import annotations

from importlib import import_module

# In order: each step builds on the ones before.
STEPS = ["support", "notices", "providers", "enquiries"]


def seed_demo() -> None:
    for step in STEPS:
        try:
            module = import_module(f"communications.demo.{step}")
        except ModuleNotFoundError:
            continue
        module.seed()
