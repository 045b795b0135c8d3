from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("live", "0002_readings_keep_a_classified_failure")]

    operations = [
        migrations.RemoveField(model_name="reading", name="error"),
        migrations.AddConstraint(
            model_name="reading",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "failure__in",
                        [
                            "",
                            "timed_out",
                            "login_refused",
                            "unreachable",
                            "unreadable",
                            "unsupported",
                            "no_access",
                            "driver_failed",
                        ],
                    )
                ),
                name="reading_failure_classified",
            ),
        ),
    ]
