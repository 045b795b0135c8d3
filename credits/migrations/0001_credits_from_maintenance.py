"""SLA plans and credits leave maintenance: the same tables and rows, now owned by this app."""

from django.conf import settings
from django.db import migrations, models
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal

MOVED = ["slaplan", "credit"]


def relabel(apps, schema_editor):
    """The content types (so admin links and permissions follow the models) now name this app.
    Audit events keep the label they were recorded and signed with ("maintenance.<model>"): the log is
    append-only, and readers that look an object's history up ask for both labels."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(
        ContentType.objects.filter(app_label="credits", model__in=MOVED).values_list("model", flat=True)
    )
    ContentType.objects.filter(app_label="maintenance", model__in=MOVED).exclude(model__in=taken).update(
        app_label="credits"
    )


def unrelabel(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(
        ContentType.objects.filter(app_label="maintenance", model__in=MOVED).values_list("model", flat=True)
    )
    ContentType.objects.filter(app_label="credits", model__in=MOVED).exclude(model__in=taken).update(
        app_label="maintenance"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0012_response_apps_move_out"),
        ("incidents", "0001_incidents_from_maintenance"),
        ("inventory", "0011_serial_readings_know_their_phone"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are (maintenance_*, see each model's db_table): only the state moves.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="SlaPlan",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "name",
                            models.CharField(
                                help_text="As written in each service's SLA plan", max_length=50, unique=True
                            ),
                        ),
                        (
                            "monthly_fee",
                            models.DecimalField(
                                decimal_places=2,
                                max_digits=12,
                                validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                            ),
                        ),
                        ("currency", models.CharField(default="USD", max_length=3)),
                        (
                            "rule",
                            models.CharField(
                                choices=[
                                    ("blocks", "A percentage per block of downtime"),
                                    ("tiers", "Tiers by the month's availability"),
                                ],
                                default="blocks",
                                max_length=10,
                            ),
                        ),
                        (
                            "block_minutes",
                            models.PositiveIntegerField(
                                default=30, validators=[django.core.validators.MinValueValidator(1)]
                            ),
                        ),
                        (
                            "block_percent",
                            models.DecimalField(
                                decimal_places=2,
                                default=Decimal("5"),
                                max_digits=5,
                                validators=[
                                    django.core.validators.MinValueValidator(Decimal("0")),
                                    django.core.validators.MaxValueValidator(Decimal("100")),
                                ],
                            ),
                        ),
                        (
                            "partial_blocks",
                            models.BooleanField(
                                default=True,
                                help_text="A started block counts as a whole one (else only whole blocks count)",
                            ),
                        ),
                        (
                            "tiers",
                            models.CharField(
                                blank=True,
                                help_text="For tiers: availability at least : credit %, best first, ending at 0, e.g. 99.9:0, 99.5:5, 99.0:10, 0:25",
                                max_length=200,
                            ),
                        ),
                        (
                            "cap_percent",
                            models.DecimalField(
                                decimal_places=2,
                                default=Decimal("100"),
                                max_digits=5,
                                validators=[
                                    django.core.validators.MinValueValidator(Decimal("0")),
                                    django.core.validators.MaxValueValidator(Decimal("100")),
                                ],
                            ),
                        ),
                        (
                            "excludes_announced",
                            models.BooleanField(
                                default=True,
                                help_text="Maintenance announced in time does not count, inside its planned window",
                            ),
                        ),
                        (
                            "notice_hours",
                            models.PositiveIntegerField(
                                default=72,
                                help_text="How long before its start maintenance must be announced to be excluded",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "maintenance_slaplan",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="Credit",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("month", models.DateField(help_text="The first day of the billing month")),
                        ("down_seconds", models.PositiveIntegerField()),
                        ("excluded_seconds", models.PositiveIntegerField(default=0)),
                        ("percent", models.DecimalField(decimal_places=2, max_digits=5)),
                        (
                            "computed",
                            models.DecimalField(
                                decimal_places=2, help_text="The plan's answer for the month", max_digits=12
                            ),
                        ),
                        (
                            "already",
                            models.DecimalField(
                                decimal_places=2,
                                default=Decimal("0"),
                                help_text="Credited for the month before this",
                                max_digits=12,
                            ),
                        ),
                        (
                            "amount",
                            models.DecimalField(
                                decimal_places=2, help_text="What the customer is credited", max_digits=12
                            ),
                        ),
                        ("currency", models.CharField(max_length=3)),
                        ("working", models.TextField(help_text="The arithmetic, in words")),
                        ("adjust_reason", models.TextField(blank=True)),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("proposed", "Proposed"),
                                    ("approved", "Approved"),
                                    ("issued", "Issued"),
                                    ("withdrawn", "Withdrawn"),
                                ],
                                default="proposed",
                                max_length=10,
                            ),
                        ),
                        ("proposed_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("decided_at", models.DateTimeField(blank=True, null=True)),
                        ("issued_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "issued_reference",
                            models.CharField(
                                blank=True, help_text="The credit note or invoice", max_length=100
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
                    ],
                    options={
                        "db_table": "maintenance_credit",
                        "ordering": ["-month", "service__customer__name", "service__name", "-pk"],
                    },
                ),
                migrations.AddField(
                    model_name="credit",
                    name="incident",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credits",
                        to="incidents.incident",
                    ),
                ),
                migrations.AddField(
                    model_name="credit",
                    name="issued_by",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AddField(
                    model_name="credit",
                    name="proposed_by",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AddField(
                    model_name="credit",
                    name="service",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credits",
                        to="inventory.service",
                    ),
                ),
                migrations.AddField(
                    model_name="credit",
                    name="window",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credits",
                        to="maintenance.window",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="slaplan",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("rule__in", ["blocks", "tiers"])), name="sla_plan_rule_valid"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="slaplan",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("monthly_fee__gte", 0)), name="sla_plan_fee_not_negative"
                    ),
                ),
                migrations.AddField(
                    model_name="credit",
                    name="plan",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credits",
                        to="credits.slaplan",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="credit",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("state__in", ["proposed", "approved", "issued", "withdrawn"])),
                        name="credit_state_valid",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="credit",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("amount__gte", 0)), name="credit_amount_not_negative"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="credit",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("state", "proposed")),
                        fields=("service", "month"),
                        name="credit_one_open_proposal_per_service_month",
                    ),
                ),
            ],
        ),
        migrations.RunPython(relabel, unrelabel),
    ]
