"""The switch testifies: what the network itself says, before and after the hands move.

A label can lie and so can a sticker; the switch is the one witness nobody can mislabel. A device with a NAPALM
driver and a management address (`DeviceAccess`; its credentials come from a secrets file, never the database)
is asked, in the task queue, about its links, neighbours and facts. Every answer, or silence, is kept as a
`Reading` with its time and source.

This app knows devices, not steps: what an answer means for a step (the before-check, the try-out, the rules
the step page and the signature ask: rule 10) is `checklists.live_checks`, above it. A reading still names the
step and the check it was taken for (`Reading.step`, `Reading.live_check`): a reference by label, so the
as-run record holds together without this app importing the one above it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q

from inventory.models import Device, normalize_serial
from live.failures import Failure

# Drivers that ship with NAPALM, and its mock (for tests). A community driver is named as its package says.
KNOWN_DRIVERS = ("eos", "ios", "iosxr", "iosxr_netconf", "nxos", "nxos_ssh", "junos", "mock")


class DeviceAccess(models.Model):
    """How Lockstep reaches a device's management plane. Without one, a device simply has no live checks."""

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="access")
    driver = models.CharField(
        max_length=40,
        help_text="NAPALM driver: eos, ios, iosxr, nxos, nxos_ssh, junos, or a community driver",
    )
    address = models.CharField(max_length=255, help_text="Management address or host name")
    enabled = models.BooleanField(default=True, help_text="Off: the device is not asked (the pages say so)")

    class Meta:
        verbose_name = "device access"
        verbose_name_plural = "device access"

    def __str__(self) -> str:
        return f"{self.device} via {self.driver} at {self.address}"

    @property
    def source(self) -> str:
        """How a reading was obtained, as the record says it (never the credentials)."""
        return f"napalm {self.driver} {self.address}"


class Purpose(models.TextChoices):
    SERIAL = "serial", "Serial read from the device"
    BEFORE = "before", "Before the step"
    TRYOUT = "tryout", "Try-out after the step"
    LOCATE = "locate", "Locate LED"


class Reading(models.Model):
    """One answer from a device (or its silence), with when and how it was asked. Only what Lockstep compares is
    kept: the ports it watches, the neighbour, the facts. A silence keeps its classified reason, never the
    driver's words (they can quote the credentials)."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="readings")
    step = models.ForeignKey(
        "checklists.Step", null=True, blank=True, on_delete=models.PROTECT, related_name="readings"
    )
    live_check = models.ForeignKey(
        "checklists.LiveCheck", null=True, blank=True, on_delete=models.PROTECT, related_name="readings"
    )
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    getter = models.CharField(max_length=60)
    source = models.CharField(max_length=300)
    taken_at = models.DateTimeField()
    answered = models.BooleanField()
    data = models.JSONField(default=dict, blank=True)
    failure = models.CharField(max_length=20, choices=Failure.choices, blank=True)

    class Meta:
        ordering = ["taken_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(purpose__in=Purpose.values), name="reading_purpose_valid"),
            models.CheckConstraint(
                condition=Q(failure__in=["", *Failure.values]), name="reading_failure_classified"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.getter} of {self.device} at {self.taken_at:%Y-%m-%d %H:%M:%S}"

    @property
    def said(self) -> str:
        """What came of the asking, in words: answered, or why not (the source says through what)."""
        if self.answered:
            return "answered"
        return f"no answer: {Failure(self.failure).label if self.failure else Failure.DRIVER_FAILED.label}"


def access_for(device: Device | None) -> DeviceAccess | None:
    """The device's access, if it has one that is switched on."""
    if device is None:
        return None
    access = DeviceAccess.objects.filter(device=device, enabled=True).first()
    return access


def locate_command(access: DeviceAccess | None, *, on: bool = True) -> str | None:
    """The command that turns the chassis's locate LED on (or off), if its platform has one configured
    (`LOCKSTEP_LOCATE_COMMANDS`, by driver). None: the step page does not offer it."""
    if access is None:
        return None
    commands = settings.LOCKSTEP_LOCATE_COMMANDS.get(access.driver)
    if not commands:
        return None
    return commands[0] if on else commands[1] if len(commands) > 1 else None


@dataclass(frozen=True)
class SerialReport:
    """The device's own word on its serial, in words only: whether it agrees with the record (rule 7)."""

    taken_at: object
    source: str
    agrees: bool | None  # None: the inventory has no serial to compare


def serial_report(device: Device) -> SerialReport | None:
    reading = (
        Reading.objects.filter(device=device, purpose=Purpose.SERIAL, answered=True)
        .order_by("-taken_at")
        .first()
    )
    if reading is None:
        return None
    on_record = normalize_serial(device.serial)
    reported = normalize_serial(str(reading.data.get("serial_number", "")))
    return SerialReport(reading.taken_at, reading.source, (reported == on_record) if on_record else None)
