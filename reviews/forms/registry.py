"""Forms of the expert registry, candidate search, appointments and waivers. They parse and check input; the
services in ``reviews.services.registry`` make the decisions. ``ExpertFilter`` serves both the registry page and
the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from accounts.form_errors import NHSForm
from accounts.limits import max_length_of
from accounts.models import Organisation, User
from failure_regime.forms import ActingForm
from reviews.models import (
    Appointment,
    AppointmentRole,
    ConflictWaiver,
    DeclaredInterest,
    Expert,
    InterestKind,
    Regulator,
    Seniority,
    Specialty,
    TrainingKind,
)


class DateInput(forms.DateInput):
    input_type = "date"


DATE_HINT = "For example, 27 March 2026 is written 2026-03-27."


class OrganisationCodeField(forms.CharField):
    """An organisation named by its ODS code; there are too many to offer in a list."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 6)
        kwargs.setdefault("widget", forms.TextInput(attrs={"class": "nhsuk-input--width-10", "spellcheck": "false"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Organisation | None:
        code = str(super().clean(value) or "").strip().upper()
        if not code:
            return None
        organisation = Organisation.objects.filter(ods_code=code).first()
        if organisation is None:
            raise ValidationError("No organisation has this ODS code. Check it and try again.")
        return organisation


def _specialty_names(data: dict[str, Any]) -> list[str]:
    """The chosen specialties plus any new ones typed in, separated by commas."""
    chosen = [s.name for s in data.get("specialties") or []]
    typed = [name.strip() for name in (data.get("other_specialties") or "").split(",")]
    return [*chosen, *(name for name in typed if name)]


class SpecialtiesMixin(ActingForm):
    specialties = forms.ModelMultipleChoiceField(
        queryset=Specialty.objects.all(), required=False, widget=forms.CheckboxSelectMultiple, label="Specialties"
    )
    other_specialties = forms.CharField(
        max_length=500,
        required=False,
        label="Other specialties",
        help_text="Optional. Any specialty not listed above; separate several with commas.",
    )

    def specialty_names(self) -> list[str]:
        return _specialty_names(self.cleaned_data)


class ExpertForm(SpecialtiesMixin):
    name = forms.CharField(max_length=150, label="Full name")
    profession = forms.CharField(max_length=100, label="Profession", help_text="For example, obstetrician or midwife.")
    regulator = forms.ChoiceField(choices=Regulator.choices, widget=forms.RadioSelect, label="Professional regulator")
    registration_number = forms.CharField(
        max_length=20,
        required=False,
        label="Registration number",
        help_text="GMC: 7 digits. NMC: 2 digits, a letter, 4 digits and a letter. HCPC: 2 letters then digits.",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10", "spellcheck": "false"}),
    )
    seniority = forms.TypedChoiceField(
        choices=Seniority.choices, coerce=int, widget=forms.RadioSelect, label="Seniority"
    )
    capacity_per_week = forms.IntegerField(
        min_value=0,
        max_value=1000,
        label="Cases per week",
        help_text="How many cases the expert can review each week.",
        error_messages={"required": "Enter how many cases the expert can review each week"},
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4"}),
    )
    available = forms.BooleanField(required=False, initial=True, label="Available for new work")
    account_email = forms.EmailField(
        required=False,
        label="Their account's e-mail address",
        help_text="Optional. Link the expert's account, if they have one, so that they can keep their own record.",
    )

    field_order = [
        "name",
        "profession",
        "regulator",
        "registration_number",
        "specialties",
        "other_specialties",
        "seniority",
        "capacity_per_week",
        "available",
        "account_email",
    ]

    def clean_account_email(self) -> User | None:
        email = self.cleaned_data.get("account_email") or ""
        if not email:
            return None
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise ValidationError("No account has this e-mail address.")
        return user


class AvailabilityForm(ActingForm):
    """What an expert may change on their own record."""

    capacity_per_week = forms.IntegerField(
        min_value=0,
        max_value=1000,
        label="Cases per week",
        help_text="How many cases can be given each week.",
        error_messages={"required": "Enter how many cases can be given each week"},
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4"}),
    )
    available = forms.BooleanField(required=False, label="Available for new work")


class ExpertUpdateForm(SpecialtiesMixin, AvailabilityForm):
    """What those who keep the registry may change; the registration itself is fixed once recorded."""

    profession = forms.CharField(max_length=100, label="Profession")
    seniority = forms.TypedChoiceField(
        choices=Seniority.choices, coerce=int, widget=forms.RadioSelect, label="Seniority"
    )

    field_order = ["profession", "specialties", "other_specialties", "seniority", "capacity_per_week", "available"]


class EmploymentForm(ActingForm):
    employer_name = forms.CharField(
        max_length=200,
        required=False,
        label="Employer",
        help_text="Leave empty to use the registered name of the organisation below.",
    )
    organisation = OrganisationCodeField(
        required=False,
        label="Employer's ODS code",
        help_text="Needed to find conflicts of interest when the employer is an NHS organisation, for example RDD.",
    )
    started_on = forms.DateField(label="Start date", help_text=DATE_HINT, widget=DateInput)
    ended_on = forms.DateField(
        required=False, label="End date", help_text="Leave empty if the post continues.", widget=DateInput
    )


class InterestForm(ActingForm):
    organisation = OrganisationCodeField(label="ODS code of the organisation", help_text="For example, RDD.")
    kind = forms.ChoiceField(choices=InterestKind.choices, widget=forms.RadioSelect, label="Kind of interest")
    description = forms.CharField(
        max_length=max_length_of(DeclaredInterest, "description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Describe the interest",
    )
    declared_on = forms.DateField(
        required=False, label="Date declared", help_text="Leave empty for today.", widget=DateInput
    )

    def clean_organisation(self) -> Organisation:
        organisation = self.cleaned_data.get("organisation")
        if organisation is None:
            raise ValidationError("Enter the ODS code of the organisation.")
        return organisation


class TrainingForm(ActingForm):
    kind = forms.ChoiceField(choices=TrainingKind.choices, widget=forms.RadioSelect, label="Training")
    completed_on = forms.DateField(label="Date completed", help_text=DATE_HINT, widget=DateInput)


class ConflictCheckForm(NHSForm):
    provider = OrganisationCodeField(
        label="Provider's ODS code", help_text="Shows this expert's conflicts of interest with the provider."
    )

    def clean_provider(self) -> Organisation:
        provider = self.cleaned_data.get("provider")
        if provider is None:
            raise ValidationError("Enter the provider's ODS code.")
        return provider


class ExpertFilter(django_filters.FilterSet):
    """Filters of the registry, shared by its page and the API."""

    name = django_filters.CharFilter(
        label="Name", method="filter_name", widget=forms.TextInput(attrs={"class": "nhsuk-input--width-20"})
    )
    specialty = django_filters.ModelChoiceFilter(
        field_name="specialties", queryset=Specialty.objects.all(), label="Specialty", empty_label="Any specialty"
    )
    min_seniority = django_filters.ChoiceFilter(
        field_name="seniority",
        lookup_expr="gte",
        choices=Seniority.choices,
        label="At least this senior",
        empty_label="Any seniority",
    )
    available = django_filters.BooleanFilter(
        field_name="available", label="Available experts only", widget=forms.CheckboxInput
    )

    class Meta:
        model = Expert
        fields = ["name", "specialty", "min_seniority", "available"]

    def filter_name(self, queryset: QuerySet[Expert], name: str, value: str) -> QuerySet[Expert]:
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(profession__icontains=value)) if value else queryset

    def filter_queryset(self, queryset: QuerySet[Expert]) -> QuerySet[Expert]:
        if not self.form.cleaned_data.get("available"):
            self.form.cleaned_data["available"] = None  # an unticked box means "everyone", not "unavailable only"
        return super().filter_queryset(queryset).distinct()


class CandidateSearchForm(NHSForm):
    specialty = forms.ModelChoiceField(
        queryset=Specialty.objects.all(), required=False, label="Specialty", empty_label="Any specialty"
    )
    min_seniority = forms.TypedChoiceField(
        choices=[("", "Any seniority"), *Seniority.choices],
        coerce=int,
        empty_value=None,
        required=False,
        label="At least this senior",
    )


class AppointmentForm(ActingForm):
    role = forms.ChoiceField(choices=AppointmentRole.choices, widget=forms.RadioSelect, label="Role")
    signed = forms.BooleanField(
        label="The expert has signed this declaration",
        help_text="Keep the signed copy with the case's records.",
        error_messages={"required": "Confirm that the expert has signed the declaration."},
    )


class WaiverForm(ActingForm):
    rationale = forms.CharField(
        max_length=max_length_of(ConflictWaiver, "rationale"),
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Why may this expert act despite the conflict?",
        error_messages={"required": "Enter why this expert may act despite the conflict"},
        help_text="This is recorded with the conflicts it covers, and shown to everyone who can see the case.",
    )


class EndAppointmentForm(ActingForm):
    reason = forms.CharField(
        max_length=max_length_of(Appointment, "end_reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Why does the appointment end?",
        error_messages={"required": "Enter why the appointment ends"},
    )
