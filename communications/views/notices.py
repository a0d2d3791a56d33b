"""Staff pages for notices: the list, drafting with a preview, the notice page with every version, the approval
panel and the workflow actions. Each action posts to its own address and calls one service; what each person may
do is worked out here and passed to the template."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import staff
from accounts.acting import acting_user
from accounts.interface import run_service
from accounts.models import Organisation, User
from communications.forms.notices import ApproveForm, NoticeForm, PublishForm, ReasonForm, StaffNoticeFilter
from communications.markdown import render_markdown
from communications.models import (
    LIVE_STATUSES,
    WORKING_VERSION_STATUSES,
    Notice,
    NoticeStatus,
    NoticeVersion,
    VersionStatus,
)
from communications.selectors import notices as selectors
from communications.selectors import plans as plan_selectors
from communications.selectors.notices import next_update_words
from communications.selectors.plans import is_communications_staff, is_public_communications_lead
from communications.services import notices as services
from failure_regime import selectors as regime
from failure_regime.dates import long_date
from failure_regime.forms import ActingForm
from failure_regime.models import Case

NOTICES_PER_PAGE = 25
TEXT_FIELDS = [
    ("title", "Title"),
    ("summary", "Summary"),
    ("body_markdown", "What happened"),
    ("what_is_being_done_markdown", "What is being done"),
    ("what_happens_next_markdown", "What happens next"),
    ("who_leads_markdown", "Who leads the response"),
]


@staff
def notice_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filterset = StaffNoticeFilter(request.GET or None, queryset=selectors.notice_list_for_user(user=user))
    page = Paginator(filterset.qs, NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page": page,
        "awaiting": selectors.notices_awaiting_approval_by(user=user)[:20],
    }
    return render(request, "communications/staff/notices/notice_list.html", context)


# --- The notice page --------------------------------------------------------------------------------


def _diff(old: NoticeVersion, new: NoticeVersion) -> list[dict[str, Any]]:
    """What a correction changed, field by field and line by line: only the fields that changed."""
    changes = []
    for field, label in TEXT_FIELDS:
        before, after = getattr(old, field).splitlines(), getattr(new, field).splitlines()
        if before == after:
            continue
        lines = []
        for line in difflib.ndiff(before, after):
            sign, text = line[:1], line[2:]
            if sign in ("-", "+", " ") and (text.strip() or sign == " "):
                lines.append({"change": {"-": "removed", "+": "added", " ": "same"}[sign], "text": text})
        changes.append({"label": label, "lines": lines})
    if old.next_update_on != new.next_update_on:
        lines = [
            {"change": change, "text": f"By {long_date(day)}"}
            for change, day in (("removed", old.next_update_on), ("added", new.next_update_on))
            if day is not None
        ]
        changes.append({"label": "Next update", "lines": lines})
    return changes


def _replaced_by(versions: list[NoticeVersion], correction: NoticeVersion) -> NoticeVersion | None:
    """The published version a correction replaces (or would replace)."""
    earlier = [
        v
        for v in versions
        if v.number < correction.number and v.status in (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)
    ]
    return max(earlier, key=lambda v: v.number) if earlier else None


def _detail_context(request: HttpRequest, notice: Notice, **given: forms.Form) -> dict[str, Any]:
    user = acting_user(request)
    notice = selectors.notice_detail(notice=notice)
    versions = list(notice.versions.all())
    working = next((v for v in versions if v.status in WORKING_VERSION_STATUSES), None)
    is_staff = is_communications_staff(user=user, case=notice.case)
    embargoed = notice.is_embargoed()
    live = notice.status in LIVE_STATUSES and not embargoed
    required: list[selectors.RequiredApproval] = []
    approvals_open: list[selectors.RequiredApproval] = []
    if working is not None and working.status in (VersionStatus.IN_REVIEW, VersionStatus.APPROVED):
        required = selectors.approvals_required(notice=notice, version=working)
        if working.status == VersionStatus.IN_REVIEW:
            approvals_open = selectors.approvals_open_to(user=user, required=required)
    is_approver = any(selectors.may_approve(user=user, required=r) for r in required)
    correction = working if working is not None and working.is_correction else None
    if correction is None and notice.published_version is not None and notice.published_version.is_correction:
        correction = next(v for v in versions if v.pk == notice.published_version_id)
    replaced = _replaced_by(versions, correction) if correction is not None else None
    may_withdraw = notice.status != NoticeStatus.WITHDRAWN and (
        is_public_communications_lead(user=user, case=notice.case) if notice.status in LIVE_STATUSES else is_staff
    )
    return {
        "notice": notice,
        "versions": versions,
        "working": working,
        "shown": working or notice.published_version or versions[0],
        "embargoed": embargoed,
        "is_public": notice.is_public(),
        "required": required,
        "no_lead": working is not None and working.status == VersionStatus.IN_REVIEW and not required,
        "changes": _diff(replaced, correction) if correction is not None and replaced is not None else [],
        "correction": correction,
        "changes_from": replaced,
        "failed_form": next((f for f in given.values() if f is not None), None),
        "can_edit": is_staff and working is not None and working.status == VersionStatus.DRAFT,
        "can_submit": is_staff and working is not None and working.status == VersionStatus.DRAFT,
        "approve_form": (
            given.get("approve_form") or ApproveForm(organisations=[r.organisation for r in approvals_open])
        )
        if approvals_open
        else None,
        "return_form": (given.get("return_form") or ReasonForm(label="What needs to change?", prefix="return"))
        if is_approver and working is not None and working.status in (VersionStatus.IN_REVIEW, VersionStatus.APPROVED)
        else None,
        "publish_form": (given.get("publish_form") or PublishForm(can_schedule=notice.status == NoticeStatus.APPROVED))
        if is_staff and working is not None and working.status == VersionStatus.APPROVED and not embargoed
        else None,
        "can_unschedule": is_staff and embargoed,
        "can_correct": is_staff and live and working is None,
        "can_discard": is_staff and working is not None and working.is_correction,
        "withdraw_form": (
            given.get("withdraw_form")
            or ReasonForm(
                label="Why is it withdrawn?",
                help_text="The public sees this reason on the notice's page." if notice.publish_at else "",
                prefix="withdraw",
            )
        )
        if may_withdraw
        else None,
    }


@staff
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_get_for_user(user=acting_user(request), pk=pk)
    return render(request, "communications/staff/notices/notice_detail.html", _detail_context(request, notice))


# The confirmation shown after each action of the notice page, by the action's form.
_DONE = {
    "submit_form": "The notice has been sent for approval.",
    "return_form": "The notice has been returned to its author with your reason.",
    "approve_form": "Your approval has been recorded.",
    "publish_form": "Done. The notice page shows when the public can see it.",
    "unschedule_form": "The notice is no longer scheduled. The public will not see it.",
    "discard_form": "The correction has been discarded. The published notice is unchanged.",
    "withdraw_form": "The notice has been withdrawn from the public site.",
}


# What the page's staff actions are called on the page that asks a person with several organisations which one
# they act for (the page's buttons carry no choice).
_ASKED = {
    "submit_form": "Send the notice for approval",
    "publish_form": "Publish the notice",
    "unschedule_form": "Take the notice off the schedule",
    "discard_form": "Discard the correction",
    "withdraw_form": "Withdraw the notice",
}


def _ask_which(request: HttpRequest, notice: Notice, form_name: str) -> tuple[Organisation | None, HttpResponse | None]:
    """For one of the page's staff actions: the organisation chosen by a person who works on the case's
    communications for several, or the question page that asks them (carrying what they sent, so that the answer
    completes the action). (None, None) for everyone else: the service takes their only organisation."""
    acting = plan_selectors.communications_organisations(user=acting_user(request), case=notice.case)
    if form_name not in _ASKED or len(acting) < 2:
        return None, None
    chooser = ActingForm(request.POST if "acting_for" in request.POST else None, acting=acting)
    if chooser.is_valid():
        return chooser.chosen_organisation, None
    context = {
        "notice": notice,
        "form": chooser,
        "question": _ASKED[form_name],
        "carried": [
            (name, value)
            for name, values in request.POST.lists()
            if name not in ("csrfmiddlewaretoken", "acting_for")
            for value in values
        ],
    }
    status = 400 if chooser.is_bound else 200
    return None, render(request, "communications/staff/notices/notice_acting.html", context, status=status)


def _act(
    request: HttpRequest,
    pk: int,
    form_name: str,
    form: forms.Form,
    call: Callable[[User, Notice, dict[str, Any], Organisation | None], object],
) -> HttpResponse:
    """Runs one action from the notice page: redirect on success, or show the page again with the errors."""
    user = acting_user(request)
    notice = selectors.notice_get_for_user(user=user, pk=pk)
    organisation, question = _ask_which(request, notice, form_name) if form.is_valid() else (None, None)
    if question is not None:
        return question
    if form.is_valid() and run_service(form, lambda: call(user, notice, form.cleaned_data, organisation)) is not None:
        messages.success(request, _DONE.get(form_name, "Your changes have been saved."))
        return redirect("communications:staff-notice-detail", notice.pk)
    context = _detail_context(request, notice, **{form_name: form})
    return render(request, "communications/staff/notices/notice_detail.html", context, status=400)


def _draft_form(notice: Notice, working: NoticeVersion | None) -> forms.Form:
    """The draft's own words in the form that writes them, so that what the service says must change before the
    draft is sent for approval lands on the field concerned. Without a draft, an empty form."""
    if working is None or working.status != VersionStatus.DRAFT:
        return forms.Form({})
    data = _version_initial(working, correction_note=working.correction_note)
    data["next_update_on"] = working.next_update_on.isoformat() if working.next_update_on else ""
    if notice.families_first:
        data["families_first"] = "on"
    form = NoticeForm(data, correction=working.is_correction, unpublished=notice.status not in LIVE_STATUSES)
    form.is_valid()
    return form


@staff
@require_POST
def notice_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Sends the draft for approval. If its words are not ready (``services.notice_text_problems``), the draft's
    form is shown with each problem on its field, to fix and save before sending it again."""
    user = acting_user(request)
    notice = selectors.notice_get_for_user(user=user, pk=pk)
    form = _draft_form(notice, selectors.working_version(notice=notice))
    organisation, question = _ask_which(request, notice, "submit_form")
    if question is not None:
        return question
    if (
        run_service(form, lambda: services.notice_submit(actor=user, notice=notice, organisation=organisation))
        is not None
    ):
        messages.success(request, _DONE["submit_form"])
        return redirect("communications:staff-notice-detail", notice.pk)
    if any(form.has_error(name) for name in form.fields):
        context = {
            "case": notice.case,
            "notice": notice,
            "heading": "Change the draft before you send it",
            "form": form,
            "action": reverse("communications:notice-edit", args=[notice.pk]),
        }
        return render(request, "communications/staff/notices/notice_form.html", context, status=400)
    context = _detail_context(request, notice, submit_form=form)
    return render(request, "communications/staff/notices/notice_detail.html", context, status=400)


