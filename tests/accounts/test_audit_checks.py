"""The staff audit trail page: in the menu of those who may use it; checks of the whole chain run in the background
(hourly, and when someone asks with the page's button) and the page shows the last result; anchor files are
write-once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import audit
from accounts.audit import (
    ANCHOR_DIRECTORY,
    AccountsVerb,
    audit_anchor_write,
    audit_check_request,
    audit_check_run,
    audit_checks_due,
    audit_record,
)
from accounts.models import AuditCheck, AuditCheckStatus, AuditEvent, Organisation, User
from accounts.storage import WriteOnceFileSystemStorage
from accounts.tasks import anchor_audit_chain
from failure_regime import settings as project_settings
from failure_regime.models import Notification, NotificationEvent, OutboxMessage
from tests.accounts.tampering import as_table_owner

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_anchor_files")]

URL = reverse("accounts:audit-integrity")
# The project's own storages (the tests' settings replace them).
PROJECT_STORAGES = cast(dict[str, dict[str, Any]], project_settings.STORAGES)
ClientFor = Callable[[User], Client]


@pytest.fixture
def events(provider: Organisation, regulator: User) -> list[AuditEvent]:
    return [
        audit_record(actor=regulator, verb=AccountsVerb.ORGANISATION_UPDATED, target=provider, after={"n": n})
        for n in range(3)
    ]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The checks sent to a worker, which does not run them."""
    calls: list[int] = []
    monkeypatch.setattr("accounts.tasks.check_audit_chain.delay", calls.append)
    return calls


@pytest.fixture
def no_check_in_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("The chain was checked in the request.")

    monkeypatch.setattr(audit, "audit_chain_verify", refuse)


def edit(event: AuditEvent) -> None:
    with as_table_owner():
        AuditEvent.objects.filter(pk=event.pk).update(after={"n": "quietly changed"})


def checked(administrator: User) -> AuditCheck:
    """A check asked for by the administrator and run, as a worker runs it."""
    check, _ = audit_check_request(actor=administrator)
    result = audit_check_run(check_id=check.pk)
    assert result is not None
    return result


# --- (a) The menu ---------------------------------------------------------------------------------------------


def test_an_administrator_finds_the_page_in_the_menu(client_for: ClientFor, administrator: User) -> None:
    html = client_for(administrator).get(reverse("staff-home")).text
    assert f'href="{URL}"' in html


def test_national_oversight_finds_the_page_in_the_menu(client_for: ClientFor, national: User) -> None:
    assert f'href="{URL}"' in client_for(national).get(reverse("staff-home")).text


def test_a_regulator_does_not_find_it_in_the_menu(client_for: ClientFor, regulator: User) -> None:
    assert f'href="{URL}"' not in client_for(regulator).get(reverse("staff-home")).text


def test_the_menu_marks_the_page_as_current(client_for: ClientFor, administrator: User) -> None:
    assert 'aria-current="page">Audit trail</a>' in client_for(administrator).get(URL).text


# --- (b) The page shows the last check and runs none itself ---------------------------------------------------


def test_the_page_says_when_the_trail_has_not_been_checked(
    client_for: ClientFor, administrator: User, no_check_in_the_request: None
) -> None:
    assert "The audit trail has not been checked yet." in client_for(administrator).get(URL).text


def test_the_page_shows_the_last_result_and_when_it_ran(
    client_for: ClientFor, administrator: User, events: list[AuditEvent]
) -> None:
    with time_machine.travel(timezone.make_aware(datetime(2026, 3, 9, 14, 5)), tick=False):
        checked(administrator)
    html = client_for(administrator).get(URL).text
    assert "The audit trail is intact" in html and "9 March 2026 at 14:05" in html


def test_the_page_shows_where_the_chain_broke(
    client_for: ClientFor, administrator: User, events: list[AuditEvent]
) -> None:
    edit(events[1])
    checked(administrator)
    html = client_for(administrator).get(URL).text
    assert f"Event #{events[1].sequence} was changed after it was recorded." in html


