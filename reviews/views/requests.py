"""Staff pages of review requests: the chair's list of the requests passed to the reviews they chair, each
request's page, and the chair's decisions on it (accept into the cohort, decline with the reason, record the
outcome). Anyone who does not chair the request's case gets 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import staff
from accounts.acting import acting_user
from accounts.interface import run_service
from accounts.models import User
from reviews.forms.requests import DeclineForm, OutcomeForm
from reviews.models import ReviewRequest, ReviewRequestStatus
from reviews.selectors import requests as selectors
from reviews.services import requests as services

PAGE_SIZE = 25


@staff
def review_request_list(request: HttpRequest) -> HttpResponse:
    """The review requests passed to the reviews the user chairs: those waiting on them first, oldest first."""
    requests = selectors.review_request_list_for_user(user=acting_user(request))
    waiting = request.GET.get("show") != "all"
    if waiting:
        requests = selectors.review_request_queue(user=acting_user(request))
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/staff/requests/list.html", {"page": page, "waiting": waiting})


def _page(request: HttpRequest, review_request: ReviewRequest, status: int = 200, **given: forms.Form) -> HttpResponse:
    context: dict[str, Any] = {
        "review_request": review_request,
        "can_decide": review_request.status == ReviewRequestStatus.OPEN,
        "can_answer": review_request.status == ReviewRequestStatus.ACCEPTED,
        "decline_form": given.get("decline_form") or DeclineForm(),
        "outcome_form": given.get("outcome_form") or OutcomeForm(),
        "failed_form": next(iter(given.values()), None),
    }
    return render(request, "reviews/staff/requests/detail.html", context, status=status)


@staff
def review_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: what the family asks (pseudonymised), and the chair's decision and outcome."""
    return _page(request, selectors.review_request_get_for_user(user=acting_user(request), pk=pk))


def _act(
    request: HttpRequest,
    pk: int,
    form_name: str,
    form: forms.Form,
    call: Callable[[User, ReviewRequest, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    user = acting_user(request)
    review_request = selectors.review_request_get_for_user(user=user, pk=pk)
    if form.is_valid() and run_service(form, lambda: call(user, review_request, form.cleaned_data)) is not None:
        messages.success(request, done)
        return redirect("reviews:review-request-detail", review_request.pk)
    return _page(request, review_request, status=400, **{form_name: form})


@staff
@require_POST
def review_request_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "accept_form",
        forms.Form(request.POST),
        lambda actor, review_request, data: services.review_request_accept(actor=actor, review_request=review_request),
        "The request has been accepted into the review. The family liaison officer can see this.",
    )


@staff
@require_POST
def review_request_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "decline_form",
        DeclineForm(request.POST),
        lambda actor, review_request, data: services.review_request_decline(
            actor=actor, review_request=review_request, reason=data["reason"]
        ),
        "The request has been declined. The family liaison officer can see the reason.",
    )


@staff
@require_POST
def review_request_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "outcome_form",
        OutcomeForm(request.POST),
        lambda actor, review_request, data: services.review_request_answer(
            actor=actor, review_request=review_request, outcome=data["outcome"]
        ),
        "The outcome has been recorded. The family liaison officer can see it.",
    )
