"""Demo data of reviews, added by ``manage.py seed_demo`` after the regime's: a chair appointed to the demo case,
a recruitment campaign with applications, a cohort assigned to reviewers, and submitted judgements. Each step is
idempotent."""

from __future__ import annotations

from collections.abc import Callable

from reviews.demo import cohort, judgement, recruitment, registry

# In order: each step builds on the ones before. The modules are imported by name, so one that cannot be imported
# stops ``seed_demo`` with its error instead of quietly leaving its demo data out.
STEPS: tuple[Callable[[], None], ...] = (registry.seed, recruitment.seed, cohort.seed, judgement.seed)


def seed_demo() -> None:
    for step in STEPS:
        step()
