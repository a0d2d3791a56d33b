"""Demo data of communications, added by ``manage.py seed_demo`` after the regime's and the reviews': a
communications plan and published notices for the demo case, the support directory, the public's other names for
the demo providers, and public enquiries waiting for triage. Each step is idempotent."""

from __future__ import annotations

from collections.abc import Callable

from communications.demo import enquiries, notices, providers, support

# In order: each step builds on the ones before. The modules are imported by name, so one that cannot be imported
# stops ``seed_demo`` with its error instead of quietly leaving its demo data out.
STEPS: tuple[Callable[[], None], ...] = (support.seed, notices.seed, providers.seed, enquiries.seed)


def seed_demo() -> None:
    for step in STEPS:
        step()
