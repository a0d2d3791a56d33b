"""Array literals carry any text, and NULLs, to PostgreSQL exactly as given."""

from __future__ import annotations

import pytest
from django.db import connection

from failure_regime.pg_arrays import number_array, text_array

pytestmark = pytest.mark.django_db

AWKWARD = [
    'Say "no"',
    "back\\slash",
    "a, b",
    "{braces}",
    "NULL",
    "",
    "  spaced  ",
    "line one\nline two\ttab",
    "Ward 3's report: 'today'",
    "Łódź — café ✓",
    None,
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's array input")
def test_text_comes_back_as_it_went() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT unnest(%s::text[])", [text_array(AWKWARD)])
        assert [row[0] for row in cursor.fetchall()] == AWKWARD


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's array input")
def test_numbers_and_empty_arrays_come_back_as_they_went() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint[], %s::text[]", [number_array([1, None, 2**40]), text_array([])])
        assert cursor.fetchone() == ([1, None, 2**40], [])


def test_the_literal_quotes_every_value() -> None:
    assert text_array(["a", None, 'b"c\\']) == '{"a",NULL,"b\\"c\\\\"}'
    assert number_array([3, None]) == "{3,NULL}"
