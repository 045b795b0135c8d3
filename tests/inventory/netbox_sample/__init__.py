"""The sample inventory (see README.md here): its CSV files, and the same objects in a fake NetBox API."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from tests.inventory.fake_netbox import FakeNetBox

HERE = Path(__file__).parent


def files(*, broken: bool = False) -> dict[str, str]:
    """Every file of the sample, by kind (its name without .csv); with broken, the broken devices file."""
    found = {path.stem: path.read_text(encoding="utf-8") for path in sorted(HERE.glob("*.csv"))}
    if broken:
        found["devices"] = (HERE / "broken" / "devices.csv").read_text(encoding="utf-8")
    return found


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def fake_netbox_from(sample: dict[str, str], netbox: FakeNetBox) -> None:
    """Fill the fake API with the sample's objects, in NetBox's API shapes and with its device ids."""
    sites = {}
    for row in rows(sample["sites"]):
        sites[row["name"]] = sites[row["slug"]] = netbox.site(
            row["slug"], row["name"], time_zone=row["time_zone"]
        )
    locations = {}
    for row in rows(sample["locations"]):
        locations[(row["site"], row["name"])] = netbox.location(sites[row["site"]], row["name"])
    racks = {}
    for row in rows(sample["racks"]):
        location = locations.get((row["site"], row["location"]))
        racks[(row["site"], row["name"])] = netbox.rack(sites[row["site"]], row["name"], location)
    devices: dict[str, dict[str, Any]] = {}
    for row in rows(sample["devices"]):
        device = netbox.device(
            sites[row["site"]],
            row["name"] or None,
            role=row["role"],
            manufacturer=row["manufacturer"],
            model=row["device_type"],
            status=row["status"],
            rack=racks.get((row["site"], row["rack"])),
            location=locations.get((row["site"], row["location"])),
            position=float(row["position"]) if row["position"] else None,
            face=row["face"] or None,
            serial=row["serial"],
            asset_tag=row["asset_tag"] or None,
            pk=int(row["id"]),
        )
        # Component files name an unnamed device as NetBox shows it.
        shown = row["name"] or f"{row['manufacturer']} {row['device_type']} ({row['id']})"
        devices[shown] = device
    ends: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows(sample["interfaces"]):
        ends[("dcim.interface", row["device"], row["name"])] = netbox.interface(
            devices[row["device"]], row["name"]
        )
    for row in rows(sample["rear_ports"]):
        port = netbox.rear_port(devices[row["device"]], row["name"], positions=int(row["positions"]))
        ends[("dcim.rearport", row["device"], row["name"])] = port
    for row in rows(sample["front_ports"]):
        rear = ends[("dcim.rearport", row["device"], row["rear_port"])]
        port = netbox.front_port(
            devices[row["device"]], row["name"], rear, position=int(row["rear_port_position"])
        )
        ends[("dcim.frontport", row["device"], row["name"])] = port
    panels = {}
    for row in rows(sample["power_panels"]):
        panels[row["name"]] = netbox.power_panel(sites[row["site"]], row["name"])
    for row in rows(sample["power_feeds"]):
        feed = netbox.power_feed(panels[row["power_panel"]], row["name"], status=row["status"])
        ends[("dcim.powerfeed", row["power_panel"], row["name"])] = feed
    for row in rows(sample["power_ports"]):
        port = netbox.power_port(devices[row["device"]], row["name"])
        ends[("dcim.powerport", row["device"], row["name"])] = port
    for row in rows(sample["power_outlets"]):
        inlet = ends[("dcim.powerport", row["device"], row["power_port"])]
        outlet = netbox.power_outlet(devices[row["device"]], row["name"], inlet)
        ends[("dcim.poweroutlet", row["device"], row["name"])] = outlet
    circuits = {}
    for row in rows(sample["circuits"]):
        circuits[row["cid"]] = netbox.circuit(
            row["cid"], provider=row["provider"], type=row["type"], status=row["status"]
        )
    for row in rows(sample["circuit_terminations"]):
        end = netbox.circuit_termination(circuits[row["circuit"]], row["term_side"], sites[row["site"]])
        ends[("circuits.circuittermination", row["circuit"], row["term_side"])] = end
    for row in rows(sample["cables"]):
        pair = []
        for side in "ab":
            kind = row[f"side_{side}_type"]
            parent = (
                row[f"side_{side}_device"] or row[f"side_{side}_power_panel"] or row[f"side_{side}_circuit"]
            )
            pair.append((ends[(kind, parent, row[f"side_{side}_name"])], kind))
        (a, a_type), (b, b_type) = pair
        netbox.cable(a, b, a_type=a_type, b_type=b_type, label=row["label"], type=row["type"])
