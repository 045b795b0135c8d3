"""Checking the rows of what devices are: NetBox's device roles and device types. A device row must name a
role and a type Lockstep has, or that arrive in the same import, by name or slug, as NetBox requires."""

from __future__ import annotations

from inventory.importers.columns import DEVICE_TEXT_MAX, SITE_CODE_RE
from inventory.importers.report import Row
from inventory.importers.values import _assign, _Values, did_you_mean
from inventory.models import DeviceRole, DeviceType

SLUG_MAX = 100


class _Catalogue:
    """The checks of _Import (plan.py) for device roles and device types, and finding them for a device."""

    def load_catalogue(self) -> None:
        self.roles_by_name: dict[str, DeviceRole] = {}
        self.roles_by_slug: dict[str, DeviceRole] = {}
        for role in DeviceRole.objects.all():
            self.roles_by_name[role.name] = self.roles_by_slug[role.slug] = role
        self.types: dict[tuple[str, str], DeviceType] = {}
        self.types_by_slug: dict[tuple[str, str], DeviceType] = {}
        for device_type in DeviceType.objects.all():
            self.types[(device_type.manufacturer, device_type.model)] = device_type
            if device_type.slug:
                self.types_by_slug[(device_type.manufacturer, device_type.slug)] = device_type

    def _slug(self, v: _Values) -> str:
        slug = v.text("slug", SLUG_MAX, required=True)
        if slug and not SITE_CODE_RE.fullmatch(slug):
            v.error(f"slug {slug!r} may hold only letters, digits, - and _")
        return slug

    def check_device_roles(self, rows: list[Row]) -> None:
        lines: dict[str, int] = {}
        for row in rows:
            v = _Values(row, self.report)
            name = v.text("name", DEVICE_TEXT_MAX["role"], required=True)
            slug = self._slug(v)
            if v.failed:
                continue
            if slug in lines:
                v.error(f"role slug {slug!r} is also on line {lines[slug]}")
                continue
            lines[slug] = row.line
            role = self.roles_by_slug.get(slug)
            other = self.roles_by_name.get(name)
            if other is not None and other is not role:
                v.error(f"role {name!r} is in Lockstep with the slug {other.slug!r}, not {slug!r}")
                continue
            if role is None:
                role = DeviceRole(name=name, slug=slug)
                self._created("device_roles", role)
            else:
                self.roles_by_name.pop(role.name, None)
                self._outcome("device_roles", role, _assign(role, {"name": name}))
            self.roles_by_name[name] = self.roles_by_slug[slug] = role

    def check_device_types(self, rows: list[Row]) -> None:
        lines: dict[tuple[str, str], int] = {}
        for row in rows:
            v = _Values(row, self.report)
            manufacturer = v.text("manufacturer", DEVICE_TEXT_MAX["manufacturer"], required=True)
            model = v.text("model", DEVICE_TEXT_MAX["model"], required=True)
            slug = self._slug(v)
            if v.failed:
                continue
            key = (manufacturer, model)
            if key in lines:
                v.error(f"device type {model!r} by {manufacturer!r} is also on line {lines[key]}")
                continue
            lines[key] = row.line
            other = self.types_by_slug.get((manufacturer, slug))
            device_type = self.types.get(key)
            if other is not None and other is not device_type:
                v.error(f"{manufacturer}'s slug {slug!r} is device type {other.model!r} in Lockstep")
                continue
            if device_type is None:
                device_type = self.types[key] = DeviceType(manufacturer=manufacturer, model=model, slug=slug)
                self._created("device_types", device_type)
            else:
                self._outcome("device_types", device_type, _assign(device_type, {"slug": slug}))
            self.types_by_slug[(manufacturer, slug)] = device_type

    def role_named(self, v: _Values, value: str) -> DeviceRole | None:
        """The role a device row names, by name or slug; a row error if Lockstep has no such role."""
        role = self.roles_by_name.get(value) or self.roles_by_slug.get(value)
        if role is None:
            known = list(self.roles_by_name)
            v.error(
                f"role {value!r} is not in Lockstep nor in the device roles file{did_you_mean(value, known)}"
            )
        return role

    def type_named(self, v: _Values, manufacturer: str, value: str) -> DeviceType | None:
        """The device type a row names, by model or slug for its manufacturer; a row error if there is none."""
        device_type = self.types.get((manufacturer, value)) or self.types_by_slug.get((manufacturer, value))
        if device_type is None:
            known = [model for maker, model in self.types if maker == manufacturer]
            v.error(
                f"device type {value!r} by {manufacturer!r} is not in Lockstep nor in the device types file"
                f"{did_you_mean(value, known)}"
            )
        return device_type
