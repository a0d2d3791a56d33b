"""What an inspection's ratings allow: the two rules that lead from an inspection into special measures.

- CQC recommends special measures for an NHS or foundation trust when the inspection finds poor care and weak
  leadership: the trust is rated inadequate overall or for being well-led. Its oversight body then decides.
- CQC places a GP practice, adult social care or independent provider in special measures itself, and only when
  the inspection rates it inadequate overall.

Each rule is stated once here, as a reason for refusal (None when allowed); forms, the API and the services all
ask these functions, and the lists that offer inspections use the matching query.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.models import TRUST_KINDS
from failure_regime.models import Inspection, Rating

# The ratings of which one inadequate shows poor care and weak leadership at a trust.
RECOMMENDING_QUESTIONS = ("overall", "well_led")


def _rated_refusal(inspection: Inspection) -> str | None:
    if not inspection.is_rated or inspection.carried_out_on is None:
        return "Record the inspection's ratings first."
    if inspection.episode_id is not None:
        return "This is a re-inspection during special measures, not an inspection that can lead into them."
    return None


def recommendation_refusal(inspection: Inspection) -> str | None:
    """Why CQC may not recommend special measures from ``inspection``, or None when it may."""
    provider = inspection.provider
    if not provider.is_trust:
        return "CQC recommends special measures only for NHS and foundation trusts; it places other providers itself."
    if provider.oversight_body_id is None:
        return "This trust has no oversight body to decide on a recommendation."
    refusal = _rated_refusal(inspection)
    if refusal:
        return refusal
    if not any(getattr(inspection, question) == Rating.INADEQUATE for question in RECOMMENDING_QUESTIONS):
        return "CQC recommends special measures only when it rates the trust inadequate overall or for being well-led."
    return None


def recommendation_allowed(inspection: Inspection) -> bool:
    return recommendation_refusal(inspection) is None


def recommendable() -> Q:
    """``recommendation_allowed`` as a query on inspections, for the lists that offer them."""
    inadequate = Q()
    for question in RECOMMENDING_QUESTIONS:
        inadequate |= Q(**{question: Rating.INADEQUATE})
    return (
        Q(provider__kind__in=sorted(TRUST_KINDS), provider__oversight_body__isnull=False)
        & Q(episode__isnull=True, carried_out_on__isnull=False)
        & ~Q(overall="")
        & inadequate
    )


def cqc_placement_refusal(inspection: Inspection | None) -> str | None:
    """Why CQC may not place a provider it alone regulates in special measures on ``inspection``, or None."""
    if inspection is None:
        return "Name the inspection that rated the provider inadequate overall."
    if inspection.provider.is_trust:
        return "For a trust, the oversight body decides on special measures."
    refusal = _rated_refusal(inspection)
    if refusal:
        return refusal
    if inspection.overall != Rating.INADEQUATE:
        return "CQC places this provider in special measures only when it is rated inadequate overall."
    return None


def cqc_placeable() -> Q:
    """``cqc_placement_refusal`` as a query on inspections: the inspections CQC may place a provider on."""
    return (
        ~Q(provider__kind__in=sorted(TRUST_KINDS))
        & Q(episode__isnull=True, carried_out_on__isnull=False)
        & Q(overall=Rating.INADEQUATE)
    )
