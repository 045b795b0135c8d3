"""Importing the inventory from NetBox: its bulk-import CSV columns, or rows read from its REST API.

Both sources become the same rows (column name to text) and go through one validator and one writer, so each
rule is enforced in one place. An import checks every row first and writes only if all of them are good, in
one transaction: a half-imported data center is worse than none, because nobody can tell which half is real.
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
import re
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, models, transaction

from audit.log import record
from inventory.models import (
    POWER_KINDS,
    Cable,
    Circuit,
    CircuitStatus,
    CircuitTermination,
    Device,
    DeviceKind,
    DeviceStatus,
    Location,
    Port,
    PortKind,
    Rack,
    Site,
    is_upstream_role,
)
from inventory.revisions import bump_sites

logger = logging.getLogger(__name__)

# The kinds a CSV upload may hold, in the order they are applied: each may refer to the ones before it.
CSV_KINDS = (
    "sites",
    "locations",
    "racks",
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
# An upload where every row is wrong would otherwise build a report as large as the file.
MAX_ERRORS_KEPT = 1000
BATCH_SIZE = 1000

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


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


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


@dataclass(slots=True)
class Row:
    """One record: where it came from and its values by column name (only the columns the file has)."""

    file: str
    line: int
    values: dict[str, str]
    unit: str = "line"


@dataclass(frozen=True)
class RowError:
    file: str
    line: int  # the physical line in the file (header = 1), or the NetBox id for API rows; 0 = whole file
    message: str
    unit: str = "line"

    def __str__(self) -> str:
        if not self.line:
            return f"{self.file}: {self.message}"
        return f"{self.file} {self.unit} {self.line}: {self.message}"


def _counts() -> dict[str, int]:
    return defaultdict(int)


@dataclass
class ImportReport:
    source: str = "csv"
    files: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    errors_not_kept: int = 0
    created: dict[str, int] = field(default_factory=_counts)
    updated: dict[str, int] = field(default_factory=_counts)
    unchanged: dict[str, int] = field(default_factory=_counts)
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)
    created_sites: list[str] = field(default_factory=list)
    created_locations: list[str] = field(default_factory=list)
    created_racks: list[str] = field(default_factory=list)
    devices_without_serial: list[str] = field(default_factory=list)
    # The devices of this import that are upstream roots (by role, or marked by hand before).
    upstream_roots: list[str] = field(default_factory=list)
    sites_without_roots: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.errors_not_kept

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.errors_not_kept

    def error(self, file: str, line: int, message: str, unit: str = "line") -> None:
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(file, line, message, unit))
        else:
            self.errors_not_kept += 1

    def row_error(self, row: Row, message: str) -> None:
        self.error(row.file, row.line, message, row.unit)

    def _forget_plan(self) -> None:
        """After a refused import nothing was written, so nothing may be reported as created or updated."""
        for outcome in (self.created, self.updated, self.unchanged):
            outcome.clear()
        for names in (self.created_sites, self.created_locations, self.created_racks):
            names.clear()
        self.devices_without_serial.clear()
        self.upstream_roots.clear()
        self.sites_without_roots.clear()

    def counts(self) -> dict[str, dict[str, int]]:
        kinds = [k for k in ALL_KINDS if k in self.created or k in self.updated or k in self.unchanged]
        return {
            k: {"created": self.created[k], "updated": self.updated[k], "unchanged": self.unchanged[k]}
            for k in kinds
        }

    def summary(self) -> str:
        lines: list[str] = []
        if not self.ok:
            lines.append(
                f"Nothing was imported: {self.error_count} error{'s' if self.error_count != 1 else ''}."
            )
            lines += [f"  {error}" for error in self.errors]
            if self.errors_not_kept:
                lines.append(f"  ... and {self.errors_not_kept} more.")
        else:
            lines.append(f"Imported from {', '.join(self.files) or self.source}.")
            for kind, count in self.counts().items():
                lines.append(
                    f"  {kind.replace('_', ' ')}: {count['created']} created, {count['updated']} updated, "
                    f"{count['unchanged']} unchanged"
                )
            for title, names in (
                ("New sites", self.created_sites),
                ("New locations", self.created_locations),
                ("New racks", self.created_racks),
            ):
                if names:
                    lines.append(f"{title} ({len(names)}): {', '.join(names)}")
            if self.upstream_roots:
                lines.append(
                    f"Upstream roots ({len(self.upstream_roots)}), where connectivity comes from: "
                    f"{', '.join(self.upstream_roots)}"
                )
            if self.sites_without_roots:
                lines.append(
                    f"No upstream root at {', '.join(self.sites_without_roots)}: a blast radius there lists "
                    "only the devices cut directly. Add the core roles to LOCKSTEP_UPSTREAM_ROLES and import "
                    "again, or mark the roots in the admin."
                )
            if self.devices_without_serial:
                lines.append(
                    f"{len(self.devices_without_serial)} device(s) without a serial cannot be commissioned "
                    f"until a serial is recorded: {', '.join(self.devices_without_serial)}"
                )
        for file, columns in self.ignored_columns.items():
            if columns:
                lines.append(f"Ignored columns in {file}: {', '.join(columns)}")
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)


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


# --- Reading CSV -------------------------------------------------------------------------------------------


def _decode(file: str, data: bytes | str, report: ImportReport) -> str | None:
    if isinstance(data, str):
        text = data
    else:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            report.error(file, 0, "is UTF-16 text; save it as CSV UTF-8 (comma delimited) and upload again")
            return None
        if data.startswith(b"PK\x03\x04"):
            report.error(file, 0, "looks like a spreadsheet workbook, not CSV; save it as CSV UTF-8")
            return None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            report.error(
                file,
                line,
                f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as CSV UTF-8 and upload again",
            )
            return None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        report.error(file, line, "contains NUL bytes, so it is not a CSV text file")
        return None
    return text


def _delimiter(header_line: str) -> str:
    """Comma, semicolon or tab: whichever the header line uses most outside quotes (comma on a tie)."""
    counts = dict.fromkeys(",;\t", 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _size(count: int) -> str:
    return f"{count / 1_048_576:.1f} MB" if count >= 1_048_576 else f"{count:,} bytes"


def read_csv(
    file: str, data: bytes | str, kind: str, report: ImportReport, *, max_bytes: int, max_rows: int
) -> list[Row]:
    """The file's records as rows of its known columns. Problems go into the report; nothing raises."""
    if isinstance(data, str):
        try:
            size = len(data.encode("utf-8"))
        except UnicodeEncodeError:
            report.error(file, 0, "is not valid text")
            return []
    else:
        size = len(data)
    if size > max_bytes:
        report.error(file, 0, f"is {_size(size)}; the limit is {_size(max_bytes)}: split it")
        return []
    text = _decode(file, data, report)
    if text is None:
        return []
    if not text.strip():
        report.error(file, 0, "is empty; the first line must name the columns")
        return []
    spec = COLUMNS[kind]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    rows: list[Row] = []
    try:
        header = [name.strip() for name in next(reader)]
        names = [name.lower() for name in header]
        repeated = sorted({name for name in names if name and names.count(name) > 1})
        if repeated:
            report.error(file, 1, f"the column(s) {', '.join(repeated)} appear more than once")
            return []
        missing = [name for name in spec.required if name not in names]
        if missing:
            report.error(
                file,
                1,
                f"is missing the required column(s) {', '.join(missing)} (a {kind.replace('_', ' ')} file "
                f"needs {', '.join(spec.required)})",
            )
            return []
        report.ignored_columns[file] = [
            original for original, name in zip(header, names, strict=True) if name and name not in spec.known
        ]
        wanted = [(index, name) for index, name in enumerate(names) if name in spec.known]
        starts_at = reader.line_num + 1
        for values in reader:
            line, starts_at = starts_at, reader.line_num + 1
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= max_rows:
                report.error(file, line, f"has more than {max_rows:,} rows; split it into smaller files")
                return []
            if len(values) != len(header):
                report.error(
                    file, line, f"has {len(values)} values but the header names {len(header)} columns"
                )
                continue
            rows.append(Row(file, line, {name: values[index].strip() for index, name in wanted}))
    except csv.Error as exc:
        report.error(file, reader.line_num, f"cannot be read as CSV: {exc}")
        return []
    return rows


