"""Forms of notices: the text of a version, the workflow actions, and the FilterSets that the staff list, the
public list and the public API share. Forms parse input; the services decide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from accounts.form_errors import NHSForm
from accounts.limits import max_length_of
from accounts.models import Organisation, Region
from communications.models import PUBLIC_NOTICE_KINDS, Notice, NoticeKind, NoticeStatus, NoticeVersion
from communications.selectors.search import notices_matching
from communications.services.notices import NoticeText
from failure_regime.forms import ActingForm

MARKDOWN_HINT = "You can use Markdown: see “How to format the text” above."


class NoticeForm(ActingForm):
    """The words of a version. ``kind`` shows only for a new notice, ``families_first`` only before the first
    publication, and ``correction_note`` only for a correction."""

    kind = forms.ChoiceField(
        choices=NoticeKind.choices,
        widget=forms.RadioSelect,
        label="What kind of notice is this?",
        error_messages={"required": "Choose what kind of notice this is"},
    )
    title = forms.CharField(max_length=200, label="Title")
    summary = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Summary",
        help_text="One or two sentences in plain English. It appears in lists, the feed and open data.",
    )
    body_markdown = forms.CharField(
        max_length=max_length_of(NoticeVersion, "body_markdown"),
        widget=forms.Textarea(attrs={"rows": 10}),
        label="What happened",
        help_text="For guidance, the guidance itself. " + MARKDOWN_HINT,
    )
    what_is_being_done_markdown = forms.CharField(
        max_length=max_length_of(NoticeVersion, "what_is_being_done_markdown"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="What is being done",
        help_text=MARKDOWN_HINT,
    )
    what_happens_next_markdown = forms.CharField(
        max_length=max_length_of(NoticeVersion, "what_happens_next_markdown"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What happens next",
        help_text="What happens next and when, in a few sentences. Every notice except guidance needs this before "
        "it is sent for approval. " + MARKDOWN_HINT,
    )
    next_update_on = forms.DateField(
        required=False,
        label="Next update (optional)",
        help_text="The date by which you will publish an update. The public sees it. For example, 2027-01-15",
        widget=forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"}),
    )
    who_leads_markdown = forms.CharField(
        max_length=max_length_of(NoticeVersion, "who_leads_markdown"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Who leads the response",
        help_text="By role and organisation. Do not name people who have not agreed to be named. " + MARKDOWN_HINT,
    )
    correction_note = forms.CharField(
        max_length=max_length_of(NoticeVersion, "correction_note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What changed and why",
        help_text="The public sees this note on the notice.",
    )
    families_first = forms.BooleanField(
        required=False,
        label="Tell families first",
        help_text="Families who have written to us about this case are e-mailed before the notice is published.",
    )

    def __init__(
        self,
        *args: Any,
        new: bool = False,
        correction: bool = False,
        unpublished: bool = True,
        acting: Sequence[Organisation] = (),
        **kwargs: Any,
    ):
        super().__init__(*args, acting=acting, **kwargs)
        if not new:
            del self.fields["kind"]
        if not correction:
            del self.fields["correction_note"]
        if not unpublished:
            del self.fields["families_first"]

    def text(self) -> NoticeText:
        data = self.cleaned_data
        return NoticeText(
            title=data["title"],
            summary=data["summary"],
            body_markdown=data["body_markdown"],
            what_is_being_done_markdown=data.get("what_is_being_done_markdown", ""),
            who_leads_markdown=data.get("who_leads_markdown", ""),
            correction_note=data.get("correction_note", ""),
            what_happens_next_markdown=data.get("what_happens_next_markdown", ""),
            next_update_on=data.get("next_update_on"),
        )


class ReasonForm(NHSForm):
    # Why a version is returned, or why a notice is withdrawn: both fields have the same limit.
    reason = forms.CharField(
        max_length=max_length_of(NoticeVersion, "return_reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason",
    )

    def __init__(
        self, *args: Any, label: str = "Reason", help_text: str = "", message: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].help_text = help_text
        if message:  # what to say when it is left empty, where the label is a question
            self.fields["reason"].error_messages["required"] = message


class ApproveForm(NHSForm):
    """Approval needs no input, unless the approver could approve for more than one organisation."""

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.RadioSelect,
        label="Which organisation do you approve for?",
    )

    def __init__(self, *args: Any, organisations: list[Organisation] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = organisations or []
        if len(choices) > 1:
            field = self.fields["organisation"]
            field.queryset = Organisation.objects.filter(pk__in=[o.pk for o in choices])  # type: ignore[attr-defined]
            field.required = True
        else:
            del self.fields["organisation"]


class PublishForm(NHSForm):
    WHEN = [("now", "Publish now"), ("later", "Schedule it: the public sees nothing until then")]

    when = forms.ChoiceField(
        choices=WHEN,
        widget=forms.RadioSelect,
        label="When should it be published?",
        error_messages={"required": "Choose when it should be published"},
    )
    publish_at = forms.DateTimeField(
        required=False,
        label="Date and time (UK time)",
        help_text="For example, 2026-03-05 09:30",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "nhsuk-input--width-20"}),
    )

    def __init__(self, *args: Any, can_schedule: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_schedule:
            del self.fields["when"]
            del self.fields["publish_at"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == "later" and not data.get("publish_at"):
            self.add_error("publish_at", "Enter the date and time to publish it.")
        if data.get("when") != "later":
            data["publish_at"] = None
        return data


# --- Lists ------------------------------------------------------------------------------------------


def _search_filter(label: str) -> django_filters.CharFilter:
    return django_filters.CharFilter(
        label=label, method="filter_search", widget=forms.TextInput(attrs={"class": "nhsuk-input--width-30"})
    )


class _ProviderSearch:
    def filter_provider(self, queryset: QuerySet[Notice], name: str, value: str) -> QuerySet[Notice]:
        value = value.strip()
        return queryset.filter(Q(provider__ods_code__iexact=value) | Q(provider__name__icontains=value))


class PublicNoticeFilter(_ProviderSearch, django_filters.FilterSet):
    """The public list's search and filters, shared by the page and the public API."""

    q = _search_filter("Search notices")
    provider = django_filters.CharFilter(
        label="Hospital, GP practice or care home (name or code)",
        method="filter_provider",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-20"}),
    )
    region = django_filters.ChoiceFilter(
        field_name="provider__region",
        choices=[c for c in Region.choices if c[0] != Region.NATIONAL],
        label="Region",
        empty_label="Any region",
    )
    kind = django_filters.ChoiceFilter(
        choices=list(PUBLIC_NOTICE_KINDS.items()), label="Kind of notice", empty_label="Any kind"
    )

    class Meta:
        model = Notice
        fields = ["q", "provider", "region", "kind"]

    def filter_search(self, queryset: QuerySet[Notice], name: str, value: str) -> QuerySet[Notice]:
        return notices_matching(queryset, text=value)


class StaffNoticeFilter(_ProviderSearch, django_filters.FilterSet):
    """The staff list's filters: every notice of the cases the user may see, in any state."""

    q = _search_filter("Title or case reference")
    status = django_filters.ChoiceFilter(choices=NoticeStatus.choices, label="Status", empty_label="Any status")
    kind = django_filters.ChoiceFilter(choices=NoticeKind.choices, label="Kind of notice", empty_label="Any kind")
    provider = django_filters.CharFilter(
        label="Provider (name or ODS code)",
        method="filter_provider",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-20"}),
    )

    class Meta:
        model = Notice
        fields = ["q", "status", "kind", "provider"]

    def filter_search(self, queryset: QuerySet[Notice], name: str, value: str) -> QuerySet[Notice]:
        value = value.strip()
        titled = Notice.objects.filter(versions__title__icontains=value).values("pk")
        return queryset.filter(Q(pk__in=titled) | Q(case__reference__iexact=value))
