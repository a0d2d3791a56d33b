"""Staff pages for an organisation's webhooks: list, set up, rotate the secret, disable, and the delivery log.

Only the organisation's administrators and managers see them; another organisation's webhook is not found."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, webhooks
from accounts.access import staff
from accounts.acting import acting_user
from accounts.forms import WebhookSubscriptionForm
from accounts.interface import run_service
from accounts.models import WebhookSubscription


@staff
def webhook_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    context = {
        "subscriptions": selectors.webhook_subscription_list_for_user(user=user),
        "can_create": selectors.webhook_organisations_for_user(user=user).exists(),
    }
    return render(request, "accounts/staff/webhook_list.html", context)


def _secret_page(request: HttpRequest, subscription: WebhookSubscription, *, heading: str) -> HttpResponse:
    # Shown on this response only: no page displays an existing secret again.
    return render(request, "accounts/staff/webhook_secret.html", {"subscription": subscription, "heading": heading})


@staff
@never_cache
@require_http_methods(["GET", "POST"])
def webhook_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    organisations = selectors.webhook_organisations_for_user(user=user)
    if not organisations.exists():
        raise PermissionDenied("Only an organisation's administrators and managers can set up its webhooks.")
    form = WebhookSubscriptionForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        subscription = run_service(
            form,
            lambda: webhooks.webhook_subscription_create(
                actor=user,
                organisation=form.cleaned_data["organisation"],
                target_url=form.cleaned_data["target_url"],
                verbs=form.verb_list(),
            ),
        )
        if subscription is not None:
            return _secret_page(request, subscription, heading="Webhook set up")
    return render(request, "accounts/staff/webhook_form.html", {"form": form}, status=400 if form.errors else 200)


@staff
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = selectors.webhook_subscription_get_for_user(user=acting_user(request), pk=pk)
    deliveries = selectors.webhook_delivery_log(subscription=subscription)
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/staff/webhook_detail.html", {"subscription": subscription, "page": page})


@staff
@never_cache
@require_POST
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    subscription = selectors.webhook_subscription_get_for_user(user=user, pk=pk)
    subscription = webhooks.webhook_secret_rotate(actor=user, subscription=subscription)
    return _secret_page(request, subscription, heading="New secret made")


@staff
@require_POST
def webhook_disable(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    subscription = selectors.webhook_subscription_get_for_user(user=user, pk=pk)
    if subscription.is_active:
        webhooks.webhook_subscription_disable(actor=user, subscription=subscription)
        messages.success(request, "The webhook is disabled. Nothing more will be sent to it.")
    return redirect("accounts:webhook-detail", pk=subscription.pk)
