"""Writes of recruitment: campaigns for a case, public applications, their vetting and decision, and the
invitation an approved expert accepts to create their account. Each records its audit event in the same
transaction as the change, and queues its e-mail in the outbox so that it is sent once, after commit.

Applications hold personal data: nothing here logs, and e-mail subjects carry only the application's reference.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.audit import audit_record
from accounts.errors import ConflictError, DomainError, TransitionNotAllowed
from accounts.models import Organisation, Role, User
from failure_regime import areas as regime_areas
from failure_regime.dates import long_date
from failure_regime.models import Area, Case, CaseStatus
from failure_regime.services.outbox import Mail, outbox_enqueue
from reviews.models import (
    Application,
    ApplicationStatus,
    Campaign,
    CampaignNeed,
    CampaignStatus,
    Expert,
    InterestKind,
    Invitation,
    Seniority,
    Specialty,
    TrainingKind,
)
from reviews.selectors.team import is_recruitment_lead
from reviews.services import registry
from reviews.verbs import ReviewsVerb

DEFAULT_INVITATION_VALID_DAYS = 14
MAX_CAPACITY_PER_WEEK = 50
# Crockford's base 32: no I, L, O or U, so a reference read out over the phone is not misheard.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "A-"
# The vetting checks, by the application field that records each one.
CHECKS: dict[str, str] = {
    "registration_checked": "Registration checked with the regulator",
    "references_checked": "References taken up",
    "interests_checked": "Declared interests reviewed",
    "training_checked": "Training confirmed",
}


class InvitationUnavailable(DomainError):
    """The invitation link is unknown, already used or expired."""


@dataclass(frozen=True)
class Need:
    """How many experts of a specialty (named in plain words) a campaign asks for."""

    specialty: str
    number_needed: int


def invitation_valid_days() -> int:
    return int(getattr(settings, "REVIEWS_INVITATION_VALID_DAYS", DEFAULT_INVITATION_VALID_DAYS))


def token_hash(token: str) -> str:
    """What is stored of an invitation token: its SHA-256, so a copy of the database cannot accept invitations."""
    return hashlib.sha256(token.encode()).hexdigest()


def _recruitment_lead_organisation(actor: User, case: Case, doing: str) -> Organisation:
    """The organisation the case's accountable expert-recruitment lead answers for; refuses anyone else."""
    if not actor.is_active or not is_recruitment_lead(user=actor, case=case):
        raise PermissionDenied(f"Only the case's expert-recruitment lead can {doing}.")
    # A lead always has an organisation (a database constraint), so this finds one.
    return regime_areas.area_lead_organisations(case=case, area=Area.EXPERT_RECRUITMENT).get()


def keeps_registry(user: User) -> bool:
    """Whether ``user`` may add experts to the registry, which approving an application does."""
    return user.memberships.filter(role__in=registry.REGISTRY_ROLES).exists()


def _specialty_named(name: str) -> Specialty:
    return Specialty.objects.filter(name__iexact=name).first() or Specialty.objects.create(name=name)


@transaction.atomic
def campaign_open(
    *, actor: User, case: Case, title: str, description: str, closes_on: datetime.date, needs: list[Need]
) -> Campaign:
    """Opens a call for experts on ``case``: the specialties and numbers needed and the last day to apply. Only the
    case's expert-recruitment lead may open one; approved experts will join the lead's organisation."""
    organisation = _recruitment_lead_organisation(actor, case, "open a recruitment campaign")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == CaseStatus.CLOSED:
        raise TransitionNotAllowed("A closed case cannot recruit experts.")
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Enter a title for the campaign."
    if not description.strip():
        errors["description"] = "Describe the review and what reviewers will do."
    if closes_on < timezone.localdate():
        errors["closes_on"] = "The closing date cannot be in the past."
    wanted: dict[str, Need] = {}
    for need in needs:
        name = need.specialty.strip()
        if not name:
            continue
        if name.lower() in wanted:
            errors["needs"] = f"{name} is listed twice: give each specialty once."
        elif need.number_needed < 1:
            errors["needs"] = f"Say how many experts in {name} are needed (at least 1)."
        wanted[name.lower()] = Need(specialty=name, number_needed=need.number_needed)
    if not wanted and "needs" not in errors:
        errors["needs"] = "Add at least one specialty and how many experts are needed."
    if errors:
        raise ValidationError(errors)
    campaign = Campaign.objects.create(
        case=case,
        organisation=organisation,
        title=title.strip(),
        description=description.strip(),
        closes_on=closes_on,
        opened_by=actor,
        opened_at=timezone.now(),
    )
    created = CampaignNeed.objects.bulk_create(
        CampaignNeed(campaign=campaign, specialty=_specialty_named(n.specialty), number_needed=n.number_needed)
        for n in wanted.values()
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=ReviewsVerb.CAMPAIGN_OPENED,
        target=campaign,
        scope=case,
        after={
            "title": campaign.title,
            "closes_on": closes_on,
            "needs": {need.specialty.name: need.number_needed for need in created},
        },
    )
    return campaign


