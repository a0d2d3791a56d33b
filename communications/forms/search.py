"""The public site's search box."""

from __future__ import annotations

from django import forms

from accounts.form_errors import NHSForm
from communications.selectors.search import MAX_TEXT, search_words

HINT = "For example, the name of a hospital, GP practice or care home, or a word like maternity"


class SearchInput(forms.TextInput):
    input_type = "search"


class SiteSearchForm(NHSForm):
    """What to search for. Anything that is not a search (nothing, only punctuation, too much) is a form error that
    says what to do, never a query."""

    q = forms.CharField(
        label="Search this site",
        help_text=HINT,
        max_length=MAX_TEXT,
        widget=SearchInput,
        error_messages={
            "required": "Enter what you are looking for, like the name of a hospital",
            "null_characters_not_allowed": "Enter only letters, numbers and spaces",
        },
    )

    def clean_q(self) -> str:
        text: str = self.cleaned_data["q"]
        if not search_words(text):
            raise forms.ValidationError(
                "Enter words made of letters or numbers, like the name of a hospital or a word like maternity"
            )
        return text
