"""The approver's desk in Chromium at 1440x900: a hold point and a discrepancy show the evidence before the
button, in the desktop layout, and releasing stays on the desk."""

from __future__ import annotations

import pytest

from checklists.execution import scan
from inventory.models import Discrepancy
from tests.builders.browser import log_in, screenshot
from tests.builders.people import PASSWORD, phone, users
from tests.builders.scenes import HOLD, IDENTITY, build_scene, finish_steps_before

pytestmark = pytest.mark.django_db(transaction=True)


def test_ada_releases_a_hold_point_after_reading_the_evidence(live_server, wide):
    scene = build_scene()
    finish_steps_before(scene, kind=HOLD)
    page = wide.new_page()
    log_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}{scene.step(kind=HOLD).get_absolute_url()}")
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
    finish_steps_before(scene, kind=IDENTITY)
    scan(scene.step(kind=IDENTITY), who=phone(users()["tess"]), raw=scene.tag_for("sw-b Eth1/1"))
    page = wide.new_page()
    log_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}/discrepancies/{Discrepancy.objects.get().pk}/")
    assert page.get_by_role("button", name="Resolve and let the work go on").is_visible()
    body = page.content()
    assert "tag_asset" not in body and scene.tags["sw-b Eth1/1"].code not in body
    screenshot(page, "desk-discrepancy-1440")
