"""Label sheets: sam prints the QR labels for a rack before tess applies them at the rack."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pypdf
import pytest
import qrcode
import qrcode.constants

from inventory import codes
from inventory.labels import (
    LabelFormat,
    LabelRefused,
    qr_svg,
    render_labels,
    tags_for_device,
    tags_for_rack,
    tags_for_selection,
)
from inventory.models import Device, Port, PortKind, Rack, Site, Tag

needs_pdftoppm = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler's pdftoppm")


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def qrcode_matrix(data: str, error_correction: int) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=error_correction, border=0)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


@pytest.fixture
def site(db) -> Site:
    return Site.objects.create(code="LAX1", name="Los Angeles 1")


@pytest.fixture
def rack(site) -> Rack:
    return Rack.objects.create(site=site, name="A01")


@pytest.fixture
def rack_tags(rack, sam) -> list[Tag]:
    """Five devices, top of the rack down, with four ports each: 25 labels, one more than an A4 sheet holds."""
    for position in (42, 41, 40, 39, 38):
        device = Device.objects.create(site=rack.site, rack=rack, position=position, name=f"sw-u{position}")
        Tag.issue(device, by=sam)
        for number in (1, 2, 3, 4):
            Tag.issue(Port.objects.create(device=device, name=f"Eth1/{number}"), by=sam)
    return tags_for_rack(rack)


def test_an_a4_sheet_shows_every_labels_code_name_and_place(rack_tags):
    devices = [tag for tag in rack_tags if tag.device_id]
    assert len(rack_tags) == 25

    pdf = render_labels(rack_tags, LabelFormat.A4_3X8)

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2  # 24 to a sheet, and one on the second
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]  # A4 in points
    text = "\n".join(pdf_pages(pdf))
    for tag in rack_tags:
        assert tag.display_short_code in text
        assert tag.chassis.name in text
    for tag in devices:
        assert f"LAX1 · rack A01 U{tag.device.position:.0f}" in text
    assert "Eth1/4" in text


def test_a_port_strip_names_the_device_and_the_port(rack_tags):
    ports = [tag for tag in rack_tags if tag.port_id]

    pdf = render_labels(ports, LabelFormat.PORT_STRIP)

    [text] = pdf_pages(pdf)
    for tag in ports:
        assert f"{tag.display_short_code}\n{tag.port.device.name}\n{tag.port.name}" in text


def test_a_port_strip_runs_onto_a_second_sheet_after_88_labels(rack_tags):
    per_sheet = LabelFormat.PORT_STRIP.layout.per_page
    assert per_sheet == 88
    # The same labels over again: a reprint for both ends of every cable is a fair thing to ask for.
    strip = (rack_tags * 4)[: per_sheet + 1]

    assert len(pdf_pages(render_labels(strip, LabelFormat.PORT_STRIP))) == 2


def test_a_patch_panels_front_and_rear_ports_say_which_side(rack, sam):
    panel = Device.objects.create(site=rack.site, rack=rack, position=20, name="pp-01")
    for kind in (PortKind.REAR, PortKind.FRONT):
        Tag.issue(Port.objects.create(device=panel, name="1", kind=kind), by=sam)

    [text] = pdf_pages(render_labels(tags_for_device(panel), LabelFormat.PORT_STRIP))

    assert text.index("pp-01\nfront 1") < text.index("pp-01\nrear 1")


def test_a_long_name_loses_its_middle_and_keeps_its_end(rack, sam):
    device = Device.objects.create(
        site=rack.site, rack=rack, name="db-primary-01.lax1.customer-with-a-long-name.example.net"
    )
    Tag.issue(Port.objects.create(device=device, name="TwentyFiveGigE1/0/48-breakout-lane-4"), by=sam)

    [text] = pdf_pages(render_labels(tags_for_device(device), LabelFormat.PORT_STRIP))

    assert "db-primary-01…e.example.net" in text
    assert "TwentyFiveG…akout-lane-4" in text


def test_an_issued_tag_is_printed_and_a_revoked_one_never_is(rack_tags, sam):
    issued = rack_tags[0]
    assert issued.status == "issued"
    render_labels([issued], LabelFormat.A4_3X8)

    revoked = rack_tags[1]
    revoked.revoke(reason="label torn", by=sam)
    with pytest.raises(LabelRefused, match=f"the tags of {revoked.asset} were revoked") as refused:
        render_labels(rack_tags, LabelFormat.A4_3X8)
    assert revoked.display_short_code not in refused.value.reason  # pages show no tag's code


def test_a_tag_revoked_after_the_sheet_was_fetched_is_refused_too(rack_tags, sam):
    """tess revokes a torn label at the rack while sam's page with the old list is still open."""
    Tag.objects.get(pk=rack_tags[3].pk).revoke(reason="label torn", by=sam)
    assert rack_tags[3].status == "issued"  # the stale copy in hand

    with pytest.raises(LabelRefused, match="Revoked tags are never printed"):
        render_labels(rack_tags, LabelFormat.PORT_STRIP)


