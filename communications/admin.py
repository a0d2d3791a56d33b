"""The administration site shows communications read-only: every change goes through a service, so that
workflow rules are checked and the change is audited. Enquiries show their handling only: the sender's
personal data is read through the staff pages, where each read is audited, never here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from communications.models import (
    CommunicationsPlan,
    Enquiry,
    Notice,
    NoticeApproval,
    NoticeVersion,
    OpeningTime,
    PlanAudience,
    PlanItem,
    Referral,
    SupportService,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PlanAudienceInline(ReadOnlyInline):
    model = PlanAudience
    fields = ["audience", "needs"]


class PlanItemInline(ReadOnlyInline):
    model = PlanItem
    fields = ["title", "channel", "audience", "owner", "due_on", "done_at"]


@admin.register(CommunicationsPlan)
class CommunicationsPlanAdmin(ReadOnlyAdmin):
    list_display = ["case", "created_by_organisation", "updated_at"]
    search_fields = ["case__reference", "case__title"]
    inlines = [PlanAudienceInline, PlanItemInline]


class NoticeVersionInline(ReadOnlyInline):
    model = NoticeVersion
    fields = ["number", "status", "title", "is_correction", "created_by", "created_at", "published_at"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "status", "provider", "publish_at", "last_updated_at"]
    list_filter = ["kind", "status", "families_first"]
    search_fields = ["case__reference", "provider__name", "versions__title"]
    list_select_related = ["case", "provider"]
    inlines = [NoticeVersionInline]


class NoticeApprovalInline(ReadOnlyInline):
    model = NoticeApproval
    fields = ["organisation", "approver", "basis", "decided_at"]


@admin.register(NoticeVersion)
class NoticeVersionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "title", "created_by", "created_at", "approved_at", "published_at"]
    list_filter = ["status", "is_correction"]
    search_fields = ["title", "notice__case__reference"]
    list_select_related = ["notice__case", "created_by"]
    inlines = [NoticeApprovalInline]


class OpeningTimeInline(ReadOnlyInline):
    model = OpeningTime
    fields = ["weekday", "opens", "closes"]


@admin.register(SupportService)
class SupportServiceAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "region", "provider", "active", "maintained_by"]
    list_filter = ["kind", "region", "active"]
    search_fields = ["name", "run_by"]
    inlines = [OpeningTimeInline]


class ReferralInline(ReadOnlyInline):
    model = Referral
    fields = ["service", "status", "offered_by", "offered_at", "decided_at"]


@admin.register(Enquiry)
class EnquiryAdmin(ReadOnlyAdmin):
    list_display = ["reference", "status", "category", "urgency", "received_at", "response_due_at", "escalated_at"]
    list_filter = ["status", "category", "urgency"]
    search_fields = ["reference"]
    exclude = list(Enquiry.PERSONAL_FIELDS)
    inlines = [ReferralInline]