def test_the_page_runs_no_check_even_with_checks_waiting(
    client_for: ClientFor, administrator: User, no_check_in_the_request: None, sent: list[int]
) -> None:
    audit_check_request(actor=administrator)
    assert "A check is waiting to start" in client_for(administrator).get(URL).text


def test_the_button_queues_a_check_and_runs_none_in_the_request(
    client_for: ClientFor,
    administrator: User,
    no_check_in_the_request: None,
    sent: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(administrator).post(URL)
    check = AuditCheck.objects.get()
    assert (response.status_code, response["Location"]) == (302, URL)
    assert (check.status, check.requested_by, sent) == (AuditCheckStatus.QUEUED, administrator, [check.pk])


def test_asking_for_a_check_is_audited(client_for: ClientFor, administrator: User, sent: list[int]) -> None:
    client_for(administrator).post(URL)
    event = AuditEvent.objects.get(verb=AccountsVerb.AUDIT_CHECK_REQUESTED)
    assert (event.actor, event.target_id) == (administrator, str(AuditCheck.objects.get().pk))


def test_asking_twice_queues_one_check(client_for: ClientFor, administrator: User, sent: list[int]) -> None:
    browser = client_for(administrator)
    browser.post(URL)
    browser.post(URL)
    assert AuditCheck.objects.count() == 1


def test_the_button_needs_the_csrf_token(administrator: User, sent: list[int]) -> None:
    from tests.conftest import sign_in

    browser = sign_in(Client(enforce_csrf_checks=True), administrator)
    assert browser.post(URL).status_code == 403 and not AuditCheck.objects.exists()


def test_a_trust_manager_may_not_ask_for_a_check(client_for: ClientFor, trust_manager: User, sent: list[int]) -> None:
    assert client_for(trust_manager).post(URL).status_code == 403 and not AuditCheck.objects.exists()


def test_the_public_may_not_ask_for_a_check(client: Client, sent: list[int]) -> None:
    response = client.post(URL)
    assert response.status_code == 302 and not AuditCheck.objects.exists()


# --- (b) The check itself, in the background ------------------------------------------------------------------


def test_a_check_records_how_many_events_it_checked_against_which_anchor(
    administrator: User, events: list[AuditEvent]
) -> None:
    audit_anchor_write()
    check = checked(administrator)
    assert (check.status, check.intact, check.anchor_sequence) == (AuditCheckStatus.DONE, True, events[-1].sequence)
    assert check.events_checked == AuditEvent.objects.count()


def test_a_check_records_where_the_chain_broke(administrator: User, events: list[AuditEvent]) -> None:
    edit(events[1])
    check = checked(administrator)
    assert (check.intact, check.problem_count) == (False, 1)
    assert check.problems == [f"Event #{events[1].sequence} was changed after it was recorded."]


@pytest.mark.django_db(transaction=True)
def test_a_check_run_by_a_worker_outside_any_transaction_finds_the_chain_intact(
    administrator: User, events: list[AuditEvent], sent: list[int]
) -> None:
    # A worker runs it in its own transaction, over one snapshot (on PostgreSQL, a repeatable read).
    assert checked(administrator).intact is True


def test_a_check_runs_once_however_often_it_is_sent(administrator: User, sent: list[int]) -> None:
    check = checked(administrator)
    assert audit_check_run(check_id=check.pk) is None


def test_a_check_that_cannot_finish_says_so(
    client_for: ClientFor, administrator: User, monkeypatch: pytest.MonkeyPatch, sent: list[int]
) -> None:
    check, _ = audit_check_request(actor=administrator)

    def crash() -> None:
        raise OSError("The anchor storage is unreachable.")

    monkeypatch.setattr(audit, "audit_chain_verify", crash)
    with pytest.raises(OSError):
        audit_check_run(check_id=check.pk)
    check.refresh_from_db()
    assert check.status == AuditCheckStatus.FAILED
    assert "The last check could not finish" in client_for(administrator).get(URL).text


# --- (c2) Who is told when a check finds the trail changed ---------------------------------------------------------


def told(event: str = NotificationEvent.AUDIT_CHAIN_BROKEN) -> dict[str, list[str]]:
    """Who has been told of ``event``: for each person's e-mail, the titles, in order."""
    found: dict[str, list[str]] = {}
    for email, title in Notification.objects.filter(event=event).order_by("pk").values_list("user__email", "title"):
        found.setdefault(email, []).append(title)
    return found


def test_a_broken_chain_is_told_to_administrators_and_national_oversight(
    administrator: User, national: User, regulator: User, events: list[AuditEvent]
) -> None:
    edit(events[1])
    checked(administrator)
    assert set(told()) == {administrator.email, national.email}


def test_the_message_says_how_many_problems_and_the_first(
    administrator: User, events: list[AuditEvent], client_for: ClientFor
) -> None:
    edit(events[1])
    checked(administrator)
    notification = Notification.objects.get(event=NotificationEvent.AUDIT_CHAIN_BROKEN)
    assert notification.title == "The audit trail check found 1 problem: the trail may have been changed"
    assert f"Event #{events[1].sequence} was changed after it was recorded." in notification.body
    assert client_for(administrator).get(notification.link).status_code == 200


def test_the_message_is_mailed_at_once(administrator: User, events: list[AuditEvent]) -> None:
    edit(events[1])
    checked(administrator)
    [mail] = OutboxMessage.objects.filter(to=administrator.email)
    assert "audit trail" in mail.subject


def test_an_intact_chain_tells_nobody(administrator: User, national: User, events: list[AuditEvent]) -> None:
    checked(administrator)
    assert told() == {}


def test_a_trail_that_stays_broken_is_told_once(administrator: User, events: list[AuditEvent]) -> None:
    edit(events[1])
    checked(administrator)
    checked(administrator)
    assert len(told()[administrator.email]) == 1


def test_a_further_change_is_told_again(administrator: User, events: list[AuditEvent]) -> None:
    edit(events[1])
    checked(administrator)
    edit(events[2])
    checked(administrator)
    assert [title[:40] for title in told()[administrator.email]] == [
        "The audit trail check found 1 problem: t",
        "The audit trail check found 2 problems: ",
    ]


def test_a_trail_broken_again_after_a_clean_check_is_told_again(administrator: User, events: list[AuditEvent]) -> None:
    edit(events[1])
    checked(administrator)
    with as_table_owner():
        AuditEvent.objects.filter(pk=events[1].pk).update(after=events[1].after)  # put back as it was
    assert checked(administrator).intact is True
    edit(events[1])
    checked(administrator)
    assert len(told()[administrator.email]) == 2


def test_the_hourly_run_checks_the_chain(events: list[AuditEvent]) -> None:
    anchor_audit_chain()
    check = AuditCheck.objects.get()
    assert (check.requested_by, check.status, check.intact) == (None, AuditCheckStatus.DONE, True)


def test_the_hourly_run_sends_a_check_left_waiting_instead_of_making_another(
    administrator: User, sent: list[int]
) -> None:
    check, _ = audit_check_request(actor=administrator)  # its message never reached a worker
    assert audit_checks_due() == [check.pk]


def test_the_hourly_run_takes_up_a_check_whose_worker_died(administrator: User, sent: list[int]) -> None:
    check, _ = audit_check_request(actor=administrator)
    AuditCheck.objects.filter(pk=check.pk).update(status=AuditCheckStatus.RUNNING, started_at=timezone.now())
    assert audit_checks_due() == []
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert audit_checks_due() == [check.pk]
        assert audit_check_run(check_id=check.pk) is not None


# --- (c) Anchor files are write-once ---------------------------------------------------------------------------


@pytest.fixture
def anchor_storage(settings: Any, tmp_path: Path) -> WriteOnceFileSystemStorage:
    """The ``audit_anchors`` alias, as the project's settings make it, in a folder of the test's own."""
    backend = PROJECT_STORAGES["audit_anchors"]["BACKEND"]
    settings.STORAGES = {
        **settings.STORAGES,
        "audit_anchors": {"BACKEND": backend, "OPTIONS": {"location": str(tmp_path)}},
    }
    storage = storages["audit_anchors"]
    assert isinstance(storage, WriteOnceFileSystemStorage)
    return storage


def test_the_project_stores_anchors_write_once() -> None:
    assert PROJECT_STORAGES["audit_anchors"]["BACKEND"] == "accounts.storage.WriteOnceFileSystemStorage"


def test_the_storage_refuses_to_write_over_a_file(tmp_path: Path) -> None:
    storage = WriteOnceFileSystemStorage(location=str(tmp_path))
    storage.save("anchor.json", ContentFile(b"first"))
    with pytest.raises(FileExistsError):
        storage.save("anchor.json", ContentFile(b"second"))
    assert (tmp_path / "anchor.json").read_bytes() == b"first"


def test_the_storage_refuses_a_name_taken_while_it_was_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two saves at once: the other wrote the file after this one found the name free, before it wrote.
    storage = WriteOnceFileSystemStorage(location=str(tmp_path))
    looked = iter([False])
    monkeypatch.setattr(storage, "exists", lambda name: next(looked, True))
    (tmp_path / "anchor.json").write_bytes(b"first")
    with pytest.raises(FileExistsError):
        storage.save("anchor.json", ContentFile(b"second"))
    assert (tmp_path / "anchor.json").read_bytes() == b"first"


def test_the_storage_refuses_to_delete_a_file(tmp_path: Path) -> None:
    storage = WriteOnceFileSystemStorage(location=str(tmp_path))
    storage.save("anchor.json", ContentFile(b"first"))
    with pytest.raises(PermissionError):
        storage.delete("anchor.json")


def test_anchors_go_to_the_write_once_storage(
    anchor_storage: WriteOnceFileSystemStorage, events: list[AuditEvent]
) -> None:
    audit_anchor_write()
    assert anchor_storage.exists(f"{ANCHOR_DIRECTORY}/{events[-1].sequence:020d}.json")


@pytest.fixture
def written_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another run writes its anchor file after this run looked for the latest anchor and before it writes its own."""
    monkeypatch.setattr(audit, "_latest_anchor", lambda report: None)


def test_an_anchor_is_never_written_over_a_file_of_its_name(
    anchor_storage: WriteOnceFileSystemStorage, events: list[AuditEvent], written_meanwhile: None
) -> None:
    name = f"{ANCHOR_DIRECTORY}/{events[-1].sequence:020d}.json"
    anchor_storage.save(name, ContentFile(b"planted"))
    assert audit_anchor_write() is None
    assert Path(anchor_storage.path(name)).read_bytes() == b"planted"


def test_an_anchor_written_meanwhile_by_another_run_is_kept(
    anchor_storage: WriteOnceFileSystemStorage, events: list[AuditEvent], written_meanwhile: None
) -> None:
    first = audit_anchor_write()
    name = f"{ANCHOR_DIRECTORY}/{events[-1].sequence:020d}.json"
    written = Path(anchor_storage.path(name)).read_bytes()
    assert audit_anchor_write() == first
    assert Path(anchor_storage.path(name)).read_bytes() == written


def test_without_the_alias_an_anchor_is_never_written_over_either(
    events: list[AuditEvent], written_meanwhile: None
) -> None:
    name = f"{ANCHOR_DIRECTORY}/{events[-1].sequence:020d}.json"
    default_storage.save(name, ContentFile(b"planted"))
    assert audit_anchor_write() is None
    with default_storage.open(name) as file:
        assert file.read() == b"planted"
