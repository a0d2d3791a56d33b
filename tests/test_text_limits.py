"""Every text a person types has one length limit, on its model field; the pages and the API read it from there."""

# The fixtures are imported by name, so test arguments share their names.
# ruff: noqa: F811

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from accounts.limits import max_length_of
from accounts.models import Organisation, Region, User
from communications.api.enquiries import (
    EnquiryCloseInSerializer,
    EnquiryNoteInSerializer,
    EnquiryPassToReviewInSerializer,
    EnquiryRespondInSerializer,
    ReferralOfferInSerializer,
    SupportServiceInSerializer,
)
from communications.forms.enquiries import NoteForm, PassToReviewForm, ReferralForm, RespondForm
from communications.forms.notices import NoticeForm, ReasonForm
from communications.forms.plans import PlanForm, PlanItemForm
from communications.models import (
    Audience,
    CommunicationsPlan,
    Enquiry,
    EnquiryNote,
    NoteKind,
    Notice,
    NoticeVersion,
    PlanAudience,
    PlanItem,
    Referral,
    SupportKind,
    SupportService,
)
from communications.services import support as support_services
from communications.services.enquiries import LIMITS, enquiry_note_add
from failure_regime.api.inspections import (
    RecommendationDecisionInSerializer,
    RecommendationInSerializer,
    RecommendationWithdrawalInSerializer,
)
from failure_regime.api.interventions import EndInSerializer, HandOverInSerializer, InterventionInSerializer
from failure_regime.api.serializers import (
    CaseInSerializer,
    CloseInSerializer,
    ConcernInSerializer,
    EnforcementInSerializer,
    HandoverInSerializer,
    ObjectionInSerializer,
    OutcomeInSerializer,
    TermsInSerializer,
)
from failure_regime.api.special_measures_serializers import (
    ActionChangeInSerializer,
    ActionInSerializer,
    ActionStandingInSerializer,
    CancellationProposalInSerializer,
    EpisodeExtendInSerializer,
    MonthlyReportInSerializer,
    ReportReturnInSerializer,
)
from failure_regime.forms import (
    ActionForm,
    CaseForm,
    CloseForm,
    ConcernForm,
    EnforcementForm,
    LeadForm,
    OutcomeChoice,
    OutcomeForm,
    RecommendationDecisionForm,
    RecommendationForm,
    RecommendationWithdrawalForm,
    ReportForm,
    ReturnForm,
    SignOffForm,
    TermsForm,
    WithdrawForm,
)
from failure_regime.intervention_forms import EndForm, HandOverForm, InterventionForm
from failure_regime.models import (
    Action,
    Case,
    Concern,
    EnforcementAction,
    Episode,
    Extension,
    Handover,
    Intervention,
    MonthlyReport,
    Recommendation,
    ReportActionStatus,
    RuleSet,
    SignOff,
    TermsOfReference,
)
from failure_regime.services.interventions import HAND_OVER_NOTE_LIMIT, improvement_director_hand_over
from reviews.api.cohort import ReassignInSerializer, WaveInSerializer
from reviews.api.judgement import JudgementInSerializer, SummaryInSerializer
from reviews.api.recruitment import ApproveInSerializer, CampaignInSerializer, RejectInSerializer
from reviews.api.requests import ReviewRequestDeclineInSerializer, ReviewRequestOutcomeInSerializer
from reviews.api.serializers import (
    AppointmentEndInSerializer,
    AppointmentInSerializer,
    ConflictWaiverInSerializer,
    InterestInSerializer,
)
from reviews.forms.cohort import ReassignForm, WaveForm
from reviews.forms.judgement import JudgementForm, SummaryForm
from reviews.forms.recruitment import ApplicationForm, ApproveForm, CampaignForm, RejectForm
from reviews.forms.registry import EndAppointmentForm, InterestForm, WaiverForm
from reviews.forms.requests import DeclineForm
from reviews.forms.requests import OutcomeForm as RequestOutcomeForm
from reviews.models import (
    Application,
    Appointment,
    Assignment,
    Campaign,
    Cohort,
    ConflictWaiver,
    DeclaredInterest,
    FindingsSummary,
    ReviewRequest,
    StructuredJudgement,
    Wave,
)
from reviews.services import requests as request_services
from reviews.services.cohort import wave_add
from tests.communications.conftest import family_support_case, liaison_officer  # noqa: F401
from tests.communications.test_enquiries import enquiry  # noqa: F401
from tests.failure_regime.conftest import case, concern  # noqa: F401
from tests.failure_regime.test_interventions import director, episode  # noqa: F401
from tests.reviews.cohort_fixtures import cohort, manager, obstetrics  # noqa: F401
from tests.reviews.recruitment_fixtures import campaign, recruitment_lead  # noqa: F401
from tests.reviews.test_recruitment_pages import form_data

