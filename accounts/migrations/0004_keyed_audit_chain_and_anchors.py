from django.db import migrations, models


class Migration(migrations.Migration):
    """Events already recorded keep their plain SHA-256 hashes (version 1) rather than being re-chained: rewriting
    the trail would also hide any change made to it before now. Events recorded from here on are version 2."""

    dependencies = [("accounts", "0003_webhook_subscriptions_and_deliveries")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=1, editable=False),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=2, editable=False),
        ),
        migrations.CreateModel(
            name="AuditAnchor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "sequence",
                    models.PositiveBigIntegerField(help_text="The last event the anchor covers.", unique=True),
                ),
                ("head_hash", models.CharField(max_length=64)),
                (
                    "event_count",
                    models.PositiveBigIntegerField(help_text="How many events there were up to that one."),
                ),
                ("created_at", models.DateTimeField()),
                (
                    "signature",
                    models.CharField(
                        help_text="HMAC-SHA256 of the other fields with AUDIT_CHAIN_KEY.", max_length=64
                    ),
                ),
                ("file_name", models.CharField(max_length=200)),
            ],
            options={"ordering": ["-sequence"]},
        ),
    ]
