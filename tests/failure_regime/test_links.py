"""Paths built for many records at once are the paths ``reverse`` gives one by one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from failure_regime.links import provider_page_paths


@pytest.mark.parametrize("ods_code", ["RXX", "Y0101", "A81001", "Z9Z9Z9"])
def test_a_providers_page_is_reversed_once_for_all(ods_code: str) -> None:
    assert provider_page_paths()(ods_code) == reverse("provider-public", args=[ods_code])
