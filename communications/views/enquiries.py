"""Pages of public enquiries: the public form and its thank-you page, and the staff triage queue and enquiry page.

The public form needs a CSRF token, so it sets the CSRF cookie and is never cached; it touches no session.
Spam protection needs no third party: a hidden box that only robots fill in (its message is thanked and
dropped, so the robot learns nothing), and a limit on how many messages one address may send
(``ENQUIRY_RATE_LIMIT``, counted on accepted messages, so that someone correcting their answers is not
locked out). The thank-you page carries the reference in a signed, short-lived token in its address: no
session, no cookie, and nothing about the sender.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage  # type: ignore[import-untyped]

from accounts.access import public, staff
from accounts.acting import acting_user
from accounts.interface import run_service
from accounts.models import Organisation, User
from communications.forms.enquiries import (
    HONEYPOT,
    CloseForm,
    DecisionForm,
    EnquiryFilter,
    EnquiryForm,
    NoteForm,
    PassToReviewForm,
    RaiseConcernForm,
    ReferralForm,
    RespondForm,
    TriageForm,
)
from communications.models import AWAITING_RESPONSE, Enquiry, EnquiryStatus, enquiry_reference_new
from communications.selectors import enquiries as selectors
from communications.selectors import providers as provider_selectors
from communications.services import enquiries as services
from failure_regime import areas
from failure_regime.models import Area, Case
from reviews.models import ReviewRequestStatus

# --- Public ------------------------------------------------------------------------------------------------

RATE_GROUP = "communications.enquiry"
SENT_SALT = "communications.enquiry-sent"


def client_address(group: str, request: HttpRequest) -> str:
    """The sender's address as the rate limit sees it: behind ``PROXY_COUNT`` trusted proxies, the address the
    first of them saw (each appends the address it received the request from to X-Forwarded-For)."""
    proxies = int(getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0)
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def _usage(request: HttpRequest, *, increment: bool) -> dict[str, Any] | None:
    usage: dict[str, Any] | None = get_usage(
        request,
        group=RATE_GROUP,
        key=client_address,
        rate=getattr(settings, "ENQUIRY_RATE_LIMIT", "5/h"),
        method="POST",
        increment=increment,
    )
    return usage


def _over_limit(request: HttpRequest) -> bool:
    usage = _usage(request, increment=False)
    return usage is not None and usage["count"] >= usage["limit"]


def sent_token(*, reference: str, emailed: bool) -> str:
    """The thank-you page's token: the reference (which is not personal data) and whether we e-mailed it."""
    return signing.dumps({"r": reference, "e": int(emailed)}, salt=SENT_SALT)


def _sent(reference: str, emailed: bool) -> HttpResponse:
    return redirect("communications:enquiry-sent", sent_token(reference=reference, emailed=emailed))


# The form's other buttons: look the provider up in the register, or change the one chosen.
FIND = "find"
CHANGE_PROVIDER = "change-provider"


def _linked(data: Any) -> tuple[Organisation | None, Case | None]:
    """The provider (an ODS code) and the case (a reference) that a link or the form names, each only if it is
    one the public may name; anything else is ignored. A case about another provider than the one named is
    dropped; a case alone names its provider."""
    provider = provider_selectors.provider_by_ods_code(code=str(data.get("provider", "")))
    case = provider_selectors.public_case_by_reference(reference=str(data.get("case", "")))
    if case is not None and provider is not None and case.provider_id != provider.pk:
        case = None
    if case is not None and provider is None:
        provider = case.provider
    return provider, case


def _form_page(
    request: HttpRequest,
    form: EnquiryForm,
    *,
    provider: Organisation | None,
    case: Case | None,
    matches: list[Organisation] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "chosen_provider": provider,
        "case": case,
        "matches": matches,
        "searched": matches is not None,
    }
    return render(request, "communications/public/enquiries/form.html", context, status=status)


@public
@never_cache
def enquiry_new(request: HttpRequest) -> HttpResponse:
    """The public form: who is writing, about whom and what, and how to reach them. The sender chooses the provider
    from the register (Find lists those that fit what they typed, without JavaScript) or describes it in their own
    words. A link from a notice or a provider's page names the provider and the case (?provider=RDD&case=SFR-00001)."""
    if request.method != "POST":
        provider, case = _linked(request.GET)
        initial = {"provider": provider.ods_code if provider else "", "case": case.reference if case else ""}
        return _form_page(request, EnquiryForm(initial=initial), provider=provider, case=case)
    if _over_limit(request):
        response = render(request, "communications/public/enquiries/too_many.html", status=429)
        response["Retry-After"] = "3600"
        return response
    form = EnquiryForm(request.POST)
    if form.is_spam():
        _usage(request, increment=True)
        return _sent(enquiry_reference_new(), bool(request.POST.get("email")))
    provider, case = _linked(request.POST)
    action = request.POST.get("action", "")
    if action in {FIND, CHANGE_PROVIDER}:
        # Not sending yet: the sender looks for the provider, or changes the one chosen. What they typed stays.
        typed = {name: request.POST.get(name, "") for name in EnquiryForm.base_fields if name != HONEYPOT}
        typed["provider"] = ""
        matches = provider_selectors.provider_search(text=typed["provider_name"]) if action == FIND else None
        kept_case = case if action == FIND else None
        return _form_page(request, EnquiryForm(initial=typed), provider=None, case=kept_case, matches=matches)
    if form.is_valid():
        enquiry = run_service(
            form, lambda: services.enquiry_receive(**form.service_fields(), provider=provider, case=case)
        )
        if enquiry is not None:
            _usage(request, increment=True)
            return _sent(enquiry.reference, bool(enquiry.email))
    return _form_page(request, form, provider=provider, case=case, status=400)


