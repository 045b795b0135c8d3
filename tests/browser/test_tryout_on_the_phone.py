"""The seed's accident, caught by the switch: tess signs the unplug of sw-a Eth1/1 on her phone, but the link that
goes down is sw-b Eth1/1, web01's other half. Within one try-out her phone says STOP and names the port, and it
still says so after a refresh."""

from __future__ import annotations

import pytest

from checklists.models import RunStatus
from tests.builders.browser import log_in, screenshot
from tests.builders.gear import ALL_UP, Gear, pair_answers, scan_both
from tests.builders.people import PASSWORD
from tests.builders.scenes import DESTRUCTIVE, build_scene, finish_steps_before
from tests.builders.workers import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


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


def test_the_phone_shows_stop_within_seconds_when_the_wrong_port_goes_down(live_server, phone, gear):
    from playwright.sync_api import expect

    scene = build_scene()
    finish_steps_before(scene, kind=DESTRUCTIVE)
    pair_answers(gear, scene.site, after_a=ALL_UP, after_b={**ALL_UP, "Eth1_1": False})
    step = scan_both(scene, scene.step(kind=DESTRUCTIVE))  # tess and vic, each on their own phone

    # tess's phone: the one she scanned with (its device cookie), where the switch's answer is waiting.
    phone.add_cookies([{"name": "lockstep_device", "value": "devicetess0123456789", "url": live_server.url}])
    page = phone.new_page()
    log_in(page, live_server, "tess", PASSWORD)
    page.goto(f"{live_server.url}{step.get_absolute_url()}")
    expect(page.get_by_text("✓ sw-a agrees with the inventory")).to_be_visible()
    screenshot(page, "live-check-agreed-phone-360")
    page.get_by_role("button", name="I did it: sign done").click()
    expect(page.get_by_text("Lockstep watches the links now")).to_be_visible()

    run_worker()  # the try-out: sw-b Eth1/1 went down, sw-a Eth1/1 did not

    stop = page.get_by_text("✕ STOP: sw-b Eth1/1 went down")
    expect(stop).to_be_visible(timeout=8000)  # the panel asks again every 3 s
    expect(stop).to_be_in_viewport()
    expect(page.get_by_text("Do not touch anything more.")).to_be_visible()
    screenshot(page, "tryout-stop-phone-360")
    page.reload()
    expect(page.get_by_text("✕ STOP: sw-b Eth1/1 went down")).to_be_in_viewport()
    expect(page.get_by_role("button", name="I saw it done on this asset: sign verified")).to_have_count(0)
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.HELD
