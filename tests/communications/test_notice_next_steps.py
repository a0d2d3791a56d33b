"""Every notice says what happens next and when: a notice other than guidance is not sent for approval without it,
a helpline it names comes with a phone number or a link to support, and the public page and API show what happens
next, the date of the next update written out, and links to the provider, the case's other notices, its findings
and its recruitment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent, User
from communications.models import Notice, NoticeKind, NoticeStatus, SupportService
from communications.public_cache import public_site_state
from communications.services.notices import NoticeText, notice_draft, notice_submit, notice_withdraw
from communications.verbs import CommunicationsVerb
from failure_regime.models import Case
from reviews.models import Cohort, FindingsSummary
from tests.communications.conftest import NOTICE_TEXT, published_notice
from tests.reviews.recruitment_fixtures import open_campaign, recruitment_lead  # noqa: F401

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
WITHOUT_NEXT = replace(NOTICE_TEXT, what_happens_next_markdown="")
HELPLINE_ONLY = replace(NOTICE_TEXT, body_markdown="If you are worried, call the families helpline.")
UPDATE_BY = date(2027, 1, 15)


def drafted(case: Case, author: User, text: NoticeText, kind: str = NoticeKind.FAILURE_NOTICE) -> Notice:
    return notice_draft(actor=author, case=case, kind=kind, text=text)


def refusal(case: Case, author: User, text: NoticeText, kind: str = NoticeKind.FAILURE_NOTICE) -> dict[str, Any]:
    """What ``notice_submit`` says must change before the drafted text can go for approval."""
    notice = drafted(case, author, text, kind)
    with pytest.raises(ValidationError) as refused:
        notice_submit(actor=author, notice=notice)
    return refused.value.message_dict


def public_page(client: Client, notice: Notice) -> str:
    response = client.get(reverse("communications:notice-detail", args=[notice.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- The service: what happens next -------------------------------------------------------------------------


def test_a_failure_notice_without_what_happens_next_is_not_sent(triggered_case: Case, comms_officer: User) -> None:
    assert "what_happens_next_markdown" in refusal(triggered_case, comms_officer, WITHOUT_NEXT)


@pytest.mark.parametrize(
    "kind", [NoticeKind.PROGRESS_UPDATE, NoticeKind.JOINT_STATEMENT, NoticeKind.QUESTIONS_AND_ANSWERS]
)
def test_every_kind_but_guidance_needs_what_happens_next(triggered_case: Case, comms_officer: User, kind: str) -> None:
    assert "what_happens_next_markdown" in refusal(triggered_case, comms_officer, WITHOUT_NEXT, kind)


def test_guidance_may_be_sent_without_what_happens_next(triggered_case: Case, comms_officer: User) -> None:
    notice = drafted(triggered_case, comms_officer, WITHOUT_NEXT, NoticeKind.GUIDANCE)
    notice_submit(actor=comms_officer, notice=notice)
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.IN_REVIEW


def test_a_refused_draft_stays_a_draft_and_nothing_is_audited(triggered_case: Case, comms_officer: User) -> None:
    notice = drafted(triggered_case, comms_officer, WITHOUT_NEXT)
    with pytest.raises(ValidationError):
        notice_submit(actor=comms_officer, notice=notice)
    submitted = AuditEvent.objects.filter(verb=CommunicationsVerb.NOTICE_SUBMITTED, target_id=str(notice.pk))
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.DRAFT and not submitted.exists()


def test_blank_lines_are_not_what_happens_next(triggered_case: Case, comms_officer: User) -> None:
    text = replace(NOTICE_TEXT, what_happens_next_markdown="  \n  ")
    assert "what_happens_next_markdown" in refusal(triggered_case, comms_officer, text)


def test_a_next_update_already_past_is_refused(triggered_case: Case, comms_officer: User) -> None:
    text = replace(NOTICE_TEXT, next_update_on=timezone.localdate() - timedelta(days=1))
    assert "next_update_on" in refusal(triggered_case, comms_officer, text)


def test_a_next_update_today_is_accepted(triggered_case: Case, comms_officer: User) -> None:
    notice = drafted(triggered_case, comms_officer, replace(NOTICE_TEXT, next_update_on=timezone.localdate()))
    assert notice_submit(actor=comms_officer, notice=notice).next_update_on == timezone.localdate()


def test_a_draft_written_before_the_date_passed_is_refused_after(triggered_case: Case, comms_officer: User) -> None:
    notice = drafted(triggered_case, comms_officer, replace(NOTICE_TEXT, next_update_on=timezone.localdate()))
    with time_machine.travel(timezone.now() + timedelta(days=2)), pytest.raises(ValidationError):
        notice_submit(actor=comms_officer, notice=notice)


# --- The service: helplines ---------------------------------------------------------------------------------


def test_a_helpline_without_a_number_is_refused_on_its_field(triggered_case: Case, comms_officer: User) -> None:
    assert list(refusal(triggered_case, comms_officer, HELPLINE_ONLY)) == ["body_markdown"]


def test_guidance_naming_a_helpline_needs_its_number_too(triggered_case: Case, comms_officer: User) -> None:
    assert "body_markdown" in refusal(triggered_case, comms_officer, HELPLINE_ONLY, NoticeKind.GUIDANCE)


@pytest.mark.parametrize(
    "number",
    ["0808 157 0100", "0300 123 4567", "020 7946 0000", "01632 960110", "01632-960-110", "+44 808 157 0100", "111"],
)
def test_a_helpline_with_a_uk_number_may_be_sent(triggered_case: Case, comms_officer: User, number: str) -> None:
    text = replace(NOTICE_TEXT, body_markdown=f"If you are worried, call the families helpline on {number}.")
    assert notice_submit(actor=comms_officer, notice=drafted(triggered_case, comms_officer, text)).pk


@pytest.mark.parametrize("number", ["0808 157", "12345", "call 0808 soon", "2019 to 2024"])
def test_something_that_is_not_a_phone_number_does_not_count(
    triggered_case: Case, comms_officer: User, number: str
) -> None:
    text = replace(NOTICE_TEXT, body_markdown=f"Call the helpline: {number}.")
    assert "body_markdown" in refusal(triggered_case, comms_officer, text)


def test_the_number_may_be_in_another_part_of_the_notice(triggered_case: Case, comms_officer: User) -> None:
    text = replace(HELPLINE_ONLY, what_happens_next_markdown="Call us on 0808 157 0100 from Monday.")
    assert notice_submit(actor=comms_officer, notice=drafted(triggered_case, comms_officer, text)).pk


@pytest.mark.parametrize("href", ["/support/", "http://127.0.0.1:8000/support/"])
def test_a_helpline_linked_to_the_support_page_may_be_sent(
    triggered_case: Case, comms_officer: User, href: str, settings: Any
) -> None:
    settings.SITE_URL = "http://127.0.0.1:8000"
    text = replace(NOTICE_TEXT, body_markdown=f"Call the families helpline: see [our support page]({href}).")
    assert notice_submit(actor=comms_officer, notice=drafted(triggered_case, comms_officer, text)).pk


def test_a_link_to_an_offered_services_website_counts(
    triggered_case: Case, comms_officer: User, helpline: SupportService
) -> None:
    SupportService.objects.filter(pk=helpline.pk).update(website="https://families-helpline.example.org")
    text = replace(NOTICE_TEXT, body_markdown="See the [helpline](https://families-helpline.example.org/contact).")
    assert notice_submit(actor=comms_officer, notice=drafted(triggered_case, comms_officer, text)).pk


def test_a_link_to_any_other_website_does_not_count(triggered_case: Case, comms_officer: User) -> None:
    text = replace(NOTICE_TEXT, body_markdown="See the [helpline](https://elsewhere.example.org/).")
    assert "body_markdown" in refusal(triggered_case, comms_officer, text)


# --- The staff pages ----------------------------------------------------------------------------------------


def submit_url(notice: Notice) -> str:
    return reverse("communications:notice-submit", args=[notice.pk])


def test_sending_without_what_happens_next_shows_the_draft_with_the_error_on_its_field(
    client_for: ClientFor, triggered_case: Case, comms_officer: User
) -> None:
    notice = drafted(triggered_case, comms_officer, WITHOUT_NEXT)
    response = client_for(comms_officer).post(submit_url(notice))
    assert response.status_code == 400 and "what_happens_next_markdown" in response.context["form"].errors
    assert 'href="#id_what_happens_next_markdown"' in response.content.decode()


def test_the_draft_shown_after_a_refusal_is_saved_at_its_own_address(
    client_for: ClientFor, triggered_case: Case, comms_officer: User
) -> None:
    notice = drafted(triggered_case, comms_officer, WITHOUT_NEXT)
    response = client_for(comms_officer).post(submit_url(notice))
    assert f'action="{reverse("communications:notice-edit", args=[notice.pk])}"' in response.content.decode()


def test_a_helpline_without_a_number_shows_the_error_on_what_happened(
    client_for: ClientFor, triggered_case: Case, comms_officer: User
) -> None:
    notice = drafted(triggered_case, comms_officer, HELPLINE_ONLY)
    response = client_for(comms_officer).post(submit_url(notice))
    assert response.status_code == 400 and "body_markdown" in response.context["form"].errors


def test_the_form_saves_what_happens_next_and_the_next_update(
    client_for: ClientFor, triggered_case: Case, comms_officer: User
) -> None:
    notice = drafted(triggered_case, comms_officer, WITHOUT_NEXT)
    data = {
        "title": NOTICE_TEXT.title,
        "summary": NOTICE_TEXT.summary,
        "body_markdown": NOTICE_TEXT.body_markdown,
        "what_happens_next_markdown": "We will write to **every family**.",
        "next_update_on": "2027-01-15",
        "save": "1",
    }
    client_for(comms_officer).post(reverse("communications:notice-edit", args=[notice.pk]), data)
    version = notice.versions.get()
    assert version.what_happens_next_html.strip() == "<p>We will write to <strong>every family</strong>.</p>"
    assert version.next_update_on == UPDATE_BY


def test_once_fixed_the_draft_is_sent(client_for: ClientFor, triggered_case: Case, comms_officer: User) -> None:
    notice = drafted(triggered_case, comms_officer, NOTICE_TEXT)
    response = client_for(comms_officer).post(submit_url(notice))
    assert response.status_code == 302 and Notice.objects.get(pk=notice.pk).status == NoticeStatus.IN_REVIEW


# --- The public page ----------------------------------------------------------------------------------------


@pytest.fixture
def promised(triggered_case: Case, comms_officer: User, comms_lead: User) -> Notice:
    """A published notice saying what happens next and promising an update by 15 January 2027."""
    with time_machine.travel(date(2026, 12, 1)):
        return published_notice(
            triggered_case, comms_officer, comms_lead, text=replace(NOTICE_TEXT, next_update_on=UPDATE_BY)
        )


@pytest.fixture
def _before_the_update() -> Any:
    with time_machine.travel(date(2026, 12, 10), tick=False):
        yield


def test_the_page_says_what_happens_next_under_its_heading(
    client: Client, promised: Notice, _before_the_update: None
) -> None:
    body = public_page(client, promised)
    heading = body.index(">What happens next</h2>")
    assert heading < body.index(NOTICE_TEXT.what_happens_next_markdown)


def test_the_page_writes_the_date_of_the_next_update_out(
    client: Client, promised: Notice, _before_the_update: None
) -> None:
    assert "We will publish an update by 15 January 2027." in public_page(client, promised)


def test_once_the_date_has_passed_it_is_no_longer_a_promise(client: Client, promised: Notice) -> None:
    with time_machine.travel(date(2027, 1, 20), tick=False):
        body = public_page(client, promised)
    assert "We said we would publish an update by 15 January 2027." in body and "We will publish" not in body


def test_the_page_links_its_provider_page(client: Client, published: Notice) -> None:
    assert f'href="{reverse("provider-public", args=[published.provider.ods_code])}"' in public_page(client, published)


def test_the_page_links_the_other_public_notices_of_its_case(
    client: Client, published: Notice, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    other = published_notice(triggered_case, comms_officer, comms_lead, text=replace(NOTICE_TEXT, title="Update"))
    assert f'href="{reverse("communications:notice-detail", args=[other.pk])}"' in public_page(client, published)


def test_the_page_does_not_link_itself_or_an_embargoed_notice(
    client: Client, published: Notice, triggered_case: Case, comms_officer: User, comms_lead: User
) -> None:
    later = published_notice(triggered_case, comms_officer, comms_lead, publish_at=timezone.now() + timedelta(hours=2))
    body = public_page(client, published)
    assert "More about this case" not in body and f"/notices/{later.pk}/" not in body


def summary_of(case: Case, by: User) -> FindingsSummary:
    cohort = Cohort.objects.create(case=case, title="Deaths 2019 to 2024", created_by=by, created_at=timezone.now())
    return FindingsSummary.objects.create(
        cohort=cohort, title="Early findings", body="Most care was good.", patients_reviewed=20, published_by=by,
        published_at=timezone.now(),
    )  # fmt: skip


def test_the_page_links_the_findings_of_its_case(
    client: Client, published: Notice, triggered_case: Case, regulator: User
) -> None:
    summary = summary_of(triggered_case, regulator)
    assert f'href="{reverse("reviews:summary-detail", args=[summary.pk])}"' in public_page(client, published)


def test_the_page_links_join_a_review_while_its_case_recruits(
    client: Client,
    published: Notice,
    triggered_case: Case,
    recruitment_lead: User,  # noqa: F811
) -> None:
    open_campaign(triggered_case, recruitment_lead)
    assert f'href="{reverse("reviews:join")}">This review is looking' in public_page(client, published)


def test_the_page_does_not_ask_for_experts_once_recruitment_has_closed(
    client: Client,
    published: Notice,
    triggered_case: Case,
    recruitment_lead: User,  # noqa: F811
) -> None:
    open_campaign(triggered_case, recruitment_lead, closes_on=timezone.localdate() + timedelta(days=1))
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert "This review is looking" not in public_page(client, published)


def test_a_withdrawn_notice_shows_no_next_steps_or_links(
    client: Client, published: Notice, comms_lead: User, triggered_case: Case, regulator: User
) -> None:
    summary_of(triggered_case, regulator)
    notice_withdraw(actor=comms_lead, notice=published, reason="It was wrong.")
    body = public_page(client, published)
    assert "What happens next" not in body and "More about this case" not in body


def test_the_page_keeps_its_query_budget_with_every_link(
    client: Client,
    published: Notice,
    triggered_case: Case,
    comms_officer: User,
    comms_lead: User,
    regulator: User,
    recruitment_lead: User,  # noqa: F811
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(3):
        published_notice(triggered_case, comms_officer, comms_lead, text=replace(NOTICE_TEXT, title=f"Update {n}"))
    summary_of(triggered_case, regulator)
    open_campaign(triggered_case, recruitment_lead)
    public_site_state()  # worked out once per change for the whole site, not per page
    with django_assert_max_num_queries(5):
        public_page(client, published)


# --- The public API -----------------------------------------------------------------------------------------


def api_detail(notice: Notice) -> dict[str, Any]:
    response = APIClient().get(reverse("api:public-notice-detail", args=[notice.pk]))
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_the_api_gives_what_happens_next_and_the_date_of_the_next_update(promised: Notice) -> None:
    body = api_detail(promised)
    assert (body["what_happens_next_html"].strip(), body["next_update_on"]) == (
        f"<p>{NOTICE_TEXT.what_happens_next_markdown}</p>",
        "2027-01-15",
    )


def test_the_api_gives_neither_for_a_withdrawn_notice(promised: Notice, comms_lead: User) -> None:
    notice_withdraw(actor=comms_lead, notice=promised, reason="It was wrong.")
    body = api_detail(promised)
    assert (body["what_happens_next_html"], body["next_update_on"]) == ("", None)
