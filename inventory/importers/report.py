"""What an import found and did: the rows it read, the errors in them, and the report a person reads."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from inventory.importers.columns import ALL_KINDS

# An upload where every row is wrong would otherwise build a report as large as the file.
MAX_ERRORS_KEPT = 1000


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
    sites_in_utc: list[str] = field(default_factory=list)  # made with no time zone given
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
        for names in (self.created_sites, self.sites_in_utc, self.created_locations, self.created_racks):
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

    def counts_in_words(self) -> list[tuple[str, dict[str, int]]]:
        """The counts for a page: "Power outlets", not the file's "power_outlets"."""
        return [(kind.replace("_", " ").capitalize(), counts) for kind, counts in self.counts().items()]

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
                    f"{len(self.devices_without_serial)} device(s) without a serial cannot have tags applied "
                    "until two people read each serial at the rack (on the device's page): "
                    f"{', '.join(self.devices_without_serial)}"
                )
        for file, columns in self.ignored_columns.items():
            if columns:
                lines.append(f"Ignored columns in {file}: {', '.join(columns)}")
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)
