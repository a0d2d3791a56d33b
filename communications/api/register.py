"""The public API of the register of special measures: read-only, open to anyone and the same for everyone. One
entry per time a provider was in special measures, with the provider's current published CQC ratings, how many
monthly progress reports it has published and how the episode ended; never anyone's name.

No authentication runs here, so no session is read. Answers carry ``Cache-Control: public`` and an ETag, and are
kept in the shared cache under it (see ``communications.register_cache``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.cache import get_conditional_response
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import public
from accounts.models import PROVIDER_KINDS, OrganisationKind, Region
from communications.forms.register import RegisterFilter
from communications.public_cache import cache_seconds
from communications.register_cache import cache_key, public_headers, register_tag
from communications.selectors import register as selectors
from failure_regime.models import Episode, EpisodeStatus, Rating


class PublicRatingsSerializer(serializers.Serializer):
    overall = serializers.ChoiceField(choices=Rating.choices, allow_blank=True)
    safe = serializers.ChoiceField(choices=Rating.choices, allow_blank=True)
    effective = serializers.ChoiceField(choices=Rating.choices, allow_blank=True)
    caring = serializers.ChoiceField(choices=Rating.choices, allow_blank=True)
    responsive = serializers.ChoiceField(choices=Rating.choices, allow_blank=True)
    well_led = serializers.ChoiceField(choices=Rating.choices, allow_blank=True)
    published_on = serializers.DateField(allow_null=True, help_text="When CQC published the report.")
    report_url = serializers.CharField(allow_blank=True, help_text="CQC's published report.")


class PublicRegisterEntrySerializer(serializers.Serializer):
    """One time a provider was in special measures."""

    provider_ods_code = serializers.CharField()
    provider_name = serializers.CharField()
    provider_kind = serializers.ChoiceField(choices=[c for c in OrganisationKind.choices if c[0] in PROVIDER_KINDS])
    region = serializers.ChoiceField(choices=Region.choices)
    oversight_body = serializers.CharField(help_text="The organisation that oversees the provider, by name.")
    entered_on = serializers.DateField()
    status = serializers.ChoiceField(choices=EpisodeStatus.choices)
    outcome = serializers.CharField(help_text="Where the episode stands or how it ended, in words.")
    left_on = serializers.DateField(allow_null=True, help_text="When it left special measures or lost registration.")
    extended_until = serializers.DateField(allow_null=True)
    reinspection_due_on = serializers.DateField(help_text="When CQC was, or is, due to inspect it again.")
    reinspection = serializers.CharField(
        help_text="The re-inspection in words: due by a date to come, overdue, or when it happened."
    )
    reinspected_on = serializers.DateField(allow_null=True)
    months_of_progress_published = serializers.IntegerField()
    ratings = PublicRatingsSerializer(allow_null=True, help_text="The provider's current published CQC ratings.")
    provider_page_url = serializers.CharField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        row: selectors.RegisterRow = instance
        data = selectors.open_data_row(row, site=settings.SITE_URL.rstrip("/"))
        out: dict[str, Any] = {}
        for name in self.fields:
            value = data.get(str(name))
            out[str(name)] = value.isoformat() if isinstance(value, date) else value
        ratings: dict[str, Any] | None = None
        if row.overall:
            ratings = {q: row.ratings.get(q, "") for q in ("overall", *selectors.KEY_QUESTIONS)}
            published = row.ratings_published_on
            ratings["published_on"] = published.isoformat() if published else None
            ratings["report_url"] = row.cqc_report_url
        out["ratings"] = ratings
        return out


@extend_schema_view(
    list=extend_schema(
        summary="Providers in special measures, now and in the past",
        description="Open episodes first, then by entry date, newest first. Filter by region, kind of provider and "
        "status. Answers carry an ETag: send it back in If-None-Match for a 304 while nothing has changed.",
        responses={
            200: PublicRegisterEntrySerializer(many=True),
            304: OpenApiResponse(description="Not changed since the ETag given in If-None-Match."),
        },
    ),
)
class PublicSpecialMeasuresViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The public register of special measures, for anyone: no sign-in, no personal data."""

    queryset = Episode.objects.none()
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    filterset_class = RegisterFilter
    serializer_class = PublicRegisterEntrySerializer

    @classmethod
    def as_view(cls, actions: Any = None, **initkwargs: Any) -> Any:
        # Marked public like the public pages, so that the session time limits leave the session untouched.
        return public(super().as_view(actions, **initkwargs))

    def get_queryset(self) -> QuerySet[Episode]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.register_episodes()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tag = register_tag(request._request, "api")
        not_modified = get_conditional_response(request._request, etag=tag)
        if not_modified is not None:
            return not_modified  # type: ignore[return-value]  # DRF passes any response through
        keep = settings.PUBLIC_PAGE_CACHE
        stored = cache.get(cache_key(tag)) if keep else None
        if stored is not None:
            return Response(stored)
        episodes = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(selectors.row_values(episodes))
        rows = selectors.register_rows(page if page is not None else selectors.row_values(episodes))
        serializer = self.get_serializer(rows, many=True)
        response = self.get_paginated_response(serializer.data) if page is not None else Response(serializer.data)
        if keep:
            cache.set(cache_key(tag), response.data, cache_seconds())
        return response

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code in (200, 304):
            public_headers(response, register_tag(request._request, "api"))
        return response
