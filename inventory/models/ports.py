"""Ports and the cables between them, in NetBox's shape: a port has at most one cable, a cable an A end and
a B end. Power is cabled the same way (a supply to an outlet or a feed)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse

from inventory.models.devices import Device


class PortKind(models.TextChoices):
    INTERFACE = "interface", "Interface"
    FRONT = "front_port", "Front port"
    REAR = "rear_port", "Rear port"
    # Power, as NetBox draws it: a device's power supply inlet (power port) is cabled to a PDU's outlet or to
    # a power feed; a power panel is kept as a device of kind "power panel" whose ports are its feeds.
    POWER_PORT = "power_port", "Power port"
    POWER_OUTLET = "power_outlet", "Power outlet"
    POWER_FEED = "power_feed", "Power feed"


POWER_KINDS = frozenset({PortKind.POWER_PORT, PortKind.POWER_OUTLET, PortKind.POWER_FEED})


class Port(models.Model):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="ports")
    name = models.CharField(max_length=64)
    kind = models.CharField(max_length=20, choices=PortKind.choices, default=PortKind.INTERFACE)
    type = models.CharField(max_length=50, blank=True, help_text="e.g. 10gbase-x-sfpp")
    label = models.CharField(max_length=64, blank=True)
    enabled = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    # A patch panel's front port passes through to one position of one rear port. A rear port with several
    # positions (a trunk of 12 fibres behind 12 front ports) carries each position as its own path.
    rear_port = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="front_ports"
    )
    rear_port_position = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The rear port's position this front port passes through (1 if empty)",
    )
    positions = models.PositiveSmallIntegerField(
        default=1, help_text="For a rear port: how many front-port positions it carries"
    )
    # A PDU's outlet is fed by one of the PDU's own power ports (NetBox's outlet "power_port"); when empty,
    # the outlet is live while the PDU is.
    power_port = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="outlets"
    )
    # NetBox's shape: a port has at most one cable, and a cable has one A end and one B end.
    cable = models.ForeignKey("Cable", null=True, blank=True, on_delete=models.SET_NULL, related_name="ends")
    cable_end = models.CharField(max_length=1, blank=True, choices=[("A", "A"), ("B", "B")])

    class Meta:
        ordering = ["device", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["device", "kind", "name"], name="port_unique_per_device"),
            models.UniqueConstraint(fields=["cable", "cable_end"], name="cable_has_one_port_per_end"),
            models.CheckConstraint(condition=Q(kind__in=PortKind.values), name="port_kind_valid"),
            models.CheckConstraint(condition=Q(positions__gte=1), name="port_positions_at_least_one"),
            models.CheckConstraint(
                condition=Q(rear_port_position__isnull=True) | Q(rear_port_position__gte=1),
                name="port_rear_position_at_least_one",
            ),
            models.CheckConstraint(
                condition=(Q(cable__isnull=True) & Q(cable_end=""))
                | (Q(cable__isnull=False) & Q(cable_end__in=["A", "B"])),
                name="port_cable_end_set_with_cable",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device.name} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:port", args=[self.pk])


class Cable(models.Model):
    label = models.CharField(max_length=100, blank=True)
    type = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=20, default="connected")

    def __str__(self) -> str:
        return self.label or f"cable {self.pk}"
