"""Staff pages for cases: the list, proposing a case, and the case page with its sign-off panel,
accountability matrix and timeline. Each action posts to its own address and calls one service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import staff
from accounts.acting import acting_user
from accounts.interface import run_service
from accounts.models import Organisation, User
from accounts.selectors import organisation_list_for_user, provider_list_for_user
from failure_regime import selectors, verbs
from failure_regime.filters import CaseFilter
from failure_regime.forms import (
    ActingForm,
    CaseForm,
    CloseForm,
    LeadForm,
    PartyForm,
    ResponsibilityOrganisationsForm,
    SignOffForm,
    TermsForm,
    WithdrawForm,
)
from failure_regime.models import CONCERN_OPEN_STATUSES, Area, Case, CaseStatus, ConcernStatus
from failure_regime.permissions import (
    ENFORCEMENT_ROLES,
    PROPOSER_KINDS,
    PROPOSER_ROLES,
    acting_choices,
    acting_for,
    membership_of,
)
from failure_regime.services import accountability, cases, sign_off


@staff
def case_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filterset = CaseFilter(
        request.GET or None,
        queryset=selectors.case_list_for_user(user=user),
        parties=organisation_list_for_user(user=user),
    )
    page = Paginator(filterset.qs, 25).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page": page,
        "can_propose": bool(acting_choices(user, PROPOSER_ROLES, PROPOSER_KINDS)),
    }
    return render(request, "failure_regime/staff/case_list.html", context)


@staff
def case_new(request: HttpRequest) -> HttpResponse:
    """Proposing a case starts from a provider: its open concerns are offered."""
    user = acting_user(request)
    acting = acting_choices(user, PROPOSER_ROLES, PROPOSER_KINDS)
    if not acting:
        raise PermissionDenied("Only a regulator decision-maker or an oversight lead can propose a case.")
    providers = provider_list_for_user(user=user)
    provider = providers.filter(pk=request.GET.get("provider") or request.POST.get("provider") or 0).first()
    if provider is None:
        return render(
            request,
            "failure_regime/staff/case_provider.html",
            {"providers": providers.filter(concerns__status__in=CONCERN_OPEN_STATUSES).distinct()},
        )
    concerns = selectors.concern_list_for_user(user=user).filter(provider=provider).exclude(status=ConcernStatus.CLOSED)
    form = CaseForm(
        request.POST or None, concerns=concerns, initial={"concerns": request.GET.getlist("concern")}, acting=acting
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = run_service(
            form,
            lambda: cases.case_propose(
                actor=user,
                organisation=acting_for(
                    user, PROPOSER_ROLES, form.chosen_organisation, doing="propose cases", kinds=PROPOSER_KINDS
                ),
                provider=provider,
                concerns=list(data["concerns"]),
                title=data["title"],
                summary=data["summary"],
                scope=data["scope"],
                terms_of_reference=data["terms_of_reference"],
            ),
        )
        if case is not None:
            messages.success(request, f"Case {case.reference} has been proposed. Each party now gives its decision.")
            return redirect("regime:case-detail", case.pk)
    return render(
        request,
        "failure_regime/staff/case_form.html",
        {"form": form, "provider": provider},
        status=400 if form.errors else 200,
    )


def _detail_context(request: HttpRequest, case: Case, **forms_given: forms.Form) -> dict[str, Any]:
    user = acting_user(request)
    case = selectors.case_detail(case=case)
    signatory_for = selectors.sign_off_organisations_for(user=user, case=case)
    standing = {s.organisation_id: s for s in case.sign_offs.all() if s.standing}
    undecided = [o for o in signatory_for if o.pk not in standing]
    decided = [o for o in signatory_for if o.pk in standing]
    proposed = case.status == CaseStatus.PROPOSED
    overseeing = cases.overseer_choices(user, case)
    may_oversee = bool(overseeing)
    parties = [
        {
            "party": party,
            "decision": standing.get(party.organisation_id),
            "history": [
                s for s in case.sign_offs.all() if s.organisation_id == party.organisation_id and not s.standing
            ],
        }
        for party in case.parties.all()
    ]
    proposer_org = case.proposed_by_organisation
    can_add_party = (
        proposed and not case.sign_offs.all() and membership_of(user, proposer_org, PROPOSER_ROLES) is not None
    )
    party_ids = [p.organisation_id for p in case.parties.all()]
    addable = Organisation.objects.exclude(pk__in=party_ids).filter(kind__in=cases.ADDABLE_PARTY_KINDS)
    return {
        "case": case,
        "parties": parties,
        "responsibilities": case.responsibilities.all(),
        "terms": case.terms_versions.all(),
        # A case's concerns may come from whistleblowers: show only those the user may see on their own.
        "concerns": selectors.concern_list_for_user(user=user).filter(cases=case),
        "timeline": [(event, verbs.label(event.verb)) for event in selectors.case_timeline(case=case, user=user)],
        "failed_form": next((f for f in forms_given.values() if f is not None), None),
        "can_record_enforcement": bool(acting_choices(user, ENFORCEMENT_ROLES)),
        "enforcement": selectors.enforcement_list_for_user(user=user).filter(case=case),
        "sign_off_form": (
            forms_given.get("sign_off_form")
            or SignOffForm(organisations=undecided, initial={"organisation": undecided[0].pk} if undecided else None)
        )
        if proposed and undecided
        else None,
        "withdraw_forms": [
            (
                o,
                forms_given.get("withdraw_form")
                or WithdrawForm(organisations=[o], initial={"organisation": o.pk}, prefix=f"w{o.pk}"),
            )
            for o in decided
        ]
        if proposed
        else [],
        "party_form": (forms_given.get("party_form") or PartyForm(organisations=addable)) if can_add_party else None,
        "lead_form": (
            forms_given.get("lead_form")
            or LeadForm(
                acting=overseeing,
                candidates=selectors.lead_candidates(case=case),
                parties=Organisation.objects.filter(case_parties__case=case).order_by("name"),
            )
        )
        if may_oversee and case.status != CaseStatus.CLOSED
        else None,
        "terms_form": (forms_given.get("terms_form") or TermsForm(acting=overseeing))
        if may_oversee and case.status != CaseStatus.CLOSED
        else None,
        "close_form": (forms_given.get("close_form") or CloseForm(acting=overseeing))
        if may_oversee and case.status != CaseStatus.CLOSED
        else None,
        "activate_form": (forms_given.get("activate_form") or ActingForm(acting=overseeing))
        if may_oversee and case.status == CaseStatus.TRIGGERED
        else None,
        "can_change_organisations": may_oversee and case.status != CaseStatus.CLOSED,
    }


@staff
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    case = selectors.case_get_for_user(user=user, pk=pk)
    return render(request, "failure_regime/staff/case_detail.html", _detail_context(request, case))


def _act(
    request: HttpRequest,
    pk: int,
    form_name: str,
    make_form: Callable[[User, Case], forms.Form],
    call: Callable[[User, Case, dict[str, Any]], object],
    done: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """Runs one action from the case page with the form ``make_form`` builds for the user and the case: on success,
    confirm it (``done`` words it from the form's data) and go back to the case; otherwise show the page again
    with the errors."""
    user = acting_user(request)
    case = selectors.case_get_for_user(user=user, pk=pk)
    form = make_form(user, case)
    if form.is_valid() and run_service(form, lambda: call(user, case, form.cleaned_data)) is not None:
        messages.success(request, done(form.cleaned_data))
        return redirect("regime:case-detail", case.pk)
    return render(
        request,
        "failure_regime/staff/case_detail.html",
        _detail_context(request, case, **{form_name: form}),
        status=400,
    )


@staff
@require_POST
def case_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "sign_off_form",
        lambda user, case: SignOffForm(
            request.POST, organisations=selectors.sign_off_organisations_for(user=user, case=case)
        ),
        lambda user, case, data: sign_off.sign_off_record(
            actor=user, case=case, organisation=data["organisation"], decision=data["decision"], reason=data["reason"]
        ),
        lambda data: f"Your decision for {data['organisation']} has been recorded.",
    )


@staff
@require_POST
def case_withdraw(request: HttpRequest, pk: int, organisation_pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "withdraw_form",
        lambda user, case: WithdrawForm(
            request.POST,
            organisations=selectors.sign_off_organisations_for(user=user, case=case),
            prefix=f"w{organisation_pk}",
        ),
        lambda user, case, data: sign_off.sign_off_withdraw(
            actor=user, case=case, organisation=data["organisation"], reason=data["reason"]
        ),
        lambda data: f"The decision of {data['organisation']} has been withdrawn.",
    )


@staff
@require_POST
def case_party_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "party_form",
        lambda user, case: PartyForm(request.POST, organisations=Organisation.objects.all()),
        lambda user, case, data: cases.case_party_add(actor=user, case=case, organisation=data["organisation"]),
        lambda data: f"{data['organisation']} has been added as a party. It now gives its decision too.",
    )


def _lead_organisation(lead: User, case: Case) -> Organisation:
    """The party a lead answers for when the form does not say: the only party they are a member of. Someone at
    several is asked which (``lead_organisation``)."""
    parties = list(
        Organisation.objects.filter(case_parties__case=case, memberships__user=lead).distinct().order_by("name")
    )
    if len(parties) == 1:
        return parties[0]
    if not parties:
        raise ValidationError({"lead": "Choose a member of one of the parties."})
    names = ", ".join(str(party) for party in parties)
    raise ValidationError({"lead_organisation": f"Choose which party they lead for: {names}."})


@staff
@require_POST
def case_lead(request: HttpRequest, pk: int) -> HttpResponse:
    def hand_over(actor: User, case: Case, data: dict[str, Any]) -> object:
        lead: User = data["lead"]
        return accountability.lead_hand_over(
            actor=actor,
            case=case,
            area=data["area"],
            lead=lead,
            organisation=data.get("lead_organisation") or _lead_organisation(lead, case),
            reason=data["reason"],
            acting_for=data.get("acting_for"),
        )

    return _act(
        request,
        pk,
        "lead_form",
        lambda user, case: LeadForm(
            request.POST,
            acting=cases.overseer_choices(user, case),
            candidates=selectors.lead_candidates(case=case),
            parties=Organisation.objects.filter(case_parties__case=case).order_by("name"),
        ),
        hand_over,
        lambda data: f"{data['lead'].full_name} is now the accountable lead: {Area(data['area']).label}.",
    )


@staff
@require_POST
def case_terms(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "terms_form",
        lambda user, case: TermsForm(request.POST, acting=cases.overseer_choices(user, case)),
        lambda user, case, data: cases.case_terms_revise(
            actor=user, case=case, text=data["text"], organisation=data.get("acting_for")
        ),
        lambda data: "The terms of reference have been revised. The earlier versions are kept.",
    )


@staff
@require_POST
def case_activate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "activate_form",
        lambda user, case: ActingForm(request.POST, acting=cases.overseer_choices(user, case)),
        lambda user, case, data: cases.case_activate(actor=user, case=case, organisation=data.get("acting_for")),
        lambda data: "The case is now active.",
    )


@staff
@require_POST
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "close_form",
        lambda user, case: CloseForm(request.POST, acting=cases.overseer_choices(user, case)),
        lambda user, case, data: cases.case_close(
            actor=user, case=case, reason=data["reason"], summary=data["summary"], organisation=data.get("acting_for")
        ),
        lambda data: "The case has been closed.",
    )


@staff
def case_responsibility(request: HttpRequest, pk: int, area: str) -> HttpResponse:
    """Which of the case's parties are responsible for an area, and which are consulted: the case's overseers
    change them here (the same rule as the API's)."""
    user = acting_user(request)
    case = selectors.case_get_for_user(user=user, pk=pk)
    responsibility = get_object_or_404(case.responsibilities.prefetch_related("responsible", "consulted"), area=area)
    overseeing = cases.overseer_choices(user, case)
    if not overseeing:
        raise PermissionDenied("Your role does not allow you to change who is responsible.")
    parties = Organisation.objects.filter(case_parties__case=case).order_by("name")
    initial = {"responsible": list(responsibility.responsible.all()), "consulted": list(responsibility.consulted.all())}
    form = ResponsibilityOrganisationsForm(
        request.POST or None, acting=overseeing, organisations=parties, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: accountability.responsibility_organisations_set(
                actor=user,
                case=case,
                area=area,
                responsible=list(data["responsible"]),
                consulted=list(data["consulted"]),
                organisation=data.get("acting_for"),
            ),
        )
        if done is not None:
            label = responsibility.get_area_display()
            messages.success(request, f"Who is responsible and who is consulted has been saved: {label}.")
            return redirect(f"{reverse('regime:case-detail', args=[case.pk])}#accountability")
    return render(
        request,
        "failure_regime/staff/case_responsibility.html",
        {"case": case, "responsibility": responsibility, "form": form},
        status=400 if form.errors else 200,
    )
