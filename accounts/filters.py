"""FilterSets shared by the staff list pages and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from accounts.models import Organisation, OrganisationKind, Region


class OrganisationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Name or ODS code", method="search", widget=forms.TextInput(attrs={"class": "nhsuk-input--width-20"})
    )
    kind = django_filters.ChoiceFilter(label="Kind", choices=OrganisationKind.choices, empty_label="Any kind")
    region = django_filters.ChoiceFilter(label="Region", choices=Region.choices, empty_label="Any region")

    class Meta:
        model = Organisation
        fields = ["q", "kind", "region"]

    def search(self, queryset: QuerySet[Organisation], name: str, value: str) -> QuerySet[Organisation]:
        return queryset.filter(Q(name__icontains=value) | Q(ods_code__iexact=value.strip()))
