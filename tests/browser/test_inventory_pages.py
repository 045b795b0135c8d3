from __future__ import annotations

import pytest

from accounts.roles import Role
from inventory.models import Tag
from tests.builders.browser import TARGETS_TOO_SMALL, log_in, screenshot
from tests.builders.people import PASSWORD, make_user
from tests.builders.sites import build_small_site

pytestmark = pytest.mark.django_db(transaction=True)


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


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_two_techs_read_a_serial_on_their_phones_and_it_goes_on_record(live_server, browser):
    from tests.builders.browser import PHONE_740

    make_user("tess", Role.TECH)
    make_user("vic", Role.TECH)
    site = build_small_site()
    server = site.server
    server.serial = ""
    server.save(update_fields=["serial"])
    pages = []
    for name in ("tess", "vic"):
        page = browser.new_context(**PHONE_740).new_page()
        log_in(page, live_server, name, PASSWORD)
        page.goto(f"{live_server.url}{server.get_absolute_url()}")
        pages.append(page)
    first, second = pages

    assert first.get_by_text("its tags cannot be applied until two people read it").is_visible()
    assert first.evaluate("document.documentElement.scrollWidth") <= 360
    small = first.evaluate(TARGETS_TOO_SMALL)
    assert small == [], "\n".join(str(t) for t in small)
    screenshot(first, "serial-reading-first-phone-360")
    first.get_by_label("Serial number on the chassis").fill("CZ2300X001")
    first.get_by_role("button", name="Record my reading").click()
    said = first.get_by_text("Your reading is recorded")
    assert said.is_visible() and in_viewport(first, said)
    assert first.get_by_role("button", name="Record my reading").count() == 0
    screenshot(first, "serial-reading-waiting-phone-360")

    second.reload()
    assert second.get_by_text("Read once at the rack, by tess").is_visible()
    assert "CZ2300X001" not in second.content()
    second.get_by_label("Serial number on the chassis").fill("cz2300x001")
    second.get_by_role("button", name="Record my reading").click()
    agreed = second.get_by_text("Both readings agree")
    assert agreed.is_visible() and in_viewport(second, agreed)
    assert second.get_by_text("read at the rack by tess and vic").is_visible()
    assert "CZ2300X001" not in second.content()
    screenshot(second, "serial-reading-agreed-phone-360")
    for page in pages:
        page.context.close()
