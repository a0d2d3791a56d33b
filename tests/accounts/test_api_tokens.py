"""API tokens: kept as a digest, valid for API_TOKEN_DAYS, one per person, shown once, revocable only by their owner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient
from time_machine import TimeMachineFixture

from accounts import services
from accounts.models import AuditEvent, User

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
ME = "/api/v1/me/"
PAGE = reverse("accounts:api-token")
REVOKE = reverse("accounts:api-token-revoke")
# 9:30 on 1 June 2026 in London (summer time); 90 days later is 30 August, still summer time.
JUNE_FIRST = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)


def api_status(key: str) -> int:
    """What the API answers a request made with ``key``."""
    return APIClient().get(ME, HTTP_AUTHORIZATION=f"Token {key}").status_code


# --- Storage ---------------------------------------------------------------------------------------------------


def test_it_keeps_only_a_digest_of_the_key(trust_manager: User) -> None:
    key = services.api_token_issue(actor=trust_manager).key
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")  # noqa: S608 - a table name from the model
        rows = cursor.fetchall()
    assert len(rows) == 1 and not any(key in str(column) for column in rows[0])


def test_it_never_writes_the_key_to_the_audit_trail(trust_manager: User) -> None:
    key = services.api_token_issue(actor=trust_manager).key
    event = AuditEvent.objects.get(verb="api_token.issued")
    assert key not in f"{event.before} {event.after} {event.target_label}"


# --- Issuing ---------------------------------------------------------------------------------------------------


def test_the_key_works_once_issued(trust_manager: User) -> None:
    key = services.api_token_issue(actor=trust_manager).key
    response = APIClient().get(ME, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200 and response.json()["email"] == trust_manager.email


def test_a_token_lasts_90_days_from_when_it_was_made(trust_manager: User, time_machine: TimeMachineFixture) -> None:
    time_machine.move_to(JUNE_FIRST, tick=False)
    issued = services.api_token_issue(actor=trust_manager)
    assert (issued.created, issued.expiry) == (JUNE_FIRST, JUNE_FIRST + timedelta(days=90))


def test_a_second_issue_revokes_the_first(trust_manager: User) -> None:
    first = services.api_token_issue(actor=trust_manager).key
    second = services.api_token_issue(actor=trust_manager).key
    assert (api_status(first), api_status(second)) == (401, 200)


def test_a_person_has_one_token_at_a_time(trust_manager: User) -> None:
    services.api_token_issue(actor=trust_manager)
    services.api_token_issue(actor=trust_manager)
    assert AuthToken.objects.filter(user=trust_manager).count() == 1


def test_issuing_for_one_person_leaves_anothers_token_working(trust_manager: User, other_trust_manager: User) -> None:
    mine = services.api_token_issue(actor=trust_manager).key
    services.api_token_issue(actor=other_trust_manager)
    assert api_status(mine) == 200


def test_issuing_is_audited_with_the_expiry(trust_manager: User, time_machine: TimeMachineFixture) -> None:
    time_machine.move_to(JUNE_FIRST, tick=False)
    services.api_token_issue(actor=trust_manager)
    event = AuditEvent.objects.get(verb="api_token.issued")
    assert (event.actor, event.target_id) == (trust_manager, str(trust_manager.pk))
    assert event.after == {"expiry": "2026-08-30T08:30:00Z", "replaced_earlier_token": False}


def test_a_replacement_is_audited_as_one(trust_manager: User) -> None:
    services.api_token_issue(actor=trust_manager)
    services.api_token_issue(actor=trust_manager)
    event = AuditEvent.objects.filter(verb="api_token.issued").latest("sequence")
    assert event.after["replaced_earlier_token"] is True


# --- Refusals --------------------------------------------------------------------------------------------------


def test_an_expired_token_is_refused(trust_manager: User, time_machine: TimeMachineFixture) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    issued = services.api_token_issue(actor=trust_manager)
    time_machine.move_to(issued.expiry + timedelta(seconds=1), tick=False)
    assert api_status(issued.key) == 401


def test_a_token_still_works_on_its_last_day(trust_manager: User, time_machine: TimeMachineFixture) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    issued = services.api_token_issue(actor=trust_manager)
    time_machine.move_to(issued.expiry - timedelta(minutes=1), tick=False)
    assert api_status(issued.key) == 200


def test_using_a_token_does_not_extend_it(trust_manager: User, time_machine: TimeMachineFixture) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    issued = services.api_token_issue(actor=trust_manager)
    time_machine.shift(timedelta(days=30))
    api_status(issued.key)
    assert AuthToken.objects.get(user=trust_manager).expiry == issued.expiry


def test_a_revoked_token_is_refused(trust_manager: User) -> None:
    key = services.api_token_issue(actor=trust_manager).key
    services.api_token_revoke(actor=trust_manager)
    assert api_status(key) == 401


def test_an_unknown_token_is_refused(trust_manager: User) -> None:
    services.api_token_issue(actor=trust_manager)
    assert api_status("0" * 64) == 401


def test_a_token_of_a_deactivated_account_is_refused(trust_manager: User) -> None:
    key = services.api_token_issue(actor=trust_manager).key
    User.objects.filter(pk=trust_manager.pk).update(is_active=False)
    assert api_status(key) == 401


def test_a_token_that_is_not_text_is_refused_not_a_server_error() -> None:
    response = APIClient().get(ME, HTTP_AUTHORIZATION="Token \xff\xfe")
    assert response.status_code == 401


def test_the_public_is_told_to_send_a_token(client: Client) -> None:
    response = client.get(ME)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_the_schema_documents_the_token_header(client: Client) -> None:
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert (scheme["in"], scheme["name"]) == ("header", "Authorization") and '"Token"' in scheme["description"]


# --- Revoking --------------------------------------------------------------------------------------------------


def test_revoking_is_audited(trust_manager: User) -> None:
    services.api_token_issue(actor=trust_manager)
    services.api_token_revoke(actor=trust_manager)
    event = AuditEvent.objects.get(verb="api_token.revoked")
    assert (event.actor, event.target_id) == (trust_manager, str(trust_manager.pk))


def test_revoking_without_a_token_changes_nothing(trust_manager: User) -> None:
    assert services.api_token_revoke(actor=trust_manager) is False
    assert not AuditEvent.objects.filter(verb="api_token.revoked").exists()


# --- The API access page ---------------------------------------------------------------------------------------


def test_the_page_shows_the_key_only_on_the_response_that_made_it(client_for: ClientFor, trust_manager: User) -> None:
    client = client_for(trust_manager)
    created = client.post(PAGE)
    reloaded = client.get(PAGE)
    key = created.context["new_key"]
    assert key in created.content.decode() and key not in reloaded.content.decode()


def test_the_key_the_page_shows_works(client_for: ClientFor, trust_manager: User) -> None:
    key = client_for(trust_manager).post(PAGE).context["new_key"]
    assert api_status(key) == 200


def test_the_page_shows_when_the_token_was_made_and_when_it_stops_working(
    client_for: ClientFor, trust_manager: User, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(JUNE_FIRST, tick=False)
    services.api_token_issue(actor=trust_manager)
    page = client_for(trust_manager).get(PAGE).content.decode()
    assert "1 June 2026, 09:30" in page and "30 August 2026, 09:30" in page


def test_the_page_says_when_a_token_has_expired(
    client_for: ClientFor, trust_manager: User, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    issued = services.api_token_issue(actor=trust_manager)
    time_machine.move_to(issued.expiry + timedelta(days=1), tick=False)
    response = client_for(trust_manager).get(PAGE)
    assert response.context["token"].expired and "Your token has expired" in response.content.decode()


def test_the_page_offers_to_revoke_a_working_token(client_for: ClientFor, trust_manager: User) -> None:
    services.api_token_issue(actor=trust_manager)
    assert f'action="{REVOKE}"' in client_for(trust_manager).get(PAGE).content.decode()


def test_the_page_offers_no_revoke_without_a_token(client_for: ClientFor, trust_manager: User) -> None:
    assert f'action="{REVOKE}"' not in client_for(trust_manager).get(PAGE).content.decode()


def test_the_page_revokes_my_token(client_for: ClientFor, trust_manager: User) -> None:
    key = services.api_token_issue(actor=trust_manager).key
    response = client_for(trust_manager).post(REVOKE)
    assert response["Location"] == PAGE and api_status(key) == 401


def test_the_page_refuses_the_public(client: Client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))


def test_someone_signed_out_cannot_revoke_a_token(client: Client, trust_manager: User) -> None:
    key = services.api_token_issue(actor=trust_manager).key
    response = client.post(REVOKE)
    assert response["Location"].startswith(reverse("accounts:sign-in")) and api_status(key) == 200


def test_another_person_cannot_revoke_my_token(
    client_for: ClientFor, trust_manager: User, other_trust_manager: User
) -> None:
    key = services.api_token_issue(actor=trust_manager).key
    client_for(other_trust_manager).post(REVOKE)
    assert api_status(key) == 200


def test_revoking_answers_only_a_post(client_for: ClientFor, trust_manager: User) -> None:
    key = services.api_token_issue(actor=trust_manager).key
    response = client_for(trust_manager).get(REVOKE)
    assert response.status_code == 405 and api_status(key) == 200


# --- The command -----------------------------------------------------------------------------------------------


def test_the_command_prints_a_working_key(trust_manager: User) -> None:
    out = StringIO()
    call_command("issue_api_token", trust_manager.email, stdout=out, stderr=StringIO())
    assert api_status(out.getvalue().strip()) == 200
