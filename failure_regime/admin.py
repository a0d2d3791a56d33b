"""Administration of the regime's configuration: the dated special-measures rule sets.

Cases, episodes and reports change only through their services and pages, so they are not editable here.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from failure_regime.models import RuleSet


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "provider_kind",
        "effective_from",
        "effective_to",
        "reinspection_months",
        "extension_max_months",
        "registration_decision_months",
    ]
    list_filter = ["provider_kind"]

    def has_delete_permission(self, request: HttpRequest, obj: RuleSet | None = None) -> bool:
        # A rule set that governed an episode is history; end it with effective_to instead.
        return obj is None or not obj.episodes.exists()
