"""Small helpers of the checking plan: one row's values read and checked, a model's fields set, and the like."""

from __future__ import annotations

import difflib
import zoneinfo
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.db import models

from inventory.importers.columns import _CONTROL_IN_PROSE_RE, _CONTROL_RE, FALSE_WORDS, TRUE_WORDS
from inventory.importers.report import ImportReport, Row


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


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


DeviceKey = tuple[str, str]  # (site code, device name)
PortKey = tuple[DeviceKey, str, str]  # (device, port kind, port name)


def did_you_mean(value: str, known: list[str]) -> str:
    """ "; did you mean 'X'?" for the known name nearest a misspelt one, or nothing when none is near."""
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""
