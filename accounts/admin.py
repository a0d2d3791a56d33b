"""The administration site, for administrators only. Every change goes through a service, so it is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from knox.models import AuthToken

from accounts import services
from accounts.models import AuditEvent, Membership, Organisation, User

# django-rest-knox offers its tokens here, where an administrator could make one for anybody with no audit event.
# Each person makes and revokes their own token on the API access page instead.
admin.site.unregister(AuthToken)


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fields = ["email", "full_name", "job_title", "is_active"]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["full_name", "job_title", "is_active"])
            return
        created = services.user_create(
            actor=request.user,  # type: ignore[arg-type]
            email=obj.email,
            full_name=obj.full_name,
            job_title=obj.job_title,
        )
        obj.pk = created.pk


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "ods_code", "kind", "region", "oversight_body"]
    list_filter = ["kind", "region"]
    search_fields = ["name", "ods_code"]
    fields = ["name", "ods_code", "kind", "region", "oversight_body"]

    def get_readonly_fields(self, request: HttpRequest, obj: Organisation | None = None) -> list[str]:
        return ["ods_code", "kind"] if obj else []

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        actor: User = request.user  # type: ignore[assignment]
        if change:
            services.organisation_update(
                actor=actor, organisation=obj, name=obj.name, region=obj.region, oversight_body=obj.oversight_body
            )
            return
        created = services.organisation_create(
            actor=actor,
            name=obj.name,
            ods_code=obj.ods_code,
            kind=obj.kind,
            region=obj.region,
            oversight_body=obj.oversight_body,
        )
        obj.pk = created.pk


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role", "organisation__kind"]
    search_fields = ["user__email", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]

    def has_change_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        created = services.membership_create(
            actor=request.user,  # type: ignore[arg-type]
            user=obj.user,
            organisation=obj.organisation,
            role=obj.role,
        )
        obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        services.membership_delete(actor=request.user, membership=obj)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for membership in queryset:
            services.membership_delete(actor=request.user, membership=membership)  # type: ignore[arg-type]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["sequence", "occurred_at", "actor_label", "verb", "target_label"]
    list_filter = ["verb"]
    search_fields = ["target_label", "actor_label", "request_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