@transaction.atomic
def campaign_close(*, actor: User, campaign: Campaign) -> Campaign:
    """Stops a campaign taking applications before its closing date; applications already in can still be vetted."""
    organisation = _recruitment_lead_organisation(actor, campaign.case, "close a recruitment campaign")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if CampaignStatus.CLOSED not in Campaign.TRANSITIONS[campaign.status]:
        raise TransitionNotAllowed("This campaign is already closed.")
    campaign.status, campaign.closed_at = CampaignStatus.CLOSED, timezone.now()
    campaign.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=ReviewsVerb.CAMPAIGN_CLOSED,
        target=campaign,
        scope=campaign.case,
        before={"status": CampaignStatus.OPEN},
        after={"status": CampaignStatus.CLOSED},
    )
    return campaign


def accepts_applications(campaign: Campaign) -> bool:
    """Open, and its closing date has not passed."""
    return campaign.status == CampaignStatus.OPEN and campaign.closes_on >= timezone.localdate()


def _new_reference() -> str:
    while True:
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(12))
        reference = f"{REFERENCE_PREFIX}{code[:4]}-{code[4:8]}-{code[8:]}"
        if not Application.objects.filter(reference=reference).exists():
            return reference


def _required_text(errors: dict[str, str], values: Mapping[str, str], messages: Mapping[str, str]) -> None:
    for field, message in messages.items():
        if not values[field].strip():
            errors[field] = message


