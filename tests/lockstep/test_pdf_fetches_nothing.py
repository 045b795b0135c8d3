"""A PDF embeds data: URLs and our own static files, and nothing else: whatever a document names, printing it
never makes the server call an address or read a file of its own into the PDF."""

from __future__ import annotations

import io
import re
import socket
from pathlib import Path

import pypdf
import pytest
from django.conf import settings

from lockstep.pdf import OwnFilesOnly, ResourceRefused, render_pdf
from lockstep.public import public_url

STYLESHEET = Path(settings.BASE_DIR) / "static" / "lockstep" / "lockstep.css"
IMPORTS_WEASYPRINT = re.compile(r"^\s*(import|from)\s+weasyprint\b", re.MULTILINE)


def attachments(pdf: bytes) -> dict[str, bytes]:
    return {name: files[0] for name, files in pypdf.PdfReader(io.BytesIO(pdf)).attachments.items()}


def text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def listening():
    """A server socket on this machine that answers nothing: any connection to it waits in its backlog."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


def test_a_pdf_naming_a_server_and_a_file_is_made_without_either(listening):
    port = listening.getsockname()[1]
    # What a name that escaped escaping could put in a runbook: WeasyPrint's own fetcher would call the
    # server for the stylesheet and the image, and attach the server's password file to the PDF.
    html = f"""
        <link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">
        <link rel="attachment" href="file:///etc/passwd">
        <img src="file:///etc/passwd">
        <img src="http://127.0.0.1:{port}/x.png">
        <p>Step 3: move the uplink</p>"""

    pdf = render_pdf(html)

    assert "Step 3: move the uplink" in text(pdf)
    assert attachments(pdf) == {}
    with pytest.raises(BlockingIOError):
        listening.accept()  # nobody connected


def test_a_pdf_embeds_a_data_url_and_our_own_static_file():
    html = """
        <link rel="attachment" href="data:text/plain,signed%20off" title="note.txt">
        <link rel="attachment" href="/static/lockstep/lockstep.css">
        <p>Runbook</p>"""

    pdf = render_pdf(html)

    assert sorted(attachments(pdf).values()) == sorted([b"signed off", STYLESHEET.read_bytes()])


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        f"file://{STYLESHEET}",  # our own file, but named as a file: it could as well be any other
        "http://127.0.0.1:1/x.css",
        "https://lockstep.example.org/static/lockstep/lockstep.css",  # a static path on someone else's host
        public_url("/admin/"),  # our host, but a page, not a static file
        public_url("/static/%2e%2e/lockstep/settings.py"),
        public_url("/static/lockstep/..%2f..%2flockstep/settings.py"),
        public_url("/static//etc/passwd"),
        public_url("/static/lockstep/no-such-file.css"),
        "ftp://127.0.0.1/x.css",
    ],
)
def test_the_fetcher_refuses_anything_else(url):
    with pytest.raises(ResourceRefused):
        OwnFilesOnly()(url)


def test_the_fetcher_reads_a_static_file_from_disk_with_its_type():
    answer = OwnFilesOnly()(public_url("/static/lockstep/lockstep.css"))

    assert answer.read() == STYLESHEET.read_bytes()
    assert answer.content_type == "text/css"


def test_no_pdf_is_made_around_the_fetcher():
    """Labels, runbooks and debriefs all print through lockstep.pdf: nothing else calls WeasyPrint."""
    root = Path(settings.BASE_DIR)
    apps = ["accounts", "audit", "checklists", "comms", "inventory", "lockstep", "maintenance"]
    callers = [
        path.relative_to(root).as_posix()
        for app in apps
        for path in (root / app).rglob("*.py")
        if IMPORTS_WEASYPRINT.search(path.read_text()) and path != root / "lockstep" / "pdf.py"
    ]
    assert callers == []
