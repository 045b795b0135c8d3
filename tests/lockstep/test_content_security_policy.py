"""Every page runs only Lockstep's own static scripts and styles. The step pages alone may also compile the QR
reader's WebAssembly: their camera scanner needs it, and a page that turns into a step page in place (the /t/
hand-off) too. None may run inline script or style, or evaluate JavaScript from a string."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from checklists.models import StepKind
from tests.checklists.conftest import Scene, build_scene, finish_steps_before, users

STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
QR_READER = STRICT | {"script-src": ["'self'", "'wasm-unsafe-eval'"]}

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# What WeasyPrint reads, never a browser: their inline styles are how a PDF is laid out.
PDF_TEMPLATES = ["inventory/labels.html", "maintenance/runbook_pdf.html", "debriefs/debrief_pdf.html"]
INCLUDED = re.compile(r"""{%\s*include\s+["']([^"']+)["']""")
DJANGO_COMMENT = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.DOTALL)
# An inline <style> or <script>, a style or on… attribute, a javascript: URL: all refused by the policy.
INLINE = re.compile(r"<style|<script\b(?![^>]*\bsrc=)[^>]*>|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.I)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [directive.split() for directive in header.split(";") if directive.strip()]
    return {name: sources for name, *sources in directives}


def on_phone(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scene(db) -> Scene:
    return build_scene()


def identity_check(scene: Scene):
    step = scene.run.sequence().filter(kind=StepKind.IDENTITY_CHECK).first()
    finish_steps_before(scene, step.position)
    return step


def test_the_login_page_runs_only_our_own_files(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert policy(response) == STRICT


def test_olives_home_and_sams_admin_run_only_our_own_files(olive, sam):
    assert policy(on_phone(olive).get(reverse("home"))) == STRICT
    admin = on_phone(sam)
    for url in (reverse("admin:index"), reverse("admin:inventory_device_changelist")):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert policy(response) == STRICT, url


def test_the_step_page_with_the_camera_scanner_may_compile_the_qr_reader(scene):
    step = identity_check(scene)
    response = on_phone(users()["tess"]).get(step.get_absolute_url())
    assert "Scan with camera" in response.content.decode()
    assert policy(response) == QR_READER


def test_a_step_tap_answered_with_the_whole_page_and_its_replay_keep_the_qr_reader(scene):
    step = identity_check(scene)
    tess = on_phone(users()["tess"])
    url = reverse("checklists:step_scan", args=[scene.run.pk, step.position])
    tap = {"idem": uuid.uuid4().hex, "code": "not-this-tag"}

    refused = tess.post(url, tap)
    replayed = tess.post(url, tap)

    assert refused.status_code == 409 and "Scan with camera" in refused.content.decode()
    assert replayed["Idempotent-Replay"] == "true"
    assert policy(refused) == policy(replayed) == QR_READER


def test_the_hand_off_that_becomes_the_step_page_may_compile_the_qr_reader(scene):
    step = identity_check(scene)
    tess = on_phone(users()["tess"])
    tess.get(step.get_absolute_url())  # the step is open on her phone
    handoff = tess.get(f"/t/{scene.tag_for('sw-a Eth1/1')}")
    assert 'name="method" value="camera_app"' in handoff.content.decode()
    assert policy(handoff) == QR_READER


def test_the_run_and_the_assets_page_do_not(scene):
    tess = on_phone(users()["tess"])
    assert policy(tess.get(scene.run.get_absolute_url())) == STRICT
    # A tag scanned with no step waiting for it shows its asset: an inventory page, no scanner.
    assert policy(tess.get(f"/t/{scene.tag_for('sw-b')}")) == STRICT


def printed_only() -> set[str]:
    """The PDF templates and what they include."""
    seen, todo = set(), list(PDF_TEMPLATES)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(INCLUDED.findall((TEMPLATES / name).read_text()))
    return seen


def test_no_page_template_has_inline_script_or_style():
    """Also the pages no browser test opens: the 500 page, a refused label print."""
    skipped = printed_only()
    found = [
        f"{path.relative_to(TEMPLATES)}: {match}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if path.relative_to(TEMPLATES).as_posix() not in skipped
        for match in INLINE.findall(DJANGO_COMMENT.sub("", path.read_text()))
    ]
    assert found == []
