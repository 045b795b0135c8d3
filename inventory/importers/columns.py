"""What NetBox's rows look like: the kinds of file, their columns, the words and limits a value is checked
against, and the names a file or a device is known by."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.db import models

from inventory.models import Cable, Circuit, Device, DeviceKind, Location, Port, PortKind, Rack, Site

# The kinds a CSV upload may hold, in the order they are applied: each may refer to the ones before it.
CSV_KINDS = (
    "sites",
    "locations",
    "racks",
    "device_roles",
    "device_types",
    "devices",
    "power_panels",
    "interfaces",
    "rear_ports",
    "front_ports",
    "power_ports",
    "power_outlets",
    "power_feeds",
    "circuits",
    "circuit_terminations",
    "cables",
)
# What to call the files, in words for the person uploading them.
FILE_NAMES = f"{', '.join(f'{kind}.csv' for kind in CSV_KINDS[:-1])} or {CSV_KINDS[-1]}.csv"
# The REST API brings the same kinds, as rows of the same columns.
ALL_KINDS = CSV_KINDS

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# Generous for a real data center (100,000 interfaces must fit), small enough that a runaway export is refused.
DEFAULT_MAX_ROWS = 250_000
# A NetBox export with every custom field has a few dozen columns; a header past this is not an export.
MAX_COLUMNS = 200

TERMINATION_KINDS = {
    "dcim.interface": PortKind.INTERFACE,
    "dcim.frontport": PortKind.FRONT,
    "dcim.rearport": PortKind.REAR,
    "dcim.powerport": PortKind.POWER_PORT,
    "dcim.poweroutlet": PortKind.POWER_OUTLET,
    "dcim.powerfeed": PortKind.POWER_FEED,
}
# One end of a provider's circuit. NetBox's CSV cable import has no column for it; Lockstep reads the circuit
# ID from side_x_circuit and the end (A or Z) from side_x_name, as NetBox's API names them.
CIRCUIT_TERMINATION = "circuits.circuittermination"
CABLE_SIDE_TYPES = (*TERMINATION_KINDS, CIRCUIT_TERMINATION)
# NetBox's PowerFeedStatusChoices: only an active feed carries power.
FEED_STATUSES = ("active", "offline", "planned", "failed")
# NetBox's LinkStatusChoices.
CABLE_STATUSES = ("connected", "planned", "decommissioning")
FACES = ("front", "rear")
TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})
SITE_CODE_RE = re.compile(r"[-a-zA-Z0-9_]+")
# Characters nobody can see: controls (C0, DEL, C1) and the invisible formatting ones (zero-width spaces,
# soft hyphens, direction overrides, line and paragraph separators, fillers, tags). They
# make two names that look alike differ, or one that looks right read wrong, and they break a printed label's
# lines. A description may also hold tabs and line breaks.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\u2800\u3164\ufeff\uffa0\ufff9-\ufffb\U000e0000-\U000e01ef"
)
# Not in a name or code, but fine in prose: other spaces, and the variation selectors of an emoji.
_OTHER_SPACES = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufe00-\ufe0f"
_CONTROL_RE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}{_OTHER_SPACES}]")
_CONTROL_IN_PROSE_RE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_INVISIBLE}]")


@dataclass(frozen=True)
class Columns:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def known(self) -> frozenset[str]:
        return frozenset(self.required + self.optional)


# NetBox's import-form column names. `name` is required for devices although NetBox allows unnamed ones:
# Lockstep finds a device again by its site and name. `site` on component files and `side_x_site` on cables
# are optional and only pick between devices of the same name at different sites.
COLUMNS: dict[str, Columns] = {
    # `name` may be empty when `id` (NetBox's, as its export gives it) is there: see unnamed_device_name.
    "devices": Columns(
        ("name", "role", "manufacturer", "device_type", "status", "site"),
        ("location", "rack", "position", "face", "serial", "asset_tag", "id"),
    ),
    "interfaces": Columns(("device", "name", "type"), ("label", "enabled", "description", "site")),
    "rear_ports": Columns(("device", "name", "type"), ("label", "description", "positions", "site")),
    "front_ports": Columns(
        ("device", "name", "type", "rear_port"), ("label", "description", "rear_port_position", "site")
    ),
    "power_panels": Columns(("site", "name")),
    "power_ports": Columns(("device", "name"), ("type", "label", "description", "site")),
    "power_outlets": Columns(("device", "name"), ("type", "label", "description", "power_port", "site")),
    "power_feeds": Columns(("site", "power_panel", "name"), ("status", "description")),
    "circuits": Columns(("cid", "provider", "type", "status"), ("description",)),
    # NetBox 4.2+ names the site as termination_type dcim.site and a NetBox id, which Lockstep cannot look
    # up: give the site's name or slug in `site` (as NetBox before 4.2 did).
    "circuit_terminations": Columns(("circuit", "term_side"), ("site", "termination_type", "description")),
    # A side's device is its power panel instead (side_x_power_panel) when the side is a power feed.
    "cables": Columns(
        ("side_a_type", "side_a_name", "side_b_type", "side_b_name"),
        (
            "side_a_device",
            "side_b_device",
            "side_a_power_panel",
            "side_b_power_panel",
            "side_a_circuit",
            "side_b_circuit",
            "type",
            "status",
            "label",
            "side_a_site",
            "side_b_site",
        ),
    ),
    # A site's slug is its code in Lockstep (part of page addresses); rows elsewhere name a site by either.
    "sites": Columns(("name", "slug"), ("time_zone",)),
    "locations": Columns(("site", "name")),
    "racks": Columns(("site", "name"), ("location",)),
    # NetBox's manufacturers are not kept apart: a device type's manufacturer is its name, as on devices.
    "device_roles": Columns(("name", "slug")),
    "device_types": Columns(("manufacturer", "model", "slug")),
}

PORT_KIND_OF_FILE = {
    "interfaces": PortKind.INTERFACE,
    "rear_ports": PortKind.REAR,
    "front_ports": PortKind.FRONT,
    "power_ports": PortKind.POWER_PORT,
    "power_outlets": PortKind.POWER_OUTLET,
    "power_feeds": PortKind.POWER_FEED,
}
PORT_WORDS = {kind: kind.label.lower() for kind in PortKind}


def _max_length(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


# Read from the models, so a changed field length changes the check with it.
SITE_CODE_MAX = _max_length(Site, "code")
SITE_NAME_MAX = _max_length(Site, "name")
LOCATION_NAME_MAX = _max_length(Location, "name")
RACK_NAME_MAX = _max_length(Rack, "name")
DEVICE_NAME_MAX = _max_length(Device, "name")
DEVICE_TEXT_MAX = {
    f: _max_length(Device, f) for f in ("role", "manufacturer", "model", "serial", "asset_tag")
}
PORT_NAME_MAX = _max_length(Port, "name")
PORT_TYPE_MAX = _max_length(Port, "type")
PORT_LABEL_MAX = _max_length(Port, "label")
PORT_DESCRIPTION_MAX = _max_length(Port, "description")
CABLE_LABEL_MAX = _max_length(Cable, "label")
CABLE_TYPE_MAX = _max_length(Cable, "type")
CID_MAX = _max_length(Circuit, "cid")
CIRCUIT_TEXT_MAX = {name: _max_length(Circuit, name) for name in ("provider", "type", "description")}


def kind_from_filename(name: str) -> str | None:
    """'devices.csv', 'netbox-front-ports-2024.csv' -> the kind of rows the file holds, or None."""
    words = re.sub(r"[^a-z]+", " ", PurePath(name).stem.lower()).split()
    joined = "".join(words)
    # Ports and cables first: 'device-interfaces.csv' holds interfaces, not devices.
    if "circuittermination" in joined:
        return "circuit_terminations"
    if "circuit" in joined:
        return "circuits"
    if "powerfeed" in joined:
        return "power_feeds"
    if "poweroutlet" in joined:
        return "power_outlets"
    if "powerport" in joined:
        return "power_ports"
    if "powerpanel" in joined:
        return "power_panels"
    if "frontport" in joined:
        return "front_ports"
    if "rearport" in joined:
        return "rear_ports"
    if "interface" in joined:
        return "interfaces"
    if "cable" in joined:
        return "cables"
    if "devicerole" in joined or "roles" in words:
        return "device_roles"
    if "devicetype" in joined:
        return "device_types"
    if "device" in joined:
        return "devices"
    if "rack" in joined:
        return "racks"
    if "location" in joined:
        return "locations"
    if "site" in joined:
        return "sites"
    return None


def max_upload_bytes() -> int:
    return getattr(settings, "LOCKSTEP_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def max_upload_rows() -> int:
    return getattr(settings, "LOCKSTEP_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


def unnamed_device_name(manufacturer: str, model: str, netbox_id: int) -> str:
    """What NetBox shows for a device it has no name for (patch panels and PDUs often have none): its make
    and model, then its id. Lockstep names the device so, and keeps it by the id across re-imports."""
    return f"{manufacturer} {model} ({netbox_id})".strip()[-DEVICE_NAME_MAX:]


def kind_for_role(role: str) -> str:
    """NetBox roles are free text; map the usual words onto what a device does for connectivity."""
    text = role.lower()
    words = set(re.split(r"[^a-z0-9]+", text))
    # spine/leaf/tor are how many NetBox installations name their switches; whole words, so 'storage' is no 'tor'.
    if "switch" in text or words & {"spine", "leaf", "tor"}:
        return DeviceKind.SWITCH
    if "router" in text:
        return DeviceKind.ROUTER
    if "firewall" in text:
        return DeviceKind.FIREWALL
    if any(word in text for word in ("server", "host", "compute", "hypervisor")):
        return DeviceKind.SERVER
    if "pdu" in text or "power" in text:
        return DeviceKind.PDU
    if "patch" in text:
        return DeviceKind.PATCH_PANEL
    return DeviceKind.OTHER
