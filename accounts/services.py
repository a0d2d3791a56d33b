"""Writes to people, organisations and memberships. Each records an audit event in its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm, remove_perm
from knox.models import AuthToken

from accounts import roles
from accounts.audit import AccountsVerb, audit_record
from accounts.models import (
    PROVIDER_KINDS,
    ROLE_ORGANISATION_KINDS,
    Membership,
    Organisation,
    OrganisationKind,
    Region,
    Role,
    User,
)
from accounts.role_removal import role_removal_apply


def _organisation_group_name(ods_code: str) -> str:
    return f"organisation:{ods_code}"


def _validate_oversight_body(*, kind: str, oversight_body: Organisation | None) -> None:
    if oversight_body is None:
        return
    if kind not in PROVIDER_KINDS:
        raise ValidationError({"oversight_body": "Only providers have an oversight body."})
    if oversight_body.kind != OrganisationKind.OVERSIGHT_BODY:
        raise ValidationError({"oversight_body": "Choose an oversight body (Monitor, NHS TDA or NHS England)."})


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    name: str,
    ods_code: str,
    kind: str,
    region: str = Region.NATIONAL,
    oversight_body: Organisation | None = None,
) -> Organisation:
    """Registers an organisation with its own permission group; members and its oversight body may see it."""
    ods_code = ods_code.strip().upper()
    _validate_oversight_body(kind=kind, oversight_body=oversight_body)
    organisation = Organisation(
        name=name.strip(), ods_code=ods_code, kind=kind, region=region, oversight_body=oversight_body
    )
    organisation.group = Group(name=_organisation_group_name(ods_code))
    organisation.full_clean(exclude=["group"])
    organisation.group.save()
    organisation.save()
    assign_perm("accounts.view_organisation", organisation.group, organisation)
    if oversight_body is not None:
        assign_perm("accounts.view_organisation", oversight_body.group, organisation)
    audit_record(
        actor=actor,
        verb=AccountsVerb.ORGANISATION_CREATED,
        target=organisation,
        after={
            "name": organisation.name,
            "ods_code": ods_code,
            "kind": kind,
            "region": region,
            "oversight_body": oversight_body.ods_code if oversight_body else None,
        },
    )
    return organisation


@transaction.atomic
def organisation_update(
    *, actor: User | None, organisation: Organisation, name: str, region: str, oversight_body: Organisation | None
) -> Organisation:
    """Renames or moves an organisation, or changes its oversight body (and who may therefore see it)."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _validate_oversight_body(kind=organisation.kind, oversight_body=oversight_body)
    before = {
        "name": organisation.name,
        "region": organisation.region,
        "oversight_body": organisation.oversight_body.ods_code if organisation.oversight_body else None,
    }
    if organisation.oversight_body != oversight_body:
        if organisation.oversight_body is not None:
            remove_perm("accounts.view_organisation", organisation.oversight_body.group, organisation)
        if oversight_body is not None:
            assign_perm("accounts.view_organisation", oversight_body.group, organisation)
    organisation.name, organisation.region, organisation.oversight_body = name.strip(), region, oversight_body
    organisation.full_clean(exclude=["group"])
    organisation.save()
    after = {
        "name": organisation.name,
        "region": region,
        "oversight_body": oversight_body.ods_code if oversight_body else None,
    }
    audit_record(actor=actor, verb=AccountsVerb.ORGANISATION_UPDATED, target=organisation, before=before, after=after)
    return organisation


@transaction.atomic
def user_create(
    *, actor: User | None, email: str, full_name: str, password: str | None = None, job_title: str = ""
) -> User:
    """Creates an account. Without a password the person sets one through the password reset e-mail."""
    user = User(
        email=User.objects.normalize_email(email).strip().lower(),
        full_name=full_name.strip(),
        job_title=job_title.strip(),
    )
    user.full_clean(exclude=["password"])
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(actor=actor, verb=AccountsVerb.USER_CREATED, target=user, after={"full_name": user.full_name})
    return user


