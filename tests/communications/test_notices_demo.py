"""The demo notices: a plan and notices in every public state on a case every party agreed to, added once."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from communications.demo.notices import CASE_TITLE, seed
from communications.models import CommunicationsPlan, Notice, NoticeKind, NoticeStatus
from failure_regime.demo import seed_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded() -> None:
    seed_demo()
    seed()


def test_it_publishes_three_notices_and_embargoes_a_fourth(seeded: None) -> None:
    assert Notice.objects.public().count() == 3
    assert Notice.objects.get(kind=NoticeKind.PROGRESS_UPDATE).is_embargoed()


def test_it_publishes_a_correction_and_a_joint_statement_approved_by_every_party(seeded: None) -> None:
    joint = Notice.objects.get(kind=NoticeKind.JOINT_STATEMENT)
    assert Notice.objects.get(kind=NoticeKind.GUIDANCE).status == NoticeStatus.CORRECTED
    assert joint.published_version is not None and joint.published_version.approvals.count() == 3


def test_it_writes_a_plan(seeded: None) -> None:
    assert CommunicationsPlan.objects.get(case__title=CASE_TITLE).items.count() == 3


def test_running_it_twice_changes_nothing(seeded: None) -> None:
    counts = (Notice.objects.count(), AuditEvent.objects.count())
    seed()
    assert (Notice.objects.count(), AuditEvent.objects.count()) == counts
