"""SLA plans and the credits they give: proposed by Lockstep from measured downtime with the arithmetic shown,
reviewed (and adjusted, with a reason) by a coordinator, approved, and marked issued. Every step audited."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.log import record
from credits import sla
from incidents.models import Incident
from inventory.models import Service
from maintenance.models import WORK_BEGAN, Window


class CreditRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CreditRule(models.TextChoices):
    BLOCKS = "blocks", "A percentage per block of downtime"
    TIERS = "tiers", "Tiers by the month's availability"


PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class SlaPlan(models.Model):
    """A service plan's credit terms. A service is on the plan whose name its `sla_plan` field holds."""

    name = models.CharField(max_length=50, unique=True, help_text="As written in each service's SLA plan")
    monthly_fee = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(max_length=3, default="USD")
    rule = models.CharField(max_length=10, choices=CreditRule.choices, default=CreditRule.BLOCKS)
    block_minutes = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    block_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(5), validators=PERCENT
    )
    partial_blocks = models.BooleanField(
        default=True, help_text="A started block counts as a whole one (else only whole blocks count)"
    )
    tiers = models.CharField(
        max_length=200,
        blank=True,
        help_text="For tiers: availability at least : credit %, best first, ending at 0, "
        "e.g. 99.9:0, 99.5:5, 99.0:10, 0:25",
    )
    cap_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(100), validators=PERCENT
    )
    excludes_announced = models.BooleanField(
        default=True, help_text="Maintenance announced in time does not count, inside its planned window"
    )
    notice_hours = models.PositiveIntegerField(
        default=72, help_text="How long before its start maintenance must be announced to be excluded"
    )

    class Meta:
        db_table = "maintenance_slaplan"  # kept from when it lived in maintenance
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(rule__in=CreditRule.values), name="sla_plan_rule_valid"),
            models.CheckConstraint(condition=Q(monthly_fee__gte=0), name="sla_plan_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.rule == CreditRule.TIERS:
            try:
                sla.parse_tiers(self.tiers)
            except ValueError as problem:
                raise ValidationError({"tiers": str(problem)}) from None

    def terms(self) -> sla.Rule:
        return sla.Rule(
            kind=self.rule,
            cap_percent=self.cap_percent,
            block_minutes=self.block_minutes,
            block_percent=self.block_percent,
            partial_blocks=self.partial_blocks,
            tiers=sla.parse_tiers(self.tiers) if self.rule == CreditRule.TIERS else (),
        )

    @property
    def notice(self) -> timedelta:
        return timedelta(hours=self.notice_hours)

    def describe(self) -> str:
        if self.rule == CreditRule.BLOCKS:
            each = "started" if self.partial_blocks else "whole"
            words = f"{self.block_percent}% per {each} {self.block_minutes} min of downtime"
        else:
            words = "by availability: " + ", ".join(
                f"≥{t.at_least}% → {t.percent}%" for t in sla.parse_tiers(self.tiers)
            )
        words += f", at most {self.cap_percent}% of {self.monthly_fee} {self.currency} a month"
        if self.excludes_announced:
            words += f"; maintenance announced {self.notice_hours} h ahead is excluded inside its window"
        else:
            words += "; nothing is excluded"
        return words


class CreditState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    ISSUED = "issued", "Issued"
    WITHDRAWN = "withdrawn", "Withdrawn"


COUNTED = (CreditState.APPROVED, CreditState.ISSUED)


class Credit(models.Model):
    """One service's credit for one billing month, as Lockstep proposed it and as the coordinator decided.
    At most one proposal per service and month is open; a month credited already is credited again only for
    the difference."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="credits")
    month = models.DateField(help_text="The first day of the billing month")
    plan = models.ForeignKey(SlaPlan, on_delete=models.PROTECT, related_name="credits")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="credits"
    )
    window = models.ForeignKey(
        "maintenance.Window", null=True, blank=True, on_delete=models.PROTECT, related_name="credits"
    )
    down_seconds = models.PositiveIntegerField()
    excluded_seconds = models.PositiveIntegerField(default=0)
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    computed = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The plan's answer for the month"
    )
    already = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal(0), help_text="Credited for the month before this"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="What the customer is credited")
    currency = models.CharField(max_length=3)
    working = models.TextField(help_text="The arithmetic, in words")
    adjust_reason = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=CreditState.choices, default=CreditState.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_reference = models.CharField(max_length=100, blank=True, help_text="The credit note or invoice")

    class Meta:
        db_table = "maintenance_credit"  # kept from when it lived in maintenance
        ordering = ["-month", "service__customer__name", "service__name", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=CreditState.values), name="credit_state_valid"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="credit_amount_not_negative"),
            models.UniqueConstraint(
                fields=["service", "month"],
                condition=Q(state="proposed"),
                name="credit_one_open_proposal_per_service_month",
            ),
        ]

    def __str__(self) -> str:
        return f"Credit for {self.service} in {self.month:%B %Y}"

    @property
    def proposed(self) -> Decimal:
        """The plan's answer for the month, less what the month was credited already (never below 0)."""
        return max(self.computed - self.already, Decimal(0))

    @property
    def adjusted(self) -> bool:
        return self.amount != self.proposed

    # --- who may -------------------------------------------------------------------------------------

    @staticmethod
    def may_propose(user, source=None) -> bool:
        """A coordinator proposes credits for an incident, or for a window whose work began (before that
        nothing was cut)."""
        if not has_role(user, Role.COORDINATOR):
            return False
        if isinstance(source, Window):
            return source.status in WORK_BEGAN
        return True

    def may_adjust(self, user) -> bool:
        return self.state == CreditState.PROPOSED and has_role(user, Role.COORDINATOR)

    def may_approve(self, user) -> bool:
        return self.state == CreditState.PROPOSED and has_role(user, Role.COORDINATOR)

    def may_issue(self, user) -> bool:
        return self.state == CreditState.APPROVED and has_role(user, Role.COORDINATOR)

    # --- changes -------------------------------------------------------------------------------------

    def _locked(self) -> Credit:
        return Credit.objects.select_for_update().get(pk=self.pk)

    def adjust(self, *, by, amount: Decimal, reason: str) -> None:
        reason = (reason or "").strip()
        if not reason:
            raise CreditRefused("Say why the amount differs from the plan's: the customer may ask.")
        with transaction.atomic():
            row = self._locked()
            if not row.may_adjust(by):
                raise CreditRefused("Only a coordinator adjusts a credit, and only while it is proposed.")
            # Never more than the month's fee, counting what the month was credited already.
            room = max(row.plan.monthly_fee - Credit.credited(row.service_id, row.month), Decimal(0))
            if not (Decimal(0) <= amount <= room):
                raise CreditRefused(
                    f"A credit is between 0 and {room} {row.currency}: the month's fee, less what it was "
                    "credited already."
                )
            before = row.amount
            row.amount, row.adjust_reason = amount.quantize(sla.CENT), reason[:2000]
            row.save(update_fields=["amount", "adjust_reason"])
            record(
                "credit.adjusted",
                actor=by,
                obj=row,
                payload={"before": str(before), "after": str(row.amount), "reason": row.adjust_reason},
            )
        self.amount, self.adjust_reason = row.amount, row.adjust_reason

    def approve(self, *, by) -> None:
        with transaction.atomic():
            row = self._locked()
            if not row.may_approve(by):
                raise CreditRefused("Only a coordinator approves a credit, and only while it is proposed.")
            row.state, row.decided_by, row.decided_at = CreditState.APPROVED, by, timezone.now()
            row.save(update_fields=["state", "decided_by", "decided_at"])
            record("credit.approved", actor=by, obj=row, payload={"amount": str(row.amount)})
        self.state, self.decided_by, self.decided_at = row.state, row.decided_by, row.decided_at

    def mark_issued(self, *, by, reference: str = "") -> None:
        with transaction.atomic():
            row = self._locked()
            if not row.may_issue(by):
                raise CreditRefused("Only an approved credit is marked issued, by a coordinator.")
            row.state, row.issued_by, row.issued_at = CreditState.ISSUED, by, timezone.now()
            row.issued_reference = (reference or "").strip()[:100]
            row.save(update_fields=["state", "issued_by", "issued_at", "issued_reference"])
            record(
                "credit.issued",
                actor=by,
                obj=row,
                payload={"amount": str(row.amount), "reference": row.issued_reference},
            )
        self.state, self.issued_by, self.issued_at = row.state, row.issued_by, row.issued_at

    @staticmethod
    def credited(service_id: int, month: date) -> Decimal:
        """What the month is already credited for this service (approved or issued)."""
        total = Credit.objects.filter(service_id=service_id, month=month, state__in=COUNTED).aggregate(
            total=Sum("amount")
        )["total"]
        return (total or Decimal(0)).quantize(sla.CENT)