APPS = ("accounts", "failure_regime", "reviews", "communications")

# Models whose texts people type, and the plain forms and serializers (those that declare their fields by hand)
# that write them under the model's own names. Model forms and model serializers are found by themselves; a form
# whose fields are made when it is built is given built. Fields written under other names are listed below.
USER_FILLED: dict[type[models.Model], list[Any]] = {
    Concern: [ConcernForm, ConcernInSerializer],
    Case: [CaseForm, CaseInSerializer],
    TermsOfReference: [TermsForm, TermsInSerializer],
    SignOff: [SignOffForm, ObjectionInSerializer],
    Handover: [LeadForm, HandoverInSerializer],
    EnforcementAction: [EnforcementForm, EnforcementInSerializer, CancellationProposalInSerializer],
    RuleSet: [],  # written in the admin, whose forms are model forms
    Extension: [OutcomeChoice, EpisodeExtendInSerializer],
    Action: [ActionForm, ActionInSerializer, ActionChangeInSerializer],
    MonthlyReport: [ReportForm, MonthlyReportInSerializer],
    ReportActionStatus: [ActionStandingInSerializer],
    Intervention: [InterventionForm, InterventionInSerializer],
    Recommendation: [RecommendationForm, RecommendationInSerializer],
    Application: [ApplicationForm],
    Campaign: [CampaignForm, CampaignInSerializer],
    DeclaredInterest: [InterestForm, InterestInSerializer],
    Appointment: [AppointmentInSerializer],
    Wave: [WaveForm, WaveInSerializer],
    StructuredJudgement: [JudgementForm(), JudgementInSerializer],
    FindingsSummary: [SummaryForm, SummaryInSerializer],
    ReviewRequest: [PassToReviewForm, EnquiryPassToReviewInSerializer],
    NoticeVersion: [NoticeForm],
    Enquiry: [],  # the form refuses nothing; ``enquiry_receive`` checks LIMITS, tested below
    EnquiryNote: [NoteForm, RespondForm, EnquiryNoteInSerializer, EnquiryRespondInSerializer],
    Referral: [ReferralForm, ReferralOfferInSerializer],
    SupportService: [SupportServiceInSerializer],  # the form refuses nothing; the service checks, tested below
    CommunicationsPlan: [PlanForm],
    PlanItem: [PlanItemForm],
}

# A report's note on one action, in a form built for one action (unsaved: the form only reads it).
_REPORT_FORM = ReportForm(actions=[Action(pk=1, reference="A1", description="Recruit midwives")])