def _sync_user_groups(user: User) -> None:
    """Puts the user in exactly the organisation and role groups their memberships call for."""
    memberships = list(user.memberships.select_related("organisation__group"))
    wanted = {m.organisation.group for m in memberships} | {roles.role_group(m.role) for m in memberships}
    managed = user.groups.filter(name__regex=r"^(organisation|role):")
    user.groups.remove(*[g for g in managed if g not in wanted])
    user.groups.add(*wanted)
    is_admin = any(m.role == Role.ADMINISTRATOR for m in memberships)
    if user.is_staff != is_admin:
        user.is_staff = is_admin
        user.save(update_fields=["is_staff"])


@transaction.atomic
def membership_create(*, actor: User | None, user: User, organisation: Organisation, role: str) -> Membership:
    """Gives a user a role in an organisation, and with it the organisation's and the role's permissions."""
    allowed_kinds = ROLE_ORGANISATION_KINDS[role]
    if organisation.kind not in allowed_kinds:
        raise ValidationError(
            {"role": f"A {Role(role).label.lower()} cannot belong to {organisation.get_kind_display().lower()}."}
        )
    membership, created = Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
    if created:
        _sync_user_groups(user)
        audit_record(
            actor=actor,
            verb=AccountsVerb.MEMBERSHIP_CREATED,
            target=membership,
            organisation=organisation,
            scope=organisation,
            after={"user": user.email, "role": role},
        )
    return membership


@transaction.atomic
def membership_delete(*, actor: User | None, membership: Membership) -> None:
    """Takes a role away; the user loses what it granted at once: its permissions, and whatever the apps gave
    through it that no membership they keep still grants (``role_removal_apply``: reviews, appointments, leads,
    assigned enquiries)."""
    # The person's row serialises removals of their roles: two removals at once cannot each see the other's
    # membership still there and so both leave standing what neither membership any longer grants.
    user = User.objects.select_for_update().get(pk=membership.user_id)
    current = Membership.objects.select_related("organisation").filter(pk=membership.pk).first()
    if current is None:
        return  # already removed, by a request that got here first
    membership, organisation, role = current, current.organisation, current.role
    before = {"user": user.email, "role": role}
    audit_record(
        actor=actor,
        verb=AccountsVerb.MEMBERSHIP_DELETED,
        target=membership,
        organisation=organisation,
        scope=organisation,
        before=before,
    )
    membership.delete()
    _sync_user_groups(user)
    role_removal_apply(actor=actor, user=user, organisation=organisation, role=role)


@dataclass(frozen=True)
class IssuedApiToken:
    """A token just issued. ``key`` is its only copy: the database keeps a digest, so show it to the person once."""

    key: str
    created: datetime
    expiry: datetime


@transaction.atomic
def api_token_issue(*, actor: User) -> IssuedApiToken:
    """Issues a new API token for the signed-in user, revoking any earlier one. It works for ``API_TOKEN_DAYS``."""
    # Locking the person's row makes two issues at once take turns, so that one token survives, not two.
    User.objects.select_for_update().get(pk=actor.pk)
    replaced, _ = AuthToken.objects.filter(user=actor).delete()
    token, key = AuthToken.objects.create(user=actor)
    audit_record(
        actor=actor,
        verb=AccountsVerb.API_TOKEN_ISSUED,
        target=actor,
        after={"expiry": token.expiry, "replaced_earlier_token": bool(replaced)},
    )
    return IssuedApiToken(key=key, created=token.created, expiry=token.expiry)


@transaction.atomic
def api_token_revoke(*, actor: User) -> bool:
    """Stops the signed-in user's API token working at once. Returns False when there was no token to revoke."""
    User.objects.select_for_update().get(pk=actor.pk)
    revoked, _ = AuthToken.objects.filter(user=actor).delete()
    if not revoked:
        return False
    audit_record(actor=actor, verb=AccountsVerb.API_TOKEN_REVOKED, target=actor)
    return True


BACKUP_CODE_COUNT = 10


def second_factor_device_pending(*, user: User) -> TOTPDevice:
    """The authenticator app being set up: one unconfirmed device, reused until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def second_factor_confirm(*, user: User, device: TOTPDevice) -> list[str]:
    """Confirms the authenticator app and issues fresh backup codes, which are shown to the user once."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=code) for code in codes])
    audit_record(actor=user, verb=AccountsVerb.SECOND_FACTOR_SET_UP, target=user)
    return codes
