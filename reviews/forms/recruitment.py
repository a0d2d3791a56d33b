"""Forms of recruitment: opening a campaign, the public application, vetting, the decision and accepting an
invitation. They parse input; the services in ``reviews.services.recruitment`` decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.boundfield import BoundField

from accounts.form_errors import NHSForm
from accounts.limits import max_length_of
from accounts.models import Organisation
from reviews.models import (
    REGISTRATION_NUMBER_FORMATS,
    Application,
    Campaign,
    InterestKind,
    Regulator,
    Seniority,
    Specialty,
)
from reviews.services.recruitment import CHECKS, MAX_CAPACITY_PER_WEEK, Need

NEED_ROWS = 5
HONEYPOT = "website"


class DateInput(forms.DateInput):
    input_type = "date"


class CampaignForm(NHSForm):
    """A campaign with up to ``NEED_ROWS`` specialty rows; empty rows are ignored."""

    title = forms.CharField(
        max_length=200,
        label="Title",
        help_text="Shown to the public, for example “Obstetricians and midwives to review maternity care”.",
    )
    description = forms.CharField(
        max_length=max_length_of(Campaign, "description"),
        widget=forms.Textarea(attrs={"rows": 6}),
        label="What the review is and what reviewers will do",
        help_text="Shown to the public. Do not name patients or staff.",
    )
    closes_on = forms.DateField(label="Closing date", help_text="The last day to apply.", widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in range(1, NEED_ROWS + 1):
            self.fields[f"specialty_{row}"] = forms.CharField(
                max_length=100,
                required=False,
                label=f"Specialty {row}",
                widget=forms.TextInput(attrs={"list": "specialty-names", "autocomplete": "off"}),
            )
            self.fields[f"number_{row}"] = forms.IntegerField(
                min_value=1,
                max_value=1000,
                required=False,
                label=f"Number of experts in specialty {row}",
                widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4"}),
            )

    @property
    def need_rows(self) -> list[tuple[BoundField, BoundField]]:
        return [(self[f"specialty_{row}"], self[f"number_{row}"]) for row in range(1, NEED_ROWS + 1)]

    @property
    def main_fields(self) -> list[BoundField]:
        return [self["title"], self["description"], self["closes_on"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        needs = []
        for row in range(1, NEED_ROWS + 1):
            specialty, number = data.get(f"specialty_{row}", ""), data.get(f"number_{row}")
            if specialty and number is None and f"number_{row}" not in self.errors:
                self.add_error(f"number_{row}", f"Say how many experts in {specialty} are needed.")
            elif number is not None and not specialty:
                self.add_error(f"specialty_{row}", f"Name specialty {row}, or clear its number.")
            elif specialty and number is not None:
                needs.append(Need(specialty=specialty, number_needed=number))
        data["needs"] = needs
        return data


def _registration_hint() -> str:
    formats = [message for _, message in REGISTRATION_NUMBER_FORMATS.values()]
    return " ".join(formats) + " Leave it empty only if your regulator is “Other or none”."


class ApplicationForm(NHSForm):
    """The public application. ``website`` is a trap for robots: people never see it, so it stays empty."""

    name = forms.CharField(
        max_length=150,
        label="Full name",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Enter your full name"},
    )
    email = forms.EmailField(
        max_length=max_length_of(Application, "email"),
        label="E-mail address",
        help_text="We will send your reference and our decision here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your e-mail address",
            "invalid": "Enter an e-mail address in the right format, like name@example.org",
        },
    )
    phone = forms.CharField(
        max_length=32,
        required=False,
        label="Phone number (optional)",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "class": "nhsuk-input--width-20"}),
    )
    profession = forms.CharField(
        max_length=100,
        label="Profession",
        help_text="For example, doctor, nurse or midwife.",
        error_messages={"required": "Enter your profession"},
    )
    regulator = forms.ChoiceField(
        choices=Regulator.choices,
        widget=forms.RadioSelect,
        label="Who regulates your profession?",
        error_messages={"required": "Choose who regulates your profession"},
    )
    registration_number = forms.CharField(
        max_length=20,
        required=False,
        label="Registration number",
        help_text=_registration_hint(),
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10", "spellcheck": "false"}),
    )
    specialties = forms.ModelMultipleChoiceField(
        queryset=Specialty.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Which of the specialties this review needs can you offer?",
        error_messages={"required": "Choose at least one of the specialties this review needs"},
    )
    seniority = forms.TypedChoiceField(
        choices=Seniority.choices,
        coerce=int,
        widget=forms.RadioSelect,
        label="How senior are you?",
        error_messages={"required": "Choose how senior you are"},
    )
    current_employer = forms.CharField(
        max_length=200,
        label="Current employer",
        help_text="If you are retired or self-employed, say so.",
        error_messages={"required": "Enter your current employer, or say that you are retired or self-employed"},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    employment_history = forms.CharField(
        max_length=max_length_of(Application, "employment_history"),
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Posts you have held in the last 5 years",
        error_messages={"required": "Enter the posts you have held in the last 5 years"},
        help_text="For each: the employer, your role, and the dates you started and left.",
    )
    capacity_per_week = forms.IntegerField(
        min_value=1,
        max_value=MAX_CAPACITY_PER_WEEK,
        label="How many cases could you review each week?",
        error_messages={"required": "Enter how many cases you could review each week"},
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4"}),
    )
    sjr_trained_on = forms.DateField(
        required=False,
        label="When did you complete structured judgement review training? (optional)",
        help_text="Leave it empty if you have not had the training; it can be arranged.",
        widget=DateInput,
    )
    first_referee = forms.CharField(
        max_length=max_length_of(Application, "first_referee"),
        widget=forms.Textarea(attrs={"rows": 3}),
        label="First referee",
        error_messages={"required": "Enter your first referee's name, role and contact details"},
        help_text="Their name, role, and e-mail address or phone number. One should know your clinical work.",
    )
    second_referee = forms.CharField(
        max_length=max_length_of(Application, "second_referee"),
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Second referee",
        error_messages={"required": "Enter your second referee's name, role and contact details"},
        help_text="Their name, role and contact details.",
    )
    interests = forms.CharField(
        max_length=max_length_of(Application, "interests"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Your links to NHS providers (optional)",
        help_text="Tell us about any link you have had with an NHS provider or its staff in the last 5 years. For "
        "example, work, money, shares, friends or family there, or care of you or your family. Leave it empty if "
        "you have none.",
    )
    no_other_interests = forms.BooleanField(
        label="I have told you about all my links to NHS providers, and I will tell the review team about any new one",
        error_messages={"required": "Confirm that you have told us about all your links to NHS providers"},
    )
    information_true = forms.BooleanField(
        label="The information I have given is true and complete",
        error_messages={"required": "Confirm that the information you have given is true and complete"},
    )
    consent = forms.BooleanField(
        label="I agree that the review team may use this information and contact my referees to decide on my "
        "application",
        help_text="Only the people who choose experts for this review see your application. It is never published.",
        error_messages={"required": "Agree to the use of your information to apply"},
    )
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    SECTIONS = [
        ("About you", ["name", "email", "phone"]),
        ("Your profession", ["profession", "regulator", "registration_number", "specialties", "seniority"]),
        ("Your experience", ["current_employer", "employment_history", "capacity_per_week", "sjr_trained_on"]),
        ("Your referees", ["first_referee", "second_referee"]),
        ("Your links to providers", ["interests", "no_other_interests", "information_true", "consent"]),
    ]

    def __init__(self, *args: Any, specialties: QuerySet[Specialty], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["specialties"].queryset = specialties  # type: ignore[attr-defined]

    @property
    def sections(self) -> list[tuple[str, list[BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    @property
    def is_robot(self) -> bool:
        """Whether the hidden field was filled in, which only a robot does."""
        return bool(self.data.get(HONEYPOT, "").strip())


class VettingForm(NHSForm):
    """The four vetting checks, ticked as each is done."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in CHECKS.items():
            self.fields[name] = forms.BooleanField(required=False, label=label)


