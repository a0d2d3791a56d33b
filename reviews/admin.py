"""The administration site shows the registry, appointments, campaigns and cohorts read-only: every change goes
through a service, so that conflicts are checked and the change is audited. Specialties are reference data that
administrators keep here. Records holding personal data (applications, cohort patients, judgements) are not in the
administration site at all, because every staff read of them must be recorded."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reviews.models import (
    Appointment,
    Campaign,
    CampaignNeed,
    Cohort,
    CohortImport,
    ConflictWaiver,
    DeclaredInterest,
    Employment,
    Expert,
    FindingsSummary,
    Specialty,
    Training,
    Wave,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EmploymentInline(admin.TabularInline):
    model = Employment
    extra = 0
    fields = ["employer_name", "organisation", "started_on", "ended_on"]


class DeclaredInterestInline(admin.TabularInline):
    model = DeclaredInterest
    extra = 0
    fields = ["organisation", "kind", "description", "declared_on"]


class TrainingInline(admin.TabularInline):
    model = Training
    extra = 0
    fields = ["kind", "completed_on"]


@admin.register(Expert)
class ExpertAdmin(ReadOnlyAdmin):
    list_display = ["name", "profession", "regulator", "registration_number", "seniority", "available"]
    list_filter = ["regulator", "seniority", "available", "specialties"]
    search_fields = ["name", "registration_number"]
    inlines = [EmploymentInline, DeclaredInterestInline, TrainingInline]


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    search_fields = ["name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConflictWaiver)
class ConflictWaiverAdmin(ReadOnlyAdmin):
    list_display = ["case", "expert", "waived_by", "waived_at"]
    search_fields = ["case__reference", "expert__name"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ["case", "expert", "role", "appointed_by", "appointed_at", "ended_at"]
    list_filter = ["role"]
    search_fields = ["case__reference", "expert__name"]


class CampaignNeedInline(admin.TabularInline):
    model = CampaignNeed
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["title", "case", "closes_on", "status"]
    list_filter = ["status"]
    search_fields = ["title", "case__reference"]
    inlines = [CampaignNeedInline]


class WaveInline(admin.TabularInline):
    model = Wave
    extra = 0
    fields = ["number", "criteria_version", "created_at"]


@admin.register(Cohort)
class CohortAdmin(ReadOnlyAdmin):
    list_display = ["title", "case", "second_review_share", "created_at"]
    search_fields = ["title", "case__reference"]
    inlines = [WaveInline]


@admin.register(CohortImport)
class CohortImportAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "wave", "status", "total_rows", "imported_rows", "error_count", "uploaded_at"]
    list_filter = ["status"]
    exclude = ["file"]


@admin.register(FindingsSummary)
class FindingsSummaryAdmin(ReadOnlyAdmin):
    list_display = ["title", "cohort", "published_at"]
