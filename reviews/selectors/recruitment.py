"""Reads of recruitment: campaigns with their progress against what is needed, the open campaigns the public may
apply to, and applications, which only the case's review managers may read (each read is audited)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from failure_regime.models import Case
from reviews.models import (
    Application,
    ApplicationStatus,
    Appointment,
    AppointmentRole,
    Campaign,
    CampaignNeed,
    CampaignStatus,
    Invitation,
    Specialty,
)
from reviews.selectors.team import managed_case_list_for_user, recruitment_led_case_ids
from reviews.verbs import ReviewsVerb


@dataclass
class NeedProgress:
    """One specialty of a campaign: how many are needed, and how many applied, passed vetting, were approved and
    are appointed to the case as expert reviewers. An application naming two specialties counts in both."""

    specialty: Specialty
    needed: int
    applied: int = 0
    vetted: int = 0
    approved: int = 0
    appointed: int = 0

    @property
    def met(self) -> bool:
        return self.appointed >= self.needed


@dataclass
class CampaignProgress:
    """A campaign with its progress per specialty and its applications by status."""

    campaign: Campaign
    needs: list[NeedProgress] = field(default_factory=list)
    applications: int = 0
    waiting: int = 0

    @property
    def accepting(self) -> bool:
        """Whether the public can apply: open, and the closing date not passed."""
        return self.campaign.status == CampaignStatus.OPEN and self.campaign.closes_on >= timezone.localdate()

    @property
    def needed(self) -> int:
        return sum(n.needed for n in self.needs)

    @property
    def appointed(self) -> int:
        return sum(min(n.appointed, n.needed) for n in self.needs)


def _vetted() -> Q:
    return Q(
        application__registration_checked=True,
        application__references_checked=True,
        application__interests_checked=True,
        application__training_checked=True,
    ) & ~Q(application__status=ApplicationStatus.REJECTED)


def campaign_progress(*, campaigns: list[Campaign]) -> list[CampaignProgress]:
    """Progress of each campaign against what it needs, in a fixed number of queries however many campaigns and
    applications there are. The campaigns' needs must be prefetched (see ``_with_needs``)."""
    ids = [c.pk for c in campaigns]
    appointment = Appointment.objects.filter(
        case=OuterRef("application__campaign__case"),
        expert=OuterRef("application__expert"),
        role=AppointmentRole.EXPERT_REVIEWER,
        ended_at__isnull=True,
    )
    is_approved = Q(application__status=ApplicationStatus.APPROVED)
    counts = (
        Application.specialties.through.objects.filter(application__campaign__in=ids)
        .values("application__campaign", "specialty")
        .annotate(
            applied=Count("application"),
            vetted=Count("application", filter=_vetted()),
            approved=Count("application", filter=is_approved),
            appointed=Count("application", filter=is_approved & Q(Exists(appointment))),
        )
        .order_by()
    )
    by_need: dict[tuple[int, int], tuple[int, int, int, int]] = {
        (row["application__campaign"], row["specialty"]): (
            row["applied"],
            row["vetted"],
            row["approved"],
            row["appointed"],
        )
        for row in counts
    }
    totals = (
        Application.objects.filter(campaign__in=ids)
        .values("campaign")
        .annotate(total=Count("pk"), waiting=Count("pk", filter=Q(status=ApplicationStatus.SUBMITTED)))
        .order_by()
    )
    by_campaign: dict[int, tuple[int, int]] = {row["campaign"]: (row["total"], row["waiting"]) for row in totals}
    result = []
    for campaign in campaigns:
        total, waiting = by_campaign.get(campaign.pk, (0, 0))
        progress = CampaignProgress(campaign=campaign, applications=total, waiting=waiting)
        for need in campaign.needs.all():
            applied, vetted, approved, appointed = by_need.get((campaign.pk, need.specialty_id), (0, 0, 0, 0))
            progress.needs.append(
                NeedProgress(
                    specialty=need.specialty,
                    needed=need.number_needed,
                    applied=applied,
                    vetted=vetted,
                    approved=approved,
                    appointed=appointed,
                )
            )
        result.append(progress)
    return result


