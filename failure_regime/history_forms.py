"""Forms for recording past episodes of special measures, one at a time or from a CSV file."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.models import Organisation
from failure_regime.forms import DateInput, DecidingForm
from failure_regime.models import Basis
from failure_regime.services.episode_history import CSV_COLUMNS, OUTCOMES


class HistoricEpisodeForm(DecidingForm):
    provider = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label="Provider", empty_label="Choose a provider"
    )
    entered_on = forms.DateField(label="Date it entered special measures", widget=DateInput)
    basis = forms.ChoiceField(choices=Basis.choices, widget=forms.RadioSelect, label="Basis of the decision")
    outcome = forms.ChoiceField(
        choices=[(o.value, o.label) for o in OUTCOMES], widget=forms.RadioSelect, label="How it ended"
    )
    ended_on = forms.DateField(
        label="Date it ended", widget=DateInput, help_text="The day it left, or its registration was cancelled."
    )
    reinspected_on = forms.CharField(
        required=False,
        label="Re-inspection dates",
        help_text="Each as DD/MM/YYYY, separated by commas. For example, 09/07/2014, 02/02/2015.",
    )
    reinspection_due_on = forms.DateField(
        required=False,
        label="Re-inspection was due by",
        widget=DateInput,
        help_text="Leave empty to work it out from the rules in force at entry.",
    )
    extended_until = forms.DateField(required=False, label="Special measures were extended until", widget=DateInput)

    def __init__(self, *args: Any, providers: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]

    def clean_reinspected_on(self) -> list[date]:
        days = []
        for part in filter(None, (p.strip() for p in self.cleaned_data["reinspected_on"].replace(";", ",").split(","))):
            try:
                days.append(datetime.strptime(part, "%d/%m/%Y").date())  # noqa: DTZ007 - a calendar date
            except ValueError as error:
                raise forms.ValidationError(f"{part} is not a date written as DD/MM/YYYY.") from error
        return days


class HistoryImportForm(DecidingForm):
    file = forms.FileField(
        label="CSV file",
        help_text="A header row with the columns " + ", ".join(CSV_COLUMNS) + ". Dates as YYYY-MM-DD or DD/MM/YYYY; "
        "several re-inspection dates separated by ';'.",
    )
    only_valid = forms.BooleanField(
        required=False,
        label="Import the valid rows even if others have errors",
        help_text="Otherwise nothing is imported until every row is valid.",
    )
