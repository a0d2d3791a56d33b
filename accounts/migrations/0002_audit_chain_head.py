from django.db import migrations


def create_head(apps, schema_editor):
    AuditChainHead = apps.get_model("accounts", "AuditChainHead")
    AuditChainHead.objects.get_or_create(id=1, defaults={"sequence": 0, "hash": "0" * 64})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_people_organisations_and_audit")]

    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