@staff
@require_POST
def notice_return(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(
        request.POST, label="What needs to change?", message="Enter what needs to change", prefix="return"
    )
    return _act(
        request,
        pk,
        "return_form",
        form,
        lambda u, n, d, _: services.notice_return(actor=u, notice=n, reason=d["reason"]),
    )


@staff
@require_POST
def notice_approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    notice = selectors.notice_get_for_user(user=user, pk=pk)
    working = selectors.working_version(notice=notice)
    open_to_user = (
        selectors.approvals_open_to(user=user, required=selectors.approvals_required(notice=notice, version=working))
        if working is not None
        else []
    )
    form = ApproveForm(request.POST, organisations=[r.organisation for r in open_to_user])
    return _act(
        request,
        pk,
        "approve_form",
        form,
        lambda u, n, d, _: services.notice_approve(actor=u, notice=n, organisation=d.get("organisation")),
    )


@staff
@require_POST
def notice_publish(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_get_for_user(user=acting_user(request), pk=pk)
    form = PublishForm(request.POST, can_schedule=notice.status == NoticeStatus.APPROVED)
    return _act(
        request,
        pk,
        "publish_form",
        form,
        lambda u, n, d, o: services.notice_publish(actor=u, notice=n, publish_at=d.get("publish_at"), organisation=o),
    )


@staff
@require_POST
def notice_unschedule(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "unschedule_form",
        forms.Form(request.POST),
        lambda u, n, d, o: services.notice_unschedule(actor=u, notice=n, organisation=o),
    )


@staff
@require_POST
def notice_discard(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "discard_form",
        forms.Form(request.POST),
        lambda u, n, d, o: services.notice_discard(actor=u, notice=n, organisation=o),
    )


@staff
@require_POST
def notice_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(
        request.POST, label="Why is it withdrawn?", message="Enter why it is withdrawn", prefix="withdraw"
    )
    return _act(
        request,
        pk,
        "withdraw_form",
        form,
        lambda u, n, d, o: services.notice_withdraw(actor=u, notice=n, reason=d["reason"], organisation=o),
    )


# --- Writing ----------------------------------------------------------------------------------------


def _preview(form: NoticeForm) -> dict[str, str] | None:
    """The text as the public would see it, when the author asked for a preview of valid input."""
    if "preview" not in form.data or not form.is_valid():
        return None
    data = form.cleaned_data
    return {
        "title": data["title"],
        "summary": data["summary"],
        "body_html": render_markdown(data["body_markdown"]),
        "what_is_being_done_html": render_markdown(data.get("what_is_being_done_markdown", "")),
        "who_leads_html": render_markdown(data.get("who_leads_markdown", "")),
        "what_happens_next_html": render_markdown(data.get("what_happens_next_markdown", "")),
        "next_update": next_update_words(data.get("next_update_on")),
        "correction_note": data.get("correction_note", ""),
    }


def _write(
    request: HttpRequest,
    form: NoticeForm,
    save: Callable[[dict[str, Any]], Notice | None],
    context: dict[str, Any],
) -> HttpResponse:
    if request.method == "POST":
        preview = _preview(form)
        if preview is None and "preview" not in form.data and form.is_valid():
            notice = run_service(form, lambda: save(form.cleaned_data))
            if notice is not None:
                messages.success(request, "The draft has been saved.")
                return redirect("communications:staff-notice-detail", notice.pk)
        context["preview"] = preview
    context["form"] = form
    status = 400 if form.errors else 200
    return render(request, "communications/staff/notices/notice_form.html", context, status=status)


def _acting(request: HttpRequest, case: Case) -> list[Organisation]:
    """The organisations the person works on the case's communications for: what the notice form asks them to
    choose among when there is more than one."""
    return plan_selectors.communications_organisations(user=acting_user(request), case=case)


def _communications_case(request: HttpRequest, case_pk: int) -> Case:
    case = regime.case_get_for_user(user=acting_user(request), pk=case_pk)
    if not is_communications_staff(user=acting_user(request), case=case):
        raise PermissionDenied("Only the case's communications staff can write its notices.")
    return case


@staff
def notice_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = _communications_case(request, case_pk)
    form = NoticeForm(request.POST or None, new=True, acting=_acting(request, case))

    def save(data: dict[str, Any]) -> Notice:
        return services.notice_draft(
            actor=acting_user(request),
            organisation=form.chosen_organisation,
            case=case,
            kind=data["kind"],
            text=form.text(),
            families_first=data.get("families_first", False),
        )

    return _write(request, form, save, {"case": case, "heading": "Draft a notice"})


def _version_initial(version: NoticeVersion, **extra: Any) -> dict[str, Any]:
    return (
        {field: getattr(version, field) for field, _ in TEXT_FIELDS}
        | {"next_update_on": version.next_update_on}
        | extra
    )


@staff
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_get_for_user(user=acting_user(request), pk=pk)
    _communications_case(request, notice.case_id)
    working = selectors.working_version(notice=notice)
    if working is None or working.status != VersionStatus.DRAFT:
        return redirect("communications:staff-notice-detail", notice.pk)
    unpublished = notice.status not in LIVE_STATUSES
    form = NoticeForm(
        request.POST or None,
        correction=working.is_correction,
        unpublished=unpublished,
        acting=_acting(request, notice.case),
        initial=_version_initial(
            working, correction_note=working.correction_note, families_first=notice.families_first
        ),
    )

    def save(data: dict[str, Any]) -> Notice:
        services.notice_revise(
            actor=acting_user(request),
            organisation=form.chosen_organisation,
            notice=notice,
            text=form.text(),
            families_first=data.get("families_first") if unpublished else None,
        )
        return notice

    heading = "Change the correction" if working.is_correction else "Change the draft"
    return _write(request, form, save, {"case": notice.case, "notice": notice, "heading": heading})


@staff
def notice_correct(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_get_for_user(user=acting_user(request), pk=pk)
    _communications_case(request, notice.case_id)
    if notice.published_version is None:
        return redirect("communications:staff-notice-detail", notice.pk)
    form = NoticeForm(
        request.POST or None,
        correction=True,
        unpublished=False,
        initial=_version_initial(notice.published_version),
        acting=_acting(request, notice.case),
    )

    def save(data: dict[str, Any]) -> Notice:
        services.notice_correct(
            actor=acting_user(request), organisation=form.chosen_organisation, notice=notice, text=form.text()
        )
        return notice

    return _write(request, form, save, {"case": notice.case, "notice": notice, "heading": "Correct the notice"})
