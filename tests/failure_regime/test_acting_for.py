"""Whom a person acts for. Services are told the organisation and check it with ``membership_for``; a person who
could act for more than one chooses on the form (``acting_for``) or in the request body; one with a single
organisation is asked nothing. The rule pages use to offer an action is the one services use to refuse it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_perms
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Organisation, OrganisationKind, Role, User
from accounts.services import membership_create
from failure_regime.models import (
    Basis,
    Case,
    Concern,
    EnforcementAction,
    EnforcementKind,
    Episode,
    Handover,
    MonthlyReport,
    Recommendation,
)
from failure_regime.permissions import (
    CONCERN_ROLES,
    acting_choices,
    acting_for,
    membership_for,
    special_measures_deciders,
)
from failure_regime.services import episode_history, episode_outcome, monthly_reports
from failure_regime.services import special_measures as sm
from failure_regime.services.cases import case_party_add, case_propose, case_terms_revise, overseer_choices
from failure_regime.services.concerns import concern_raise
from failure_regime.services.enforcement import enforcement_outcome_record, enforcement_record
from failure_regime.services.recommendations import recommendation_make, recommendation_withdraw
from tests.factories import OrganisationFactory, member
from tests.failure_regime.inspection_helpers import rated_inspection

ClientFor = Callable[[User], Client]
ApiFor = Callable[[User], APIClient]
CONCERNS = "/api/v1/concerns/"


@pytest.fixture
def england_trust(nhs_england: Organisation) -> Organisation:
    return OrganisationFactory.create(
        name="Northfield NHS Trust", ods_code="RN1", kind=OrganisationKind.NHS_TRUST, oversight_body=nhs_england
    )


@pytest.fixture
def two_hats(monitor: Organisation, nhs_england: Organisation) -> User:
    """An oversight lead at both Monitor and NHS England: Monitor comes first by name."""
    person = member(monitor, Role.OVERSIGHT_LEAD, full_name="Hattie Two-Hats")
    membership_create(actor=None, user=person, organisation=nhs_england, role=Role.OVERSIGHT_LEAD)
    return person


def _concern_form(provider: Organisation, **extra: object) -> dict[str, object]:
    return {"provider": provider.pk, "source": "complaints", "severity": "routine", "summary": "Long waits", **extra}


# --- The rule ---------------------------------------------------------------------------------------------------


def test_the_choices_are_every_organisation_holding_the_role(
    two_hats: User, monitor: Organisation, nhs_england: Organisation, cqc: Organisation
) -> None:
    assert acting_choices(two_hats, CONCERN_ROLES) == [monitor, nhs_england]
    assert acting_choices(two_hats, {Role.INSPECTOR}) == []


def test_a_choice_is_needed_only_with_several(
    two_hats: User, inspector: User, cqc: Organisation, nhs_england: Organisation
) -> None:
    assert acting_for(inspector, CONCERN_ROLES, doing="record concerns") == cqc
    with pytest.raises(ValidationError) as error:
        acting_for(two_hats, CONCERN_ROLES, doing="record concerns")
    assert "acting_for" in error.value.message_dict
    assert acting_for(two_hats, CONCERN_ROLES, nhs_england, doing="record concerns") == nhs_england


def test_a_choice_without_the_role_there_is_refused(
    two_hats: User, cqc: Organisation, trust_manager: User, provider: Organisation
) -> None:
    with pytest.raises(PermissionDenied):
        acting_for(two_hats, CONCERN_ROLES, cqc, doing="record concerns")
    with pytest.raises(PermissionDenied):
        acting_for(trust_manager, CONCERN_ROLES, doing="record concerns")
    with pytest.raises(PermissionDenied):
        membership_for(trust_manager, provider, CONCERN_ROLES, doing="record concerns")


# --- Services are told ---------------------------------------------------------------------------------------


def test_the_service_records_the_organisation_it_is_told(
    two_hats: User, nhs_england: Organisation, england_trust: Organisation
) -> None:
    concern = concern_raise(
        actor=two_hats, organisation=nhs_england, provider=england_trust, source="complaints", summary="Long waits"
    )
    assert concern.raised_by_organisation == nhs_england
    assert AuditEvent.objects.get(verb="concern.raised").organisation == nhs_england
    assert "view_concern" in get_perms(nhs_england.group, concern)


def test_the_service_refuses_an_organisation_the_actor_does_not_act_for(
    inspector: User, monitor: Organisation, provider: Organisation
) -> None:
    with pytest.raises(PermissionDenied):
        concern_raise(actor=inspector, organisation=monitor, provider=provider, source="complaints", summary="x")
    assert not Concern.objects.exists()


# --- Pages let a person choose ---------------------------------------------------------------------------------


def test_the_form_asks_only_someone_with_several(
    client_for: ClientFor, two_hats: User, inspector: User, nhs_england: Organisation
) -> None:
    asked = client_for(two_hats).get(reverse("regime:concern-new")).content.decode()
    assert 'name="acting_for"' in asked and "NHS England" in asked
    not_asked = client_for(inspector).get(reverse("regime:concern-new")).content.decode()
    assert 'name="acting_for"' not in not_asked


def test_a_concern_raised_on_the_page_is_the_chosen_organisations(
    client_for: ClientFor, two_hats: User, nhs_england: Organisation, england_trust: Organisation
) -> None:
    client = client_for(two_hats)
    refused = client.post(reverse("regime:concern-new"), _concern_form(england_trust))
    assert refused.status_code == 400
    assert "Choose which organisation you are doing this for" in refused.content.decode()
    assert not Concern.objects.exists()

    client.post(reverse("regime:concern-new"), _concern_form(england_trust, acting_for=nhs_england.pk))
    concern = Concern.objects.get()
    assert concern.raised_by_organisation == nhs_england
    assert AuditEvent.objects.get(verb="concern.raised").organisation == nhs_england


def test_a_case_proposed_on_the_page_is_the_chosen_bodys(
    client_for: ClientFor, two_hats: User, nhs_england: Organisation, england_trust: Organisation
) -> None:
    concern = concern_raise(
        actor=two_hats, organisation=nhs_england, provider=england_trust, source="complaints", summary="Long waits"
    )
    fields = {
        "provider": england_trust.pk,
        "concerns": [concern.pk],
        "title": "Emergency care",
        "summary": "Long waits",
        "scope": "2024",
        "terms_of_reference": "Find out why.",
    }
    client = client_for(two_hats)
    assert client.post(reverse("regime:case-new"), fields).status_code == 400
    assert not Case.objects.exists()
    client.post(reverse("regime:case-new"), {**fields, "acting_for": nhs_england.pk})
    assert Case.objects.get().proposed_by_organisation == nhs_england


def test_a_commissioner_is_not_offered_proposing_a_case(client_for: ClientFor) -> None:
    commissioner = OrganisationFactory.create(name="A Commissioner", ods_code="15N", kind=OrganisationKind.COMMISSIONER)
    lead = member(commissioner, Role.OVERSIGHT_LEAD)
    assert client_for(lead).get(reverse("regime:case-new")).status_code == 403
    assert client_for(lead).get(reverse("regime:case-list")).context["can_propose"] is False


# --- The API lets a person choose ------------------------------------------------------------------------------


def test_the_api_asks_someone_with_several_to_choose(
    api_client_for: ApiFor, two_hats: User, nhs_england: Organisation, england_trust: Organisation
) -> None:
    api = api_client_for(two_hats)
    body = {"provider": england_trust.pk, "source": "complaints", "summary": "Long waits"}
    unchosen = api.post(CONCERNS, body, format="json")
    assert unchosen.status_code == 400 and "acting_for" in unchosen.json()["errors"]
    assert not Concern.objects.exists()

    chosen = api.post(CONCERNS, {**body, "acting_for": nhs_england.pk}, format="json")
    assert chosen.status_code == 201
    assert Concern.objects.get().raised_by_organisation == nhs_england


def test_the_api_refuses_an_organisation_that_is_not_the_callers(
    api_client_for: ApiFor, inspector: User, two_hats: User, monitor: Organisation, provider: Organisation
) -> None:
    body = {"provider": provider.pk, "source": "complaints", "summary": "Long waits"}
    unknown = api_client_for(inspector).post(CONCERNS, {**body, "acting_for": monitor.pk}, format="json")
    assert unknown.status_code == 400 and "acting_for" in unknown.json()["errors"]
    membership_create(actor=None, user=two_hats, organisation=provider, role=Role.TRUST_MANAGER)
    wrong_role = api_client_for(two_hats).post(CONCERNS, {**body, "acting_for": provider.pk}, format="json")
    assert wrong_role.status_code == 403
    assert not Concern.objects.exists()


# --- Pages offer what services allow -------------------------------------------------------------------------


@pytest.fixture
def other_regulator() -> Organisation:
    return OrganisationFactory.create(name="Another Regulator", ods_code="REG2", kind=OrganisationKind.REGULATOR)


def test_only_the_serving_regulator_records_an_outcome(
    client_for: ClientFor, inspector: User, cqc: Organisation, provider: Organisation, other_regulator: Organisation
) -> None:
    action = enforcement_record(
        actor=inspector,
        organisation=cqc,
        provider=provider,
        kind=EnforcementKind.WARNING_NOTICE,
        summary="Warning notice",
        served_on=timezone.localdate(),
    )
    elsewhere = member(other_regulator, Role.INSPECTOR)
    with pytest.raises(PermissionDenied):
        enforcement_outcome_record(actor=elsewhere, action=action, outcome="complied")
    detail = reverse("regime:enforcement-detail", args=[action.pk])
    assert client_for(elsewhere).get(detail).context["form"] is None
    assert client_for(inspector).get(detail).context["form"] is not None
    enforcement_outcome_record(actor=inspector, action=action, outcome="complied")
    assert EnforcementAction.objects.get().outcome == "complied"


def test_only_the_recommending_regulator_withdraws(
    client_for: ClientFor,
    regulator: User,
    inspector: User,
    cqc: Organisation,
    provider: Organisation,
    other_regulator: Organisation,
) -> None:
    inspection = rated_inspection(provider, inspector, timezone.localdate())
    recommendation = recommendation_make(
        actor=regulator, organisation=cqc, inspection=inspection, reasons="Unsafe staffing."
    )
    elsewhere = member(other_regulator, Role.REGULATOR_DECISION_MAKER)
    with pytest.raises(PermissionDenied):
        recommendation_withdraw(actor=elsewhere, recommendation=recommendation, reasons="Improved.")
    assert Recommendation.objects.get().is_awaiting
    page = client_for(regulator).get(reverse("regime:recommendation-detail", args=[recommendation.pk]))
    assert page.context["withdrawal_form"] is not None


# --- Special measures of a provider CQC alone regulates: the regulator that placed it --------------------------


@pytest.fixture
def surgery() -> Organisation:
    return OrganisationFactory.create(name="Riverside Surgery", ods_code="Y0101", kind=OrganisationKind.GP_PRACTICE)


@pytest.fixture
def two_regulators(regulator: User, other_regulator: Organisation) -> User:
    """A decision-maker at CQC and at another regulator: CQC does not come first by name."""
    membership_create(actor=None, user=regulator, organisation=other_regulator, role=Role.REGULATOR_DECISION_MAKER)
    return regulator


def _entered_by(actor: User, surgery: Organisation, organisation: Organisation | None) -> Episode:
    today = timezone.localdate()
    return sm.episode_enter(
        actor=actor,
        organisation=organisation,
        provider=surgery,
        entered_on=today,
        basis=Basis.CQC_DECISION,
        recommending_inspection=rated_inspection(surgery, actor, today),
    )


def test_a_decision_maker_at_two_regulators_says_which_places_the_provider(
    two_regulators: User, surgery: Organisation, other_regulator: Organisation, cqc: Organisation
) -> None:
    assert special_measures_deciders(two_regulators, surgery) == [other_regulator, cqc]
    with pytest.raises(ValidationError) as error:
        _entered_by(two_regulators, surgery, None)
    assert "acting_for" in error.value.message_dict
    assert not Episode.objects.exists()
    episode = _entered_by(two_regulators, surgery, cqc)
    assert episode.decided_by_organisation == cqc
    assert AuditEvent.objects.get(verb="special_measures.entered").organisation == cqc


def test_the_placing_regulator_alone_manages_the_episode(
    two_regulators: User, surgery: Organisation, cqc: Organisation, other_regulator: Organisation
) -> None:
    episode = _entered_by(two_regulators, surgery, other_regulator)
    at_cqc_only = member(cqc, Role.REGULATOR_DECISION_MAKER, full_name="Cora CQC")
    assert special_measures_deciders(at_cqc_only, surgery, episode) == []
    assert special_measures_deciders(two_regulators, surgery, episode) == [other_regulator]
    with pytest.raises(PermissionDenied):
        episode_outcome.episode_propose_cancellation(actor=at_cqc_only, episode=episode, summary="Still inadequate")
    notice = episode_outcome.episode_propose_cancellation(
        actor=two_regulators, episode=episode, summary="Still inadequate"
    )
    assert notice.recorded_by_organisation == other_regulator


def test_a_report_reaches_and_is_accepted_by_the_placing_regulator_alone(
    client_for: ClientFor, two_regulators: User, surgery: Organisation, cqc: Organisation, other_regulator: Organisation
) -> None:
    episode = _entered_by(two_regulators, surgery, other_regulator)
    at_cqc_only = member(cqc, Role.REGULATOR_DECISION_MAKER, full_name="Cora CQC")
    manager = member(surgery, Role.TRUST_MANAGER, full_name="Sam Surgery")
    report = monthly_reports.report_submit(
        actor=manager, episode=episode, month=timezone.localdate(), narrative="Two GPs appointed.", statuses={}
    )
    assert at_cqc_only.notifications.count() == 0
    assert two_regulators.notifications.filter(link__contains=str(report.pk)).exists()
    detail = reverse("regime:report-detail", args=[report.pk])
    assert client_for(at_cqc_only).get(detail).context["return_form"] is None
    assert client_for(two_regulators).get(detail).context["return_form"] is not None
    with pytest.raises(PermissionDenied):
        monthly_reports.report_accept(actor=at_cqc_only, report=report)
    monthly_reports.report_accept(actor=two_regulators, report=report)
    assert MonthlyReport.objects.get(pk=report.pk).status == "accepted"


def test_the_entry_page_and_the_api_let_them_choose_the_regulator(
    client_for: ClientFor,
    api_client_for: ApiFor,
    two_regulators: User,
    regulator: User,
    surgery: Organisation,
    cqc: Organisation,
    other_regulator: Organisation,
) -> None:
    page = client_for(two_regulators)
    assert 'name="acting_for"' in page.get(reverse("regime:episode-new")).content.decode()
    today = timezone.localdate()
    fields = {
        "provider": surgery.pk,
        "entered_on": today.isoformat(),
        "basis": Basis.CQC_DECISION,
        "recommending_inspection": rated_inspection(surgery, regulator, today).pk,
    }
    refused = page.post(reverse("regime:episode-new"), fields)
    assert refused.status_code == 400 and "Choose which organisation you act for" in refused.content.decode()
    assert not Episode.objects.exists()
    assert page.post(reverse("regime:episode-new"), {**fields, "acting_for": cqc.pk}).status_code == 302
    assert Episode.objects.get().decided_by_organisation == cqc

    Episode.objects.all().delete()
    api = api_client_for(two_regulators)
    body = {**fields, "entered_on": today.isoformat()}
    unchosen = api.post("/api/v1/episodes/", body, format="json")
    assert unchosen.status_code == 400 and "acting_for" in unchosen.json()["errors"]
    chosen = api.post("/api/v1/episodes/", {**body, "acting_for": other_regulator.pk}, format="json")
    assert chosen.status_code == 201
    assert Episode.objects.get().decided_by_organisation == other_regulator


def test_a_regulator_chosen_on_the_form_is_set_aside_for_a_trust(
    two_regulators: User, provider: Organisation, monitor: Organisation, cqc: Organisation
) -> None:
    """The entry form asks someone at two regulators which one; for a trust, whose oversight body decides, the
    answer does not matter and does not refuse them."""
    membership_create(actor=None, user=two_regulators, organisation=monitor, role=Role.OVERSIGHT_LEAD)
    episode = sm.episode_enter(
        actor=two_regulators,
        organisation=cqc,
        provider=provider,
        entered_on=timezone.localdate(),
        basis=Basis.OWN_EVIDENCE,
    )
    assert episode.decided_by_organisation == monitor


def test_the_history_pages_let_them_choose_the_regulator(
    client_for: ClientFor, two_regulators: User, surgery: Organisation, other_regulator: Organisation
) -> None:
    """A past episode of a provider CQC alone regulates is recorded, on the form or from a file, for the regulator
    the person chooses, as an entry is; without a choice nothing is recorded."""
    page = client_for(two_regulators)
    assert 'name="acting_for"' in page.get(reverse("regime:episode-history-new")).content.decode()
    fields = {
        "provider": surgery.pk,
        "entered_on": "2013-07-16",
        "basis": Basis.CQC_DECISION,
        "outcome": "exited",
        "ended_on": "2014-10-22",
        "reinspected_on": "09/07/2014",
    }
    refused = page.post(reverse("regime:episode-history-new"), fields)
    assert refused.status_code == 400 and "Choose which organisation you act for" in refused.content.decode()
    assert not Episode.objects.exists()
    chosen = page.post(reverse("regime:episode-history-new"), {**fields, "acting_for": other_regulator.pk})
    assert chosen.status_code == 302
    assert Episode.objects.get().decided_by_organisation == other_regulator

    Episode.objects.all().delete()
    header = ",".join(episode_history.CSV_COLUMNS)
    row = f"{surgery.ods_code},2016-01-04,cqc_decision,exited,2017-03-01,2016-12-01,,"

    def upload(**extra: object) -> dict[str, object]:
        text = f"{header}\n{row}\n".encode()
        return {"file": SimpleUploadedFile("history.csv", text, content_type="text/csv"), **extra}

    assert 'name="acting_for"' in page.get(reverse("regime:episode-history-import")).content.decode()
    unchosen = page.post(reverse("regime:episode-history-import"), upload())
    assert unchosen.status_code == 400 and "Choose which organisation you act for" in unchosen.content.decode()
    assert not Episode.objects.exists()
    imported = page.post(reverse("regime:episode-history-import"), upload(acting_for=other_regulator.pk))
    assert imported.status_code == 302
    assert Episode.objects.get().decided_by_organisation == other_regulator


# --- Running a case for one of several parties ------------------------------------------------------------------


@pytest.fixture
def two_party_case(
    two_hats: User, nhs_england: Organisation, monitor: Organisation, england_trust: Organisation
) -> Case:
    """A case NHS England proposed with Monitor added as a party: the oversight lead at both runs it for either."""
    concern = concern_raise(
        actor=two_hats, organisation=nhs_england, provider=england_trust, source="complaints", summary="Long waits"
    )
    case = case_propose(
        actor=two_hats,
        organisation=nhs_england,
        provider=england_trust,
        concerns=[concern],
        title="Emergency care",
        summary="Long waits",
        scope="2024",
        terms_of_reference="Find out why.",
    )
    case_party_add(actor=two_hats, case=case, organisation=monitor)
    return case


def test_someone_running_a_case_for_two_parties_says_which(
    two_hats: User, two_party_case: Case, monitor: Organisation, nhs_england: Organisation
) -> None:
    """Monitor comes first by name, and was once taken for anything the person did on the case."""
    assert overseer_choices(two_hats, two_party_case) == [monitor, nhs_england]
    with pytest.raises(ValidationError) as error:
        case_terms_revise(actor=two_hats, case=two_party_case, text="Version two.")
    assert "acting_for" in error.value.message_dict
    case_terms_revise(actor=two_hats, case=two_party_case, text="Version two.", organisation=nhs_england)
    assert AuditEvent.objects.get(verb="case.terms_revised").organisation == nhs_england
    outsider = OrganisationFactory.create(name="Elsewhere", ods_code="ELS", kind=OrganisationKind.REGULATOR)
    with pytest.raises(PermissionDenied):
        case_terms_revise(actor=two_hats, case=two_party_case, text="Version three.", organisation=outsider)


def test_the_case_page_and_the_api_let_them_choose_the_party(
    client_for: ClientFor, api_client_for: ApiFor, two_hats: User, two_party_case: Case, nhs_england: Organisation
) -> None:
    page = client_for(two_hats)
    detail = page.get(reverse("regime:case-detail", args=[two_party_case.pk])).content.decode()
    assert detail.count('name="acting_for"') >= 3  # the lead, terms and closing forms each ask
    terms = reverse("regime:case-terms", args=[two_party_case.pk])
    refused = page.post(terms, {"text": "Version two."})
    assert refused.status_code == 400
    assert "Choose which organisation you are doing this for" in refused.content.decode()
    assert page.post(terms, {"text": "Version two.", "acting_for": nhs_england.pk}).status_code == 302
    assert AuditEvent.objects.get(verb="case.terms_revised").organisation == nhs_england

    api = api_client_for(two_hats)
    url = f"/api/v1/cases/{two_party_case.pk}/terms/"
    unchosen = api.post(url, {"text": "Version three."}, format="json")
    assert unchosen.status_code == 400 and "acting_for" in unchosen.json()["errors"]
    chosen = api.post(url, {"text": "Version three.", "acting_for": nhs_england.pk}, format="json")
    assert chosen.status_code == 200
    assert list(AuditEvent.objects.filter(verb="case.terms_revised").values_list("organisation", flat=True)) == [
        nhs_england.pk,
        nhs_england.pk,
    ]


def test_a_lead_at_two_parties_is_appointed_for_the_one_chosen(
    client_for: ClientFor, two_hats: User, two_party_case: Case, monitor: Organisation, nhs_england: Organisation
) -> None:
    """A lead who works for two of the parties answers for the one the appointer names, not the first found."""
    lead = member(monitor, Role.OVERSIGHT_LEAD, full_name="Lena Lead")
    membership_create(actor=None, user=lead, organisation=nhs_england, role=Role.OVERSIGHT_LEAD)
    page = client_for(two_hats)
    url = reverse("regime:case-lead", args=[two_party_case.pk])
    fields = {"area": "investigation", "lead": lead.pk, "reason": "Led the last review.", "acting_for": monitor.pk}
    refused = page.post(url, fields)
    assert refused.status_code == 400 and "Choose which party they lead for" in refused.content.decode()
    assert page.post(url, {**fields, "lead_organisation": nhs_england.pk}).status_code == 302
    handover = Handover.objects.get(to_lead=lead)
    assert handover.to_organisation == nhs_england
    assert AuditEvent.objects.get(verb="case.lead_handed_over").organisation == monitor
