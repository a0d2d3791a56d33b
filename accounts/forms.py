"""Forms for signing in and managing access. They parse input; services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


class SignInForm(AuthenticationForm):
    """E-mail and password. Every failure gives the same message, whether or not the account exists."""

    username = forms.EmailField(
        label="E-mail address", widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"})
    )
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    error_messages = {
        "invalid_login": "Enter a correct e-mail address and password.",
        "inactive": "Enter a correct e-mail address and password.",
    }


class TokenForm(forms.Form):
    """A six-digit code from the authenticator app, or one of the backup codes."""

    token = forms.CharField(
        label="Security code",
        max_length=16,
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.device: Any = None

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "").strip()
        for device in devices_for_user(self.user, confirmed=True):
            allowed, _ = device.verify_is_allowed()
            if allowed and device.verify_token(token):
                self.device = device
                return token
        raise forms.ValidationError("The security code is not right, or it has expired. Try the newest code.")


class SetUpForm(forms.Form):
    """Confirms that the new authenticator app works by asking for its current code."""

    token = forms.CharField(
        label="Security code",
        max_length=6,
        min_length=6,
        help_text="Enter the 6-digit code your authenticator app shows now.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, device: TOTPDevice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        if not token.isdigit() or not self.device.verify_token(token):
            raise forms.ValidationError("The security code is not right. Check the time on your phone and try again.")
        return token
