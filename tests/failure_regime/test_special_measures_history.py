"""Whole history and true ends: back-filled report slots chased only from recording, past episodes recorded and
imported, no overlapping episodes, inspections not before they were scheduled, and every end told as it is."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.errors import ConflictError
from accounts.models import Organisation, OrganisationKind, User
from failure_regime import selectors
from failure_regime.dates import end_of_day
from failure_regime.models import (
    Basis,
    Deadline,
    DeadlineKind,
    Episode,
    EpisodeStatus,
    Inspection,
    InspectionKind,
    OutboxMessage,
)
from failure_regime.services import episode_history as history
from failure_regime.services import episode_outcome
from failure_regime.services import special_measures as sm
from failure_regime.services.clock import deadline_sweep
from tests.factories import OrganisationFactory, sole_organisation
from tests.failure_regime.inspection_helpers import basis_inspection

pytestmark = pytest.mark.django_db

RATINGS = dict.fromkeys((*episode_outcome.KEY_QUESTIONS, "overall"), "inadequate")
HEADER = ",".join(history.CSV_COLUMNS)


@pytest.fixture
def practice(cqc: Organisation) -> Organisation:
    return OrganisationFactory.create(kind=OrganisationKind.GP_PRACTICE, name="Riverside Surgery", ods_code="Y0001")


def enter(actor: User, provider: Organisation, on: date, basis: str = Basis.OWN_EVIDENCE) -> Episode:
    inspection = basis_inspection(provider, actor, on, basis)
    return sm.episode_enter(
        actor=actor, provider=provider, entered_on=on, basis=basis, recommending_inspection=inspection
    )


def past(actor: User, provider: Organisation, **given: object) -> Episode:
    values: dict[str, object] = {
        "entered_on": date(2013, 7, 16),
        "basis": Basis.OWN_EVIDENCE,
        "outcome": EpisodeStatus.EXITED,
        "ended_on": date(2014, 10, 22),
        "reinspected_on": [date(2014, 7, 9)],
        **given,
    }
    return history.episode_record_history(actor=actor, provider=provider, **values)  # type: ignore[arg-type]


def sweep_at(moment: date | datetime) -> None:
    with time_machine.travel(moment, tick=False):
        deadline_sweep()


def overdue_mails() -> int:
    return OutboxMessage.objects.filter(subject__startswith="Overdue").count()


# --- Back-filled report slots ---------------------------------------------------------------------


def test_it_gives_a_late_entry_a_slot_for_every_month_owed(oversight_lead: User, provider: Organisation) -> None:
    with time_machine.travel(date(2026, 6, 10), tick=False):
        episode = enter(oversight_lead, provider, date(2026, 2, 20))
        months = sorted(episode.reports.values_list("month", flat=True))
        listed = selectors.episode_list_for_user(user=oversight_lead).get(pk=episode.pk)
    assert months == [date(2026, m, 1) for m in (3, 4, 5, 6)]
    assert listed.overdue_reports == 3  # type: ignore[attr-defined]


def test_it_chases_only_slots_due_after_recording(
    oversight_lead: User, provider: Organisation, trust_manager: User
) -> None:
    with time_machine.travel(date(2026, 6, 10), tick=False):
        episode = enter(oversight_lead, provider, date(2026, 2, 20))
    silent = Deadline.objects.filter(kind=DeadlineKind.MONTHLY_REPORT, next_alert_at__isnull=True, met_at__isnull=True)
    assert silent.count() == 3
    sweep_at(date(2026, 6, 11))
    assert OutboxMessage.objects.count() == 0
    june = end_of_day(episode.reports.get(month=date(2026, 6, 1)).due_on)
    sweep_at(june + timedelta(hours=1))
    assert overdue_mails() >= 1
    assert not OutboxMessage.objects.filter(subject__contains="April 2026").exists()
    assert OutboxMessage.objects.filter(subject__contains="June 2026").exists()


def test_a_reinspection_long_past_at_recording_is_shown_overdue_but_not_escalated(
    oversight_lead: User, provider: Organisation
) -> None:
    with time_machine.travel(date(2026, 6, 10), tick=False):
        episode = enter(oversight_lead, provider, date(2024, 1, 15))
        deadline = Deadline.objects.get(kind=DeadlineKind.REINSPECTION, subject_id=episode.pk)
        sweep_at(date(2026, 6, 11))
    assert deadline.due_at < timezone.now() and deadline.next_alert_at is None and deadline.met_at is None
    assert overdue_mails() == 0


# --- Past episodes ---------------------------------------------------------------------------------


def test_it_records_a_past_episode_with_no_clock(oversight_lead: User, provider: Organisation) -> None:
    episode = past(oversight_lead, provider)
    assert (episode.status, episode.historic, episode.exited_on) == (EpisodeStatus.EXITED, True, date(2014, 10, 22))
    assert episode.inspections.get().carried_out_on == date(2014, 7, 9)
    assert not Deadline.objects.exists() and not episode.reports.exists()
    deadline_sweep()
    assert OutboxMessage.objects.count() == 0


def test_only_the_decider_records_a_past_episode(trust_manager: User, provider: Organisation) -> None:
    with pytest.raises(PermissionDenied):
        past(trust_manager, provider)
    assert not Episode.objects.exists()


def test_a_past_episode_must_have_ended(oversight_lead: User, provider: Organisation) -> None:
    with pytest.raises(ValidationError) as error:
        past(oversight_lead, provider, ended_on=date(2013, 1, 1))
    assert "ended_on" in error.value.message_dict


def test_a_trust_cannot_have_its_registration_cancelled_in_history(
    oversight_lead: User, provider: Organisation
) -> None:
    with pytest.raises(ValidationError) as error:
        past(oversight_lead, provider, outcome=EpisodeStatus.REGISTRATION_CANCELLED)
    assert "outcome" in error.value.message_dict


def test_the_database_refuses_an_open_historic_episode(oversight_lead: User, provider: Organisation) -> None:
    episode = past(oversight_lead, provider)
    with pytest.raises(IntegrityError), transaction.atomic():
        Episode.objects.filter(pk=episode.pk).update(status=EpisodeStatus.OPEN)


# --- No overlaps -----------------------------------------------------------------------------------


def test_an_overlapping_past_episode_is_refused(oversight_lead: User, provider: Organisation) -> None:
    past(oversight_lead, provider)
    with pytest.raises(ConflictError):
        past(oversight_lead, provider, entered_on=date(2014, 1, 1), ended_on=date(2015, 1, 1), reinspected_on=[])
    assert Episode.objects.count() == 1


def test_a_new_entry_inside_a_past_episode_is_refused(oversight_lead: User, provider: Organisation) -> None:
    past(oversight_lead, provider, ended_on=timezone.localdate() - timedelta(days=5))
    with pytest.raises(ConflictError):
        enter(oversight_lead, provider, timezone.localdate() - timedelta(days=10))


def test_a_past_episode_during_the_open_one_is_refused(oversight_lead: User, provider: Organisation) -> None:
    enter(oversight_lead, provider, date(2026, 1, 5))
    with pytest.raises(ConflictError):
        past(oversight_lead, provider, entered_on=date(2026, 2, 1), ended_on=date(2026, 3, 1), reinspected_on=[])


def test_separate_episodes_of_one_provider_are_kept(oversight_lead: User, provider: Organisation) -> None:
    past(oversight_lead, provider)
    past(oversight_lead, provider, entered_on=date(2016, 1, 4), ended_on=date(2017, 3, 1), reinspected_on=[])
    assert Episode.objects.filter(provider=provider).count() == 2


# --- Inspections never before they were scheduled -------------------------------------------------


def test_an_inspection_before_its_schedule_is_refused(
    oversight_lead: User, provider: Organisation, inspector: User
) -> None:
    episode = enter(oversight_lead, provider, timezone.localdate() - timedelta(days=60))
    inspection = episode_outcome.inspection_schedule(
        actor=inspector, organisation=sole_organisation(inspector), episode=episode, scheduled_for=timezone.localdate()
    )
    with pytest.raises(ValidationError) as error:
        episode_outcome.inspection_record(
            actor=inspector,
            organisation=sole_organisation(inspector),
            inspection=inspection,
            carried_out_on=timezone.localdate() - timedelta(days=1),
            ratings=RATINGS,
        )
    assert "carried_out_on" in error.value.message_dict


def test_the_database_refuses_an_inspection_before_its_schedule(oversight_lead: User, provider: Organisation) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Inspection.objects.create(
            provider=provider,
            kind=InspectionKind.REINSPECTION,
            scheduled_for=date(2014, 7, 16),
            carried_out_on=date(2009, 1, 1),
            recorded_by=oversight_lead,
            recorded_at=timezone.now(),
        )


# --- CSV import ------------------------------------------------------------------------------------


def csv_of(*rows: str) -> str:
    return "\n".join((HEADER, *rows)) + "\n"


def test_it_imports_a_valid_file(oversight_lead: User, provider: Organisation) -> None:
    text = csv_of(
        f"{provider.ods_code},2013-07-16,own_evidence,exited,2014-10-22,2014-07-09,,",
        f"{provider.ods_code},04/01/2016,own_evidence,exited,01/03/2017,2016-12-01;2017-02-01,,",
    )
    result = history.episodes_import_history(actor=oversight_lead, text=text)
    assert (result.imported, result.errors) == (2, [])
    assert Inspection.objects.filter(provider=provider).count() == 3


def test_an_invalid_row_imports_nothing_and_names_line_and_column(oversight_lead: User, provider: Organisation) -> None:
    text = csv_of(
        f"{provider.ods_code},2013-07-16,own_evidence,exited,2014-10-22,,,",
        f"{provider.ods_code},not a date,own_evidence,left,2014-10-22,,,",
        "ZZZ99,2013-07-16,own_evidence,exited,2014-10-22,,,",
    )
    result = history.episodes_import_history(actor=oversight_lead, text=text)
    assert result.imported == 0 and not Episode.objects.exists()
    found = {(e.line, e.column) for e in result.errors}
    assert {(3, "entered_on"), (3, "outcome"), (4, "ods_code")} <= found


def test_only_valid_rows_imports_the_valid_ones(oversight_lead: User, provider: Organisation) -> None:
    text = csv_of(
        f"{provider.ods_code},2013-07-16,own_evidence,exited,2014-10-22,,,",
        f"{provider.ods_code},2014-01-01,own_evidence,exited,2015-01-01,,,",
    )
    result = history.episodes_import_history(actor=oversight_lead, text=text, only_valid=True)
    assert result.imported == 1 and Episode.objects.count() == 1
    assert [(e.line, e.column) for e in result.errors] == [(3, "")]
    assert "overlap" in result.errors[0].reason


def test_a_file_without_the_columns_is_refused(oversight_lead: User) -> None:
    result = history.episodes_import_history(actor=oversight_lead, text="name,date\nx,y\n")
    assert result.imported == 0 and result.errors[0].line == 1


# --- Ends told truly -------------------------------------------------------------------------------


def page(client, provider: Organisation) -> str:
    return client.get(reverse("provider-public", args=[provider.ods_code])).content.decode()


def test_a_past_promise_is_told_as_overdue(client, oversight_lead: User, provider: Organisation) -> None:
    episode = enter(oversight_lead, provider, date(2024, 1, 15))
    body = page(client, provider)
    assert f"Re-inspection was due by {episode.reinspection_due_on.day}" in body
    assert "must inspect it again" not in body and "will inspect" not in body


@pytest.mark.parametrize("reinspected", [False, True], ids=["not-reinspected", "reinspected"])
def test_every_page_tells_a_late_reinspection_alike(
    client, client_for, oversight_lead: User, national: User, provider: Organisation, reinspected: bool
) -> None:
    """One rule decides whether a re-inspection is overdue: the staff dashboard, the episode page, the public
    provider page and the public register all agree, before and after CQC re-inspects."""
    episode = enter(oversight_lead, provider, date(2024, 1, 15))
    if reinspected:
        Inspection.objects.create(
            provider=provider,
            episode=episode,
            kind=InspectionKind.REINSPECTION,
            scheduled_for=date(2025, 2, 1),
            carried_out_on=date(2025, 2, 3),
            recorded_by=oversight_lead,
            recorded_at=timezone.now(),
        )
    staff = client_for(national)
    dashboard = staff.get(reverse("regime:episode-list"))
    detail = staff.get(reverse("regime:episode-detail", args=[episode.pk]))
    register = client.get(reverse("communications:special-measures"))
    told = {
        "dashboard": [e.reinspection_is_overdue for e in dashboard.context["page"]],
        "episode page": [detail.context["story"].reinspection_overdue],
        "register": [row.reinspection_overdue for row in register.context["rows"]],
        "provider page": ["Re-inspection was due by" in page(client, provider)],
    }
    assert told == dict.fromkeys(told, [not reinspected])


def test_a_future_reinspection_is_told_as_due(client, oversight_lead: User, provider: Organisation) -> None:
    enter(oversight_lead, provider, timezone.localdate() - timedelta(days=10))
    assert "The Care Quality Commission must inspect it again by" in page(client, provider)


def test_an_exit_is_told_as_leaving(client, oversight_lead: User, provider: Organisation) -> None:
    past(oversight_lead, provider)
    body = page(client, provider)
    assert "Left special measures on 22 October 2014" in body
    assert "re-inspected it on 9 July 2014" in body


def test_an_extension_is_told_as_an_extension(client, oversight_lead: User, provider: Organisation) -> None:
    past(oversight_lead, provider, extended_until=date(2014, 9, 30))
    assert "Special measures had been extended until 30 September 2014" in page(client, provider)


def test_a_cancelled_registration_is_never_told_as_leaving(
    client,
    regulator: User,
    practice: Organisation,
) -> None:
    past(
        regulator,
        practice,
        basis=Basis.CQC_DECISION,
        outcome=EpisodeStatus.REGISTRATION_CANCELLED,
        entered_on=date(2016, 1, 4),
        ended_on=date(2016, 9, 1),
        reinspected_on=[date(2016, 7, 1)],
    )
    body = page(client, practice)
    assert "Registration cancelled on 1 September 2016" in body
    assert "left special measures" not in body.lower().replace("did not leave special measures", "")


def test_the_history_lists_earlier_episodes(client, oversight_lead: User, provider: Organisation) -> None:
    past(oversight_lead, provider)
    enter(oversight_lead, provider, timezone.localdate() - timedelta(days=10))
    body = page(client, provider)
    assert "Special measures history" in body and "Left special measures on 22 October 2014" in body


# --- Cancellation --------------------------------------------------------------------------------


def cancelled(regulator: User, practice: Organisation, inspector: User) -> Episode:
    start = timezone.localdate() - timedelta(days=200)
    with time_machine.travel(start, tick=False):
        episode = enter(regulator, practice, start, Basis.CQC_DECISION)
    with time_machine.travel(start + timedelta(days=150), tick=False):
        inspection = episode_outcome.inspection_schedule(
            actor=inspector,
            organisation=sole_organisation(inspector),
            episode=episode,
            scheduled_for=start + timedelta(days=150),
        )
        episode_outcome.inspection_record(
            actor=inspector,
            organisation=sole_organisation(inspector),
            inspection=inspection,
            carried_out_on=start + timedelta(days=150),
            ratings=RATINGS,
        )
        episode_outcome.episode_propose_cancellation(actor=regulator, episode=episode, summary="Still inadequate")
    return episode_outcome.episode_cancel_registration(actor=regulator, episode=episode, on=timezone.localdate())


def test_cqc_proposes_and_cancels_a_registration_through_the_outcome_form(
    client, client_for, regulator: User, practice: Organisation, inspector: User
) -> None:
    start = timezone.localdate() - timedelta(days=200)
    with time_machine.travel(start, tick=False):
        episode = enter(regulator, practice, start, Basis.CQC_DECISION)
    reinspected = start + timedelta(days=150)
    with time_machine.travel(reinspected, tick=False):
        inspection = episode_outcome.inspection_schedule(
            actor=inspector, organisation=sole_organisation(inspector), episode=episode, scheduled_for=reinspected
        )
        episode_outcome.inspection_record(
            actor=inspector,
            organisation=sole_organisation(inspector),
            inspection=inspection,
            carried_out_on=reinspected,
            ratings=RATINGS,
        )
    staff = client_for(regulator)
    outcome = reverse("regime:episode-outcome", args=[episode.pk])
    detail = reverse("regime:episode-detail", args=[episode.pk])

    cancelling_first = staff.post(outcome, {"outcome": "cancel_registration"})
    assert cancelling_first.status_code == 400
    assert "only after a notice of proposal" in cancelling_first.content.decode()
    with time_machine.travel(reinspected, tick=False):
        staff.post(outcome, {"outcome": "propose_cancellation", "reason": "Still inadequate at re-inspection."})
    window = Deadline.objects.get(kind=DeadlineKind.REPRESENTATION_WINDOW)
    assert window.met_at is None

    assert staff.post(outcome, {"outcome": "cancel_registration"}).status_code == 302
    episode.refresh_from_db()
    window.refresh_from_db()
    assert episode.status == EpisodeStatus.REGISTRATION_CANCELLED and window.met_at is not None
    ended = f"Registration cancelled on {timezone.localdate():%-d %B %Y}"
    staff_page, public_page = staff.get(detail).content.decode(), page(client, practice)
    assert ended in staff_page and ended in public_page
    assert "Left special measures" not in staff_page and "left special measures on" not in public_page.lower()


def test_cancelling_closes_the_representations_window(regulator: User, practice: Organisation, inspector: User) -> None:
    cancelled(regulator, practice, inspector)
    window = Deadline.objects.get(kind=DeadlineKind.REPRESENTATION_WINDOW)
    assert window.met_at is not None and window.next_alert_at is None


def test_a_cancelled_provider_cannot_be_placed_again(regulator: User, practice: Organisation, inspector: User) -> None:
    cancelled(regulator, practice, inspector)
    with pytest.raises(ValidationError) as error:
        enter(regulator, practice, timezone.localdate(), Basis.CQC_DECISION)
    assert "was cancelled on" in error.value.message_dict["provider"][0]
    assert Episode.objects.filter(provider=practice).count() == 1


def test_a_cancelled_provider_is_refused_by_the_api(
    api_client_for,
    regulator: User,
    practice: Organisation,
    inspector: User,
) -> None:
    cancelled(regulator, practice, inspector)
    response = api_client_for(regulator).post(
        "/api/v1/episodes/",
        {"provider": practice.pk, "entered_on": timezone.localdate().isoformat(), "basis": Basis.CQC_DECISION},
        format="json",
    )
    assert response.status_code == 400 and "cancelled" in str(response.json())


# --- API -------------------------------------------------------------------------------------------


def history_body(provider: Organisation) -> dict[str, object]:
    return {
        "provider": provider.pk,
        "entered_on": "2013-07-16",
        "basis": Basis.OWN_EVIDENCE,
        "outcome": EpisodeStatus.EXITED,
        "ended_on": "2014-10-22",
        "reinspected_on": ["2014-07-09"],
    }


def test_the_decider_records_history_through_the_api(
    api_client_for,
    oversight_lead: User,
    provider: Organisation,
) -> None:
    response = api_client_for(oversight_lead).post("/api/v1/episodes/history/", history_body(provider), format="json")
    assert response.status_code == 201 and response.json()["status"] == "exited"


def test_others_cannot_record_history_through_the_api(
    api_client_for,
    trust_manager: User,
    provider: Organisation,
) -> None:
    response = api_client_for(trust_manager).post("/api/v1/episodes/history/", history_body(provider), format="json")
    assert response.status_code in (403, 404) and not Episode.objects.exists()


def test_an_overlap_through_the_api_is_a_conflict(
    api_client_for,
    oversight_lead: User,
    provider: Organisation,
) -> None:
    client = api_client_for(oversight_lead)
    client.post("/api/v1/episodes/history/", history_body(provider), format="json")
    response = client.post("/api/v1/episodes/history/", history_body(provider), format="json")
    assert response.status_code == 409 and Episode.objects.count() == 1


def test_the_public_cannot_record_or_import_history(client, provider: Organisation) -> None:
    assert client.post("/api/v1/episodes/history/", {}, content_type="application/json").status_code in (401, 403)
    assert client.post("/api/v1/episodes/history/import/", {}).status_code in (401, 403)


def test_the_api_imports_a_file_with_row_errors(
    api_client_for,
    oversight_lead: User,
    provider: Organisation,
) -> None:
    text = csv_of(
        f"{provider.ods_code},2013-07-16,own_evidence,exited,2014-10-22,,,",
        f"{provider.ods_code},2016-01-04,own_evidence,exited,2015-01-01,,,",
    )
    upload = SimpleUploadedFile("history.csv", text.encode(), content_type="text/csv")
    response = api_client_for(oversight_lead).post("/api/v1/episodes/history/import/", {"file": upload})
    assert response.status_code == 400 and not Episode.objects.exists()
    assert response.json()["errors"] == [
        {"line": 3, "column": "ended_on", "reason": "The episode cannot end before it began."}
    ]


def test_the_api_imports_a_valid_file(
    api_client_for,
    oversight_lead: User,
    provider: Organisation,
) -> None:
    text = csv_of(f"{provider.ods_code},2013-07-16,own_evidence,exited,2014-10-22,2014-07-09,,")
    upload = SimpleUploadedFile("history.csv", text.encode(), content_type="text/csv")
    response = api_client_for(oversight_lead).post("/api/v1/episodes/history/import/", {"file": upload})
    assert response.status_code == 201 and response.json()["imported"] == 1


# --- Staff pages -----------------------------------------------------------------------------------


def history_form(provider: Organisation, **given: str) -> dict[str, object]:
    return {
        "provider": provider.pk,
        "entered_on": "2013-07-16",
        "basis": Basis.OWN_EVIDENCE,
        "outcome": EpisodeStatus.EXITED,
        "ended_on": "2014-10-22",
        "reinspected_on": "09/07/2014",
        **given,
    }


def test_the_decider_records_a_past_episode_on_the_page(
    client_for,
    oversight_lead: User,
    provider: Organisation,
) -> None:
    client = client_for(oversight_lead)
    assert client.get(reverse("regime:episode-history-new")).status_code == 200
    response = client.post(reverse("regime:episode-history-new"), history_form(provider))
    episode = Episode.objects.get()
    assert response.status_code == 302 and episode.historic
    detail = client.get(reverse("regime:episode-detail", args=[episode.pk])).content.decode()
    assert "Left special measures on 22 October 2014" in detail and "nothing of it is chased" in detail


def test_an_overlap_on_the_page_is_shown_as_an_error(
    client_for,
    oversight_lead: User,
    provider: Organisation,
) -> None:
    client = client_for(oversight_lead)
    client.post(reverse("regime:episode-history-new"), history_form(provider))
    response = client.post(reverse("regime:episode-history-new"), history_form(provider))
    assert response.status_code == 400 and "cannot overlap" in response.content.decode()
    assert Episode.objects.count() == 1


def test_a_trust_manager_cannot_record_history(
    client_for,
    trust_manager: User,
    provider: Organisation,
) -> None:
    client = client_for(trust_manager)
    assert client.get(reverse("regime:episode-history-new")).status_code == 403
    assert client.post(reverse("regime:episode-history-new"), history_form(provider)).status_code == 403
    assert client.get(reverse("regime:episode-history-import")).status_code == 403
    assert not Episode.objects.exists()


def test_the_public_is_sent_to_sign_in_for_history(client) -> None:
    for name in ("regime:episode-history-new", "regime:episode-history-import"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "sign-in" in response["Location"]


def test_the_import_page_lists_row_errors_and_imports_nothing(
    client_for,
    oversight_lead: User,
    provider: Organisation,
) -> None:
    text = csv_of(
        f"{provider.ods_code},2013-07-16,own_evidence,exited,2014-10-22,,,",
        f"{provider.ods_code},2016-01-04,own_evidence,gone,2017-01-01,,,",
    )
    upload = SimpleUploadedFile("history.csv", text.encode(), content_type="text/csv")
    response = client_for(oversight_lead).post(reverse("regime:episode-history-import"), {"file": upload})
    body = response.content.decode()
    assert response.status_code == 400 and "Nothing was imported" in body and "outcome" in body
    assert not Episode.objects.exists()


def test_the_import_page_imports_a_valid_file(
    client_for,
    oversight_lead: User,
    provider: Organisation,
) -> None:
    text = csv_of(f"{provider.ods_code},2013-07-16,own_evidence,exited,2014-10-22,2014-07-09,,")
    upload = SimpleUploadedFile("history.csv", text.encode(), content_type="text/csv")
    response = client_for(oversight_lead).post(reverse("regime:episode-history-import"), {"file": upload})
    assert response.status_code == 302 and Episode.objects.get().historic


def test_the_entry_form_refuses_a_cancelled_provider(
    client_for,
    regulator: User,
    practice: Organisation,
    inspector: User,
) -> None:
    cancelled(regulator, practice, inspector)
    response = client_for(regulator).post(
        reverse("regime:episode-new"),
        {"provider": practice.pk, "entered_on": timezone.localdate().isoformat(), "basis": Basis.CQC_DECISION},
    )
    assert response.status_code == 400 and "was cancelled on" in response.content.decode()
    assert Episode.objects.filter(provider=practice).count() == 1


def test_a_cancelled_episode_is_not_told_to_staff_as_leaving(
    client_for,
    regulator: User,
    practice: Organisation,
    inspector: User,
) -> None:
    episode = cancelled(regulator, practice, inspector)
    body = client_for(regulator).get(reverse("regime:episode-detail", args=[episode.pk])).content.decode()
    assert "Registration cancelled" in body and "Left special measures" not in body


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_past_episodes_at_once_make_one(oversight_lead: User, provider: Organisation) -> None:
    from failure_regime.models import RuleSet

    # Transactional tests flush the rule sets that the migrations seed; this test brings its own.
    RuleSet.objects.get_or_create(
        provider_kind=provider.kind,
        effective_from=date(2013, 1, 1),
        defaults={"name": "Test rules", "reinspection_months": 12, "extension_max_months": 6},
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def record(entered_on: date) -> None:
        try:
            barrier.wait()
            past(oversight_lead, provider, entered_on=entered_on, reinspected_on=[])
            outcomes.append("recorded")
        except ConflictError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(d,)) for d in (date(2013, 7, 16), date(2013, 9, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["recorded", "refused"]
    assert Episode.objects.filter(provider=provider).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's")
def test_the_database_refuses_overlapping_episodes(oversight_lead: User, provider: Organisation) -> None:
    episode = past(oversight_lead, provider)
    with pytest.raises(IntegrityError), transaction.atomic():
        episode.pk = None
        episode.entered_on, episode.exited_on = date(2014, 1, 1), date(2015, 1, 1)
        episode.days_in_special_measures = 365
        episode.save()


def test_a_reinspection_done_is_told_as_done(
    client,
    oversight_lead: User,
    provider: Organisation,
    inspector: User,
) -> None:
    episode = enter(oversight_lead, provider, date(2024, 1, 15))
    inspection = episode_outcome.inspection_schedule(
        actor=inspector, organisation=sole_organisation(inspector), episode=episode, scheduled_for=timezone.localdate()
    )
    episode_outcome.inspection_record(
        actor=inspector,
        organisation=sole_organisation(inspector),
        inspection=inspection,
        carried_out_on=timezone.localdate(),
        ratings=RATINGS,
    )
    body = page(client, provider)
    assert f"re-inspected it on {timezone.localdate().day} " in body and "Re-inspection was due" not in body


def test_the_provider_page_changes_when_the_due_date_passes(
    client,
    oversight_lead: User,
    provider: Organisation,
) -> None:
    episode = enter(oversight_lead, provider, timezone.localdate() - timedelta(days=10))
    assert "must inspect it again" in page(client, provider)
    with time_machine.travel(episode.reinspection_due_on + timedelta(days=2)):
        body = page(client, provider)
    assert "Re-inspection was due by" in body and "must inspect it again" not in body
