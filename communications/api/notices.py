"""The public API of notices: read-only, open to anyone, and the same for everyone. It lists the public record
(``communications.selectors.notices.public_record``): published and corrected notices past their embargo, and
notices withdrawn after they went public, marked withdrawn and without their text. It never shows drafts, embargoed
notices or anything about the people who wrote or approved them.

No authentication runs here, so no session is read, and answers carry ``Cache-Control: public`` with an ETag and are
kept in the public page cache like the public pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import public
from accounts.models import Organisation
from communications.forms.notices import PublicNoticeFilter
from communications.models import (
    PUBLISHED_VERSION_STATUSES,
    Notice,
    NoticeKind,
    NoticeStatus,
    NoticeVersion,
    SupportService,
)
from communications.public_cache import cache_seconds
from communications.selectors import notices as selectors
from failure_regime.models import Area, Responsibility

# --- Out ----------------------------------------------------------------------------------------


class PublicNoticeProviderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["ods_code", "name", "region"]


class PublicNoticeSerializer(serializers.ModelSerializer):
    """A notice as lists show it. A withdrawn notice keeps its title and dates; its summary is empty."""

    kind = serializers.ChoiceField(choices=NoticeKind.choices)
    title = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    provider = PublicNoticeProviderSerializer()
    published_at = serializers.DateTimeField(source="publish_at")
    last_updated_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="The notice's public page.")
    correction_count = serializers.IntegerField(help_text="How many corrections have been published.")
    withdrawn = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = [
            "id",
            "kind",
            "title",
            "summary",
            "provider",
            "published_at",
            "last_updated_at",
            "url",
            "correction_count",
            "withdrawn",
        ]

    def _version(self, notice: Notice) -> NoticeVersion | None:
        return notice.published_version

    def get_title(self, notice: Notice) -> str:
        version = self._version(notice)
        return version.title if version else ""

    def get_summary(self, notice: Notice) -> str:
        version = self._version(notice)
        return version.summary if version and not self.get_withdrawn(notice) else ""

    def get_url(self, notice: Notice) -> str:
        return settings.SITE_URL.rstrip("/") + reverse("communications:notice-detail", args=[notice.pk])

    def get_withdrawn(self, notice: Notice) -> bool:
        return notice.status == NoticeStatus.WITHDRAWN


class PublicNoticeCorrectionSerializer(serializers.ModelSerializer):
    note = serializers.CharField(source="correction_note", read_only=True)

    class Meta:
        model = NoticeVersion
        fields = ["published_at", "note"]


class PublicNoticeLeadSerializer(serializers.ModelSerializer):
    area = serializers.ChoiceField(choices=Area.choices)
    organisation = serializers.CharField(source="lead_organisation.name")

    class Meta:
        model = Responsibility
        fields = ["area", "organisation"]


class PublicNoticeOpeningTimeSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(help_text="1 is Monday, 7 is Sunday.")
    opens = serializers.TimeField()
    closes = serializers.TimeField(help_text="00:00 means midnight at the end of the day.")


class PublicNoticeSupportServiceSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="What sort of service it is, such as a helpline or counselling.")
    opening_times = PublicNoticeOpeningTimeSerializer(many=True)

    class Meta:
        model = SupportService
        fields = [
            "name",
            "kind",
            "run_by",
            "description",
            "phone",
            "textphone",
            "website",
            "email",
            "open_24_hours",
            "opening_hours_note",
            "opening_times",
        ]


class PublicNoticeDetailSerializer(PublicNoticeSerializer):
    """A notice's page as data: what happened, what is being done, what happens next and when, who leads it (by
    organisation), how to get support, and its corrections; for a withdrawn notice, when and why it was withdrawn
    instead of its text."""

    body_html = serializers.SerializerMethodField(help_text="What happened, as sanitised HTML.")
    what_is_being_done_html = serializers.SerializerMethodField()
    what_happens_next_html = serializers.SerializerMethodField(help_text="What happens next, as sanitised HTML.")
    next_update_on = serializers.SerializerMethodField()
    who_leads_html = serializers.SerializerMethodField()
    leads = serializers.SerializerMethodField()
    support_services = serializers.SerializerMethodField()
    corrections = serializers.SerializerMethodField()
    withdrawn_at = serializers.SerializerMethodField()
    withdrawal_reason = serializers.SerializerMethodField()

    class Meta(PublicNoticeSerializer.Meta):
        fields = [
            *PublicNoticeSerializer.Meta.fields,
            "body_html",
            "what_is_being_done_html",
            "what_happens_next_html",
            "next_update_on",
            "who_leads_html",
            "leads",
            "support_services",
            "corrections",
            "withdrawn_at",
            "withdrawal_reason",
        ]

    def _text(self, notice: Notice, field: str) -> str:
        version = self._version(notice)
        return "" if version is None or self.get_withdrawn(notice) else str(getattr(version, field))

    def get_body_html(self, notice: Notice) -> str:
        return self._text(notice, "body_html")

    def get_what_is_being_done_html(self, notice: Notice) -> str:
        return self._text(notice, "what_is_being_done_html")

    def get_who_leads_html(self, notice: Notice) -> str:
        return self._text(notice, "who_leads_html")

    def get_what_happens_next_html(self, notice: Notice) -> str:
        return self._text(notice, "what_happens_next_html")

    @extend_schema_field(
        serializers.DateField(
            allow_null=True,
            help_text="The date by which the next update is promised, if one is; null for a withdrawn notice.",
        )
    )
    def get_next_update_on(self, notice: Notice) -> str | None:
        version = self._version(notice)
        if version is None or version.next_update_on is None or self.get_withdrawn(notice):
            return None
        return version.next_update_on.isoformat()

    @extend_schema_field(PublicNoticeLeadSerializer(many=True))
    def get_leads(self, notice: Notice) -> Any:
        return PublicNoticeLeadSerializer(selectors.public_leads(notice=notice), many=True).data

    @extend_schema_field(PublicNoticeSupportServiceSerializer(many=True))
    def get_support_services(self, notice: Notice) -> Any:
        if self.get_withdrawn(notice):
            return []
        return PublicNoticeSupportServiceSerializer(selectors.public_support_services(notice=notice), many=True).data

    @extend_schema_field(PublicNoticeCorrectionSerializer(many=True))
    def get_corrections(self, notice: Notice) -> Any:
        if self.get_withdrawn(notice):
            return []
        return PublicNoticeCorrectionSerializer(selectors.public_corrections(notice=notice), many=True).data

    def get_withdrawn_at(self, notice: Notice) -> str | None:
        return notice.withdrawn_at.isoformat() if notice.withdrawn_at else None

    def get_withdrawal_reason(self, notice: Notice) -> str:
        return notice.withdrawal_reason if self.get_withdrawn(notice) else ""


# --- The viewset ------------------------------------------------------------------------------------


def _with_correction_count(notices: QuerySet[Notice]) -> QuerySet[Notice]:
    published = Q(versions__is_correction=True, versions__status__in=PUBLISHED_VERSION_STATUSES)
    return notices.annotate(correction_count=Count("versions", filter=published))


@extend_schema_view(
    list=extend_schema(summary="Published notices", description="Newest first; withdrawn notices are marked."),
    retrieve=extend_schema(summary="One published notice"),
)
class PublicNoticeViewSet(viewsets.ReadOnlyModelViewSet):
    """Published notices, guidance and progress updates, for anyone: no sign-in, no personal data."""

    queryset = Notice.objects.none()
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = PublicNoticeFilter

    @classmethod
    def as_view(cls, actions: Any = None, **initkwargs: Any) -> Any:
        # Marked public like the public pages, so that the session time limits leave the session untouched.
        return public(super().as_view(actions, **initkwargs))

    def get_queryset(self) -> QuerySet[Notice]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return _with_correction_count(selectors.public_record())

    def get_serializer_class(self) -> type:
        return PublicNoticeSerializer if self.action == "list" else PublicNoticeDetailSerializer

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=cache_seconds())
            response.public_cache = True
        return response
