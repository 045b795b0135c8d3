"""Hand-cabled data centres whose blast radius we know."""

from __future__ import annotations

from inventory.models import Cable, Customer, Device, DeviceKind, Port, PortKind, Service, Site


class Topology:
    """A hand-cabled data center whose answers we know."""

    def __init__(self, code: str = "lax1") -> None:
        self.site = Site.objects.create(code=code, name=code.upper())
        self.customer = Customer.objects.create(name=f"Acme {code}")

    def device(self, name: str, kind: str = DeviceKind.SERVER, *, root: bool = False) -> Device:
        return Device.objects.create(site=self.site, name=name, kind=kind, is_upstream_root=root)

    def switch(self, name: str, *, root: bool = False) -> Device:
        return self.device(name, DeviceKind.SWITCH, root=root)

    def port(
        self, device: Device, name: str, kind: str = PortKind.INTERFACE, rear: Port | None = None
    ) -> Port:
        return Port.objects.create(device=device, name=name, kind=kind, rear_port=rear)

    def cable(self, a: Port, b: Port) -> None:
        cable = Cable.objects.create()
        Port.objects.filter(pk=a.pk).update(cable=cable, cable_end="A")
        Port.objects.filter(pk=b.pk).update(cable=cable, cable_end="B")

    def link(self, a: Device, a_port: str, b: Device, b_port: str) -> tuple[Port, Port]:
        ends = self.port(a, a_port), self.port(b, b_port)
        self.cable(*ends)
        return ends

    def service(self, name: str, *, devices=(), ports=()) -> Service:
        service = Service.objects.create(customer=self.customer, name=name)
        service.devices.set(devices)
        service.ports.set(ports)
        return service


def names(result) -> list[str]:
    return [device.name for device in result.devices]
