"""Writes of the support directory: adding and changing services, their opening times, taking them out of use
and linking them to cases. Communications officers and family liaison officers of the organisation that
maintains a service keep it up to date; a service is linked to a case by its maintainers (on a case they can
see) or by the communications or family liaison staff of one of the case's parties."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.audit import audit_record
from accounts.errors import ConflictError, TransitionNotAllowed
from accounts.limits import max_length_of
from accounts.models import Organisation, Region, Role, User
from communications.models import MIDNIGHT, OpeningTime, SupportKind, SupportService, Weekday
from communications.verbs import CommunicationsVerb
from failure_regime.models import Case, CaseStatus
from failure_regime.permissions import choose_organisation
from failure_regime.selectors import case_list_for_user

SUPPORT_ROLES = frozenset({Role.COMMUNICATIONS_OFFICER, Role.FAMILY_LIAISON_OFFICER})
# Longest accepted answers: the limits of the model's fields, which set them once.
LIMITS = {field: max_length_of(SupportService, field) for field in ("name", "run_by", "description")}

_PHONE = re.compile(r"^\+?[0-9][0-9 ]*$")
_PHONE_MESSAGE = "Enter a phone number in digits, like 0808 157 0001 or 116 123"


@dataclass(frozen=True)
class OpeningSpan:
    """One span of a weekday when a service is open; ``closes`` at 00:00 means midnight at the end of the day."""

    weekday: int
    opens: time
    closes: time


def support_organisations(user: User) -> list[Organisation]:
    """The organisations for which ``user`` may keep support services: where they are a communications
    officer or a family liaison officer."""
    memberships = user.memberships.filter(role__in=SUPPORT_ROLES, user__is_active=True).select_related("organisation")
    return list(dict.fromkeys(m.organisation for m in memberships))


def _maintainer_organisation(actor: User, service: SupportService) -> Organisation:
    if service.maintained_by not in support_organisations(actor):
        raise PermissionDenied(
            f"Only communications or family liaison staff of {service.maintained_by} can change this service."
        )
    return service.maintained_by


def _acting_for_new_service(actor: User, organisation: Organisation | None) -> Organisation:
    organisations = support_organisations(actor)
    if not organisations:
        raise PermissionDenied("Only communications officers and family liaison officers can add support services.")
    return choose_organisation(organisations, organisation, doing="add support services", field="organisation")


def _phone(field: str, value: str, errors: dict[str, str]) -> str:
    value = " ".join(value.split())
    digits = value.replace(" ", "").removeprefix("+")
    # Up to 20 digits: a Relay UK number is the 18001 prefix and a full number.
    if value and (not _PHONE.match(value) or not 3 <= len(digits) <= 20):
        errors[field] = _PHONE_MESSAGE
    return value


def _details(
    *,
    name: str,
    kind: str,
    description: str,
    run_by: str,
    phone: str,
    textphone: str,
    website: str,
    email: str,
    region: str,
    provider: Organisation | None,
) -> dict[str, Any]:
    """The service's details, tidied, or a ValidationError with a message for each field that is not right."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {
        "name": name.strip(),
        "kind": kind,
        "description": description.strip(),
        "run_by": run_by.strip(),
        "website": website.strip(),
        "email": email.strip().lower(),
        "region": region,
        "provider": provider,
    }
    if not cleaned["name"]:
        errors["name"] = "Enter the name of the service"
    elif len(cleaned["name"]) > LIMITS["name"]:
        errors["name"] = f"The name must be {LIMITS['name']:,} characters or fewer"
    if kind not in SupportKind.values:
        errors["kind"] = "Select the kind of service"
    if not cleaned["description"]:
        errors["description"] = "Say who the service is for and what it offers"
    elif len(cleaned["description"]) > LIMITS["description"]:
        errors["description"] = f"The description must be {LIMITS['description']:,} characters or fewer"
    if len(cleaned["run_by"]) > LIMITS["run_by"]:
        errors["run_by"] = f"The name of who runs it must be {LIMITS['run_by']:,} characters or fewer"
    cleaned["phone"] = _phone("phone", phone, errors)
    cleaned["textphone"] = _phone("textphone", textphone, errors)
    if cleaned["website"]:
        try:
            URLValidator(schemes=["https", "http"])(cleaned["website"])
        except ValidationError:
            errors["website"] = "Enter the full website address, like https://www.example.org"
    if cleaned["email"]:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors["email"] = "Enter an email address in the correct format, like help@example.org"
    if not any(cleaned[f] for f in ("phone", "textphone", "website", "email")) and "phone" not in errors:
        errors["phone"] = "Give at least one way to reach the service: a phone number, textphone, website or email"
    if region not in Region.values:
        errors["region"] = "Select the region the service covers"
    if provider is not None and not provider.is_provider:
        errors["provider"] = "Choose a provider of care, or leave this empty"
    if errors:
        raise ValidationError(errors)
    return cleaned


