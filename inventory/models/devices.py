"""Devices: what is in the racks, what they do for connectivity, and their chassis serials, read at the rack
by two people when the inventory has none."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.roles import Role, has_role
from audit.log import record
from inventory.models.discrepancies import Discrepancy
from inventory.models.sites import Rack, Site, bump_sites
from inventory.phones import Phone


class InventoryRefused(Exception):
    """A refused inventory action, with a message written for the person who tried it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeviceKind(models.TextChoices):
    """What a device does for connectivity. NetBox's free-form role names map onto these on import."""

    SWITCH = "switch", "Switch"
    ROUTER = "router", "Router"
    FIREWALL = "firewall", "Firewall"
    SERVER = "server", "Server"
    PDU = "pdu", "PDU"
    POWER_PANEL = "power_panel", "Power panel"
    PATCH_PANEL = "patch_panel", "Patch panel"
    OTHER = "other", "Other"


# Devices that carry traffic between their ports. A server does not: losing one of its two uplinks
# leaves it reachable through the other, but nothing reaches anything else through it.
FORWARDING_KINDS = frozenset({DeviceKind.SWITCH, DeviceKind.ROUTER, DeviceKind.FIREWALL})


class DeviceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PLANNED = "planned", "Planned"
    STAGED = "staged", "Staged"
    OFFLINE = "offline", "Offline"
    FAILED = "failed", "Failed"
    INVENTORY = "inventory", "Inventory"
    DECOMMISSIONING = "decommissioning", "Decommissioning"


def is_upstream_role(role: str) -> bool:
    """Does a device of this role (NetBox's name or slug for it) feed connectivity to the rest of its site?
    The roles are a setting, LOCKSTEP_UPSTREAM_ROLES, compared without case; an import marks such devices
    as upstream roots (and an admin can change any device, one by one or in bulk)."""
    wanted = {name.strip().casefold() for name in getattr(settings, "LOCKSTEP_UPSTREAM_ROLES", ())}
    role = role.strip()
    return bool(role) and (role.casefold() in wanted or slugify(role).casefold() in wanted)


