"""Reads of people and organisations that depend on who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user
from knox.models import AuthToken

from accounts.audit import audit_checks_under_way
from accounts.models import (
    PROVIDER_KINDS,
    AuditAnchor,
    AuditCheck,
    AuditCheckStatus,
    AuditEvent,
    Membership,
    Organisation,
    Role,
    User,
    WebhookDelivery,
    WebhookSubscription,
)
from accounts.visibility import visible_events_q
from accounts.webhooks import WEBHOOK_MANAGER_ROLES


def organisation_list_for_user(*, user: User) -> QuerySet[Organisation]:
    """Organisations the user may see: their own, those they oversee, or all with a model-wide grant."""
    return get_objects_for_user(
        user, "accounts.view_organisation", klass=Organisation, accept_global_perms=True
    ).select_related("oversight_body")


def provider_list_for_user(*, user: User) -> QuerySet[Organisation]:
    """The providers of care among the organisations the user may see."""
    return organisation_list_for_user(user=user).filter(kind__in=PROVIDER_KINDS)


def organisation_get_for_user(*, user: User, pk: int) -> Organisation:
    """One organisation, or 404 when the user may not see it."""
    return get_object_or_404(organisation_list_for_user(user=user), pk=pk)


def organisation_members_for_user(*, user: User, organisation: Organisation) -> QuerySet[Membership] | None:
    """The organisation's members, for its own members and those who may see every membership."""
    is_member = user.memberships.filter(organisation=organisation).exists()
    if not (is_member or user.has_perm("accounts.view_membership")):
        return None
    return organisation.memberships.select_related("user").order_by("user__full_name", "role")


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    """The signed-in user's own roles."""
    return Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name", "role")


def member_list_for_user(*, user: User) -> QuerySet[Membership]:
    """Every membership of the user's own organisations, or every one for those who may see all memberships
    (the same people ``organisation_members_for_user`` shows members to)."""
    if user.has_perm("accounts.view_membership"):
        return Membership.objects.all()
    return Membership.objects.filter(organisation__in=Membership.objects.filter(user=user).values("organisation_id"))


def audit_events_visible(*, user: User, organisation: Organisation) -> bool:
    """Whether the user may read an organisation's audit trail: its members and national oversight."""
    return user.has_perm("accounts.view_auditevent") or user.memberships.filter(organisation=organisation).exists()


def audit_event_list_for_user(*, user: User) -> QuerySet[AuditEvent]:
    """The audit events ``user`` may see (see ``accounts.visibility``), oldest first, ready to summarise."""
    return (
        AuditEvent.objects.filter(visible_events_q(user=user))
        .select_related("target_type", "scope_type", "organisation")
        .order_by("sequence")
    )


# Who may check that the whole audit trail is intact: it spans every organisation.
AUDIT_INTEGRITY_ROLES = frozenset({Role.NATIONAL_OVERSIGHT, Role.ADMINISTRATOR})


def audit_integrity_visible(*, user: User) -> bool:
    """Whether the user may see the audit trail's anchors and check the whole chain: national oversight and
    administrators."""
    return Membership.objects.filter(user=user, role__in=AUDIT_INTEGRITY_ROLES).exists()


def audit_check_last() -> AuditCheck | None:
    """The latest check of the whole audit chain that has finished, or could not, with who asked for it."""
    finished = AuditCheck.objects.filter(status__in=[AuditCheckStatus.DONE, AuditCheckStatus.FAILED])
    return finished.select_related("requested_by").order_by("-finished_at", "-pk").first()


def audit_check_pending() -> AuditCheck | None:
    """The check of the whole audit chain waiting to start or under way, if any."""
    return audit_checks_under_way().select_related("requested_by").order_by("requested_at", "pk").first()


def audit_anchor_list(*, limit: int = 10) -> list[AuditAnchor]:
    """The latest anchors recorded in the database, newest first (their files are what verification trusts)."""
    return list(AuditAnchor.objects.order_by("-sequence")[:limit])


@dataclass(frozen=True)
class ApiTokenStatus:
    """What the API access page says about a person's token: when it was made and when it stops working. Never the
    key, which only the response that issued it shows."""

    created: datetime
    expiry: datetime
    expired: bool


def api_token_status_for_user(*, user: User) -> ApiTokenStatus | None:
    """The user's own API token, or None; an expired one is still returned until it is replaced, to say so."""
    token = AuthToken.objects.filter(user=user).order_by("-created").values("created", "expiry").first()
    if token is None:
        return None
    # django-rest-knox refuses a token once its expiry has passed.
    expired = token["expiry"] < timezone.now()
    return ApiTokenStatus(created=token["created"], expiry=token["expiry"], expired=expired)


def webhook_organisations_for_user(*, user: User) -> QuerySet[Organisation]:
    """The organisations where ``user`` holds a webhook manager role, and so may set up webhooks."""
    managed = Membership.objects.filter(user=user, role__in=WEBHOOK_MANAGER_ROLES).values("organisation_id")
    return Organisation.objects.filter(pk__in=managed).order_by("name")


def webhook_subscription_list_for_user(*, user: User) -> QuerySet[WebhookSubscription]:
    """The subscriptions of the organisations where ``user`` holds a webhook manager role."""
    managed = Membership.objects.filter(user=user, role__in=WEBHOOK_MANAGER_ROLES).values("organisation_id")
    return WebhookSubscription.objects.filter(organisation__in=managed).select_related("organisation", "created_by")


def webhook_subscription_get_for_user(*, user: User, pk: int) -> WebhookSubscription:
    """One subscription of an organisation ``user`` manages webhooks for, or 404."""
    return get_object_or_404(webhook_subscription_list_for_user(user=user), pk=pk)


def webhook_delivery_log(*, subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """The subscription's deliveries, newest event first, each with its attempts (access already checked)."""
    return (
        WebhookDelivery.objects.filter(subscription=subscription)
        .select_related("event")
        .prefetch_related("log")
        .order_by("-event__sequence")
    )
