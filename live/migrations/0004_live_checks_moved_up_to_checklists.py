"""LiveCheck has moved up into checklists (its 0006): live lets it go from its state only, and a reading's link to
its check now names checklists.LiveCheck. The table, its rows and its foreign keys stay as they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0006_live_checks_move_up_from_live"),
        ("live", "0003_readings_drop_the_error_text"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="reading",
                    name="live_check",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="readings",
                        to="checklists.livecheck",
                    ),
                ),
                migrations.DeleteModel(
                    name="LiveCheck",
                ),
            ],
            database_operations=[],
        ),
    ]
