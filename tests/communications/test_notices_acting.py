"""Notices by someone who works on a case's communications for two of its parties: every service is told which
organisation, the writing pages ask on the form, and the notice page's buttons ask on a page of their own that
carries what was sent, so that the answer completes the action."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, Organisation, Role, User
from accounts.services import membership_create
from communications.models import Notice, NoticeKind, NoticeStatus
from communications.services.notices import notice_draft
from communications.verbs import CommunicationsVerb
from failure_regime.models import Case
from tests.communications.conftest import NOTICE_TEXT

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
QUESTION = "Which organisation are you doing this for?"


@pytest.fixture
def officer_of_two(comms_officer: User, provider: Organisation, triggered_case: Case) -> User:
    """CQC's communications officer, who is one at the trust too: both are parties to ``triggered_case``."""
    membership_create(actor=None, user=comms_officer, organisation=provider, role=Role.COMMUNICATIONS_OFFICER)
    return comms_officer


def test_a_draft_by_someone_with_two_organisations_needs_one_named(triggered_case: Case, officer_of_two: User) -> None:
    with pytest.raises(ValidationError) as error:
        notice_draft(actor=officer_of_two, case=triggered_case, kind=NoticeKind.FAILURE_NOTICE, text=NOTICE_TEXT)
    assert "acting_for" in error.value.message_dict
    assert not Notice.objects.exists()


def test_a_draft_is_the_named_organisations(triggered_case: Case, officer_of_two: User, provider: Organisation) -> None:
    notice = notice_draft(
        actor=officer_of_two,
        organisation=provider,
        case=triggered_case,
        kind=NoticeKind.FAILURE_NOTICE,
        text=NOTICE_TEXT,
    )
    assert notice.created_by_organisation == provider
    assert AuditEvent.objects.get(verb=CommunicationsVerb.NOTICE_DRAFTED).organisation == provider


def test_the_drafting_page_asks_which_organisation(
    client_for: ClientFor, triggered_case: Case, officer_of_two: User, provider: Organisation
) -> None:
    url = reverse("communications:notice-new", args=[triggered_case.pk])
    client = client_for(officer_of_two)
    assert QUESTION in client.get(url).content.decode()
    text = {
        "kind": NoticeKind.FAILURE_NOTICE,
        "title": "Emergency care at Mid Shire",
        "summary": "A review of emergency care has begun.",
        "body_markdown": "Patients waited **too long**.",
        "save": "1",
    }
    assert client.post(url, text).status_code == 400
    assert not Notice.objects.exists()
    assert client.post(url, {**text, "acting_for": provider.pk}).status_code == 302
    assert Notice.objects.get().created_by_organisation == provider


def test_a_button_on_the_notice_page_asks_on_a_page_of_its_own_and_the_answer_completes_it(
    client_for: ClientFor, draft: Notice, officer_of_two: User, provider: Organisation
) -> None:
    url = reverse("communications:notice-withdraw", args=[draft.pk])
    client = client_for(officer_of_two)
    question = client.post(url, {"withdraw-reason": "Drafted by mistake."})
    page = question.content.decode()
    assert question.status_code == 200 and QUESTION in page
    assert 'name="withdraw-reason" value="Drafted by mistake."' in page
    draft.refresh_from_db()
    assert draft.status == NoticeStatus.DRAFT
    answered = client.post(url, {"withdraw-reason": "Drafted by mistake.", "acting_for": provider.pk})
    assert answered.status_code == 302
    draft.refresh_from_db()
    assert draft.status == NoticeStatus.WITHDRAWN and draft.withdrawal_reason == "Drafted by mistake."
    assert AuditEvent.objects.get(verb=CommunicationsVerb.NOTICE_WITHDRAWN).organisation == provider


def test_an_organisation_that_is_not_theirs_is_not_taken(
    client_for: ClientFor, draft: Notice, officer_of_two: User, other_provider: Organisation
) -> None:
    url = reverse("communications:notice-withdraw", args=[draft.pk])
    response = client_for(officer_of_two).post(url, {"withdraw-reason": "No.", "acting_for": other_provider.pk})
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.status == NoticeStatus.DRAFT


def test_someone_with_one_organisation_is_asked_nothing(
    client_for: ClientFor, draft: Notice, comms_officer: User
) -> None:
    url = reverse("communications:notice-withdraw", args=[draft.pk])
    assert client_for(comms_officer).post(url, {"withdraw-reason": "Drafted by mistake."}).status_code == 302
