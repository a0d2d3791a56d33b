"""Input fields shared by the regime's API serializers."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organisation
from accounts.selectors import organisation_list_for_user
from failure_regime import selectors


@extend_schema_field(OpenApiTypes.INT)
class IdField(serializers.PrimaryKeyRelatedField):
    """An object's id. Only whole numbers are looked up: JSON's ``1e400`` is a float (infinity) that the
    database layer cannot turn into an integer."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.INT)
class VisibleOrganisationIdField(IdField):
    """An organisation among those the caller may see; any other id reads as not found."""

    def get_queryset(self) -> QuerySet[Any]:
        return organisation_list_for_user(user=self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class VisibleCaseIdField(IdField):
    """A case among those the caller may see; any other id reads as not found."""

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.case_list_for_user(user=self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class ActingForField(IdField):
    """The organisation the caller does this for, among their own (any other id reads as not found). Needed only
    by someone who holds the role in more than one organisation; ``permissions.acting_for`` decides."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "The id of the organisation you do this for. Needed only if your role is held in more than one.",
        )
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return Organisation.objects.filter(memberships__user=self.context["request"].user).distinct()
