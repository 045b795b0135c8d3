from __future__ import annotations

import uuid
from dataclasses import dataclass
from unittest import mock

import pytest
from django.core.management import call_command

from inventory.models import Device, DeviceKind, Port, Rack, Site, Tag


@dataclass
class SmallSite:
    site: Site
    rack: Rack
    sw_a: Device
    sw_b: Device
    server: Device
    sw_a_port: Port
    sw_b_port: Port


def build_small_site(*, with_ports: int = 4, suffix: str = "") -> SmallSite:
    site = Site.objects.create(code=f"LAX1{suffix}", name="Los Angeles 1", time_zone="America/Los_Angeles")
    rack = Rack.objects.create(site=site, name="A01")
    sw_a = Device.objects.create(
        site=site, rack=rack, position=42, name=f"sw-a{suffix}", kind=DeviceKind.SWITCH, serial="FDO2231X0AA"
    )
    sw_b = Device.objects.create(
        site=site, rack=rack, position=41, name=f"sw-b{suffix}", kind=DeviceKind.SWITCH, serial="FDO2231X0BB"
    )
    server = Device.objects.create(
        site=site, rack=rack, position=10, name=f"web01{suffix}", kind=DeviceKind.SERVER, serial="CZ2300X001"
    )
    for switch in (sw_a, sw_b):
        Port.objects.bulk_create(Port(device=switch, name=f"Eth1/{n}") for n in range(1, with_ports + 1))
    return SmallSite(
        site, rack, sw_a, sw_b, server, sw_a.ports.get(name="Eth1/1"), sw_b.ports.get(name="Eth1/1")
    )


@pytest.fixture
def lax1(db) -> SmallSite:
    return build_small_site()


@pytest.fixture
def active_tag(lax1, sam, tess) -> Tag:
    """sam issues sw-a's tag; tess applies its label at the rack."""
    tag = Tag.issue(lax1.sw_a, by=sam)
    tag.commission(serial="FDO2231X0AA", by=tess)
    return tag


def ask_for_labels(client, url: str, data: dict | None = None, *, key: str = "", follow: bool = True):
    """The print form sent as the page sends it: a POST with the page's form key (a fresh one unless given)."""
    return client.post(url, {"idem": key or uuid.uuid4().hex, **(data or {})}, follow=follow)


def run_worker() -> None:
    """The real worker command, in batch mode: everything due now, then exit. (Its connection housekeeping
    is switched off: inside a test's transaction it would drop the test's connection.)"""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
