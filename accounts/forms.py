"""Forms for signing in and managing access. They parse input; services do the writing."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.template import loader
from django.utils.module_loading import import_string
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.form_errors import NHSForm
from accounts.models import Organisation, User


class SignInForm(NHSForm, AuthenticationForm):
    """E-mail and password. Every failure gives the same message, whether or not the account exists."""

    username = forms.EmailField(
        label="E-mail address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"required": "Enter your e-mail address"},
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password"},
    )
    error_messages = {
        "invalid_login": "Enter a correct e-mail address and password.",
        "inactive": "Enter a correct e-mail address and password.",
    }


class ResetForm(NHSForm, PasswordResetForm):
    """Asks for the e-mail address to send a password reset link to. The link is queued for the mail worker, not
    sent while the person waits, so the answer takes as long, and reads the same, whether or not the address has
    an account."""

    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"required": "Enter your e-mail address"},
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        # The outbox stands on a floor above accounts, so settings name the function that queues the mail.
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        queue_mail = import_string(settings.ACCOUNTS_QUEUE_MAIL)
        queue_mail(dedupe_key=f"password-reset:{uuid.uuid4().hex}", to=to_email, subject=subject, body=body)


class NewPasswordForm(NHSForm, SetPasswordForm):
    """The new password, typed twice."""

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].label = "Type the new password again"
        self.fields["new_password2"].error_messages["required"] = "Type the new password again"


class TokenForm(NHSForm):
    """A six-digit code from the authenticator app, or one of the backup codes (letters and numbers, so the
    box asks for text, not a number pad)."""

    token = forms.CharField(
        label="Security code",
        max_length=16,
        help_text="The 6-digit code your authenticator app shows now, or one of your backup codes, such as "
        "k7mq2xwd. Each backup code works once.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
        error_messages={
            "required": "Enter the 6-digit security code from your authenticator app, or a backup code",
            "max_length": "Enter the 6-digit code from your app, or a backup code of 8 letters and numbers",
        },
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


class SetUpForm(NHSForm):
    """Confirms that the new authenticator app works by asking for its current code."""

    token = forms.CharField(
        label="Security code",
        max_length=6,
        min_length=6,
        help_text="Enter the 6-digit code your authenticator app shows now.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the 6-digit security code from your authenticator app",
            "min_length": "Enter the 6-digit security code from your authenticator app",
            "max_length": "Enter the 6-digit security code from your authenticator app",
        },
    )

    def __init__(self, *args: Any, device: TOTPDevice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        if not token.isdigit() or not self.device.verify_token(token):
            raise forms.ValidationError("The security code is not right. Check the time on your phone and try again.")
        return token


class WebhookSubscriptionForm(NHSForm):
    """A new webhook: where to send events, for which organisation, and optionally which verbs only."""

    organisation = forms.ModelChoiceField(label="Organisation", queryset=Organisation.objects.none(), empty_label=None)
    target_url = forms.URLField(
        label="Address",
        max_length=500,
        assume_scheme="https",
        help_text="The https address of your system that accepts the events, such as https://example.nhs.uk/sfr/events",
        widget=forms.URLInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        error_messages={"required": "Enter the https address of your system that accepts the events"},
    )
    verbs = forms.CharField(
        label="Events to send (optional)",
        required=False,
        help_text="Leave empty to send every event you can see, or list the verbs, separated by commas, "
        "such as case.triggered, monthly_report.submitted",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.queryset = organisations  # type: ignore[attr-defined]
        if len(organisations) == 1:
            field.widget = forms.HiddenInput()
            field.initial = organisations[0].pk

    def verb_list(self) -> list[str]:
        return [v.strip() for v in self.cleaned_data["verbs"].replace("\n", ",").split(",") if v.strip()]
