"""Open data gives dates as ISO 8601: days as 2026-12-04, moments as 2026-12-04T09:30:00Z, the same in JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from communications.models import Notice
from failure_regime.dates import iso_moment
from failure_regime.models import Episode
from tests.failure_regime import test_special_measures as measures

pytestmark = pytest.mark.django_db

# ``provider``'s special measures episode, entered 40 days ago.
episode = measures.episode

MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def json_rows(client: Client, name: str, key: str) -> list[dict[str, object]]:
    return json.loads(client.get(reverse(name)).content)[key]


def csv_rows(client: Client, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(client.get(reverse(name)).content.decode())))


def test_it_writes_a_moment_in_utc_with_a_t_and_a_z() -> None:
    summer = datetime(2026, 7, 1, 10, 30, 15, 123456, tzinfo=ZoneInfo("Europe/London"))
    assert iso_moment(summer) == "2026-07-01T09:30:15Z"


def test_it_leaves_a_missing_moment_empty() -> None:
    assert iso_moment(None) is None


def test_the_notices_csv_gives_moments_in_iso_8601(client: Client, published: Notice) -> None:
    [row] = csv_rows(client, "communications:open-data-csv")
    assert MOMENT.match(row["published_at"]) and MOMENT.match(row["last_updated_at"])


def test_the_notices_json_and_csv_give_the_same_moments(client: Client, published: Notice) -> None:
    [from_json] = json_rows(client, "communications:open-data-json", "notices")
    [from_csv] = csv_rows(client, "communications:open-data-csv")
    assert (from_json["published_at"], from_json["last_updated_at"]) == (
        from_csv["published_at"],
        from_csv["last_updated_at"],
    )


def test_the_register_gives_days_in_iso_8601_in_json_and_csv(client: Client, episode: Episode) -> None:
    [from_json] = json_rows(client, "communications:special-measures-json", "episodes")
    [from_csv] = csv_rows(client, "communications:special-measures-csv")
    assert DAY.match(str(from_json["entered_on"])) and from_json["entered_on"] == from_csv["entered_on"]
    assert from_csv["entered_on"] == episode.entered_on.isoformat()
