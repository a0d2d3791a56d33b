"""One rule decides whether a notice is public. ``Notice.is_public``, the ORM's ``public_notices()`` and every read
written out in SQL (the public site's state, the unfiltered list, the other notices a notice page links to) give the
same answer for every status and every publication time the model allows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from communications.models import (
    LIVE_STATUSES,
    UNPUBLISHED_STATUSES,
    Notice,
    NoticeStatus,
    NoticeVersion,
    VersionStatus,
)
from communications.public_cache import public_site_changed, public_site_state
from communications.selectors.notices import public_notice_page, public_notices, public_summaries_page
from failure_regime.models import Case
from tests.communications.conftest import published_notice

pytestmark = pytest.mark.django_db

# When the notice goes (or went) public, from now: a day ago, in a day, or not set.
WHEN: dict[str, timedelta | None] = {"past": -timedelta(days=1), "future": timedelta(days=1), "unset": None}


def allowed(status: str, when: str) -> bool:
    """Whether the database allows a notice in ``status`` with that publication time: a published notice always
    has one and a notice never published has none. A status in neither set is tried with every time."""
    if WHEN[when] is None:
        return status not in LIVE_STATUSES
    return status not in UNPUBLISHED_STATUSES


def forced(notice: Notice, *, status: str, publish_at: datetime | None, by: User) -> Notice:
    """``notice``, a first draft, put straight into ``status`` with ``publish_at``, with what the database requires
    of that state: a published version once there is a publication time, and who withdrew it, when and why."""
    fields: dict[str, object] = {"status": status, "publish_at": publish_at}
    if publish_at is not None:
        version = notice.versions.get()
        NoticeVersion.objects.filter(pk=version.pk).update(
            status=VersionStatus.PUBLISHED, approved_at=publish_at, published_at=publish_at
        )
        fields.update(published_version=version, last_updated_at=publish_at)
    if status == NoticeStatus.WITHDRAWN:
        fields.update(withdrawn_at=timezone.now(), withdrawn_by=by, withdrawal_reason="Replaced by a later notice.")
    Notice.objects.filter(pk=notice.pk).update(**fields)
    public_site_changed()
    notice.refresh_from_db()
    return notice


@pytest.mark.parametrize(
    ("status", "when"),
    [
        pytest.param(status, when, id=f"{status}-{when}")
        for status in NoticeStatus.values
        for when in WHEN
        if allowed(status, when)
    ],
)
def test_every_public_read_agrees_with_is_public(
    status: str, when: str, draft: Notice, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    offset = WHEN[when]
    notice = forced(draft, status=status, publish_at=None if offset is None else timezone.now() + offset, by=comms_lead)
    answers = {
        "public_notices": public_notices().filter(pk=notice.pk).exists(),
        "site state": public_site_state().public == 1,
        "summaries page": notice.pk in [row["pk"] for row in public_summaries_page(offset=0, limit=10)],
    }
    # Another public notice of the case, whose page lists the notice among the case's others if it is public.
    other = published_notice(triggered_case, comms_officer, comms_lead)
    answers["other notice's page"] = notice.pk in [related.pk for related in public_notice_page(pk=other.pk).related]
    assert answers == dict.fromkeys(answers, notice.is_public())