def _organisation(ods_code: str, field: str) -> Organisation | None:
    code = ods_code.strip().upper()
    if not code:
        return None
    organisation = Organisation.objects.filter(ods_code=code).first()
    if organisation is None:
        raise ValidationError({field: f"No organisation has the ODS code {code}."})
    return organisation


class ApproveForm(NHSForm):
    employer_started_on = forms.DateField(
        label="When did they start with their current employer?",
        error_messages={"required": "Enter the date they started with their current employer"},
        help_text="As confirmed by their references. It goes on their record in the expert registry.",
        widget=DateInput,
    )
    employer_ods_code = forms.CharField(
        max_length=6,
        required=False,
        label="ODS code of the current employer (if it is a registered organisation)",
        help_text="So that a conflict of interest with it is found. For example RXX.",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-5", "spellcheck": "false"}),
    )
    interest_ods_code = forms.CharField(
        max_length=6,
        required=False,
        label="ODS code of the organisation their declared interests concern (if any)",
        help_text="The interests they declared are recorded against it in the registry, so that a conflict is found.",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-5", "spellcheck": "false"}),
    )
    interest_kind = forms.ChoiceField(
        choices=[("", "Choose the kind of interest"), *InterestKind.choices],
        required=False,
        label="Kind of interest",
    )
    note = forms.CharField(
        max_length=max_length_of(Application, "decision_reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Note for the record (optional)",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            data["employer_organisation"] = _organisation(data.get("employer_ods_code", ""), "employer_ods_code")
            data["interest_organisation"] = _organisation(data.get("interest_ods_code", ""), "interest_ods_code")
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field, messages)
        return data


class RejectForm(NHSForm):
    reason = forms.CharField(
        max_length=max_length_of(Application, "decision_reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Why is the application turned down?",
        help_text="Kept on record for the review team. The applicant is told they were not successful, "
        "without the reason.",
        error_messages={"required": "Give the reason for turning the application down."},
    )


class InvitationAcceptForm(NHSForm):
    password = forms.CharField(
        label="Choose a password",
        help_text="At least 12 characters. Avoid common words and your name.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    password_again = forms.CharField(
        label="Type the password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", "The two passwords are not the same.")
        return data