# Fields of forms and serializers that write a model's text under another name, or one that is not editable.
NAMED_OTHERWISE: list[tuple[Any, str, type[models.Model], str]] = [
    (CaseForm, "terms_of_reference", TermsOfReference, "text"),
    (CaseInSerializer, "terms_of_reference", TermsOfReference, "text"),
    (WithdrawForm, "reason", SignOff, "withdrawal_reason"),
    (CloseForm, "summary", Case, "closing_summary"),
    (CloseInSerializer, "summary", Case, "closing_summary"),
    (OutcomeForm, "notes", EnforcementAction, "outcome_notes"),
    (OutcomeInSerializer, "notes", EnforcementAction, "outcome_notes"),
    (OutcomeChoice, "reason", EnforcementAction, "summary"),  # a proposal to cancel registration
    (ReturnForm, "comments", MonthlyReport, "review_comments"),
    (ReportReturnInSerializer, "comments", MonthlyReport, "review_comments"),
    (_REPORT_FORM, "note_1", ReportActionStatus, "note"),
    (EndForm, "reason", Intervention, "end_reason"),
    (EndInSerializer, "reason", Intervention, "end_reason"),
    (RecommendationDecisionForm, "reasons", Recommendation, "decision_reasons"),
    (RecommendationWithdrawalForm, "reasons", Recommendation, "decision_reasons"),
    (RecommendationDecisionInSerializer, "reasons", Recommendation, "decision_reasons"),
    (RecommendationWithdrawalInSerializer, "reasons", Recommendation, "decision_reasons"),
    (ApproveForm, "note", Application, "decision_reason"),
    (RejectForm, "reason", Application, "decision_reason"),
    (ApproveInSerializer, "note", Application, "decision_reason"),
    (RejectInSerializer, "reason", Application, "decision_reason"),
    (WaiverForm, "rationale", ConflictWaiver, "rationale"),  # its ``reason`` is the service's, from the conflicts
    (ConflictWaiverInSerializer, "rationale", ConflictWaiver, "rationale"),
    (EndAppointmentForm, "reason", Appointment, "end_reason"),
    (AppointmentEndInSerializer, "reason", Appointment, "end_reason"),
    (ReassignForm, "reason", Assignment, "end_reason"),
    (ReassignInSerializer, "reason", Assignment, "end_reason"),
    (DeclineForm, "reason", ReviewRequest, "decline_reason"),
    (ReviewRequestDeclineInSerializer, "reason", ReviewRequest, "decline_reason"),
    (RequestOutcomeForm, "outcome", ReviewRequest, "outcome"),
    (ReviewRequestOutcomeInSerializer, "outcome", ReviewRequest, "outcome"),
    (EnquiryCloseInSerializer, "reason", Enquiry, "closure_reason"),
    (ReasonForm, "reason", NoticeVersion, "return_reason"),
    (ReasonForm, "reason", Notice, "withdrawal_reason"),
    *((PlanForm(acting=[]), f"needs_{audience}", PlanAudience, "needs") for audience in Audience.values),
]

# The limits services check themselves, where their forms refuse nothing.
SERVICE_LIMITS = [
    (LIMITS, Enquiry),
    (support_services.LIMITS, SupportService),
    (request_services.LIMITS, ReviewRequest),
]


