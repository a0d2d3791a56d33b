"""CQC's recommendation of special measures for a trust, and the oversight body's decision on it.

A CQC decision-maker recommends special measures from an inspection that found poor care and weak leadership
(``failure_regime.ratings.recommendation_refusal``). The trust's oversight body decides once, by the deadline of the
rules in force on the day CQC recommended: it places the trust in special measures (the episode is entered by
``episode_enter``, on CQC's recommendation) or decides not to, with its reasons. A decision after the deadline is
still recorded; the clock has escalated it to national oversight by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ConflictError
from accounts.models import Membership, Organisation, Role, User
from failure_regime.dates import end_of_day, long_date
from failure_regime.models import (
    Basis,
    DeadlineKind,
    Episode,
    EpisodeStatus,
    Inspection,
    NotificationEvent,
    Recommendation,
    RecommendationStatus,
)
from failure_regime.permissions import RECOMMENDATION_ROLES, membership_for, recommendation_decider_membership
from failure_regime.ratings import recommendation_refusal
from failure_regime.services.clock import (
    DeadlineFacts,
    Recipients,
    deadline_meet,
    deadline_open,
    members_by_role,
    register_resolver,
)
from failure_regime.services.notification_events import Audience, tell
from failure_regime.services.special_measures import episode_enter, rule_set_for
from failure_regime.verbs import RecommendationVerb


def _lock_provider(provider: Organisation) -> Organisation:
    # One recommendation or decision about a provider at a time.
    return Organisation.objects.select_for_update(of=("self",)).select_related("oversight_body").get(pk=provider.pk)


@transaction.atomic
def recommendation_make(
    *, actor: User, organisation: Organisation, inspection: Inspection, reasons: str
) -> Recommendation:
    """A CQC decision-maker recommends that a trust enter special measures, from an inspection that rated it
    inadequate overall or for being well-led. The trust's oversight body must decide within the days its rules
    give; its oversight leads are told."""
    membership_for(actor, organisation, RECOMMENDATION_ROLES, doing="recommend special measures")
    inspection = Inspection.objects.select_related("provider").get(pk=inspection.pk)
    provider = _lock_provider(inspection.provider)
    errors: dict[str, str] = {}
    refusal = recommendation_refusal(inspection)
    if refusal:
        errors["inspection"] = refusal
    if not reasons.strip():
        errors["reasons"] = "Give CQC's reasons for recommending special measures."
    if errors:
        raise ValidationError(errors)
    if Episode.objects.filter(provider=provider, status=EpisodeStatus.OPEN).exists():
        raise ConflictError(f"{provider} is already in special measures.")
    if Recommendation.objects.filter(provider=provider, status=RecommendationStatus.AWAITING_DECISION).exists():
        raise ConflictError(f"A recommendation for {provider} is already waiting for a decision.")
    now = timezone.now()
    today = timezone.localdate(now)
    rules = rule_set_for(provider_kind=provider.kind, on=today)
    if not rules.recommendation_decision_days:
        raise ValidationError({"inspection": f"The {rules.name} rules set no time for deciding on a recommendation."})
    recommendation = Recommendation.objects.create(
        provider=provider,
        inspection=inspection,
        recommended_by=actor,
        recommended_by_organisation=organisation,
        recommended_at=now,
        reasons=reasons.strip(),
        decision_due_on=today + timedelta(days=rules.recommendation_decision_days),
    )
    deadline_open(
        kind=DeadlineKind.RECOMMENDATION_DECISION,
        title=f"Decision on CQC's recommendation of special measures for {provider.ods_code}",
        provider=provider,
        subject=recommendation,
        due_at=end_of_day(recommendation.decision_due_on),
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RecommendationVerb.RECOMMENDED,
        target=recommendation,
        scope=recommendation,
        after={
            "provider": provider.ods_code,
            "inspection": inspection.pk,
            "reasons": recommendation.reasons,
            "decision_due_on": recommendation.decision_due_on,
            "rule_set": rules.name,
        },
    )
    recommendation_made_notify(recommendation=recommendation, actor=actor)
    return recommendation


def _lock_awaiting(recommendation: Recommendation) -> Recommendation:
    locked = (
        Recommendation.objects.select_for_update(of=("self",))
        .select_related("provider__oversight_body", "inspection", "recommended_by", "recommended_by_organisation")
        .get(pk=recommendation.pk)
    )
    if not locked.is_awaiting:
        raise ConflictError(f"This recommendation has already been dealt with: {locked.get_status_display().lower()}.")
    return locked


def _decider(actor: User, recommendation: Recommendation) -> Organisation:
    """The oversight body decides, through its oversight leads; it is the provider's oversight body now."""
    membership = recommendation_decider_membership(actor, recommendation.provider)
    if membership is None:
        raise PermissionDenied(
            f"Your role does not allow you to decide on special measures for {recommendation.provider}."
        )
    return membership.organisation


