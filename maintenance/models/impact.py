"""What a window does to connectivity: its targets, each as a blast-radius cut, and the snapshot of the blast
radius kept at submission. Below windows.py: the window is taken as a parameter (and named by the string
"maintenance.Window" in foreign keys), never imported."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from inventory.actions import Action
from inventory.blast_radius import Cut, InventoryGraph, build_graph, compute
from inventory.models import Device, Port, Site

if TYPE_CHECKING:
    from maintenance.models.windows import Window


# What a window may do to a target, and to which: the inventory's one vocabulary of actions.
TargetAction = Action


class Target(models.Model):
    window = models.ForeignKey("maintenance.Window", on_delete=models.CASCADE, related_name="targets")
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    port = models.ForeignKey(Port, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=TargetAction.choices)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(device__isnull=False) & Q(port__isnull=True))
                | (Q(device__isnull=True) & Q(port__isnull=False)),
                name="target_is_one_device_or_port",
            ),
            models.CheckConstraint(condition=Q(action__in=TargetAction.values), name="target_action_valid"),
            models.UniqueConstraint(fields=["window", "device"], name="target_device_once_per_window"),
            models.UniqueConstraint(fields=["window", "port"], name="target_port_once_per_window"),
        ]

    def __str__(self) -> str:
        asset = f"{self.port.device.name} {self.port.name}" if self.port_id else self.device.name
        return f"{self.get_action_display().lower()} {asset}"

    @property
    def asset(self) -> Device | Port:
        return self.port if self.port_id else self.device


# --- what a window does to connectivity ---------------------------------------------------------------


def cut_for(target: Target) -> Cut:
    """The target's action as a blast-radius cut (the one mapping, in `Cut.for_work`)."""
    verb = target.get_action_display().lower()
    if target.port_id:
        return Cut.for_work(
            target.action, port=target.port, label=f"{verb} {target.port.device.name} {target.port.name}"
        )
    return Cut.for_work(target.action, device=target.device, label=f"{verb} {target.device.name}")


def cuts_for(targets: Iterable[Target]) -> list[Cut]:
    return [cut_for(target) for target in targets]


def window_targets(window: Window) -> list[Target]:
    return list(window.targets.select_related("device", "port__device"))


def compute_window_blast_radius(window: Window, graph: InventoryGraph | None = None) -> dict[str, Any]:
    graph = graph or build_graph(window.site_id)
    return compute(graph, cuts_for(window_targets(window))).to_dict()


class BlastSnapshot(models.Model):
    """The blast radius as it was computed at submission, kept so the approver reviews what was submitted."""

    window = models.ForeignKey("maintenance.Window", on_delete=models.CASCADE, related_name="snapshots")
    computed_at = models.DateTimeField(default=timezone.now)
    inventory_revision = models.PositiveBigIntegerField()
    result = models.JSONField()
    service_count = models.PositiveIntegerField(default=0)
    device_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-computed_at"]

    def __str__(self) -> str:
        return f"blast radius of {self.window.reference} at {self.computed_at:%Y-%m-%d %H:%M}"

    @classmethod
    def compute_for(cls, window: Window) -> BlastSnapshot:
        revision = Site.objects.values_list("revision", flat=True).get(pk=window.site_id)
        result = compute_window_blast_radius(window)
        return cls.objects.create(
            window=window,
            inventory_revision=revision,
            result=result,
            service_count=len(result.get("services", [])),
            device_count=len(result.get("devices", [])),
        )

    @property
    def is_stale(self) -> bool:
        return self.window.site.revision != self.inventory_revision
