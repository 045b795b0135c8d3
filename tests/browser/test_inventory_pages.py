from __future__ import annotations

import pytest

from accounts.roles import Role
from inventory.models import Tag
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_login_on_phone_and_desktop import TARGETS_TOO_SMALL
from tests.conftest import PASSWORD, make_user
from tests.inventory.conftest import build_small_site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_tech_applies_a_tag_on_the_phone_and_a_wrong_serial_is_refused(live_server, phone):
    tess = make_user("tess", Role.TECH)
    site = build_small_site()
    tag = Tag.issue(site.sw_a, by=tess)
    page = phone.new_page()
    log_in(page, live_server, "tess", PASSWORD)

    page.goto(f"{live_server.url}/t/{tag.code}")
    assert page.get_by_text("Not applied yet").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(TARGETS_TOO_SMALL) == []
    screenshot(page, "tag-issued-phone-360")

    page.get_by_label("Chassis serial number").fill("FDO2231X0BB")  # sw-b's serial: the wrong switch
    page.get_by_role("button", name="Check serial and apply").click()
    assert page.get_by_role("alert").filter(has_text="Serial does not match").is_visible()
    screenshot(page, "tag-wrong-serial-phone-360")

    page.get_by_label("Chassis serial number").fill("FDO2231X0AA")
    page.get_by_role("button", name="Check serial and apply").click()
    # Back on the switch's page, which says the tag is active and never what its code is.
    assert page.get_by_text("Tag applied: it is now on sw-a.").is_visible()
    assert page.get_by_text("Tag active").first.is_visible()
    assert tag.short_code not in page.content() and tag.code not in page.content()
    screenshot(page, "tag-active-phone-360")


def test_a_revoked_or_unknown_tag_is_plainly_refused_on_the_phone(live_server, phone):
    tess = make_user("tess", Role.TECH)
    site = build_small_site()
    tag = Tag.issue(site.sw_a, by=tess)
    tag.revoke(reason="label damaged", by=tess)
    page = phone.new_page()
    log_in(page, live_server, "tess", PASSWORD)

    response = page.goto(f"{live_server.url}/t/{tag.code}")
    assert response.status == 410
    assert page.get_by_text("Revoked tag").is_visible()
    screenshot(page, "tag-revoked-phone-360")

    response = page.goto(f"{live_server.url}/t/NOT-A-TAG")
    assert response.status == 404
    assert page.get_by_text("Not a known tag").is_visible()
    screenshot(page, "tag-unknown-phone-360")


def test_the_rack_and_device_pages_on_desktop_and_phone(live_server, desktop, phone):
    make_user("ada", Role.APPROVER)
    site = build_small_site(with_ports=6)
    Tag.issue(site.sw_a, by=None)
    for context, name in ((desktop, "desktop"), (phone, "phone-360")):
        page = context.new_page()
        log_in(page, live_server, "ada", PASSWORD)
        page.goto(f"{live_server.url}/inventory/racks/{site.rack.pk}/")
        assert page.get_by_role("heading", name="Rack A01").is_visible()
        screenshot(page, f"rack-{name}")
        page.get_by_role("link", name="sw-a").first.click()
        assert page.get_by_role("heading", name="sw-a").is_visible()
        screenshot(page, f"device-{name}")
        if name == "phone-360":
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
