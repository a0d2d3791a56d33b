"""What each role may do across the whole service, as Django groups of model-wide permissions.

A model-wide permission here means exactly one thing: the holder may see (or change) *every* object
of that model, whichever organisation it belongs to. Only roles whose work spans organisations get
one (national oversight reads everything; CQC inspects every provider). Everything else is granted
per object to the organisation's group when the object is created.

Each app registers its roles' permissions in its ``AppConfig.ready``; the groups are brought up to
date after every migration.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from accounts.models import Role

_ROLE_PERMISSIONS: dict[str, set[str]] = defaultdict(set)

ACCOUNTS_ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.NATIONAL_OVERSIGHT: {"accounts.view_organisation", "accounts.view_membership", "accounts.view_auditevent"},
    Role.INSPECTOR: {"accounts.view_organisation"},
    Role.REGULATOR_DECISION_MAKER: {"accounts.view_organisation"},
    Role.ADMINISTRATOR: {
        "accounts.view_organisation",
        "accounts.add_organisation",
        "accounts.change_organisation",
        "accounts.view_membership",
        "accounts.add_membership",
        "accounts.delete_membership",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_auditevent",
    },
}


def register_role_permissions(permissions: dict[str, set[str]]) -> None:
    """Adds model-wide permissions ("app_label.codename") to roles."""
    for role, perms in permissions.items():
        _ROLE_PERMISSIONS[role] |= perms


def role_group_name(role: str) -> str:
    return f"role:{role}"


def role_group(role: str) -> Group:
    group, _ = Group.objects.get_or_create(name=role_group_name(role))
    return group


def _last_app_with_models() -> AppConfig:
    return [config for config in apps.get_app_configs() if config.models_module is not None][-1]


def sync_role_groups(*, app_config: AppConfig | None = None, **kwargs: Any) -> None:
    """Makes every role's group hold exactly the registered permissions (run after migrations).

    Django sends ``post_migrate`` once for each app, in order, after creating that app's permissions: this does its
    work once, for the last app, when every app's permissions exist. (A test that empties the database sends it too,
    so doing it for each app cost a quarter of a second per such test.)"""
    if app_config is not None and app_config is not _last_app_with_models():
        return
    wanted = {(role, perm) for role in Role for perm in _ROLE_PERMISSIONS.get(role, set())}
    query = Q(pk__in=[])
    for app_label, codename in {tuple(perm.split(".")) for _, perm in wanted}:
        query |= Q(content_type__app_label=app_label, codename=codename)
    by_name = {
        f"{permission.content_type.app_label}.{permission.codename}": permission
        for permission in Permission.objects.filter(query).select_related("content_type")
    }
    for role in Role:
        permissions = [by_name[perm] for perm in _ROLE_PERMISSIONS.get(role, set()) if perm in by_name]
        role_group(role).permissions.set(permissions)
