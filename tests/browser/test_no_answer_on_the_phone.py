"""sw-a refuses Lockstep's login, and its driver's error quotes the password: tess's phone says why the switch
did not answer in a few words, with the driver and address, and nothing of the driver's own."""

from __future__ import annotations

import pytest

from tests.builders.browser import log_in, screenshot
from tests.builders.gear import Gear, scan_both
from tests.builders.people import PASSWORD
from tests.builders.scenes import DESTRUCTIVE, build_scene, finish_steps_before
from tests.live.leaky import assert_no_secret, leaky_driver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gear(tmp_path, settings):
    from live.gear import reset_pool

    settings.LOCKSTEP_DEVICE_SECRETS = tmp_path / "device_secrets.json"
    settings.LOCKSTEP_DEVICE_BACKOFF = 0
    reset_pool()
    yield Gear(tmp_path / "gear", settings.LOCKSTEP_DEVICE_SECRETS)
    reset_pool()


def test_the_phone_says_the_switch_refused_the_login_and_never_the_drivers_words(
    live_server, phone_740, gear, monkeypatch
):
    from playwright.sync_api import expect

    scene = build_scene()
    finish_steps_before(scene, kind=DESTRUCTIVE)
    leaky_driver(monkeypatch, gear)(scene.site.sw_a, "open:auth")
    step = scan_both(scene, scene.step(kind=DESTRUCTIVE))

    phone_740.add_cookies(
        [{"name": "lockstep_device", "value": "devicetess0123456789", "url": live_server.url}]
    )
    page = phone_740.new_page()
    log_in(page, live_server, "tess", PASSWORD)
    page.goto(f"{live_server.url}{step.get_absolute_url()}")
    expect(page.get_by_text("■ No live check: sw-a did not answer")).to_be_visible()
    expect(
        page.get_by_text("sw-a did not answer get_interfaces: refused the login (napalm leaky 192.0.2.66)")
    ).to_be_visible()
    screenshot(page, "live-no-answer-refused-login-phone-360")
    assert_no_secret("tess's phone", page.content() + page.inner_text("body"))
