"""Tampering with the audit trail by someone with the database owner's rights: what the database refuses, and what
verification finds with the keyed chain and the anchor files outside the database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from accounts.audit import (
    ANCHOR_DIRECTORY,
    GENESIS_HASH,
    AccountsVerb,
    _event_hash,
    audit_anchor_write,
    audit_chain_verify,
    audit_record,
)
from accounts.checks import audit_chain_key_set
from accounts.models import AuditAnchor, AuditChainHead, AuditEvent, Organisation, User
from accounts.tasks import anchor_audit_chain
from tests.accounts.tampering import anchor_files, as_table_owner

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_anchor_files")]
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is on PostgreSQL only")


@pytest.fixture
def events(provider: Organisation, regulator: User) -> list[AuditEvent]:
    return [
        audit_record(actor=regulator, verb=AccountsVerb.ORGANISATION_UPDATED, target=provider, after={"n": n})
        for n in range(5)
    ]


def _unkeyed_hash(event: AuditEvent) -> str:
    """The hash of the application's own unkeyed (version 1) scheme, which anyone can compute."""
    version, event.hash_version = event.hash_version, 1
    try:
        return _event_hash(event)
    finally:
        event.hash_version = version


def _rechain(*, from_sequence: int, hash: Callable[[AuditEvent], str], hash_version: int | None = None) -> None:
    """Rebuilds the chain from ``from_sequence`` on, as a forger would after an edit, and moves the head."""
    before = AuditEvent.objects.filter(sequence=from_sequence - 1).first()
    previous = before.hash if before else GENESIS_HASH
    with as_table_owner():
        for event in AuditEvent.objects.filter(sequence__gte=from_sequence).order_by("sequence"):
            event.previous_hash = previous
            event.hash_version = hash_version or event.hash_version
            previous = hash(event)
            AuditEvent.objects.filter(pk=event.pk).update(
                previous_hash=event.previous_hash, hash_version=event.hash_version, hash=previous
            )
    last = AuditEvent.objects.order_by("-sequence").first()
    AuditChainHead.objects.filter(pk=1).update(sequence=last.sequence if last else 0, hash=previous)


def _edit(event: AuditEvent) -> None:
    with as_table_owner():
        AuditEvent.objects.filter(pk=event.pk).update(after={"n": "quietly changed"})


# --- What verification finds ---------------------------------------------------------------------------------


def test_it_finds_an_intact_chain_against_its_anchor(events: list[AuditEvent]) -> None:
    audit_anchor_write()
    report = audit_chain_verify()
    assert report.intact, report.problems
    assert report.anchor is not None and report.anchor.sequence == events[-1].sequence


def test_it_detects_the_latest_events_deleted_and_the_head_moved_back(events: list[AuditEvent]) -> None:
    audit_anchor_write()
    with as_table_owner():
        AuditEvent.objects.filter(sequence__gt=events[2].sequence)._raw_delete(connection.alias)
    AuditChainHead.objects.filter(pk=1).update(sequence=events[2].sequence, hash=events[2].hash)
    problems = audit_chain_verify().problems
    assert any(f"Event #{events[-1].sequence}, anchored at" in p and "is missing" in p for p in problems), problems


def test_it_cannot_see_that_truncation_without_an_anchor(events: list[AuditEvent]) -> None:
    # Why the anchors exist: the chain alone cannot tell a shortened chain from a young one.
    with as_table_owner():
        AuditEvent.objects.filter(sequence__gt=events[2].sequence)._raw_delete(connection.alias)
    AuditChainHead.objects.filter(pk=1).update(sequence=events[2].sequence, hash=events[2].hash)
    assert audit_chain_verify().intact


def test_it_detects_an_edit_rehashed_with_the_unkeyed_hash(events: list[AuditEvent]) -> None:
    _edit(events[1])
    _rechain(from_sequence=events[1].sequence, hash=_unkeyed_hash)
    assert f"Event #{events[1].sequence} was changed after it was recorded." in audit_chain_verify().problems


