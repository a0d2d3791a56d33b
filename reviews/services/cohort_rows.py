"""The rules for one row of a cohort file: the NHS number and its Modulus 11 check digit, the dates, the choices,
and the age band reviewers see instead of the date of birth. Pure functions, with no database, so that a file of
100,000 rows is checked quickly and each rule can be tested on its own.

No message here ever repeats the NHS number: errors name the line and the column only.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from reviews.models import EventKind, IdentificationSource

# The columns of a cohort file, in the order of the template. Any order is accepted; each must appear once.
COLUMNS: tuple[str, ...] = (
    "nhs_number",
    "date_of_birth",
    "admission_date",
    "event_type",
    "event_date",
    "specialty",
    "category",
    "identification_source",
)
COLUMN_HELP: dict[str, str] = {
    "nhs_number": "10 digits, spaces allowed (943 476 5919); the last digit is the Modulus 11 check digit",
    "date_of_birth": "YYYY-MM-DD or DD/MM/YYYY",
    "admission_date": "YYYY-MM-DD or DD/MM/YYYY; not before the date of birth",
    "event_type": "death or incident",
    "event_date": "the date of the death or incident; not before the date of birth",
    "specialty": "the name of a specialty in the expert registry, such as Obstetrics",
    "category": "your own grouping of cases, up to 100 characters, such as Stillbirth",
    "identification_source": "how the case was found: " + ", ".join(value for value in IdentificationSource.values),
}
CATEGORY_MAX_LENGTH = 100
_DAY_FIRST = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")
_ISO = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_EVENT_KINDS = {value: value for value in EventKind.values}
_SOURCES = {
    **{str(label).lower(): value for value, label in IdentificationSource.choices},
    **{value: value for value in IdentificationSource.values},
}


# --- The NHS number -----------------------------------------------------------------------------


def nhs_number_check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit of the first nine digits of an NHS number, or None when no valid NHS number can
    start with them. Weights 10 down to 2; the check digit is 11 minus the remainder of the sum by 11, where 11
    becomes 0 and 10 means the number is not valid."""
    d = first_nine.encode("ascii")
    # The digits' character codes are 48 more than their values; the weights add up to 54.
    total = 10 * d[0] + 9 * d[1] + 8 * d[2] + 7 * d[3] + 6 * d[4] + 5 * d[5] + 4 * d[6] + 3 * d[7] + 2 * d[8] - 48 * 54
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_number_normalise(value: str) -> str | None:
    """The NHS number as stored (10 digits) when ``value`` is a valid one, spaces allowed; otherwise None."""
    digits = value.replace(" ", "")
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return None
    return digits if nhs_number_check_digit(digits[:9]) == int(digits[9]) else None


def nhs_number_is_valid(value: str) -> bool:
    return nhs_number_normalise(value) is not None


def nhs_number_problem(value: str) -> str | None:
    """What is wrong with ``value`` as an NHS number, in plain English (never repeating it), or None."""
    digits = value.replace(" ", "")
    if not digits:
        return "Enter the NHS number."
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return "The NHS number must be 10 digits."
    if nhs_number_check_digit(digits[:9]) != int(digits[9]):
        return "The NHS number is not valid: its check digit is wrong."
    return None


# --- Dates and age bands ------------------------------------------------------------------------


def date_parse(value: str) -> datetime.date | None:
    """A date written as YYYY-MM-DD or DD/MM/YYYY; None for anything else, including days that do not exist."""
    value = value.strip()
    try:
        if len(value) == 10 and value[4] == "-" and value[7] == "-" and _ISO.match(value):
            return datetime.date.fromisoformat(value)
        day_first = _DAY_FIRST.match(value)
        if day_first:
            day, month, year = (int(part) for part in day_first.groups())
            return datetime.date(year, month, day)
    except ValueError:
        return None
    return None


def age_in_years(born: datetime.date, on: datetime.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_band(born: datetime.date, on: datetime.date) -> str:
    """The band of the patient's age on the day of the death or incident, which is all that reviewers see."""
    age = age_in_years(born, on)
    if age < 1:
        return "Under 1"
    if age < 18:
        return "1 to 17"
    if age < 30:
        return "18 to 29"
    if age >= 90:
        return "90 and over"
    decade = age // 10 * 10
    return f"{decade} to {decade + 9}"


AGE_BANDS: tuple[str, ...] = (
    "Under 1",
    "1 to 17",
    "18 to 29",
    *(f"{decade} to {decade + 9}" for decade in range(30, 90, 10)),
    "90 and over",
)


# --- Rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one line of the file: where it is and what is wrong, never the value itself."""

    line: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "reason": self.reason}


class PatientRow(NamedTuple):
    """A row that passed every check, in the shape it is stored."""

    nhs_number: str
    date_of_birth: datetime.date
    admitted_on: datetime.date
    event_kind: str
    event_on: datetime.date
    specialty_id: int
    category: str
    identification_source: str
    age_band: str


class CsvProblem(Exception):
    """The text cannot be read as CSV from ``line`` on, such as a quote that is never closed."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def records(lines: Iterable[str], *, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """The records of a CSV text with the line each starts on (1 for the header). Blank lines are skipped.
    Text that is not CSV raises ``CsvProblem`` with the line where reading stopped."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    previous_end = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise CsvProblem(previous_end + 1, f"The file cannot be read as CSV from this line on ({error}).") from None
        start, previous_end = previous_end + 1, reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        yield start, record


def delimiter_of(header_line: str) -> str:
    """Commas, unless the header is clearly separated by semicolons or tabs (as some spreadsheets save)."""
    if "," not in header_line:
        for candidate in (";", "\t"):
            if candidate in header_line:
                return candidate
    return ","


