"""Proposing a case, its parties and terms of reference, and moving it through its lifecycle."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.audit import audit_record
from accounts.errors import TransitionNotAllowed
from accounts.models import Organisation, OrganisationKind, User
from failure_regime.models import (
    CONCERN_OPEN_STATUSES,
    Area,
    Case,
    CaseParty,
    CaseStatus,
    ClosureReason,
    Concern,
    ConcernStatus,
    DeadlineKind,
    PartyBasis,
    Responsibility,
    Severity,
    TermsOfReference,
)
from failure_regime.permissions import (
    PROPOSER_KINDS,
    PROPOSER_ROLES,
    case_overseers,
    choose_organisation,
    membership_for,
)
from failure_regime.services.clock import deadline_meet, deadline_open
from failure_regime.services.concern_clock import concern_clock_stop
from failure_regime.services.notification_events import case_activated_notify, case_proposed_notify
from failure_regime.verbs import RegimeVerb

# Cases are proposed by a regulator or an oversight body, which are always parties to them.
ADDABLE_PARTY_KINDS = frozenset(
    {OrganisationKind.COMMISSIONER, OrganisationKind.OVERSIGHT_BODY, OrganisationKind.REGULATOR}
)


def required_parties(provider: Organisation) -> list[tuple[Organisation, str]]:
    """The parties every case about ``provider`` needs: the provider, CQC, and its oversight body if it has one
    (GP practices and adult social care answer to CQC alone)."""
    parties: list[tuple[Organisation, str]] = [(provider, PartyBasis.PROVIDER)]
    parties += [
        (regulator, PartyBasis.REGULATOR) for regulator in Organisation.objects.filter(kind=OrganisationKind.REGULATOR)
    ]
    if provider.oversight_body is not None:
        parties.append((provider.oversight_body, PartyBasis.OVERSIGHT_BODY))
    return parties


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _require_transition(case: Case, status: str) -> None:
    if not case.can_become(status):
        raise TransitionNotAllowed(
            f"A {case.get_status_display().lower()} case cannot become {CaseStatus(status).label.lower()}."
        )


def _add_party(*, case: Case, organisation: Organisation, basis: str, actor: User) -> CaseParty:
    party = CaseParty.objects.create(
        case=case, organisation=organisation, basis=basis, added_by=actor, added_at=timezone.now()
    )
    assign_perm("failure_regime.view_case", organisation.group, case)
    return party


@transaction.atomic
def case_propose(
    *,
    actor: User,
    organisation: Organisation,
    provider: Organisation,
    concerns: list[Concern],
    title: str,
    summary: str,
    scope: str,
    terms_of_reference: str,
) -> Case:
    """Proposes a single failure case from one or more concerns about the provider. Its required parties are
    derived from the provider; every mandatory area of the response starts without a lead. ``organisation`` is
    the regulator or oversight body proposing it."""
    membership_for(actor, organisation, PROPOSER_ROLES, doing="propose cases", kinds=PROPOSER_KINDS)
    errors: dict[str, str] = {}
    if not provider.is_provider:
        errors["provider"] = "Choose a provider of care."
    if not concerns:
        errors["concerns"] = "Choose at least one concern."
    elif any(c.provider_id != provider.pk for c in concerns):
        errors["concerns"] = "Every concern must be about the same provider as the case."
    elif any(c.status == ConcernStatus.CLOSED for c in concerns):
        errors["concerns"] = "A closed concern cannot start a case."
    for field, value in (
        ("title", title),
        ("summary", summary),
        ("scope", scope),
        ("terms_of_reference", terms_of_reference),
    ):
        if not value.strip():
            errors[field] = "This cannot be empty."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    immediate = any(c.severity == Severity.IMMEDIATE for c in concerns)
    case = Case.objects.create(
        reference=uuid.uuid4().hex[:20],  # replaced below, once the id is known
        provider=provider,
        title=title.strip(),
        summary=summary.strip(),
        scope=scope.strip(),
        immediate=immediate,
        proposed_by=actor,
        proposed_by_organisation=organisation,
        proposed_at=now,
        sign_off_deadline=now + timedelta(hours=settings.IMMEDIATE_SIGN_OFF_HOURS) if immediate else None,
    )
    case.reference = f"SFR-{case.pk:05d}"
    case.save(update_fields=["reference"])
    case.concerns.set(concerns)
    Concern.objects.filter(pk__in=[c.pk for c in concerns], status__in=CONCERN_OPEN_STATUSES).update(
        status=ConcernStatus.IN_CASE
    )
    concern_clock_stop(concerns)
    for party, basis in required_parties(provider):
        _add_party(case=case, organisation=party, basis=basis, actor=actor)
    Responsibility.objects.bulk_create([Responsibility(case=case, area=area) for area in Area])
    TermsOfReference.objects.create(
        case=case, version=1, text=terms_of_reference.strip(), written_by=actor, written_at=now
    )
    if case.sign_off_deadline is not None:
        deadline_open(
            kind=DeadlineKind.SIGN_OFF,
            title=f"Joint sign-off of case {case.reference}",
            provider=provider,
            subject=case,
            case=case,
            due_at=case.sign_off_deadline,
        )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RegimeVerb.CASE_PROPOSED,
        target=case,
        scope=case,
        after={
            "provider": provider.ods_code,
            "title": case.title,
            "immediate": immediate,
            "parties": [p.organisation.ods_code for p in case.parties.select_related("organisation")],
        },
    )
    case_proposed_notify(case=case, actor=actor)
    return case


@transaction.atomic
def case_party_add(*, actor: User, case: Case, organisation: Organisation) -> CaseParty:
    """Adds a party "as appropriate" (a commissioner, say). Only the proposer's organisation may, and only
    before any party has given its decision."""
    case = _lock(case)
    acting = membership_for(
        actor, case.proposed_by_organisation, PROPOSER_ROLES, doing="add parties to this case"
    ).organisation
    if case.status != CaseStatus.PROPOSED or case.sign_offs.exists():
        raise TransitionNotAllowed("Parties can be added only before sign-off starts.")
    if organisation.kind not in ADDABLE_PARTY_KINDS:
        # Another provider's staff would see this provider's case: only public bodies join "as appropriate".
        raise ValidationError({"organisation": "Only a commissioner, regulator or oversight body can be added."})
    if case.parties.filter(organisation=organisation).exists():
        raise ValidationError({"organisation": f"{organisation} is already a party."})
    party = _add_party(case=case, organisation=organisation, basis=PartyBasis.AS_APPROPRIATE, actor=actor)
    audit_record(
        actor=actor,
        organisation=acting,
        verb=RegimeVerb.CASE_PARTY_ADDED,
        target=party,
        scope=case,
        after={"organisation": organisation.ods_code},
    )
    case_proposed_notify(case=case, actor=actor)  # the new party's signatories; the others were told already
    return party


def overseer_organisation(actor: User, case: Case, doing: str, chosen: Organisation | None = None) -> Organisation:
    """The organisation ``actor`` runs the case for (``permissions.case_overseers``: a party where they are a
    regulator decision-maker or oversight lead, or else national oversight): the one chosen, which must be one of
    them, else their only one. Refuses (403) anyone else; with several and none chosen, asks them to choose (a
    field error on ``acting_for``)."""
    return choose_organisation(overseer_choices(actor, case), chosen, doing=doing)


def overseer_choices(user: User, case: Case) -> list[Organisation]:
    """The organisations ``user`` runs the case for (``permissions.case_overseers``), by name: what pages offer
    (``acting``) and check before offering an overseer's action. Empty for anyone who does not run it."""
    return case_overseers(user, case.parties.values_list("organisation_id", flat=True))


