"""A person's notifications, how they choose to hear of them, and their private calendar address."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import public, staff
from accounts.acting import acting_user
from failure_regime import selectors
from failure_regime.calendar import deadlines_calendar
from failure_regime.forms import NotificationPreferencesForm
from failure_regime.models import STATUTORY_EVENTS, NotificationEvent
from failure_regime.services.clock import deadlines_of
from failure_regime.services.notifications import (
    calendar_feed_create,
    calendar_feed_owner,
    calendar_feed_revoke,
    notification_mark_read,
    notification_preferences,
    notification_preferences_set,
    notifications_mark_all_read,
)

PAGE_SIZE = 25


@staff
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = selectors.notification_list_for_user(user=acting_user(request)).select_related("organisation")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "failure_regime/staff/notification_list.html", {"page": page})


@staff
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Opens a notification: marks it read and goes to where it is acted on. Reading is not a decision, so a
    plain link does it."""
    user = acting_user(request)
    notification = selectors.notification_get_for_user(user=user, pk=pk)
    notification_mark_read(actor=user, notification=notification)
    return redirect(notification.link)


@staff
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    notification = selectors.notification_get_for_user(user=user, pk=pk)
    notification_mark_read(actor=user, notification=notification)
    messages.success(request, f"Marked as read: {notification.title}")
    return redirect(_back_to_list(request))


@staff
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(actor=acting_user(request))
    if count:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    else:
        messages.info(request, "You had no unread notifications.")
    return redirect("regime:notification-list")


def _back_to_list(request: HttpRequest) -> str:
    page = request.POST.get("page", "")
    url = reverse("regime:notification-list")
    return f"{url}?page={page}" if page.isdigit() and page != "1" else url


def _preferences_page(
    request: HttpRequest, form: NotificationPreferencesForm, *, new_calendar_url: str = "", status: int = 200
) -> HttpResponse:
    user = acting_user(request)
    return render(
        request,
        "failure_regime/staff/notification_preferences.html",
        {
            "form": form,
            "statutory": [event for event in NotificationEvent if event.value in STATUTORY_EVENTS],
            "has_calendar": selectors.calendar_feed_is_live(user=user),
            "new_calendar_url": new_calendar_url,
        },
        status=status,
    )


@staff
def notification_preferences_edit(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = NotificationPreferencesForm(request.POST or None, current=notification_preferences(user=user))
    if request.method == "POST":
        if not form.is_valid():
            return _preferences_page(request, form, status=400)
        notification_preferences_set(actor=user, choices=form.choices())
        messages.success(request, "Your choices have been saved.")
        return redirect("regime:notification-preferences")
    return _preferences_page(request, form)


@staff
@require_POST
def calendar_feed_new(request: HttpRequest) -> HttpResponse:
    """Makes a new calendar address and shows it once (it is not kept, so it cannot be shown again)."""
    user = acting_user(request)
    token = calendar_feed_create(actor=user)
    url = request.build_absolute_uri(reverse("calendar-feed", args=[token]))
    form = NotificationPreferencesForm(current=notification_preferences(user=user))
    response = _preferences_page(request, form, new_calendar_url=url)
    response["Cache-Control"] = "private, no-store"
    return response


@staff
@require_POST
def calendar_feed_turn_off(request: HttpRequest) -> HttpResponse:
    if calendar_feed_revoke(actor=acting_user(request)):
        messages.success(request, "Your calendar address has been turned off. Calendars using it will stop updating.")
    else:
        messages.info(request, "You had no calendar address to turn off.")
    return redirect("regime:notification-preferences")


@public
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A person's deadlines as an iCalendar feed. Public in that it takes no sign-in: the secret token in the
    address is the credential, so a wrong or turned-off one is simply not found."""
    owner = calendar_feed_owner(token=token)
    if owner is None:
        raise Http404
    deadlines = deadlines_of(user=owner, deadlines=selectors.deadline_list_for_user(user=owner))
    response = HttpResponse(deadlines_calendar(deadlines=deadlines), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
