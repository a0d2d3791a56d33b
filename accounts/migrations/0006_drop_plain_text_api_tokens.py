from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder

# API tokens used to be Django REST framework's `authtoken` app, which kept each key in plain text and never let it
# expire. The tokens are now django-rest-knox's (a digest and an expiry), and `authtoken` is no longer installed, so
# its table would only keep old keys readable in the database. Dropping it, and forgetting the app's migrations,
# leaves the database as if the app had been migrated to zero. A new database never had the table: nothing happens.
OLD_TABLE = "authtoken_token"


def drop_old_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE in connection.introspection.table_names():
        schema_editor.execute(schema_editor.sql_delete_table % {"table": schema_editor.quote_name(OLD_TABLE)})
    recorder = MigrationRecorder(connection)
    if recorder.has_table():
        recorder.migration_qs.filter(app="authtoken").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_audit_events_refuse_update_and_delete"),
    ]

    # The old keys are gone for good; going back leaves people to make new tokens.
    operations = [migrations.RunPython(drop_old_tokens, migrations.RunPython.noop)]
