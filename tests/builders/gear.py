"""Switches that answer as the tests say, through NAPALM's mock driver.

Each device gets a folder of JSON answers, one file per getter and call (`get_interfaces.1` is what the first
call returns, `get_interfaces.2` the second): the before-check and the try-out ask on one kept connection, so the
first call is the switch before the hands move and the second is after. `{"exception": "socket.timeout"}` makes a
call time out."""

from __future__ import annotations

import json
from pathlib import Path

from checklists.execution import scan
from checklists.models import StepStatus
from live.models import DeviceAccess
from tests.builders.people import phone, users
from tests.builders.workers import run_worker


def links(**up: bool) -> dict:
    """get_interfaces as NAPALM gives it, for ports named with _ for / (Eth1_1 is Eth1/1)."""
    return {
        name.replace("_", "/"): {
            "is_up": state,
            "is_enabled": True,
            "description": "",
            "last_flapped": -1.0,
            "speed": 10000,
            "mtu": 9214,
            "mac_address": "00:1c:73:00:00:01",
        }
        for name, state in up.items()
    }


ALL_UP = {f"Eth1_{n}": True for n in (1, 2, 3, 4, 48)}


def lldp(port: str, hostname: str, their_port: str) -> dict:
    return {port: [{"hostname": hostname, "port": their_port}]}


def counters(port: str, rx: int = 123_456_789, tx: int = 98_765_432) -> dict:
    return {port: {"rx_octets": rx, "tx_octets": tx, "rx_errors": 0, "tx_errors": 0}}


TIMEOUT = {"exception": "socket.timeout", "args": ["timed out"]}


class Gear:
    """The switches' answers and their access, written where Lockstep's settings point."""

    def __init__(self, root: Path, secrets: Path) -> None:
        self.root, self.secrets_path = root, secrets
        self.secrets: dict = {
            "default": {"username": "lockstep", "password": "pa55-never-shown"},
            "devices": {},
        }

    def answers(self, device, getter: str, *calls) -> None:
        folder = self.root / device.name
        folder.mkdir(parents=True, exist_ok=True)
        for n, answer in enumerate(calls, start=1):
            (folder / f"{getter}.{n}").write_text(json.dumps(answer))
        self.reachable(device)

    def unreachable(self, device) -> None:
        """The device stops answering: its connection fails to open (the kept one is dropped first)."""
        self.secrets["devices"][device.name]["optional_args"]["fail_on_open"] = True
        self.secrets_path.write_text(json.dumps(self.secrets))

    def reachable(self, device) -> None:
        folder = self.root / device.name
        folder.mkdir(parents=True, exist_ok=True)
        DeviceAccess.objects.get_or_create(device=device, defaults={"driver": "mock", "address": "192.0.2.1"})
        self.secrets["devices"][device.name] = {
            "username": "lockstep",
            "password": "pa55-never-shown",
            "optional_args": {"path": str(folder)},
        }
        self.secrets_path.write_text(json.dumps(self.secrets))


def scan_both(scene, step):
    people = users()
    code = scene.tag_for(str(step.asset))
    scan(step, who=phone(people["tess"]), raw=code, serial=step.chassis.serial, method="camera")
    run_worker()  # the switch is asked while the second tech walks up
    step.refresh_from_db()
    if step.status == StepStatus.SCANNED:
        scan(step, who=phone(people["vic"]), raw=code, serial=step.chassis.serial)
    step.refresh_from_db()
    return step


def pair_answers(gear, site, *, after_a: dict, after_b: dict, neighbour=("web01", "eth0")):
    gear.answers(site.sw_a, "get_interfaces", links(**ALL_UP), links(**after_a))
    gear.answers(site.sw_a, "get_lldp_neighbors", lldp("Ethernet1/1", *neighbour))
    gear.answers(site.sw_a, "get_interfaces_counters", counters("Ethernet1/1"))
    gear.answers(site.sw_b, "get_interfaces", links(**ALL_UP), links(**after_b))
