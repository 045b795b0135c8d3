"""Printing the labels for a hall before a roll-out means a thousand labels in one PDF.

BENCH labels_1000: seconds to render 1,000 A4 asset labels (42 sheets) from tags already fetched.
BENCH labels_qr_1000: the part of that spent making the QR symbols, the share that qrcode itself costs.
"""

from __future__ import annotations

import logging
import os

import _django

# A production-length host: the URL's length decides the QR version, and with it the cost of a symbol.
os.environ.setdefault("LOCKSTEP_PUBLIC_HOST", "lockstep.example.net")
_django.setup()
# WeasyPrint reports each step of each render at INFO; a thousand labels would bury the figures.
logging.getLogger("weasyprint").setLevel(logging.WARNING)

from inventory import codes  # noqa: E402
from inventory.labels import LabelFormat, qr_svg, render_labels, tags_for_selection  # noqa: E402
from inventory.models import Device, Port, Rack, Site, Tag  # noqa: E402

N = _django.size(1000, 50)
DEVICES = _django.size(40, 10)
RUNS = _django.size(2, 1)
PORTS_EACH = N // DEVICES - 1  # 40 devices and 960 ports: a row of switches

site = Site.objects.create(code="BENCH1", name="Benchmark hall")
racks = Rack.objects.bulk_create(Rack(site=site, name=f"R{n:02d}") for n in range(DEVICES // 10))
devices = Device.objects.bulk_create(
    Device(site=site, rack=racks[n % len(racks)], position=42 - n // len(racks), name=f"sw-{n:03d}")
    for n in range(DEVICES)
)
ports = Port.objects.bulk_create(
    Port(device=device, name=f"Ethernet1/{n}") for device in devices for n in range(1, PORTS_EACH + 1)
)
Tag.objects.bulk_create(
    [Tag(code=codes.new_code(), short_code=codes.new_short_code(), device=device) for device in devices]
    + [Tag(code=codes.new_code(), short_code=codes.new_short_code(), port=port) for port in ports]
)
tags = tags_for_selection(devices=devices)
assert len(tags) == N, len(tags)

layout = LabelFormat.A4_3X8.layout
_django.report(
    "labels_qr_1000",
    _django.best_of(
        RUNS, lambda: [qr_svg(tag.url(), error_correction=layout.error_correction) for tag in tags]
    ),
    "s",
)
_django.report("labels_1000", _django.best_of(RUNS, lambda: render_labels(tags, LabelFormat.A4_3X8)), "s")
