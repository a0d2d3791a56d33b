"""Staying signed in: the idle warning's "stay signed in", and the work kept when a session had ended."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import staff
from accounts.middleware import session_extend
from accounts.unsent import unsent_work_discard, unsent_work_for


@staff
@require_POST
def stay_signed_in(request: HttpRequest) -> HttpResponse:
    """Starts the idle clock again. Answers the warning's script with the seconds left; a plain form is sent back
    to the page it came from."""
    seconds_left = session_extend(request)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"seconds_left": seconds_left})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("staff-home")
    return redirect(back)


@staff
@never_cache
@require_http_methods(["GET", "POST"])
def unsent_work(request: HttpRequest) -> HttpResponse:
    """What the person typed before their session ended: send it again as it was, or discard it."""
    work = unsent_work_for(request)
    if request.method == "POST":
        unsent_work_discard(request)
        return redirect("staff-home")
    return render(request, "accounts/staff/unsent_work.html", {"work": work})
