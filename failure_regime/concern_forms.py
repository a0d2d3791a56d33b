"""Forms for a provider's report of a concern about itself, and for the steps of a concern's handling after it is
recorded: assessment, outcome and closing."""

from __future__ import annotations

from django import forms

from failure_regime.forms import ActingForm, ConcernForm
from failure_regime.models import ConcernOutcome
from failure_regime.services.concern_steps import REASONS_MAX, REFERRED_TO_MAX


def _reasons(label: str, hint: str) -> forms.CharField:
    return forms.CharField(
        max_length=REASONS_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=label,
        help_text=hint,
        error_messages={"required": "Enter the reasons"},
    )


class ConcernAssessForm(ActingForm):
    reasons = _reasons(
        "What did the assessment find?",
        "What was looked at, what it showed, and whether it meets the criteria for a single failure response.",
    )


class ConcernOutcomeForm(ActingForm):
    outcome = forms.ChoiceField(
        choices=ConcernOutcome.choices,
        widget=forms.RadioSelect,
        label="What happens next?",
        error_messages={"required": "Choose what happens next"},
    )
    referred_to = forms.CharField(
        max_length=REFERRED_TO_MAX,
        required=False,
        label="Body it is referred to",
        help_text="Only for a referral. For example, the General Medical Council.",
    )
    reasons = _reasons("Why this outcome?", "This is kept with the concern and shown to everyone who can see it.")


class ConcernCloseForm(ActingForm):
    reasons = _reasons("Why can the concern close?", "For example, what the monitoring showed.")


class OwnReportForm(ActingForm):
    """A provider's report of a concern about itself: the view offers, as ``acting``, the providers where the person
    is a manager or sign-off officer (``permissions.own_report_choices``)."""

    severity = ConcernForm.declared_fields["severity"]
    summary = ConcernForm.declared_fields["summary"]
    evidence = ConcernForm.declared_fields["evidence"]
