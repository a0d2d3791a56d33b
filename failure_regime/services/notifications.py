"""Telling people of events: the in-service notification list, mail at once or in a daily digest, and preferences.

Every app tells people through one function, called by its service inside the service's own transaction::

    notify(
        event=NotificationEvent.REPORT_ACCEPTED,
        recipients=trust_managers,     # any iterable of users; inactive ones and repeats are skipped
        title=f"Monthly report for {provider.name}, March 2026, accepted",  # also the mail subject
        link=reverse("regime:report-detail", args=[report.pk]),             # a path on this site
        key=f"report:{report.pk}:accepted",                                 # the occurrence
        about=report,                  # optional: the object it is about
        organisation=provider,         # optional: which of the person's organisations it is for
        body="One plain paragraph for the mail and the list.",             # optional
    )

- One ``Notification`` per distinct active recipient per ``(event, key)``. Calling again with the same key (a
  retried task, a repeated request) creates nothing and mails nothing, so choose a key that names the
  occurrence: the object and, if the same thing can happen to it twice, what distinguishes the second time.
- It writes in the caller's transaction: if the caller rolls back, nobody is told. Mail is queued in the outbox
  and leaves once, after commit.
- Each person chooses, per event, between mail at once (the default), a daily digest, or no mail (the
  notification is still listed in the service). Events in ``STATUTORY_EVENTS`` are always mailed at once.
- Titles become mail subjects: name the thing (case reference and provider, notice title), never a person or
  anything a family told us. The mail links to ``SITE_URL`` + ``link``.
- It returns the recipients' notifications for this occurrence, whether made now or by an earlier call.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Organisation, User
from failure_regime.dates import long_date
from failure_regime.models import (
    STATUTORY_EVENTS,
    CalendarFeed,
    Delivery,
    Notification,
    NotificationEvent,
    NotificationPreference,
    OutboxMessage,
)
from failure_regime.pg_arrays import number_array, text_array
from failure_regime.services.outbox import Mail, outbox_enqueue
from failure_regime.verbs import NotificationVerb


def _check_link(link: str) -> None:
    # Opening a notification redirects to its link, so it must stay on this site.
    if not link.startswith("/") or link.startswith("//") or "\\" in link:
        raise ValueError(f"A notification links to a path on this site, not {link!r}.")


def _preferred(*, user_ids: Iterable[int], event: str) -> dict[int, str]:
    return dict(
        NotificationPreference.objects.filter(user_id__in=list(user_ids), event=event).values_list(
            "user_id", "delivery"
        )
    )


def delivery_for(*, event: str, chosen: str | None) -> str:
    """How a notification of ``event`` is delivered to someone who chose ``chosen`` (None: never chose)."""
    if event in STATUTORY_EVENTS or chosen is None:
        return Delivery.IMMEDIATE
    return chosen


def notification_mail(*, notification: Notification, user: User) -> Mail:
    """The one mail that carries a notification, keyed on the notification so it is queued once."""
    lines = [f"Hello {user.get_short_name()},", "", notification.title]
    if notification.body:
        lines += ["", notification.body]
    lines += [
        "",
        f"See it here: {settings.SITE_URL}{notification.link}",
        "",
        f"Choose how you hear about this: {settings.SITE_URL}{reverse('regime:notification-preferences')}",
    ]
    return Mail(
        dedupe_key=f"notification:{notification.pk}",
        to=user.email,
        subject=notification.title,
        body="\n".join(lines) + "\n",
    )


def notify(
    *,
    event: str,
    recipients: Iterable[User],
    title: str,
    link: str,
    key: str,
    about: models.Model | None = None,
    organisation: Organisation | None = None,
    body: str = "",
) -> list[Notification]:
    """Tells each active recipient of ``event`` once per ``key``, and queues the mail of those who hear at once.
    Idempotent; runs in the caller's transaction; a fixed number of queries whatever the number of recipients."""
    if event not in NotificationEvent.values:
        raise ValueError(f"Unknown notification event {event!r}.")
    _check_link(link)
    people = {user.pk: user for user in recipients if user.is_active}
    if not people:
        return []
    now = timezone.now()
    statutory = event in STATUTORY_EVENTS
    chosen = {} if statutory else _preferred(user_ids=people, event=event)
    about_type = ContentType.objects.get_for_model(about) if about is not None else None
    with transaction.atomic():
        already = set(
            Notification.objects.filter(user_id__in=list(people), event=event, key=key).values_list(
                "user_id", flat=True
            )
        )
        drafts = []
        for user_id in people:
            if user_id in already:
                continue
            delivery = delivery_for(event=event, chosen=chosen.get(user_id))
            drafts.append(
                Notification(
                    user_id=user_id,
                    event=event,
                    title=title[:200],
                    body=body,
                    link=link,
                    organisation=organisation,
                    about_type=about_type,
                    about_id=about.pk if about is not None else None,
                    key=key,
                    statutory=statutory,
                    delivery=delivery,
                    emailed_at=now if delivery == Delivery.IMMEDIATE else None,
                )
            )
        if not drafts:
            return list(Notification.objects.filter(user_id__in=list(people), event=event, key=key))
        Notification.objects.bulk_create(drafts, ignore_conflicts=True)
        found = list(Notification.objects.filter(user_id__in=list(people), event=event, key=key))
        # A notification another transaction made meanwhile may be mailed here too: its outbox key is the
        # notification's, so the outbox keeps one.
        outbox_enqueue(
            messages=[
                notification_mail(notification=n, user=people[n.user_id])
                for n in found
                if n.user_id not in already and n.delivery == Delivery.IMMEDIATE
            ]
        )
    return found


