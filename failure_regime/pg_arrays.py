"""Thousands of values as one PostgreSQL parameter.

psycopg2 sends a Python list as ``ARRAY[v1, v2, ...]``, one constant per value, which the server parses one by one:
for the clock's sweep (tens of thousands of reminders, each with a title, link and mail body) that parsing was
half the time of its inserts. The same values as one array literal (``'{...}'``) are read by PostgreSQL's
array input at once, in about half the time. Cast the parameter in the SQL (``%s::text[]``).
"""

from __future__ import annotations

from collections.abc import Iterable


def text_array(values: Iterable[str | None]) -> str:
    """An array literal of text values (None for NULL), each quoted, so any character PostgreSQL's text can hold
    may appear (it cannot hold NUL, which the driver refuses)."""
    return "{" + ",".join("NULL" if v is None else _quoted(v) for v in values) + "}"


def number_array(values: Iterable[int | None]) -> str:
    """An array literal of whole numbers (None for NULL)."""
    return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
