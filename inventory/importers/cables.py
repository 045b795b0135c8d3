"""Checking the rows of cables and circuits: circuits, their terminations, and the cables between ports or
from a port to a circuit's end."""

from __future__ import annotations

from typing import Any

from inventory.importers.columns import (
    CABLE_LABEL_MAX,
    CABLE_SIDE_TYPES,
    CABLE_STATUSES,
    CABLE_TYPE_MAX,
    CID_MAX,
    CIRCUIT_TERMINATION,
    CIRCUIT_TEXT_MAX,
    PORT_NAME_MAX,
    PORT_WORDS,
    SITE_NAME_MAX,
    TERMINATION_KINDS,
)
from inventory.importers.report import Row
from inventory.importers.values import PortKey, _a, _assign, _Values
from inventory.models import (
    POWER_KINDS,
    Cable,
    Circuit,
    CircuitStatus,
    CircuitTermination,
    Port,
    PortKind,
)


class _Cables:
    """The checks of _Import (plan.py) for circuits, circuit terminations and cables."""

    def _port_words(self, key: PortKey) -> str:
        (_, device), kind, name = key
        return f"{device} {PORT_WORDS[kind]} {name}"

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
