from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.acting import acting_user
from accounts.api.serializers import MeSerializer, OrganisationSerializer
from accounts.filters import OrganisationFilter
from accounts.models import Membership, Organisation, User


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """Organisations visible to the caller: their own, those they oversee, or every one for national roles."""

    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    queryset = Organisation.objects.none()  # for the schema; requests use get_queryset
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[Organisation]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.organisation_list_for_user(user=acting_user(self.request))


class MeView(APIView):
    """The signed-in user and their roles."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = User.objects.prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("organisation"))
        ).get(pk=request.user.pk or 0)
        return Response(MeSerializer(user).data)
