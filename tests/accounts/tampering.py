"""How the tests change the audit trail behind the service's back, as a person with the database owner's rights
could: on PostgreSQL they first switch off the trigger that refuses updates and deletes (the owner may). And the
anchor files written outside the database, which the tests read and clear."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.storage import default_storage
from django.db import connection

from accounts.audit import ANCHOR_DIRECTORY

TRIGGER = "accounts_auditevent_append_only"


@contextmanager
def as_table_owner() -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    # PostgreSQL will not alter a table with foreign key checks still pending in the transaction: run them first.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE accounts_auditevent DISABLE TRIGGER {TRIGGER}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE accounts_auditevent ENABLE TRIGGER {TRIGGER}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def anchor_files() -> list[str]:
    """The names of the anchor files in storage, oldest first."""
    try:
        return sorted(default_storage.listdir(ANCHOR_DIRECTORY)[1])
    except FileNotFoundError:
        return []


def anchor_files_delete() -> None:
    for name in anchor_files():
        default_storage.delete(f"{ANCHOR_DIRECTORY}/{name}")