@dataclass(frozen=True, slots=True)
class Told:
    """One person to tell of one occurrence, whose mail the caller sends itself (the deadline clock). Ids rather
    than instances, since the clock lists tens of thousands at once."""

    user_id: int
    event: str
    title: str
    link: str
    key: str
    about_type_id: int | None = None
    about_id: int | None = None


def notifications_record_mailed(*, told: list[Told]) -> int:
    """Lists notifications whose mail the caller queues itself, as already mailed: the clock's reminders, which
    are statutory and mailed at once. One insert whatever the number; repeats are skipped. Returns how many
    were offered."""
    if not told:
        return 0
    now = timezone.now()
    for link in {item.link for item in told}:
        _check_link(link)
    columns: dict[str, list[Any]] = {
        "user_id": [item.user_id for item in told],
        "event": [item.event for item in told],
        "title": [item.title[:200] for item in told],
        "link": [item.link for item in told],
        "about_type_id": [item.about_type_id for item in told],
        "about_id": [item.about_id for item in told],
        "key": [item.key for item in told],
        "statutory": [item.event in STATUTORY_EVENTS for item in told],
    }
    if connection.vendor == "postgresql":
        _insert_mailed_postgresql(columns, now)
    else:
        rows = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
        Notification.objects.bulk_create(
            [Notification(**row, delivery=Delivery.IMMEDIATE, emailed_at=now) for row in rows],
            ignore_conflicts=True,
        )
    return len(told)


def _insert_mailed_postgresql(columns: dict[str, list[Any]], now: datetime) -> None:
    """One INSERT from arrays: the clock may list tens of thousands of reminders in one sweep, and building a
    model instance and a parameter list for each is most of the cost of ``bulk_create``."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    types = ["bigint[]", "text[]", "text[]", "text[]", "integer[]", "bigint[]", "text[]", "boolean[]"]
    arrays = ", ".join(f"%s::{t}" for t in types)
    literals = [
        text_array(["t" if v else "f" for v in values])
        if kind == "boolean[]"
        else text_array(values)
        if kind == "text[]"
        else number_array(values)
        for kind, values in zip(types, columns.values(), strict=True)
    ]
    sql = (
        f"INSERT INTO {quote(Notification._meta.db_table)} "  # noqa: S608 - fixed names
        f"({names}, body, delivery, created_at, emailed_at) "
        f"SELECT *, '', %s, %s, %s FROM unnest({arrays}) "
        "ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Delivery.IMMEDIATE.value, now, now, *literals])


# --- Reading them ---------------------------------------------------------------------------------------


def notification_mark_read(*, actor: User, notification: Notification) -> bool:
    """Marks one of the actor's notifications read. False if it was read already (or is not theirs)."""
    return bool(
        Notification.objects.filter(pk=notification.pk, user=actor, read_at__isnull=True).update(read_at=timezone.now())
    )


def notifications_mark_all_read(*, actor: User) -> int:
    """Marks every unread notification of the actor read. Returns how many."""
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(read_at=timezone.now())


# --- Preferences ----------------------------------------------------------------------------------------


@transaction.atomic
def notification_preferences_set(*, actor: User, choices: dict[str, str]) -> int:
    """Saves how the actor wants to hear of each event. Statutory events cannot be changed and are left out;
    an unknown event or delivery is refused. Returns how many choices were saved."""
    for event, delivery in choices.items():
        if event not in NotificationEvent.values or delivery not in Delivery.values:
            raise ValueError(f"Unknown choice {event!r}: {delivery!r}.")
    wanted = {event: delivery for event, delivery in choices.items() if event not in STATUTORY_EVENTS}
    if not wanted:
        return 0
    before = dict(
        NotificationPreference.objects.filter(user=actor, event__in=list(wanted)).values_list("event", "delivery")
    )
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user=actor, event=event, delivery=delivery) for event, delivery in wanted.items()],
        update_conflicts=True,
        unique_fields=["user", "event"],
        update_fields=["delivery", "updated_at"],
    )
    audit_record(actor=actor, verb=NotificationVerb.PREFERENCES_CHANGED, target=actor, before=before, after=wanted)
    return len(wanted)


