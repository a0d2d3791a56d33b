"""The filters of the public register of special measures, shared by its page, its open data and the public API."""

from __future__ import annotations

import django_filters

from accounts.models import PROVIDER_KINDS, OrganisationKind, Region
from failure_regime.models import Episode, EpisodeStatus

REGIONS = [c for c in Region.choices if c[0] != Region.NATIONAL]
KINDS = [c for c in OrganisationKind.choices if c[0] in PROVIDER_KINDS]
STATUSES = [
    (EpisodeStatus.OPEN.value, "In special measures now"),
    (EpisodeStatus.EXITED.value, "Left special measures"),
    (EpisodeStatus.REGISTRATION_CANCELLED.value, "Registration cancelled"),
]


class RegisterFilter(django_filters.FilterSet):
    """Region, kind of provider and where the episode stands. Every filter is a choice from a fixed list, so any
    other value is a form error (shown on the page, a 400 from the API), never a database query."""

    region = django_filters.ChoiceFilter(
        field_name="provider__region", choices=REGIONS, label="Region", empty_label="Any region"
    )
    kind = django_filters.ChoiceFilter(
        field_name="provider__kind", choices=KINDS, label="Kind of provider", empty_label="Any kind"
    )
    status = django_filters.ChoiceFilter(choices=STATUSES, label="Status", empty_label="Now or in the past")

    class Meta:
        model = Episode
        fields = ["region", "kind", "status"]