@transaction.atomic
def recommendation_decide(*, actor: User, recommendation: Recommendation, place: bool, reasons: str) -> Recommendation:
    """The trust's oversight body decides, once, on CQC's recommendation: to place the trust in special measures
    (entered today, on CQC's recommendation, from the recommending inspection) or not, with its reasons. A second
    decision is refused. CQC's recommender and the trust's managers are told."""
    organisation = _decider(actor, recommendation)
    recommendation = _lock_awaiting(recommendation)
    if not reasons.strip():
        raise ValidationError({"reasons": "Give the reasons for the decision."})
    now = timezone.now()
    episode = None
    if place:
        episode = episode_enter(
            actor=actor,
            provider=recommendation.provider,
            entered_on=timezone.localdate(now),
            basis=Basis.CQC_RECOMMENDATION,
            recommending_inspection=recommendation.inspection,
        )
    late = timezone.localdate(now) > recommendation.decision_due_on
    recommendation.status = RecommendationStatus.PLACED if place else RecommendationStatus.NOT_PLACED
    recommendation.decided_by, recommendation.decided_by_organisation = actor, organisation
    recommendation.decided_at, recommendation.decision_reasons = now, reasons.strip()
    recommendation.episode = episode
    recommendation.save(
        update_fields=["status", "decided_by", "decided_by_organisation", "decided_at", "decision_reasons", "episode"]
    )
    deadline_meet(subject=recommendation)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RecommendationVerb.PLACED if place else RecommendationVerb.NOT_PLACED,
        target=recommendation,
        scope=recommendation,
        before={"status": RecommendationStatus.AWAITING_DECISION},
        after={
            "status": recommendation.status,
            "reasons": recommendation.decision_reasons,
            "episode": episode.pk if episode else None,
            "after_deadline": late,
        },
    )
    recommendation_decided_notify(recommendation=recommendation, actor=actor)
    return recommendation


@transaction.atomic
def recommendation_withdraw(*, actor: User, recommendation: Recommendation, reasons: str) -> Recommendation:
    """CQC withdraws a recommendation still waiting for a decision (for instance when a fresh inspection finds the
    trust improved). The regulator that made it withdraws it; its oversight leads are told."""
    recommendation = _lock_awaiting(recommendation)
    organisation = recommendation.recommended_by_organisation
    membership_for(actor, organisation, RECOMMENDATION_ROLES, doing="withdraw this recommendation")
    if not reasons.strip():
        raise ValidationError({"reasons": "Give the reasons for withdrawing the recommendation."})
    recommendation.status = RecommendationStatus.WITHDRAWN
    recommendation.decided_by, recommendation.decided_by_organisation = actor, organisation
    recommendation.decided_at, recommendation.decision_reasons = timezone.now(), reasons.strip()
    recommendation.save(
        update_fields=["status", "decided_by", "decided_by_organisation", "decided_at", "decision_reasons"]
    )
    deadline_meet(subject=recommendation)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RecommendationVerb.WITHDRAWN,
        target=recommendation,
        scope=recommendation,
        before={"status": RecommendationStatus.AWAITING_DECISION},
        after={"status": RecommendationStatus.WITHDRAWN, "reasons": recommendation.decision_reasons},
    )
    recommendation_decided_notify(recommendation=recommendation, actor=actor)
    return recommendation


# --- Who is told ---------------------------------------------------------------------------------------------


def _oversight_leads(provider: Organisation) -> Audience:
    body = provider.oversight_body
    if body is None:
        return []
    return [(body, members_by_role([(body.pk, Role.OVERSIGHT_LEAD)]).get((body.pk, Role.OVERSIGHT_LEAD), []))]


def _link(recommendation: Recommendation) -> str:
    return reverse("regime:recommendation-detail", args=[recommendation.pk])


def recommendation_made_notify(*, recommendation: Recommendation, actor: User) -> list[User]:
    """Asks the trust's oversight leads to decide, by the decision deadline."""
    provider = recommendation.provider
    return tell(
        event=NotificationEvent.SPECIAL_MEASURES_RECOMMENDED,
        audience=_oversight_leads(provider),
        title=f"Decision needed by {long_date(recommendation.decision_due_on)}: CQC recommends special measures "
        f"for {provider.name}",
        body="Decide whether to place the trust in special measures, and give your reasons.",
        link=_link(recommendation),
        key=f"recommendation:{recommendation.pk}:made",
        about=recommendation,
        leave_out=actor,
    )


def recommendation_decided_notify(*, recommendation: Recommendation, actor: User) -> list[User]:
    """A decision is told to CQC's recommender and the trust's managers; a withdrawal to the oversight leads."""
    provider = recommendation.provider
    if recommendation.status == RecommendationStatus.WITHDRAWN:
        audience = _oversight_leads(provider)
        title = f"CQC has withdrawn its recommendation of special measures for {provider.name}"
    else:
        managers = members_by_role([(provider.pk, Role.TRUST_MANAGER)]).get((provider.pk, Role.TRUST_MANAGER), [])
        audience = [(recommendation.recommended_by_organisation, [recommendation.recommended_by]), (provider, managers)]
        outcome = "placed in" if recommendation.status == RecommendationStatus.PLACED else "not placed in"
        title = f"{provider.name} has been {outcome} special measures on CQC's recommendation"
    return tell(
        event=NotificationEvent.SPECIAL_MEASURES_DECIDED,
        audience=audience,
        title=title,
        link=_link(recommendation),
        key=f"recommendation:{recommendation.pk}:{recommendation.status}",
        about=recommendation,
        leave_out=actor,
    )


def _decision_recipients(deadlines: Sequence[DeadlineFacts], overdue: bool) -> Recipients:
    """The trust's oversight leads are reminded of the decision; once it is overdue national oversight hears too."""
    recommendations = Recommendation.objects.select_related("provider").in_bulk([d.subject_id for d in deadlines])
    body_of = {
        d.pk: recommendations[d.subject_id].provider.oversight_body_id or 0
        for d in deadlines
        if d.subject_id in recommendations
    }
    members = members_by_role({(body, Role.OVERSIGHT_LEAD) for body in body_of.values() if body})
    national = (
        [
            m.user
            for m in Membership.objects.filter(role=Role.NATIONAL_OVERSIGHT, user__is_active=True).select_related(
                "user"
            )
        ]
        if overdue
        else []
    )
    return {d.pk: [*members.get((body_of.get(d.pk, 0), Role.OVERSIGHT_LEAD), []), *national] for d in deadlines}


register_resolver(DeadlineKind.RECOMMENDATION_DECISION, _decision_recipients)