@public
@cache_control(public=True, max_age=300)
def provider_suggestions(request: HttpRequest) -> JsonResponse:
    """Providers whose names fit what the sender is typing, for the form's suggestions as they type (the form
    works without them). Public register data only; the same for everyone, so it may be cached."""
    text = request.GET.get("q", "")[:200]
    providers = provider_selectors.provider_search(text=text) if len(text.strip()) >= 2 else []
    return JsonResponse(
        {"results": [{"ods_code": p.ods_code, "name": p.name} for p in providers]}, json_dumps_params={"indent": None}
    )


@public
@never_cache
def enquiry_sent(request: HttpRequest, token: str) -> HttpResponse:
    """Thank you, and the reference. The token expires after ``ENQUIRY_SENT_PAGE_SECONDS``."""
    try:
        data = signing.loads(token, salt=SENT_SALT, max_age=getattr(settings, "ENQUIRY_SENT_PAGE_SECONDS", 3600))
    except signing.BadSignature as exc:
        raise Http404("This page has expired.") from exc
    return render(
        request, "communications/public/enquiries/sent.html", {"reference": data["r"], "emailed": bool(data["e"])}
    )


# --- Staff -------------------------------------------------------------------------------------------------


@staff
def enquiry_queue(request: HttpRequest) -> HttpResponse:
    """The triage queue: the enquiries the user handles, soonest due first. No personal data in the list."""
    user = acting_user(request)
    filterset = EnquiryFilter(request.GET or {"status": "open"}, queryset=selectors.enquiry_queue(user=user))
    page = Paginator(filterset.qs, 25).get_page(request.GET.get("page"))
    return render(request, "communications/staff/enquiries/queue.html", {"filter": filterset, "page": page})


def _detail_context(request: HttpRequest, enquiry: Enquiry, **given: forms.Form) -> dict[str, Any]:
    user = acting_user(request)
    services.enquiry_view(actor=user, enquiry=enquiry)
    enquiry = selectors.enquiry_detail(enquiry=enquiry)
    cases = selectors.enquiry_case_choices(user=user)
    triage_initial = {
        "category": enquiry.category,
        "urgency": enquiry.urgency,
        "case": enquiry.case_id,
        "assigned_to": enquiry.assigned_to_id,
    }
    closed = enquiry.status == EnquiryStatus.CLOSED
    # Everyone who can open this page may act on the enquiry (the selector and the rule agree); asking the rule
    # keeps the page honest if they ever differ.
    may_act = selectors.enquiry_may_act(user=user, enquiry=enquiry)
    review_request = enquiry.review_request
    family_support = None
    if enquiry.case is not None:
        family_support = areas.area_of(case=enquiry.case, area=Area.FAMILY_SUPPORT)
    return {
        "enquiry": enquiry,
        "awaiting": enquiry.status in AWAITING_RESPONSE,
        "overdue": enquiry.status in AWAITING_RESPONSE and enquiry.response_due_at < timezone.now(),
        "family_support": family_support,
        "triage_form": given.get("triage_form")
        or TriageForm(cases=cases, officers=selectors.enquiry_officers(enquiry=enquiry), initial=triage_initial),
        "may_act": may_act,
        "review_request": review_request,
        "review_form": given.get("review_form") or PassToReviewForm(),
        "can_pass_to_review": may_act
        and not closed
        and enquiry.case is not None
        and (review_request is None or review_request.status == ReviewRequestStatus.DECLINED),
        "can_triage": may_act and enquiry.status != EnquiryStatus.RESPONDED,
        "note_form": given.get("note_form") or NoteForm(),
        "respond_form": given.get("respond_form") or RespondForm(),
        "can_respond": may_act and enquiry.can_become(EnquiryStatus.RESPONDED),
        "close_form": given.get("close_form") or CloseForm(),
        "can_close": may_act and enquiry.can_become(EnquiryStatus.CLOSED),
        "referral_form": given.get("referral_form")
        or ReferralForm(services=selectors.referral_service_choices(enquiry=enquiry)),
        "can_refer": may_act and not closed,
        "concern_form": given.get("concern_form") or RaiseConcernForm(),
        "can_raise_concern": may_act and not closed and enquiry.concern_id is None and enquiry.provider_id is not None,
        "failed_form": next(iter(given.values()), None),
    }


