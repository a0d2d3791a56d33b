"""The staff home: what is waiting for the user, from every part of the service, and their roles."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import staff
from accounts.acting import acting_user
from accounts.selectors import membership_list_for_user
from failure_regime.work import work_for_user, work_groups


@staff
def home(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    items = work_for_user(user=user)
    context = {
        "memberships": membership_list_for_user(user=user),
        "groups": work_groups(items),
        "total": len(items),
        "overdue": sum(1 for item in items if item.overdue),
    }
    return render(request, "failure_regime/staff/home.html", context)
