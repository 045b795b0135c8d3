"""The approver's desk in Chromium at 1440x900: a hold point and a discrepancy show the evidence before the
button, in the desktop layout, and releasing stays on the desk."""

from __future__ import annotations

import pytest

from checklists.execution import scan
from inventory.models import Discrepancy
from tests.browser.conftest import log_in, screenshot
from tests.checklists.conftest import build_scene, finish_steps_before, phone, users
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOLD = 4
IDENTITY = 3


def test_ada_releases_a_hold_point_after_reading_the_evidence(live_server, wide):
    scene = build_scene()
    finish_steps_before(scene, HOLD)
    page = wide.new_page()
    log_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}{scene.step(HOLD).get_absolute_url()}")
    evidence = page.get_by_text("The evidence so far")
    button = page.get_by_role("button", name="Release this hold point")
    assert evidence.is_visible() and button.is_visible()
    assert evidence.bounding_box()["y"] < button.bounding_box()["y"]
    screenshot(page, "desk-hold-point-1440")
    button.click()
    assert page.get_by_text("Hold point released.").is_visible()
    assert page.locator(".desk-bar").count() == 1


def test_ada_reads_a_discrepancy_in_words(live_server, wide):
    scene = build_scene()
    finish_steps_before(scene, IDENTITY)
    scan(scene.step(IDENTITY), who=phone(users()["tess"]), raw=scene.tag_for("sw-b Eth1/1"))
    page = wide.new_page()
    log_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}/discrepancies/{Discrepancy.objects.get().pk}/")
    assert page.get_by_role("button", name="Resolve and let the work go on").is_visible()
    body = page.content()
    assert "tag_asset" not in body and scene.tags["sw-b Eth1/1"].code not in body
    screenshot(page, "desk-discrepancy-1440")
