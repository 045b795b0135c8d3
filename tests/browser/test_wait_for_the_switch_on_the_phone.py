"""Nothing moves before the evidence is in: tess and vic have both scanned sw-a Eth1/1, but the switch has not
answered yet. vic's phone (360 px wide) shows the amber "Wait: asking the switch" at the top, and nothing on it
reads as go; once the switch agrees, the page turns to Cleared by itself."""

from __future__ import annotations

import pytest

from checklists.execution import scan
from checklists.live_checks import CheckState, LiveCheck
from checklists.models import StepStatus
from tests.browser.conftest import log_in, screenshot
from tests.checklists.conftest import build_scene, finish_steps_before, phone, users
from tests.comms.conftest import run_worker
from tests.conftest import PASSWORD
from tests.live.conftest import ALL_UP, DESTRUCTIVE, Gear, pair_answers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GO_WORDS = ("cleared", "watch tess", "unplug it", "does it now", "sign done", "now unplug")


@pytest.fixture
def gear(tmp_path, settings):
    from live.gear import reset_pool

    settings.LOCKSTEP_DEVICE_SECRETS = tmp_path / "device_secrets.json"
    settings.LOCKSTEP_DEVICE_BACKOFF = 0
    settings.LOCKSTEP_TRYOUT_SECONDS = 0
    settings.LOCKSTEP_TRYOUT_INTERVAL = 0
    reset_pool()
    yield Gear(tmp_path / "gear", settings.LOCKSTEP_DEVICE_SECRETS)
    reset_pool()


def test_the_phone_waits_in_amber_while_the_switch_is_asked_then_says_cleared(live_server, phone_740, gear):
    from playwright.sync_api import expect

    scene = build_scene()
    finish_steps_before(scene, DESTRUCTIVE)
    pair_answers(gear, scene.site, after_a={**ALL_UP, "Eth1_1": False}, after_b=ALL_UP)
    step = scene.step(DESTRUCTIVE)
    people = users()
    code = scene.tag_for("sw-a Eth1/1")
    scan(step, who=phone(people["tess"]), raw=code, serial="SN-sw-a", method="camera")
    scan(scene.step(DESTRUCTIVE), who=phone(people["vic"]), raw=code, serial="SN-sw-a")
    assert scene.step(DESTRUCTIVE).status == StepStatus.CLEARED
    assert LiveCheck.objects.get(step=step).state == CheckState.WAITING  # nobody has run the worker

    # vic's phone: the one he scanned with.
    phone_740.add_cookies(
        [{"name": "lockstep_device", "value": "devicevic0123456789", "url": live_server.url}]
    )
    page = phone_740.new_page()
    log_in(page, live_server, "vic", PASSWORD)
    page.goto(f"{live_server.url}{step.get_absolute_url()}")

    wait = page.locator(".clearance-wait")
    expect(wait).to_contain_text("… Wait: asking the switch")
    expect(wait).to_be_in_viewport()
    text = page.locator("body").inner_text().lower()
    assert not [words for words in GO_WORDS if words in text], text
    # Amber: the page's warning colour, not the good one.
    assert wait.evaluate("node => node.classList.contains('verdict-warn')")
    screenshot(page, "wait-asking-the-switch-phone-360")

    run_worker()  # the switch agrees

    cleared = page.get_by_text("✓ Cleared")
    expect(cleared).to_be_visible(timeout=8000)  # the panel asks again every 3 s
    expect(page.get_by_text("Watch tess unplug")).to_be_visible()
    expect(page.locator(".clearance-wait")).to_have_count(0)
    screenshot(page, "cleared-after-the-switch-agreed-phone-360")
