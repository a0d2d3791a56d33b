"""What a person may see is read once while the home page gathers their work, afresh everywhere else, and no further
than the query it goes into needs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organisation, User
from failure_regime import selectors
from failure_regime.models import Case, Concern
from failure_regime.work import work_for_user
from tests.failure_regime.conftest import propose


def _grant_reads(queries: list[dict[str, str]]) -> int:
    """The queries that read a person's grants one by one (``selectors._access``), as opposed to a list filtered
    by them (through a subquery, whose tables are aliased)."""
    return sum('"guardian_groupobjectpermission"."object_pk"' in q["sql"] for q in queries)


def test_inside_the_block_the_grants_are_read_once(case: Case, oversight_lead: User) -> None:
    with selectors.access_read_once(oversight_lead), CaptureQueriesContext(connection) as queries:
        first = list(selectors.case_list_for_user(user=oversight_lead))
        again = list(selectors.case_list_for_user(user=oversight_lead))
    assert first == again == [case]
    assert _grant_reads(queries.captured_queries) == 1


def test_outside_the_block_a_new_grant_counts_at_once(
    case: Case, regulator: User, oversight_lead: User, provider: Organisation, concern: Concern
) -> None:
    assert list(selectors.case_list_for_user(user=oversight_lead)) == [case]
    second = propose(regulator, provider, concern, title="A second case")
    assert set(selectors.case_list_for_user(user=oversight_lead)) == {case, second}
    assert not hasattr(oversight_lead, "_access_read_once")


def test_the_home_page_reads_the_grants_once_for_all_its_sources(case: Case, oversight_lead: User) -> None:
    with CaptureQueriesContext(connection) as queries:
        work_for_user(user=oversight_lead)
    assert _grant_reads(queries.captured_queries) == 1
    assert not hasattr(oversight_lead, "_access_read_once")


def test_past_the_keys_a_query_holds_the_grants_are_read_no_further(
    monkeypatch: pytest.MonkeyPatch,
    case: Case,
    regulator: User,
    oversight_lead: User,
    provider: Organisation,
    concern: Concern,
) -> None:
    """Three cases granted to Monitor and room for one key: the case list chooses a subquery and still lists all
    three; where the database takes a limit in each part of a union (PostgreSQL), it reads two grants, no more."""
    monkeypatch.setattr(selectors, "_KEYS_IN_QUERY", 1)
    others = [propose(regulator, provider, concern, title=f"Case {n}") for n in range(2)]
    with CaptureQueriesContext(connection) as queries:
        cases = set(selectors.case_list_for_user(user=oversight_lead))
    assert cases == {case, *others}
    grants = [q["sql"] for q in queries.captured_queries if '"guardian_groupobjectpermission"' in q["sql"]]
    [read] = [sql for sql in grants if "failure_regime_case" not in sql]
    [listed] = [sql for sql in grants if "failure_regime_case" in sql]
    assert '"failure_regime_case"."id" IN (SELECT' in listed
    if connection.features.supports_slicing_ordering_in_compound:
        # Each part (the grants to Monitor's group, and to the person) stops one past the keys a query holds.
        assert read.count("LIMIT 2)") == 2
