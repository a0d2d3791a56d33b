"""Demo data of reviews, added by ``manage.py seed_demo`` after the regime's: a chair appointed to the demo case,
a recruitment campaign with applications, a cohort assigned to reviewers, and submitted judgements. Each step is
idempotent."""

from __future__ import annotations

from importlib import import_module

# In order: each step builds on the ones before.
STEPS = ["registry", "recruitment", "cohort", "judgement"]


def seed_demo() -> None:
    for step in STEPS:
        try:
            module = import_module(f"reviews.demo.{step}")
        except ModuleNotFoundError:
            continue
        module.seed()
