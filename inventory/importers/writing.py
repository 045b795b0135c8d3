"""Writing the checked plan: a handful of bulk statements, in the order the rows refer to each other."""

from __future__ import annotations

from django.db import models

from inventory.importers.values import _chunks
from inventory.models import (
    Cable,
    Circuit,
    CircuitTermination,
    Device,
    DeviceRole,
    DeviceType,
    Location,
    Port,
    PortKind,
    Rack,
    Site,
)

BATCH_SIZE = 1000

DEVICE_FIELDS = [
    "name",
    "netbox_id",
    "kind",
    "role",
    "manufacturer",
    "model",
    "status",
    "rack",
    "position",
    "face",
    "serial",
    "asset_tag",
    "is_upstream_root",
]
PORT_FIELDS = [
    "type",
    "label",
    "enabled",
    "description",
    "positions",
    "rear_port",
    "rear_port_position",
    "power_port",
    "cable",
    "cable_end",
]


class _Writing:
    """The writes of _Import (plan.py): the new and changed rows the checks collected, in bulk."""

    def write(self) -> None:
        created, changed = self.new, self.changed
        self._create(Site, created[Site])
        self._update(Site, changed[Site], ["name", "time_zone"])
        self._create(Location, created[Location])
        self._create(Rack, created[Rack])
        self._update(Rack, changed[Rack], ["location"])
        self._create(DeviceRole, created[DeviceRole])
        self._update(DeviceRole, changed[DeviceRole], ["name"])
        self._create(DeviceType, created[DeviceType])
        self._update(DeviceType, changed[DeviceType], ["slug"])
        # Asset tags are unique row by row, so a tag moving between devices is first let go, then taken.
        letting_go = [
            pk
            for pk, device in changed[Device].items()
            if self.original_tags.get(pk) not in (None, device.asset_tag)
        ]
        for chunk in _chunks(letting_go):
            Device.objects.filter(pk__in=chunk).update(asset_tag=None)
        # Renamed devices leave their old names first (for a moment under a name no import can give, as
        # names may swap or pass along a chain), then every changed device is written, then the new ones:
        # a name a renamed device gave up is free by the time a new device takes it.
        renamed = [pk for pk in changed[Device] if pk in self.renamed_from]
        for pk in renamed:
            Device.objects.filter(pk=pk).update(name=f"\u2060renaming {pk}")
        self._update(Device, changed[Device], DEVICE_FIELDS)
        self._create(Device, created[Device])
        self._create(Circuit, created[Circuit])
        self._update(Circuit, changed[Circuit], ["provider", "type", "status", "description"])
        self._create(Cable, created[Cable])
        self._update(Cable, changed[Cable], ["label", "type", "status"])
        new_ports = created[Port]
        # Front ports point at rear ports, and outlets at their PDU's power ports: those need their ids first.
        pointing = (PortKind.FRONT, PortKind.POWER_OUTLET)
        self._create(Port, [port for port in new_ports if port.kind not in pointing])
        self._create(Port, [port for port in new_ports if port.kind in pointing])
        self._update(Port, changed[Port], PORT_FIELDS)
        self._create(CircuitTermination, created[CircuitTermination])
        self._update(CircuitTermination, changed[CircuitTermination], ["site", "port"])

    @staticmethod
    def _create(model: type[models.Model], objs: list[models.Model]) -> None:
        if objs:
            model.objects.bulk_create(objs, batch_size=BATCH_SIZE)

    @staticmethod
    def _update(model: type[models.Model], objs: dict[int, models.Model], fields: list[str]) -> None:
        if objs:
            model.objects.bulk_update(list(objs.values()), fields, batch_size=BATCH_SIZE)