class Device(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="devices")
    rack = models.ForeignKey(Rack, null=True, blank=True, on_delete=models.PROTECT, related_name="devices")
    position = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, help_text="Lowest U"
    )
    face = models.CharField(max_length=5, blank=True, choices=[("front", "Front"), ("rear", "Rear")])
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=DeviceKind.choices, default=DeviceKind.OTHER)
    role = models.CharField(max_length=100, blank=True, help_text="The role name as the source calls it")
    manufacturer = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True)
    serial = models.CharField(max_length=100, blank=True)
    asset_tag = models.CharField(max_length=100, null=True, blank=True, unique=True)
    # NetBox's id for the device, when an import knew it: what finds the device again after a rename, and
    # what names one NetBox leaves unnamed ("Panduit CP48 (4312)", as NetBox shows it).
    netbox_id = models.PositiveBigIntegerField(null=True, blank=True, unique=True, verbose_name="NetBox id")
    status = models.CharField(max_length=20, choices=DeviceStatus.choices, default=DeviceStatus.ACTIVE)
    is_upstream_root = models.BooleanField(
        default=False,
        help_text="Core or edge device: where connectivity comes from. An import sets it from the role "
        "(LOCKSTEP_UPSTREAM_ROLES) when a device arrives or its role changes.",
    )

    class Meta:
        ordering = ["site", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="device_unique_name_per_site"),
            models.CheckConstraint(condition=Q(kind__in=DeviceKind.values), name="device_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=DeviceStatus.values), name="device_status_valid"),
        ]
        indexes = [models.Index(fields=["serial"], name="device_serial_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inventory:device", args=[self.pk])

    @property
    def forwards(self) -> bool:
        return self.kind in FORWARDING_KINDS

    # --- the serial read at the rack, when the inventory has none -------------------------------------------

    def may_read_serial(self, user, phone: Phone | None = None) -> bool:
        """May `user` read this chassis's serial at the rack, on `phone`? Only while the inventory has none, only
        a person who works with tags, and each person and each phone once: the second reading must come from
        someone else, on their own phone."""
        if self.serial or not getattr(user, "is_authenticated", False):
            return False
        if not any(has_role(user, role) for role in (Role.TECH, Role.APPROVER, Role.ADMIN)):
            return False
        first = self.pending_serial_reading()
        if first is None:
            return True
        return first.read_by_id != user.pk and not (phone is not None and phone.made(first.phone))

    def pending_serial_reading(self) -> SerialReading | None:
        """The first of two readings, waiting for the second (who read it and when; never its value)."""
        return (
            self.serial_readings.filter(status=SerialReadingStatus.PENDING).select_related("read_by").first()
        )

    def read_serial_at_rack(self, serial: str, *, by, phone: Phone) -> str:
        """One person's reading of the chassis serial, on their phone. The first waits; a second person's reading
        on another phone that agrees puts the serial on record as read at the rack by both; one that differs
        records nothing, sets both readings aside and raises a discrepancy for the approver. Returns "waiting",
        "agreed" or "differ"."""
        typed = (serial or "").strip()
        if not normalize_serial(typed):
            raise InventoryRefused("Type or scan the serial number on the chassis.")
        if len(typed) > 100:
            raise InventoryRefused("That is longer than any serial number (100 characters at most).")
        with transaction.atomic():
            device = Device.objects.select_for_update().get(pk=self.pk)
            if device.serial:
                raise InventoryRefused(f"{device} already has a serial on record; it is not read again here.")
            if not device.may_read_serial(by, phone):
                first = device.pending_serial_reading()
                if first is not None and first.read_by_id == by.pk:
                    raise InventoryRefused(
                        "You have read this serial already. A second person reads it, on their own phone."
                    )
                if first is not None and phone.made(first.phone):
                    raise InventoryRefused(
                        "This phone has read this serial already. The second person reads it on their own "
                        "phone, not by logging in on this one. Nothing was recorded."
                    )
                raise InventoryRefused("Only a tech, an approver or an admin reads a serial at the rack.")
            first = device.pending_serial_reading()
            reading = SerialReading.objects.create(
                device=device, serial=typed, read_by=by, session_hash=phone.session, device_hash=phone.device
            )
            if first is None:
                record("device.serial_read", actor=by, obj=device, payload={"reading": "first"})
                return "waiting"
            pair = [first.pk, reading.pk]
            readers = [first.read_by.get_username(), by.get_username()]
            if normalize_serial(first.serial) == normalize_serial(typed):
                device.serial = first.serial
                device.save(update_fields=["serial"])
                SerialReading.objects.filter(pk__in=pair).update(status=SerialReadingStatus.AGREED)
                record(
                    "device.serial_recorded_at_rack",
                    actor=by,
                    obj=device,
                    payload={"read_by": readers, "readings": pair},
                )
                return "agreed"
            SerialReading.objects.filter(pk__in=pair).update(status=SerialReadingStatus.SET_ASIDE)
            Discrepancy.raise_for(
                kind="serial_readings_differ",
                summary=f"Two readings of {device}'s serial at the rack differ; nothing was recorded",
                by=by,
                expected={"device": device.name, "read_by": readers[0], "serial": first.serial},
                found={"read_by": readers[1], "serial": typed},
                device=device,
            )
            return "differ"

    def serial_read_at_rack_by(self) -> list[SerialReading]:
        """The two agreeing readings behind the serial on record, if it was read at the rack."""
        readings = self.serial_readings.filter(status=SerialReadingStatus.AGREED).select_related("read_by")
        pair = list(readings.order_by("-read_at", "-pk")[:2])[::-1]
        # Only while the serial on record is the one they read: an import or an admin may have changed it.
        on_record = normalize_serial(self.serial)
        return pair if pair and all(normalize_serial(r.serial) == on_record for r in pair) else []

    @classmethod
    def mark_upstream_roots(cls, devices: models.QuerySet[Device], root: bool, *, by) -> int:
        """Make the chosen devices upstream roots (or no longer), in one change with one audit event naming
        them; every site they are at gets a new revision, so stored blast radiuses know they are stale.
        Returns how many devices changed."""
        with transaction.atomic():
            changing = list(
                devices.exclude(is_upstream_root=root)
                .select_for_update(of=("self",))
                .order_by("pk")
                .values_list("pk", "name", "site_id", "site__code")
            )
            if not changing:
                return 0
            cls.objects.filter(pk__in=[pk for pk, *_ in changing]).update(is_upstream_root=root)
            bump_sites({site_id for _pk, _name, site_id, _code in changing})
            record(
                "inventory.upstream_roots_marked" if root else "inventory.upstream_roots_unmarked",
                actor=by,
                payload={
                    "count": len(changing),
                    "devices": [f"{name} ({code})" for _pk, name, _site, code in changing[:200]],
                },
            )
        return len(changing)

    @property
    def place(self) -> str:
        """Where to find it, in the words on the rack: 'rack A01 U12 (front)'."""
        parts = []
        if self.rack_id:
            parts.append(f"rack {self.rack.name}")
        if self.position is not None:
            parts.append(f"U{self.position.normalize():f}")
        text = " ".join(parts) or "no rack position"
        return f"{text} ({self.face})" if self.face else text


class SerialReadingStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a second reading"
    AGREED = "agreed", "Agreed: on record"
    SET_ASIDE = "set_aside", "Set aside: the two readings differed"


class SerialReading(models.Model):
    """One person's reading of a chassis serial at the rack, for a device the inventory has no serial for.
    Two people read it independently (neither is shown the other's); see Device.read_serial_at_rack."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="serial_readings")
    serial = models.CharField(max_length=100)
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The phone it was read on (see inventory.phones), as SHA-256: the second reading is from another phone.
    session_hash = models.CharField(max_length=64, blank=True)
    device_hash = models.CharField(max_length=64, blank=True)
    read_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=20, choices=SerialReadingStatus.choices, default=SerialReadingStatus.PENDING
    )

    class Meta:
        ordering = ["read_at", "pk"]
        constraints = [
            # One waiting reading per person per device: the second must be someone else's.
            models.UniqueConstraint(
                fields=["device", "read_by"],
                condition=Q(status="pending"),
                name="serial_reading_one_pending_per_reader",
            ),
            # ... and one per phone: a second person logging in on the first one's phone is not a second phone.
            models.UniqueConstraint(
                fields=["device", "device_hash"],
                condition=Q(status="pending") & ~Q(device_hash=""),
                name="serial_reading_one_pending_per_phone",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "agreed", "set_aside"]), name="serial_reading_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"serial reading of {self.device} by {self.read_by}"

    @property
    def phone(self) -> Phone:
        return Phone(device=self.device_hash, session=self.session_hash)


class DeviceRole(models.Model):
    """NetBox's device roles, by name and slug: an import refuses a device whose role is not one of them (a
    typo would otherwise become a role of its own, and a wrong kind and root for the blast radius)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeviceType(models.Model):
    """What is known about a make and model of chassis, whatever its name: where its serial sticker is.
    NetBox's device types arrive by import (with their slug); an import refuses a device of a type it lacks.

    The step page and the printed runbook say where to look, never what the serial is: the evidence must
    come from the rack."""

    manufacturer = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, blank=True)
    serial_location = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where the serial is on this chassis, e.g. 'pull-out tab, front left'",
    )

    class Meta:
        ordering = ["manufacturer", "model"]
        constraints = [
            models.UniqueConstraint(fields=["manufacturer", "model"], name="device_type_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer} {self.model}".strip()

    @classmethod
    def serial_locations(cls, devices) -> dict[int, str]:
        """Where the serial is, by device id, for the devices whose type says so: one query for them all."""
        devices = [d for d in devices if d is not None and d.model]
        if not devices:
            return {}
        known = {
            (t.manufacturer, t.model): t.serial_location
            for t in cls.objects.filter(model__in={d.model for d in devices}).exclude(serial_location="")
        }
        return {d.pk: known[(d.manufacturer, d.model)] for d in devices if (d.manufacturer, d.model) in known}


def normalize_serial(value: str | None) -> str:
    """Serials compare without case, spaces or dashes: how people type what a barcode says."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())
