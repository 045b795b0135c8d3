"""The approver's desk: a hold point and a discrepancy show the evidence, in words, before the button.

ada does not work on the run. She opens hold point 4 after tess checked sw-a Eth1/1, and a discrepancy after
vic scanned at the wrong chassis: each scan says who, which asset its label belongs to, how, when (site time,
UTC on hover), matched or not, voided or not. Never a tag's code, never an expected serial, never a raw key."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from checklists.execution import scan
from checklists.models import StepStatus
from inventory.models import Discrepancy
from tests.builders.people import phone, users
from tests.builders.scenes import DESTRUCTIVE, HOLD, finish_steps_before


def _desk(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _no_secrets(page: str, scene) -> None:
    for tag in scene.tags.values():
        assert tag.code not in page and tag.display_short_code not in page
    for raw_key in ("tag_asset", "serial:", "asset:"):
        assert raw_key not in page


def test_the_hold_point_shows_the_scans_so_far_on_the_desktop(scene):
    finish_steps_before(scene, kind=HOLD)
    page = _desk(users()["ada"]).get(scene.step(kind=HOLD).get_absolute_url()).content.decode()

    assert 'class="desk-bar"' in page and 'class="phone-bar"' not in page
    evidence = page.index("The evidence so far")
    assert evidence < page.index("Release this hold point")
    assert "port Eth1/1 of sw-a" in page
    assert "By typing the code" in page and "✓ Matched" in page
    # Site time shown, UTC on hover.
    assert re.search(r'<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC">', page)
    _no_secrets(page, scene)


def test_releasing_from_the_desk_stays_on_the_desk(scene):
    finish_steps_before(scene, kind=HOLD)
    desk = _desk(users()["ada"])
    url = reverse("checklists:step_release", args=[scene.run.pk, scene.step(kind=HOLD).position])
    response = desk.post(url, {"idem": "release-hold-from-the-desk"})
    page = response.content.decode()
    assert scene.step(kind=HOLD).status == StepStatus.COMPLETE
    assert 'class="desk-bar"' in page and "Hold point released." in page and "released by ada" in page


def test_a_tech_on_the_run_still_gets_the_phone_page(scene):
    finish_steps_before(scene, kind=HOLD)
    page = _desk(users()["tess"]).get(scene.step(kind=HOLD).get_absolute_url()).content.decode()
    assert 'class="phone-bar"' in page


def test_the_discrepancy_page_says_what_was_found_in_words(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    tess, vic = users()["tess"], users()["vic"]
    step = scene.step(kind=DESTRUCTIVE)
    scan(step, who=phone(tess), raw=scene.tag_for("sw-a Eth1/1"), serial="SN-sw-a", method="camera")
    scan(step, who=phone(vic), raw=scene.tag_for("sw-b Eth1/1"), serial="SN-sw-a", method="camera_app")
    discrepancy = Discrepancy.objects.get()

    url = reverse("checklists:discrepancy", args=[discrepancy.pk])
    page = _desk(users()["ada"]).get(url).content.decode()

    assert 'class="desk-bar"' in page
    assert "A label that belongs to sw-b Eth1/1" in page
    assert "With the phone&#x27;s camera app" in page and "With the in-page camera" in page
    assert "✕ Did not match" in page and "Voided" in page  # tess's match no longer counts
    assert page.index("The scans of this step") < page.index("Resolve and let the work go on")
    assert "SN-sw-a" not in page  # the expected serial is the rack's to say
    _no_secrets(page, scene)
