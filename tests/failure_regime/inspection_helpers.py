"""Inspections for tests that need one already on record, made directly so that any date may be given."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from accounts.models import Organisation, User
from failure_regime.models import Inspection

RATED = ("safe", "effective", "caring", "responsive", "well_led", "overall")


def rated_inspection(provider: Organisation, by: User, on: date, **ratings: str) -> Inspection:
    """An inspection of ``provider`` carried out ``on``, rated inadequate throughout unless ``ratings`` say
    otherwise."""
    values = {question: ratings.get(question, "inadequate") for question in RATED}
    return Inspection.objects.create(
        provider=provider, carried_out_on=on, recorded_by=by, recorded_at=timezone.now(), **values
    )


def basis_inspection(provider: Organisation, by: User, on: date, basis: str) -> Inspection | None:
    """The inspection CQC's own decision on a provider it alone regulates rests on (rated inadequate overall);
    None for the other bases."""
    return rated_inspection(provider, by, on) if basis == "cqc_decision" else None