# --- Checking and writing ----------------------------------------------------------------------------------


class _RollBack(Exception):
    """Raised inside the import's transaction when a row is wrong, so nothing at all is written."""


class _Values:
    """One row's values, checked one at a time; every problem in the row is reported, not just the first."""

    __slots__ = ("failed", "report", "row")

    def __init__(self, row: Row, report: ImportReport) -> None:
        self.row = row
        self.report = report
        self.failed = False

    def has(self, column: str) -> bool:
        return column in self.row.values

    def error(self, message: str) -> None:
        self.report.row_error(self.row, message)
        self.failed = True

    def text(self, column: str, limit: int, *, required: bool = False) -> str:
        value = self.row.values.get(column, "")
        if not value:
            if required:
                self.error(f"{column} is empty; it is required")
            return ""
        if len(value) > limit:
            self.error(f"{column} is {len(value)} characters long; at most {limit} fit")
            return ""
        if "\x00" in value:
            self.error(f"{column} contains a NUL character")
            return ""
        control = _CONTROL_RE.search(value) if column != "description" else _CONTROL_IN_PROSE_RE.search(value)
        if control:
            self.error(
                f"{column} contains the invisible character U+{ord(control.group()):04X} at character "
                f"{control.start() + 1}; names and codes are printed on labels and runbooks, so fix it at the source"
            )
            return ""
        return value

    def choice(self, column: str, choices: Iterable[str], *, required: bool = False) -> str:
        value = self.row.values.get(column, "")
        if not value:
            if required:
                self.error(f"{column} is empty; it is required")
            return ""
        choices = tuple(choices)
        if value.lower() not in choices:
            shown = value if len(value) <= 40 else value[:40] + "..."
            self.error(f"{column} {shown!r} is not one of {', '.join(choices)}")
            return ""
        return value.lower()

    def boolean(self, column: str) -> bool | None:
        value = self.row.values.get(column, "").lower()
        if not value:
            return None
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        self.error(f"{column} {value[:20]!r} is not true/false, yes/no or 1/0")
        return None

    def integer(self, column: str, low: int, high: int) -> int | None:
        value = self.row.values.get(column, "")
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            self.error(f"{column} {value[:20]!r} is not a whole number from {low} to {high}")
            return None
        return number

    def position(self, column: str) -> Decimal | None:
        value = self.row.values.get(column, "")
        if not value:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite() and 0 < number < 1000:
            rounded = number.quantize(Decimal("0.1"))
            if rounded == number:
                return rounded
        self.error(f"{column} {value[:20]!r} is not a rack unit like 12 or 12.5 (0.5 to 999.9)")
        return None


# Foreign keys are compared by id, so that comparing never loads the related row (one query per row).
_FOREIGN_KEYS = frozenset({"site", "location", "rack", "device", "rear_port", "power_port", "cable", "port"})


def _assign(obj: models.Model, values: Mapping[str, Any]) -> bool:
    """Set the values that differ; True if any did."""
    changed = False
    for name, value in values.items():
        if name in _FOREIGN_KEYS:
            current = getattr(obj, f"{name}_id")
            if value is None:
                if current is not None:
                    setattr(obj, name, None)
                    changed = True
            elif value.pk is None or value.pk != current:
                setattr(obj, name, value)
                changed = True
        elif getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _chunks(items: list, size: int = 500) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


DeviceKey = tuple[str, str]  # (site code, device name)
PortKey = tuple[DeviceKey, str, str]  # (device, port kind, port name)

DEVICE_FIELDS = [
    "name",
    "netbox_id",
    "kind",
    "role",
    "manufacturer",
    "model",
    "status",
    "rack",
    "position",
    "face",
    "serial",
    "asset_tag",
    "is_upstream_root",
]
PORT_FIELDS = [
    "type",
    "label",
    "enabled",
    "description",
    "positions",
    "rear_port",
    "rear_port_position",
    "power_port",
    "cable",
    "cable_end",
]


