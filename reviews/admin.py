"""The administration site shows the registry and appointments read-only: every change goes through a service,
so that conflicts are checked and the change is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reviews.models import Appointment, ConflictWaiver, DeclaredInterest, Employment, Expert, Specialty, Training


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
class SpecialtyAdmin(ReadOnlyAdmin):
    search_fields = ["name"]


@admin.register(ConflictWaiver)
class ConflictWaiverAdmin(ReadOnlyAdmin):
    list_display = ["case", "expert", "waived_by", "waived_at"]
    search_fields = ["case__reference", "expert__name"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ["case", "expert", "role", "appointed_by", "appointed_at", "ended_at"]
    list_filter = ["role"]
    search_fields = ["case__reference", "expert__name"]