def test_nothing_to_print_is_refused_with_a_reason(db):
    with pytest.raises(LabelRefused, match="no tags to print"):
        render_labels([], LabelFormat.A4_3X8)


def test_a_racks_tags_run_top_down_each_device_before_its_ports(rack, sam):
    site = rack.site
    low = Device.objects.create(site=site, rack=rack, position=10, name="web01")
    top = Device.objects.create(site=site, rack=rack, position=42, name="sw-a")
    loose = Device.objects.create(site=site, rack=rack, name="shelf-kvm")  # in the rack, no unit recorded
    panel = Device.objects.create(site=site, rack=rack, position="41.0", name="pp-01")
    elsewhere = Device.objects.create(site=site, rack=Rack.objects.create(site=site, name="A02"), name="sw-x")
    for device in (low, top, loose, panel, elsewhere):
        Tag.issue(device, by=sam)
    for name in ("Eth1/10", "Eth1/2", "Eth1/1"):
        Tag.issue(Port.objects.create(device=top, name=name), by=sam)
    for kind in (PortKind.REAR, PortKind.FRONT):
        Tag.issue(Port.objects.create(device=panel, name="1", kind=kind), by=sam)
    Tag.issue(Port.objects.create(device=low, name="eno1"), by=sam).revoke(reason="wrong port", by=sam)

    order = [str(tag.asset) for tag in tags_for_rack(rack)]

    assert order == [
        "sw-a",
        "sw-a Eth1/1",
        "sw-a Eth1/2",
        "sw-a Eth1/10",
        "pp-01",
        "pp-01 1",  # front
        "pp-01 1",  # rear
        "web01",
        "shelf-kvm",
    ]
    assert [tag.port.kind for tag in tags_for_rack(rack) if tag.port_id and tag.port.device == panel] == [
        PortKind.FRONT,
        PortKind.REAR,
    ]


def test_a_devices_tags_are_the_device_then_its_ports(rack, sam):
    switch = Device.objects.create(site=rack.site, rack=rack, position=42, name="sw-a")
    for name in ("Eth1/3", "Eth1/1"):
        Tag.issue(Port.objects.create(device=switch, name=name), by=sam)
    Tag.issue(switch, by=sam)

    assert [str(tag.asset) for tag in tags_for_device(switch)] == ["sw-a", "sw-a Eth1/1", "sw-a Eth1/3"]
    assert [str(tag.asset) for tag in tags_for_device(switch, include_ports=False)] == ["sw-a"]


def test_a_selection_keeps_rack_order_whatever_order_it_was_picked_in(rack, sam):
    upper = Device.objects.create(site=rack.site, rack=rack, position=30, name="sw-a")
    lower = Device.objects.create(site=rack.site, rack=rack, position=3, name="sw-b")
    uplink = Port.objects.create(device=upper, name="Eth1/49")
    for asset in (upper, lower, uplink):
        Tag.issue(asset, by=sam)

    picked = tags_for_selection(devices=[lower], ports=[uplink])

    assert [str(tag.asset) for tag in picked] == ["sw-a Eth1/49", "sw-b"]


def build_rack(site: Site, *, devices: int, ports_each: int) -> Rack:
    """A rack filled in bulk, as an import would: the query counts must not grow with it."""
    rack = Rack.objects.create(site=site, name=f"R{devices}")
    made = Device.objects.bulk_create(
        Device(site=site, rack=rack, position=n, name=f"r{devices}-dev{n}") for n in range(1, devices + 1)
    )
    ports = Port.objects.bulk_create(
        Port(device=device, name=f"Eth{n}") for device in made for n in range(1, ports_each + 1)
    )
    Tag.objects.bulk_create(
        Tag(
            code=codes.new_code(),
            short_code=codes.new_short_code(),
            **{"device" if isinstance(a, Device) else "port": a},
        )
        for a in [*made, *ports]
    )
    return rack


