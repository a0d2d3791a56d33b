from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.audit import AccountsVerb, audit_chain_verify, audit_events_for, audit_record
from accounts.models import AuditEvent, Organisation, User
from accounts.request_id import current_request_id
from tests.accounts.tampering import as_table_owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(provider: Organisation, regulator: User) -> list[AuditEvent]:
    return [
        audit_record(
            actor=regulator,
            verb=AccountsVerb.ORGANISATION_UPDATED,
            target=provider,
            before={"name": "Old"},
            after={"name": f"New {n}"},
        )
        for n in range(3)
    ]


def test_it_records_who_what_and_from_what_to_what(provider: Organisation, regulator: User) -> None:
    event = audit_record(
        actor=regulator,
        verb=AccountsVerb.ORGANISATION_UPDATED,
        target=provider,
        before={"name": "Old"},
        after={"name": "New"},
    )
    assert (event.actor, event.organisation, event.verb) == (
        regulator,
        regulator.memberships.get().organisation,
        "organisation.updated",
    )
    assert (event.before, event.after, event.target_id) == ({"name": "Old"}, {"name": "New"}, str(provider.pk))


def test_it_records_the_request_id(provider: Organisation) -> None:
    token = current_request_id.set("req-1234567890")
    try:
        event = audit_record(actor=None, verb=AccountsVerb.ORGANISATION_UPDATED, target=provider)
    finally:
        current_request_id.reset(token)
    assert event.request_id == "req-1234567890"


def test_it_finds_an_intact_chain(events: list[AuditEvent]) -> None:
    report = audit_chain_verify()
    assert report.intact, report.problems
    assert report.checked == AuditEvent.objects.count()


def test_it_detects_an_edited_row(events: list[AuditEvent]) -> None:
    with as_table_owner():
        AuditEvent.objects.filter(pk=events[1].pk).update(after={"name": "Quietly changed"})
    report = audit_chain_verify()
    assert f"Event #{events[1].sequence} was changed after it was recorded." in report.problems


def test_it_detects_a_deleted_row(events: list[AuditEvent]) -> None:
    with as_table_owner():
        AuditEvent.objects.filter(pk=events[1].pk)._raw_delete(connection.alias)
    report = audit_chain_verify()
    assert any("was deleted" in problem for problem in report.problems)


def test_it_detects_deleted_latest_rows(events: list[AuditEvent]) -> None:
    with as_table_owner():
        AuditEvent.objects.filter(pk=events[-1].pk)._raw_delete(connection.alias)
    assert any("latest events were deleted" in p for p in audit_chain_verify().problems)


def test_it_detects_reordered_rows(events: list[AuditEvent]) -> None:
    first, second = events[0], events[1]
    with as_table_owner():
        AuditEvent.objects.filter(pk=first.pk).update(sequence=10_000)
        AuditEvent.objects.filter(pk=second.pk).update(sequence=first.sequence)
        AuditEvent.objects.filter(pk=first.pk).update(sequence=second.sequence)
    assert not audit_chain_verify().intact


def test_it_refuses_to_update_an_event(events: list[AuditEvent]) -> None:
    event = events[0]
    event.verb = "something.else"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


def test_it_refuses_to_delete_an_event(events: list[AuditEvent]) -> None:
    with pytest.raises(ValueError, match="append-only"):
        events[0].delete()


def test_it_lists_the_events_of_an_object_and_its_parts(provider: Organisation, trust_manager: User) -> None:
    verbs = list(audit_events_for(obj=provider).values_list("verb", flat=True))
    assert verbs == ["organisation.created", "membership.created"]


def test_the_command_fails_on_a_broken_chain(events: list[AuditEvent]) -> None:
    with as_table_owner():
        AuditEvent.objects.filter(pk=events[0].pk).update(verb="tampered")
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit_chain")
    assert exit_info.value.code == 1


def test_the_command_reports_an_intact_chain(events: list[AuditEvent], capsys: pytest.CaptureFixture[str]) -> None:
    call_command("verify_audit_chain")
    assert "intact" in capsys.readouterr().out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_chain_when_events_are_recorded_at_once(provider: Organisation) -> None:
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def record() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                audit_record(actor=None, verb=AccountsVerb.ORGANISATION_UPDATED, target=provider)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert audit_chain_verify().intact
