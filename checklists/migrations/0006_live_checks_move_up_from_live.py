"""LiveCheck moves up from live into checklists: the live checks of a step are step-level gating, and live sits
below checklists. The table and its rows stay where they are (`db_table = "live_livecheck"`): this migration
takes the model into checklists' state only, and live's 0004 lets it go from live's state. Its content type
(and so its permissions, and anything pointing at them) is renamed to checklists rather than left stale."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_type_to(app_label: str, from_label: str):
    def move(apps, schema_editor) -> None:
        ContentType = apps.get_model("contenttypes", "ContentType")
        types = ContentType.objects.using(schema_editor.connection.alias)
        if not types.filter(app_label=app_label, model="livecheck").exists():
            types.filter(app_label=from_label, model="livecheck").update(app_label=app_label)

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0005_scan_methods_interlock_submitter"),
        # The table was made by live; its last change there comes first.
        ("live", "0003_readings_drop_the_error_text"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LiveCheck",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "round",
                            models.PositiveSmallIntegerField(
                                help_text="The step's scan round the check belongs to"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("before", "Before the step"), ("tryout", "Try-out after the step")],
                                max_length=10,
                            ),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("waiting", "Asking the device"),
                                    ("agreed", "The device agrees with the inventory"),
                                    ("disagreed", "The device disagrees with the inventory"),
                                    ("passed", "The expected link went down, and only it"),
                                    ("still_up", "The expected link is still up"),
                                    ("stopped", "Another link went down"),
                                    ("no_answer", "The device did not answer"),
                                    (
                                        "superseded",
                                        "Superseded: asked again, or its scans were started again",
                                    ),
                                ],
                                default="waiting",
                                max_length=10,
                            ),
                        ),
                        ("findings", models.JSONField(blank=True, default=list)),
                        ("went_down", models.JSONField(blank=True, default=list)),
                        ("watched", models.JSONField(blank=True, default=list)),
                        ("polls", models.PositiveSmallIntegerField(default=0)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("decided_at", models.DateTimeField(blank=True, null=True)),
                        ("decision_reason", models.CharField(blank=True, max_length=500)),
                        (
                            "asked_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "decided_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "discrepancy",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="inventory.discrepancy",
                            ),
                        ),
                        (
                            "step",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="live_checks",
                                to="checklists.step",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "live_livecheck",
                        "ordering": ["created_at", "pk"],
                        "indexes": [
                            models.Index(fields=["step", "kind", "round"], name="live_check_step_idx")
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("kind__in", ["before", "tryout"])),
                                name="live_check_kind_valid",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    (
                                        "state__in",
                                        [
                                            "waiting",
                                            "agreed",
                                            "disagreed",
                                            "passed",
                                            "still_up",
                                            "stopped",
                                            "no_answer",
                                            "superseded",
                                        ],
                                    )
                                ),
                                name="live_check_state_valid",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to("checklists", "live"), content_type_to("live", "checklists")),
    ]
