"""Panels that higher apps add to inventory's pages. Inventory knows nothing of them: an app above it (the
checklists' label audits, live's word from the device itself) registers a function in its AppConfig.ready, and the page shows what it
renders, in the order registered."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from inventory.models import Device, Rack, Site

RackPanel = Callable[[HttpRequest, Rack], str]
SitePanel = Callable[[HttpRequest, Site, list[Rack]], str]

_rack_panels: list[RackPanel] = []
_site_panels: list[SitePanel] = []


def register_rack_panel(panel: RackPanel) -> None:
    if panel not in _rack_panels:  # ready() may run twice (tests, autoreload): one panel, shown once
        _rack_panels.append(panel)


def rack_panels(request: HttpRequest, rack: Rack) -> list[str]:
    """Each registered panel, rendered for this person and rack (safe HTML, from the panel's own template)."""
    return [panel(request, rack) for panel in _rack_panels]


def register_site_panel(panel: SitePanel) -> None:
    if panel not in _site_panels:
        _site_panels.append(panel)


def site_panels(request: HttpRequest, site: Site, racks: list[Rack]) -> list[str]:
    """Each registered panel for the site's page, given the racks the page lists (with their locations)."""
    return [panel(request, site, racks) for panel in _site_panels]


# A device page's panels come in parts, each shown where the page has room for it: "serial" after what the page
# says of the device's serial, "facts" as more rows of its facts list (<dt>/<dd> pairs).
DEVICE_SLOTS = ("serial", "facts")
DevicePanel = Callable[[HttpRequest, Device], dict[str, str]]

_device_panels: list[DevicePanel] = []


def register_device_panel(panel: DevicePanel) -> None:
    if panel not in _device_panels:
        _device_panels.append(panel)


def device_panels(request: HttpRequest, device: Device) -> dict[str, list[str]]:
    """Each registered panel's parts for the device's page, by slot (safe HTML, from the panel's templates)."""
    shown: dict[str, list[str]] = {slot: [] for slot in DEVICE_SLOTS}
    for panel in _device_panels:
        for slot, html in panel(request, device).items():
            shown[slot].append(html)
    return shown
