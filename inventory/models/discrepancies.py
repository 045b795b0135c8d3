"""Discrepancies: what was expected and what was found at the rack did not agree, recorded for the approver."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from audit.log import record


class DiscrepancyStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Discrepancy(models.Model):
    """What was expected and what was found did not agree. Always recorded, never just warned about."""

    kind = models.CharField(max_length=40)  # e.g. serial_mismatch, tag_mismatch
    summary = models.CharField(max_length=300)
    expected = models.JSONField(default=dict)
    found = models.JSONField(default=dict)
    device = models.ForeignKey("Device", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    port = models.ForeignKey("Port", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    tag = models.ForeignKey("Tag", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=DiscrepancyStatus.choices, default=DiscrepancyStatus.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-reported_at"]
        verbose_name_plural = "discrepancies"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DiscrepancyStatus.values), name="discrepancy_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | Q(status="resolved", resolved_at__isnull=False),
                name="discrepancy_resolved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.summary

    @classmethod
    def raise_for(
        cls, *, kind: str, summary: str, by, expected: dict, found: dict, **links: Any
    ) -> Discrepancy:
        """Record a discrepancy and its audit event. Call inside the refusing transaction's own atomic
        block only if the refusal does not roll it back: discrepancies must survive the refusal."""
        with transaction.atomic():
            discrepancy = cls.objects.create(
                kind=kind, summary=summary[:300], expected=expected, found=found, reported_by=by, **links
            )
            record(
                "discrepancy.raised",
                actor=by,
                obj=discrepancy,
                payload={"kind": kind, "summary": summary[:300], "expected": expected, "found": found},
            )
        return discrepancy
