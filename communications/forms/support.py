"""Forms of the support directory: the public filter, and the staff forms for a service, its opening times and
its cases. They parse what was typed; the services check the rules and give the messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.form_errors import NHSForm
from accounts.models import Organisation, Region
from communications.models import SupportKind, Weekday
from communications.services.support import OpeningSpan
from failure_regime.forms import ActingForm
from failure_regime.models import Case


class SupportFilterForm(NHSForm):
    """The public directory's filter: by kind of support and by region."""

    kind = forms.ChoiceField(
        label="Kind of support", choices=[("", "Any kind of support"), *SupportKind.choices], required=False
    )
    region = forms.ChoiceField(
        label="Region",
        choices=[("", "Anywhere in England"), *Region.choices],
        required=False,
        help_text="Services for the whole country are shown in every region.",
    )


class StaffSupportFilterForm(SupportFilterForm):
    active = forms.ChoiceField(
        label="Offered",
        choices=[("", "Offered or not"), ("yes", "Still offered"), ("no", "No longer offered")],
        required=False,
    )


class SupportServiceForm(ActingForm):
    name = forms.CharField(label="Name of the service", required=False)
    kind = forms.ChoiceField(label="Kind of support", choices=SupportKind.choices, widget=forms.RadioSelect)
    run_by = forms.CharField(
        label="Who runs it (optional)", required=False, help_text="The charity or organisation that runs it."
    )
    description = forms.CharField(
        label="Who it is for and what it offers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="In plain English, as the public will read it.",
    )
    phone = forms.CharField(label="Phone number (optional)", required=False)
    textphone = forms.CharField(
        label="Textphone or Relay UK number (optional)", required=False, help_text="For people who are deaf."
    )
    website = forms.CharField(
        label="Website (optional)", required=False, help_text="The full address, like https://www.example.org"
    )
    email = forms.CharField(label="Email address (optional)", required=False)
    region = forms.ChoiceField(label="Region it covers", choices=Region.choices, initial=Region.NATIONAL)
    provider_ods_code = forms.CharField(
        label="Provider's ODS code (optional)",
        required=False,
        max_length=6,
        help_text="Only for a service of one provider, such as its patient advice and liaison service. "
        "For example, RDD.",
    )

    def clean_provider_ods_code(self) -> Organisation | None:
        code = self.cleaned_data["provider_ods_code"].strip().upper()
        if not code:
            return None
        provider = Organisation.objects.providers().filter(ods_code=code).first()
        if provider is None:
            raise forms.ValidationError("No provider of care has this ODS code")
        return provider

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data as the services take it."""
        data = dict(self.cleaned_data)
        data.pop("acting_for", None)
        data["provider"] = data.pop("provider_ods_code")
        return data


_SLOTS = ((1, "Opens", "Closes"), (2, "Opens again", "Closes again"))


class OpeningTimesForm(NHSForm):
    """A service's opening times: up to two spans each day (a break for lunch, say), or open 24 hours."""

    open_24_hours = forms.BooleanField(label="Open 24 hours a day, every day", required=False)
    opening_hours_note = forms.CharField(
        label="Anything else about opening times (optional)",
        required=False,
        max_length=300,
        help_text="For example: closed on bank holidays; calls are free from mobiles.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in Weekday:
            for slot, opens_label, closes_label in _SLOTS:
                for part, label in (("opens", opens_label), ("closes", closes_label)):
                    self.fields[f"{day.name.lower()}_{part}_{slot}"] = forms.TimeField(
                        label=label,
                        required=False,
                        input_formats=["%H:%M", "%H.%M", "%H:%M:%S"],
                        widget=forms.TimeInput(format="%H:%M", attrs={"class": "nhsuk-input--width-5"}),
                        error_messages={"invalid": "Enter a time on the 24-hour clock, like 09:00 or 17:30"},
                    )

    def days(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The fields grouped by day, for a fieldset each."""
        return [
            (
                day.label,
                [self[f"{day.name.lower()}_{part}_{slot}"] for slot, _, _ in _SLOTS for part in ("opens", "closes")],
            )
            for day in Weekday
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        spans: list[OpeningSpan] = []
        for day in Weekday:
            for slot, _, _ in _SLOTS:
                prefix = f"{day.name.lower()}_"
                opens, closes = data.get(f"{prefix}opens_{slot}"), data.get(f"{prefix}closes_{slot}")
                if opens is None and closes is None:
                    continue
                if opens is None:
                    self.add_error(f"{prefix}opens_{slot}", f"Enter the time it opens on {day.label}")
                elif closes is None:
                    self.add_error(f"{prefix}closes_{slot}", f"Enter the time it closes on {day.label}")
                else:
                    spans.append(OpeningSpan(weekday=day.value, opens=opens, closes=closes))
        data["spans"] = spans
        return data

    @classmethod
    def initial_for(cls, service: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "open_24_hours": service.open_24_hours,
            "opening_hours_note": service.opening_hours_note,
        }
        seen: dict[int, int] = {}
        for span in service.opening_times.all():
            slot = seen[span.weekday] = seen.get(span.weekday, 0) + 1
            if slot <= len(_SLOTS):
                day = Weekday(span.weekday).name.lower()
                initial[f"{day}_opens_{slot}"], initial[f"{day}_closes_{slot}"] = span.opens, span.closes
        return initial


class CaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Case) -> str:
        return f"{obj.reference}: {obj.title} ({obj.provider.name})"


class LinkCaseForm(NHSForm):
    case = CaseChoiceField(
        label="Case",
        queryset=Case.objects.none(),
        empty_label="Choose a case",
        error_messages={"required": "Choose a case", "invalid_choice": "Choose one of the cases listed"},
    )

    def __init__(self, *args: Any, cases: QuerySet[Case], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases  # type: ignore[attr-defined]
