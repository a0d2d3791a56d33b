from __future__ import annotations

from rest_framework import serializers

from accounts.models import (
    Membership,
    Organisation,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


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


class EventOrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    ods_code = serializers.CharField()


class EventSerializer(serializers.Serializer):
    """A safe summary of one audit event: what happened to what, when, and who acted. It never carries the
    changed values, and no label for a record that holds personal data. Webhooks send the same fields."""

    sequence = serializers.IntegerField(help_text="The event's place in the audit trail; use it as the cursor.")
    occurred_at = serializers.DateTimeField()
    verb = serializers.CharField(help_text="What happened, such as case.triggered.")
    target_type = serializers.CharField(help_text="The kind of object, as app.model, such as failure_regime.case.")
    target_id = serializers.CharField()
    target_label = serializers.CharField(
        allow_null=True, help_text="The object's name then; null for records that hold personal data."
    )
    scope_type = serializers.CharField(allow_null=True, help_text="The object whose timeline shows the event.")
    scope_id = serializers.CharField(allow_null=True)
    organisation = EventOrganisationSerializer(allow_null=True, help_text="The organisation the actor acted for.")
    actor_label = serializers.CharField(help_text="Who acted, as shown then, or system.")


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer(read_only=True)
    created_by = serializers.CharField(source="created_by.email", read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "organisation",
            "target_url",
            "verbs",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "last_sequence",
            "created_by",
            "created_at",
        ]


class WebhookSecretSerializer(WebhookSubscriptionSerializer):
    """A subscription with its signing secret: given only when it is made and when the secret is rotated."""

    secret = serializers.CharField(read_only=True, help_text="Shown once: keep it to check each request's signature.")

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookSubscriptionInSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(
        required=False, help_text="One of your organisations; may be left out if you belong to only one."
    )
    target_url = serializers.URLField(max_length=500, help_text="An https address that accepts POST requests.")
    verbs = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        default=list,
        help_text="The verbs to send; leave out to send every event.",
    )


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempted_at", "status_code", "error", "succeeded", "duration_ms"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    sequence = serializers.IntegerField(source="event.sequence", read_only=True)
    verb = serializers.CharField(source="event.verb", read_only=True)
    log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "sequence",
            "verb",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "log",
        ]
