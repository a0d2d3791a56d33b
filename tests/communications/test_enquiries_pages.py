"""The public enquiry form and its thank-you page, and the staff triage queue and enquiry page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, Organisation, User
from communications.models import Enquiry, EnquiryCategory, EnquiryStatus, ReferralStatus, SupportService, Urgency
from communications.services.enquiries import enquiry_receive, enquiry_triage, referral_offer
from communications.views.enquiries import sent_token
from communications.workdays import LONDON
from failure_regime.models import Case, OutboxMessage

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
FORM = reverse("communications:enquiry-new")
QUEUE = reverse("communications:enquiry-queue")


def form_data(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Alex Example",
        "relation": "family",
        "provider_name": "RXX",
        "worry": "My mother was left without pain relief for a day on the maternity ward.",
        "contact_method": "email",
        "email": "alex@example.org",
        "consent": "on",
        **overrides,
    }


@pytest.fixture
def enquiry(family_support_case: Case, provider: Organisation) -> Enquiry:
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=LONDON), tick=False):
        return enquiry_receive(
            provider=provider,
            name="Alex Example",
            relation="family",
            worry="My mother was left without pain relief.",
            contact_method="email",
            email="alex@example.org",
            consent=True,
        )


def detail_url(enquiry: Enquiry) -> str:
    return reverse("communications:enquiry-detail", args=[enquiry.pk])


# --- The public form -----------------------------------------------------------------------------------------


def test_the_form_is_open_to_the_public(client: Client) -> None:
    assert client.get(FORM).status_code == 200


def test_the_form_is_never_cached(client: Client) -> None:
    assert "no-store" in client.get(FORM)["Cache-Control"]


def test_the_form_can_name_the_provider_from_a_link(client: Client, provider: Organisation) -> None:
    assert provider.name in client.get(FORM, {"provider": "RXX"}).content.decode()


def test_a_sent_message_goes_to_the_thank_you_page(client: Client, family_support_case: Case) -> None:
    response = client.post(FORM, form_data())
    assert response.status_code == 302 and response["Location"].startswith("/contact-us/sent/")


def test_the_thank_you_page_shows_the_reference(client: Client, family_support_case: Case) -> None:
    response = client.post(FORM, form_data(), follow=True)
    assert Enquiry.objects.get().reference in response.content.decode()


def test_the_thank_you_address_carries_nothing_about_the_sender(client: Client, family_support_case: Case) -> None:
    location = client.post(FORM, form_data())["Location"]
    assert "alex" not in location.lower() and "Example" not in location


def test_the_thank_you_page_sets_no_cookie(client: Client, family_support_case: Case) -> None:
    location = client.post(FORM, form_data())["Location"]
    response = Client().get(location)
    assert response.status_code == 200 and not response.cookies


def test_a_tampered_thank_you_address_is_not_found(client: Client) -> None:
    token = sent_token(reference="ENQ-AAAA-BBBB", emailed=True)
    assert client.get(reverse("communications:enquiry-sent", args=[token[:-2] + "xx"])).status_code == 404


def test_an_old_thank_you_address_expires(client: Client) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=LONDON), tick=False):
        token = sent_token(reference="ENQ-AAAA-BBBB", emailed=True)
    assert client.get(reverse("communications:enquiry-sent", args=[token])).status_code == 404


def test_bad_answers_are_shown_again_with_their_messages(client: Client, provider: Organisation) -> None:
    response = client.post(FORM, form_data(name="", email="alex@"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter your name" in html and "Enter an email address in the correct format" in html


def test_the_error_summary_links_to_each_field(client: Client, provider: Organisation) -> None:
    html = client.post(FORM, form_data(relation="")).content.decode()
    assert 'href="#id_relation_0"' in html


def test_the_form_keeps_what_was_typed(client: Client, provider: Organisation) -> None:
    html = client.post(FORM, form_data(name="")).content.decode()
    assert "pain relief for a day" in html


def test_the_spam_trap_stores_nothing_but_says_thank_you(client: Client, provider: Organisation) -> None:
    response = client.post(FORM, form_data(website="http://spam.example"), follow=True)
    assert "Your message has been sent" in response.content.decode()
    assert not Enquiry.objects.exists() and not OutboxMessage.objects.exists()


def test_the_spam_trap_thanks_even_nonsense(client: Client, provider: Organisation) -> None:
    response = client.post(FORM, {"website": "buy now"})
    assert response.status_code == 302 and not Enquiry.objects.exists()


def test_one_address_may_send_only_so_many_messages(client: Client, settings: Any, provider: Organisation) -> None:
    settings.ENQUIRY_RATE_LIMIT = "2/h"
    for _ in range(2):
        client.post(FORM, form_data())
    response = client.post(FORM, form_data())
    assert response.status_code == 429 and Enquiry.objects.count() == 2


def test_the_limit_page_is_friendly(client: Client, settings: Any, provider: Organisation) -> None:
    settings.ENQUIRY_RATE_LIMIT = "1/h"
    client.post(FORM, form_data())
    response = client.post(FORM, form_data())
    assert "Please try again in an hour" in response.content.decode() and response["Retry-After"] == "3600"


def test_answers_with_mistakes_do_not_count_against_the_limit(
    client: Client, settings: Any, provider: Organisation
) -> None:
    settings.ENQUIRY_RATE_LIMIT = "1/h"
    client.post(FORM, form_data(name=""))
    assert client.post(FORM, form_data()).status_code == 302


def test_the_limit_is_per_address(client: Client, settings: Any, provider: Organisation) -> None:
    settings.ENQUIRY_RATE_LIMIT = "1/h"
    client.post(FORM, form_data(), REMOTE_ADDR="192.0.2.1")
    assert client.post(FORM, form_data(), REMOTE_ADDR="192.0.2.2").status_code == 302


def test_behind_a_proxy_the_limit_reads_the_forwarded_address(
    client: Client, settings: Any, provider: Organisation
) -> None:
    settings.ENQUIRY_RATE_LIMIT, settings.AXES_IPWARE_PROXY_COUNT = "1/h", 1
    client.post(FORM, form_data(), HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client.post(FORM, form_data(), HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302


def test_the_acknowledgement_is_queued_once(client: Client, family_support_case: Case) -> None:
    client.post(FORM, form_data())
    [message] = OutboxMessage.objects.filter(to="alex@example.org")
    assert Enquiry.objects.get().reference in message.body


# --- The staff queue ------------------------------------------------------------------------------------------


def test_the_queue_lists_the_officers_enquiries(client_for: ClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    assert enquiry.reference in client_for(liaison_officer).get(QUEUE).content.decode()


def test_the_queue_shows_no_personal_data(client_for: ClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    html = client_for(liaison_officer).get(QUEUE).content.decode()
    assert "Alex" not in html and "pain relief" not in html


def test_the_queue_leaves_out_other_organisations_enquiries(
    client_for: ClientFor, enquiry: Enquiry, other_liaison_officer: User
) -> None:
    assert enquiry.reference not in client_for(other_liaison_officer).get(QUEUE).content.decode()


def test_the_queue_refuses_the_public(client: Client) -> None:
    assert client.get(QUEUE)["Location"].startswith("/sign-in/")


def test_the_queue_filters_by_urgency(client_for: ClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    html = client_for(liaison_officer).get(QUEUE, {"urgency": Urgency.URGENT}).content.decode()
    assert enquiry.reference not in html


def test_the_queue_filters_overdue(client_for: ClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    with time_machine.travel(datetime(2026, 3, 3, 9, 0, tzinfo=LONDON)):
        html = client_for(liaison_officer).get(QUEUE, {"overdue": "on", "status": "open"}).content.decode()
    assert enquiry.reference not in html


def test_the_queue_hides_closed_enquiries_by_default(
    client_for: ClientFor, enquiry: Enquiry, liaison_officer: User
) -> None:
    Enquiry.objects.filter(pk=enquiry.pk).update(
        status=EnquiryStatus.CLOSED, closed_by=liaison_officer, closed_at=enquiry.received_at
    )
    assert enquiry.reference not in client_for(liaison_officer).get(QUEUE).content.decode()


def test_the_queue_keeps_to_its_query_budget(
    client_for: ClientFor,
    family_support_case: Case,
    provider: Organisation,
    liaison_officer: User,
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(20):
        enquiry = enquiry_receive(
            provider=provider,
            name="A",
            relation="family",
            worry="W",
            contact_method="phone",
            phone="01632960001",
            consent=True,
        )
        enquiry_triage(
            actor=liaison_officer,
            enquiry=enquiry,
            category="information",
            urgency="routine",
            assigned_to=liaison_officer,
            case=family_support_case,
        )
    client = client_for(liaison_officer)
    with django_assert_max_num_queries(8):
        assert client.get(QUEUE).status_code == 200


# --- The enquiry page ---------------------------------------------------------------------------------------


def test_the_officer_reads_the_whole_enquiry(client_for: ClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    html = client_for(liaison_officer).get(detail_url(enquiry)).content.decode()
    assert "Alex Example" in html and "pain relief" in html


def test_reading_the_enquiry_is_audited(client_for: ClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    client_for(liaison_officer).get(detail_url(enquiry))
    assert AuditEvent.objects.filter(verb="enquiry.viewed", target_id=str(enquiry.pk), actor=liaison_officer).exists()


def test_the_enquiry_page_is_not_kept_by_caches(client_for: ClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    assert client_for(liaison_officer).get(detail_url(enquiry))["Cache-Control"] == "private, no-store"


def test_another_organisations_officer_gets_not_found(
    client_for: ClientFor, enquiry: Enquiry, other_liaison_officer: User
) -> None:
    assert client_for(other_liaison_officer).get(detail_url(enquiry)).status_code == 404


def test_national_oversight_gets_not_found(client_for: ClientFor, enquiry: Enquiry, national: User) -> None:
    assert client_for(national).get(detail_url(enquiry)).status_code == 404


def test_the_enquiry_page_refuses_the_public(client: Client, enquiry: Enquiry) -> None:
    assert client.get(detail_url(enquiry))["Location"].startswith("/sign-in/")


def test_the_officer_triages_from_the_page(client_for: ClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    client_for(liaison_officer).post(
        reverse("communications:enquiry-triage", args=[enquiry.pk]),
        {"category": EnquiryCategory.URGENT_CLINICAL, "urgency": Urgency.URGENT, "assigned_to": liaison_officer.pk},
    )
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.urgency, enquiry.assigned_to) == ("triaged", "urgent", liaison_officer)


def test_triage_without_a_category_is_shown_again(
    client_for: ClientFor, enquiry: Enquiry, liaison_officer: User
) -> None:
    response = client_for(liaison_officer).post(
        reverse("communications:enquiry-triage", args=[enquiry.pk]), {"urgency": Urgency.URGENT}
    )
    assert response.status_code == 400 and "Select what the enquiry is about" in response.content.decode()


def test_an_outsider_cannot_triage(client_for: ClientFor, enquiry: Enquiry, other_liaison_officer: User) -> None:
    response = client_for(other_liaison_officer).post(
        reverse("communications:enquiry-triage", args=[enquiry.pk]), {"category": "information", "urgency": "routine"}
    )
    assert response.status_code == 404


def test_the_officer_adds_a_note(client_for: ClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    client_for(liaison_officer).post(
        reverse("communications:enquiry-note", args=[enquiry.pk]), {"note-kind": "note", "note-text": "Called back."}
    )
    assert enquiry.notes.get().text == "Called back."


def test_the_officer_records_the_response(client_for: ClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    enquiry_triage(actor=liaison_officer, enquiry=enquiry, category="information", urgency="routine")
    client_for(liaison_officer).post(
        reverse("communications:enquiry-respond", args=[enquiry.pk]), {"respond-text": "Phoned and explained."}
    )
    enquiry.refresh_from_db()
    assert enquiry.status == EnquiryStatus.RESPONDED


def test_the_officer_closes_the_enquiry(client_for: ClientFor, enquiry: Enquiry, liaison_officer: User) -> None:
    client_for(liaison_officer).post(
        reverse("communications:enquiry-close", args=[enquiry.pk]), {"reason": "It repeats another enquiry"}
    )
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.closure_reason) == (EnquiryStatus.CLOSED, "It repeats another enquiry")


def test_the_officer_offers_a_service_and_records_the_answer(
    client_for: ClientFor, enquiry: Enquiry, liaison_officer: User, helpline: SupportService
) -> None:
    client = client_for(liaison_officer)
    client.post(reverse("communications:enquiry-referral-offer", args=[enquiry.pk]), {"service": helpline.pk})
    referral = enquiry.referrals.get()
    client.post(reverse("communications:enquiry-referral-decide", args=[enquiry.pk, referral.pk]), {"accepted": "no"})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED


def test_a_referral_of_another_enquiry_is_not_found(
    client_for: ClientFor, enquiry: Enquiry, liaison_officer: User, helpline: SupportService, provider: Organisation
) -> None:
    other = enquiry_receive(
        provider=provider,
        name="B",
        relation="patient",
        worry="W",
        contact_method="phone",
        phone="01632960002",
        consent=True,
    )
    referral = referral_offer(actor=liaison_officer, enquiry=other, service=helpline)
    url = reverse("communications:enquiry-referral-decide", args=[enquiry.pk, referral.pk])
    assert client_for(liaison_officer).post(url, {"accepted": "yes"}).status_code == 404


def test_the_enquiry_page_keeps_to_its_query_budget(
    client_for: ClientFor,
    enquiry: Enquiry,
    liaison_officer: User,
    helpline: SupportService,
    family_support_case: Case,
    django_assert_max_num_queries: Any,
) -> None:
    enquiry_triage(
        actor=liaison_officer, enquiry=enquiry, category="information", urgency="routine", case=family_support_case
    )
    referral_offer(actor=liaison_officer, enquiry=enquiry, service=helpline, note="Gave the number")
    client = client_for(liaison_officer)
    # 25, the header's count of unread notifications, and the read of the grants behind the case list
    with django_assert_max_num_queries(27):
        assert client.get(detail_url(enquiry)).status_code == 200
