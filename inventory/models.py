"""The inventory: what is in the data center, how it is cabled, who depends on it, and the tags on it.

Inventory knows nothing of maintenance windows or checklists; they ask it questions (see blast_radius.py).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.roles import Role, has_role
from audit.log import record
from inventory import codes, render_jobs
from inventory.phones import Phone
from lockstep.public import public_url


class InventoryRefused(Exception):
    """A refused inventory action, with a message written for the person who tried it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (for example Europe/Berlin).")


class Site(models.Model):
    code = models.SlugField(max_length=32, unique=True, help_text="Short code, e.g. LAX1")
    name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Goes up whenever something the blast radius reads changes here (devices, ports, cables, dependencies),
    # so a stored blast radius can tell it is stale. See inventory/revisions.py.
    revision = models.PositiveBigIntegerField(default=0, editable=False)
    # Evidence from the rack: at least one of the two scans of a destructive step is made with a camera
    # (the page's own, or the phone's camera app through the tag URL), not typed from a code someone read out.
    camera_scan_required = models.BooleanField(
        default=True,
        help_text="A destructive step needs at least one of its two scans made with a camera, not typed",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        # The revision is only ever bumped in the database (F() + 1). Saving an edited site (the admin) must
        # not write back the revision it read, which would undo a bump made since and hide a change.
        plain_update = not (args or kwargs.get("force_insert") or kwargs.get("force_update"))
        if (
            plain_update
            and not self._state.adding
            and self.pk is not None
            and kwargs.get("update_fields") is None
        ):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "revision"
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("inventory:site", args=[self.code])

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @classmethod
    def lock(cls, pk: int) -> None:
        """Decisions about what may be cut at one site (an approval over a redundant pair, a cut at run time)
        are made one at a time: the second waits here and then sees the first. FOR NO KEY UPDATE, so rows
        that merely point at the site are not held up."""
        cls.objects.select_for_update(no_key=True).filter(pk=pk).values_list("pk", flat=True).get()

    @classmethod
    def lock_joined(cls, pk: int) -> set[int]:
        """Lock the site and every site its active circuits join it to (in id order, so two deciders never
        wait on each other): a redundant pair may have one half at each end. Returns the sites locked."""
        from inventory.blast_radius import joined_sites

        sites = joined_sites(pk)
        for site_id in sorted(sites):
            cls.lock(site_id)
        return sites


class Location(models.Model):
    """A room or cage inside a site."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="location_unique_per_site")]

    def __str__(self) -> str:
        return f"{self.site.code} {self.name}"


class Rack(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="racks")
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="racks"
    )
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="rack_unique_per_site")]

    def __str__(self) -> str:
        return f"{self.site.code} rack {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:rack", args=[self.pk])


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
        from inventory.revisions import bump_sites

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


class CircuitStatus(models.TextChoices):
    """NetBox's CircuitStatusChoices: only an active circuit carries traffic."""

    PLANNED = "planned", "Planned"
    PROVISIONING = "provisioning", "Provisioning"
    ACTIVE = "active", "Active"
    OFFLINE = "offline", "Offline"
    DEPROVISIONING = "deprovisioning", "Deprovisioning"
    DECOMMISSIONED = "decommissioned", "Decommissioned"


class Circuit(models.Model):
    """A provider's circuit between two sites (NetBox's circuit, by its circuit id): what joins one site's
    blast radius to another's."""

    cid = models.CharField("circuit ID", max_length=100, unique=True)
    provider = models.CharField(max_length=100, blank=True)
    type = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=CircuitStatus.choices, default=CircuitStatus.ACTIVE)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["cid"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CircuitStatus.values), name="circuit_status_valid")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.cid}".strip()


