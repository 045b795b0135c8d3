"""Checking the rows of ports: interfaces, front and rear ports, power ports, outlets and feeds."""

from __future__ import annotations

from typing import Any

from inventory.importers.columns import (
    FEED_STATUSES,
    PORT_DESCRIPTION_MAX,
    PORT_KIND_OF_FILE,
    PORT_LABEL_MAX,
    PORT_NAME_MAX,
    PORT_TYPE_MAX,
    PORT_WORDS,
)
from inventory.importers.report import Row
from inventory.importers.values import PortKey, _assign, _Values
from inventory.models import POWER_KINDS, DeviceKind, Port, PortKind


class _Ports:
    """The checks of _Import (plan.py) for ports of every kind."""

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
                self.rear_rows[key] = row
            port = self.ports.get(key)
            if port is None:
                port = Port(device=self.devices[device_key], kind=kind, name=name, **values)
                self.ports[key] = port
                self._created(file_kind, port)
            else:
                self._outcome(file_kind, port, _assign(port, values))
        if front_rows:
            self._check_rear_positions(front_rows)

    def check_positions_fit(self) -> None:
        """A rear port given fewer positions must not strand a front port Lockstep keeps on a position past
        the new count (it would lead nowhere). Front ports in the same import were checked on their rows."""
        if not self.rear_rows:
            return
        by_pk = {port.pk: port for port in self.ports.values() if port.pk is not None}
        changed = {id(self.ports[key]): key for key in self.rear_rows}
        for port in self.ports.values():
            if port.kind != PortKind.FRONT:
                continue
            rear = port.rear_port if Port.rear_port.is_cached(port) else by_pk.get(port.rear_port_id)
            key = changed.get(id(rear)) if rear is not None else None
            position = port.rear_port_position or 1
            if key is not None and position > rear.positions:
                self.report.row_error(
                    self.rear_rows[key],
                    f"positions {rear.positions} would leave front port {port.name!r} on position {position} "
                    "with no path; change that front port in the same import",
                )

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
