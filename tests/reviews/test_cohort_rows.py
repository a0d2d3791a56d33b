"""The rules for one row of a cohort file: Modulus 11, dates, choices and age bands. No database."""

from __future__ import annotations

import datetime

import pytest

from reviews.services.cohort_rows import (
    COLUMNS,
    CsvProblem,
    RowChecker,
    age_band,
    date_parse,
    delimiter_of,
    header_columns,
    nhs_number_check_digit,
    nhs_number_is_valid,
    nhs_number_normalise,
    nhs_number_problem,
    records,
)

TODAY = datetime.date(2026, 3, 1)


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "4010232137", "9990000018"])
def test_it_accepts_valid_nhs_numbers(number: str) -> None:
    assert nhs_number_is_valid(number)


@pytest.mark.parametrize("number", ["9434765918", "943476591", "94347659190", "943476591X", "", "١٢٣٤٥٦٧٨٩٠"])
def test_it_refuses_invalid_nhs_numbers(number: str) -> None:
    assert not nhs_number_is_valid(number)


def test_the_check_digit_is_eleven_less_the_weighted_remainder() -> None:
    assert nhs_number_check_digit("000000001") == 9  # 1 x 2 = 2; 11 - 2 = 9


def test_a_check_digit_of_ten_means_no_number_starts_so() -> None:
    assert nhs_number_check_digit("000000006") is None  # 6 x 2 = 12, remainder 1; 11 - 1 = 10


def test_a_check_digit_of_eleven_becomes_zero() -> None:
    assert nhs_number_check_digit("000000000") == 0


def test_it_stores_the_number_without_spaces() -> None:
    assert nhs_number_normalise("943 476 5919") == "9434765919"


def test_the_reason_never_repeats_the_number() -> None:
    reason = nhs_number_problem("9434765918") or ""
    assert "check digit" in reason and "9434765918" not in reason


@pytest.mark.parametrize("text", ["2020-02-29", "29/02/2020", "1/3/2020"])
def test_it_reads_iso_and_day_first_dates(text: str) -> None:
    assert date_parse(text) in {datetime.date(2020, 2, 29), datetime.date(2020, 3, 1)}


@pytest.mark.parametrize("text", ["2021-02-29", "31/04/2020", "2020/01/01", "01-01-2020", "yesterday"])
def test_it_refuses_dates_that_do_not_exist_or_are_written_otherwise(text: str) -> None:
    assert date_parse(text) is None


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        ("2020-01-01", "2020-06-01", "Under 1"),
        ("2020-01-01", "2021-01-01", "1 to 17"),
        ("2000-01-02", "2018-01-01", "1 to 17"),
        ("2000-01-01", "2018-01-01", "18 to 29"),
        ("1980-01-01", "2020-01-01", "40 to 49"),
        ("1930-01-01", "2019-12-31", "80 to 89"),
        ("1920-01-01", "2020-01-01", "90 and over"),
    ],
)
def test_it_bands_the_age_at_the_event(born: str, on: str, band: str) -> None:
    assert age_band(datetime.date.fromisoformat(born), datetime.date.fromisoformat(on)) == band


def test_the_header_may_come_in_any_order_and_case() -> None:
    positions, errors = header_columns([c.upper() for c in reversed(COLUMNS)])
    assert not errors and positions["nhs_number"] == len(COLUMNS) - 1


def test_the_header_names_missing_and_unknown_columns() -> None:
    _, errors = header_columns(["nhs_number", "patient_name"])
    reasons = " ".join(e.reason for e in errors)
    assert "Unknown column 'patient_name'" in reasons and "Missing columns: date_of_birth" in reasons


def test_records_give_the_line_each_starts_on() -> None:
    text = 'a,b\n"two\nlines",x\n\nc,d\n'
    assert [line for line, _ in records(text.splitlines(keepends=True))] == [1, 2, 5]


def test_records_report_where_the_csv_breaks() -> None:
    with pytest.raises(CsvProblem) as problem:
        list(records(["a,b\n", 'x,"y"z\n']))
    assert problem.value.line == 2


def test_a_semicolon_header_sets_the_delimiter() -> None:
    assert delimiter_of("nhs_number;date_of_birth\n") == ";"


def checker() -> RowChecker:
    return RowChecker(columns={c: i for i, c in enumerate(COLUMNS)}, specialties={"obstetrics": 7}, today=TODAY)


def values(**overrides: str) -> list[str]:
    good = {
        "nhs_number": "943 476 5919",
        "date_of_birth": "01/04/1980",
        "admission_date": "2020-01-10",
        "event_type": "Death",
        "event_date": "2020-01-12",
        "specialty": "OBSTETRICS",
        "category": "Maternal death",
        "identification_source": "Family came forward",
        **overrides,
    }
    return [good[c] for c in COLUMNS]


def test_a_good_row_is_read_into_its_stored_shape() -> None:
    row, errors = checker().check(2, values())
    assert not errors and row is not None
    assert (row.nhs_number, row.specialty_id, row.identification_source, row.age_band) == (
        "9434765919",
        7,
        "family",
        "30 to 39",
    )


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("nhs_number", "9434765918", "check digit is wrong"),
        ("nhs_number", "", "Enter the NHS number"),
        ("date_of_birth", "1980-13-01", "must be a real date"),
        ("event_date", "2027-01-01", "cannot be in the future"),
        ("admission_date", "1970-01-01", "cannot be before the date of birth"),
        ("event_type", "illness", "death or incident"),
        ("specialty", "Dentistry", "not in the registry"),
        ("category", "", "Enter the category"),
        ("category", "x" * 101, "100 characters or fewer"),
        ("identification_source", "rumour", "one of the listed values"),
    ],
)
def test_each_bad_field_is_reported_with_its_line_and_reason(field: str, value: str, reason: str) -> None:
    row, errors = checker().check(9, values(**{field: value}))
    assert row is None
    assert [(e.line, e.field) for e in errors] == [(9, field)] and reason in errors[0].reason


def test_a_row_with_the_wrong_number_of_values_is_reported() -> None:
    _, errors = checker().check(3, ["9434765919", "1980-01-01"])
    assert errors[0].line == 3 and "should have 8" in errors[0].reason


def test_bytes_that_are_not_utf8_are_reported_on_their_line() -> None:
    _, errors = checker().check(4, values(category="Caf\ufffd"))
    assert errors[0].line == 4 and "UTF-8" in errors[0].reason