class CircuitTermination(models.Model):
    """One end (A or Z) of a circuit: at a site, and cabled (in NetBox) to one port there. Lockstep keeps the
    port the cable lands on rather than the cable, since a termination is not a port anyone can tag."""

    circuit = models.ForeignKey(Circuit, on_delete=models.CASCADE, related_name="terminations")
    term_side = models.CharField(max_length=1, choices=[("A", "A"), ("Z", "Z")])
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    port = models.OneToOneField(
        Port, null=True, blank=True, on_delete=models.SET_NULL, related_name="circuit_termination"
    )

    class Meta:
        ordering = ["circuit", "term_side"]
        constraints = [
            models.UniqueConstraint(fields=["circuit", "term_side"], name="circuit_one_termination_per_side"),
            models.CheckConstraint(condition=Q(term_side__in=["A", "Z"]), name="circuit_term_side_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.circuit.cid} {self.term_side}"


class Customer(models.Model):
    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A customer service (a hosted site) and the devices and ports it depends on."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=200)
    public_name = models.CharField(max_length=200, blank=True, help_text="As shown on the public status page")
    sla_plan = models.CharField(max_length=50, blank=True)
    devices = models.ManyToManyField(Device, blank=True, related_name="services")
    ports = models.ManyToManyField(Port, blank=True, related_name="services")

    class Meta:
        ordering = ["customer", "name"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="service_unique_per_customer"),
        ]

    def __str__(self) -> str:
        return self.public_name or self.name


class DiscrepancyStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Discrepancy(models.Model):
    """What was expected and what was found did not agree. Always recorded, never just warned about."""

    kind = models.CharField(max_length=40)  # e.g. serial_mismatch, tag_mismatch
    summary = models.CharField(max_length=300)
    expected = models.JSONField(default=dict)
    found = models.JSONField(default=dict)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    port = models.ForeignKey(Port, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
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

    @property
    def is_open(self) -> bool:
        return self.status == DiscrepancyStatus.OPEN

    # The kinds a page describes in their own words (the others show their summary).
    @property
    def is_scan_mismatch(self) -> bool:
        return self.kind == "scan_mismatch"

    @property
    def is_tryout_wrong_port(self) -> bool:
        return self.kind == "tryout_wrong_port"

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


class TagStatus(models.TextChoices):
    ISSUED = "issued", "Issued (printed, not yet applied)"
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class TagQuerySet(models.QuerySet):
    def live(self) -> TagQuerySet:
        return self.exclude(status=TagStatus.REVOKED)

    def by_code(self, kind: str, value: str) -> Tag | None:
        """The tag behind a code as `codes.parse_any` returned it: ("code", long) or ("short", short)."""
        return self.filter(**{"code" if kind == "code" else "short_code": value}).first()


class Tag(models.Model):
    """A QR tag: an unguessable code bound to exactly one device or port.

    Issued when its label is printed; active once a tech has applied it and the chassis serial agreed
    (commissioning); revoked when it must never verify again. Only an active tag verifies.
    """

    code = models.CharField(max_length=codes.CODE_LENGTH, unique=True, editable=False)
    short_code = models.CharField(max_length=codes.SHORT_LENGTH, unique=True, editable=False)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT, related_name="tags")
    port = models.ForeignKey(Port, null=True, blank=True, on_delete=models.PROTECT, related_name="tags")
    status = models.CharField(max_length=10, choices=TagStatus.choices, default=TagStatus.ISSUED)
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    commissioned_at = models.DateTimeField(null=True, blank=True)
    commissioned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.CharField(max_length=300, blank=True)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(device__isnull=False) & Q(port__isnull=True))
                | (Q(device__isnull=True) & Q(port__isnull=False)),
                name="tag_bound_to_exactly_one_asset",
            ),
            models.CheckConstraint(condition=Q(status__in=TagStatus.values), name="tag_status_valid"),
            # One live (issued or active) tag per asset: two labels on one switch is how confusion starts.
            models.UniqueConstraint(
                fields=["device"], condition=~Q(status=TagStatus.REVOKED), name="one_live_tag_per_device"
            ),
            models.UniqueConstraint(
                fields=["port"], condition=~Q(status=TagStatus.REVOKED), name="one_live_tag_per_port"
            ),
        ]

    def __str__(self) -> str:
        return f"tag {codes.format_short(self.short_code)} on {self.asset}"

    def get_absolute_url(self) -> str:
        return reverse("tag", args=[self.code])

    @property
    def asset(self) -> Device | Port:
        return self.device if self.device_id else self.port

    @property
    def chassis(self) -> Device:
        """The device whose serial number is this tag's second identity (a port's own device)."""
        return self.device if self.device_id else self.port.device

    @property
    def is_issued(self) -> bool:
        return self.status == TagStatus.ISSUED

    @property
    def is_active(self) -> bool:
        return self.status == TagStatus.ACTIVE

    @property
    def is_revoked(self) -> bool:
        return self.status == TagStatus.REVOKED

    @property
    def display_short_code(self) -> str:
        return codes.format_short(self.short_code)

    def url(self) -> str:
        return public_url(f"/t/{self.code}")

    # --- who may -------------------------------------------------------------------------------------

    # Who issues, revokes and reissues tags: the views refuse anyone else by role, before anything is read.
    MANAGERS = (Role.APPROVER, Role.ADMIN)

    @staticmethod
    def may_manage(user) -> bool:
        """May `user` issue a tag for an asset, or revoke or reissue one? Approvers and admins."""
        return any(has_role(user, role) for role in Tag.MANAGERS)

    @staticmethod
    def may_label_assets(user) -> bool:
        """May `user` print labels and apply tags (commissioning)? Techs and approvers, who label the racks.
        Coordinators (customers, the desk) and admins (the system) do neither: a label in hand, stuck on a
        chassis, is what makes an asset verify, so it stays with the people whose work that is."""
        return has_role(user, Role.TECH) or has_role(user, Role.APPROVER)

    @staticmethod
    def may_reprint_labels(user) -> bool:
        """A second copy of a label already on its asset is how a label ends up on the wrong device: only an
        approver prints one."""
        return Tag.may_label_assets(user) and has_role(user, Role.APPROVER)

    def may_commission(self, user) -> bool:
        """Whether the tag's page offers `user` to apply it: issued, not yet applied, and theirs to label."""
        return self.is_issued and Tag.may_label_assets(user)

    @classmethod
    def issue(cls, asset: Device | Port, *, by, replaces: Tag | None = None) -> Tag:
        """Make a new tag for an asset (its label is printed next). Refused while the asset has a live tag."""
        link = {"device": asset} if isinstance(asset, Device) else {"port": asset}
        for _ in range(5):
            try:
                with transaction.atomic():
                    if cls.objects.live().filter(**link).exists():
                        raise InventoryRefused(
                            f"{asset} already has a tag. Revoke it first, or reissue it, to replace it."
                        )
                    tag = cls.objects.create(
                        code=codes.new_code(),
                        short_code=codes.new_short_code(),
                        issued_by=by,
                        replaces=replaces,
                        **link,
                    )
                    record(
                        "tag.issued",
                        actor=by,
                        obj=tag,
                        payload={"asset": str(asset), "short_code": tag.short_code},
                    )
                    return tag
            except IntegrityError:
                # A code collision (astronomically rare) or a concurrent issue for the same asset: look again.
                if cls.objects.live().filter(**link).exists():
                    raise InventoryRefused(f"{asset} already has a tag.") from None
        raise InventoryRefused("Could not make a unique tag code; try again.")

    def commission(self, *, serial: str, by) -> None:
        """Apply the tag: the chassis serial typed or scanned at the rack must agree with the inventory.

        A differing serial refuses the binding and records a discrepancy; the tag stays issued."""
        if not Tag.may_label_assets(by):
            raise InventoryRefused("Only a tech or an approver applies a tag.")
        given = normalize_serial(serial)
        if not given:
            raise InventoryRefused("Type or scan the serial number on the chassis to apply this tag.")
        with transaction.atomic():
            tag = (
                Tag.objects.select_for_update(of=("self",))
                .select_related("device", "port__device")
                .get(pk=self.pk)
            )
            if tag.status == TagStatus.ACTIVE:
                raise InventoryRefused("This tag is already applied.")
            if tag.status == TagStatus.REVOKED:
                raise InventoryRefused("This tag is revoked and can never be applied. Print its replacement.")
            chassis = tag.chassis
            expected = normalize_serial(chassis.serial)
            if not expected:
                raise InventoryRefused(
                    f"{chassis} has no serial number in the inventory, so this tag cannot be checked. "
                    "Two people read it at the rack first (on the device's page), then apply the tag."
                )
        if given != expected:
            Discrepancy.raise_for(
                kind="serial_mismatch",
                summary=f"Serial at the rack does not match {chassis} while applying its tag",
                by=by,
                expected={"device": chassis.name, "serial": chassis.serial},
                found={"serial": serial.strip()[:100]},
                device=chassis,
                port=tag.port,
                tag=tag,
            )
            raise InventoryRefused(
                f"Serial does not match: the inventory says {chassis} has a different serial number. "
                "The tag was NOT applied and a discrepancy was recorded for the approver."
            )
        with transaction.atomic():
            tag = Tag.objects.select_for_update().get(pk=self.pk)
            if tag.status != TagStatus.ISSUED:
                raise InventoryRefused("This tag changed while you were applying it; open it again.")
            tag.status = TagStatus.ACTIVE
            tag.commissioned_at = timezone.now()
            tag.commissioned_by = by
            tag.save(update_fields=["status", "commissioned_at", "commissioned_by"])
            record(
                "tag.commissioned",
                actor=by,
                obj=tag,
                payload={"asset": str(tag.asset), "serial_checked": True},
            )
        self.refresh_from_db()

    def revoke(self, *, reason: str, by) -> None:
        reason = (reason or "").strip()
        if not reason:
            raise InventoryRefused("Say why the tag is revoked (for example: label damaged, wrong asset).")
        with transaction.atomic():
            tag = Tag.objects.select_for_update().get(pk=self.pk)
            if tag.status == TagStatus.REVOKED:
                raise InventoryRefused("This tag is already revoked.")
            previous = tag.status
            tag.status = TagStatus.REVOKED
            tag.revoked_at = timezone.now()
            tag.revoked_by = by
            tag.revoke_reason = reason[:300]
            tag.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
            record(
                "tag.revoked",
                actor=by,
                obj=tag,
                payload={"asset": str(tag.asset), "was": previous, "reason": reason[:300]},
            )
        self.refresh_from_db()

    def reissue(self, *, reason: str, by) -> Tag:
        """Revoke this tag and issue its replacement for the same asset, in one step."""
        with transaction.atomic():
            self.revoke(reason=reason, by=by)
            return Tag.issue(self.asset, by=by, replaces=self)