def _text_fields(model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
    return {
        field.name: field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and field.editable and not field.choices
    }


def _declared_char_fields(given: Any) -> Iterator[tuple[str, int | None]]:
    """The text fields of a form (a class, or one built) or of a serializer, with their limits."""
    if isinstance(given, forms.BaseForm) or issubclass(given, forms.BaseForm):
        form_fields = given.fields if isinstance(given, forms.BaseForm) else given.base_fields
        for name, field in form_fields.items():
            if isinstance(field, forms.CharField):
                yield name, field.max_length
    else:
        for name, field in given().fields.items():
            if isinstance(field, serializers.CharField) and not field.read_only:
                yield (field.source or name), field.max_length


def _name(value: Any) -> str:
    """A test's id: a class by its name, a form built for the test as ``Form()``, text as it is."""
    if isinstance(value, str):
        return value
    return getattr(value, "__name__", None) or f"{type(value).__name__}()"


def _all_subclasses(cls: type[Any]) -> Iterator[type[Any]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def _project_classes() -> Iterator[type[Any]]:
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and ".management" not in module.name:
                importlib.import_module(module.name)
    for base in (forms.ModelForm, serializers.ModelSerializer):
        for cls in _all_subclasses(base):
            if cls.__module__.split(".")[0] in APPS and getattr(getattr(cls, "Meta", None), "model", None):
                yield cls


@pytest.mark.parametrize("model", USER_FILLED, ids=_name)
def test_every_text_people_fill_has_a_limit(model: type[models.Model]) -> None:
    unlimited = [name for name, field in _text_fields(model).items() if field.max_length is None]
    assert unlimited == []


@pytest.mark.parametrize(
    ("model", "cls"),
    [(model, cls) for model, classes in USER_FILLED.items() for cls in classes],
    ids=_name,
)
def test_forms_and_serializers_have_the_model_limits(model: type[models.Model], cls: Any) -> None:
    limits = {name: field.max_length for name, field in _text_fields(model).items()}
    declared = {name: limit for name, limit in _declared_char_fields(cls) if name in limits}
    assert declared and declared == {name: limits[name] for name in declared}


@pytest.mark.parametrize(("cls", "name", "model", "field"), NAMED_OTHERWISE, ids=_name)
def test_fields_named_otherwise_have_the_model_limits(
    cls: Any, name: str, model: type[models.Model], field: str
) -> None:
    assert dict(_declared_char_fields(cls))[name] == max_length_of(model, field)


def test_model_forms_and_serializers_have_the_model_limits() -> None:
    mismatched = []
    for cls in _project_classes():
        limits = {name: field.max_length for name, field in _text_fields(cls.Meta.model).items()}
        for name, limit in _declared_char_fields(cls):
            if name in limits and limits[name] is not None and limit != limits[name]:
                mismatched.append(f"{cls.__name__}.{name}: {limit} != {limits[name]}")
    assert mismatched == []


@pytest.mark.parametrize(("limits", "model"), SERVICE_LIMITS, ids=_name)
def test_the_limits_services_check_are_the_models(limits: dict[str, int], model: type[models.Model]) -> None:
    assert {name: max_length_of(model, name) for name in limits} == limits


# --- Over-long answers are refused on the field, and nothing is saved --------------------------------------------


@pytest.mark.django_db
def test_the_concern_form_refuses_an_over_long_summary(
    client_for: Callable[[User], Client], inspector: User, provider: Organisation
) -> None:
    response = client_for(inspector).post(
        reverse("regime:concern-new"),
        {"provider": provider.pk, "source": "coroner", "severity": "routine", "summary": "x" * 100_000},
    )
    assert response.status_code == 400 and "Enter 10000 characters or fewer" in response.content.decode()
    assert not Concern.objects.exists()


@pytest.mark.django_db
def test_the_concern_api_refuses_what_the_form_refuses(api_client_for: Callable[[User], Any], inspector: User) -> None:
    limit = Concern._meta.get_field("summary").max_length
    body = {"provider": 1, "source": "coroner", "summary": "x" * (limit + 1)}  # type: ignore[operator]
    response = api_client_for(inspector).post("/api/v1/concerns/", body, format="json")
    assert response.status_code == 400 and "summary" in response.json()["errors"]
    assert not Concern.objects.exists()


@pytest.mark.django_db
def test_the_public_application_refuses_an_over_long_employment_history(client: Client, campaign: Campaign) -> None:
    data = form_data(campaign, employment_history="x" * 4_500_000)
    response = client.post(reverse("reviews:apply", args=[campaign.pk]), data)
    assert response.status_code == 400
    assert "Enter 10000 characters or fewer (you entered 4500000)" in response.content.decode()
    assert not Application.objects.exists()


def _too_long(model: type[models.Model], field: str) -> str:
    return "x" * (max_length_of(model, field) + 1)


def _enforcement(provider: Organisation, **overrides: Any) -> dict[str, Any]:
    served_on = timezone.localdate().isoformat()
    return {
        "provider": provider.pk,
        "kind": "warning_notice",
        "summary": "Staffing",
        "served_on": served_on,
        **overrides,
    }


@pytest.mark.django_db
def test_the_enforcement_form_refuses_an_over_long_summary_on_the_field(
    client_for: Callable[[User], Client], inspector: User, provider: Organisation
) -> None:
    data = _enforcement(provider, summary=_too_long(EnforcementAction, "summary"))
    response = client_for(inspector).post(reverse("regime:enforcement-new"), data)
    assert response.status_code == 400 and list(response.context["form"].errors) == ["summary"]
    assert not EnforcementAction.objects.exists()


@pytest.mark.django_db
def test_the_enforcement_api_refuses_what_the_form_refuses(
    api_client_for: Callable[[User], Any], inspector: User, provider: Organisation
) -> None:
    body = _enforcement(provider, summary=_too_long(EnforcementAction, "summary"))
    response = api_client_for(inspector).post("/api/v1/enforcement-actions/", body, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["summary"]
    assert not EnforcementAction.objects.exists()


def _support_service(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Advocacy for families",
        "kind": SupportKind.ADVOCACY,
        "description": "Independent advocates.",
        "email": "help@advocacy.example.org",
        "region": Region.NATIONAL,
        **overrides,
    }


@pytest.mark.django_db
def test_the_support_service_page_refuses_an_over_long_description_on_the_field(
    client_for: Callable[[User], Client], liaison_officer: User
) -> None:
    data = _support_service(description=_too_long(SupportService, "description"))
    response = client_for(liaison_officer).post(reverse("communications:service-new"), data)
    assert response.status_code == 400 and list(response.context["form"].errors) == ["description"]
    assert "The description must be 5,000 characters or fewer" in response.content.decode()
    assert not SupportService.objects.exists()


@pytest.mark.django_db
def test_the_support_directory_api_refuses_what_the_page_refuses(
    api_client_for: Callable[[User], Any], liaison_officer: User
) -> None:
    body = _support_service(description=_too_long(SupportService, "description"))
    response = api_client_for(liaison_officer).post("/api/v1/support-directory/", body, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["description"]
    assert not SupportService.objects.exists()


# --- Services that check the texts they take refuse an over-long one on its field ---------------------------------


@pytest.mark.django_db
def test_an_over_long_enquiry_note_is_refused_on_the_field(enquiry: Enquiry, liaison_officer: User) -> None:
    with pytest.raises(ValidationError) as error:
        enquiry_note_add(
            actor=liaison_officer, enquiry=enquiry, kind=NoteKind.NOTE, text=_too_long(EnquiryNote, "text")
        )
    assert list(error.value.message_dict) == ["text"]
    assert not EnquiryNote.objects.exists()


@pytest.mark.django_db
def test_over_long_inclusion_criteria_are_refused_on_the_field(manager: User, cohort: Cohort) -> None:
    criteria = _too_long(Wave, "inclusion_criteria")
    with pytest.raises(ValidationError) as error:
        wave_add(actor=manager, cohort=cohort, criteria_version="v1", inclusion_criteria=criteria)
    assert list(error.value.message_dict) == ["inclusion_criteria"]
    assert not cohort.waves.exists()


# --- A hand-over's note ends the previous improvement director's reason for ending --------------------------------


@pytest.mark.parametrize("cls", [HandOverForm, HandOverInSerializer], ids=_name)
def test_a_hand_over_note_has_what_the_reason_for_ending_leaves(cls: Any) -> None:
    assert dict(_declared_char_fields(cls))["note"] == HAND_OVER_NOTE_LIMIT


def _hand_over(intervention: Intervention, actor: User, note: str) -> Intervention:
    return improvement_director_hand_over(
        actor=actor,
        intervention=intervention,
        person_name="Dr Ben Moss",
        person_organisation="NHS England",
        on=timezone.localdate(),
        owner=actor,
        owner_organisation=intervention.owner_organisation,
        review_on=timezone.localdate() + timedelta(days=90),
        note=note,
    )


@pytest.mark.django_db
def test_a_hand_over_note_at_its_limit_fills_the_reason_for_ending(episode: Episode, oversight_lead: User) -> None:
    first = director(oversight_lead, episode)
    _hand_over(first, oversight_lead, note="x" * HAND_OVER_NOTE_LIMIT)
    first.refresh_from_db()
    assert len(first.end_reason) == max_length_of(Intervention, "end_reason")


@pytest.mark.django_db
def test_a_longer_hand_over_note_is_refused_on_the_field(episode: Episode, oversight_lead: User) -> None:
    first = director(oversight_lead, episode)
    with pytest.raises(ValidationError) as error:
        _hand_over(first, oversight_lead, note="x" * (HAND_OVER_NOTE_LIMIT + 1))
    assert list(error.value.message_dict) == ["note"]
