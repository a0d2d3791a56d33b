"""Forms of the review cohort's pages. They parse input; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.form_errors import NHSForm
from accounts.limits import max_length_of
from reviews.models import Assignment, Expert, Specialty, Wave
from reviews.services.cohort import cohort_upload_max_bytes, default_second_review_share
from reviews.services.cohort_rows import nhs_number_normalise


class CohortForm(NHSForm):
    title = forms.CharField(max_length=200, label="Title", help_text="For example, Maternity deaths 2019 to 2024.")
    second_review_percent = forms.IntegerField(
        min_value=0,
        max_value=100,
        label="Share of patients who also get a second review, chosen at random (%)",
        error_messages={"required": "Enter the percentage of patients who get a second review"},
        help_text="Every patient whose care is rated poor or very poor gets a second review as well.",
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-3", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["second_review_percent"].initial = int(default_second_review_share() * 100)

    @property
    def share(self) -> Decimal:
        return Decimal(self.cleaned_data["second_review_percent"]) / 100


class WaveForm(NHSForm):
    criteria_version = forms.CharField(
        max_length=max_length_of(Wave, "criteria_version"),
        label="Version of the inclusion criteria",
        help_text="For example, v2, March 2026.",
    )
    inclusion_criteria = forms.CharField(
        max_length=max_length_of(Wave, "inclusion_criteria"),
        label="Inclusion criteria",
        help_text="Which patients this wave adds, as the criteria say.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class ImportForm(NHSForm):
    wave = forms.ModelChoiceField(queryset=Wave.objects.none(), label="Wave", empty_label=None)
    file = forms.FileField(label="CSV file")
    valid_rows_only = forms.BooleanField(
        required=False,
        label="Import only the valid rows",
        help_text="Without this, a file with any error imports nothing, so that you can correct it and upload it "
        "again.",
    )

    def __init__(self, *args: Any, waves: QuerySet[Wave], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["wave"].queryset = waves  # type: ignore[attr-defined]
        self.fields["wave"].initial = waves.order_by("-number").first()
        megabytes = cohort_upload_max_bytes() // (1024 * 1024)
        self.fields["file"].help_text = f"A .csv file saved as UTF-8, up to {megabytes} MB."


class ReassignForm(NHSForm):
    reviewer = forms.ModelChoiceField(
        queryset=Expert.objects.none(),
        required=False,
        label="New reviewer",
        empty_label="Choose for me: the least-loaded eligible reviewer",
    )
    reason = forms.CharField(
        max_length=max_length_of(Assignment, "end_reason"),
        label="Why is the review being given to someone else?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the review is being given to someone else"},
    )

    def __init__(self, *args: Any, reviewers: QuerySet[Expert], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers  # type: ignore[attr-defined]


class PatientFilterForm(NHSForm):
    specialty = forms.ModelChoiceField(
        queryset=Specialty.objects.none(), required=False, label="Specialty", empty_label="All specialties"
    )
    wave = forms.ModelChoiceField(queryset=Wave.objects.none(), required=False, label="Wave", empty_label="All waves")
    waiting = forms.BooleanField(required=False, label="Only patients waiting for a reviewer")

    def __init__(self, *args: Any, specialties: QuerySet[Specialty], waves: QuerySet[Wave], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["specialty"].queryset = specialties  # type: ignore[attr-defined]
        self.fields["wave"].queryset = waves  # type: ignore[attr-defined]


class FindPatientForm(NHSForm):
    """Finds a patient by NHS number. Sent by POST so that the number never appears in an address."""

    nhs_number = forms.CharField(
        max_length=20,
        label="NHS number",
        help_text="10 digits, for example 943 476 5919.",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10", "inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_nhs_number(self) -> str:
        number = nhs_number_normalise(self.cleaned_data["nhs_number"])
        if number is None:
            raise forms.ValidationError("Enter a valid 10-digit NHS number.")
        return number