def test_it_detects_an_edit_rehashed_as_if_every_event_were_unkeyed(events: list[AuditEvent]) -> None:
    audit_anchor_write()
    _edit(events[1])
    _rechain(from_sequence=1, hash=_unkeyed_hash, hash_version=1)
    problems = audit_chain_verify().problems
    assert problems == [
        f"Event #{events[-1].sequence} is not the event anchored at {_anchored_at()}: the chain was rewritten."
    ]


def test_it_detects_later_events_downgraded_to_the_unkeyed_hash(events: list[AuditEvent]) -> None:
    _edit(events[3])
    _rechain(from_sequence=events[3].sequence, hash=_unkeyed_hash, hash_version=1)
    problems = audit_chain_verify().problems
    assert f"Event #{events[3].sequence} claims an older kind of hash than the event before it." in problems


def test_it_detects_a_deleted_event_with_the_rest_renumbered_and_rehashed(events: list[AuditEvent]) -> None:
    audit_anchor_write()
    with as_table_owner():
        AuditEvent.objects.filter(pk=events[1].pk)._raw_delete(connection.alias)
        for event in AuditEvent.objects.filter(sequence__gt=events[1].sequence).order_by("sequence"):
            AuditEvent.objects.filter(pk=event.pk).update(sequence=event.sequence - 1)
    _rechain(from_sequence=1, hash=_unkeyed_hash, hash_version=1)
    problems = audit_chain_verify().problems
    assert any(f"Event #{events[-1].sequence}, anchored at" in p for p in problems), problems


def test_it_detects_an_edit_rehashed_by_someone_holding_the_key(events: list[AuditEvent]) -> None:
    audit_anchor_write()
    _edit(events[1])
    _rechain(from_sequence=events[1].sequence, hash=_event_hash)
    problems = audit_chain_verify().problems
    assert any("the chain was rewritten" in p for p in problems), problems


def test_it_still_verifies_events_hashed_before_the_chain_was_keyed(
    events: list[AuditEvent], provider: Organisation
) -> None:
    _rechain(from_sequence=1, hash=_unkeyed_hash, hash_version=1)  # as the migration left them
    audit_record(actor=None, verb=AccountsVerb.ORGANISATION_UPDATED, target=provider)
    assert audit_chain_verify().intact


def test_it_reports_an_anchor_file_not_signed_with_the_key(events: list[AuditEvent]) -> None:
    forged = {"sequence": 10**6, "head_hash": "f" * 64, "event_count": 10**6, "created_at": "2026-01-01T00:00:00+00:00"}
    forged["signature"] = hashlib.sha256(json.dumps(forged).encode()).hexdigest()
    default_storage.save(f"{ANCHOR_DIRECTORY}/{10**6:020d}.json", ContentFile(json.dumps(forged).encode()))
    assert (
        f"The anchor file {10**6:020d}.json is not signed with the audit chain's key." in audit_chain_verify().problems
    )


def test_the_command_fails_on_a_truncated_chain(events: list[AuditEvent]) -> None:
    from django.core.management import call_command

    audit_anchor_write()
    with as_table_owner():
        AuditEvent.objects.filter(pk=events[-1].pk)._raw_delete(connection.alias)
    AuditChainHead.objects.filter(pk=1).update(sequence=events[-2].sequence, hash=events[-2].hash)
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit_chain")
    assert exit_info.value.code == 1


def _anchored_at() -> str:
    anchor = AuditAnchor.objects.get()
    return f"{anchor.created_at:%d %B %Y %H:%M} UTC"


# --- What the database refuses -------------------------------------------------------------------------------


@on_postgresql
def test_the_database_refuses_to_update_an_event(events: list[AuditEvent]) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=events[0].pk).update(verb="tampered")


@on_postgresql
def test_the_database_refuses_to_delete_an_event(events: list[AuditEvent]) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditevent WHERE id = %s", [events[-1].pk])


@on_postgresql
def test_the_database_still_accepts_new_events(events: list[AuditEvent], provider: Organisation) -> None:
    audit_record(actor=None, verb=AccountsVerb.ORGANISATION_UPDATED, target=provider)
    assert audit_chain_verify().intact


