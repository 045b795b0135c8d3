from __future__ import annotations

from dataclasses import dataclass

import pytest

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
def active_tag(lax1, sam) -> Tag:
    tag = Tag.issue(lax1.sw_a, by=sam)
    tag.commission(serial="FDO2231X0AA", by=sam)
    return tag