def notification_preferences(*, user: User) -> dict[str, str]:
    """How the user hears of every event, statutory ones included (always at once)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("event", "delivery"))
    return {event: delivery_for(event=event, chosen=chosen.get(event)) for event in NotificationEvent.values}


# --- The daily digest -----------------------------------------------------------------------------------


def _digest_mail(*, user: User, day: date, notifications: list[Notification]) -> Mail:
    count = len(notifications)
    lines = [
        f"Hello {user.get_short_name()},",
        "",
        f"{count} update{'s' if count != 1 else ''} since your last summary:",
    ]
    for notification in notifications:
        lines += ["", f"- {notification.title}", f"  {settings.SITE_URL}{notification.link}"]
    lines += [
        "",
        f"All your notifications: {settings.SITE_URL}{reverse('regime:notification-list')}",
        f"Choose how you hear about each: {settings.SITE_URL}{reverse('regime:notification-preferences')}",
    ]
    return Mail(
        dedupe_key=f"digest:{user.pk}:{day.isoformat()}",
        to=user.email,
        subject=f"{settings.SERVICE_NAME}: your daily summary for {long_date(day)}",
        body="\n".join(lines) + "\n",
    )


@transaction.atomic
def notification_digest_send(*, user: User, now: datetime | None = None) -> int:
    """Queues the user's one digest of the day, of their unread "daily" notifications, and marks every one they
    had waiting as digested. Safe to run twice at once: the rows are locked, and a second run finds them
    digested; a run later the same day leaves new ones for tomorrow's digest. Returns how many were mailed."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    waiting = list(
        Notification.objects.select_for_update()
        .filter(user=user, delivery=Delivery.DAILY, digested_at__isnull=True, created_at__lte=now)
        .order_by("created_at", "pk")
    )
    if not waiting:
        return 0
    key = f"digest:{user.pk}:{day.isoformat()}"
    if OutboxMessage.objects.filter(dedupe_key=key).exists():
        return 0
    Notification.objects.filter(pk__in=[n.pk for n in waiting], digested_at__isnull=True).update(digested_at=now)
    unread = [n for n in waiting if n.read_at is None]
    if unread:
        outbox_enqueue(messages=[_digest_mail(user=user, day=day, notifications=unread)])
    return len(unread)


def notification_digests_send(*, now: datetime | None = None) -> int:
    """Sends the day's digest to everyone with "daily" notifications waiting, each in its own transaction so
    locks are held briefly. Returns how many people were mailed."""
    now = now or timezone.now()
    user_ids = set(
        Notification.objects.filter(
            delivery=Delivery.DAILY, digested_at__isnull=True, created_at__lte=now, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    mailed = 0
    for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
        mailed += bool(notification_digest_send(user=user, now=now))
    return mailed


# --- The calendar feed ----------------------------------------------------------------------------------


def calendar_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, actor: User) -> str:
    """Makes the actor a new private calendar address, turning off any earlier one. Returns the secret token,
    which is shown once and kept only as a hash."""
    now = timezone.now()
    CalendarFeed.objects.filter(user=actor, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=actor, token_hash=calendar_token_hash(token))
    audit_record(actor=actor, verb=NotificationVerb.CALENDAR_FEED_CREATED, target=feed)
    return token


@transaction.atomic
def calendar_feed_revoke(*, actor: User) -> int:
    """Turns off the actor's calendar address for good. Returns how many were turned off (0 or 1)."""
    feeds = list(CalendarFeed.objects.select_for_update().filter(user=actor, revoked_at__isnull=True))
    if not feeds:
        return 0
    CalendarFeed.objects.filter(pk__in=[f.pk for f in feeds]).update(revoked_at=timezone.now())
    for feed in feeds:
        audit_record(actor=actor, verb=NotificationVerb.CALENDAR_FEED_REVOKED, target=feed)
    return len(feeds)


def calendar_feed_owner(*, token: str) -> User | None:
    """The active person whose live calendar address has this token, or None."""
    digest = calendar_token_hash(token)
    feed = (
        CalendarFeed.objects.filter(token_hash=digest, revoked_at__isnull=True, user__is_active=True)
        .select_related("user")
        .first()
    )
    if feed is None or not hmac.compare_digest(feed.token_hash, digest):
        return None
    return feed.user