class _Import:
    """The inventory as it will be after the import: the database's rows, changed and added to in memory.

    Everything the rows refer to is loaded up front into dicts, so checking 100,000 rows costs dict lookups,
    not 100,000 queries; the writes are then a handful of bulk statements.
    """

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.sites_by_code: dict[str, Site] = {}
        self.sites_by_name: dict[str, list[Site]] = defaultdict(list)
        self.locations: dict[tuple[str, str], Location] = {}
        self.location_names: dict[int, str] = {}
        self.racks: dict[tuple[str, str], Rack] = {}
        self.devices: dict[DeviceKey, Device] = {}
        self.device_sites: dict[str, list[str]] = defaultdict(list)  # device name -> site codes
        self.device_keys: dict[int, DeviceKey] = {}
        self.devices_by_netbox_id: dict[int, Device] = {}
        self.asset_tags: dict[str, DeviceKey] = {}
        self.original_tags: dict[int, str | None] = {}
        self.ports: dict[PortKey, Port] = {}
        self.cable_ends: dict[int, dict[str, PortKey]] = defaultdict(dict)
        self.cables: dict[int, Cable] = {}
        self.circuits: dict[str, Circuit] = {}
        self.terminations: dict[tuple[str, str], CircuitTermination] = {}  # (circuit ID, A or Z)
        self.port_terminations: dict[int, CircuitTermination] = {}  # port pk -> the circuit end cabled to it
        # Names whose own rows were refused: rows that refer to them say nothing more (the cause is reported).
        self.refused_devices: set[str] = set()
        self.refused_ports: set[tuple[str, str, str]] = set()
        self.new: dict[type[models.Model], list[models.Model]] = defaultdict(list)
        self.changed: dict[type[models.Model], dict[int, models.Model]] = defaultdict(dict)

    # Loading ----------------------------------------------------------------------------------------------

    def load(self) -> None:
        for circuit in Circuit.objects.all():
            self.circuits[circuit.cid] = circuit
        cids = {circuit.pk: cid for cid, circuit in self.circuits.items()}
        for termination in CircuitTermination.objects.all():
            self.terminations[(cids[termination.circuit_id], termination.term_side)] = termination
            if termination.port_id is not None:
                self.port_terminations[termination.port_id] = termination
        code_of: dict[int, str] = {}
        for site in Site.objects.all():
            self._add_site(site)
            code_of[site.pk] = site.code
        for location in Location.objects.all():
            self.locations[(code_of[location.site_id], location.name)] = location
            self.location_names[location.pk] = location.name
        for rack in Rack.objects.all():
            self.racks[(code_of[rack.site_id], rack.name)] = rack
        for device in Device.objects.all():
            key = (code_of[device.site_id], device.name)
            self._add_device(key, device)
            self.device_keys[device.pk] = key
            self.original_tags[device.pk] = device.asset_tag
            if device.netbox_id is not None:
                self.devices_by_netbox_id[device.netbox_id] = device
            if device.asset_tag is not None:
                self.asset_tags[device.asset_tag] = key

    def load_ports(self, rows: Mapping[str, list[Row]]) -> None:
        """The ports (and their cables) of every existing device that a port or cable row names."""
        names: set[str] = set()
        for kind in ("interfaces", "rear_ports", "front_ports", "power_ports", "power_outlets"):
            names.update(row.values.get("device", "") for row in rows.get(kind, ()))
        names.update(row.values.get("power_panel", "") for row in rows.get("power_feeds", ()))
        for row in rows.get("cables", ()):
            for column in ("side_a_device", "side_b_device", "side_a_power_panel", "side_b_power_panel"):
                names.add(row.values.get(column, ""))
        device_ids = [
            self.devices[(code, name)].pk
            for name in names
            for code in self.device_sites.get(name, ())
            if self.devices[(code, name)].pk is not None
        ]
        cable_ids: set[int] = set()
        for chunk in _chunks(device_ids):
            for port in Port.objects.filter(device_id__in=chunk):
                key = (self.device_keys[port.device_id], port.kind, port.name)
                self.ports[key] = port
                if port.cable_id is not None:
                    cable_ids.add(port.cable_id)
                    self.cable_ends[port.cable_id][port.cable_end] = key
        # The far ends of those cables may be on devices no row names: they are needed to say what is in the way.
        ids = sorted(cable_ids)
        for chunk in _chunks(ids):
            far_ends = Port.objects.filter(cable_id__in=chunk).values_list(
                "cable_id", "cable_end", "device_id", "kind", "name"
            )
            for cable_id, end, device_id, kind, name in far_ends:
                self.cable_ends[cable_id][end] = (self.device_keys[device_id], kind, name)
            self.cables.update(Cable.objects.in_bulk(chunk))

    def _add_site(self, site: Site) -> None:
        self.sites_by_code[site.code] = site
        self.sites_by_name[site.name].append(site)

    def _add_device(self, key: DeviceKey, device: Device) -> None:
        self.devices[key] = device
        self.device_sites[key[1]].append(key[0])

    def _created(self, kind: str, obj: models.Model) -> None:
        self.new[type(obj)].append(obj)
        self.report.created[kind] += 1

    def _outcome(self, kind: str, obj: models.Model, changed: bool) -> None:
        if obj.pk is None:
            return  # made earlier in this import: counted once, when it was made
        if changed:
            self.changed[type(obj)][obj.pk] = obj
            self.report.updated[kind] += 1
        else:
            self.report.unchanged[kind] += 1

    # Looking things up ------------------------------------------------------------------------------------

    def site(self, v: _Values, value: str) -> Site | None:
        """The site a row names, by slug (Lockstep's code) or by name. As in NetBox, it must exist: in Lockstep
        or in this import's sites file. A misspelt site would otherwise make a second site, with a second
        copy of every device the row names."""
        site = self.sites_by_code.get(value)
        if site is not None:
            return site
        named = self.sites_by_name.get(value, [])
        if len(named) == 1:
            return named[0]
        if named:
            codes = ", ".join(sorted(s.code for s in named))
            v.error(f"more than one site is named {value!r} ({codes}); give the site's slug instead")
            return None
        v.error(f"site {value!r} is not in Lockstep nor in the sites file{self._close_to(value)}")
        return None

    def _close_to(self, value: str) -> str:
        known = [*self.sites_by_code, *self.sites_by_name]
        close = difflib.get_close_matches(value, known, n=1, cutoff=0.75)
        return f"; did you mean {close[0]!r}?" if close else ""

    def location(self, v: _Values, site: Site, name: str) -> Location | None:
        location = self.locations.get((site.code, name))
        if location is None:
            v.error(f"location {name!r} at {site.code} is not in Lockstep nor in the locations file")
        return location

    def rack(self, v: _Values, site: Site, name: str, location: Location | None) -> Rack | None:
        rack = self.racks.get((site.code, name))
        if rack is None:
            v.error(f"rack {name!r} at {site.code} is not in Lockstep nor in the racks file")
            return None
        if location is None:
            return rack
        if rack.location_id is not None:
            if rack.location_id == location.pk:
                return rack
            where = self.location_names.get(rack.location_id, "another location")
        else:
            current = rack.location  # no query: either none, or a location made earlier in this import
            if current is None:
                # A rack made without a location (by hand, or by an earlier import) learns it from the row.
                rack.location = location
                if rack.pk is not None and rack.pk not in self.changed[Rack]:
                    self.changed[Rack][rack.pk] = rack
                    self.report.updated["racks"] += 1
                return rack
            if current is location:
                return rack
            where = current.name
        v.error(f"rack {name!r} at {site.code} is in location {where!r}, not {location.name!r}")
        return None

    def device_key(self, v: _Values, column: str, site_column: str) -> DeviceKey | None:
        """The device (or power panel, for a column that names one) a row refers to, by name and site."""
        what, where = (
            ("power panel", "power panels") if column.endswith("power_panel") else ("device", "devices")
        )
        name = v.text(column, DEVICE_NAME_MAX, required=True)
        site_value = v.text(site_column, SITE_NAME_MAX)
        if not name:
            return None
        if site_value:
            site = self.sites_by_code.get(site_value)
            if site is None:
                named = self.sites_by_name.get(site_value, [])
                site = named[0] if len(named) == 1 else None
            if site is not None and (site.code, name) in self.devices:
                return (site.code, name)
            if name not in self.refused_devices:
                v.error(
                    f"{column}: no {what} {name!r} at site {site_value!r} (not in Lockstep nor in the {where} file)"
                )
            v.failed = True
            return None
        codes = self.device_sites.get(name, [])
        if len(codes) == 1:
            return (codes[0], name)
        if codes:
            v.error(f"{column}: more than one site has a {what} named {name!r} ({', '.join(sorted(codes))})")
        elif name not in self.refused_devices:
            v.error(f"{column}: no {what} named {name!r} (not in Lockstep nor in the {where} file)")
        v.failed = True
        return None

    # Rows of each kind ------------------------------------------------------------------------------------

    def check(self, rows: Mapping[str, list[Row]]) -> None:
        self.check_sites(rows.get("sites", []))
        self.check_locations(rows.get("locations", []))
        self.check_racks(rows.get("racks", []))
        self.check_devices(rows.get("devices", []))
        self.check_power_panels(rows.get("power_panels", []))
        self.load_ports(rows)
        for kind in (
            "interfaces",
            "rear_ports",
            "front_ports",
            "power_ports",
            "power_outlets",
            "power_feeds",
        ):
            self.check_ports(kind, rows.get(kind, []))
        self.check_circuits(rows.get("circuits", []))
        self.check_circuit_terminations(rows.get("circuit_terminations", []))
        self.check_cables(rows.get("cables", []))

    def check_sites(self, rows: list[Row]) -> None:
        for row in rows:
            v = _Values(row, self.report)
            code = v.text("slug", SITE_CODE_MAX, required=True)
            name = v.text("name", SITE_NAME_MAX, required=True)
            time_zone = v.text("time_zone", 64)
            if code and not SITE_CODE_RE.fullmatch(code):
                v.error(f"slug {code!r} may hold only letters, digits, - and _")
            if time_zone and time_zone not in _time_zones():
                v.error(f"time_zone {time_zone!r} is not a known time zone")
            if v.failed:
                continue
            site = self.sites_by_code.get(code)
            if site is None and len(self.sites_by_name.get(name, [])) == 1:
                # Already here under another code (an earlier CSV import named it): the same site.
                site = self.sites_by_name[name][0]
                self.sites_by_code[code] = site
            if site is None:
                site = Site(code=code, name=name, time_zone=time_zone or "UTC")
                self._add_site(site)
                self._created("sites", site)
                self.report.created_sites.append(code)
            else:
                values = {"name": name} | ({"time_zone": time_zone} if time_zone else {})
                self._outcome("sites", site, _assign(site, values))

    def check_locations(self, rows: list[Row]) -> None:
        for row in rows:
            v = _Values(row, self.report)
            site_value = v.text("site", SITE_NAME_MAX, required=True)
            name = v.text("name", LOCATION_NAME_MAX, required=True)
            site = self.site(v, site_value) if not v.failed else None
            if site is None:
                continue
            if (site.code, name) in self.locations:
                self._outcome("locations", self.locations[(site.code, name)], False)
            else:
                location = self.locations[(site.code, name)] = Location(site=site, name=name)
                self._created("locations", location)
                self.report.created_locations.append(f"{site.code} {name}")

    def check_racks(self, rows: list[Row]) -> None:
        for row in rows:
            v = _Values(row, self.report)
            site_value = v.text("site", SITE_NAME_MAX, required=True)
            name = v.text("name", RACK_NAME_MAX, required=True)
            location_name = v.text("location", LOCATION_NAME_MAX)
            site = self.site(v, site_value) if not v.failed else None
            if site is None:
                continue
            location = self.location(v, site, location_name) if location_name else None
            if v.failed:
                continue
            rack = self.racks.get((site.code, name))
            if rack is None:
                rack = self.racks[(site.code, name)] = Rack(site=site, name=name, location=location)
                self._created("racks", rack)
                self.report.created_racks.append(f"{site.code} {name}")
            else:
                # The API's rack rows say where each rack is now: a moved rack follows.
                self._outcome("racks", rack, _assign(rack, {"location": location}))

    def check_devices(self, rows: list[Row]) -> None:
        lines: dict[DeviceKey, int] = {}
        tag_rows: list[tuple[DeviceKey, str | None, Row]] = []
        # NetBox holds device names unique per site ignoring case: "SW-A" next to "sw-a" is a typo, not a
        # second switch. The names Lockstep has, and those this file brings, folded.
        folded: dict[tuple[str, str], str] = {(code, name.casefold()): name for code, name in self.devices}
        rows_of: dict[DeviceKey, Row] = {}
        id_lines: dict[int, int] = {}
        for row in rows:
            v = _Values(row, self.report)
            netbox_id = v.integer("id", 1, 2**63 - 1)
            name = v.text("name", DEVICE_NAME_MAX)
            role = v.text("role", DEVICE_TEXT_MAX["role"], required=True)
            manufacturer = v.text("manufacturer", DEVICE_TEXT_MAX["manufacturer"], required=True)
            model = v.text("device_type", DEVICE_TEXT_MAX["model"], required=True)
            if not name and not v.failed:
                if netbox_id is None:
                    v.error(
                        "name is empty: NetBox shows an unnamed device by its id, so give the id column "
                        "(NetBox's export has it) or a name"
                    )
                else:
                    name = unnamed_device_name(manufacturer, model, netbox_id)
            status = v.choice("status", DeviceStatus.values, required=True)
            site_value = v.text("site", SITE_NAME_MAX, required=True)
            location_name = v.text("location", LOCATION_NAME_MAX)
            rack_name = v.text("rack", RACK_NAME_MAX)
            position = v.position("position")
            face = v.choice("face", FACES)
            serial = v.text("serial", DEVICE_TEXT_MAX["serial"])
            asset_tag = v.text("asset_tag", DEVICE_TEXT_MAX["asset_tag"])
            if (position is not None or face) and not rack_name:
                v.error("position and face need a rack")
            site = self.site(v, site_value) if site_value else None
            if v.failed or site is None:
                self.refused_devices.add(row.values.get("name", ""))
                continue
            key = (site.code, name)
            if key in lines:
                v.error(f"device {name!r} at {site.code} is also on line {lines[key]}")
                continue
            if netbox_id is not None and netbox_id in id_lines:
                v.error(f"id {netbox_id} is also on line {id_lines[netbox_id]}")
                continue
            # A device NetBox renamed is found by its id, and renamed here too.
            renamed = self._renamed(v, netbox_id, key)
            if v.failed:
                self.refused_devices.add(row.values.get("name", ""))
                continue
            known = folded.get((site.code, name.casefold()))
            if known is not None and known != name and renamed != known:
                where = f"line {lines[(site.code, known)]}" if (site.code, known) in lines else "Lockstep"
                v.error(
                    f"device {name!r} at {site.code} differs only in case from {known!r} ({where}); "
                    "NetBox counts them as one name"
                )
                self.refused_devices.add(row.values.get("name", ""))
                continue
            folded[(site.code, name.casefold())] = name
            lines[key] = row.line
            if netbox_id is not None:
                id_lines[netbox_id] = row.line
            location = self.location(v, site, location_name) if location_name else None
            rack = self.rack(v, site, rack_name, location) if rack_name and not v.failed else None
            if v.failed:
                self.refused_devices.add(row.values.get("name", ""))
                continue
            rows_of[key] = row

            values: dict[str, Any] = {
                "role": role,
                "manufacturer": manufacturer,
                "model": model,
                "status": status,
            }
            if v.has("rack"):
                values["rack"] = rack
                if rack is None:
                    values |= {"position": None, "face": ""}
            if v.has("position") and rack is not None:
                values["position"] = position
            if v.has("face") and rack is not None:
                values["face"] = face
            # An empty serial never erases one Lockstep has: the serial is the second identity at the rack,
            # and NetBox exports often lack it.
            if serial:
                values["serial"] = serial
            if v.has("asset_tag"):
                values["asset_tag"] = asset_tag or None
                tag_rows.append((key, asset_tag or None, row))
            if netbox_id is not None:
                values["netbox_id"] = netbox_id
            if renamed is not None:
                values["name"] = name

            device = self.devices.get(key)
            if device is None:
                device = Device(
                    site=site,
                    name=name,
                    kind=kind_for_role(role),
                    is_upstream_root=is_upstream_role(role),
                    **values,
                )
                self._add_device(key, device)
                self._created("devices", device)
            else:
                # Kind and upstream root follow the role only when the role changes, so what an admin
                # corrected by hand survives a re-import.
                if role != device.role:
                    values["kind"] = kind_for_role(role)
                    values["is_upstream_root"] = is_upstream_role(role)
                self._outcome("devices", device, _assign(device, values))
            if device.is_upstream_root:
                self.report.upstream_roots.append(f"{name} ({site.code})")
        self._check_asset_tags(tag_rows)
        self._check_rack_units(rows_of)
        for site_code, name in rows_of:
            if not self.devices[(site_code, name)].serial:
                self.report.devices_without_serial.append(f"{name} ({site_code})")
        # A site with no upstream root has no blast radius beyond the devices a window cuts itself.
        rooted = {code for (code, _name), device in self.devices.items() if device.is_upstream_root}
        self.report.sites_without_roots = sorted({code for code, _name in lines} - rooted)

    def check_power_panels(self, rows: list[Row]) -> None:
        """NetBox's power panels, kept as devices of kind "power panel" whose ports are their feeds: so a
        window can name one, a tag can go on one, and its blast radius is everything its feeds power."""
        folded = {(code, name.casefold()): name for code, name in self.devices}
        lines: dict[DeviceKey, int] = {}
        for row in rows:
            v = _Values(row, self.report)
            name = v.text("name", DEVICE_NAME_MAX, required=True)
            site_value = v.text("site", SITE_NAME_MAX, required=True)
            site = self.site(v, site_value) if site_value and not v.failed else None
            if v.failed or site is None:
                self.refused_devices.add(row.values.get("name", ""))
                continue
            key = (site.code, name)
            if key in lines:
                v.error(f"power panel {name!r} at {site.code} is also on line {lines[key]}")
                continue
            known = folded.get((site.code, name.casefold()))
            device = self.devices.get(key)
            if known is not None and (known != name or device.kind != DeviceKind.POWER_PANEL):
                v.error(
                    f"power panel {name!r} at {site.code} has the name of device {known!r} there; Lockstep "
                    "keeps power panels among the devices, so one of them needs another name in NetBox"
                )
                self.refused_devices.add(name)
                continue
            folded[(site.code, name.casefold())] = name
            lines[key] = row.line
            if device is None:
                device = Device(
                    site=site,
                    name=name,
                    kind=DeviceKind.POWER_PANEL,
                    role=DeviceKind.POWER_PANEL.label,
                    status=DeviceStatus.ACTIVE,
                )
                self._add_device(key, device)
                self._created("power_panels", device)
            else:
                self._outcome("power_panels", device, False)

    def _renamed(self, v: _Values, netbox_id: int | None, key: DeviceKey) -> str | None:
        """When NetBox's id names a device Lockstep knows under another name at the same site, move it to
        its new name in this plan and return the old one."""
        by_id = self.devices_by_netbox_id.get(netbox_id) if netbox_id is not None else None
        if by_id is None or by_id is self.devices.get(key):
            return None
        old_key = self.device_keys[by_id.pk]
        if key in self.devices:
            v.error(
                f"id {netbox_id} is device {old_key[1]!r} at {old_key[0]} in Lockstep, and {key[1]!r} at "
                f"{key[0]} is another device there"
            )
            return None
        if old_key[0] != key[0]:
            v.error(
                f"id {netbox_id} is device {old_key[1]!r} at {old_key[0]} in Lockstep; a device does not move "
                f"between sites on import (its tags and windows are at {old_key[0]})"
            )
            return None
        del self.devices[old_key]
        self.device_sites[old_key[1]].remove(old_key[0])
        self._add_device(key, by_id)
        self.device_keys[by_id.pk] = key
        for tag, holder in list(self.asset_tags.items()):
            if holder == old_key:
                self.asset_tags[tag] = key
        return old_key[1]

    def _check_rack_units(self, rows_of: dict[DeviceKey, Row]) -> None:
        """One device per rack unit and face, as the inventory will be after this import (so devices may swap
        places in one file). Lockstep's devices claim their units first; a row that lands on one is refused."""
        racks_by_pk = {rack.pk: rack for rack in self.racks.values() if rack.pk is not None}

        def rack_of(device: Device) -> Rack | None:
            # Without a query: a rack set by this import is cached on the device; one it had, read by id.
            if Device.rack.is_cached(device):
                return device.rack
            return racks_by_pk.get(device.rack_id) if device.rack_id else None

        taken: dict[tuple, DeviceKey] = {}
        for key, device in sorted(self.devices.items(), key=lambda item: item[0] in rows_of):
            rack = rack_of(device)
            if rack is None or device.position is None:
                continue
            place = (key[0], rack.name, device.position, device.face)
            other = taken.setdefault(place, key)
            if other != key and key in rows_of:
                face = f" ({device.face})" if device.face else ""
                self.report.row_error(
                    rows_of[key],
                    f"rack {rack.name} unit {Decimal(device.position).normalize():f}{face} is already taken by {other[1]!r}",
                )

    def _check_asset_tags(self, tag_rows: list[tuple[DeviceKey, str | None, Row]]) -> None:
        """Asset tags are unique: check the inventory as it will be, so tags may move between devices."""
        owners = dict(self.asset_tags)
        for key, _tag, _row in tag_rows:
            device = self.devices[key]
            old = self.original_tags.get(device.pk) if device.pk else None
            if old is not None and owners.get(old) == key:
                del owners[old]
        claimed: dict[str, Row] = {}
        for key, tag, row in tag_rows:
            if tag is None:
                continue
            if tag in claimed:
                self.report.row_error(row, f"asset tag {tag!r} is also on line {claimed[tag].line}")
            elif tag in owners and owners[tag] != key:
                code, name = owners[tag]
                self.report.row_error(row, f"asset tag {tag!r} already belongs to device {name!r} at {code}")
            claimed[tag] = row

    def check_ports(self, file_kind: str, rows: list[Row]) -> None:
        kind = PORT_KIND_OF_FILE[file_kind]
        word = PORT_WORDS[kind]
        lines: dict[PortKey, int] = {}
        front_rows: dict[PortKey, Row] = {}
        for row in rows:
            v = _Values(row, self.report)
            name = v.text("name", PORT_NAME_MAX, required=True)
            device_column = "power_panel" if kind == PortKind.POWER_FEED else "device"
            if kind == PortKind.POWER_FEED:
                device_key = self.device_key(v, "power_panel", "site")
                if device_key is not None and self.devices[device_key].kind != DeviceKind.POWER_PANEL:
                    v.error(f"power_panel: {device_key[1]!r} is a device, not a power panel")
            else:
                device_key = self.device_key(v, "device", "site")
            # NetBox requires a type on data ports only.
            values: dict[str, Any] = {
                "type": v.text("type", PORT_TYPE_MAX, required=kind not in POWER_KINDS),
            }
            if kind == PortKind.POWER_FEED:
                values["type"] = ""
                if v.has("status"):
                    values["enabled"] = (v.choice("status", FEED_STATUSES) or "active") == "active"
            feeding_name = v.text("power_port", PORT_NAME_MAX)
            if v.has("label"):
                values["label"] = v.text("label", PORT_LABEL_MAX)
            if v.has("description"):
                values["description"] = v.text("description", PORT_DESCRIPTION_MAX)
            enabled = v.boolean("enabled")
            if enabled is not None:
                values["enabled"] = enabled
            positions = v.integer("positions", 1, 1024)
            rear_name = v.text("rear_port", PORT_NAME_MAX, required=kind == PortKind.FRONT)
            rear_position = v.integer("rear_port_position", 1, 1024)
            if v.failed or device_key is None:
                self.refused_ports.add((row.values.get(device_column, ""), kind, name))
                continue
            key = (device_key, kind, name)
            if key in lines:
                v.error(f"{word} {name!r} on {device_key[1]} is also on line {lines[key]}")
                continue
            lines[key] = row.line
            if kind == PortKind.FRONT:
                rear_key = (device_key, PortKind.REAR, rear_name)
                rear = self.ports.get(rear_key)
                if rear is None:
                    if (device_key[1], PortKind.REAR, rear_name) not in self.refused_ports:
                        v.error(
                            f"rear_port: device {device_key[1]!r} has no rear port {rear_name!r} "
                            "(not in Lockstep nor in the rear ports file)"
                        )
                    self.refused_ports.add((device_key[1], kind, name))
                    continue
                limit = rear.positions  # as this import leaves it
                position = rear_position or 1
                if position > limit:
                    v.error(
                        f"rear_port_position {position} is past rear port {rear_name!r}'s {limit} position"
                        f"{'s' if limit != 1 else ''}"
                    )
                    continue
                front_rows[key] = row
                values["rear_port"] = rear
                values["rear_port_position"] = rear_position
            if kind == PortKind.POWER_OUTLET and v.has("power_port"):
                feeding = None
                if feeding_name:
                    feeding = self.ports.get((device_key, PortKind.POWER_PORT, feeding_name))
                    if feeding is None:
                        if (device_key[1], PortKind.POWER_PORT, feeding_name) not in self.refused_ports:
                            v.error(
                                f"power_port: device {device_key[1]!r} has no power port {feeding_name!r} "
                                "(not in Lockstep nor in the power ports file)"
                            )
                        self.refused_ports.add((device_key[1], kind, name))
                        continue
                values["power_port"] = feeding
            if positions is not None:
                values["positions"] = positions
            port = self.ports.get(key)
            if port is None:
                port = Port(device=self.devices[device_key], kind=kind, name=name, **values)
                self.ports[key] = port
                self._created(file_kind, port)
            else:
                self._outcome(file_kind, port, _assign(port, values))
        if front_rows:
            self._check_rear_positions(front_rows)

    def _check_rear_positions(self, front_rows: dict[PortKey, Row]) -> None:
        """NetBox maps each position of a rear port to one front port: two on one position would splice two
        paths into one. Checked on the ports as they will be after this import, so front ports may swap."""
        by_pk = {port.pk: port for port in self.ports.values() if port.pk is not None}
        taken: dict[tuple[int, int], PortKey] = {}
        for key, port in sorted(self.ports.items(), key=lambda item: item[0] in front_rows):
            if port.kind != PortKind.FRONT:
                continue
            rear = port.rear_port if Port.rear_port.is_cached(port) else by_pk.get(port.rear_port_id)
            if rear is None:
                continue
            position = port.rear_port_position or 1
            other = taken.setdefault((id(rear), position), key)
            if other != key and key in front_rows:
                self.report.row_error(
                    front_rows[key],
                    f"rear port {rear.name!r} position {position} already passes through front port {other[2]!r}",
                )

    def _port_words(self, key: PortKey) -> str:
        (_, device), kind, name = key
        return f"{device} {PORT_WORDS[kind]} {name}"

    def known_site(self, value: str) -> Site | None:
        """The site a value names (code, or a name only one site has), without making one."""
        site = self.sites_by_code.get(value)
        if site is None:
            named = self.sites_by_name.get(value, [])
            site = named[0] if len(named) == 1 else None
        return site

    def check_circuits(self, rows: list[Row]) -> None:
        lines: dict[str, int] = {}
        for row in rows:
            v = _Values(row, self.report)
            cid = v.text("cid", CID_MAX, required=True)
            values: dict[str, Any] = {
                "provider": v.text("provider", CIRCUIT_TEXT_MAX["provider"], required=True),
                "type": v.text("type", CIRCUIT_TEXT_MAX["type"], required=True),
                "status": v.choice("status", CircuitStatus.values, required=True),
            }
            if v.has("description"):
                values["description"] = v.text("description", CIRCUIT_TEXT_MAX["description"])
            if v.failed:
                continue
            if cid in lines:
                v.error(f"circuit {cid!r} is also on line {lines[cid]}")
                continue
            lines[cid] = row.line
            circuit = self.circuits.get(cid)
            if circuit is None:
                circuit = self.circuits[cid] = Circuit(cid=cid, **values)
                self._created("circuits", circuit)
            else:
                self._outcome("circuits", circuit, _assign(circuit, values))

    def check_circuit_terminations(self, rows: list[Row]) -> None:
        lines: dict[tuple[str, str], int] = {}
        for row in rows:
            v = _Values(row, self.report)
            cid = v.text("circuit", CID_MAX, required=True)
            side = v.choice("term_side", ("a", "z"), required=True).upper()
            site_value = v.text("site", SITE_NAME_MAX)
            termination_type = v.text("termination_type", 100).lower()
            site = None
            if site_value:
                site = self.known_site(site_value)
                if site is None:
                    v.error(f"site {site_value!r} is not in Lockstep nor in this import")
            elif termination_type == "dcim.site":
                v.error("the termination is at a site: name it in the site column (its name or slug)")
            circuit = self.circuits.get(cid) if cid else None
            if cid and circuit is None:
                v.error(f"circuit: no circuit {cid!r} (not in Lockstep nor in the circuits file)")
            if v.failed:
                continue
            key = (cid, side)
            if key in lines:
                v.error(f"circuit {cid!r} side {side} is also on line {lines[key]}")
                continue
            lines[key] = row.line
            termination = self.terminations.get(key)
            if termination is None:
                termination = CircuitTermination(circuit=circuit, term_side=side, site=site)
                self.terminations[key] = termination
                self._created("circuit_terminations", termination)
            else:
                values = {"site": site} if v.has("site") else {}
                self._outcome("circuit_terminations", termination, _assign(termination, values))

    def _check_circuit_cable(self, row: Row, cabled_on: dict[PortKey, int]) -> None:
        """A cable from a port to a circuit's end: Lockstep records the port on the termination."""
        v = _Values(row, self.report)
        termination: CircuitTermination | None = None
        port_key: PortKey | None = None
        for side in "ab":
            side_type = v.choice(f"side_{side}_type", CABLE_SIDE_TYPES, required=True)
            name = v.text(f"side_{side}_name", PORT_NAME_MAX, required=True)
            if side_type == CIRCUIT_TERMINATION:
                cid = v.text(f"side_{side}_circuit", CID_MAX, required=True)
                if termination is not None:
                    v.error("a cable joins a circuit's end to a port, not to another circuit's end")
                    continue
                if not (cid and name):
                    continue
                termination = self.terminations.get((cid, name.upper()))
                if termination is None:
                    v.error(
                        f"side {side.upper()}: circuit {cid!r} has no termination {name!r} "
                        "(not in Lockstep nor in the circuit terminations file)"
                    )
            elif side_type:
                kind = TERMINATION_KINDS[side_type]
                device_key = self.device_key(v, f"side_{side}_device", f"side_{side}_site")
                if kind in POWER_KINDS:
                    v.error(f"a circuit carries data: it is not cabled to {_a(PORT_WORDS[kind])}")
                elif device_key is not None and name:
                    port_key = (device_key, kind, name)
                    if port_key not in self.ports:
                        if (device_key[1], kind, name) not in self.refused_ports:
                            v.error(
                                f"side {side.upper()}: device {device_key[1]!r} has no {PORT_WORDS[kind]} "
                                f"{name!r} (not in Lockstep nor in this import)"
                            )
                        v.failed = True
        if v.failed or termination is None or port_key is None:
            return
        words = f"circuit {termination.circuit.cid} side {termination.term_side}"
        if port_key in cabled_on:
            v.error(f"{self._port_words(port_key)} is also cabled on line {cabled_on[port_key]}")
            return
        port = self.ports[port_key]
        if port.pk is not None and termination.port_id == port.pk:
            self.report.unchanged["cables"] += 1
        else:
            attached = termination.port_id is not None or (
                CircuitTermination.port.is_cached(termination) and termination.port is not None
            )
            if attached:
                v.error(
                    f"{words} is already cabled to another port in Lockstep; remove that first if it moved"
                )
                return
            other = self.port_terminations.get(port.pk) if port.pk is not None else None
            if port.cable_id is not None or port.cable is not None or other is not None:
                v.error(
                    f"{self._port_words(port_key)} is already cabled in Lockstep; remove that cable first"
                )
                return
            termination.port = port
            if termination.pk is not None:
                self.changed[CircuitTermination][termination.pk] = termination
            self.report.created["cables"] += 1
        cabled_on[port_key] = row.line

    def check_cables(self, rows: list[Row]) -> None:
        cabled_on: dict[PortKey, int] = {}
        for row in rows:
            sides = (row.values.get("side_a_type", ""), row.values.get("side_b_type", ""))
            if CIRCUIT_TERMINATION in (side.strip().lower() for side in sides):
                self._check_circuit_cable(row, cabled_on)
                continue
            v = _Values(row, self.report)
            ends: list[PortKey | None] = []
            for side in "ab":
                kind = TERMINATION_KINDS.get(v.choice(f"side_{side}_type", CABLE_SIDE_TYPES, required=True))
                # A power feed hangs off its power panel, named in a column of its own.
                parent = "power_panel" if kind == PortKind.POWER_FEED else "device"
                device_key = self.device_key(v, f"side_{side}_{parent}", f"side_{side}_site")
                name = v.text(f"side_{side}_name", PORT_NAME_MAX, required=True)
                if kind is None or device_key is None or not name:
                    ends.append(None)
                    continue
                key = (device_key, kind, name)
                if key not in self.ports:
                    if (device_key[1], kind, name) not in self.refused_ports:
                        v.error(
                            f"side {side.upper()}: device {device_key[1]!r} has no {PORT_WORDS[kind]} {name!r} "
                            "(not in Lockstep nor in this import)"
                        )
                    v.failed = True
                    ends.append(None)
                    continue
                ends.append(key)
            values: dict[str, Any] = {}
            if v.has("label"):
                values["label"] = v.text("label", CABLE_LABEL_MAX)
            if v.has("type"):
                values["type"] = v.text("type", CABLE_TYPE_MAX)
            if v.has("status"):
                values["status"] = v.choice("status", CABLE_STATUSES) or "connected"
            if v.failed:
                continue
            a_key, b_key = ends
            kinds = (a_key[1], b_key[1])
            if (kinds[0] in POWER_KINDS) != (kinds[1] in POWER_KINDS):
                v.error(
                    "a cable joins data to data or power to power, not "
                    f"{_a(PORT_WORDS[kinds[0]])} to {_a(PORT_WORDS[kinds[1]])}"
                )
                continue
            if kinds[0] in POWER_KINDS and sorted(kinds).count(PortKind.POWER_PORT) != 1:
                v.error(
                    "a power cable joins a power port to a power outlet or a power feed, not "
                    f"{_a(PORT_WORDS[kinds[0]])} to {_a(PORT_WORDS[kinds[1]])}"
                )
                continue
            if a_key == b_key:
                v.error(f"a cable cannot connect {self._port_words(a_key)} to itself")
                continue
            for key in (a_key, b_key):
                if key in cabled_on:
                    v.error(f"{self._port_words(key)} is also cabled on line {cabled_on[key]}")
            if v.failed:
                continue
            a, b = self.ports[a_key], self.ports[b_key]
            for port, key in ((a, a_key), (b, b_key)):
                if port.pk in self.port_terminations:
                    circuit = self.port_terminations[port.pk]
                    v.error(
                        f"{self._port_words(key)} is cabled to circuit {circuit.circuit.cid} side "
                        f"{circuit.term_side} in Lockstep; remove that first if it moved"
                    )
            if v.failed:
                continue
            if a.cable_id is not None and a.cable_id == b.cable_id:
                cable = self.cables[a.cable_id]
                self._outcome("cables", cable, _assign(cable, values))
            else:
                for port, key in ((a, a_key), (b, b_key)):
                    if port.cable_id is not None:
                        far = [k for k in self.cable_ends[port.cable_id].values() if k != key]
                        to = self._port_words(far[0]) if far else "nothing"
                        v.error(
                            f"{self._port_words(key)} is already cabled to {to} in Lockstep; "
                            "remove that cable first if it was moved"
                        )
                if v.failed:
                    continue
                cable = Cable(**({"status": "connected"} | values))
                self._created("cables", cable)
                for port, end in ((a, "A"), (b, "B")):
                    port.cable, port.cable_end = cable, end
                    if port.pk is not None:
                        self.changed[Port][port.pk] = port
            cabled_on[a_key] = cabled_on[b_key] = row.line

    # Writing ----------------------------------------------------------------------------------------------

    def write(self) -> None:
        created, changed = self.new, self.changed
        self._create(Site, created[Site])
        self._update(Site, changed[Site], ["name", "time_zone"])
        self._create(Location, created[Location])
        self._create(Rack, created[Rack])
        self._update(Rack, changed[Rack], ["location"])
        # Asset tags are unique row by row, so a tag moving between devices is first let go, then taken.
        letting_go = [
            pk
            for pk, device in changed[Device].items()
            if self.original_tags.get(pk) not in (None, device.asset_tag)
        ]
        for chunk in _chunks(letting_go):
            Device.objects.filter(pk__in=chunk).update(asset_tag=None)
        self._create(Device, created[Device])
        self._update(Device, changed[Device], DEVICE_FIELDS)
        self._create(Circuit, created[Circuit])
        self._update(Circuit, changed[Circuit], ["provider", "type", "status", "description"])
        self._create(Cable, created[Cable])
        self._update(Cable, changed[Cable], ["label", "type", "status"])
        new_ports = created[Port]
        # Front ports point at rear ports, and outlets at their PDU's power ports: those need their ids first.
        pointing = (PortKind.FRONT, PortKind.POWER_OUTLET)
        self._create(Port, [port for port in new_ports if port.kind not in pointing])
        self._create(Port, [port for port in new_ports if port.kind in pointing])
        self._update(Port, changed[Port], PORT_FIELDS)
        self._create(CircuitTermination, created[CircuitTermination])
        self._update(CircuitTermination, changed[CircuitTermination], ["site", "port"])

    @staticmethod
    def _create(model: type[models.Model], objs: list[models.Model]) -> None:
        if objs:
            model.objects.bulk_create(objs, batch_size=BATCH_SIZE)

    @staticmethod
    def _update(model: type[models.Model], objs: dict[int, models.Model], fields: list[str]) -> None:
        if objs:
            model.objects.bulk_update(list(objs.values()), fields, batch_size=BATCH_SIZE)


