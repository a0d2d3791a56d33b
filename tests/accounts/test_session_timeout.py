"""The idle sign-out (WCAG 2.2.1): a way to stay signed in, and nothing typed is lost when a session has ended."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.unsent import UNSENT_WORK
from failure_regime.models import Case
from tests.conftest import sign_in
from tests.failure_regime import conftest as regime

pytestmark = pytest.mark.django_db

# The case of the regime's tests, about ``provider``.
case, concern = regime.case, regime.concern

STAY = reverse("accounts:stay-signed-in")
UNSENT = reverse("accounts:unsent-work")
TERMS = "Review every case of harm since 2015, and the board's response."


def terms_url(case: Case) -> str:
    return reverse("regime:case-terms", args=[case.pk])


# --- Staying signed in ---------------------------------------------------------------------------------------


def test_it_starts_the_idle_clock_again_when_asked(regulator: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in(Client(), regulator)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        response = client.post(STAY, HTTP_ACCEPT="application/json")
        assert response.status_code == 200
        assert response.json() == {"seconds_left": 30 * 60}
    # 31 minutes after signing in, but only 2 after staying signed in: still signed in.
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert client.get(reverse("staff-home")).status_code == 200


def test_it_sends_a_plain_form_back_to_its_page(regulator: User) -> None:
    client = sign_in(Client(), regulator)
    response = client.post(STAY, {"next": "/staff/cases/"})
    assert response.status_code == 302 and response["Location"] == "/staff/cases/"
    response = client.post(STAY, {"next": "https://elsewhere.example/"})
    assert response["Location"] == reverse("staff-home")


def test_it_cannot_bring_back_a_session_that_has_ended(regulator: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in(Client(), regulator)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.post(STAY, HTTP_ACCEPT="application/json")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign-in"))


def test_it_answers_only_posts_from_people_signed_in(client: Client, regulator: User) -> None:
    assert client.post(STAY).status_code == 302
    assert sign_in(Client(), regulator).get(STAY).status_code == 405


def test_it_tells_the_page_how_long_the_session_has(regulator: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in(Client(), regulator)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        html = client.get(reverse("staff-home")).content.decode()
    assert f'data-seconds-left="{30 * 60 - 30}"' in html
    assert 'src="/static/js/session-timeout.mjs"' in html


# --- Nothing typed is lost -----------------------------------------------------------------------------------


def post_after_the_session_ended(case: Case, user: User, data: Mapping[str, object]) -> tuple[Client, object]:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in(Client(), user)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.post(
            terms_url(case), data, HTTP_REFERER=f"http://testserver/staff/cases/{case.pk}/", HTTP_HOST="testserver"
        )
    return client, response


def test_it_keeps_a_form_sent_after_the_session_ended_and_restores_it_after_sign_in(
    case: Case, regulator: User
) -> None:
    client, response = post_after_the_session_ended(case, regulator, {"text": TERMS})
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == f"{reverse('accounts:sign-in')}?next={UNSENT}"  # type: ignore[index]
    assert not case.terms_versions.filter(text=TERMS).exists()

    sign_in(client, regulator)
    page = client.get(UNSENT)
    html = unescape(page.content.decode())
    assert TERMS in html
    assert f'action="{terms_url(case)}"' in html
    assert f'<input type="hidden" name="text" value="{TERMS}">' in html
    assert f'href="/staff/cases/{case.pk}/"' in html

    # Sending it again goes through the page's own rules, and the kept copy is forgotten.
    response = client.post(terms_url(case), {"text": TERMS})
    assert response.status_code == 302
    assert case.terms_versions.filter(text=TERMS).exists()
    assert UNSENT_WORK not in client.session
    assert "Nothing is waiting to be sent" in client.get(UNSENT).content.decode()


def test_it_never_keeps_passwords_codes_or_files(case: Case, regulator: User) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "text": TERMS,
        "password": "hunter2hunter2",
        "otp_token": "123456",
        "evidence": SimpleUploadedFile("a.pdf", b"%PDF-1.4"),
    }
    client, _ = post_after_the_session_ended(case, regulator, data)
    kept = client.session[UNSENT_WORK]
    assert [name for name, _ in kept["fields"]] == ["text"]
    assert kept["files_left_out"] is True
    sign_in(client, regulator)
    assert "Files are never kept" in client.get(UNSENT).content.decode()


def test_it_shows_what_was_kept_to_no_one_else(case: Case, regulator: User, oversight_lead: User) -> None:
    client, _ = post_after_the_session_ended(case, regulator, {"text": TERMS})
    sign_in(client, oversight_lead)
    assert TERMS not in client.get(UNSENT).content.decode()


def test_it_forgets_what_was_kept_after_an_hour(case: Case, regulator: User) -> None:
    client, _ = post_after_the_session_ended(case, regulator, {"text": TERMS})
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        sign_in(client, regulator)
        assert TERMS not in client.get(UNSENT).content.decode()


def test_it_discards_what_was_kept_when_asked(case: Case, regulator: User) -> None:
    client, _ = post_after_the_session_ended(case, regulator, {"text": TERMS})
    sign_in(client, regulator)
    assert client.post(UNSENT).status_code == 302
    assert UNSENT_WORK not in client.session
    assert not case.terms_versions.filter(text=TERMS).exists()
