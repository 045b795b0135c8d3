"""A serial reading keeps the phone it was made on (its device cookie, and its session as SHA-256, no longer
the live session key), so the second reading can be refused when it comes from the first one's phone."""

import hashlib

from django.db import migrations, models


def hash_session_keys(apps, schema_editor):
    # Only the few readings still waiting need it, but a live session key is a credential: none stays as it was.
    SerialReading = apps.get_model("inventory", "SerialReading")
    for reading in SerialReading.objects.exclude(session_hash="").only("pk", "session_hash"):
        reading.session_hash = hashlib.sha256(reading.session_hash.encode()).hexdigest()
        reading.save(update_fields=["session_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0010_label_jobs"),
    ]

    operations = [
        migrations.RenameField(model_name="serialreading", old_name="session_key", new_name="session_hash"),
        migrations.AlterField(
            model_name="serialreading",
            name="session_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(hash_session_keys, migrations.RunPython.noop),
        migrations.AddField(
            model_name="serialreading",
            name="device_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="serialreading",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending"), models.Q(("device_hash", ""), _negated=True)),
                fields=("device", "device_hash"),
                name="serial_reading_one_pending_per_phone",
            ),
        ),
    ]