def normalize_serial(value: str | None) -> str:
    """Serials compare without case, spaces or dashes: how people type what a barcode says."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


# --- identity evidence: read at the rack, revealed here only on purpose ---------------------------------------


def may_reveal_identity(user) -> bool:
    """May `user` see a tag's code or a chassis serial in Lockstep? An approver or an admin may, one asset at
    a time, with a reason, and it is recorded (`reveal_identity`). Nobody else ever: a tech who could read
    them off a page could check a label or a serial without standing at the rack."""
    return has_role(user, Role.APPROVER) or has_role(user, Role.ADMIN)


@dataclass(frozen=True)
class Revealed:
    """What an approver asked to see about one asset: its live tag's codes and its chassis serial, and the
    serial the device itself last reported where it disagreed with the record (its discrepancy)."""

    asset: Device | Port
    chassis: Device
    serial: str
    tag: Tag | None
    reported: Discrepancy | None = None

    @property
    def reported_serial(self) -> str:
        return str((self.reported.found or {}).get("reported_by_device", "")) if self.reported else ""

    @property
    def short_code(self) -> str:
        return self.tag.display_short_code if self.tag else ""


def reveal_identity(asset: Device | Port, *, by, reason: str) -> Revealed:
    """Show `by` the codes of the asset's live tag and its chassis serial (a label to reprint, a support
    call), recording who asked, for what and why. InventoryRefused for anyone `may_reveal_identity` refuses."""
    if not may_reveal_identity(by):
        raise InventoryRefused("Only an approver or an admin reveals a tag code or a serial.")
    reason = (reason or "").strip()
    if not reason:
        raise InventoryRefused("Say why you need them (for example: reprinting a damaged label).")
    chassis = asset.device if isinstance(asset, Port) else asset
    link = {"port": asset} if isinstance(asset, Port) else {"device": asset}
    tag = Tag.objects.live().filter(**link).first()
    reported = (
        Discrepancy.objects.filter(kind="device_serial_disagrees", device=chassis)
        .order_by("-reported_at")
        .first()
    )
    what = ["serial", *(["tag"] if tag else []), *(["serial_reported_by_device"] if reported else [])]
    record("inventory.revealed", actor=by, obj=asset, payload={"what": what, "reason": reason[:300]})
    return Revealed(asset=asset, chassis=chassis, serial=chassis.serial, tag=tag, reported=reported)


def find_by_identity(query: str, *, by, reason: str, limit: int = 25) -> list[Revealed]:
    """The devices whose chassis serial is `query`, and the asset of the tag whose code it is, each revealed
    to `by` and recorded as `reveal_identity` does. A lookup by serial or code is a reveal: whether it finds
    anything confirms a serial or a code, so it is only for whom `may_reveal_identity` allows, on purpose,
    with a reason; nobody else's search ever matches them. InventoryRefused otherwise."""
    if not may_reveal_identity(by):
        raise InventoryRefused("Only an approver or an admin looks assets up by serial or tag code.")
    if not (reason or "").strip():
        raise InventoryRefused("Say why you need to look it up (for example: a support call about a serial).")
    query = (query or "").strip()
    assets: list[Device | Port] = []
    try:
        tag = Tag.objects.by_code(*codes.parse_any(query))
    except codes.BadCode:
        tag = None
    if tag is not None:
        assets.append(tag.asset)
    if query:
        assets += [
            d for d in Device.objects.filter(serial__iexact=query).order_by("name")[:limit] if d not in assets
        ]
    with transaction.atomic():
        return [reveal_identity(asset, by=by, reason=reason) for asset in assets[:limit]]


