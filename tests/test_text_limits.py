"""Every text a person types has one length limit, on its model field; the pages and the API read it from there."""

# The fixtures are imported by name, so test arguments share their names.
# ruff: noqa: F811

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django import forms
from django.db import models
from django.test import Client
from django.urls import reverse
from rest_framework import serializers

from accounts.models import Organisation, User
from communications.forms.notices import NoticeForm
from communications.models import Enquiry, NoticeVersion
from communications.services.enquiries import LIMITS
from failure_regime.api.serializers import (
    CaseInSerializer,
    ConcernInSerializer,
    HandoverInSerializer,
    ObjectionInSerializer,
    TermsInSerializer,
)
from failure_regime.forms import CaseForm, ConcernForm, LeadForm, SignOffForm, TermsForm, WithdrawForm
from failure_regime.models import Case, Concern, Handover, SignOff, TermsOfReference
from reviews.forms.recruitment import ApplicationForm
from reviews.models import Application, Campaign
from tests.failure_regime.conftest import case, concern  # noqa: F401
from tests.reviews.recruitment_fixtures import campaign, recruitment_lead  # noqa: F401
from tests.reviews.test_recruitment_pages import form_data

APPS = ("accounts", "failure_regime", "reviews", "communications")

# Models whose texts people type, and the plain forms and serializers (those that declare their fields by hand)
# that write them. Model forms and model serializers are found by themselves.
USER_FILLED: dict[type[models.Model], list[type[Any]]] = {
    Concern: [ConcernForm, ConcernInSerializer],
    Case: [CaseForm, CaseInSerializer],
    TermsOfReference: [TermsForm, TermsInSerializer],
    SignOff: [SignOffForm, ObjectionInSerializer],
    Handover: [LeadForm, HandoverInSerializer],
    Application: [ApplicationForm],
    NoticeVersion: [NoticeForm],
    Enquiry: [],  # the form refuses nothing; ``enquiry_receive`` checks LIMITS, tested below
}


def _text_fields(model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
    return {
        field.name: field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and field.editable and not field.choices
    }


def _declared_char_fields(cls: type[Any]) -> Iterator[tuple[str, int | None]]:
    if issubclass(cls, forms.BaseForm):
        for name, field in cls.base_fields.items():  # type: ignore[attr-defined]
            if isinstance(field, forms.CharField):
                yield name, field.max_length
    else:
        for name, field in cls().fields.items():
            if isinstance(field, serializers.CharField) and not field.read_only:
                yield (field.source or name), field.max_length


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


@pytest.mark.parametrize("model", USER_FILLED, ids=lambda m: m.__name__)
def test_every_text_people_fill_has_a_limit(model: type[models.Model]) -> None:
    unlimited = [name for name, field in _text_fields(model).items() if field.max_length is None]
    assert unlimited == []


@pytest.mark.parametrize(
    ("model", "cls"),
    [(model, cls) for model, classes in USER_FILLED.items() for cls in classes],
    ids=lambda value: value.__name__,
)
def test_forms_and_serializers_have_the_model_limits(model: type[models.Model], cls: type[Any]) -> None:
    limits = {name: field.max_length for name, field in _text_fields(model).items()}
    declared = {name: limit for name, limit in _declared_char_fields(cls) if name in limits}
    assert declared and declared == {name: limits[name] for name in declared}


@pytest.mark.parametrize(
    ("cls", "name", "model", "field"),
    [
        (CaseForm, "terms_of_reference", TermsOfReference, "text"),
        (CaseInSerializer, "terms_of_reference", TermsOfReference, "text"),
        (WithdrawForm, "reason", SignOff, "withdrawal_reason"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_fields_named_otherwise_have_the_model_limits(
    cls: type[Any], name: str, model: type[models.Model], field: str
) -> None:
    assert dict(_declared_char_fields(cls))[name] == _text_fields(model)[field].max_length


def test_model_forms_and_serializers_have_the_model_limits() -> None:
    mismatched = []
    for cls in _project_classes():
        limits = {name: field.max_length for name, field in _text_fields(cls.Meta.model).items()}
        for name, limit in _declared_char_fields(cls):
            if name in limits and limits[name] is not None and limit != limits[name]:
                mismatched.append(f"{cls.__name__}.{name}: {limit} != {limits[name]}")
    assert mismatched == []


def test_the_public_enquiry_limits_are_the_models() -> None:
    assert {name: _text_fields(Enquiry)[name].max_length for name in LIMITS} == LIMITS


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
