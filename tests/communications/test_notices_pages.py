"""Staff pages of notices: the list, drafting with a preview, the notice page with its approval panel and every
version, and each workflow action as a form. Other organisations get 404; the public is sent to sign in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from communications.models import Notice, NoticeKind, NoticeStatus, VersionStatus
from communications.services.notices import notice_correct, notice_draft, notice_submit
from failure_regime.models import Case
from tests.communications.conftest import NOTICE_TEXT, approved_notice, published_notice

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]

NEW_NOTICE = {
    "kind": NoticeKind.FAILURE_NOTICE,
    "title": "Emergency care at Mid Shire",
    "summary": "A review of emergency care has begun.",
    "body_markdown": "Patients waited **too long**.",
    "what_is_being_done_markdown": "",
    "who_leads_markdown": "",
}


def detail(notice: Notice) -> str:
    return reverse("communications:staff-notice-detail", args=[notice.pk])


def action(name: str, notice: Notice) -> str:
    return reverse(f"communications:notice-{name}", args=[notice.pk])


def refreshed(notice: Notice) -> Notice:
    notice.refresh_from_db()
    return notice


# --- The list ---------------------------------------------------------------------------------------


def test_the_list_shows_the_notices_of_cases_the_user_sees(
    client_for: ClientFor, draft: Notice, trust_manager: User
) -> None:
    response = client_for(trust_manager).get(reverse("communications:staff-notice-list"))
    assert NOTICE_TEXT.title in response.content.decode()


def test_the_list_leaves_out_another_organisations_notices(
    client_for: ClientFor, draft: Notice, other_trust_manager: User
) -> None:
    response = client_for(other_trust_manager).get(reverse("communications:staff-notice-list"))
    assert NOTICE_TEXT.title not in response.content.decode()


def test_the_list_sends_the_public_to_sign_in(client: Client) -> None:
    assert client.get(reverse("communications:staff-notice-list"))["Location"].startswith("/sign-in/")


def test_the_list_filters_by_status(
    client_for: ClientFor, draft: Notice, published: Notice, comms_officer: User
) -> None:
    response = client_for(comms_officer).get(reverse("communications:staff-notice-list"), {"status": "draft"})
    assert list(response.context["page"].object_list) == [draft]


def test_the_list_shows_the_lead_what_waits_for_their_approval(
    client_for: ClientFor, draft: Notice, comms_officer: User, comms_lead: User
) -> None:
    notice_submit(actor=comms_officer, notice=draft)
    response = client_for(comms_lead).get(reverse("communications:staff-notice-list"))
    assert list(response.context["awaiting"]) == [draft]


def test_a_party_sees_a_joint_statement_waiting_for_its_approval(
    client_for: ClientFor, triggered_case: Case, comms_officer: User, sign_off_officer: User
) -> None:
    joint = notice_draft(actor=comms_officer, case=triggered_case, kind=NoticeKind.JOINT_STATEMENT, text=NOTICE_TEXT)
    notice_submit(actor=comms_officer, notice=joint)
    response = client_for(sign_off_officer).get(reverse("communications:staff-notice-list"))
    assert list(response.context["awaiting"]) == [joint]


def test_the_list_keeps_a_fixed_query_budget(
    client_for: ClientFor,
    triggered_case: Case,
    comms_officer: User,
    comms_lead: User,
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(5):
        published_notice(triggered_case, comms_officer, comms_lead)
    client = client_for(comms_lead)
    with django_assert_max_num_queries(12):
        client.get(reverse("communications:staff-notice-list"))


# --- The notice page --------------------------------------------------------------------------------


def test_a_party_member_reads_a_draft(client_for: ClientFor, draft: Notice, trust_manager: User) -> None:
    assert client_for(trust_manager).get(detail(draft)).status_code == 200


def test_another_organisation_gets_not_found(client_for: ClientFor, draft: Notice, other_trust_manager: User) -> None:
    assert client_for(other_trust_manager).get(detail(draft)).status_code == 404


def test_the_notice_page_sends_the_public_to_sign_in(client: Client, draft: Notice) -> None:
    assert client.get(detail(draft))["Location"].startswith("/sign-in/")


def test_national_oversight_reads_every_notice(client_for: ClientFor, draft: Notice, national: User) -> None:
    assert client_for(national).get(detail(draft)).status_code == 200


def test_the_approval_panel_shows_who_is_still_needed(
    client_for: ClientFor, triggered_case: Case, comms_officer: User, regulator: User, sign_off_officer: User
) -> None:
    from communications.services.notices import notice_approve

    joint = notice_draft(actor=comms_officer, case=triggered_case, kind=NoticeKind.JOINT_STATEMENT, text=NOTICE_TEXT)
    notice_submit(actor=comms_officer, notice=joint)
    notice_approve(actor=regulator, notice=joint)
    rows = client_for(sign_off_officer).get(detail(joint)).context["required"]
    assert [(r.organisation.ods_code, r.given) for r in rows] == [("RXX", False), ("CQC", True), ("MON", False)]


def test_the_page_shows_what_a_correction_changes(
    client_for: ClientFor, published: Notice, comms_officer: User
) -> None:
    text = replace(NOTICE_TEXT, summary="The review began in March.", correction_note="Wrong month.")
    notice_correct(actor=comms_officer, notice=published, text=text)
    page = client_for(comms_officer).get(detail(published)).content.decode()
    assert f'<del><span class="nhsuk-u-visually-hidden">Removed: </span>{NOTICE_TEXT.summary}</del>' in page
    assert '<ins><span class="nhsuk-u-visually-hidden">Added: </span>The review began in March.</ins>' in page


def test_the_notice_page_keeps_a_fixed_query_budget(
    client_for: ClientFor, published: Notice, comms_officer: User, django_assert_max_num_queries: Any
) -> None:
    notice_correct(actor=comms_officer, notice=published, text=replace(NOTICE_TEXT, correction_note="Typo."))
    client = client_for(comms_officer)
    with django_assert_max_num_queries(15):
        client.get(detail(published))


# --- Writing ----------------------------------------------------------------------------------------


def new_url(case: Case) -> str:
    return reverse("communications:notice-new", args=[case.pk])


def test_a_communications_officer_drafts_a_notice(
    client_for: ClientFor, triggered_case: Case, comms_officer: User
) -> None:
    response = client_for(comms_officer).post(new_url(triggered_case), {**NEW_NOTICE, "save": "1"})
    notice = Notice.objects.get()
    assert response["Location"] == detail(notice) and notice.versions.get().title == NEW_NOTICE["title"]


def test_a_preview_shows_the_text_as_the_public_will_and_saves_nothing(
    client_for: ClientFor, triggered_case: Case, comms_officer: User
) -> None:
    response = client_for(comms_officer).post(new_url(triggered_case), {**NEW_NOTICE, "preview": "1"})
    assert "Patients waited <strong>too long</strong>." in response.content.decode() and not Notice.objects.exists()


def test_a_preview_shows_markup_as_text(client_for: ClientFor, triggered_case: Case, comms_officer: User) -> None:
    body = {**NEW_NOTICE, "body_markdown": "<script>alert(1)</script>", "preview": "1"}
    page = client_for(comms_officer).post(new_url(triggered_case), body).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_form_says_what_is_missing(client_for: ClientFor, triggered_case: Case, comms_officer: User) -> None:
    response = client_for(comms_officer).post(new_url(triggered_case), {**NEW_NOTICE, "title": "", "save": "1"})
    assert response.status_code == 400 and "Enter the title" in response.content.decode()


def test_a_trust_manager_of_a_party_may_not_draft(
    client_for: ClientFor, triggered_case: Case, trust_manager: User
) -> None:
    assert client_for(trust_manager).get(new_url(triggered_case)).status_code == 403


def test_another_organisation_cannot_even_find_the_case(
    client_for: ClientFor, triggered_case: Case, outsider_comms_officer: User
) -> None:
    assert client_for(outsider_comms_officer).get(new_url(triggered_case)).status_code == 404


def test_a_draft_is_changed_on_its_edit_page(client_for: ClientFor, draft: Notice, comms_officer: User) -> None:
    body = {**NEW_NOTICE, "title": "A better title", "save": "1"}
    client_for(comms_officer).post(action("edit", draft), body)
    assert draft.versions.get().title == "A better title"


# --- Actions ----------------------------------------------------------------------------------------


def test_sending_for_approval(client_for: ClientFor, draft: Notice, comms_officer: User) -> None:
    client_for(comms_officer).post(action("submit", draft))
    assert refreshed(draft).status == NoticeStatus.IN_REVIEW


def test_the_lead_approves_on_the_page(
    client_for: ClientFor, draft: Notice, comms_officer: User, comms_lead: User
) -> None:
    notice_submit(actor=comms_officer, notice=draft)
    client_for(comms_lead).post(action("approve", draft))
    assert refreshed(draft).status == NoticeStatus.APPROVED


def test_someone_who_does_not_approve_is_refused(client_for: ClientFor, draft: Notice, comms_officer: User) -> None:
    notice_submit(actor=comms_officer, notice=draft)
    assert client_for(comms_officer).post(action("approve", draft)).status_code == 403


def test_approving_a_notice_of_another_organisation_is_not_found(
    client_for: ClientFor, draft: Notice, comms_officer: User, other_trust_manager: User
) -> None:
    notice_submit(actor=comms_officer, notice=draft)
    assert client_for(other_trust_manager).post(action("approve", draft)).status_code == 404


def test_returning_needs_a_reason_on_the_page(
    client_for: ClientFor, draft: Notice, comms_officer: User, comms_lead: User
) -> None:
    notice_submit(actor=comms_officer, notice=draft)
    response = client_for(comms_lead).post(action("return", draft), {"return-reason": ""})
    assert response.status_code == 400 and refreshed(draft).status == NoticeStatus.IN_REVIEW


def test_returning_for_changes_on_the_page(
    client_for: ClientFor, draft: Notice, comms_officer: User, comms_lead: User
) -> None:
    notice_submit(actor=comms_officer, notice=draft)
    client_for(comms_lead).post(action("return", draft), {"return-reason": "Shorter, please."})
    assert refreshed(draft).status == NoticeStatus.DRAFT


def test_publishing_now_on_the_page(
    client_for: ClientFor, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    notice = approved_notice(triggered_case, comms_officer, comms_lead)
    client_for(comms_officer).post(action("publish", notice), {"when": "now"})
    assert refreshed(notice).is_public()


def test_scheduling_on_the_page(
    client_for: ClientFor, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    notice = approved_notice(triggered_case, comms_officer, comms_lead)
    when = timezone.localtime() + timedelta(days=1)
    client_for(comms_officer).post(action("publish", notice), {"when": "later", "publish_at": f"{when:%Y-%m-%dT%H:%M}"})
    assert refreshed(notice).is_embargoed()


def test_scheduling_needs_a_time(
    client_for: ClientFor, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    notice = approved_notice(triggered_case, comms_officer, comms_lead)
    response = client_for(comms_officer).post(action("publish", notice), {"when": "later", "publish_at": ""})
    assert response.status_code == 400 and "Enter the date and time" in response.content.decode()


def test_taking_it_off_the_schedule_on_the_page(
    client_for: ClientFor, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    notice = published_notice(triggered_case, comms_officer, comms_lead, publish_at=timezone.now() + timedelta(days=1))
    client_for(comms_officer).post(action("unschedule", notice))
    assert refreshed(notice).status == NoticeStatus.APPROVED


def test_drafting_a_correction_on_the_page(client_for: ClientFor, published: Notice, comms_officer: User) -> None:
    body = {**NEW_NOTICE, "correction_note": "We gave the wrong month.", "save": "1"}
    client_for(comms_officer).post(action("correct", published), body)
    assert published.versions.filter(is_correction=True, status=VersionStatus.DRAFT).exists()


def test_discarding_a_correction_on_the_page(client_for: ClientFor, published: Notice, comms_officer: User) -> None:
    notice_correct(actor=comms_officer, notice=published, text=replace(NOTICE_TEXT, correction_note="Typo."))
    client_for(comms_officer).post(action("discard", published))
    assert published.versions.filter(status=VersionStatus.DISCARDED).exists()


def test_the_lead_withdraws_on_the_page(client_for: ClientFor, published: Notice, comms_lead: User) -> None:
    client_for(comms_lead).post(action("withdraw", published), {"withdraw-reason": "Replaced by a wider review."})
    assert refreshed(published).status == NoticeStatus.WITHDRAWN


def test_a_communications_officer_is_refused_withdrawal_of_a_public_notice(
    client_for: ClientFor, published: Notice, comms_officer: User
) -> None:
    response = client_for(comms_officer).post(action("withdraw", published), {"withdraw-reason": "No."})
    assert response.status_code == 403 and refreshed(published).status == NoticeStatus.PUBLISHED


def test_an_action_sends_the_public_to_sign_in(client: Client, draft: Notice) -> None:
    assert client.post(action("submit", draft))["Location"].startswith("/sign-in/")
