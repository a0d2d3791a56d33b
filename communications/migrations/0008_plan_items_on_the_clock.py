"""Plan items move onto the regime's clock: each open item gets its deadline, and the item's own reminder stamps go.

An item's deadline starts at the first reminder still to send (the morning before it is due, then the morning it
is due, each unless the old sweep already sent it). Items already past their day are listed as overdue but not
escalated: they passed before the clock knew of them."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import migrations
from django.utils import timezone

LONDON = ZoneInfo("Europe/London")


def _morning(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=LONDON)


def open_item_deadlines(apps, schema_editor):
    PlanItem = apps.get_model("communications", "PlanItem")
    Deadline = apps.get_model("failure_regime", "Deadline")
    ContentType = apps.get_model("contenttypes", "ContentType")
    item_type, _ = ContentType.objects.get_or_create(app_label="communications", model="planitem")
    now = timezone.now()
    deadlines = []
    items = PlanItem.objects.filter(done_at__isnull=True).select_related("plan__case")
    for item in items.iterator(chunk_size=2000):
        case = item.plan.case
        due_at = datetime.combine(item.due_on, time(23, 59, 59), tzinfo=LONDON)
        reminders = [
            (_morning(item.due_on - timedelta(days=1)), item.reminded_day_before_at),
            (_morning(item.due_on), item.reminded_on_the_day_at),
        ]
        ahead = [at for at, sent in reminders if sent is None and at >= now]
        deadlines.append(
            Deadline(
                kind="communications_item",
                title=(
                    f"Communications item for case {case.reference}: "
                    f"{item.get_channel_display().lower()} for {item.get_audience_display().lower()}"
                ),
                provider_id=case.provider_id,
                case_id=case.pk,
                subject_type_id=item_type.pk,
                subject_id=item.pk,
                due_at=due_at,
                next_alert_at=ahead[0] if ahead else (due_at if due_at >= now else None),
            )
        )
    Deadline.objects.bulk_create(deadlines, batch_size=2000)


def drop_item_deadlines(apps, schema_editor):
    Deadline = apps.get_model("failure_regime", "Deadline")
    Deadline.objects.filter(kind="communications_item").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("communications", "0007_text_length_limits_2"),
        ("failure_regime", "0014_communications_item_deadlines"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(open_item_deadlines, drop_item_deadlines),
        migrations.RemoveIndex(
            model_name="planitem",
            name="plan_item_open_due_idx",
        ),
        migrations.RemoveField(
            model_name="planitem",
            name="reminded_day_before_at",
        ),
        migrations.RemoveField(
            model_name="planitem",
            name="reminded_on_the_day_at",
        ),
    ]