def _with_needs(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    return campaigns.select_related("case", "organisation", "opened_by").prefetch_related(
        Prefetch("needs", queryset=CampaignNeed.objects.select_related("specialty"))
    )


def campaign_list_for_case(*, case: Case) -> list[CampaignProgress]:
    """Every campaign of a case, newest first, with its progress. The caller has checked the user manages the case."""
    return campaign_progress(campaigns=list(_with_needs(Campaign.objects.filter(case=case))))


def campaign_list_for_user(*, user: User) -> QuerySet[Campaign]:
    """Campaigns on the cases whose review the user manages; none for anyone else."""
    if not user.is_authenticated:
        return Campaign.objects.none()
    return _with_needs(Campaign.objects.filter(case__in=managed_case_list_for_user(user=user).values("pk")))


def campaign_get_for_user(*, user: User, pk: int) -> Campaign:
    """A campaign on a case whose review the user manages; 404 for anything else."""
    campaign = campaign_list_for_user(user=user).filter(pk=pk).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def open_campaigns() -> QuerySet[Campaign]:
    """Campaigns the public may apply to: open, and their closing date not passed. Only what the public page
    shows is loaded: no case, organisation or person."""
    campaigns = Campaign.objects.filter(status=CampaignStatus.OPEN, closes_on__gte=timezone.localdate())
    return campaigns.only("pk", "title", "description", "closes_on", "status").prefetch_related(
        Prefetch("needs", queryset=CampaignNeed.objects.select_related("specialty"))
    )


def open_campaign_get(*, pk: int) -> Campaign:
    campaign = open_campaigns().filter(pk=pk).first()
    if campaign is None:
        raise Http404("This campaign is not taking applications.")
    return campaign


def application_list_for_user(*, user: User) -> QuerySet[Application]:
    """Applications to campaigns on cases whose review the user manages; none for anyone else."""
    campaigns = campaign_list_for_user(user=user).values("pk")
    return (
        Application.objects.filter(campaign__in=campaigns)
        .select_related("campaign")
        .prefetch_related("specialties")
        .order_by("submitted_at", "pk")
    )


@dataclass(frozen=True)
class CampaignToVet:
    """How many applications to a campaign wait for vetting, and since when."""

    campaign_id: int
    title: str
    organisation_id: int
    case_reference: str
    waiting: int
    oldest: datetime


def applications_to_vet_by_campaign(*, user: User) -> list[CampaignToVet]:
    """Applications waiting for vetting on the cases where ``user`` is the recruitment lead (who vets them), counted
    per campaign, oldest first: one row per campaign, one query."""
    rows = (
        application_list_for_user(user=user)
        .prefetch_related(None)
        .filter(status=ApplicationStatus.SUBMITTED, campaign__case__in=recruitment_led_case_ids(user=user))
        .order_by()
        .values_list("campaign_id", "campaign__title", "campaign__organisation_id", "campaign__case__reference")
        .annotate(waiting=Count("pk"), oldest=Min("submitted_at"))
        .order_by("oldest", "campaign_id")
    )
    return [CampaignToVet(*row) for row in rows]


def application_find_for_user(*, user: User, pk: int) -> Application:
    """An application, for the case's review managers only (404 for anyone else), to act on. Showing it must be
    recorded with ``application_view_record``; ``application_get_for_user`` does both."""
    application = (
        application_list_for_user(user=user)
        .select_related("campaign__case__provider", "campaign__organisation", "decided_by", "expert")
        .filter(pk=pk)
        .first()
    )
    if application is None:
        raise Http404("No such application.")
    return application


def application_view_record(*, user: User, application: Application) -> None:
    """Records in the audit trail that ``user`` read the application, as it holds the applicant's personal data."""
    audit_record(actor=user, verb=ReviewsVerb.APPLICATION_VIEWED, target=application, scope=application.campaign)


def application_get_for_user(*, user: User, pk: int) -> Application:
    """An application, for the case's review managers only (404 for anyone else). The read is audited."""
    application = application_find_for_user(user=user, pk=pk)
    application_view_record(user=user, application=application)
    return application


def invitation_for(*, application: Application) -> Invitation | None:
    return Invitation.objects.filter(application=application).first()


def invitation_for_token(*, token_hash: str) -> Invitation | None:
    """The invitation a link points to, if it can still be accepted (not used, not expired)."""
    return (
        Invitation.objects.select_related("application__campaign__organisation")
        .filter(token_hash=token_hash, accepted_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
