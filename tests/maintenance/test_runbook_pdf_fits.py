"""Paper that fits: the longest values the forms accept, printed into the runbook and the as-run record,
stay inside the page and never run into each other.

Word positions are read back with poppler's `pdftotext -bbox`: every word must sit inside the page's
left and right margins, and no two words may overlap (text that overflows its cell lands on its
neighbour's). The pages are also written as PNG under var/screenshots/ for a person to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from checklists.models import Step
from inventory.models import Device, DeviceType, Port
from maintenance.models import Window
from maintenance.runbook_pdf import render_runbook_pdf
from tests.builders.people import name_the_people, users
from tests.builders.scenes import build_scene, finish_steps_before

MM = 72 / 25.4
MARGIN_LEFT_RIGHT = 14 * MM  # templates/maintenance/runbook_pdf.html, @page margin
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', re.S)
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is missing")


def words_by_page(pdf: bytes, tmp_path: Path, name: str) -> list[tuple[float, float, list]]:
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = []
    for width, height, body in PAGE.findall(html):
        words = [(*map(float, box), unescape(text)) for *box, text in WORD.findall(body)]
        pages.append((float(width), float(height), words))
    if shutil.which("pdftoppm"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(source), str(SCREENSHOTS / name)], check=True)
    return pages


def assert_fits(pages) -> None:
    for number, (width, height, words) in enumerate(pages, 1):
        for x0, y0, x1, y1, text in words:
            assert x0 >= MARGIN_LEFT_RIGHT - 1 and x1 <= width - MARGIN_LEFT_RIGHT + 1, (
                f"page {number}: {text[:40]!r} runs outside the margins ({x0:.0f} to {x1:.0f} of {width:.0f})"
            )
            assert y0 >= 0 and y1 <= height, f"page {number}: {text[:40]!r} is off the page"
        # Words that overlap: text pushed out of its cell or box onto its neighbour's.
        for i, (ax0, ay0, ax1, ay1, a) in enumerate(words):
            for bx0, by0, bx1, by1, b in words[i + 1 :]:
                overlap_x = min(ax1, bx1) - max(ax0, bx0)
                overlap_y = min(ay1, by1) - max(ay0, by0)
                assert overlap_x <= 0.5 or overlap_y <= 0.5, (
                    f"page {number}: {a[:30]!r} and {b[:30]!r} overlap"
                )


def longest(n: int, word: str) -> str:
    return (word * n)[:n]


def stretch_everything(scene) -> None:
    """Every free-text field at the longest the forms accept, and one unbroken 200-character word."""
    unbroken = "W" * 200
    site = scene.site
    Window.objects.filter(pk=scene.window.pk).update(
        title=longest(200, "Replace the optics and the cables "),
        description=f"{longest(1500, 'Prepared with the vendor checklist. ')} {unbroken}",
        rollback_plan=f"{longest(1500, 'Re-seat everything as it was. ')} {unbroken}",
        customer_summary=f"{longest(800, 'Planned maintenance tonight. ')} {unbroken}",
    )
    DeviceType.objects.update_or_create(
        manufacturer=site.sw_a.manufacturer,
        model=site.sw_a.model or "model",
        defaults={"serial_location": longest(300, "on the pull-out tab at the front left ")},
    )
    Device.objects.filter(pk=site.sw_a.pk).update(
        name=longest(100, "lax1-a02-tor-a-"), model=site.sw_a.model or "model"
    )
    for port in Port.objects.filter(device=site.sw_a):
        Port.objects.filter(pk=port.pk).update(name=longest(64, f"{port.name}-Ethernet-breakout-"))
    Step.objects.filter(run=scene.run).update(
        instructions=f"{longest(2000, 'Check the cable at both ends before you touch it. ')} {unbroken}"
    )
    long_name = longest(150, "Bartholomew-")
    for person in users().values():
        person.first_name, person.last_name = long_name, long_name
        person.save()


def test_the_longest_values_fit_the_runbook(db, tmp_path):
    scene = build_scene(start=False)
    stretch_everything(scene)
    window = Window.objects.get(pk=scene.window.pk)
    assert_fits(words_by_page(render_runbook_pdf(window), tmp_path, "runbook-longest-values"))


def test_the_longest_values_fit_the_as_run_record(db, tmp_path):
    scene = build_scene()
    name_the_people()
    finish_steps_before(scene, 8)
    stretch_everything(scene)
    window = Window.objects.get(pk=scene.window.pk)
    window.complete(by=users()["tess"])
    pages = words_by_page(render_runbook_pdf(window, as_run=True), tmp_path, "as-run-longest-values")
    assert_fits(pages)
