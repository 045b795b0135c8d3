"""Data centres the stories happen in, cabled as the tests need them, and tagged when the story scans."""

from __future__ import annotations

from dataclasses import dataclass

from inventory.models import Cable, Customer, Device, DeviceKind, Port, Rack, Service, Site, Tag


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


def cable(a: Port, b: Port) -> None:
    joined = Cable.objects.create(label=f"{a}-{b}")
    Port.objects.filter(pk=a.pk).update(cable=joined, cable_end="A")
    Port.objects.filter(pk=b.pk).update(cable=joined, cable_end="B")


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
        cable(switch.ports.get(name="Eth1/48"), core.ports.get(name=f"et-{n}"))
    cable(web01.ports.get(name="eth0"), sw_a.ports.get(name="Eth1/1"))
    cable(web01.ports.get(name="eth1"), sw_b.ports.get(name="Eth1/1"))
    cable(web02.ports.get(name="eth0"), sw_a.ports.get(name="Eth1/2"))
    acme = Service.objects.create(
        customer=Customer.objects.get_or_create(name="Acme")[0], name=f"acme-{code}", public_name="Acme"
    )
    acme.devices.add(web01)
    beta = Service.objects.create(
        customer=Customer.objects.get_or_create(name="Beta")[0], name=f"beta-{code}", public_name="Beta"
    )
    beta.devices.add(web02)
    return RedundantSite(site, core, sw_a, sw_b, sw_c, web01, web02, acme, beta)


def tag_everything(site: RedundantSite, by) -> dict[str, Tag]:
    """Every switch and switch port carries an active tag, so the swapped-label accident can be staged: the
    label that says sw-b Eth1/1 is what a tech scans when they stand at the wrong switch."""
    tags = {}
    for device in (site.sw_a, site.sw_b, site.sw_c, site.core):
        tag = Tag.issue(device, by=by)
        tag.commission(serial=device.serial, by=by)
        tags[device.name] = tag
        for port in device.ports.all():
            port_tag = Tag.issue(port, by=by)
            port_tag.commission(serial=device.serial, by=by)
            tags[f"{device.name} {port.name}"] = port_tag
    return tags


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
