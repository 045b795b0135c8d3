from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Cable, Customer, Device, DeviceKind, Port, Rack, Service, Site
from maintenance.models import Window


@dataclass
class RedundantSite:
    """A core root; switches sw-a and sw-b in rack A01 each uplinked to it; web01 dual-homed to both
    (Acme's site runs on it); web02 single-homed to sw-a (Beta's site); rack B01 with its own switch sw-c."""

    site: Site
    core: Device
    sw_a: Device
    sw_b: Device
    sw_c: Device
    web01: Device
    web02: Device
    acme: Service
    beta: Service

    def port(self, device: Device, name: str) -> Port:
        return device.ports.get(name=name)


def _cable(a: Port, b: Port) -> None:
    cable = Cable.objects.create(label=f"{a}-{b}")
    Port.objects.filter(pk=a.pk).update(cable=cable, cable_end="A")
    Port.objects.filter(pk=b.pk).update(cable=cable, cable_end="B")


def build_redundant_site(code: str = "LAX1") -> RedundantSite:
    site = Site.objects.create(code=code, name="Los Angeles 1", time_zone="America/Los_Angeles")
    a01 = Rack.objects.create(site=site, name="A01")
    b01 = Rack.objects.create(site=site, name="B01")

    def device(name, rack, kind, position, **extra):
        return Device.objects.create(
            site=site, rack=rack, name=name, kind=kind, position=position, serial=f"SN-{name}", **extra
        )

    core = device("core", b01, DeviceKind.ROUTER, 40, is_upstream_root=True)
    sw_a = device("sw-a", a01, DeviceKind.SWITCH, 42)
    sw_b = device("sw-b", a01, DeviceKind.SWITCH, 41)
    sw_c = device("sw-c", b01, DeviceKind.SWITCH, 30)
    web01 = device("web01", a01, DeviceKind.SERVER, 10)
    web02 = device("web02", a01, DeviceKind.SERVER, 12)
    for switch in (sw_a, sw_b, sw_c):
        Port.objects.bulk_create(Port(device=switch, name=f"Eth1/{n}") for n in range(1, 5))
        Port.objects.create(device=switch, name="Eth1/48")
    for n in range(1, 4):
        Port.objects.create(device=core, name=f"et-{n}")
    for server in (web01, web02):
        Port.objects.create(device=server, name="eth0")
        Port.objects.create(device=server, name="eth1")
    for n, switch in enumerate((sw_a, sw_b, sw_c), start=1):
        _cable(switch.ports.get(name="Eth1/48"), core.ports.get(name=f"et-{n}"))
    _cable(web01.ports.get(name="eth0"), sw_a.ports.get(name="Eth1/1"))
    _cable(web01.ports.get(name="eth1"), sw_b.ports.get(name="Eth1/1"))
    _cable(web02.ports.get(name="eth0"), sw_a.ports.get(name="Eth1/2"))
    acme = Service.objects.create(
        customer=Customer.objects.get_or_create(name="Acme")[0], name=f"acme-{code}", public_name="Acme"
    )
    acme.devices.add(web01)
    beta = Service.objects.create(
        customer=Customer.objects.get_or_create(name="Beta")[0], name=f"beta-{code}", public_name="Beta"
    )
    beta.devices.add(web02)
    return RedundantSite(site, core, sw_a, sw_b, sw_c, web01, web02, acme, beta)


@pytest.fixture
def lax1(db) -> RedundantSite:
    return build_redundant_site()


def make_window(
    requester, site: Site, *, start_in=timedelta(hours=2), hours=4, title="Swap optics", **extra
) -> Window:
    start = timezone.now() + start_in
    window = Window.objects.create(
        site=site,
        title=title,
        planned_start=start,
        planned_end=start + timedelta(hours=hours),
        requester=requester,
        rollback_plan="Plug it back in.",
        **extra,
    )
    return window
