"""Signing in: password first, then a second factor (set up on first sign-in), and signing out."""

from __future__ import annotations

import base64
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp import user_has_device

from accounts import services
from accounts.access import public, signed_in_with_password
from accounts.acting import acting_user
from accounts.forms import NewPasswordForm, ResetForm, SetUpForm, SignInForm, TokenForm


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/public/sign_in.html"
    redirect_authenticated_user = False

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        super().form_valid(form)
        user = form.get_user()
        step = "accounts:two-factor" if user_has_device(user) else "accounts:two-factor-set-up"
        next_url = self.get_redirect_url()
        query = f"?{urlencode({'next': next_url})}" if next_url else ""
        return redirect(resolve_url(step) + query)


sign_in = public(sensitive_post_parameters("password")(SignInView.as_view()))


@signed_in_with_password
@never_cache
def two_factor(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not user_has_device(user):
        return redirect("accounts:two-factor-set-up")
    form = TokenForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.device)
        return redirect(_safe_next(request))
    return render(request, "accounts/public/two_factor.html", {"form": form, "next": request.GET.get("next", "")})


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return image.to_string(encoding="unicode")


@signed_in_with_password
@never_cache
def two_factor_set_up(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if user_has_device(user):
        return redirect("accounts:two-factor")
    device = services.second_factor_device_pending(user=user)
    form = SetUpForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        codes = services.second_factor_confirm(user=user, device=device)
        otp_login(request, device)
        return render(request, "accounts/public/backup_codes.html", {"codes": codes, "next": _safe_next(request)})
    context: dict[str, Any] = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": _base32(device.bin_key),
        "next": request.GET.get("next", ""),
    }
    return render(request, "accounts/public/two_factor_set_up.html", context)


def _base32(key: bytes) -> str:
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


sign_out = public(auth_views.LogoutView.as_view())


def locked_out(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Axes calls this after too many failures. The message is the same whether or not the account exists."""
    context = {"form": SignInForm(request), "locked_out": True}
    return render(request, "accounts/public/sign_in.html", context, status=429)


password_reset = public(
    auth_views.PasswordResetView.as_view(
        template_name="accounts/public/password_reset.html",
        form_class=ResetForm,
        email_template_name="accounts/email/password_reset.txt",
        subject_template_name="accounts/email/password_reset_subject.txt",
        success_url="/sign-in/password-reset/sent/",
    )
)
password_reset_sent = public(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/public/password_reset_sent.html")
)
password_reset_confirm = public(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/public/password_reset_confirm.html",
        form_class=NewPasswordForm,
        success_url="/sign-in/password-reset/complete/",
    )
)
password_reset_complete = public(
    auth_views.PasswordResetCompleteView.as_view(template_name="accounts/public/password_reset_complete.html")
)
