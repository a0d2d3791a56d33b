"""Who may see which audit event, for the event feed and webhooks.

An event is visible to a user exactly when its target, or the object whose timeline shows it (its
scope), is an object the user's own lists show. The audit trail is the ground floor and cannot
import the apps above it, so each app registers, in its ``AppConfig.ready``, a function that
returns the objects of one model a user may see (its ``*_list_for_user`` selector):

    register_visible("failure_regime.Case", lambda user: case_list_for_user(user=user))

Records that hold personal data (enquiries, cohort patients, applications, memberships) are
registered with ``personal=True``. An event about one of them, as its target or its scope, is
visible only to those whose lists show that record itself (a case on its timeline is not enough),
and its label is never given out, as it could identify someone.

Events about objects no app registers (a user's second factor, say) are visible only to those who
may read the whole audit trail (``accounts.view_auditevent``: national oversight, administrators).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast

from accounts.models import AuditEvent, User

VisibleFn = Callable[[User], QuerySet[Any]]


@dataclass(frozen=True)
class Registration:
    """The selector that says which objects of a model a user may see, and whether they hold personal data."""

    model_label: str
    visible: VisibleFn
    personal: bool


_REGISTRY: dict[str, Registration] = {}


def register_visible(model_label: str, fn: VisibleFn, *, personal: bool = False) -> None:
    """Registers ``fn(user)``, a queryset of the ``model_label`` objects the user's lists show ("app.Model")."""
    _REGISTRY[model_label.lower()] = Registration(model_label=model_label, visible=fn, personal=personal)


def registrations() -> list[Registration]:
    return list(_REGISTRY.values())


def _content_types() -> dict[str, ContentType]:
    """The content type of every registered model, by registered label; one query at most, then cached."""
    models: dict[str, type[Model]] = {label: apps.get_model(label) for label in _REGISTRY}
    by_model = ContentType.objects.get_for_models(*models.values())
    return {label: by_model[model] for label, model in models.items()}


def personal_content_type_ids() -> set[int]:
    """The content types of the records that hold personal data."""
    types = _content_types()
    return {types[label].pk for label, reg in _REGISTRY.items() if reg.personal}


def _keys(queryset: QuerySet[Any]) -> QuerySet[Any]:
    # Audit events name their objects by primary key as text.
    keys: QuerySet[Any] = (
        queryset.order_by().annotate(_event_key=Cast("pk", output_field=CharField())).values("_event_key")
    )
    return keys


def _seen_q(*, type_id: int, registration: Registration, user: User) -> Q:
    """Events whose target or scope is one of the registered model's objects that ``user``'s lists show."""
    keys = _keys(registration.visible(user))
    return Q(target_type_id=type_id, target_id__in=keys) | Q(scope_type_id=type_id, scope_id__in=keys)


def timeline_events_q(*, user: User) -> Q:
    """The condition on the events of a timeline ``user`` may already open (a case's, say): every event, except one
    about a record that holds personal data (an enquiry, a cohort patient) unless ``user``'s lists show that
    record. The same rule as the event feed's (``visible_events_q``) for such records."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    types = _content_types()
    personal_ids = [types[label].pk for label, reg in _REGISTRY.items() if reg.personal]
    personal_visible = Q(pk__in=[])
    for label, reg in _REGISTRY.items():
        if reg.personal:
            personal_visible |= _seen_q(type_id=types[label].pk, registration=reg, user=user)
    is_personal = Q(target_type_id__in=personal_ids) | Q(scope_type_id__in=personal_ids)
    return ~is_personal | personal_visible


def visible_events_q(*, user: User) -> Q:
    """The condition on ``AuditEvent`` for the events ``user`` may see. Builds subqueries only: the
    selectors it calls may read the user's roles, but never the events, so the cost is the same for
    any number of events."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    types = _content_types()
    personal_ids = [types[label].pk for label, reg in _REGISTRY.items() if reg.personal]
    registered_ids = [ct.pk for ct in types.values()]
    plain_visible = Q(pk__in=[])
    personal_visible = Q(pk__in=[])
    for label, reg in _REGISTRY.items():
        seen = _seen_q(type_id=types[label].pk, registration=reg, user=user)
        if reg.personal:
            personal_visible |= seen
        else:
            plain_visible |= seen
    is_personal = Q(target_type_id__in=personal_ids) | Q(scope_type_id__in=personal_ids)
    visible = (is_personal & personal_visible) | (~is_personal & plain_visible)
    if user.has_perm("accounts.view_auditevent"):
        unregistered = ~Q(target_type_id__in=registered_ids) & (
            Q(scope_type__isnull=True) | ~Q(scope_type_id__in=registered_ids)
        )
        visible |= unregistered
    return visible


def event_summary(event: AuditEvent, *, personal_type_ids: set[int]) -> dict[str, Any]:
    """What the feed and webhooks say about an event: never ``before``/``after`` (they may hold personal
    data), and no label for an event about a record that holds personal data. ``event`` comes with its
    ``target_type``, ``scope_type`` and ``organisation`` loaded."""
    personal = event.target_type_id in personal_type_ids or event.scope_type_id in personal_type_ids
    scope = event.scope_type
    organisation = event.organisation
    return {
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "verb": event.verb,
        "target_type": f"{event.target_type.app_label}.{event.target_type.model}",
        "target_id": event.target_id,
        "target_label": None if personal else event.target_label,
        "scope_type": f"{scope.app_label}.{scope.model}" if scope is not None else None,
        "scope_id": event.scope_id or None,
        "organisation": (
            {"id": organisation.pk, "name": organisation.name, "ods_code": organisation.ods_code}
            if organisation is not None
            else None
        ),
        "actor_label": event.actor_label,
    }
