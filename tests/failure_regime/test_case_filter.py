"""The case list's filters: the party filter finds the cases an organisation is a party to, each once, with a
subquery rather than a join and DISTINCT (which made PostgreSQL sort every case)."""

# The fixtures are imported by name, so test arguments share their names.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.http import QueryDict

from accounts.models import Organisation
from failure_regime.filters import CaseFilter
from failure_regime.models import Case, CaseParty
from tests.failure_regime.conftest import case, concern  # noqa: F401

pytestmark = pytest.mark.django_db


def _filtered(**values: object) -> CaseFilter:
    data = QueryDict(mutable=True)
    data.update({name: str(value) for name, value in values.items()})
    return CaseFilter(data, queryset=Case.objects.all())


def test_the_party_filter_finds_the_cases_of_a_party_once(case: Case, monitor: Organisation, cqc: Organisation) -> None:
    assert CaseParty.objects.filter(case=case).count() > 1
    assert list(_filtered(party=monitor.pk).qs) == [case]
    assert list(_filtered(party=cqc.pk).qs) == [case]
    assert list(_filtered().qs) == [case]


def test_an_organisation_that_is_no_party_finds_nothing(case: Case, other_provider: Organisation) -> None:
    filtered = _filtered(party=other_provider.pk)
    assert filtered.is_valid() and list(filtered.qs) == []


def test_the_case_list_query_has_no_distinct(case: Case, monitor: Organisation) -> None:
    for filtered in (_filtered(), _filtered(party=monitor.pk, status="proposed", region="london")):
        assert "DISTINCT" not in str(filtered.qs.query).upper()
