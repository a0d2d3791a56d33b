"""Writes of the expert registry, conflict waivers and appointments. Each records its audit event in the same
transaction as the change."""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import TransitionNotAllowed
from accounts.models import Organisation, Role, User
from failure_regime import areas as regime_areas
from failure_regime.models import Area, Case, CaseStatus
from failure_regime.permissions import OVERSEER_ROLES, acting_choices, choose_organisation
from failure_regime.services.accountability import lead_hand_over
from failure_regime.services.cases import overseer_choices, overseer_organisation
from reviews.models import (
    LEADING_ROLES,
    REGISTRATION_NUMBER_FORMATS,
    Appointment,
    AppointmentRole,
    ConflictWaiver,
    DeclaredInterest,
    Employment,
    Expert,
    InterestKind,
    Regulator,
    Seniority,
    Specialty,
    Training,
    TrainingKind,
)
from reviews.selectors.registry import (
    REGISTRY_ROLES,
    conflict_lookback_years,
    conflicts_for,
    unwaived_conflicts_for,
)
from reviews.verbs import ReviewsVerb


def registration_number_normalise(*, regulator: str, number: str) -> str:
    """The registration number as stored (trimmed, upper case), or a ValidationError naming the expected format."""
    normalised = number.strip().upper()
    if regulator not in Regulator.values:
        raise ValidationError({"regulator": "Choose a professional regulator."})
    if regulator in REGISTRATION_NUMBER_FORMATS:
        pattern, message = REGISTRATION_NUMBER_FORMATS[regulator]
        if not re.fullmatch(pattern, normalised):
            raise ValidationError({"registration_number": message})
    return normalised


def _registry_organisation(
    actor: User, expert: Expert | None = None, acting_for: Organisation | None = None
) -> Organisation | None:
    """The organisation ``actor`` keeps the registry for: ``acting_for``, which must be one where they hold a
    registry role, or their only such organisation (``permissions.choose_organisation`` asks when they have
    several). ``None`` when an expert adds to their own record.

    The writes below also take ``authority``: the organisation on whose behalf another service, having checked the
    actor's right itself, adds to the registry (a case's expert-recruitment lead approving an application)."""
    own = expert is not None and expert.user_id is not None and expert.user_id == actor.pk
    choices = acting_choices(actor, REGISTRY_ROLES)
    if acting_for is not None or (choices and not own):
        return choose_organisation(choices, acting_for, doing="change the expert registry")
    if own:
        return None
    raise PermissionDenied("Your role does not allow you to change the expert registry.")


def _specialties(names: list[str]) -> list[Specialty]:
    specialties = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        specialty = Specialty.objects.filter(name__iexact=name).first() or Specialty.objects.create(name=name)
        specialties.append(specialty)
    return specialties


@transaction.atomic
def expert_register(
    *,
    actor: User,
    name: str,
    profession: str,
    regulator: str,
    registration_number: str,
    specialties: list[str],
    seniority: int,
    capacity_per_week: int,
    available: bool = True,
    user: User | None = None,
    authority: Organisation | None = None,
    acting_for: Organisation | None = None,
) -> Expert:
    """Adds an expert to the registry with their professional registration, checked against their regulator's
    format, and their specialties (new specialty names are added to the list)."""
    acting = authority or _registry_organisation(actor, acting_for=acting_for)
    errors: dict[str, str] = {}
    number = ""
    try:
        number = registration_number_normalise(regulator=regulator, number=registration_number)
    except ValidationError as exc:
        errors.update({field: messages[0] for field, messages in exc.message_dict.items()})
    if number and Expert.objects.filter(regulator=regulator, registration_number=number).exists():
        errors["registration_number"] = "An expert with this registration number is already registered."
    if not name.strip():
        errors["name"] = "Enter the expert's name."
    if not profession.strip():
        errors["profession"] = "Enter the expert's profession."
    if seniority not in Seniority.values:
        errors["seniority"] = "Choose a seniority."
    if capacity_per_week < 0:
        errors["capacity_per_week"] = "Capacity cannot be negative."
    if user is not None and Expert.objects.filter(user=user).exists():
        errors["user"] = "This account already belongs to an expert."
    if errors:
        raise ValidationError(errors)
    expert = Expert.objects.create(
        user=user,
        name=name.strip(),
        profession=profession.strip(),
        regulator=regulator,
        registration_number=number,
        seniority=seniority,
        capacity_per_week=capacity_per_week,
        available=available,
        registered_by=actor,
        registered_at=timezone.now(),
    )
    chosen = _specialties(specialties)
    expert.specialties.set(chosen)
    audit_record(
        actor=actor,
        organisation=acting,
        verb=ReviewsVerb.EXPERT_REGISTERED,
        target=expert,
        after={
            "regulator": regulator,
            "registration_number": number,
            "specialties": sorted(s.name for s in chosen),
            "seniority": seniority,
        },
    )
    return expert


