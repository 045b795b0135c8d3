"""Readings kept the driver's error text, which can quote the credentials: each is classified instead (timed
out, refused the login, ...), and the findings that quoted it are told in those words. The text itself goes in
the next migration. Audit events written meanwhile are append-only and stay as they were: the debrief tells
their findings in classified words (`live.failures.plain_finding`)."""

from django.db import migrations, models

from live.failures import Failure, from_stored_text, plain_finding


def classify_stored_errors(apps, schema_editor):
    Reading = apps.get_model("live", "Reading")
    LiveCheck = apps.get_model("live", "LiveCheck")
    for reading in Reading.objects.filter(answered=False).only("pk", "error").iterator():
        failure = from_stored_text(reading.error) if reading.error else Failure.DRIVER_FAILED
        Reading.objects.filter(pk=reading.pk).update(failure=failure, error="")
    Reading.objects.filter(answered=True).exclude(error="").update(error="")
    for check in LiveCheck.objects.exclude(findings=[]).only("pk", "findings").iterator():
        plain = [plain_finding(f) for f in check.findings]
        if plain != check.findings:
            LiveCheck.objects.filter(pk=check.pk).update(findings=plain)


class Migration(migrations.Migration):
    dependencies = [("live", "0001_live_checks")]

    operations = [
        migrations.AddField(
            model_name="reading",
            name="failure",
            field=models.CharField(
                blank=True,
                choices=[
                    ("timed_out", "timed out"),
                    ("login_refused", "refused the login"),
                    ("unreachable", "could not be reached"),
                    ("unreadable", "answered something unreadable"),
                    ("unsupported", "cannot answer this: its driver does not support it"),
                    ("no_access", "cannot be asked: no driver or credentials Lockstep can use"),
                    ("driver_failed", "the driver failed"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(classify_stored_errors, migrations.RunPython.noop),
    ]
