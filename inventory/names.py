"""Names as people write them: with spaces ("Port 1", "Gi 1/0/1", "Rear Splice"), found whole, and sorted
as people count (Port 2 before Port 10, xe-1/0/2 before xe-1/0/10)."""

from __future__ import annotations

import re

from django.db.models import Q

from inventory.models import Device, Port, Site

_PARTS = re.compile(r"(\d+)")
# A device name and a port name, each possibly with spaces: every split of what was typed is tried. More
# spaces than this is not a name anyone types; the longest names are still found, from their last spaces.
MOST_SPLITS = 12


def natural_key(name: str) -> tuple:
    """Sort key: digits compare as numbers, the rest case-insensitively."""
    return tuple(int(part) if part.isdigit() else part.casefold() for part in _PARTS.split(name or ""))


def splits(text: str) -> list[tuple[str, str]]:
    """Every (device, port) reading of `text` at one of its spaces, the last spaces first."""
    text = " ".join(text.split())
    spaces = [i for i, char in enumerate(text) if char == " "][::-1][:MOST_SPLITS]
    return [(text[:i], text[i + 1 :]) for i in spaces]


def port_search(query: str) -> Q:
    """Ports a search matches: by port name alone, or by any device-and-port reading of the words."""
    query = " ".join(query.split())
    found = Q(name__icontains=query)
    for device_part, port_part in splits(query):
        found |= Q(device__name__icontains=device_part, name__icontains=port_part)
    return found


PICKS_SHOWN = 20


def pick_assets(site: Site, query: str) -> tuple[list[Device | Port], bool]:
    """What a search in the target picker finds at a site: devices by name, ports by name or by device and
    port, in natural order; and whether there were more than are shown."""
    query = " ".join((query or "").split())[:200]
    if not query:
        return [], False
    devices = list(Device.objects.filter(site=site, name__icontains=query).order_by("pk")[: PICKS_SHOWN + 1])
    ports = list(
        Port.objects.filter(port_search(query), device__site=site)
        .select_related("device")
        .order_by("pk")[: PICKS_SHOWN + 1]
    )
    found = sorted(devices, key=lambda d: natural_key(d.name)) + sorted(
        ports, key=lambda p: (natural_key(p.device.name), natural_key(p.name))
    )
    return found[:PICKS_SHOWN], len(found) > PICKS_SHOWN