def run_import(
    rows: Mapping[str, list[Row]],
    *,
    by: AbstractBaseUser | None,
    report: ImportReport,
    audit: Mapping[str, Any],
) -> ImportReport:
    """Check every row, then write them all in one transaction with one audit event, or write nothing."""
    # A file that cannot be read at all is reported alone: checking the others against it would bury the one
    # real problem under a "no such device" for every row that refers to it.
    if not report.ok:
        report._forget_plan()
        _record_refusal(report, by=by, audit=audit)
        return report
    try:
        with transaction.atomic():
            plan = _Import(report)
            plan.load()
            plan.check(rows)
            if not report.ok:
                raise _RollBack
            plan.write()
            if any(report.created.values()) or any(report.updated.values()):
                # Bulk writes send no signals: mark every site's blast radius snapshots stale ourselves.
                # All sites, not just those named, because a cable can join two sites.
                bump_sites(Site.objects.values_list("pk", flat=True))
            # One event per import, not one per row: 100,000 interface events would bury everything else
            # in the log; the counts and files say what the import did.
            record(
                "inventory.imported",
                actor=by,
                payload={
                    **audit,
                    "files": report.files,
                    "counts": report.counts(),
                    "created_sites": report.created_sites,
                    "created_locations": report.created_locations,
                    "created_racks": report.created_racks,
                    "devices_without_serial": len(report.devices_without_serial),
                    "ignored_columns": {f: c for f, c in report.ignored_columns.items() if c},
                },
            )
    except _RollBack:
        report._forget_plan()
        _record_refusal(report, by=by, audit=audit)
    except DatabaseError as exc:
        # Rows are checked before writing, so this means a concurrent change (another import, an admin edit).
        logger.exception("inventory import refused by the database")
        report.error("database", 0, f"refused the import, so nothing was written; try again ({exc})")
        report._forget_plan()
        _record_refusal(report, by=by, audit=audit)
    return report