def _opening_times(spans: Sequence[OpeningSpan], open_24_hours: bool) -> list[OpeningSpan]:
    if open_24_hours and spans:
        raise ValidationError({"open_24_hours": "A service open 24 hours needs no opening times: remove them"})
    by_day: dict[int, list[OpeningSpan]] = {}
    for span in spans:
        if span.weekday not in Weekday.values:
            raise ValidationError({"opening_times": "Choose a day of the week"})
        by_day.setdefault(span.weekday, []).append(span)
    for weekday, day_spans in by_day.items():
        day = Weekday(weekday).label
        previous_close: time | None = None
        for span in sorted(day_spans, key=lambda s: s.opens):
            if span.closes <= span.opens and span.closes != MIDNIGHT:
                raise ValidationError({"opening_times": f"{day}: the closing time must be after the opening time"})
            if previous_close is not None and (previous_close == MIDNIGHT or span.opens < previous_close):
                raise ValidationError({"opening_times": f"{day}: the opening times overlap"})
            previous_close = span.closes
    return sorted(spans, key=lambda s: (s.weekday, s.opens))


def _replace_opening_times(service: SupportService, spans: list[OpeningSpan]) -> None:
    service.opening_times.all().delete()
    OpeningTime.objects.bulk_create(
        [OpeningTime(service=service, weekday=s.weekday, opens=s.opens, closes=s.closes) for s in spans]
    )


def _state(service: SupportService) -> dict[str, Any]:
    return {"name": service.name, "kind": service.kind, "region": service.region, "active": service.active}


def _lock(service: SupportService) -> SupportService:
    return SupportService.objects.select_for_update(of=("self",)).select_related("maintained_by").get(pk=service.pk)


@transaction.atomic
def support_service_create(
    *,
    actor: User,
    name: str,
    kind: str,
    description: str,
    organisation: Organisation | None = None,
    run_by: str = "",
    phone: str = "",
    textphone: str = "",
    website: str = "",
    email: str = "",
    region: str = Region.NATIONAL,
    provider: Organisation | None = None,
    open_24_hours: bool = False,
    opening_hours_note: str = "",
    opening_times: Sequence[OpeningSpan] = (),
) -> SupportService:
    """Adds a service to the directory, kept by ``organisation`` (the actor's own, by default), whose group may
    change it from then on."""
    maintained_by = _acting_for_new_service(actor, organisation)
    details = _details(
        name=name,
        kind=kind,
        description=description,
        run_by=run_by,
        phone=phone,
        textphone=textphone,
        website=website,
        email=email,
        region=region,
        provider=provider,
    )
    spans = _opening_times(opening_times, open_24_hours)
    now = timezone.now()
    service = SupportService.objects.create(
        **details,
        open_24_hours=open_24_hours,
        opening_hours_note=opening_hours_note.strip()[:300],
        maintained_by=maintained_by,
        created_at=now,
        updated_at=now,
    )
    _replace_opening_times(service, spans)
    assign_perm("communications.change_supportservice", maintained_by.group, service)
    audit_record(
        actor=actor,
        organisation=maintained_by,
        verb=CommunicationsVerb.SUPPORT_SERVICE_ADDED,
        target=service,
        after=_state(service),
    )
    return service


@transaction.atomic
def support_service_update(
    *,
    actor: User,
    service: SupportService,
    name: str,
    kind: str,
    description: str,
    run_by: str = "",
    phone: str = "",
    textphone: str = "",
    website: str = "",
    email: str = "",
    region: str = Region.NATIONAL,
    provider: Organisation | None = None,
) -> SupportService:
    """Changes what the directory says about a service (its opening times have their own service)."""
    service = _lock(service)
    organisation = _maintainer_organisation(actor, service)
    details = _details(
        name=name,
        kind=kind,
        description=description,
        run_by=run_by,
        phone=phone,
        textphone=textphone,
        website=website,
        email=email,
        region=region,
        provider=provider,
    )
    before = _state(service)
    for field, value in details.items():
        setattr(service, field, value)
    service.updated_at = max(timezone.now(), service.created_at)
    service.save()
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.SUPPORT_SERVICE_CHANGED,
        target=service,
        before=before,
        after=_state(service),
    )
    return service


