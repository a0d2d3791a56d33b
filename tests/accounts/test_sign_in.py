from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organisation, Role, User
from failure_regime.services.outbox import outbox_flush
from tests.factories import PASSWORD, UserFactory, member

pytestmark = pytest.mark.django_db

STAFF_HOME = reverse("staff-home")
SIGN_IN = reverse("accounts:sign-in")
TWO_FACTOR = reverse("accounts:two-factor")
SET_UP = reverse("accounts:two-factor-set-up")


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enter_password(client: Client, email: str, password: str = PASSWORD):
    return client.post(SIGN_IN, {"username": email, "password": password})


def test_it_asks_for_the_second_factor_after_the_password(trust_manager: User) -> None:
    response = enter_password(Client(), trust_manager.email)
    assert response.status_code == 302
    assert response["Location"].startswith(TWO_FACTOR)


def test_it_refuses_staff_pages_with_only_the_password(trust_manager: User) -> None:
    client = Client()
    enter_password(client, trust_manager.email)
    response = client.get(STAFF_HOME)
    assert response["Location"].startswith(TWO_FACTOR)


def test_it_signs_in_with_the_code_from_the_app(trust_manager: User) -> None:
    client = Client()
    enter_password(client, trust_manager.email)
    device = TOTPDevice.objects.get(user=trust_manager)
    client.post(TWO_FACTOR, {"token": current_code(device)})
    assert client.get(STAFF_HOME).status_code == 200


def test_it_refuses_a_wrong_code(trust_manager: User) -> None:
    client = Client()
    enter_password(client, trust_manager.email)
    response = client.post(TWO_FACTOR, {"token": "000000"})
    assert "The security code is not right" in response.content.decode()
    assert client.get(STAFF_HOME).status_code == 302


def test_a_backup_code_works_only_once(trust_manager: User) -> None:
    device = StaticDevice.objects.create(user=trust_manager, name="Backup codes")
    StaticToken.objects.create(device=device, token="abcd1234")
    first, second = Client(), Client()
    enter_password(first, trust_manager.email)
    first.post(TWO_FACTOR, {"token": "abcd1234"})
    enter_password(second, trust_manager.email)
    second.post(TWO_FACTOR, {"token": "abcd1234"})
    assert (first.get(STAFF_HOME).status_code, second.get(STAFF_HOME).status_code) == (200, 302)


def test_it_sends_a_new_user_to_set_up_the_second_factor(provider: Organisation) -> None:
    user = UserFactory.create()
    response = enter_password(Client(), user.email)
    assert response["Location"].startswith(SET_UP)


def test_setting_up_the_app_confirms_it_and_shows_backup_codes(provider: Organisation) -> None:
    user = UserFactory.create()
    client = Client()
    enter_password(client, user.email)
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SET_UP, {"token": current_code(device)})
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert len(response.context["codes"]) == 10
    assert client.get(STAFF_HOME).status_code == 200


def test_setting_up_refuses_a_wrong_code(provider: Organisation) -> None:
    user = UserFactory.create()
    client = Client()
    enter_password(client, user.email)
    response = client.post(SET_UP, {"token": "123456"})
    assert response.context["form"].errors["token"]
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_the_second_factor_pages_refuse_anonymous_users() -> None:
    assert Client().get(TWO_FACTOR)["Location"].startswith(SIGN_IN)


def test_an_unknown_address_gets_the_same_message_as_a_wrong_password(trust_manager: User) -> None:
    unknown = enter_password(Client(), "nobody@example.org").context["form"].non_field_errors()
    wrong = enter_password(Client(), trust_manager.email, "not-the-password").context["form"].non_field_errors()
    assert unknown == wrong == ["Enter a correct e-mail address and password."]


def test_it_locks_out_after_five_failures_even_with_the_right_password(trust_manager: User) -> None:
    client = Client()
    for _ in range(5):
        enter_password(client, trust_manager.email, "not-the-password")
    response = enter_password(client, trust_manager.email)
    assert response.status_code == 429
    assert "too many attempts" in response.content.decode()


def test_the_lockout_looks_the_same_for_an_unknown_address() -> None:
    client = Client()
    for _ in range(5):
        enter_password(client, "nobody@example.org", "guess")
    response = enter_password(client, "nobody@example.org", "guess")
    assert response.status_code == 429


def test_the_lockout_ends_after_fifteen_minutes(trust_manager: User) -> None:
    client = Client()
    for _ in range(5):
        enter_password(client, trust_manager.email, "not-the-password")
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = enter_password(client, trust_manager.email)
    assert response.status_code == 302


def test_password_reset_says_the_same_for_known_and_unknown_addresses(trust_manager: User) -> None:
    url = reverse("accounts:password-reset")
    known = Client().post(url, {"email": trust_manager.email}, follow=True)
    unknown = Client().post(url, {"email": "nobody@example.org"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert known.content == unknown.content


def test_password_reset_sends_no_mail_while_the_person_waits(trust_manager: User) -> None:
    Client().post(reverse("accounts:password-reset"), {"email": trust_manager.email})
    assert mail.outbox == []


def test_password_reset_mails_only_a_known_address_once_the_outbox_is_sent(trust_manager: User) -> None:
    url = reverse("accounts:password-reset")
    Client().post(url, {"email": trust_manager.email})
    Client().post(url, {"email": "nobody@example.org"})
    outbox_flush()
    assert [m.to for m in mail.outbox] == [[trust_manager.email]]
    assert "/sign-in/password-reset/" in mail.outbox[0].body


def test_the_reset_e_mail_subject_holds_no_personal_data(trust_manager: User) -> None:
    Client().post(reverse("accounts:password-reset"), {"email": trust_manager.email})
    outbox_flush()
    subject = mail.outbox[0].subject
    assert trust_manager.email not in subject and trust_manager.full_name not in subject


def signed_in_client(user: User) -> Client:
    client = Client()
    enter_password(client, user.email)
    client.post(TWO_FACTOR, {"token": current_code(TOTPDevice.objects.get(user=user))})
    return client


def test_it_signs_out_after_thirty_idle_minutes(trust_manager: User) -> None:
    client = signed_in_client(trust_manager)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = client.get(STAFF_HOME)
    assert response["Location"].startswith(SIGN_IN)


def test_activity_keeps_the_session_alive(trust_manager: User) -> None:
    client = signed_in_client(trust_manager)
    start = timezone.now()
    for minutes in (20, 40, 60):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            response = client.get(STAFF_HOME)
    assert response.status_code == 200


def test_it_signs_out_twelve_hours_after_sign_in_despite_activity(trust_manager: User) -> None:
    client = signed_in_client(trust_manager)
    start = timezone.now()
    for minutes in range(20, 12 * 60 + 20, 20):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            response = client.get(STAFF_HOME)
    assert response["Location"].startswith(SIGN_IN)


def test_signing_out_needs_a_post(trust_manager: User) -> None:
    client = signed_in_client(trust_manager)
    assert client.get(reverse("accounts:sign-out")).status_code == 405
    client.post(reverse("accounts:sign-out"))
    assert client.get(STAFF_HOME).status_code == 302


def test_it_does_not_follow_a_next_address_to_another_site(monitor: Organisation) -> None:
    user = member(monitor, Role.OVERSIGHT_LEAD)
    client = Client()
    enter_password(client, user.email)
    response = client.post(
        f"{TWO_FACTOR}?next=https://evil.example/",
        {"token": current_code(TOTPDevice.objects.get(user=user)), "next": "https://evil.example/"},
    )
    assert response["Location"] == STAFF_HOME