# What an expert may change on their own record; the rest is for those who keep the registry.
SELF_EDITABLE_FIELDS = frozenset({"capacity_per_week", "available"})


@transaction.atomic
def expert_update(
    *,
    actor: User,
    expert: Expert,
    capacity_per_week: int | None = None,
    available: bool | None = None,
    profession: str | None = None,
    seniority: int | None = None,
    specialties: list[str] | None = None,
    acting_for: Organisation | None = None,
) -> Expert:
    """Changes the expert's capacity, availability, profession, seniority or specialties (``None`` leaves a field
    as it is). An expert may change their own capacity and availability; the rest only those who keep the registry,
    since it decides who is ranked first. A change is recorded with its before and after; no change records nothing."""
    acting = _registry_organisation(actor, expert, acting_for)
    given = {
        "capacity_per_week": capacity_per_week,
        "available": available,
        "profession": profession.strip() if profession is not None else None,
        "seniority": seniority,
    }
    if acting is None and (
        specialties is not None or any(given[f] is not None for f in given if f not in SELF_EDITABLE_FIELDS)
    ):
        raise PermissionDenied("You can change only your capacity and availability on your own record.")
    errors: dict[str, str] = {}
    if capacity_per_week is not None and capacity_per_week < 0:
        errors["capacity_per_week"] = "Capacity cannot be negative."
    if given["profession"] == "":
        errors["profession"] = "Enter the expert's profession."
    if seniority is not None and seniority not in Seniority.values:
        errors["seniority"] = "Choose a seniority."
    if errors:
        raise ValidationError(errors)
    expert = Expert.objects.select_for_update().get(pk=expert.pk)
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for field, value in given.items():
        if value is not None and getattr(expert, field) != value:
            before[field], after[field] = getattr(expert, field), value
            setattr(expert, field, value)
    if after:
        expert.save(update_fields=list(after))
    if specialties is not None:
        current = sorted(s.name for s in expert.specialties.all())
        chosen = _specialties(specialties)
        if sorted(s.name for s in chosen) != current:
            expert.specialties.set(chosen)
            before["specialties"], after["specialties"] = current, sorted(s.name for s in chosen)
    if after:
        audit_record(
            actor=actor, organisation=acting, verb=ReviewsVerb.EXPERT_CHANGED, target=expert, before=before, after=after
        )
    return expert


@transaction.atomic
def employment_add(
    *,
    actor: User,
    expert: Expert,
    employer_name: str = "",
    organisation: Organisation | None = None,
    started_on: datetime.date,
    ended_on: datetime.date | None = None,
    authority: Organisation | None = None,
    acting_for: Organisation | None = None,
) -> Employment:
    """Records a post the expert holds or held. Naming the registered organisation lets conflicts be found."""
    acting = authority or _registry_organisation(actor, expert, acting_for)
    employer = employer_name.strip() or (organisation.name if organisation else "")
    errors: dict[str, str] = {}
    if not employer:
        errors["employer_name"] = "Name the employer."
    if ended_on is not None and ended_on < started_on:
        errors["ended_on"] = "The end date cannot be before the start date."
    if errors:
        raise ValidationError(errors)
    employment = Employment.objects.create(
        expert=expert,
        organisation=organisation,
        employer_name=employer,
        started_on=started_on,
        ended_on=ended_on,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        organisation=acting,
        verb=ReviewsVerb.EMPLOYMENT_ADDED,
        target=employment,
        scope=expert,
        after={
            "organisation": organisation.ods_code if organisation else None,
            "started_on": started_on,
            "ended_on": ended_on,
        },
    )
    return employment


