"""QR label sheets as PDF: what gets printed before a tag is applied at the rack.

A label carries the tag's URL as a QR (any phone camera opens it), the short code in big monospace for typing
with a glove, and the asset's name so the person applying it can tell they hold the right label.
"""

from __future__ import annotations

import base64
import re
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import qrcode
import qrcode.constants
from django.db import models
from django.db.models import Q
from django.template.loader import render_to_string

from inventory.models import Device, Port, PortKind, Rack, Tag, TagQuerySet, TagStatus

# Everything a label shows is reached through these, so rendering a sheet makes no query per label.
_LABEL_RELATIONS = ("device__site", "device__rack", "port__device__site", "port__device__rack")


class LabelRefused(Exception):
    """A label sheet that must not be printed, with a message for the person who asked for it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SheetLayout:
    """The geometry of one label format, in millimetres."""

    page_width: float
    page_height: float
    margin_top: float
    margin_left: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    padding: float  # inside each label; on a sheet's outer labels it keeps ink out of the printer's margin
    qr_size: float  # the symbol itself; the padding and the gap to the text are its quiet zone
    gap: float  # between the QR and the text
    error_correction: int
    css_class: str
    cut_guides: bool  # hairlines to cut along, for plain or full-sheet paper; never on pre-cut stock

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def qr_top(self) -> float:
        return round((self.label_height - self.qr_size) / 2, 3)

    @property
    def text_left(self) -> float:
        return self.padding + self.qr_size + self.gap

    @property
    def text_width(self) -> float:
        return self.label_width - 2 * self.padding - self.qr_size - self.gap


class LabelFormat(models.TextChoices):
    A4_3X8 = "a4-3x8", "Asset labels: A4, 3 x 8 (70 x 37 mm, 24 per sheet)"
    PORT_STRIP = "port-strip", "Port labels: A4 sheet of 50 x 12.5 mm strips (88 per sheet), to cut"

    @property
    def layout(self) -> SheetLayout:
        return _LAYOUTS[self]


_LAYOUTS: dict[LabelFormat, SheetLayout] = {
    # Common 24-up A4 stock of 70 x 37 mm labels tiles the whole sheet with no border: 3 x 70 = 210 and
    # 8 x 37.125 = 297, so the grid starts at the paper's corner with no page margin. Office printers cannot print the outer ~4 mm, so the padding inside each label keeps
    # its ink clear of that band instead of a page margin that would misalign the grid with the stock.
    # Error correction Q (25 %): an asset label has room for a large symbol, and the extra redundancy
    # survives scuffs, a marker note or a cable hanging across a corner.
    LabelFormat.A4_3X8: SheetLayout(
        page_width=210,
        page_height=297,
        margin_top=0,
        margin_left=0,
        columns=3,
        rows=8,
        label_width=70,
        label_height=37.125,
        padding=4.5,
        qr_size=26,
        gap=3.5,
        error_correction=qrcode.constants.ERROR_CORRECT_Q,
        css_class="asset",
        cut_guides=False,
    ),
    # A port label must fit a cable or the strip above a patch panel: 12.5 mm high, 50 mm wide. The QR stays
    # 10 mm: smaller and a phone camera struggles to focus on its modules. Error correction M (15 %), not Q:
    # a tag URL needs QR version 3 or 4 at M but 4 or 5 at Q, and at 10 mm the lower version's larger modules
    # (about 0.3 mm) matter more for a quick scan than the extra redundancy. 4 x 22 strips on A4 with
    # margins the printer can reach; there is no common pre-cut stock this size, so print on plain or
    # full-sheet label paper and cut along the guides.
    LabelFormat.PORT_STRIP: SheetLayout(
        page_width=210,
        page_height=297,
        margin_top=11,
        margin_left=5,
        columns=4,
        rows=22,
        label_width=50,
        label_height=12.5,
        padding=1.25,
        qr_size=10,
        gap=1.5,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        css_class="port",
        cut_guides=True,
    ),
}


def qr_svg(data: str, *, error_correction: int = qrcode.constants.ERROR_CORRECT_Q) -> str:
    """The QR symbol for `data` as a standalone SVG, one unit per module and no quiet zone (the white of
    the label around it is the quiet zone), so the page scales it to any size.

    qrcode computes the symbol; the path is drawn here from its module matrix rather than by qrcode's
    SvgPathImage, which writes a closed square per dark module through Decimal arithmetic and gives every
    symbol the same id (WeasyPrint warns once per label). WeasyPrint parses and draws SVG paths in Python,
    number by number, so the path's length is most of a label's cost: here each horizontal run of dark
    modules is one stroke a module thick ("M x y.5 h w": three numbers per run against the factory's five
    per module). Measured on 240 asset labels: 31 ms a label in WeasyPrint instead of 54-69, a PDF a
    quarter the size, and 12 ms instead of 16 to make the symbol.
    """
    code = qrcode.QRCode(error_correction=error_correction, border=0)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    strokes = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                strokes.append(f"M{start} {y}.5h{x - start}")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}">'
        f'<path d="{"".join(strokes)}" stroke="#000" stroke-width="1" fill="none"/></svg>'
    )


def qr_png_data_uri(data: str, *, error_correction: int = qrcode.constants.ERROR_CORRECT_Q) -> str:
    """The QR symbol as a tiny PNG, one pixel per module, no quiet zone, in a data: URI.

    WeasyPrint places an image in a fraction of the time it takes to parse and draw an SVG path (about 13 ms
    a label against 31), which halves a 1,000-label sheet. The page draws it with `image-rendering:
    pixelated`, which WeasyPrint carries into the PDF as "do not interpolate", so it prints as sharp squares
    at any size. Written with zlib by hand: a 1-bit greyscale PNG is a few lines, and Pillow is not needed.
    """
    code = qrcode.QRCode(error_correction=error_correction, border=0)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    raw = bytearray()
    for row in matrix:
        raw.append(0)  # filter: none
        bits = 0
        for x, dark in enumerate(row):
            bits = (bits << 1) | (0 if dark else 1)  # 1-bit greyscale: 1 is white
            if x % 8 == 7:
                raw.append(bits)
                bits = 0
        if size % 8:
            raw.append((bits << (8 - size % 8)) | ((1 << (8 - size % 8)) - 1))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _shorten(text: str, limit: int) -> str:
    """Cut the middle of a name too long for its label: the end tells neighbours apart (Eth1/47, Eth1/48;
    db-01.lax1, db-02.lax1), so it stays, and the ellipsis says something was cut."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return f"{text[:head]}…{text[len(text) - (limit - 1 - head) :]}"


