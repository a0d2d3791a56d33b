"""FilterSets shared by the staff list pages and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from accounts.models import AuditEvent, Organisation, OrganisationKind, Region


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


class EventFilter(django_filters.FilterSet):
    """Filters of the audit event feed: by verb and by the kind of object the event is about."""

    verb = django_filters.CharFilter(
        method="by_verbs", help_text="One verb, or several separated by commas, such as case.triggered,case.closed."
    )
    target_type = django_filters.CharFilter(
        method="by_target_type", help_text="The kind of object, as app.model, such as failure_regime.case."
    )

    class Meta:
        model = AuditEvent
        fields = ["verb", "target_type"]

    def by_verbs(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        verbs = [v.strip() for v in value.split(",") if v.strip()]
        return queryset.filter(verb__in=verbs) if verbs else queryset

    def by_target_type(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        app_label, _, model = value.strip().lower().partition(".")
        return queryset.filter(target_type__app_label=app_label, target_type__model=model)