@transaction.atomic
def interest_declare(
    *,
    actor: User,
    expert: Expert,
    organisation: Organisation,
    kind: str,
    description: str,
    declared_on: datetime.date | None = None,
    authority: Organisation | None = None,
    acting_for: Organisation | None = None,
) -> DeclaredInterest:
    """Records an interest the expert declares in an organisation; any interest in a provider conflicts with it."""
    acting = authority or _registry_organisation(actor, expert, acting_for)
    errors: dict[str, str] = {}
    if kind not in InterestKind.values:
        errors["kind"] = "Choose the kind of interest."
    if not description.strip():
        errors["description"] = "Describe the interest."
    if declared_on is not None and declared_on > timezone.localdate():
        errors["declared_on"] = "The date of declaration cannot be in the future."
    if errors:
        raise ValidationError(errors)
    interest = DeclaredInterest.objects.create(
        expert=expert,
        organisation=organisation,
        kind=kind,
        description=description.strip(),
        declared_on=declared_on or timezone.localdate(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        organisation=acting,
        verb=ReviewsVerb.INTEREST_DECLARED,
        target=interest,
        scope=expert,
        after={"organisation": organisation.ods_code, "kind": kind, "declared_on": interest.declared_on},
    )
    return interest


@transaction.atomic
def training_record(
    *,
    actor: User,
    expert: Expert,
    kind: str,
    completed_on: datetime.date,
    authority: Organisation | None = None,
    acting_for: Organisation | None = None,
) -> Training:
    """Records training the expert completed, such as structured judgement review training."""
    acting = authority or _registry_organisation(actor, expert, acting_for)
    errors: dict[str, str] = {}
    if kind not in TrainingKind.values:
        errors["kind"] = "Choose the kind of training."
    if completed_on > timezone.localdate():
        errors["completed_on"] = "The completion date cannot be in the future."
    if errors:
        raise ValidationError(errors)
    training = Training.objects.create(
        expert=expert, kind=kind, completed_on=completed_on, recorded_by=actor, recorded_at=timezone.now()
    )
    audit_record(
        actor=actor,
        organisation=acting,
        verb=ReviewsVerb.TRAINING_RECORDED,
        target=training,
        scope=expert,
        after={"kind": kind, "completed_on": completed_on},
    )
    return training


def _lock_open(case: Case) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == CaseStatus.CLOSED:
        raise TransitionNotAllowed("A closed case cannot change.")
    return case


def waiver_organisations(actor: User, case: Case) -> list[Organisation]:
    """The organisations through which ``actor`` may waive a conflict on ``case``: a party to it where they are an
    oversight lead, and national oversight, parties first."""
    parties = set(case.parties.values_list("organisation_id", flat=True))
    leads = [o for o in acting_choices(actor, [Role.OVERSIGHT_LEAD]) if o.pk in parties]
    return leads + [o for o in acting_choices(actor, [Role.NATIONAL_OVERSIGHT]) if o not in leads]


def _waiver_organisation(actor: User, case: Case, chosen: Organisation | None = None) -> Organisation:
    """Only an oversight lead of a party to the case, or national oversight, may waive a conflict: for the
    organisation chosen, or their only one (``permissions.choose_organisation``)."""
    choices = waiver_organisations(actor, case)
    if not choices:
        raise PermissionDenied("Only the oversight lead may waive a conflict of interest.")
    return choose_organisation(choices, chosen, doing="waive conflicts of interest")


@transaction.atomic
def conflict_waive(
    *, actor: User, case: Case, expert: Expert, rationale: str, organisation: Organisation | None = None
) -> ConflictWaiver:
    """Lets ``expert`` act on ``case`` despite their conflicts with its provider, as they stand now, for the
    written reason given, for ``organisation`` (needed only by someone who could waive for several). The
    conflicts waived are recorded with the waiver."""
    acting = _waiver_organisation(actor, case, organisation)
    case = _lock_open(case)
    conflicts = conflicts_for(expert=expert, provider=case.provider)
    errors: dict[str, str] = {}
    if not rationale.strip():
        errors["rationale"] = "Explain why the conflict can be waived."
    if not conflicts:
        errors["expert"] = f"{expert} has no conflict with {case.provider} to waive."
    if errors:
        raise ValidationError(errors)
    waiver = ConflictWaiver.objects.create(
        case=case,
        expert=expert,
        reason="\n".join(c.reason for c in conflicts),
        rationale=rationale.strip(),
        waived_by=actor,
        waived_by_organisation=acting,
        waived_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        organisation=acting,
        verb=ReviewsVerb.CONFLICT_WAIVED,
        target=waiver,
        scope=case,
        after={"expert": expert.pk, "conflicts": sorted({str(c.kind) for c in conflicts})},
    )
    return waiver


def _investigation_lead_organisation(expert: Expert, case: Case) -> Organisation | None:
    """The party to the case that ``expert``'s account is a member of, if any, for the investigation area."""
    if expert.user is None or not expert.user.is_active:
        return None
    membership = (
        expert.user.memberships.filter(organisation__case_parties__case=case)
        .select_related("organisation")
        .order_by("organisation__name", "pk")
        .first()
    )
    return membership.organisation if membership else None


@transaction.atomic
def appointment_make(
    *, actor: User, case: Case, expert: Expert, role: str, declaration: str, organisation: Organisation | None = None
) -> Appointment:
    """Appoints ``expert`` to ``case`` for ``organisation`` (needed only if the actor runs the case for several:
    ``overseer_organisation``) with their signed independence declaration, refusing anyone with a conflict
    with the provider that is not waived on this case. A chair or investigation lead whose account belongs to a
    party to the case also becomes the case's accountable investigation lead."""
    acting = overseer_organisation(actor, case, "appoint reviewers", organisation)
    case = _lock_open(case)
    errors: dict[str, str] = {}
    if role not in AppointmentRole.values:
        errors["role"] = "Choose a role."
    if not declaration.strip():
        errors["declaration"] = "The expert's signed independence declaration is required."
    unwaived = unwaived_conflicts_for(expert=expert, case=case)
    if unwaived:
        errors["expert"] = f"{expert} has a conflict of interest with {case.provider}: " + " ".join(
            c.reason for c in unwaived
        )
    elif Appointment.objects.filter(case=case, expert=expert, role=role, ended_at__isnull=True).exists():
        errors["expert"] = f"{expert} already holds this role on the case."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    appointment = Appointment.objects.create(
        case=case,
        expert=expert,
        role=role,
        declaration=declaration.strip(),
        signed_at=now,
        signed_by=actor,
        appointed_by=actor,
        appointed_by_organisation=acting,
        appointed_at=now,
    )
    audit_record(
        actor=actor,
        organisation=acting,
        verb=ReviewsVerb.APPOINTMENT_MADE,
        target=appointment,
        scope=case,
        after={"expert": expert.pk, "role": role},
    )
    party = _investigation_lead_organisation(expert, case) if role in LEADING_ROLES else None
    if party is not None and expert.user is not None:
        current = regime_areas.area_of(case=case, area=Area.INVESTIGATION)
        if current is None or (current.lead_id, current.lead_organisation_id) != (expert.user.pk, party.pk):
            lead_hand_over(
                actor=actor,
                case=case,
                area=Area.INVESTIGATION,
                lead=expert.user,
                organisation=party,
                reason=f"Appointed {AppointmentRole(role).label.lower()}.",
                acting_for=acting,
            )
    return appointment


def independence_declaration(*, expert: Expert, case: Case) -> str:
    """The independence declaration an expert signs before acting on a case, naming its provider and the
    look-back window the registry checks employment against."""
    years = conflict_lookback_years()
    return (
        f"I, {expert.name}, declare that I am independent of {case.provider.name} ({case.provider.ods_code}). "
        f"I have not been employed by it in the last {years} years, I hold no financial interest in it, and I have "
        "had no personal involvement in the care under review. I will tell the case's oversight lead at once if "
        "this changes."
    )


def may_appoint(*, user: User, case: Case) -> bool:
    """Whether ``user`` may appoint experts to ``case`` (see ``appointment_make``)."""
    return bool(overseer_choices(user, case)) and case.status != CaseStatus.CLOSED


def may_waive(*, user: User, case: Case) -> bool:
    """Whether ``user`` may waive conflicts on ``case`` (see ``conflict_waive``)."""
    return bool(waiver_organisations(user, case)) and case.status != CaseStatus.CLOSED


# Besides the case's oversight lead, these roles in the organisation that made an appointment may end it.
APPOINTMENT_ENDER_ROLES = frozenset({*OVERSEER_ROLES, Role.NATIONAL_OVERSIGHT})


def ending_organisations(actor: User, appointment: Appointment) -> list[Organisation]:
    """The organisations through which ``actor`` may end ``appointment``: the organisation that made it, where they
    hold one of ``APPOINTMENT_ENDER_ROLES`` (then that one alone: the rule settles it); otherwise those through
    which they may waive conflicts on the case (its oversight lead, parties first). Empty if they may not."""
    membership = (
        actor.memberships.filter(
            role__in=APPOINTMENT_ENDER_ROLES, organisation_id=appointment.appointed_by_organisation_id
        )
        .select_related("organisation")
        .first()
    )
    if membership is not None:
        return [membership.organisation]
    return waiver_organisations(actor, appointment.case)


def _ending_organisation(actor: User, appointment: Appointment, chosen: Organisation | None) -> Organisation:
    """The organisation ``actor`` ends the appointment for: the one that made it, if they are there; else the one
    chosen among ``ending_organisations``, or their only one."""
    choices = ending_organisations(actor, appointment)
    if not choices:
        raise PermissionDenied(
            "Only the organisation that made the appointment, or the case's oversight lead, may end it."
        )
    if choices[0].pk == appointment.appointed_by_organisation_id:
        return choices[0]
    return choose_organisation(choices, chosen, doing="end this appointment")


def endable_appointment_ids(*, user: User, case: Case) -> set[int]:
    """The active appointments on ``case`` that ``user`` may end, in two queries at most (for the case's page)."""
    if case.status == CaseStatus.CLOSED:
        return set()
    active = Appointment.objects.filter(case=case, ended_at__isnull=True)
    if not may_waive(user=user, case=case):
        organisations = user.memberships.filter(role__in=APPOINTMENT_ENDER_ROLES).values("organisation")
        active = active.filter(appointed_by_organisation__in=organisations)
    return set(active.values_list("pk", flat=True))


@transaction.atomic
def appointment_end(
    *, actor: User, appointment: Appointment, reason: str, organisation: Organisation | None = None
) -> Appointment:
    """Ends an appointment for the reason given. Only the organisation that made it, or the case's oversight lead,
    may end it (for ``organisation``, needed only if they could end it for several: ``ending_organisations``). A
    lead who leaves stays the case's accountable investigation lead until it is handed over."""
    acting = _ending_organisation(actor, appointment, organisation)
    _lock_open(appointment.case)
    appointment = Appointment.objects.select_for_update().select_related("expert").get(pk=appointment.pk)
    if appointment.ended_at is not None:
        raise TransitionNotAllowed("This appointment has already ended.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the appointment ends."})
    appointment.ended_at = timezone.now()
    appointment.ended_by = actor
    appointment.end_reason = reason.strip()
    appointment.save(update_fields=["ended_at", "ended_by", "end_reason"])
    audit_record(
        actor=actor,
        organisation=acting,
        verb=ReviewsVerb.APPOINTMENT_ENDED,
        target=appointment,
        scope=appointment.case,
        before={"active": True},
        after={"active": False, "expert": appointment.expert_id, "role": appointment.role, "reason": reason.strip()},
    )
    return appointment
