"""Forms of structured judgement reviews and the findings summary. They parse input; the services in
``reviews.services.judgement`` decide what is complete enough to submit or fit to publish."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.form_errors import NHSForm
from accounts.limits import max_length_of
from reviews.models import (
    AVOIDABILITY_DIRECTION,
    AVOIDABILITY_SCALE,
    Avoidability,
    CareRating,
    FindingsSummary,
    Phase,
    ProblemType,
    StructuredJudgement,
)
from reviews.selectors.judgement import RATED_LABELS
from reviews.services.judgement import EDITABLE_FIELDS

NOT_APPLICABLE = ("", "Not applicable: this phase did not happen")


def _rating(label: str, *, optional_phase: bool) -> forms.TypedChoiceField:
    choices = [*([NOT_APPLICABLE] if optional_phase else []), *CareRating.choices]
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


def _narrative(field: str, label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length_of(StructuredJudgement, field),
        widget=forms.Textarea(attrs={"rows": 5}),
        strip=True,
    )


class JudgementForm(NHSForm):
    """The structured judgement review: each phase of care and the overall care rated 1 (very poor) to
    5 (excellent) with notes, problem types, avoidability on the 1 to 6 scale, and any safety concern.
    Everything is optional while it is a draft; submitting checks that it is complete."""

    def __init__(self, *args: Any, is_death: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for phase, label in Phase.choices:
            self.fields[f"{phase}_rating"] = _rating(f"Rating of {str(label).lower()}", optional_phase=True)
            self.fields[f"{phase}_narrative"] = _narrative(f"{phase}_narrative", f"Your notes on {str(label).lower()}")
        self.fields["overall_rating"] = _rating("Rating of the overall care", optional_phase=False)
        self.fields["overall_narrative"] = _narrative("overall_narrative", "Your notes on the overall care")
        self.fields["problem_types"] = forms.MultipleChoiceField(
            label="Problems in care",
            help_text="Select all the kinds of problem you found. Leave them all unticked if you found none.",
            choices=ProblemType.choices,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        outcome = "death" if is_death else "harm"
        self.fields["avoidability"] = forms.TypedChoiceField(
            label=f"How avoidable was the {outcome}?",
            help_text=f"Scale: {AVOIDABILITY_SCALE}. {AVOIDABILITY_DIRECTION}. The scale and its direction are "
            "stored with your score.",
            choices=Avoidability.choices,
            coerce=int,
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
        )
        self.fields["safety_concern"] = forms.BooleanField(
            label="I have a safety concern that needs action now",
            help_text="The case's investigation lead is told by e-mail as soon as you save or submit this review.",
            required=False,
        )
        self.fields["safety_concern_detail"] = _narrative("safety_concern_detail", "Describe the safety concern")

    def phase_fields(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """(heading, rating, notes) for each phase and the overall care, in order."""
        keys = [*Phase.values, "overall"]
        return [(RATED_LABELS[key], self[f"{key}_rating"], self[f"{key}_narrative"]) for key in keys]

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in EDITABLE_FIELDS}


class SummaryForm(NHSForm):
    title = forms.CharField(label="Title", max_length=max_length_of(FindingsSummary, "title"))
    body = forms.CharField(
        label="Summary for the public",
        help_text="Counts and conclusions in plain English. Do not name or describe a patient, and do not say "
        "which reviewer judged what.",
        max_length=max_length_of(FindingsSummary, "body"),
        widget=forms.Textarea(attrs={"rows": 10}),
    )
