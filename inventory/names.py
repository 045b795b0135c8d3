"""Names as people write them: with spaces ("Port 1", "Gi 1/0/1", "Rear Splice"), found whole, and sorted
as people count (Port 2 before Port 10, xe-1/0/2 before xe-1/0/10)."""

from __future__ import annotations

import re
from functools import reduce
from operator import or_

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


class Ambiguous(Exception):
    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


def find_asset(site: Site, text: str) -> Device | Port | None:
    """The device or the port at `site` whose name (device, or device and port) is exactly `text`. Raises
    Ambiguous when two readings name two different assets (say, a device "pp 1" with port "A", and a device
    "pp" with port "1 A")."""
    text = " ".join((text or "").split())
    if not text:
        return None
    device = Device.objects.filter(site=site, name=text).first()
    if device is not None:
        return device
    readings = splits(text)
    if not readings:
        return None
    match = reduce(or_, (Q(device__name=d, name=p) for d, p in readings))
    ports = list(Port.objects.select_related("device").filter(match, device__site=site)[:3])
    if len(ports) > 1:
        raise Ambiguous([f"{p.device.name} / {p.name}" for p in ports])
    return ports[0] if ports else None


def port_search(query: str) -> Q:
    """Ports a search matches: by port name alone, or by any device-and-port reading of the words."""
    query = " ".join(query.split())
    found = Q(name__icontains=query)
    for device_part, port_part in splits(query):
        found |= Q(device__name__icontains=device_part, name__icontains=port_part)
    return found
