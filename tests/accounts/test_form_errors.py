"""Every form's error messages say what to do (``accounts.form_errors``): none says only "This field is required."."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.form_errors import FALLBACK_MARK, NHSForm, required_message
from accounts.models import Organisation, User
from communications.models import Notice, SupportService
from failure_regime.models import Action, Case, Concern, Inspection
from reviews.models import Expert, Specialty, Wave
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

DJANGO_REQUIRED = "This field is required."
APPS = ("accounts", "failure_regime", "communications", "reviews")


def project_forms() -> Iterator[type[forms.BaseForm]]:
    """Every form class defined in the project's apps."""
    seen: set[type[forms.BaseForm]] = set()
    for app in APPS:
        package = importlib.import_module(app)
        for module_info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module_info.name or ".management" in module_info.name:
                continue
            module = importlib.import_module(module_info.name)
            for _, klass in inspect.getmembers(module, inspect.isclass):
                if issubclass(klass, forms.BaseForm) and klass.__module__ == module.__name__ and klass not in seen:
                    seen.add(klass)
                    yield klass


# What each form needs to be built, by the name of its keyword: mostly empty choices, nothing chosen; a report
# form asks about one action, whose fields it adds.
BUILD_WITH: dict[str, Any] = {
    # Someone who could act for two organisations, so that the form asks which.
    "acting": [Organisation(pk=1, name="Monitor"), Organisation(pk=2, name="NHS England")],
    "actions": [Action(pk=1, reference="A1", description="Appoint six midwives")],
    "candidates": User.objects.none(),
    "cases": Case.objects.none(),
    "choices": [("exit", "Leave special measures")],
    "concerns": Concern.objects.none(),
    "current": {},
    "inspections": Inspection.objects.none(),
    "kinds": [],
    "notices": Notice.objects.none(),
    "officers": User.objects.none(),
    "organisations": Organisation.objects.none(),
    "owners": User.objects.none(),
    "partners": Organisation.objects.none(),
    "parties": Organisation.objects.none(),
    "providers": Organisation.objects.none(),
    "reviewers": Expert.objects.none(),
    "services": SupportService.objects.none(),
    "specialties": Specialty.objects.none(),
    "statuses": [],
    "trusts": Organisation.objects.none(),
    "waves": Wave.objects.none(),
}


def _needed(parameter: inspect.Parameter) -> Any:
    if parameter.name == "plan":  # a plan that offers no audiences yet
        return SimpleNamespace(audiences=SimpleNamespace(all=list))
    if parameter.name == "device":
        return TOTPDevice()
    if parameter.name == "user":
        return User()
    return BUILD_WITH[parameter.name]


def build_empty(klass: type[forms.BaseForm]) -> list[forms.BaseForm]:
    """``klass`` with nothing filled in, as when someone sends the form empty: once as it is built by default,
    and once more for each yes-or-no choice it is built with (which may add fields)."""
    needed: dict[str, Any] = {}
    switches: dict[str, bool] = {}
    # A form's own keywords, and those its bases take through ``**kwargs`` (the organisations it may act for).
    constructors = [
        vars(c)["__init__"] for c in klass.__mro__ if "__init__" in vars(c) and not c.__module__.startswith("django.")
    ]
    parameters = {
        p.name: p for init in reversed(constructors) for p in list(inspect.signature(init).parameters.values())[1:]
    }
    for parameter in parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.default is parameter.empty:
            needed[parameter.name] = _needed(parameter)
        elif parameter.kind == parameter.KEYWORD_ONLY and isinstance(parameter.default, bool):
            switches[parameter.name] = parameter.default
    variants: list[dict[str, Any]] = [{}, *({name: not default} for name, default in switches.items())]
    return [klass(data={}, **needed, **variant) for variant in variants]


def all_messages(form: forms.BaseForm) -> list[str]:
    return [str(message) for messages in form.errors.values() for message in messages]