@transaction.atomic
def application_submit(
    *,
    campaign: Campaign,
    name: str,
    email: str,
    phone: str = "",
    profession: str,
    regulator: str,
    registration_number: str,
    specialties: list[Specialty],
    seniority: int,
    current_employer: str,
    employment_history: str,
    interests: str = "",
    no_other_interests: bool,
    sjr_trained_on: datetime.date | None = None,
    capacity_per_week: int,
    first_referee: str,
    second_referee: str,
    information_true: bool,
    consent: bool,
) -> Application:
    """Takes an expert's application to an open campaign from the public form (no account). The registration
    number must match the regulator's format; the applicant must confirm their declarations and consent. They are
    sent an acknowledgement with the application's reference."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not accepts_applications(campaign):
        raise TransitionNotAllowed("This campaign is closed to applications.")
    errors: dict[str, str] = {}
    text = {
        "name": name,
        "profession": profession,
        "current_employer": current_employer,
        "employment_history": employment_history,
        "first_referee": first_referee,
        "second_referee": second_referee,
    }
    _required_text(
        errors,
        text,
        {
            "name": "Enter your full name.",
            "profession": "Enter your profession.",
            "current_employer": "Enter your current employer, or say that you are retired or self-employed.",
            "employment_history": "List the posts you have held in the last 5 years, with dates.",
            "first_referee": "Give the name, role and contact details of your first referee.",
            "second_referee": "Give the name, role and contact details of your second referee.",
        },
    )
    address = email.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        errors["email"] = "Enter an e-mail address in the right format, like name@example.org."
    number = ""
    try:
        number = registry.registration_number_normalise(regulator=regulator, number=registration_number)
    except ValidationError as exc:
        errors.update({field: messages[0] for field, messages in exc.message_dict.items()})
    needed = set(campaign.needs.values_list("specialty_id", flat=True))
    chosen = list(dict.fromkeys(specialties))
    if not chosen or any(s.pk not in needed for s in chosen):
        errors["specialties"] = "Choose at least one of the specialties this review needs."
    if seniority not in Seniority.values:
        errors["seniority"] = "Choose how senior you are."
    if not 1 <= capacity_per_week <= MAX_CAPACITY_PER_WEEK:
        errors["capacity_per_week"] = f"Enter a number of cases from 1 to {MAX_CAPACITY_PER_WEEK}."
    if sjr_trained_on is not None and sjr_trained_on > timezone.localdate():
        errors["sjr_trained_on"] = "The date of your training cannot be in the future."
    if not no_other_interests:
        errors["no_other_interests"] = "Confirm that you have declared every interest."
    if not information_true:
        errors["information_true"] = "Confirm that the information you have given is true and complete."
    if not consent:
        errors["consent"] = "You need to agree to the use of your information to apply."
    if "email" not in errors and Application.objects.filter(campaign=campaign, email=address).exists():
        errors["email"] = "An application from this e-mail address has already been sent to this campaign."
    if (
        number
        and "registration_number" not in errors
        and Application.objects.filter(campaign=campaign, regulator=regulator, registration_number=number).exists()
    ):
        errors["registration_number"] = "An application with this registration number has already been sent."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    # The campaign row is locked, so the duplicate checks above cannot race another submission to it.
    application = Application.objects.create(
        campaign=campaign,
        reference=_new_reference(),
        name=name.strip(),
        email=address,
        phone=phone.strip(),
        profession=profession.strip(),
        regulator=regulator,
        registration_number=number,
        seniority=seniority,
        current_employer=current_employer.strip(),
        employment_history=employment_history.strip(),
        interests=interests.strip(),
        no_other_interests=no_other_interests,
        sjr_trained_on=sjr_trained_on,
        capacity_per_week=capacity_per_week,
        first_referee=first_referee.strip(),
        second_referee=second_referee.strip(),
        consent_given_at=now,
        submitted_at=now,
    )
    application.specialties.set(chosen)
    audit_record(
        actor=None,
        organisation=campaign.organisation,
        verb=ReviewsVerb.APPLICATION_RECEIVED,
        target=application,
        scope=campaign,
        after={"specialties": sorted(s.name for s in chosen), "regulator": regulator},
    )
    body = render_to_string(
        "reviews/email/recruitment/application_received.txt", {"application": application, "campaign": campaign}
    )
    outbox_enqueue(
        messages=[
            Mail(
                dedupe_key=f"application-received:{application.pk}",
                to=address,
                subject=f"Application {application.reference} received",
                body=body,
            )
        ]
    )
    return application


def _lock_undecided(application: Application) -> Application:
    application = (
        Application.objects.select_for_update(of=("self",)).select_related("campaign__case").get(pk=application.pk)
    )
    if application.status != ApplicationStatus.SUBMITTED:
        raise TransitionNotAllowed(
            f"This application has already been {application.get_status_display().lower()}; it cannot change."
        )
    return application


@transaction.atomic
def application_check(*, actor: User, application: Application, checks: Mapping[str, bool]) -> Application:
    """Records the outcome of vetting checks (registration, references, interests, training) on an application
    waiting for a decision. Each check that changes is its own audit event."""
    organisation = _recruitment_lead_organisation(actor, application.campaign.case, "vet applications")
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown:
        raise ValidationError({"checks": f"Unknown checks: {', '.join(unknown)}."})
    application = _lock_undecided(application)
    changed = {field: done for field, done in checks.items() if getattr(application, field) != done}
    for field, done in changed.items():
        setattr(application, field, done)
    if changed:
        application.save(update_fields=list(changed))
    for field, done in changed.items():
        audit_record(
            actor=actor,
            organisation=organisation,
            verb=ReviewsVerb.APPLICATION_CHECKED,
            target=application,
            scope=application.campaign,
            before={field: not done},
            after={field: done},
        )
    return application


def _invitation_mail(invitation: Invitation, token: str) -> Mail:
    application = invitation.application
    link = settings.SITE_URL + reverse("reviews:invitation-accept", args=[token])
    body = render_to_string(
        "reviews/email/recruitment/invitation.txt",
        {
            "application": application,
            "campaign": application.campaign,
            "link": link,
            "expires_on": long_date(timezone.localdate(invitation.expires_at)),
        },
    )
    return Mail(
        dedupe_key=f"invitation:{invitation.pk}:{invitation.sent_at.timestamp()}",
        to=application.email,
        subject="Your invitation to join a case review",
        body=body,
    )


def _invite(actor: User, organisation: Organisation, application: Application) -> Invitation:
    """Writes (or renews) the application's invitation with a fresh token and mails the link. Only the token's
    hash is stored; the token itself exists only in the e-mail."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation, _ = Invitation.objects.update_or_create(
        application=application,
        defaults={
            "token_hash": token_hash(token),
            "sent_at": now,
            "expires_at": now + datetime.timedelta(days=invitation_valid_days()),
        },
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=ReviewsVerb.INVITATION_SENT,
        target=invitation,
        scope=application.campaign,
        after={"expires_at": invitation.expires_at},
    )
    outbox_enqueue(messages=[_invitation_mail(invitation, token)])
    return invitation


