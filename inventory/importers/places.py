"""Checking the rows of places: sites, their locations, and their racks."""

from __future__ import annotations

from inventory.importers.columns import (
    LOCATION_NAME_MAX,
    RACK_NAME_MAX,
    SITE_CODE_MAX,
    SITE_CODE_RE,
    SITE_NAME_MAX,
)
from inventory.importers.report import Row
from inventory.importers.values import _assign, _time_zones, _Values
from inventory.models import Location, Rack, Site


class _Places:
    """The checks of _Import (plan.py) for sites, locations and racks."""

    def check_sites(self, rows: list[Row]) -> None:
        for row in rows:
            v = _Values(row, self.report)
            code = v.text("slug", SITE_CODE_MAX, required=True)
            name = v.text("name", SITE_NAME_MAX, required=True)
            time_zone = v.text("time_zone", 64)
            if code and not SITE_CODE_RE.fullmatch(code):
                v.error(f"slug {code!r} may hold only letters, digits, - and _")
            if time_zone and time_zone not in _time_zones():
                v.error(f"time_zone {time_zone!r} is not a known time zone")
            if v.failed:
                continue
            site = self.sites_by_code.get(code)
            if site is None and len(self.sites_by_name.get(name, [])) == 1:
                # Already here under another code (an earlier CSV import named it): the same site.
                site = self.sites_by_name[name][0]
                self.sites_by_code[code] = site
            if site is None:
                site = Site(code=code, name=name, time_zone=time_zone or "UTC")
                self._add_site(site)
                self._created("sites", site)
                self.report.created_sites.append(code)
                if not time_zone:
                    self.report.sites_in_utc.append(code)
            else:
                values = {"name": name} | ({"time_zone": time_zone} if time_zone else {})
                self._outcome("sites", site, _assign(site, values))

    def check_locations(self, rows: list[Row]) -> None:
        for row in rows:
            v = _Values(row, self.report)
            site_value = v.text("site", SITE_NAME_MAX, required=True)
            name = v.text("name", LOCATION_NAME_MAX, required=True)
            site = self.site(v, site_value) if not v.failed else None
            if site is None:
                continue
            if (site.code, name) in self.locations:
                self._outcome("locations", self.locations[(site.code, name)], False)
            else:
                location = self.locations[(site.code, name)] = Location(site=site, name=name)
                self._created("locations", location)
                self.report.created_locations.append(f"{site.code} {name}")

    def check_racks(self, rows: list[Row]) -> None:
        for row in rows:
            v = _Values(row, self.report)
            site_value = v.text("site", SITE_NAME_MAX, required=True)
            name = v.text("name", RACK_NAME_MAX, required=True)
            location_name = v.text("location", LOCATION_NAME_MAX)
            site = self.site(v, site_value) if not v.failed else None
            if site is None:
                continue
            location = self.location(v, site, location_name) if location_name else None
            if v.failed:
                continue
            rack = self.racks.get((site.code, name))
            if rack is None:
                rack = self.racks[(site.code, name)] = Rack(site=site, name=name, location=location)
                self._created("racks", rack)
                self.report.created_racks.append(f"{site.code} {name}")
            else:
                # The API's rack rows say where each rack is now: a moved rack follows.
                self._outcome("racks", rack, _assign(rack, {"location": location}))
