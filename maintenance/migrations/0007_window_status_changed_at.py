import django.utils.timezone
from django.db import migrations, models
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    """Windows from before the field: the latest moment they already record (a cancellation or an approval
    recorded none, so theirs is the submission: the best the record holds)."""
    Window = apps.get_model("maintenance", "Window")
    Window.objects.update(status_changed_at=Coalesce("ended_at", "started_at", "submitted_at", "created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0006_incidents"),
    ]

    operations = [
        migrations.AddField(
            model_name="window",
            name="status_changed_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
