import django.utils.timezone
from django.db import migrations, models
from django.db.models import F, Q


def recorded_when_decided(apps, schema_editor):
    """Episodes recorded so far were recorded when they were decided."""
    Episode = apps.get_model("failure_regime", "Episode")
    Episode.objects.filter(recorded_at__isnull=True).update(recorded_at=F("decided_at"))


NO_OVERLAP = "episode_no_overlap_per_provider"


def forbid_overlaps(apps, schema_editor):
    """On PostgreSQL the database itself refuses two overlapping episodes of one provider (an open episode runs
    to infinity). btree_gist is a trusted extension, so the database owner can install it."""
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("failure_regime", "Episode")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, b.id FROM {table} a JOIN {table} b ON a.provider_id = b.provider_id AND a.id < b.id "  # noqa: S608 - fixed names
            "AND daterange(a.entered_on, a.exited_on, '[]') && daterange(b.entered_on, b.exited_on, '[]')"
        )
        clashes = cursor.fetchall()
    if clashes:
        raise RuntimeError(f"These episodes overlap and must be put right before migrating: {clashes}")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT {NO_OVERLAP} EXCLUDE USING gist "
        "(provider_id WITH =, daterange(entered_on, exited_on, '[]') WITH &&)"
    )


def allow_overlaps(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("failure_regime", "Episode")._meta.db_table
    schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {NO_OVERLAP}")


class Migration(migrations.Migration):
    dependencies = [
        ("failure_regime", "0006_interventions_register"),
    ]

    operations = [
        migrations.AddField(
            model_name="episode",
            name="recorded_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(recorded_when_decided, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="episode",
            name="recorded_at",
            field=models.DateTimeField(
                editable=False,
                help_text="When the episode was recorded in the service: only what falls due after this is chased.",
                default=django.utils.timezone.now,
            ),
        ),
        migrations.AddField(
            model_name="episode",
            name="historic",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Recorded after it ended, from the record of the time: nothing of it is chased.",
            ),
        ),
        migrations.AddConstraint(
            model_name="episode",
            constraint=models.CheckConstraint(
                condition=Q(historic=False) | ~Q(status="open"), name="episode_history_has_ended"
            ),
        ),
        migrations.RunPython(forbid_overlaps, allow_overlaps),
        migrations.AddConstraint(
            model_name="inspection",
            constraint=models.CheckConstraint(
                condition=Q(scheduled_for__isnull=True)
                | Q(carried_out_on__isnull=True)
                | Q(carried_out_on__gte=F("scheduled_for")),
                name="inspection_not_before_scheduled",
            ),
        ),
    ]
