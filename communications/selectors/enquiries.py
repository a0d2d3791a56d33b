"""Reads of public enquiries, which hold members of the public's personal data.

Who sees an enquiry: family liaison officers only, and only for their cases.

- The family liaison officers of the organisation handling it (``handled_by``: chosen on receipt from the
  provider's case, see ``communications.services.enquiries.handling_organisation_for``).
- Once it is linked to a case, also the family liaison officers of the organisations leading or responsible for
  that case's family support (its accountable lead's organisation and the area's responsible organisations),
  read from the case as it is now, so that a hand-over moves access at once.

- The **national triage queue**: the family liaison officers of the national triage organisation
  (``ENQUIRY_DEFAULT_ORGANISATION``, NHS England) see the enquiries it handles (those about a provider nobody could
  identify, or whose own family liaison team has no officer) and every enquiry that no active family liaison
  officer could otherwise reach (its handling organisation's officers and its case's have all left). So an enquiry
  always reaches someone while the national team has an officer.

Nobody else: not other roles of the same organisation, not other parties to the case, and not national
oversight, whose model-wide view stops short of enquiries. Anyone else gets 404.

Whoever sees an enquiry may act on it: ``enquiry_acting_organisation`` is the one rule that says for which of
their organisations, and pages, the API and services all ask it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Membership, Organisation, OrganisationKind, Role, User
from communications.models import (
    AWAITING_RESPONSE,
    Enquiry,
    EnquiryNote,
    Referral,
    SupportService,
)
from failure_regime import areas
from failure_regime.models import Area, Case, CaseStatus
from failure_regime.selectors import case_list_for_user


def family_liaison_organisations(*, user: User) -> QuerySet[Organisation]:
    """The organisations where ``user`` is a family liaison officer."""
    if not user.is_active:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user, memberships__role=Role.FAMILY_LIAISON_OFFICER).distinct()


def family_support_organisation_ids(*, case: Case | None) -> set[int]:
    """The organisations leading or responsible for ``case``'s family support."""
    return areas.area_organisation_ids(case=case, area=Area.FAMILY_SUPPORT)


def _national_triage_pk() -> Coalesce:
    """The id of the national triage organisation, as an expression the database works out within a query: the
    organisation named by ``ENQUIRY_DEFAULT_ORGANISATION`` (an ODS code; NHS England, X24), or failing that the
    first oversight body, or the regulator."""
    code = getattr(settings, "ENQUIRY_DEFAULT_ORGANISATION", "X24")
    ids = Organisation.objects.order_by("pk").values("pk")
    return Coalesce(
        Subquery(ids.filter(ods_code=code)[:1]),
        Subquery(ids.filter(kind=OrganisationKind.OVERSIGHT_BODY)[:1]),
        Subquery(ids.filter(kind=OrganisationKind.REGULATOR)[:1]),
    )


def national_triage_organisation() -> Organisation | None:
    """The organisation whose family liaison officers keep the national triage queue (see
    ``_national_triage_pk``)."""
    return Organisation.objects.filter(pk=_national_triage_pk()).first()


def _officer_organisation_ids() -> QuerySet[Membership, Any]:
    """The organisations with at least one active family liaison officer (a subquery)."""
    return Membership.objects.filter(role=Role.FAMILY_LIAISON_OFFICER, user__is_active=True).values("organisation_id")


def organisations_with_officers(*, organisation_ids: list[int]) -> set[int]:
    """Which of ``organisation_ids`` have at least one active family liaison officer."""
    return set(
        Membership.objects.filter(
            role=Role.FAMILY_LIAISON_OFFICER, user__is_active=True, organisation_id__in=organisation_ids
        ).values_list("organisation_id", flat=True)
    )


def _unreached() -> Q:
    """Enquiries no active family liaison officer reaches through their handling organisation or their case."""
    officers = _officer_organisation_ids()
    at_handler = Membership.objects.filter(
        role=Role.FAMILY_LIAISON_OFFICER, user__is_active=True, organisation_id=OuterRef("handled_by_id")
    )
    at_case = areas.areas_involving(organisations=officers, area=Area.FAMILY_SUPPORT).filter(
        case_id=OuterRef("case_id")
    )
    return Q(~Exists(at_handler), ~Exists(at_case))


def enquiry_list_for_user(*, user: User) -> QuerySet[Enquiry]:
    """The enquiries ``user`` may see (see the module's docstring)."""
    if not user.is_authenticated:
        return Enquiry.objects.none()
    organisations = family_liaison_organisations(user=user).values("pk")
    family_support = areas.areas_involving(organisations=organisations, area=Area.FAMILY_SUPPORT).values("case_id")
    national = family_liaison_organisations(user=user).filter(pk=_national_triage_pk())
    return Enquiry.objects.filter(
        Q(handled_by__in=organisations) | Q(case__in=family_support) | (Q(Exists(national)) & _unreached())
    )