@transaction.atomic
def application_approve(
    *,
    actor: User,
    application: Application,
    employer_started_on: datetime.date,
    employer_organisation: Organisation | None = None,
    interest_organisation: Organisation | None = None,
    interest_kind: str = "",
    note: str = "",
) -> Application:
    """Approves a fully vetted application: the expert joins the registry (with their current employer, any
    declared interest the vetter placed in an organisation, and their structured judgement review training, so
    that conflicts of interest are found) and is invited to create an account as an expert reviewer.

    The application form takes employment and interests as free text; the registry needs dates and registered
    organisations to find conflicts, so the vetter gives the current post's start date and, where they apply, the
    employer's and the interest's organisations, as confirmed by the references."""
    organisation = _recruitment_lead_organisation(actor, application.campaign.case, "approve applications")
    application = _lock_undecided(application)
    if not application.vetted:
        raise TransitionNotAllowed("Complete all four vetting checks before approving the application.")
    errors: dict[str, str] = {}
    if employer_started_on > timezone.localdate():
        errors["employer_started_on"] = "The start date cannot be in the future."
    if interest_organisation is not None:
        if interest_kind not in InterestKind.values:
            errors["interest_kind"] = "Choose the kind of interest."
        if not application.interests.strip():
            errors["interest_organisation"] = "The applicant declared no interests to record."
    if errors:
        raise ValidationError(errors)
    specialties = list(application.specialties.all())
    expert = registry.expert_register(
        actor=actor,
        authority=organisation,
        name=application.name,
        profession=application.profession,
        regulator=application.regulator,
        registration_number=application.registration_number,
        specialties=[s.name for s in specialties],
        seniority=application.seniority,
        capacity_per_week=application.capacity_per_week,
    )
    registry.employment_add(
        actor=actor,
        authority=organisation,
        expert=expert,
        employer_name=application.current_employer,
        organisation=employer_organisation,
        started_on=employer_started_on,
    )
    if interest_organisation is not None:
        registry.interest_declare(
            actor=actor,
            authority=organisation,
            expert=expert,
            organisation=interest_organisation,
            kind=interest_kind,
            description=application.interests,
            declared_on=timezone.localdate(application.submitted_at),
        )
    if application.sjr_trained_on is not None:
        registry.training_record(
            actor=actor,
            authority=organisation,
            expert=expert,
            kind=TrainingKind.STRUCTURED_JUDGEMENT_REVIEW,
            completed_on=application.sjr_trained_on,
        )
    application.status = ApplicationStatus.APPROVED
    application.decision_reason = note.strip()
    application.decided_by, application.decided_at, application.expert = actor, timezone.now(), expert
    application.save(update_fields=["status", "decision_reason", "decided_by", "decided_at", "expert"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=ReviewsVerb.APPLICATION_APPROVED,
        target=application,
        scope=application.campaign,
        before={"status": ApplicationStatus.SUBMITTED},
        after={"status": ApplicationStatus.APPROVED, "expert": expert.pk},
    )
    _invite(actor, organisation, application)
    return application


@transaction.atomic
def application_reject(*, actor: User, application: Application, reason: str) -> Application:
    """Turns an application down for the reason given, which is kept on record. The applicant is told by e-mail
    that they were not successful; the reason is not sent to them."""
    organisation = _recruitment_lead_organisation(actor, application.campaign.case, "reject applications")
    application = _lock_undecided(application)
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for turning the application down."})
    application.status = ApplicationStatus.REJECTED
    application.decision_reason = reason.strip()
    application.decided_by, application.decided_at = actor, timezone.now()
    application.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=ReviewsVerb.APPLICATION_REJECTED,
        target=application,
        scope=application.campaign,
        before={"status": ApplicationStatus.SUBMITTED},
        after={"status": ApplicationStatus.REJECTED, "reason": application.decision_reason},
    )
    body = render_to_string(
        "reviews/email/recruitment/application_rejected.txt",
        {"application": application, "campaign": application.campaign},
    )
    outbox_enqueue(
        messages=[
            Mail(
                dedupe_key=f"application-rejected:{application.pk}",
                to=application.email,
                subject=f"Your application {application.reference}",
                body=body,
            )
        ]
    )
    return application