@staff
def enquiry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything the sender told us, and its handling. Each visit is recorded in the audit trail."""
    enquiry = selectors.enquiry_get_for_user(user=acting_user(request), pk=pk)
    response = render(request, "communications/staff/enquiries/detail.html", _detail_context(request, enquiry))
    response["Cache-Control"] = "private, no-store"
    return response


# The confirmation shown after each action of the enquiry's page, by the action's form.
_DONE = {
    "triage_form": "The enquiry has been triaged.",
    "note_form": "Your note has been added.",
    "respond_form": "Your response has been recorded.",
    "close_form": "The enquiry has been closed.",
    "referral_form": "The referral has been recorded.",
    "decision_form": "The answer about the referral has been recorded.",
    "review_form": "The enquiry has been passed to the case's review. Its chair will see it.",
    "concern_form": "A concern about the provider has been raised from the enquiry. It will be assessed.",
}


def _act(
    request: HttpRequest,
    pk: int,
    form_name: str,
    make_form: Callable[[Enquiry], forms.Form],
    call: Callable[[User, Enquiry, dict[str, Any]], object],
) -> HttpResponse:
    """Runs one action from the enquiry's page: back to the page, or the page again with the errors."""
    user = acting_user(request)
    enquiry = selectors.enquiry_get_for_user(user=user, pk=pk)
    form = make_form(enquiry)
    if form.is_valid() and run_service(form, lambda: call(user, enquiry, form.cleaned_data)) is not None:
        messages.success(request, _DONE.get(form_name, "Your changes have been saved."))
        return redirect("communications:enquiry-detail", enquiry.pk)
    response = render(
        request,
        "communications/staff/enquiries/detail.html",
        _detail_context(request, enquiry, **{form_name: form}),
        status=400,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@staff
@require_POST
def enquiry_triage(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)

    def make(enquiry: Enquiry) -> forms.Form:
        # Any officer of the case chosen may be assigned: the service checks them against that case.
        case_id = request.POST.get("case") or None
        cases = selectors.enquiry_case_choices(user=user)
        case = cases.filter(pk=case_id).first() if case_id and str(case_id).isdigit() else None
        officers = selectors.enquiry_officers(enquiry=enquiry, case=case)
        return TriageForm(request.POST, cases=cases, officers=officers)

    return _act(
        request,
        pk,
        "triage_form",
        make,
        lambda actor, enquiry, data: services.enquiry_triage(actor=actor, enquiry=enquiry, **data),
    )


@staff
@require_POST
def enquiry_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "note_form",
        lambda enquiry: NoteForm(request.POST),
        lambda actor, enquiry, data: services.enquiry_note_add(actor=actor, enquiry=enquiry, **data),
    )


@staff
@require_POST
def enquiry_respond(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "respond_form",
        lambda enquiry: RespondForm(request.POST),
        lambda actor, enquiry, data: services.enquiry_respond(actor=actor, enquiry=enquiry, text=data["text"]),
    )


@staff
@require_POST
def enquiry_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "close_form",
        lambda enquiry: CloseForm(request.POST),
        lambda actor, enquiry, data: services.enquiry_close(actor=actor, enquiry=enquiry, reason=data["reason"]),
    )


@staff
@require_POST
def referral_offer(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "referral_form",
        lambda enquiry: ReferralForm(request.POST, services=selectors.referral_service_choices(enquiry=enquiry)),
        lambda actor, enquiry, data: services.referral_offer(actor=actor, enquiry=enquiry, **data),
    )


@staff
@require_POST
def referral_decide(request: HttpRequest, pk: int, referral_pk: int) -> HttpResponse:
    def decide(actor: User, enquiry: Enquiry, data: dict[str, Any]) -> object:
        referral = enquiry.referrals.filter(pk=referral_pk).first()
        if referral is None:
            raise Http404("No such referral on this enquiry.")
        return services.referral_decide(actor=actor, referral=referral, accepted=data["accepted"])

    return _act(request, pk, "decision_form", lambda enquiry: DecisionForm(request.POST), decide)


@staff
@require_POST
def enquiry_pass_to_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Passes the family's request for a review of care to the case's review chair."""
    return _act(
        request,
        pk,
        "review_form",
        lambda enquiry: PassToReviewForm(request.POST),
        lambda actor, enquiry, data: services.enquiry_pass_to_review(actor=actor, enquiry=enquiry, **data),
    )


@staff
@require_POST
def enquiry_raise_concern(request: HttpRequest, pk: int) -> HttpResponse:
    """Raises a concern about the provider from the enquiry, without the family's details."""
    return _act(
        request,
        pk,
        "concern_form",
        lambda enquiry: RaiseConcernForm(request.POST),
        lambda actor, enquiry, data: services.enquiry_raise_concern(actor=actor, enquiry=enquiry, **data),
    )
