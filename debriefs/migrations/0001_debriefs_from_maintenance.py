"""Debriefs, their reports and actions leave maintenance: the same tables and rows, now owned by this app."""

from django.conf import settings
from django.db import migrations, models
import django.core.validators
import django.db.models.deletion
import django.utils.timezone

MOVED = ["debrief", "report", "actionitem"]


def relabel(apps, schema_editor):
    """The content types (so admin links and permissions follow the models) now name this app.
    Audit events keep the label they were recorded and signed with ("maintenance.<model>"): the log is
    append-only, and readers that look an object's history up ask for both labels."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(
        ContentType.objects.filter(app_label="debriefs", model__in=MOVED).values_list("model", flat=True)
    )
    ContentType.objects.filter(app_label="maintenance", model__in=MOVED).exclude(model__in=taken).update(
        app_label="debriefs"
    )


def unrelabel(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(
        ContentType.objects.filter(app_label="maintenance", model__in=MOVED).values_list("model", flat=True)
    )
    ContentType.objects.filter(app_label="debriefs", model__in=MOVED).exclude(model__in=taken).update(
        app_label="maintenance"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0012_response_apps_move_out"),
        ("incidents", "0001_incidents_from_maintenance"),
        ("checklists", "0005_scan_methods_interlock_submitter"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are (maintenance_*, see each model's db_table): only the state moves.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Report",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("revision", models.PositiveIntegerField()),
                        (
                            "audience",
                            models.CharField(
                                choices=[
                                    (
                                        "public",
                                        "Everyone (the public status page and the affected customers' pages)",
                                    ),
                                    ("customers", "Only the affected customers (their private pages)"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("title", models.CharField(max_length=200)),
                        ("happened", models.TextField()),
                        ("impact", models.TextField()),
                        ("did", models.TextField()),
                        ("will_change", models.TextField()),
                        ("responsibility", models.TextField()),
                        ("published_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        "db_table": "maintenance_report",
                        "ordering": ["debrief", "-revision"],
                    },
                ),
                migrations.CreateModel(
                    name="ActionItem",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("what", models.CharField(max_length=500)),
                        ("due", models.DateField()),
                        (
                            "state",
                            models.CharField(
                                choices=[("open", "Open"), ("done", "Done")], default="open", max_length=10
                            ),
                        ),
                        ("done_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "done_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "done_with",
                            models.ForeignKey(
                                blank=True,
                                help_text="The template version that carries the change",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="checklists.checklisttemplate",
                            ),
                        ),
                        (
                            "owner",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "template",
                            models.ForeignKey(
                                blank=True,
                                help_text="The checklist this changes, as it was when the action was agreed",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="checklists.checklisttemplate",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "maintenance_actionitem",
                        "ordering": ["state", "due", "pk"],
                    },
                ),
                migrations.CreateModel(
                    name="Debrief",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("summary", models.TextField(blank=True, max_length=10000)),
                        ("trigger", models.TextField(blank=True, max_length=10000)),
                        ("detection", models.TextField(blank=True, max_length=10000)),
                        ("root_cause", models.TextField(blank=True, max_length=10000)),
                        ("resolution", models.TextField(blank=True, max_length=10000)),
                        ("went_wrong", models.TextField(blank=True, max_length=10000)),
                        ("went_well", models.TextField(blank=True, max_length=10000)),
                        ("lucky", models.TextField(blank=True, max_length=10000)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "created_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "maintenance_debrief",
                        "ordering": ["-created_at", "-pk"],
                    },
                ),
                migrations.AddField(
                    model_name="debrief",
                    name="incident",
                    field=models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="debrief",
                        to="incidents.incident",
                    ),
                ),
                migrations.AddField(
                    model_name="debrief",
                    name="window",
                    field=models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="debrief",
                        to="maintenance.window",
                    ),
                ),
                migrations.AddField(
                    model_name="actionitem",
                    name="debrief",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="actions",
                        to="debriefs.debrief",
                    ),
                ),
                migrations.AddField(
                    model_name="report",
                    name="debrief",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reports",
                        to="debriefs.debrief",
                    ),
                ),
                migrations.AddField(
                    model_name="report",
                    name="published_by",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AddConstraint(
                    model_name="debrief",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("window__isnull", False), ("incident__isnull", True)),
                            models.Q(("window__isnull", True), ("incident__isnull", False)),
                            _connector="OR",
                        ),
                        name="debrief_of_a_window_or_an_incident",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="actionitem",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("state__in", ["open", "done"])), name="action_state_valid"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="report",
                    constraint=models.UniqueConstraint(
                        fields=("debrief", "revision"), name="report_revision_once"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="report",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("audience__in", ["public", "customers"])),
                        name="report_audience_valid",
                    ),
                ),
            ],
        ),
        migrations.RunPython(relabel, unrelabel),
    ]