@dataclass(frozen=True)
class Label:
    """What one label shows and where, worked out here so the template only places it."""

    short_code: str
    name: str  # the device's name, also on a port's label
    part: str  # the port on a port's label; empty on a device's
    place: str  # site, rack and unit on a device's label; empty on a port's
    name_small: bool  # a long name, set smaller to fit
    part_small: bool
    qr: str  # a data: URI of the QR as PNG
    left: float  # millimetres from the page's corner to the label's
    top: float


# Character budgets, from DejaVu Sans's average width at each format's type sizes (see labels.html).
_ASSET_NAME_FITS = 36  # three lines at 9 pt
_ASSET_NAME_MAX = 48  # three lines at 7.5 pt
_PORT_DEVICE_MAX = 27  # one line at 6.5 pt
_PORT_NAME_FITS = 18  # one line at 8 pt bold
_PORT_NAME_MAX = 24  # one line at 6.5 pt bold

# A patch panel's front and rear ports share their names; the label says which side it belongs on.
_PORT_SIDE = {PortKind.FRONT: "front ", PortKind.REAR: "rear "}


def _label(tag: Tag, layout: SheetLayout, index: int) -> Label:
    device = tag.chassis
    if tag.device_id:
        name = _shorten(device.name, _ASSET_NAME_MAX)
        part = ""
        place = f"{device.site.code} · {device.place}"
    else:
        name = _shorten(device.name, _PORT_DEVICE_MAX)
        part = _shorten(_PORT_SIDE.get(tag.port.kind, "") + tag.port.name, _PORT_NAME_MAX)
        place = ""
    row, column = divmod(index % layout.per_page, layout.columns)
    qr = qr_png_data_uri(tag.url(), error_correction=layout.error_correction)
    return Label(
        short_code=tag.display_short_code,
        name=name,
        part=part,
        place=place,
        name_small=bool(place) and len(name) > _ASSET_NAME_FITS,
        part_small=len(part) > _PORT_NAME_FITS,
        qr=qr,
        left=round(layout.margin_left + column * layout.label_width, 3),
        top=round(layout.margin_top + row * layout.label_height, 3),
    )


def _refuse_revoked(tags: Sequence[Tag]) -> None:
    # The objects in hand may be older than a revocation made a moment ago at the rack, so the database
    # has the last word; one query for the whole sheet.
    revoked_now = set(
        Tag.objects.filter(pk__in=[tag.pk for tag in tags], status=TagStatus.REVOKED).values_list(
            "pk", flat=True
        )
    )
    revoked = [tag for tag in tags if tag.status == TagStatus.REVOKED or tag.pk in revoked_now]
    if revoked:
        # Named by their assets, never by their codes: this is read on pages, and only labels show a code.
        assets = ", ".join(str(tag.asset) for tag in revoked[:5])
        more = f" and {len(revoked) - 5} more" if len(revoked) > 5 else ""
        raise LabelRefused(
            f"Revoked tags are never printed: the tags of {assets}{more} were revoked. Print the replacement "
            "tags instead (reissue a tag to make one)."
        )