@pytest.mark.parametrize("klass", list(project_forms()), ids=lambda klass: f"{klass.__module__}.{klass.__name__}")
def test_it_never_says_only_that_a_field_is_required(klass: type[forms.BaseForm]) -> None:
    messages = [message for form in build_empty(klass) for message in all_messages(form)]
    assert DJANGO_REQUIRED not in messages
    assert not [message for message in messages if FALLBACK_MARK in message]


def test_it_finds_the_forms_of_every_app() -> None:
    modules = {klass.__module__.split(".")[0] for klass in project_forms()}
    assert modules == set(APPS)


# --- The rule that works out a message ------------------------------------------------------------------------


class Example(NHSForm):
    title = forms.CharField(label="Title")
    nhs_number = forms.CharField(label="NHS number")
    notes = forms.CharField(label="Your notes (optional)")
    provider = forms.ChoiceField(label="Provider", choices=[("a", "A")])
    agreed = forms.BooleanField(label="The expert has signed the declaration")
    reason = forms.CharField(label="Why?", error_messages={"required": "Enter why it ended"})
    email = forms.EmailField(label="E-mail address")
    count = forms.IntegerField(label="Cases per week", min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["added"] = forms.DateField(label="Closing date")


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("title", "Enter the title"),
        ("nhs_number", "Enter the NHS number"),
        ("notes", "Enter your notes"),
        ("provider", "Choose the provider"),
        ("agreed", "Confirm that the expert has signed the declaration"),
        ("reason", "Enter why it ended"),
        ("added", "Enter the closing date"),
    ],
)
def test_it_says_what_to_enter_or_choose(field: str, message: str) -> None:
    assert Example(data={}).errors[field] == [message]


def test_it_asks_for_an_answer_when_the_label_is_a_question_with_no_message_of_its_own() -> None:
    assert required_message("worry", forms.CharField(label="What worries you?")) == (
        f"Enter {FALLBACK_MARK} “What worries you?”"
    )


def test_it_says_what_a_right_e_mail_address_looks_like() -> None:
    assert Example(data={"email": "nobody"}).errors["email"] == [
        "Enter an e-mail address in the right format, like name@example.org"
    ]


def test_it_says_what_number_is_allowed() -> None:
    assert Example(data={"count": "0"}).errors["count"] == ["Enter a number that is 1 or more"]


def test_it_says_how_long_an_answer_may_be() -> None:
    class Short(NHSForm):
        name = forms.CharField(label="Name", max_length=3)

    assert Short(data={"name": "Alexandra"}).errors["name"] == ["Enter 3 characters or fewer (you entered 9)"]


def test_a_plain_django_form_still_says_only_that_a_field_is_required() -> None:
    """The control: without the base form the message is Django's, so the tests above would catch a form that
    forgot it."""

    class Plain(forms.Form):
        title = forms.CharField(label="Title")

    assert Plain(data={}).errors["title"] == [DJANGO_REQUIRED]


# --- Pages ----------------------------------------------------------------------------------------------------


def test_sign_in_says_what_is_missing() -> None:
    page = Client().post(reverse("accounts:sign-in"), {"username": "", "password": ""}).content.decode()
    assert "Enter your e-mail address" in page and "Enter your password" in page
    assert DJANGO_REQUIRED not in page


def test_the_security_code_page_says_what_to_enter(client: Client, trust_manager: User) -> None:
    client.post(reverse("accounts:sign-in"), {"username": trust_manager.email, "password": PASSWORD})
    page = client.post(reverse("accounts:two-factor"), {"token": ""}).content.decode()
    assert "Enter the 6-digit security code from your authenticator app, or a backup code" in page


def test_the_security_code_box_takes_letters_for_backup_codes(client: Client, trust_manager: User) -> None:
    client.post(reverse("accounts:sign-in"), {"username": trust_manager.email, "password": PASSWORD})
    page = client.get(reverse("accounts:two-factor")).content.decode()
    assert 'inputmode="text"' in page and 'autocomplete="one-time-code"' in page and "backup codes, such as" in page


def test_the_password_reset_pages_say_what_is_missing() -> None:
    page = Client().post(reverse("accounts:password-reset"), {"email": ""}).content.decode()
    assert "Enter your e-mail address" in page and DJANGO_REQUIRED not in page
