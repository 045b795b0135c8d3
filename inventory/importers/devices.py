"""Checking the rows of devices and power panels: names, NetBox ids (renames), rack units and asset tags."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from inventory.importers.columns import (
    DEVICE_NAME_MAX,
    DEVICE_TEXT_MAX,
    FACES,
    LOCATION_NAME_MAX,
    RACK_NAME_MAX,
    SITE_NAME_MAX,
    kind_for_role,
    unnamed_device_name,
)
from inventory.importers.report import Row
from inventory.importers.values import DeviceKey, _assign, _Values
from inventory.models import Device, DeviceKind, DeviceStatus, Rack, is_upstream_role
from lockstep.converters import as_id


class _Devices:
    """The checks of _Import (plan.py) for devices and power panels."""

    def check_devices(self, rows: list[Row]) -> None:
        self._move_renamed(rows)
        lines: dict[DeviceKey, int] = {}
        tag_rows: list[tuple[DeviceKey, str | None, Row]] = []
        # NetBox holds device names unique per site ignoring case: "SW-A" next to "sw-a" is a typo, not a
        # second switch. The names Lockstep has, and those this file brings, folded.
        folded: dict[tuple[str, str], str] = {(code, name.casefold()): name for code, name in self.devices}
        rows_of: dict[DeviceKey, Row] = {}
        id_lines: dict[int, int] = {}
        for row in rows:
            v = _Values(row, self.report)
            netbox_id = v.integer("id", 1, 2**63 - 1)
            name = v.text("name", DEVICE_NAME_MAX)
            role = v.text("role", DEVICE_TEXT_MAX["role"], required=True)
            manufacturer = v.text("manufacturer", DEVICE_TEXT_MAX["manufacturer"], required=True)
            model = v.text("device_type", DEVICE_TEXT_MAX["model"], required=True)
            if not name and not v.failed:
                if netbox_id is None:
                    v.error(
                        "name is empty: NetBox shows an unnamed device by its id, so give the id column "
                        "(NetBox's export has it) or a name"
                    )
                else:
                    name = unnamed_device_name(manufacturer, model, netbox_id)
            status = v.choice("status", DeviceStatus.values, required=True)
            site_value = v.text("site", SITE_NAME_MAX, required=True)
            location_name = v.text("location", LOCATION_NAME_MAX)
            rack_name = v.text("rack", RACK_NAME_MAX)
            position = v.position("position")
            face = v.choice("face", FACES)
            serial = v.text("serial", DEVICE_TEXT_MAX["serial"])
            asset_tag = v.text("asset_tag", DEVICE_TEXT_MAX["asset_tag"])
            if (position is not None or face) and not rack_name:
                v.error("position and face need a rack")
            site = self.site(v, site_value) if site_value else None
            # As NetBox requires, the role and the type exist: a typo is refused, not made a role or type.
            role_found = self.role_named(v, role) if role else None
            type_found = self.type_named(v, manufacturer, model) if model and manufacturer else None
            if v.failed or site is None:
                self.refused_devices.add(row.values.get("name", ""))
                continue
            role, model = role_found.name, type_found.model
            upstream = is_upstream_role(role) or is_upstream_role(role_found.slug)
            key = (site.code, name)
            if key in lines:
                v.error(f"device {name!r} at {site.code} is also on line {lines[key]}")
                continue
            if netbox_id is not None and netbox_id in id_lines:
                v.error(f"id {netbox_id} is also on line {id_lines[netbox_id]}")
                continue
            # A device NetBox renamed is found by its id, and renamed here too.
            renamed = self._renamed(v, netbox_id, key)
            if v.failed:
                self.refused_devices.add(row.values.get("name", ""))
                continue
            known = folded.get((site.code, name.casefold()))
            if known is not None and known != name and renamed != known:
                where = f"line {lines[(site.code, known)]}" if (site.code, known) in lines else "Lockstep"
                v.error(
                    f"device {name!r} at {site.code} differs only in case from {known!r} ({where}); "
                    "NetBox counts them as one name"
                )
                self.refused_devices.add(row.values.get("name", ""))
                continue
            folded[(site.code, name.casefold())] = name
            lines[key] = row.line
            if netbox_id is not None:
                id_lines[netbox_id] = row.line
            location = self.location(v, site, location_name) if location_name else None
            rack = self.rack(v, site, rack_name, location) if rack_name and not v.failed else None
            if v.failed:
                self.refused_devices.add(row.values.get("name", ""))
                continue
            rows_of[key] = row

            values: dict[str, Any] = {
                "role": role,
                "manufacturer": manufacturer,
                "model": model,
                "status": status,
            }
            if v.has("rack"):
                values["rack"] = rack
                if rack is None:
                    values |= {"position": None, "face": ""}
            if v.has("position") and rack is not None:
                values["position"] = position
            if v.has("face") and rack is not None:
                values["face"] = face
            # An empty serial never erases one Lockstep has: the serial is the second identity at the rack,
            # and NetBox exports often lack it.
            if serial:
                values["serial"] = serial
            if v.has("asset_tag"):
                values["asset_tag"] = asset_tag or None
                tag_rows.append((key, asset_tag or None, row))
            if netbox_id is not None:
                values["netbox_id"] = netbox_id
            if renamed is not None:
                values["name"] = name

            device = self.devices.get(key)
            if device is None:
                device = Device(
                    site=site,
                    name=name,
                    kind=kind_for_role(role),
                    is_upstream_root=upstream,
                    **values,
                )
                self._add_device(key, device)
                self._created("devices", device)
            else:
                # Kind and upstream root follow the role only when the role changes, so what an admin
                # corrected by hand survives a re-import.
                if role != device.role:
                    values["kind"] = kind_for_role(role)
                    values["is_upstream_root"] = upstream
                self._outcome("devices", device, _assign(device, values))
            if device.is_upstream_root:
                self.report.upstream_roots.append(f"{name} ({site.code})")
        self._check_asset_tags(tag_rows)
        self._check_rack_units(rows_of)
        for site_code, name in rows_of:
            if not self.devices[(site_code, name)].serial:
                self.report.devices_without_serial.append(f"{name} ({site_code})")
        # A site with no upstream root has no blast radius beyond the devices a window cuts itself.
        rooted = {code for (code, _name), device in self.devices.items() if device.is_upstream_root}
        self.report.sites_without_roots = sorted({code for code, _name in lines} - rooted)

    def check_power_panels(self, rows: list[Row]) -> None:
        """NetBox's power panels, kept as devices of kind "power panel" whose ports are their feeds: so a
        window can name one, a tag can go on one, and its blast radius is everything its feeds power."""
        folded = {(code, name.casefold()): name for code, name in self.devices}
        lines: dict[DeviceKey, int] = {}
        for row in rows:
            v = _Values(row, self.report)
            name = v.text("name", DEVICE_NAME_MAX, required=True)
            site_value = v.text("site", SITE_NAME_MAX, required=True)
            site = self.site(v, site_value) if site_value and not v.failed else None
            if v.failed or site is None:
                self.refused_devices.add(row.values.get("name", ""))
                continue
            key = (site.code, name)
            if key in lines:
                v.error(f"power panel {name!r} at {site.code} is also on line {lines[key]}")
                continue
            known = folded.get((site.code, name.casefold()))
            device = self.devices.get(key)
            if known is not None and (known != name or device.kind != DeviceKind.POWER_PANEL):
                v.error(
                    f"power panel {name!r} at {site.code} has the name of device {known!r} there; Lockstep "
                    "keeps power panels among the devices, so one of them needs another name in NetBox"
                )
                self.refused_devices.add(name)
                continue
            folded[(site.code, name.casefold())] = name
            lines[key] = row.line
            if device is None:
                device = Device(
                    site=site,
                    name=name,
                    kind=DeviceKind.POWER_PANEL,
                    role=DeviceKind.POWER_PANEL.label,
                    status=DeviceStatus.ACTIVE,
                )
                self._add_device(key, device)
                self._created("power_panels", device)
            else:
                self._outcome("power_panels", device, False)

    def _move_renamed(self, rows: list[Row]) -> None:
        """Devices NetBox renamed, found by their ids before any row is matched by name, and moved to their
        new names all at once: so a name one device gave up may be taken by another in the same file. Only
        when every new name is free once the renamed have left theirs; otherwise each row says what is in
        the way (see _renamed)."""
        moves: dict[int, tuple[Device, DeviceKey, DeviceKey]] = {}
        for row in rows:
            raw = row.values
            netbox_id = as_id(raw.get("id", "").strip())
            device = self.devices_by_netbox_id.get(netbox_id) if netbox_id else None
            if device is None or device.pk in moves:
                continue
            site = self.known_site(raw.get("site", "").strip())
            name = raw.get("name", "").strip() or unnamed_device_name(
                raw.get("manufacturer", "").strip(), raw.get("device_type", "").strip(), netbox_id
            )
            old_key = self.device_keys[device.pk]
            if (
                site is not None
                and site.code == old_key[0]
                and name != old_key[1]
                and len(name) <= DEVICE_NAME_MAX
            ):
                moves[device.pk] = (device, old_key, (site.code, name))
        if not moves:
            return
        leaving = {old_key for _device, old_key, _new in moves.values()}
        arriving = [new_key for _device, _old, new_key in moves.values()]
        if len(set(arriving)) != len(arriving) or any(
            key in self.devices and key not in leaving for key in arriving
        ):
            return
        for _device, old_key, _new_key in moves.values():
            del self.devices[old_key]
            self.device_sites[old_key[1]].remove(old_key[0])
        for device, old_key, new_key in moves.values():
            self._add_device(new_key, device)
            self.device_keys[device.pk] = new_key
            self.renamed_from[device.pk] = old_key[1]
            for tag, holder in list(self.asset_tags.items()):
                if holder == old_key:
                    self.asset_tags[tag] = new_key

    def _renamed(self, v: _Values, netbox_id: int | None, key: DeviceKey) -> str | None:
        """When NetBox's id names a device Lockstep knows under another name at the same site, move it to
        its new name in this plan and return the old one."""
        by_id = self.devices_by_netbox_id.get(netbox_id) if netbox_id is not None else None
        if by_id is None:
            return None
        if by_id is self.devices.get(key):
            return self.renamed_from.get(by_id.pk)  # moved already, with the other renames
        old_key = self.device_keys[by_id.pk]
        if key in self.devices:
            v.error(
                f"id {netbox_id} is device {old_key[1]!r} at {old_key[0]} in Lockstep, and {key[1]!r} at "
                f"{key[0]} is another device there"
            )
            return None
        if old_key[0] != key[0]:
            v.error(
                f"id {netbox_id} is device {old_key[1]!r} at {old_key[0]} in Lockstep; a device does not move "
                f"between sites on import (its tags and windows are at {old_key[0]})"
            )
            return None
        del self.devices[old_key]
        self.device_sites[old_key[1]].remove(old_key[0])
        self._add_device(key, by_id)
        self.device_keys[by_id.pk] = key
        self.renamed_from[by_id.pk] = old_key[1]
        for tag, holder in list(self.asset_tags.items()):
            if holder == old_key:
                self.asset_tags[tag] = key
        return old_key[1]

    def _check_rack_units(self, rows_of: dict[DeviceKey, Row]) -> None:
        """One device per rack unit and face, as the inventory will be after this import (so devices may swap
        places in one file). Lockstep's devices claim their units first; a row that lands on one is refused."""
        racks_by_pk = {rack.pk: rack for rack in self.racks.values() if rack.pk is not None}

        def rack_of(device: Device) -> Rack | None:
            # Without a query: a rack set by this import is cached on the device; one it had, read by id.
            if Device.rack.is_cached(device):
                return device.rack
            return racks_by_pk.get(device.rack_id) if device.rack_id else None

        taken: dict[tuple, DeviceKey] = {}
        for key, device in sorted(self.devices.items(), key=lambda item: item[0] in rows_of):
            rack = rack_of(device)
            if rack is None or device.position is None:
                continue
            place = (key[0], rack.name, device.position, device.face)
            other = taken.setdefault(place, key)
            if other != key and key in rows_of:
                face = f" ({device.face})" if device.face else ""
                self.report.row_error(
                    rows_of[key],
                    f"rack {rack.name} unit {Decimal(device.position).normalize():f}{face} is already taken by {other[1]!r}",
                )

    def _check_asset_tags(self, tag_rows: list[tuple[DeviceKey, str | None, Row]]) -> None:
        """Asset tags are unique: check the inventory as it will be, so tags may move between devices."""
        owners = dict(self.asset_tags)
        for key, _tag, _row in tag_rows:
            device = self.devices[key]
            old = self.original_tags.get(device.pk) if device.pk else None
            if old is not None and owners.get(old) == key:
                del owners[old]
        claimed: dict[str, Row] = {}
        for key, tag, row in tag_rows:
            if tag is None:
                continue
            if tag in claimed:
                self.report.row_error(row, f"asset tag {tag!r} is also on line {claimed[tag].line}")
            elif tag in owners and owners[tag] != key:
                code, name = owners[tag]
                self.report.row_error(row, f"asset tag {tag!r} already belongs to device {name!r} at {code}")
            claimed[tag] = row