# A long print is laid out about this many labels at a time (whole sheets), and says how far it has come after each.
LABELS_PER_STEP = 100


def render_labels(
    tags: Sequence[Tag], fmt: LabelFormat, *, progress: Callable[[int], object] | None = None
) -> bytes:
    """A PDF of label sheets for `tags`, in the order given. LabelRefused for a revoked tag or no tags.
    `progress` hears how many labels are laid out so far, after each step."""
    # WeasyPrint takes most of a second to import and most requests never print; load it only when one does.
    from lockstep.pdf import render_pdf_in_parts  # noqa: PLC0415  heavy renderer (WeasyPrint), loaded when used

    if not tags:
        raise LabelRefused("There are no tags to print here. Issue tags for the devices and ports first.")
    _refuse_revoked(tags)
    layout = fmt.layout
    step = max(1, LABELS_PER_STEP // layout.per_page) * layout.per_page

    def parts() -> Iterator[str]:
        for start in range(0, len(tags), step):
            labels = [
                _label(tag, layout, index) for index, tag in enumerate(tags[start : start + step], start)
            ]
            pages = [
                labels[first : first + layout.per_page] for first in range(0, len(labels), layout.per_page)
            ]
            yield render_to_string("inventory/labels.html", {"layout": layout, "pages": pages})
            if progress is not None:
                progress(start + len(labels))

    return render_pdf_in_parts(parts())


def labels_in_order(tag_ids: Sequence[int]) -> list[Tag]:
    """The tags a print named, in the order it named them. LabelRefused if any is gone."""
    found = Tag.objects.select_related(*_LABEL_RELATIONS).in_bulk(tag_ids)
    if len(found) != len(set(tag_ids)):
        raise LabelRefused("Some of these tags no longer exist. Print the labels again from the rack's page.")
    return [found[pk] for pk in tag_ids]


def _port_order(name: str) -> tuple[str | int, ...]:
    # Eth1/2 before Eth1/10, as on the faceplate.
    return tuple(int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", name))


_PORT_KINDS = list(PortKind.values)


def _rack_order(tag: Tag) -> tuple:
    device = tag.chassis
    rack = (device.rack is None, device.rack.name.casefold() if device.rack else "")
    # Top of the rack first, as a tech works down it; devices without a position after the others.
    height = (device.position is None, -(device.position or 0))
    if tag.device_id:
        within: tuple = (0,)
    else:
        within = (1, _PORT_KINDS.index(tag.port.kind), _port_order(tag.port.name))
    return (device.site.code, *rack, *height, device.name.casefold(), device.pk, *within)


class TooManyLabels(LabelRefused):
    """More labels than one print may hold: counted in the database, before any tag is loaded."""


def ordered(tags: TagQuerySet, *, limit: int | None = None) -> list[Tag]:
    """`tags` in rack order: top of the rack down, each device before its ports. With `limit`, more than that
    many is refused (TooManyLabels) after one count, without loading them."""
    if limit is not None:
        count = tags.count()
        if count > limit:
            raise TooManyLabels(
                f"That is {count} labels; print at most {limit} at once (a rack or a few devices at a time)."
            )
    # Sorted here rather than in SQL: natural port order has no portable SQL spelling.
    return sorted(tags.select_related(*_LABEL_RELATIONS), key=_rack_order)


def rack_scope(rack: Rack) -> TagQuerySet:
    """Live tags of a rack's devices and their ports."""
    return Tag.objects.live().filter(Q(device__rack=rack) | Q(port__device__rack=rack))


def selection_scope(
    *, devices: Iterable[Device | int] = (), ports: Iterable[Port | int] = (), include_ports: bool = True
) -> TagQuerySet:
    """Live tags of chosen devices (and their ports) and of chosen ports."""
    device_ids = [getattr(device, "pk", device) for device in devices]
    port_ids = [getattr(port, "pk", port) for port in ports]
    wanted = Q(device__in=device_ids) | Q(port__in=port_ids)
    if include_ports:
        wanted |= Q(port__device__in=device_ids)
    return Tag.objects.live().filter(wanted)


def tags_for_rack(rack: Rack) -> list[Tag]:
    """Live tags of a rack's devices and their ports: top of the rack down, each device before its ports."""
    return ordered(rack_scope(rack))


def tags_for_device(device: Device, *, include_ports: bool = True) -> list[Tag]:
    """Live tags of one device, then of its ports in faceplate order."""
    return tags_for_selection(devices=[device], include_ports=include_ports)


def tags_for_selection(
    *, devices: Iterable[Device | int] = (), ports: Iterable[Port | int] = (), include_ports: bool = True
) -> list[Tag]:
    """Live tags of chosen devices (and their ports) and of chosen ports, in rack order."""
    return ordered(selection_scope(devices=devices, ports=ports, include_ports=include_ports))