# --- Anchors ------------------------------------------------------------------------------------------------


def test_the_anchor_task_writes_one_anchor_however_often_it_runs(events: list[AuditEvent]) -> None:
    anchor_audit_chain()
    anchor_audit_chain()
    assert (AuditAnchor.objects.count(), anchor_files()) == (1, [f"{events[-1].sequence:020d}.json"])


def test_the_anchor_file_is_signed_with_the_key(events: list[AuditEvent]) -> None:
    anchor_audit_chain()
    report = audit_chain_verify()
    assert report.anchor is not None and report.anchor.is_signed()
    assert report.anchor.head_hash == events[-1].hash


def test_the_anchor_task_anchors_new_events(events: list[AuditEvent], provider: Organisation) -> None:
    anchor_audit_chain()
    latest = audit_record(actor=None, verb=AccountsVerb.ORGANISATION_UPDATED, target=provider)
    assert anchor_audit_chain() == latest.sequence
    assert len(anchor_files()) == 2


def test_the_anchor_survives_its_row_being_deleted(events: list[AuditEvent]) -> None:
    anchor_audit_chain()
    AuditAnchor.objects.all().delete()
    with as_table_owner():
        AuditEvent.objects.filter(pk=events[-1].pk)._raw_delete(connection.alias)
    AuditChainHead.objects.filter(pk=1).update(sequence=events[-2].sequence, hash=events[-2].hash)
    assert not audit_chain_verify().intact


def test_it_does_not_anchor_a_broken_chain(events: list[AuditEvent]) -> None:
    anchor_audit_chain()
    _edit(events[1])
    _rechain(from_sequence=events[1].sequence, hash=_event_hash)
    assert anchor_audit_chain() is None


def test_beat_anchors_the_chain(settings: Any) -> None:
    assert settings.CELERY_BEAT_SCHEDULE["anchor-audit-chain"]["task"] == anchor_audit_chain.name


# --- The key ------------------------------------------------------------------------------------------------


def test_the_deployment_check_warns_without_a_key(settings: Any) -> None:
    settings.AUDIT_CHAIN_KEY = ""
    assert [message.id for message in audit_chain_key_set(None)] == ["accounts.W001"]


def test_the_deployment_check_is_quiet_with_a_key(settings: Any) -> None:
    settings.AUDIT_CHAIN_KEY = "k" * 64
    assert audit_chain_key_set(None) == []


def test_another_key_breaks_every_keyed_event(events: list[AuditEvent], settings: Any) -> None:
    settings.AUDIT_CHAIN_KEY = "another-key"
    assert f"Event #{events[0].sequence} was changed after it was recorded." in audit_chain_verify().problems


# --- The staff page -----------------------------------------------------------------------------------------

URL = reverse("accounts:audit-integrity")


def test_national_oversight_sees_the_anchors(
    national: User, events: list[AuditEvent], client_for: Callable[[User], Client]
) -> None:
    audit_anchor_write()
    response = client_for(national).get(URL)
    assert response.status_code == 200
    assert AuditAnchor.objects.get() in response.context["anchors"]


def test_an_administrator_checks_the_trail(
    administrator: User,
    events: list[AuditEvent],
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    browser = client_for(administrator)
    with django_capture_on_commit_callbacks(execute=True):  # the queued check runs, as a worker would run it
        browser.post(URL)
    assert "The audit trail is intact" in browser.get(URL).text


def test_the_check_shows_a_changed_trail(
    administrator: User,
    events: list[AuditEvent],
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    _edit(events[1])
    browser = client_for(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(URL)
    assert f"Event #{events[1].sequence} was changed after it was recorded." in browser.get(URL).text


def test_a_trust_manager_may_not_check_the_trail(trust_manager: User, client_for: Callable[[User], Client]) -> None:
    assert client_for(trust_manager).post(URL).status_code == 403


def test_a_regulator_may_not_see_the_anchors(regulator: User, client_for: Callable[[User], Client]) -> None:
    assert client_for(regulator).get(URL).status_code == 403


def test_the_public_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))