def enquiry_acting_organisation(*, user: User, enquiry: Enquiry) -> Organisation | None:
    """The organisation for which ``user`` may act on ``enquiry``, or None if they may not: the one rule of who
    handles an enquiry. Its handling organisation's family liaison officers, then those of its case's family
    support, then, for an enquiry nobody else reaches, the national triage organisation's. It agrees with
    ``enquiry_list_for_user``: whoever sees an enquiry may act on it."""
    if not user.is_authenticated:
        return None
    organisations = list(family_liaison_organisations(user=user).order_by("pk"))
    for organisation in organisations:
        if organisation.pk == enquiry.handled_by_id:
            return organisation
    family_support = family_support_organisation_ids(case=enquiry.case)
    for organisation in organisations:
        if organisation.pk in family_support:
            return organisation
    if not organisations:
        return None
    national = national_triage_organisation()
    at_national = national is not None and any(o.pk == national.pk for o in organisations)
    if at_national and Enquiry.objects.filter(_unreached(), pk=enquiry.pk).exists():
        return national
    return None


def enquiry_may_act(*, user: User, enquiry: Enquiry) -> bool:
    """Whether ``user`` may act on ``enquiry`` (triage, note, answer, close, refer, pass to a review)."""
    return enquiry_acting_organisation(user=user, enquiry=enquiry) is not None


def enquiry_get_for_user(*, user: User, pk: int) -> Enquiry:
    """One enquiry ``user`` may see, or 404."""
    return get_object_or_404(enquiry_list_for_user(user=user), pk=pk)


def enquiry_queue(*, user: User) -> QuerySet[Enquiry]:
    """The triage queue: the enquiries ``user`` may see, soonest due first, without the sender's personal data
    (the list shows none of it, so it is not even read)."""
    return (
        enquiry_list_for_user(user=user)
        .defer(*Enquiry.PERSONAL_FIELDS)
        .select_related("assigned_to", "case", "handled_by")
        .annotate(
            is_overdue=ExpressionWrapper(
                Q(status__in=sorted(AWAITING_RESPONSE), response_due_at__lt=timezone.now()),
                output_field=BooleanField(),
            )
        )
        .order_by("response_due_at", "pk")
    )


def enquiry_detail(*, enquiry: Enquiry) -> Enquiry:
    """The enquiry with everything its page shows, in a fixed number of queries (access already checked)."""
    return (
        Enquiry.objects.filter(pk=enquiry.pk)
        .select_related(
            "provider",
            "case__provider",
            "handled_by",
            "assigned_to",
            "triaged_by",
            "closed_by",
            "cohort",
            "review_request__decided_by",
            "review_request__answered_by",
        )
        .prefetch_related(
            Prefetch("notes", queryset=EnquiryNote.objects.select_related("written_by")),
            Prefetch("referrals", queryset=Referral.objects.select_related("service", "offered_by", "recorded_by")),
        )
        .get()
    )


def enquiry_officers(*, enquiry: Enquiry, case: Case | None = None) -> QuerySet[User]:
    """The family liaison officers who may handle ``enquiry`` (linked, or about to be linked, to ``case``): those
    of its handling organisation and of the case's family-support organisations."""
    organisation_ids = family_support_organisation_ids(case=case if case is not None else enquiry.case)
    if enquiry.handled_by_id is not None:
        organisation_ids.add(enquiry.handled_by_id)
    return (
        User.objects.filter(
            is_active=True,
            memberships__role=Role.FAMILY_LIAISON_OFFICER,
            memberships__organisation_id__in=organisation_ids,
        )
        .distinct()
        .order_by("full_name", "pk")
    )


def enquiry_case_choices(*, user: User) -> QuerySet[Case]:
    """The cases ``user`` may link an enquiry to: open ones they can see."""
    return case_list_for_user(user=user).exclude(status=CaseStatus.CLOSED).order_by("-proposed_at", "-pk")


def referral_service_choices(*, enquiry: Enquiry) -> QuerySet[SupportService]:
    """Services that can be offered to the sender: those still offered, the case's own listed first."""
    services = SupportService.objects.active()
    if enquiry.case_id is None:
        return services.order_by("name", "pk")
    linked = Q(pk__in=SupportService.objects.filter(cases=enquiry.case_id).values("pk"))
    return services.annotate(for_case=ExpressionWrapper(linked, output_field=BooleanField())).order_by(
        "-for_case", "name", "pk"
    )
