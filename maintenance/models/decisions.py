"""What approvers decided on windows: each decision per submission, and the overrides approved over a
redundancy conflict (with what an approver says to make one). Below windows.py, which records them: the window
is named by the string "maintenance.Window" in foreign keys, never imported."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


def override_prefetches() -> list[models.Prefetch]:
    """What `Window.override_list` reads, fetched with a list of windows: two queries for them all."""
    overrides = RedundancyOverride.objects.select_related("window__site", "other", "by")
    return [
        models.Prefetch("overrides", queryset=overrides, to_attr="overrides_made"),
        models.Prefetch("overridden_by", queryset=overrides, to_attr="overrides_against"),
    ]


@dataclass(frozen=True)
class Override:
    """What an approver says to approve a window over a redundancy conflict: the services they accept will
    lose both halves of their pair (by id), and why."""

    services: tuple[int, ...]
    reason: str


class WindowDecision(models.Model):
    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    window = models.ForeignKey("maintenance.Window", on_delete=models.PROTECT, related_name="decisions")
    submission = models.PositiveIntegerField()
    decision = models.CharField(max_length=10, choices=Decision.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.UniqueConstraint(fields=["window", "submission"], name="one_decision_per_submission"),
            models.CheckConstraint(condition=Q(decision__in=["approved", "rejected"]), name="decision_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.window.reference} {self.decision} by {self.by}"

    @property
    def is_rejection(self) -> bool:
        return self.decision == self.Decision.REJECTED


class RedundancyOverride(models.Model):
    """An approver approved `window` although, together with `other` (approved or in progress at an
    overlapping time), it takes down services that neither takes down alone: both halves of a redundant pair.
    Named services and a reason, recorded; shown on both windows. It never lets both cuts happen at once at
    run time: the interlock refuses the second cut whatever was approved."""

    window = models.ForeignKey("maintenance.Window", on_delete=models.PROTECT, related_name="overrides")
    other = models.ForeignKey("maintenance.Window", on_delete=models.PROTECT, related_name="overridden_by")
    submission = models.PositiveIntegerField()
    services = models.JSONField(default=list)  # [{"id": …, "name": …}] as the approver saw them
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="override_has_reason"),
            models.UniqueConstraint(
                fields=["window", "other", "submission"], name="one_override_per_pair_per_submission"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window.reference} approved over {self.other.reference}"

    @property
    def service_names(self) -> list[str]:
        return [service["name"] for service in self.services]
