"""The filter of the public list of providers."""

from __future__ import annotations

from django import forms

from communications.forms.register import REGIONS


class ProviderListFilter(forms.Form):
    """The region to show. Any value not on the list is a form error, shown on the page, never a database query."""

    region = forms.ChoiceField(choices=[("", "Any region"), *REGIONS], required=False, label="Region")