def header_columns(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    """The position of each column, and the problems with the header line (missing, unknown or repeated
    columns). Column names are matched without regard to case or surrounding spaces."""
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    for position, raw in enumerate(header):
        name = raw.strip().lower().replace(" ", "_")
        if name not in COLUMNS:
            shown = raw.strip()[:40] or f"number {position + 1}"
            errors.append(RowError(1, "", f"Unknown column '{shown}': remove it or use the template."))
        elif name in positions:
            errors.append(RowError(1, name, f"The column {name} appears more than once."))
        else:
            positions[name] = position
    missing = [name for name in COLUMNS if name not in positions]
    if missing:
        errors.append(RowError(1, "", "Missing column" + ("s" if len(missing) > 1 else "") + ": " + ", ".join(missing)))
    return positions, errors


class RowChecker:
    """Checks each row against the rules. Duplicates are the caller's business: they need the whole file."""

    def __init__(self, *, columns: dict[str, int], specialties: dict[str, int], today: datetime.date) -> None:
        self.columns = columns
        self.width = len(columns)
        self.order = [(name, columns[name]) for name in COLUMNS]
        self.positions = tuple(columns[name] for name in COLUMNS)
        self.specialties = specialties  # lower-case name -> id
        self.today = today

    def check(self, line: int, record: list[str]) -> tuple[PatientRow | None, list[RowError]]:
        """The row in its stored shape, or every problem with it. Good rows take a short path; the thorough one
        runs only for rows with a problem, to name each."""
        if len(record) == self.width:
            row = self._good(record)
            if row is not None:
                return row, []
        return None, self.problems(line, record)

    def _good(self, record: list[str]) -> PatientRow | None:
        """The row when every check passes at the first look; None as soon as one does not."""
        p_nhs, p_born, p_admitted, p_kind, p_event, p_specialty, p_category, p_source = self.positions
        nhs_number = record[p_nhs].strip().replace(" ", "")
        if len(nhs_number) != 10 or not nhs_number.isdigit() or not nhs_number.isascii():
            return None
        if nhs_number_check_digit(nhs_number[:9]) != ord(nhs_number[9]) - 48:
            return None
        born, admitted, event_on = (
            date_parse(record[p_born]),
            date_parse(record[p_admitted]),
            date_parse(record[p_event]),
        )
        if born is None or admitted is None or event_on is None:
            return None
        today = self.today
        if born > today or admitted > today or event_on > today or admitted < born or event_on < born:
            return None
        event_kind = _EVENT_KINDS.get(record[p_kind].strip().lower())
        specialty_id = self.specialties.get(record[p_specialty].strip().lower())
        source = _SOURCES.get(record[p_source].strip().lower())
        category = record[p_category].strip()
        if event_kind is None or specialty_id is None or source is None:
            return None
        if not category or len(category) > CATEGORY_MAX_LENGTH or not category.isprintable() or "\ufffd" in category:
            return None
        return PatientRow(
            nhs_number, born, admitted, event_kind, event_on, specialty_id, category, source, age_band(born, event_on)
        )

    def problems(self, line: int, record: list[str]) -> list[RowError]:
        """Every problem with the row, each with its column and reason."""
        if len(record) != self.width:
            return [RowError(line, "", f"The line has {len(record)} values; it should have {self.width}.")]
        values = {name: record[position].strip() for name, position in self.order}
        errors: list[RowError] = []

        def fail(field: str, reason: str) -> None:
            errors.append(RowError(line, field, reason))

        if any("\ufffd" in value for value in values.values()):
            fail("", "The line has characters that are not UTF-8. Save the file as 'CSV UTF-8' and upload it again.")
            return errors
        nhs_problem = nhs_number_problem(values["nhs_number"])
        if nhs_problem:
            fail("nhs_number", nhs_problem)
        dates: dict[str, datetime.date | None] = {}
        for field, label in (
            ("date_of_birth", "date of birth"),
            ("admission_date", "date of admission"),
            ("event_date", "date of the death or incident"),
        ):
            raw = values[field]
            parsed = date_parse(raw) if raw else None
            if not raw:
                fail(field, f"Enter the {label}.")
            elif parsed is None:
                fail(field, f"The {label} must be a real date written as YYYY-MM-DD or DD/MM/YYYY.")
            elif parsed > self.today:
                fail(field, f"The {label} cannot be in the future.")
                parsed = None
            dates[field] = parsed
        born, admitted, event_on = dates["date_of_birth"], dates["admission_date"], dates["event_date"]
        if born and admitted and admitted < born:
            fail("admission_date", "The date of admission cannot be before the date of birth.")
        if born and event_on and event_on < born:
            fail("event_date", "The date of the death or incident cannot be before the date of birth.")
        event_kind = _EVENT_KINDS.get(values["event_type"].lower())
        if event_kind is None:
            fail("event_type", "The event type must be death or incident.")
        specialty_id = self.specialties.get(values["specialty"].lower())
        if not values["specialty"]:
            fail("specialty", "Enter the specialty.")
        elif specialty_id is None:
            fail("specialty", "The specialty is not in the registry's list of specialties.")
        category = values["category"]
        if not category:
            fail("category", "Enter the category.")
        elif len(category) > CATEGORY_MAX_LENGTH:
            fail("category", f"The category must be {CATEGORY_MAX_LENGTH} characters or fewer.")
        elif not category.isprintable():
            fail("category", "The category has characters that cannot be shown.")
        source = _SOURCES.get(values["identification_source"].lower())
        if source is None:
            fail("identification_source", "The identification source must be one of the listed values.")
        if not errors:  # pragma: no cover - the short path accepts every row the checks above pass
            fail("", "The line could not be read.")
        return errors
