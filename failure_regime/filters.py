"""FilterSets shared by the regime's staff list pages and its API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Organisation, Region
from failure_regime.models import (
    Case,
    CaseParty,
    CaseStatus,
    Concern,
    ConcernOutcome,
    ConcernSource,
    ConcernStatus,
    EnforcementAction,
    EnforcementKind,
    EnforcementOutcome,
    Episode,
    EpisodeStatus,
    Inspection,
    Rating,
    Recommendation,
    RecommendationStatus,
    Severity,
)


def _provider_filter() -> django_filters.CharFilter:
    return django_filters.CharFilter(
        label="Provider (name or ODS code)",
        method="filter_provider",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-20"}),
    )


class ProviderSearchMixin:
    def filter_provider(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(Q(provider__ods_code__iexact=value) | Q(provider__name__icontains=value))


class ConcernFilter(ProviderSearchMixin, django_filters.FilterSet):
    provider = _provider_filter()
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any severity")
    status = django_filters.ChoiceFilter(choices=ConcernStatus.choices, empty_label="Any status")
    outcome = django_filters.ChoiceFilter(choices=ConcernOutcome.choices, empty_label="Any outcome")
    source = django_filters.ChoiceFilter(choices=ConcernSource.choices, empty_label="Any source")

    class Meta:
        model = Concern
        fields = ["provider", "severity", "status", "outcome", "source"]


class CaseFilter(ProviderSearchMixin, django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, empty_label="Any status")
    provider = _provider_filter()
    region = django_filters.ChoiceFilter(
        field_name="provider__region", choices=Region.choices, label="Region", empty_label="Any region"
    )
    party = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.all(), label="Party", empty_label="Any party", method="filter_party"
    )
    overdue = django_filters.BooleanFilter(
        field_name="is_overdue", label="Overdue deadlines only", widget=forms.CheckboxInput
    )

    class Meta:
        model = Case
        fields = ["status", "provider", "region", "party", "overdue"]

    def __init__(self, *args, parties: QuerySet[Organisation] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if parties is not None:
            self.filters["party"].queryset = parties

    def filter_party(self, queryset: QuerySet[Case], name: str, value: Organisation) -> QuerySet[Case]:
        # A subquery rather than a join, so each case comes once without DISTINCT (which sorts every case).
        return queryset.filter(Exists(CaseParty.objects.filter(case=OuterRef("pk"), organisation=value)))

    def filter_queryset(self, queryset: QuerySet[Case]) -> QuerySet[Case]:
        overdue = self.form.cleaned_data.get("overdue")
        if not overdue:
            self.form.cleaned_data["overdue"] = None  # an unticked box means "all", not "not overdue"
        return super().filter_queryset(queryset)


class EnforcementFilter(ProviderSearchMixin, django_filters.FilterSet):
    provider = _provider_filter()
    kind = django_filters.ChoiceFilter(choices=EnforcementKind.choices, empty_label="Any kind")
    outcome = django_filters.ChoiceFilter(choices=EnforcementOutcome.choices, empty_label="Any outcome")

    class Meta:
        model = EnforcementAction
        fields = ["provider", "kind", "outcome"]


class EpisodeFilter(ProviderSearchMixin, django_filters.FilterSet):
    provider = _provider_filter()
    status = django_filters.ChoiceFilter(choices=EpisodeStatus.choices, empty_label="Any status")
    region = django_filters.ChoiceFilter(
        field_name="provider__region", choices=Region.choices, label="Region", empty_label="Any region"
    )
    overdue_reports = django_filters.BooleanFilter(
        method="filter_overdue", label="Overdue reports only", widget=forms.CheckboxInput
    )

    class Meta:
        model = Episode
        fields = ["provider", "status", "region", "overdue_reports"]

    def filter_overdue(self, queryset: QuerySet[Episode], name: str, value: bool) -> QuerySet[Episode]:
        return queryset.filter(overdue_reports__gt=0) if value else queryset  # type: ignore[misc]


class InspectionFilter(ProviderSearchMixin, django_filters.FilterSet):
    provider = _provider_filter()
    overall = django_filters.ChoiceFilter(choices=Rating.choices, label="Overall rating", empty_label="Any rating")
    published = django_filters.BooleanFilter(
        field_name="published_on",
        lookup_expr="isnull",
        exclude=True,
        label="Published only",
        widget=forms.CheckboxInput,
    )
    carried_out_after = django_filters.DateFilter(field_name="carried_out_on", lookup_expr="gte")
    carried_out_before = django_filters.DateFilter(field_name="carried_out_on", lookup_expr="lte")

    class Meta:
        model = Inspection
        fields = ["provider", "overall", "published", "carried_out_after", "carried_out_before"]

    def filter_queryset(self, queryset: QuerySet[Inspection]) -> QuerySet[Inspection]:
        if not self.data.get("published"):
            self.form.cleaned_data["published"] = None  # an unticked box means "all"; the API's "false", unpublished
        return super().filter_queryset(queryset)


class RecommendationFilter(ProviderSearchMixin, django_filters.FilterSet):
    provider = _provider_filter()
    status = django_filters.ChoiceFilter(choices=RecommendationStatus.choices, empty_label="Any status")
    region = django_filters.ChoiceFilter(
        field_name="provider__region", choices=Region.choices, label="Region", empty_label="Any region"
    )

    class Meta:
        model = Recommendation
        fields = ["provider", "status", "region"]