def _record_refusal(report: ImportReport, *, by: AbstractBaseUser | None, audit: Mapping[str, Any]) -> None:
    """A refused import wrote nothing, and the log says so: who tried, with which files, and why."""
    record(
        "inventory.import_refused",
        actor=by,
        payload={
            **audit,
            "files": report.files,
            "errors": len(report.errors),
            "first_errors": [str(error)[:300] for error in report.errors[:20]],
        },
    )


def import_netbox_csv(
    files: Mapping[str, bytes | str],
    *,
    by: AbstractBaseUser | None,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> ImportReport:
    """Import NetBox bulk-import CSV files, all or nothing.

    `files` maps a kind ("devices", "interfaces", "front_ports", "rear_ports", "cables") or a file name that
    says its kind ("dc1-devices.csv") to the file's contents. Several files of one kind are read in turn.
    """
    max_bytes = max_upload_bytes() if max_bytes is None else max_bytes
    max_rows = max_upload_rows() if max_rows is None else max_rows
    report = ImportReport(source="csv")
    rows: dict[str, list[Row]] = {kind: [] for kind in CSV_KINDS}
    for key, data in files.items():
        if key in CSV_KINDS:
            kind, name = key, f"{key}.csv"
        else:
            kind, name = kind_from_filename(key), PurePath(key).name
        if kind is None:
            report.error(
                name,
                0,
                f"its name does not say what it holds; call it {FILE_NAMES}",
            )
            continue
        report.files.append(name)
        rows[kind] += read_csv(name, data, kind, report, max_bytes=max_bytes, max_rows=max_rows)
    return run_import(rows, by=by, report=report, audit={"source": "csv"})


def note_skipped(report: ImportReport, reasons: Counter[str]) -> None:
    for reason, count in sorted(reasons.items()):
        report.notes.append(f"skipped {count} {reason}")