@pytest.mark.parametrize("size", [5, 50])
def test_fetching_and_printing_labels_takes_the_same_queries_at_any_size(
    site, size, django_assert_num_queries
):
    rack = build_rack(site, devices=size, ports_each=2)
    devices = list(rack.devices.all())

    # 1. the tags with their devices, ports, sites and racks, in one join
    with django_assert_num_queries(1):
        tags = tags_for_rack(rack)
    with django_assert_num_queries(1):
        assert tags_for_device(devices[0]) == [tag for tag in tags if tag.chassis == devices[0]]
    with django_assert_num_queries(1):
        assert len(tags_for_selection(devices=devices)) == size * 3

    # 1. which of the tags in hand have been revoked since they were fetched; nothing per label
    with django_assert_num_queries(1):
        render_labels(tags[:30], LabelFormat.A4_3X8)


@pytest.mark.parametrize(
    "error_correction", [qrcode.constants.ERROR_CORRECT_M, qrcode.constants.ERROR_CORRECT_Q]
)
@pytest.mark.parametrize(
    "data", ["https://lockstep.example.net/t/0123456789ABCDEF", "https://localhost:8000/t/ZZ"]
)
def test_qr_svg_draws_exactly_the_modules_qrcode_computes(data, error_correction):
    svg = qr_svg(data, error_correction=error_correction)

    root = ET.fromstring(svg)
    size = int(root.get("viewBox").split()[2])
    drawn = [[False] * size for _ in range(size)]
    [path] = root.iter("{http://www.w3.org/2000/svg}path")
    for x, y, width in re.findall(r"M(\d+) (\d+)\.5h(\d+)", path.get("d")):
        for column in range(int(x), int(x) + int(width)):
            drawn[int(y)][column] = True
    assert drawn == qrcode_matrix(data, error_correction)


def printed_modules(
    pdf: bytes, fmt: LabelFormat, index: int, modules: int, dpi: int, tmp: Path
) -> list[list[bool]]:
    """Rasterize the first sheet and read the QR of label `index` where the format's grid puts it."""
    (tmp / "sheet.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-gray",
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            tmp / "sheet.pdf",
            tmp / "sheet",
        ],
        check=True,
    )
    pgm = (tmp / "sheet.pgm").read_bytes()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", pgm)
    width = int(header.group(1))
    pixels = pgm[header.end() :]
    layout = fmt.layout
    row, column = divmod(index, layout.columns)
    left = layout.margin_left + column * layout.label_width + layout.padding
    top = layout.margin_top + row * layout.label_height + layout.qr_top
    pitch = layout.qr_size / modules

    def dark(x: int, y: int) -> bool:
        px = round((left + (x + 0.5) * pitch) * dpi / 25.4)
        py = round((top + (y + 0.5) * pitch) * dpi / 25.4)
        return pixels[py * width + px] < 128

    return [[dark(x, y) for x in range(modules)] for y in range(modules)]


@needs_pdftoppm
@pytest.mark.parametrize(("fmt", "dpi"), [(LabelFormat.A4_3X8, 300), (LabelFormat.PORT_STRIP, 600)])
def test_the_printed_qr_is_the_tags_url_on_the_grid(rack_tags, fmt, dpi, tmp_path):
    """No QR decoder here, so compare the printed modules with the symbol qrcode makes for the tag's URL,
    for the label in the second row and column: off the grid, it would not match."""
    tag = rack_tags[fmt.layout.columns + 1]
    expected = qrcode_matrix(tag.url(), fmt.layout.error_correction)

    pdf = render_labels(rack_tags, fmt)

    assert printed_modules(pdf, fmt, fmt.layout.columns + 1, len(expected), dpi, tmp_path) == expected


@pytest.mark.parametrize("fmt", list(LabelFormat))
def test_every_format_fits_its_page_with_a_scannable_qr(fmt):
    layout = fmt.layout
    assert layout.margin_left + layout.columns * layout.label_width <= layout.page_width + 1e-9
    assert layout.margin_top + layout.rows * layout.label_height <= layout.page_height + 1e-9
    assert layout.qr_size >= 10
    assert layout.qr_top >= 1  # a quiet zone above and below the symbol
    assert layout.text_width >= 30  # room for the 11 characters of ABCD-EFGH-K
    assert layout.error_correction in {qrcode.constants.ERROR_CORRECT_M, qrcode.constants.ERROR_CORRECT_Q}