@transaction.atomic
def case_terms_revise(
    *, actor: User, case: Case, text: str, organisation: Organisation | None = None
) -> TermsOfReference:
    """Writes a new version of the terms of reference, for ``organisation`` (needed only if the actor runs the case
    for several: ``overseer_organisation``); earlier versions stay as they were."""
    case = _lock(case)
    organisation = overseer_organisation(actor, case, "revise the terms of reference", organisation)
    if case.status == CaseStatus.CLOSED:
        raise TransitionNotAllowed("A closed case's terms of reference cannot change.")
    if not text.strip():
        raise ValidationError({"text": "The terms of reference cannot be empty."})
    latest = case.terms_versions.order_by("-version").first()
    version = TermsOfReference.objects.create(
        case=case,
        version=(latest.version if latest else 0) + 1,
        text=text.strip(),
        written_by=actor,
        written_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RegimeVerb.CASE_TERMS_REVISED,
        target=version,
        scope=case,
        after={"version": version.version},
    )
    return version


@transaction.atomic
def case_activate(*, actor: User, case: Case, organisation: Organisation | None = None) -> Case:
    """Makes a triggered case active, for ``organisation`` (as ``case_terms_revise``); refused while any mandatory
    area has no accountable lead."""
    case = _lock(case)
    organisation = overseer_organisation(actor, case, "make this case active", organisation)
    _require_transition(case, CaseStatus.ACTIVE)
    missing = [r.get_area_display() for r in case.responsibilities.filter(lead__isnull=True).order_by("pk")]
    if missing:
        raise TransitionNotAllowed(f"These areas have no accountable lead yet: {', '.join(missing)}.")
    case.status, case.activated_at = CaseStatus.ACTIVE, timezone.now()
    case.save(update_fields=["status", "activated_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RegimeVerb.CASE_ACTIVATED,
        target=case,
        scope=case,
        before={"status": CaseStatus.TRIGGERED},
        after={"status": CaseStatus.ACTIVE},
    )
    case_activated_notify(case=case, actor=actor)
    return case


@transaction.atomic
def case_close(*, actor: User, case: Case, reason: str, summary: str, organisation: Organisation | None = None) -> Case:
    """Closes the case with a reason and a closing summary, for ``organisation`` (as ``case_terms_revise``). A held
    proposal can be closed too."""
    case = _lock(case)
    organisation = overseer_organisation(actor, case, "close this case", organisation)
    _require_transition(case, CaseStatus.CLOSED)
    errors = {}
    if reason not in ClosureReason.values:
        errors["reason"] = "Choose why the case is closing."
    if not summary.strip():
        errors["summary"] = "Write a closing summary."
    if errors:
        raise ValidationError(errors)
    before = case.status
    case.status, case.closed_at = CaseStatus.CLOSED, timezone.now()
    case.closure_reason, case.closing_summary = reason, summary.strip()
    case.save(update_fields=["status", "closed_at", "closure_reason", "closing_summary"])
    deadline_meet(subject=case)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RegimeVerb.CASE_CLOSED,
        target=case,
        scope=case,
        before={"status": before},
        after={"status": CaseStatus.CLOSED, "reason": reason},
    )
    return case
