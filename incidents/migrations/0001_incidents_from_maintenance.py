"""Incidents leave maintenance: the same tables and rows, now owned by this app."""

from django.conf import settings
from django.db import migrations, models
import django.core.validators
import django.db.models.deletion
import django.utils.timezone

TASK = "check_incident_silence"
MOVED = ["incident", "incidentservice", "incidentimpact", "incidenttemplate", "incidentupdate"]


def relabel(apps, schema_editor):
    """The content types (so admin links and permissions follow the models) now name this app. Notices about an incident name it by
    its new label (comms looks notices up by it), and silence checks already queued run the task at its new path.
    Audit events keep the label they were recorded and signed with ("maintenance.<model>"): the log is
    append-only, and readers that look an object's history up ask for both labels."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(
        ContentType.objects.filter(app_label="incidents", model__in=MOVED).values_list("model", flat=True)
    )
    ContentType.objects.filter(app_label="maintenance", model__in=MOVED).exclude(model__in=taken).update(
        app_label="incidents"
    )
    Notice = apps.get_model("comms", "Notice")
    for model in MOVED:
        Notice.objects.filter(about_type=f"maintenance.{model}").update(about_type=f"incidents.{model}")
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DBTaskResult.objects.filter(task_path=f"maintenance.tasks.{TASK}").update(
        task_path=f"incidents.tasks.{TASK}"
    )


def unrelabel(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(
        ContentType.objects.filter(app_label="maintenance", model__in=MOVED).values_list("model", flat=True)
    )
    ContentType.objects.filter(app_label="incidents", model__in=MOVED).exclude(model__in=taken).update(
        app_label="maintenance"
    )
    Notice = apps.get_model("comms", "Notice")
    for model in MOVED:
        Notice.objects.filter(about_type=f"incidents.{model}").update(about_type=f"maintenance.{model}")
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DBTaskResult.objects.filter(task_path=f"incidents.tasks.{TASK}").update(
        task_path=f"maintenance.tasks.{TASK}"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0012_response_apps_move_out"),
        ("inventory", "0011_serial_readings_know_their_phone"),
        ("comms", "0001_notices_deliveries_subscribers"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are (maintenance_*, see each model's db_table): only the state moves.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Incident",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "title",
                            models.CharField(
                                help_text="Public: what customers see; no internal detail", max_length=200
                            ),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("investigating", "Investigating"),
                                    ("identified", "Identified"),
                                    ("monitoring", "Monitoring"),
                                    ("resolved", "Resolved"),
                                ],
                                default="investigating",
                                max_length=20,
                            ),
                        ),
                        ("started_at", models.DateTimeField()),
                        ("resolved_at", models.DateTimeField(blank=True, null=True)),
                        ("last_update_at", models.DateTimeField()),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "declared_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "site",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="incidents",
                                to="inventory.site",
                            ),
                        ),
                        (
                            "window",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="incidents",
                                to="maintenance.window",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "maintenance_incident",
                        "ordering": ["-started_at", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="IncidentService",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "impact",
                            models.CharField(
                                choices=[
                                    ("degraded", "Degraded performance"),
                                    ("partial_outage", "Partial outage"),
                                    ("major_outage", "Major outage"),
                                ],
                                default="major_outage",
                                max_length=20,
                            ),
                        ),
                        ("restored_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "incident",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="affected",
                                to="incidents.incident",
                            ),
                        ),
                        (
                            "service",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="incident_rows",
                                to="inventory.service",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "maintenance_incidentservice",
                        "ordering": ["incident", "service__name"],
                    },
                ),
                migrations.CreateModel(
                    name="IncidentImpact",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "impact",
                            models.CharField(
                                choices=[
                                    ("degraded", "Degraded performance"),
                                    ("partial_outage", "Partial outage"),
                                    ("major_outage", "Major outage"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("at", models.DateTimeField()),
                        (
                            "row",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="history",
                                to="incidents.incidentservice",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "maintenance_incidentimpact",
                        "ordering": ["row", "at", "pk"],
                    },
                ),
                migrations.CreateModel(
                    name="IncidentTemplate",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("investigating", "Investigating"),
                                    ("identified", "Identified"),
                                    ("monitoring", "Monitoring"),
                                    ("resolved", "Resolved"),
                                ],
                                max_length=20,
                                unique=True,
                            ),
                        ),
                        ("text", models.TextField(max_length=5000)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "db_table": "maintenance_incidenttemplate",
                        "ordering": ["state"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("state__in", ["investigating", "identified", "monitoring", "resolved"])
                                ),
                                name="incident_template_state_valid",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="IncidentUpdate",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("investigating", "Investigating"),
                                    ("identified", "Identified"),
                                    ("monitoring", "Monitoring"),
                                    ("resolved", "Resolved"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("message", models.TextField()),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "incident",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="updates",
                                to="incidents.incident",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "maintenance_incidentupdate",
                        "ordering": ["incident", "created_at", "pk"],
                    },
                ),
                migrations.AddConstraint(
                    model_name="incident",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("state__in", ["investigating", "identified", "monitoring", "resolved"])
                        ),
                        name="incident_state_valid",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="incident",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("state", "resolved"), ("resolved_at__isnull", True), _connector="OR"
                        ),
                        name="incident_resolved_only_when_resolved",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="incidentservice",
                    constraint=models.UniqueConstraint(
                        fields=("incident", "service"), name="incident_service_once"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="incidentservice",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("impact__in", ["degraded", "partial_outage", "major_outage"])),
                        name="incident_service_impact_valid",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="incidentimpact",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("impact__in", ["degraded", "partial_outage", "major_outage"])),
                        name="incident_impact_history_valid",
                    ),
                ),
            ],
        ),
        migrations.RunPython(relabel, unrelabel),
    ]
