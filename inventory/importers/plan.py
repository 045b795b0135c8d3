"""The checking plan: the inventory as it will be after the import, loaded up front and checked row by row.

_Import is put together from one part per concern: places.py (sites, locations, racks), devices.py
(devices, power panels), ports.py, cables.py (cables and circuits) and writing.py. This module holds what
they share: the state, loading it, looking things up in it, and counting what each row does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from django.db import models

from inventory.importers.cables import _Cables
from inventory.importers.catalogue import _Catalogue
from inventory.importers.columns import DEVICE_NAME_MAX, PORT_KIND_OF_FILE, SITE_NAME_MAX
from inventory.importers.devices import _Devices
from inventory.importers.places import _Places
from inventory.importers.ports import _Ports
from inventory.importers.report import ImportReport, Row
from inventory.importers.values import DeviceKey, PortKey, _chunks, _Values, did_you_mean
from inventory.importers.writing import _Writing
from inventory.models import Cable, Circuit, CircuitTermination, Device, Location, Port, Rack, Site


class _Import(_Places, _Catalogue, _Devices, _Ports, _Cables, _Writing):
    """The inventory as it will be after the import: the database's rows, changed and added to in memory.

    Everything the rows refer to is loaded up front into dicts, so checking 100,000 rows costs dict lookups,
    not 100,000 queries; the writes are then a handful of bulk statements.
    """

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.sites_by_code: dict[str, Site] = {}
        self.sites_by_name: dict[str, list[Site]] = defaultdict(list)
        self.locations: dict[tuple[str, str], Location] = {}
        self.location_names: dict[int, str] = {}
        self.racks: dict[tuple[str, str], Rack] = {}
        self.devices: dict[DeviceKey, Device] = {}
        self.device_sites: dict[str, list[str]] = defaultdict(list)  # device name -> site codes
        self.device_keys: dict[int, DeviceKey] = {}
        self.devices_by_netbox_id: dict[int, Device] = {}
        self.renamed_from: dict[int, str] = {}  # device pk -> the name it had before this import
        self.rear_rows: dict[PortKey, Row] = {}  # rear ports whose positions a row gives
        self.asset_tags: dict[str, DeviceKey] = {}
        self.original_tags: dict[int, str | None] = {}
        self.ports: dict[PortKey, Port] = {}
        self.cable_ends: dict[int, dict[str, PortKey]] = defaultdict(dict)
        self.cables: dict[int, Cable] = {}
        self.circuits: dict[str, Circuit] = {}
        self.terminations: dict[tuple[str, str], CircuitTermination] = {}  # (circuit ID, A or Z)
        self.port_terminations: dict[int, CircuitTermination] = {}  # port pk -> the circuit end cabled to it
        # Names whose own rows were refused: rows that refer to them say nothing more (the cause is reported).
        self.refused_devices: set[str] = set()
        self.refused_ports: set[tuple[str, str, str]] = set()
        self.new: dict[type[models.Model], list[models.Model]] = defaultdict(list)
        self.changed: dict[type[models.Model], dict[int, models.Model]] = defaultdict(dict)

    # Loading ----------------------------------------------------------------------------------------------

    def load(self) -> None:
        self.load_catalogue()
        for circuit in Circuit.objects.all():
            self.circuits[circuit.cid] = circuit
        cids = {circuit.pk: cid for cid, circuit in self.circuits.items()}
        for termination in CircuitTermination.objects.all():
            self.terminations[(cids[termination.circuit_id], termination.term_side)] = termination
            if termination.port_id is not None:
                self.port_terminations[termination.port_id] = termination
        code_of: dict[int, str] = {}
        for site in Site.objects.all():
            self._add_site(site)
            code_of[site.pk] = site.code
        for location in Location.objects.all():
            self.locations[(code_of[location.site_id], location.name)] = location
            self.location_names[location.pk] = location.name
        for rack in Rack.objects.all():
            self.racks[(code_of[rack.site_id], rack.name)] = rack
        for device in Device.objects.all():
            key = (code_of[device.site_id], device.name)
            self._add_device(key, device)
            self.device_keys[device.pk] = key
            self.original_tags[device.pk] = device.asset_tag
            if device.netbox_id is not None:
                self.devices_by_netbox_id[device.netbox_id] = device
            if device.asset_tag is not None:
                self.asset_tags[device.asset_tag] = key

    def load_ports(self, rows: Mapping[str, list[Row]]) -> None:
        """The ports (and their cables) of every existing device that a port or cable row names."""
        names: set[str] = set()
        for kind in ("interfaces", "rear_ports", "front_ports", "power_ports", "power_outlets"):
            names.update(row.values.get("device", "") for row in rows.get(kind, ()))
        names.update(row.values.get("power_panel", "") for row in rows.get("power_feeds", ()))
        for row in rows.get("cables", ()):
            for column in ("side_a_device", "side_b_device", "side_a_power_panel", "side_b_power_panel"):
                names.add(row.values.get(column, ""))
        device_ids = [
            self.devices[(code, name)].pk
            for name in names
            for code in self.device_sites.get(name, ())
            if self.devices[(code, name)].pk is not None
        ]
        cable_ids: set[int] = set()
        for chunk in _chunks(device_ids):
            for port in Port.objects.filter(device_id__in=chunk):
                key = (self.device_keys[port.device_id], port.kind, port.name)
                self.ports[key] = port
                if port.cable_id is not None:
                    cable_ids.add(port.cable_id)
                    self.cable_ends[port.cable_id][port.cable_end] = key
        # The far ends of those cables may be on devices no row names: they are needed to say what is in the way.
        ids = sorted(cable_ids)
        for chunk in _chunks(ids):
            far_ends = Port.objects.filter(cable_id__in=chunk).values_list(
                "cable_id", "cable_end", "device_id", "kind", "name"
            )
            for cable_id, end, device_id, kind, name in far_ends:
                self.cable_ends[cable_id][end] = (self.device_keys[device_id], kind, name)
            self.cables.update(Cable.objects.in_bulk(chunk))

    def _add_site(self, site: Site) -> None:
        self.sites_by_code[site.code] = site
        self.sites_by_name[site.name].append(site)

    def _add_device(self, key: DeviceKey, device: Device) -> None:
        self.devices[key] = device
        self.device_sites[key[1]].append(key[0])

    def _created(self, kind: str, obj: models.Model) -> None:
        self.new[type(obj)].append(obj)
        self.report.created[kind] += 1

    def _outcome(self, kind: str, obj: models.Model, changed: bool) -> None:
        if obj.pk is None:
            return  # made earlier in this import: counted once, when it was made
        if changed:
            self.changed[type(obj)][obj.pk] = obj
            self.report.updated[kind] += 1
        else:
            self.report.unchanged[kind] += 1

    # Looking things up ------------------------------------------------------------------------------------

    def site(self, v: _Values, value: str) -> Site | None:
        """The site a row names, by slug (Lockstep's code) or by name. As in NetBox, it must exist: in Lockstep
        or in this import's sites file. A misspelt site would otherwise make a second site, with a second
        copy of every device the row names."""
        site = self.known_site(value)
        if site is not None:
            return site
        named = self.sites_by_name.get(value, [])
        if named:
            codes = ", ".join(sorted(s.code for s in named))
            v.error(f"more than one site is named {value!r} ({codes}); give the site's slug instead")
            return None
        v.error(f"site {value!r} is not in Lockstep nor in the sites file{self._close_to(value)}")
        return None

    def _close_to(self, value: str) -> str:
        return did_you_mean(value, [*self.sites_by_code, *self.sites_by_name])

    def known_site(self, value: str) -> Site | None:
        """The site a value names (code, or a name only one site has), without a word if there is none."""
        site = self.sites_by_code.get(value)
        if site is None:
            named = self.sites_by_name.get(value, [])
            site = named[0] if len(named) == 1 else None
        return site

    def location(self, v: _Values, site: Site, name: str) -> Location | None:
        location = self.locations.get((site.code, name))
        if location is None:
            v.error(f"location {name!r} at {site.code} is not in Lockstep nor in the locations file")
        return location

    def rack(self, v: _Values, site: Site, name: str, location: Location | None) -> Rack | None:
        rack = self.racks.get((site.code, name))
        if rack is None:
            v.error(f"rack {name!r} at {site.code} is not in Lockstep nor in the racks file")
            return None
        if location is None:
            return rack
        if rack.location_id is not None:
            if rack.location_id == location.pk:
                return rack
            where = self.location_names.get(rack.location_id, "another location")
        else:
            current = rack.location  # no query: either none, or a location made earlier in this import
            if current is None:
                # A rack made without a location (by hand, or by an earlier import) learns it from the row.
                rack.location = location
                if rack.pk is not None and rack.pk not in self.changed[Rack]:
                    self.changed[Rack][rack.pk] = rack
                    self.report.updated["racks"] += 1
                return rack
            if current is location:
                return rack
            where = current.name
        v.error(f"rack {name!r} at {site.code} is in location {where!r}, not {location.name!r}")
        return None

    def device_key(self, v: _Values, column: str, site_column: str) -> DeviceKey | None:
        """The device (or power panel, for a column that names one) a row refers to, by name and site."""
        what, where = (
            ("power panel", "power panels") if column.endswith("power_panel") else ("device", "devices")
        )
        name = v.text(column, DEVICE_NAME_MAX, required=True)
        site_value = v.text(site_column, SITE_NAME_MAX)
        if not name:
            return None
        if site_value:
            site = self.known_site(site_value)
            if site is not None and (site.code, name) in self.devices:
                return (site.code, name)
            if name not in self.refused_devices:
                v.error(
                    f"{column}: no {what} {name!r} at site {site_value!r} (not in Lockstep nor in the {where} file)"
                )
            v.failed = True
            return None
        codes = self.device_sites.get(name, [])
        if len(codes) == 1:
            return (codes[0], name)
        if codes:
            v.error(f"{column}: more than one site has a {what} named {name!r} ({', '.join(sorted(codes))})")
        elif name not in self.refused_devices:
            v.error(f"{column}: no {what} named {name!r} (not in Lockstep nor in the {where} file)")
        v.failed = True
        return None

    # Rows of each kind ------------------------------------------------------------------------------------

    def check(self, rows: Mapping[str, list[Row]]) -> None:
        self.check_sites(rows.get("sites", []))
        self.check_locations(rows.get("locations", []))
        self.check_racks(rows.get("racks", []))
        self.check_device_roles(rows.get("device_roles", []))
        self.check_device_types(rows.get("device_types", []))
        self.check_devices(rows.get("devices", []))
        self.check_power_panels(rows.get("power_panels", []))
        self.load_ports(rows)
        for kind in PORT_KIND_OF_FILE:  # in order: front ports after their rear ports, outlets after inlets
            self.check_ports(kind, rows.get(kind, []))
        self.check_positions_fit()
        self.check_circuits(rows.get("circuits", []))
        self.check_circuit_terminations(rows.get("circuit_terminations", []))
        self.check_cables(rows.get("cables", []))
