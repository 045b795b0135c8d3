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


PICKS_SHOWN = 20  # of devices, and again of ports


def pick_assets(site: Site, query: str) -> tuple[list[Device | Port], bool]:
    """What a search in the target picker finds at a site: what the words name exactly first (so "sw-1" is
    always reachable, however many sw-1xx there are), then devices by name and ports by name or by device
    and port, each in natural order; and whether there were more than are shown."""
    query = " ".join((query or "").split())[:200]
    if not query:
        return [], False
    exact_port = Q(name__iexact=query)
    for device_part, port_part in splits(query):
        exact_port |= Q(device__name__iexact=device_part, name__iexact=port_part)
    ports = Port.objects.filter(device__site=site).select_related("device")
    found: list[Device | Port] = []
    more = False
    for exact, near, key in (
        (
            Device.objects.filter(site=site, name__iexact=query),
            Device.objects.filter(site=site, name__icontains=query),
            lambda d: natural_key(d.name),
        ),
        (
            ports.filter(exact_port),
            ports.filter(port_search(query)),
            lambda p: (natural_key(p.device.name), natural_key(p.name)),
        ),
    ):
        first = sorted(exact[:PICKS_SHOWN], key=key)
        rest = list(near.exclude(pk__in=[item.pk for item in first]).order_by("pk")[: PICKS_SHOWN + 1])
        room = max(PICKS_SHOWN - len(first), 0)
        more = more or len(rest) > room
        found += first + sorted(rest[:room], key=key)
    return found, more
