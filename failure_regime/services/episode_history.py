"""Past episodes of special measures: recorded one at a time or imported from a CSV file, with their dates,
re-inspections and outcome, so that the 2013 cohort and earlier episodes are held with the rest.

A past episode has ended before it is recorded, so nothing of it is chased: it opens no deadline and no
report slot. Its dates obey the same rules as a live episode's (``episode_span_check``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import DomainError
from accounts.models import Organisation, User
from failure_regime.dates import add_months, long_date
from failure_regime.models import Basis, Episode, EpisodeStatus, Inspection, InspectionKind, RuleSet
from failure_regime.permissions import special_measures_decider_for
from failure_regime.services.special_measures import _episode_create, episode_span_check
from failure_regime.verbs import MeasuresVerb

OUTCOMES = (EpisodeStatus.EXITED, EpisodeStatus.REGISTRATION_CANCELLED)
CSV_COLUMNS = (
    "ods_code",
    "entered_on",
    "basis",
    "outcome",
    "ended_on",
    "reinspected_on",
    "reinspection_due_on",
    "extended_until",
)
REQUIRED_COLUMNS = ("ods_code", "entered_on", "basis", "outcome", "ended_on")
# Which CSV column a service error is about.
COLUMN_OF = {"provider": "ods_code"}
MAX_ROWS = 2000


def _rules_for_history(provider: Organisation, entered_on: date) -> RuleSet:
    """The rule set in force on the entry date; for an episode older than every rule set, the earliest one."""
    rule_sets = RuleSet.objects.filter(provider_kind=provider.kind)
    in_force = rule_sets.filter(effective_from__lte=entered_on).order_by("-effective_from").first()
    rules = in_force or rule_sets.order_by("effective_from").first()
    if rules is None:
        raise ValidationError({"entered_on": "No special measures rules cover this kind of provider."})
    return rules


@transaction.atomic
def episode_record_history(
    *,
    actor: User,
    provider: Organisation,
    entered_on: date,
    basis: str,
    outcome: str,
    ended_on: date,
    reinspected_on: Sequence[date] = (),
    reinspection_due_on: date | None = None,
    extended_until: date | None = None,
    organisation: Organisation | None = None,
) -> Episode:
    """Records an episode that has already ended, from the record of the time: entry, re-inspections and
    outcome (left special measures, or registration cancelled). Whoever decides the provider's special measures
    records it, for ``organisation`` (needed only if they could decide for several). It overlaps no other episode
    of the provider and sends no reminders."""
    organisation = special_measures_decider_for(
        actor, provider, chosen=organisation, doing="record its past special measures"
    )
    Organisation.objects.select_for_update().get(pk=provider.pk)  # one recording on this provider at a time
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if provider.is_trust and basis not in (Basis.CQC_RECOMMENDATION, Basis.OWN_EVIDENCE):
        errors["basis"] = "For a trust, say whether CQC recommended it or the oversight body used its own evidence."
    elif not provider.is_trust and basis != Basis.CQC_DECISION:
        errors["basis"] = "For this provider special measures were CQC's decision."
    if outcome not in OUTCOMES:
        errors["outcome"] = "Say whether the provider left special measures or its registration was cancelled."
    elif outcome == EpisodeStatus.REGISTRATION_CANCELLED and provider.is_trust:
        errors["outcome"] = "Trusts are not registered this way; a trust's episode ends when it leaves."
    if entered_on > today:
        errors["entered_on"] = "The entry date cannot be in the future."
    if ended_on > today:
        errors["ended_on"] = "A past episode must have ended by today."
    elif ended_on < entered_on:
        errors["ended_on"] = "The episode cannot end before it began."
    wrong = [d for d in reinspected_on if d < entered_on or d > ended_on]
    if wrong:
        errors["reinspected_on"] = (
            f"Re-inspections must fall between entry and the end ({', '.join(long_date(d) for d in wrong)} do not)."
        )
    if reinspection_due_on is not None and reinspection_due_on <= entered_on:
        errors["reinspection_due_on"] = "The re-inspection must have been due after entry."
    if errors:
        raise ValidationError(errors)
    rules = _rules_for_history(provider, entered_on)
    due_on = reinspection_due_on or add_months(entered_on, rules.reinspection_months)
    if extended_until is not None and extended_until <= due_on:
        raise ValidationError(
            {"extended_until": f"An extension must end after the re-inspection was due ({long_date(due_on)})."}
        )
    episode_span_check(provider=provider, entered_on=entered_on, ended_on=ended_on)
    now = timezone.now()
    episode = _episode_create(
        actor=actor,
        organisation=organisation,
        provider=provider,
        rules=rules,
        entered_on=entered_on,
        basis=basis,
        now=now,
        reinspection_due_on=due_on,
        registration_decision_due_on=add_months(entered_on, rules.registration_decision_months)
        if rules.registration_decision_months and not provider.is_trust
        else None,
        historic=True,
        status=outcome,
        extended_until=extended_until,
        exited_on=ended_on,
        days_in_special_measures=(ended_on - entered_on).days,
    )
    Inspection.objects.bulk_create(
        [
            Inspection(
                provider=provider,
                episode=episode,
                kind=InspectionKind.REINSPECTION,
                carried_out_on=day,
                recorded_by=actor,
                recorded_at=now,
            )
            for day in sorted(set(reinspected_on))
        ]
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=MeasuresVerb.EPISODE_HISTORY_RECORDED,
        target=episode,
        scope=episode,
        after={
            "provider": provider.ods_code,
            "entered_on": entered_on,
            "basis": basis,
            "outcome": outcome,
            "ended_on": ended_on,
            "reinspected_on": sorted(set(reinspected_on)),
            "reinspection_due_on": due_on,
            "extended_until": extended_until,
            "rule_set": rules.name,
        },
    )
    return episode


# --- Importing from CSV ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """Why one cell (or a whole row, when ``column`` is empty) of the file cannot be imported."""

    line: int
    column: str
    reason: str


@dataclass
class ImportResult:
    episodes: list[Episode] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    @property
    def imported(self) -> int:
        return len(self.episodes)


def _date(value: str) -> date:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value.strip(), pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValueError(value)


def _parse_row(
    line: int, row: dict[str, str], providers: dict[str, Organisation]
) -> tuple[dict[str, Any], list[RowError]]:
    errors: list[RowError] = []
    cells = {k: (row.get(k) or "").strip() for k in CSV_COLUMNS}
    for column in REQUIRED_COLUMNS:
        if not cells[column]:
            errors.append(RowError(line, column, "This is required."))
    values: dict[str, Any] = {"basis": cells["basis"], "outcome": cells["outcome"]}
    if cells["ods_code"]:
        provider = providers.get(cells["ods_code"].upper())
        if provider is None:
            errors.append(RowError(line, "ods_code", f"No provider has the ODS code {cells['ods_code']}."))
        values["provider"] = provider
    for column in ("entered_on", "ended_on", "reinspection_due_on", "extended_until"):
        if cells[column]:
            try:
                values[column] = _date(cells[column])
            except ValueError:
                errors.append(RowError(line, column, "Give a date as YYYY-MM-DD or DD/MM/YYYY."))
    reinspected: list[date] = []
    for part in filter(None, (p.strip() for p in cells["reinspected_on"].split(";"))):
        try:
            reinspected.append(_date(part))
        except ValueError:
            errors.append(RowError(line, "reinspected_on", f"{part} is not a date; separate dates with ';'."))
    values["reinspected_on"] = reinspected
    if cells["basis"] and cells["basis"] not in Basis.values:
        errors.append(RowError(line, "basis", f"Use one of: {', '.join(Basis.values)}."))
    if cells["outcome"] and cells["outcome"] not in OUTCOMES:
        errors.append(RowError(line, "outcome", f"Use one of: {', '.join(OUTCOMES)}."))
    return values, errors


def _service_errors(line: int, error: Exception) -> list[RowError]:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return [
            RowError(line, COLUMN_OF.get(name, name if name in CSV_COLUMNS else ""), message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    if isinstance(error, ValidationError):
        return [RowError(line, "", message) for message in error.messages]
    return [RowError(line, "ods_code" if isinstance(error, PermissionDenied) else "", str(error))]


@transaction.atomic
def episodes_import_history(
    *, actor: User, text: str, only_valid: bool = False, organisation: Organisation | None = None
) -> ImportResult:
    """Imports past episodes from CSV text with a header row (``CSV_COLUMNS``; ``reinspected_on`` holds dates
    separated by ';'), each recorded for ``organisation`` as ``episode_record_history`` would. Every row is
    checked, and every problem is reported with its line and column. Nothing is imported unless every row is
    valid, or ``only_valid`` asks for the valid rows alone. Rows are checked against
    each other too: two rows of one provider that overlap are refused like any other overlap."""
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        result.errors.append(RowError(1, ", ".join(missing), "The header row lacks these columns."))
        return result
    reader.fieldnames = header
    rows = list(reader)
    if len(rows) > MAX_ROWS:
        result.errors.append(RowError(1, "", f"A file can hold at most {MAX_ROWS} episodes."))
        return result
    codes = {(r.get("ods_code") or "").strip().upper() for r in rows}
    providers = {o.ods_code.upper(): o for o in Organisation.objects.providers().filter(ods_code__in=codes)}
    for number, row in enumerate(rows, start=2):
        result.rows += 1
        values, errors = _parse_row(number, row, providers)
        if not errors:
            try:
                with transaction.atomic():
                    result.episodes.append(episode_record_history(actor=actor, organisation=organisation, **values))
            except (ValidationError, DomainError, PermissionDenied) as error:
                errors = _service_errors(number, error)
        result.errors.extend(errors)
    if result.errors and not only_valid:
        transaction.set_rollback(True)
        result.episodes = []
    return result
