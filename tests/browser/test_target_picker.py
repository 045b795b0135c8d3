"""The target picker on a phone and at a desk: search the inventory, add what the work touches."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from inventory.models import Device, DeviceKind, Port
from tests.builders.browser import TARGETS_TOO_SMALL, log_in, screenshot
from tests.builders.people import PASSWORD, make_user
from tests.builders.sites import build_redundant_site
from tests.builders.windows import make_window

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("size", ["phone", "wide"])
def test_a_requester_finds_a_port_with_spaces_and_adds_it_as_a_target(live_server, request, size):
    context = request.getfixturevalue(size)
    rex = make_user("rex", Role.TECH)
    site = build_redundant_site()
    panel = Device.objects.create(site=site.site, name="pp-row3", kind=DeviceKind.PATCH_PANEL)
    for n in (1, 2, 10):
        Port.objects.create(device=panel, name=f"Port {n}", kind="front_port")
    window = make_window(rex, site.site)
    page = context.new_page()
    log_in(page, live_server, "rex", PASSWORD)
    page.goto(f"{live_server.url}{window.get_absolute_url()}")

    page.get_by_label(f"Find a device or port at {site.site.code}").fill("pp-row3 port")
    # Results arrive as the words are typed (htmx), in counting order.
    results = page.locator("#picks .pick-name strong")
    results.first.wait_for(timeout=5000)
    assert results.all_inner_texts() == ["pp-row3 Port 1", "pp-row3 Port 2", "pp-row3 Port 10"]
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off the side
    if size == "phone":
        small = [t for t in page.evaluate(TARGETS_TOO_SMALL) if "pick" in t["el"] or "find" in t["el"]]
        assert small == []
    screenshot(page, f"target-picker-{size}")

    row = page.locator(".pick-row").filter(has_text="pp-row3 Port 10")
    row.get_by_label("Action on pp-row3 Port 10").select_option("unplug")
    row.get_by_role("button", name="Add").click()
    page.wait_for_load_state()

    assert page.get_by_text("Added: unplug pp-row3 Port 10.").is_visible()
    assert [str(t) for t in window.targets.all()] == ["unplug pp-row3 Port 10"]
    screenshot(page, f"target-added-{size}")