@transaction.atomic
def invitation_renew(*, actor: User, application: Application) -> Invitation:
    """Sends an approved expert a new invitation link, for example when the first one expired. The old link stops
    working."""
    organisation = _recruitment_lead_organisation(actor, application.campaign.case, "send invitations")
    application = Application.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=application.pk)
    if application.status != ApplicationStatus.APPROVED:
        raise TransitionNotAllowed("Only an approved application has an invitation.")
    invitation = Invitation.objects.select_for_update().filter(application=application).first()
    if invitation is not None and invitation.accepted_at is not None:
        raise TransitionNotAllowed("The invitation has already been accepted.")
    return _invite(actor, organisation, application)


def _lock_valid_invitation(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("application__campaign__organisation")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= timezone.now():
        raise InvitationUnavailable("This invitation link has expired or has already been used.")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Creates the approved expert's account with the password they chose, gives it the expert reviewer role in the
    organisation that recruited them and links it to their registry entry. A link works once, until it expires."""
    invitation = _lock_valid_invitation(token)
    application = invitation.application
    expert = Expert.objects.select_for_update().get(application=application)
    if User.objects.filter(email__iexact=application.email).exists():
        raise ConflictError(
            "An account with this e-mail address already exists. Sign in with it, and ask the recruitment lead "
            "to link it to your expert record."
        )
    if expert.user_id is not None:
        raise ConflictError("Your expert record already has an account. Sign in with it.")
    try:
        validate_password(password, User(email=application.email, full_name=application.name))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user = accounts_services.user_create(
        actor=None, email=application.email, full_name=application.name, password=password
    )
    organisation = application.campaign.organisation
    accounts_services.membership_create(actor=user, user=user, organisation=organisation, role=Role.EXPERT_REVIEWER)
    expert.user = user
    expert.save(update_fields=["user"])
    invitation.accepted_at, invitation.user = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "user"])
    audit_record(
        actor=user,
        organisation=organisation,
        verb=ReviewsVerb.EXPERT_CHANGED,
        target=expert,
        before={"user": None},
        after={"user": user.pk},
    )
    audit_record(
        actor=user,
        organisation=organisation,
        verb=ReviewsVerb.INVITATION_ACCEPTED,
        target=invitation,
        scope=application.campaign,
        after={"user": user.pk, "expert": expert.pk, "role": Role.EXPERT_REVIEWER},
    )
    return user
