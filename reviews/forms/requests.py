"""Forms of the review chair's decisions on review requests. The services check the rules and give the messages."""

from __future__ import annotations

from django import forms

from accounts.form_errors import NHSForm
from accounts.limits import max_length_of
from reviews.models import ReviewRequest


class DeclineForm(NHSForm):
    prefix = "decline"
    reason = forms.CharField(
        max_length=max_length_of(ReviewRequest, "decline_reason"),
        label="Why is the request declined?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The family liaison officer tells the family this, in these words or their own.",
    )


class OutcomeForm(NHSForm):
    prefix = "outcome"
    outcome = forms.CharField(
        max_length=max_length_of(ReviewRequest, "outcome"),
        label="What was the outcome of the review?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="The family liaison officer tells the family. Do not include names, NHS numbers or dates of birth.",
    )
