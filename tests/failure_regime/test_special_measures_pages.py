"""The pages of special measures: the dashboard, the episode page, the trust manager's monthly report form, the
oversight lead's review, the re-inspection outcome, and the provider's cached public page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermission

from accounts.models import Organisation, OrganisationKind, User
from accounts.services import organisation_update
from failure_regime.dates import month_start
from failure_regime.models import (
    Action,
    Episode,
    EpisodeStatus,
    Inspection,
    MonthlyReport,
    ReportEvidence,
    ReportStatus,
)
from failure_regime.services import action_plan, episode_outcome, monthly_reports
from failure_regime.services import special_measures as sm
from tests.factories import sole_organisation
from tests.failure_regime import test_special_measures as measures
from tests.failure_regime.test_uploads import PDF_BYTES

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]

# The service tests' fixtures and helper: ``provider``'s episode, entered 40 days ago by ``oversight_lead``, its
# action A1, and ``submit``, which sends a report whose narrative is ``SUBMITTED``.
episode = measures.episode
action = measures.action
submit = measures.submit
RATINGS = measures.RATINGS
SUBMITTED = "Six midwives appointed."

NARRATIVE = "Six midwives appointed; the night rota is now fully staffed."


def this_month() -> date:
    return month_start(timezone.localdate())


def report_form_url(episode: Episode, month: date | None = None) -> str:
    month = month or this_month()
    return reverse("regime:report-form", args=[episode.pk, month.year, month.month])


def report_url(report: MonthlyReport) -> str:
    return reverse("regime:report-detail", args=[report.pk])


def public_url(provider: Organisation) -> str:
    return reverse("provider-public", args=[provider.ods_code])


def report_data(action: Action, *evidence: SimpleUploadedFile, narrative: str = NARRATIVE) -> dict[str, Any]:
    """What the trust manager fills in: the narrative, a status and RAG rating for the action, and any files."""
    return {
        "narrative": narrative,
        f"status_{action.pk}": "in_progress",
        f"rag_{action.pk}": "amber",
        f"note_{action.pk}": "",
        "evidence": list(evidence),
    }


def accept(episode: Episode, action: Action, trust_manager: User, oversight_lead: User) -> MonthlyReport:
    return monthly_reports.report_accept(actor=oversight_lead, report=submit(trust_manager, episode, action))


@pytest.fixture
def other_episode(regulator: User, other_provider: Organisation) -> Episode:
    """``other_provider`` has no oversight body, so CQC decides its special measures."""
    return sm.episode_enter(
        actor=regulator,
        provider=other_provider,
        entered_on=timezone.localdate() - timedelta(days=10),
        basis="own_evidence",
    )


def more_episodes_like(episode: Episode, count: int) -> None:
    """``count`` more open episodes like ``episode``, each at its own provider under the same oversight body, each
    with an overdue report, and visible to the same organisations: made in bulk, as the services would leave them."""
    overseer = episode.provider.oversight_body
    assert overseer is not None
    groups = Group.objects.bulk_create([Group(name=f"Bulk provider {n}") for n in range(count)])
    providers = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Bulk Hospitals NHS Foundation Trust {n}",
                ods_code=f"B{n:04d}",
                kind=OrganisationKind.FOUNDATION_TRUST,
                oversight_body=overseer,
                group=group,
            )
            for n, group in enumerate(groups)
        ]
    )
    copies = Episode.objects.bulk_create(
        [
            Episode(
                provider=provider,
                rule_set=episode.rule_set,
                entered_on=episode.entered_on,
                basis=episode.basis,
                decided_by=episode.decided_by,
                decided_by_organisation=episode.decided_by_organisation,
                decided_at=episode.decided_at,
                reinspection_due_on=episode.reinspection_due_on,
            )
            for provider in providers
        ]
    )
    last_month = month_start(this_month() - timedelta(days=1))
    MonthlyReport.objects.bulk_create(
        [MonthlyReport(episode=copy, month=last_month, due_on=this_month() - timedelta(days=1)) for copy in copies]
    )
    view = Permission.objects.get(content_type__app_label="failure_regime", codename="view_episode")
    episode_type = ContentType.objects.get_for_model(Episode)
    GroupObjectPermission.objects.bulk_create(
        [
            GroupObjectPermission(group=group, permission=view, content_type=episode_type, object_pk=str(copy.pk))
            for copy in copies
            for group in (copy.provider.group, overseer.group)
        ]
    )


# --- Signing in ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    ["episode-list", "episode-detail", "report-form", "report-detail", "report-evidence", "episode-outcome"],
)
def test_the_staff_pages_need_signing_in(
    client: Client, episode: Episode, action: Action, trust_manager: User, url_name: str
) -> None:
    report = submit(trust_manager, episode, action, evidence=[SimpleUploadedFile("minutes.pdf", PDF_BYTES)])
    args = {
        "episode-list": [],
        "report-form": [episode.pk, report.month.year, report.month.month],
        "report-detail": [report.pk],
        "report-evidence": [report.pk, report.evidence.get().pk],
    }.get(url_name, [episode.pk])
    response = client.get(reverse(f"regime:{url_name}", args=args))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))


# --- The dashboard -----------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["national", "regulator", "oversight_lead"])
def test_overseers_see_the_open_episode_on_the_dashboard(
    client_for: ClientFor, episode: Episode, person: str, request: pytest.FixtureRequest
) -> None:
    page = client_for(request.getfixturevalue(person)).get(reverse("regime:episode-list"))
    assert list(page.context["page"].object_list) == [episode]


def test_national_oversight_sees_every_open_episode(
    client_for: ClientFor, episode: Episode, other_episode: Episode, national: User
) -> None:
    page = client_for(national).get(reverse("regime:episode-list"))
    assert set(page.context["page"].object_list) == {episode, other_episode}


def test_the_oversight_body_sees_only_the_providers_it_oversees(
    client_for: ClientFor, episode: Episode, other_episode: Episode, oversight_lead: User
) -> None:
    page = client_for(oversight_lead).get(reverse("regime:episode-list"))
    assert list(page.context["page"].object_list) == [episode]


def test_a_trust_manager_sees_only_their_own_episode(
    client_for: ClientFor, episode: Episode, other_episode: Episode, trust_manager: User
) -> None:
    page = client_for(trust_manager).get(reverse("regime:episode-list"))
    assert list(page.context["page"].object_list) == [episode]


def test_another_trust_sees_nothing_on_the_dashboard(
    client_for: ClientFor, episode: Episode, other_trust_manager: User
) -> None:
    page = client_for(other_trust_manager).get(reverse("regime:episode-list"))
    assert list(page.context["page"].object_list) == []


@pytest.mark.parametrize("person", ["national", "oversight_lead"])
@pytest.mark.parametrize("episodes", [3, 300])
def test_the_dashboard_keeps_to_a_query_budget(
    client_for: ClientFor,
    episode: Episode,
    person: str,
    episodes: int,
    request: pytest.FixtureRequest,
    django_assert_max_num_queries: Any,
) -> None:
    more_episodes_like(episode, episodes - 1)
    client = client_for(request.getfixturevalue(person))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("regime:episode-list"))
    assert page.context["page"].paginator.count == episodes


def test_the_dashboard_counts_overdue_reports(client_for: ClientFor, episode: Episode, national: User) -> None:
    more_episodes_like(episode, 1)
    page = client_for(national).get(reverse("regime:episode-list"), {"overdue_reports": "on"})
    assert [e.overdue_reports for e in page.context["page"].object_list] == [1]


# --- The episode page --------------------------------------------------------------------------


def test_the_trust_manager_opens_their_episode(client_for: ClientFor, episode: Episode, trust_manager: User) -> None:
    page = client_for(trust_manager).get(reverse("regime:episode-detail", args=[episode.pk]))
    assert page.status_code == 200 and page.context["can_report"] is True


def test_the_episode_page_keeps_to_a_query_budget(
    client_for: ClientFor,
    episode: Episode,
    trust_manager: User,
    oversight_lead: User,
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(30):
        action_plan.action_add(
            actor=trust_manager,
            episode=episode,
            reference=f"A{n}",
            description="Recruit midwives",
            owner=trust_manager,
            owner_organisation=episode.provider,
            due_on=timezone.localdate(),
        )
    client = client_for(oversight_lead)
    # Two of them read the person's grants and overseen providers first, so the deadlines are found by index.
    with django_assert_max_num_queries(27):
        page = client.get(reverse("regime:episode-detail", args=[episode.pk]))
    assert len(page.context["actions"]) == 30


def test_another_trusts_episode_is_not_found(
    client_for: ClientFor, episode: Episode, other_trust_manager: User
) -> None:
    assert client_for(other_trust_manager).get(reverse("regime:episode-detail", args=[episode.pk])).status_code == 404


# --- The monthly report form -------------------------------------------------------------------


def test_the_report_form_asks_for_a_status_and_rating_of_each_action(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User
) -> None:
    html = client_for(trust_manager).get(report_form_url(episode)).content.decode()
    assert f'name="status_{action.pk}"' in html and html.count(f'name="rag_{action.pk}"') == 3


def test_the_trust_manager_sends_the_report_with_a_pdf(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User
) -> None:
    response = client_for(trust_manager).post(
        report_form_url(episode), report_data(action, SimpleUploadedFile("minutes.pdf", PDF_BYTES))
    )
    report = episode.reports.get(month=this_month())
    assert (response.status_code, response["Location"]) == (302, report_url(report))
    assert (report.status, report.evidence.get().original_name) == (ReportStatus.SUBMITTED, "minutes.pdf")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "must be a PDF"),
        (PDF_BYTES + b"0" * (1024 * 1024), "larger than 1.0\xa0MB"),
        (b"", "is empty"),
    ],
    ids=["executable", "oversized", "empty"],
)
def test_a_bad_file_is_refused_on_the_page_and_nothing_is_saved(
    client_for: ClientFor,
    episode: Episode,
    action: Action,
    trust_manager: User,
    settings: Any,
    content: bytes,
    message: str,
) -> None:
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    upload = SimpleUploadedFile("plan.pdf", content)
    response = client_for(trust_manager).post(report_form_url(episode), report_data(action, upload))
    assert response.status_code == 400 and message in response.content.decode()
    assert episode.reports.get().status == ReportStatus.DUE and not ReportEvidence.objects.exists()


def test_a_report_without_a_narrative_shows_a_field_error(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User
) -> None:
    response = client_for(trust_manager).post(report_form_url(episode), report_data(action, narrative=""))
    assert response.status_code == 400 and "narrative" in response.context["form"].errors


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_regulator_cannot_use_the_report_form(
    client_for: ClientFor, episode: Episode, action: Action, regulator: User, method: str
) -> None:
    client = client_for(regulator)
    response = getattr(client, method)(report_form_url(episode), report_data(action) if method == "post" else None)
    assert response.status_code == 403 and episode.reports.get().status == ReportStatus.DUE


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_trust_cannot_find_the_report_form(
    client_for: ClientFor, episode: Episode, action: Action, other_trust_manager: User, method: str
) -> None:
    client = client_for(other_trust_manager)
    response = getattr(client, method)(report_form_url(episode), report_data(action) if method == "post" else None)
    assert response.status_code == 404 and episode.reports.get().status == ReportStatus.DUE


def test_a_month_that_does_not_exist_is_not_found(client_for: ClientFor, episode: Episode, trust_manager: User) -> None:
    url = reverse("regime:report-form", args=[episode.pk, 2026, 13])
    assert client_for(trust_manager).get(url).status_code == 404


def test_a_report_for_a_month_not_yet_begun_is_not_found(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User
) -> None:
    next_month = month_start(this_month() + timedelta(days=32))
    response = client_for(trust_manager).post(report_form_url(episode, next_month), report_data(action))
    assert response.status_code == 404
    assert not episode.reports.filter(month=next_month).exists()


def test_an_accepted_report_sends_the_form_to_the_read_only_report(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    report = accept(episode, action, trust_manager, oversight_lead)
    response = client_for(trust_manager).get(report_form_url(episode))
    assert (response.status_code, response["Location"]) == (302, report_url(report))


def test_a_sent_report_cannot_be_sent_again_by_posting(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User
) -> None:
    report = submit(trust_manager, episode, action)
    response = client_for(trust_manager).post(report_form_url(episode), report_data(action, narrative="Changed"))
    assert response["Location"] == report_url(report)
    assert MonthlyReport.objects.get(pk=report.pk).narrative == SUBMITTED


# --- The oversight lead's review ---------------------------------------------------------------


def test_the_oversight_lead_accepts_and_publishes_the_report(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    report = submit(trust_manager, episode, action)
    response = client_for(oversight_lead).post(report_url(report), {"decision": "accept"})
    report.refresh_from_db()
    assert response["Location"] == report_url(report)
    assert report.status == ReportStatus.ACCEPTED and report.published_at is not None


def test_the_oversight_lead_sees_the_review_buttons(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    report = submit(trust_manager, episode, action)
    assert client_for(oversight_lead).get(report_url(report)).context["return_form"] is not None


def test_a_trust_manager_cannot_accept_their_own_report(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User
) -> None:
    report = submit(trust_manager, episode, action)
    response = client_for(trust_manager).post(report_url(report), {"decision": "accept"})
    report.refresh_from_db()
    assert (response.status_code, report.status) == (403, ReportStatus.SUBMITTED)


def test_another_trust_cannot_find_the_report(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User, other_trust_manager: User
) -> None:
    report = submit(trust_manager, episode, action)
    assert client_for(other_trust_manager).get(report_url(report)).status_code == 404


def test_returning_needs_comments(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    report = submit(trust_manager, episode, action)
    response = client_for(oversight_lead).post(report_url(report), {"decision": "return", "comments": ""})
    assert response.status_code == 400 and "comments" in response.context["return_form"].errors


def test_a_returned_report_is_sent_again_from_the_form(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    report = submit(trust_manager, episode, action)
    client_for(oversight_lead).post(report_url(report), {"decision": "return", "comments": "Add the staffing audit."})
    trust = client_for(trust_manager)
    assert "Add the staffing audit." in trust.get(report_form_url(episode)).content.decode()
    response = trust.post(report_form_url(episode), report_data(action, narrative="Audit attached."))
    report.refresh_from_db()
    assert response["Location"] == report_url(report)
    assert (report.status, report.narrative) == (ReportStatus.SUBMITTED, "Audit attached.")


def test_evidence_downloads_as_a_private_attachment(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    report = submit(trust_manager, episode, action, evidence=[SimpleUploadedFile("minutes.pdf", PDF_BYTES)])
    url = reverse("regime:report-evidence", args=[report.pk, report.evidence.get().pk])
    response = client_for(oversight_lead).get(url)
    assert response["Content-Disposition"] == 'attachment; filename="minutes.pdf"'
    assert response["Cache-Control"] == "private, no-store"


def test_another_trust_cannot_download_the_evidence(
    client_for: ClientFor, episode: Episode, action: Action, trust_manager: User, other_trust_manager: User
) -> None:
    report = submit(trust_manager, episode, action, evidence=[SimpleUploadedFile("minutes.pdf", PDF_BYTES)])
    url = reverse("regime:report-evidence", args=[report.pk, report.evidence.get().pk])
    assert client_for(other_trust_manager).get(url).status_code == 404


# --- Re-inspection and outcome -----------------------------------------------------------------


def ratings_data(inspection: Inspection, carried_out_on: date) -> dict[str, str]:
    return {f"r{inspection.pk}-carried_out_on": carried_out_on.isoformat()} | {
        f"r{inspection.pk}-{question}": "good" for question in RATINGS
    }


def test_the_reinspection_and_exit_are_recorded_on_the_page(
    client_for: ClientFor, episode: Episode, inspector: User, oversight_lead: User, national: User
) -> None:
    today = timezone.localdate()
    episode_page = reverse("regime:episode-detail", args=[episode.pk])
    inspecting = client_for(inspector)
    scheduled = inspecting.post(
        reverse("regime:inspection-schedule", args=[episode.pk]), {"scheduled_for": today.isoformat()}
    )
    inspection = episode.inspections.get()
    recorded = inspecting.post(
        reverse("regime:inspection-record", args=[episode.pk, inspection.pk]), ratings_data(inspection, today)
    )
    decided = client_for(oversight_lead).post(
        reverse("regime:episode-outcome", args=[episode.pk]), {"outcome": "exit", "inspection": inspection.pk}
    )
    assert [r["Location"] for r in (scheduled, recorded, decided)] == [episode_page] * 3
    page = client_for(national).get(reverse("regime:episode-list"), {"status": EpisodeStatus.EXITED})
    days = (today - episode.entered_on).days
    assert [(e.pk, e.days_in_special_measures) for e in page.context["page"].object_list] == [(episode.pk, days)]
    assert f"{days} days (left {today.day} {today:%b %Y})" in page.content.decode()


def test_an_exited_episode_leaves_the_default_dashboard(
    client_for: ClientFor, episode: Episode, inspector: User, oversight_lead: User, national: User
) -> None:
    scheduled = episode_outcome.inspection_schedule(
        actor=inspector, organisation=sole_organisation(inspector), episode=episode, scheduled_for=timezone.localdate()
    )
    improved = {**RATINGS, "overall": "requires_improvement"}
    inspection = episode_outcome.inspection_record(
        actor=inspector,
        organisation=sole_organisation(inspector),
        inspection=scheduled,
        carried_out_on=timezone.localdate(),
        ratings=improved,
    )
    episode_outcome.episode_exit(actor=oversight_lead, episode=episode, inspection=inspection)
    assert list(client_for(national).get(reverse("regime:episode-list")).context["page"].object_list) == []


def test_an_exit_without_an_inspection_shows_a_field_error(
    client_for: ClientFor, episode: Episode, oversight_lead: User
) -> None:
    response = client_for(oversight_lead).post(
        reverse("regime:episode-outcome", args=[episode.pk]), {"outcome": "exit"}
    )
    assert response.status_code == 400 and "inspection" in response.context["outcome_form"].errors


def test_an_extension_beyond_the_cap_shows_a_field_error(
    client_for: ClientFor, episode: Episode, oversight_lead: User, inspector: User
) -> None:
    scheduled = episode_outcome.inspection_schedule(
        actor=inspector, organisation=sole_organisation(inspector), episode=episode, scheduled_for=timezone.localdate()
    )
    episode_outcome.inspection_record(
        actor=inspector,
        organisation=sole_organisation(inspector),
        inspection=scheduled,
        carried_out_on=timezone.localdate(),
        ratings=RATINGS,
    )
    until = episode.reinspection_due_on + timedelta(days=200)
    response = client_for(oversight_lead).post(
        reverse("regime:episode-outcome", args=[episode.pk]),
        {"outcome": "extend", "until": until.isoformat(), "reason": "Progress is real"},
    )
    assert response.status_code == 400 and "no later than" in response.context["outcome_form"].errors["until"][0]
    assert Episode.objects.get(pk=episode.pk).extended_until is None


def test_a_trust_manager_cannot_record_the_outcome(
    client_for: ClientFor, episode: Episode, trust_manager: User
) -> None:
    response = client_for(trust_manager).post(
        reverse("regime:episode-outcome", args=[episode.pk]),
        {"outcome": "extend", "until": (episode.reinspection_due_on + timedelta(days=30)).isoformat(), "reason": "x"},
    )
    assert response.status_code == 403 and Episode.objects.get(pk=episode.pk).extended_until is None


# --- The public provider page ------------------------------------------------------------------


def test_the_public_page_shows_an_accepted_report(
    client: Client, episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    accept(episode, action, trust_manager, oversight_lead)
    assert SUBMITTED in client.get(public_url(episode.provider)).content.decode()


def test_the_public_page_leaves_out_a_report_not_yet_accepted(
    client: Client, episode: Episode, action: Action, trust_manager: User
) -> None:
    submit(trust_manager, episode, action)
    assert SUBMITTED not in client.get(public_url(episode.provider)).content.decode()


def test_the_public_page_may_be_cached_publicly(client: Client, episode: Episode) -> None:
    cache_control = client.get(public_url(episode.provider))["Cache-Control"]
    assert "public" in cache_control and "max-age=" in cache_control


def test_the_public_page_answers_304_when_unchanged(client: Client, episode: Episode) -> None:
    etag = client.get(public_url(episode.provider))["ETag"]
    assert client.get(public_url(episode.provider), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_publishing_a_report_changes_the_etag(
    client: Client, episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    etag = client.get(public_url(episode.provider))["ETag"]
    accept(episode, action, trust_manager, oversight_lead)
    assert client.get(public_url(episode.provider), HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_renaming_the_provider_changes_the_etag(client: Client, episode: Episode) -> None:
    provider = episode.provider
    etag = client.get(public_url(provider))["ETag"]
    organisation_update(
        actor=None,
        organisation=provider,
        name="Mid Shire and District Hospitals NHS Foundation Trust",
        region=provider.region,
        oversight_body=provider.oversight_body,
    )
    assert client.get(public_url(episode.provider), HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_public_page_sets_no_cookies(client: Client, episode: Episode) -> None:
    assert not client.get(public_url(episode.provider)).cookies


def test_the_public_page_does_not_vary_by_cookie(client: Client, episode: Episode) -> None:
    assert "cookie" not in client.get(public_url(episode.provider)).get("Vary", "").lower()


def test_a_signed_in_visit_to_the_public_page_sets_no_cookie(
    client_for: ClientFor, episode: Episode, trust_manager: User
) -> None:
    client = client_for(trust_manager)
    client.get(reverse("staff-home"))
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        response = client.get(public_url(episode.provider))
    assert "public" in response["Cache-Control"] and not response.cookies


def test_the_public_page_names_no_person(
    client: Client, episode: Episode, action: Action, trust_manager: User, oversight_lead: User
) -> None:
    action_plan.action_update(actor=trust_manager, action=action, owner=trust_manager)
    accept(episode, action, trust_manager, oversight_lead)
    html = client.get(public_url(episode.provider)).content.decode()
    assert SUBMITTED in html
    for person in (trust_manager, oversight_lead):
        assert person.full_name not in html and person.email not in html


def test_an_unknown_ods_code_is_not_found(client: Client, episode: Episode) -> None:
    assert client.get(reverse("provider-public", args=["ZZZ99"])).status_code == 404


def test_an_organisation_that_provides_no_care_has_no_public_page(client: Client, cqc: Organisation) -> None:
    assert client.get(public_url(cqc)).status_code == 404