# --- label jobs: a print asked for, rendered in the request or by the worker, fetched by whoever asked ----------


class LabelJobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Not printed"
    CLEARED = "cleared", "Cleared"  # ready once; its file was dropped after LABEL_FILES_KEPT


LABEL_FILES_KEPT = render_jobs.FILES_KEPT
# A job that has not moved for this long is probably waiting for a worker that is not running.
LABEL_JOB_QUIET = render_jobs.QUIET


class LabelJob(render_jobs.RenderJob):
    """One print of label sheets: who asked, for which tags, and the PDF once it is made.

    Made by the POST that asks for the labels (`inventory.printing.print_labels`), which writes its audit event.
    A small print is rendered there and then; a big one waits for the worker (`inventory.tasks`), which
    reports how far it has come. The PDF is kept here, in the database, where every app server and every worker
    reach it, so fetching it is a plain read that changes nothing, and only the person who asked may
    (`inventory.render_jobs`)."""

    Status = LabelJobStatus
    STAGES = (LabelJobStatus.RENDERING,)
    RENDERED_EVENT = "labels.rendered"
    FAILED_EVENT = "labels.render_failed"

    title = models.CharField(max_length=200)  # what is printed, in words: "rack A01 (LAX1)"
    filename = models.CharField(max_length=200)
    rack = models.ForeignKey(Rack, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    label_format = models.CharField(max_length=20)
    tag_ids = models.JSONField(default=list)  # in print order
    left_out = models.PositiveIntegerField(default=0)  # labels already on their assets, not printed
    in_worker = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=LabelJobStatus.choices, default=LabelJobStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["requested_by", "request_key"], name="one_label_job_per_request"),
            models.CheckConstraint(
                condition=Q(status__in=LabelJobStatus.values), name="label_job_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")), name="label_job_done_within_total"
            ),
            models.CheckConstraint(
                condition=~Q(status=LabelJobStatus.READY) | Q(pdf__isnull=False),
                name="label_job_ready_has_pdf",
            ),
        ]

    def __str__(self) -> str:
        return f"labels for {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:label_job", args=[self.pk])

    @property
    def about(self) -> Rack | Device | None:
        return self.rack or self.device

    def may_download(self, user) -> bool:
        """Only the person who asked sees a print's progress and fetches its PDF, and only while they still
        print labels: the sheet may hold a second copy of a live label."""
        return user.pk == self.requested_by_id and Tag.may_label_assets(user)

    def rendered_facts(self) -> dict[str, Any]:
        return {"count": self.total}

    def report_progress(self, done: int) -> None:
        self.moved(done=min(done, self.total))

    def finish(self, pdf: bytes) -> None:
        super().finish(pdf, done=self.total)
