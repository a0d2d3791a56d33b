"""The staff home: the user's roles, and the cases that need them."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import staff
from accounts.models import User
from accounts.selectors import membership_list_for_user
from failure_regime import selectors


@staff
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = {
        "memberships": membership_list_for_user(user=user),
        "awaiting_sign_off": selectors.cases_awaiting_sign_off(user=user)[:20],
        "missing_lead": selectors.cases_missing_a_lead(user=user)[:20],
    }
    return render(request, "failure_regime/staff/home.html", context)
