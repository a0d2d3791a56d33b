from __future__ import annotations

from rest_framework import serializers

from accounts.models import Membership, Organisation, User


class OrganisationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "ods_code", "kind"]


class OrganisationSerializer(serializers.ModelSerializer):
    oversight_body = OrganisationSummarySerializer(read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "name", "ods_code", "kind", "region", "oversight_body"]


class MembershipSerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["organisation", "role"]


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "job_title", "memberships"]
