"""Fixtures shared by the accounts tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.accounts.tampering import anchor_files_delete


@pytest.fixture
def no_anchor_files() -> Iterator[None]:
    """No anchor file before or after the test: the storage outlives each test's transaction, and anchors of
    rolled-back events must not reach the next test."""
    anchor_files_delete()
    yield
    anchor_files_delete()
