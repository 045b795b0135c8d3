"""On a real phone browser: tess reads a chassis serial, logs out, and vic logs in on the same phone. The page
does not offer him the second reading there: it says the second reading is made on his own phone."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from inventory.models import Device, DeviceKind, SerialReading, Site
from tests.builders.browser import log_in, screenshot
from tests.builders.people import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_second_reader_on_the_first_readers_phone_is_not_offered_the_reading(live_server, phone):
    make_user("tess", Role.TECH)
    make_user("vic", Role.TECH)
    site = Site.objects.create(code="AMS1", name="Amsterdam 1")
    device = Device.objects.create(site=site, name="pp-row3", kind=DeviceKind.PATCH_PANEL)
    page = phone.new_page()

    log_in(page, live_server, "tess", PASSWORD)
    page.goto(f"{live_server.url}{device.get_absolute_url()}")
    page.get_by_label("Serial number on the chassis").fill("CZ2300X001")
    page.get_by_role("button", name="Record my reading").click()
    assert page.get_by_text("Your reading is recorded").is_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()

    log_in(page, live_server, "vic", PASSWORD)
    page.goto(f"{live_server.url}{device.get_absolute_url()}")

    assert page.get_by_text("This phone has read the serial once already").is_visible()
    assert page.get_by_role("button", name="Record my reading").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "serial-second-reader-same-phone-360")
    assert SerialReading.objects.count() == 1