@transaction.atomic
def support_service_opening_times_set(
    *,
    actor: User,
    service: SupportService,
    opening_times: Sequence[OpeningSpan],
    open_24_hours: bool = False,
    opening_hours_note: str = "",
) -> SupportService:
    """Replaces the service's opening times: every span of every day, or open 24 hours."""
    service = _lock(service)
    organisation = _maintainer_organisation(actor, service)
    spans = _opening_times(opening_times, open_24_hours)
    before = {"open_24_hours": service.open_24_hours, "opening_times": service.opening_times.count()}
    _replace_opening_times(service, spans)
    service.open_24_hours = open_24_hours
    service.opening_hours_note = opening_hours_note.strip()[:300]
    service.updated_at = max(timezone.now(), service.created_at)
    service.save(update_fields=["open_24_hours", "opening_hours_note", "updated_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.SUPPORT_SERVICE_CHANGED,
        target=service,
        before=before,
        after={"open_24_hours": open_24_hours, "opening_times": len(spans)},
    )
    return service


def _set_active(actor: User, service: SupportService, active: bool) -> SupportService:
    service = _lock(service)
    organisation = _maintainer_organisation(actor, service)
    if service.active == active:
        raise TransitionNotAllowed(
            "This service is already offered." if active else "This service is already no longer offered."
        )
    verb = CommunicationsVerb.SUPPORT_SERVICE_REACTIVATED if active else CommunicationsVerb.SUPPORT_SERVICE_DEACTIVATED
    service.active = active
    service.updated_at = max(timezone.now(), service.created_at)
    service.save(update_fields=["active", "updated_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=verb,
        target=service,
        before={"active": not active},
        after={"active": active},
    )
    return service


@transaction.atomic
def support_service_deactivate(*, actor: User, service: SupportService) -> SupportService:
    """Stops offering a service anywhere: it leaves the public directory and every notice, but is kept, with
    its links and referrals, and can be offered again."""
    return _set_active(actor, service, False)


@transaction.atomic
def support_service_reactivate(*, actor: User, service: SupportService) -> SupportService:
    """Offers a service that was taken out of use again."""
    return _set_active(actor, service, True)


def _linking_organisation(actor: User, service: SupportService, case: Case) -> Organisation:
    """Who may link a service to a case: its maintainers, on a case they can see, or the communications or
    family liaison staff of one of the case's parties."""
    organisations = support_organisations(actor)
    party_ids = set(case.parties.values_list("organisation_id", flat=True))
    for organisation in organisations:
        if organisation.pk in party_ids:
            return organisation
    if service.maintained_by in organisations and case_list_for_user(user=actor).filter(pk=case.pk).exists():
        return service.maintained_by
    raise PermissionDenied("Only the service's maintainers or the case's communications and family liaison staff can.")


@transaction.atomic
def support_service_link_to_case(*, actor: User, service: SupportService, case: Case) -> SupportService:
    """Offers the service on every public notice of ``case``."""
    service = _lock(service)
    organisation = _linking_organisation(actor, service, case)
    if not service.active:
        raise TransitionNotAllowed("A service that is no longer offered cannot be linked to a case.")
    if case.status == CaseStatus.CLOSED:
        raise TransitionNotAllowed("A closed case cannot have new support services.")
    if service.cases.filter(pk=case.pk).exists():
        raise ConflictError("This service is already linked to the case.")
    service.cases.add(case)
    # Pages that show the case's services (its notices) tell their caches from this time.
    service.updated_at = max(timezone.now(), service.created_at)
    service.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.SUPPORT_SERVICE_LINKED,
        target=service,
        scope=case,
        after={"case": case.reference},
    )
    return service


@transaction.atomic
def support_service_unlink(*, actor: User, service: SupportService, case: Case) -> SupportService:
    """Stops offering the service on the notices of ``case``."""
    service = _lock(service)
    organisation = _linking_organisation(actor, service, case)
    if not service.cases.filter(pk=case.pk).exists():
        raise ConflictError("This service is not linked to the case.")
    service.cases.remove(case)
    service.updated_at = max(timezone.now(), service.created_at)
    service.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=CommunicationsVerb.SUPPORT_SERVICE_UNLINKED,
        target=service,
        scope=case,
        before={"case": case.reference},
    )
    return service
