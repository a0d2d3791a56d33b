"""Forms of the interventions register. The rules live in ``failure_regime.services.interventions``; these only
collect the answers, offering each person the kinds of intervention they may record."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.form_errors import NHSForm
from accounts.limits import max_length_of
from accounts.models import Organisation, User
from failure_regime.forms import DateInput
from failure_regime.models import LICENSING_KINDS, Intervention, InterventionKind, InterventionStatus
from failure_regime.services.interventions import HAND_OVER_NOTE_LIMIT

LICENSING_REFUSAL = (
    "Licence conditions and undertakings are recorded only by an oversight lead of the provider's oversight body."
)
OTHER_KINDS_REFUSAL = "Only those who decide this provider's special measures record this kind of intervention."


class InterventionForm(NHSForm):
    kind = forms.ChoiceField(choices=InterventionKind.choices, label="Kind of intervention")
    title = forms.CharField(
        max_length=200,
        required=False,
        label="Title",
        help_text="For example, 'Board chair replaced'. Improvement directors may leave this blank.",
    )
    description = forms.CharField(
        max_length=max_length_of(Intervention, "description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Description",
    )
    person_name = forms.CharField(max_length=150, required=False, label="Improvement director's name")
    person_organisation = forms.CharField(max_length=200, required=False, label="Improvement director's organisation")
    partner = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label="Partner organisation",
        empty_label="None",
        help_text="Partner or buddy trust agreements only.",
    )
    starts_on = forms.DateField(label="From", widget=DateInput, error_messages={"required": "Enter the date it starts"})
    ends_on = forms.DateField(label="To (if known)", required=False, widget=DateInput)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label="Owner", empty_label=None)
    review_on = forms.DateField(label="Review by", widget=DateInput)
    status = forms.ChoiceField(
        choices=[(s, s.label) for s in (InterventionStatus.PLANNED, InterventionStatus.IN_PLACE)],
        initial=InterventionStatus.IN_PLACE,
        widget=forms.RadioSelect,
        label="Status",
    )

    def __init__(
        self,
        *args: Any,
        kinds: list[str],
        owners: QuerySet[User],
        partners: QuerySet[Organisation],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_kinds = set(kinds)
        self.fields["kind"].choices = [(k, InterventionKind(k).label) for k in kinds]  # type: ignore[attr-defined]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["partner"].queryset = partners  # type: ignore[attr-defined]

    def full_clean(self) -> None:
        # A kind the person may not record is refused with the reason, not as an unknown choice.
        kind = self.data.get(self.add_prefix("kind")) if self.is_bound else None
        if kind in InterventionKind.values and kind not in self.allowed_kinds:
            self.fields["kind"].choices = [  # type: ignore[attr-defined]
                *self.fields["kind"].choices,  # type: ignore[attr-defined]
                (kind, InterventionKind(kind).label),
            ]
            super().full_clean()
            self.add_error("kind", LICENSING_REFUSAL if kind in LICENSING_KINDS else OTHER_KINDS_REFUSAL)
            return
        super().full_clean()


class ReviewForm(NHSForm):
    status = forms.ChoiceField(choices=(), widget=forms.RadioSelect, label="Status now")
    review_on = forms.DateField(label="Next review by", widget=DateInput)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="What the review found")

    def __init__(self, *args: Any, statuses: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s, InterventionStatus(s).label) for s in statuses]  # type: ignore[attr-defined]


class HandOverForm(NHSForm):
    person_name = forms.CharField(max_length=150, label="New improvement director's name")
    person_organisation = forms.CharField(max_length=200, label="Their organisation")
    on = forms.DateField(label="Hand-over date", widget=DateInput)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label="Owner", empty_label=None)
    review_on = forms.DateField(label="Review by", widget=DateInput)
    note = forms.CharField(
        max_length=HAND_OVER_NOTE_LIMIT, widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Note"
    )

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]


class EndForm(NHSForm):
    ended_on = forms.DateField(
        label="Ended on", widget=DateInput, error_messages={"required": "Enter the date it ended"}
    )
    reason = forms.CharField(
        max_length=max_length_of(Intervention, "end_reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why it ended",
    )
