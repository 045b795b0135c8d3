"""Search on a phone: a tech's guessed serial finds nothing and says why; an approver looks it up with a
reason and sees it, recorded."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from audit.models import AuditEvent
from tests.builders.browser import log_in, screenshot
from tests.builders.people import PASSWORD, make_user
from tests.builders.sites import build_small_site

pytestmark = pytest.mark.django_db(transaction=True)

SERIAL = "FDO2231X0AA"  # sw-a's


def test_a_tech_searching_a_serial_finds_nothing_and_an_approver_looks_it_up_on_purpose(
    live_server, phone_740
):
    make_user("tess", Role.TECH)
    make_user("ada", Role.APPROVER)
    build_small_site()

    tess = phone_740.new_page()
    log_in(tess, live_server, "tess", PASSWORD)
    tess.goto(f"{live_server.url}/inventory/")
    tess.get_by_role("searchbox").fill(SERIAL)
    tess.get_by_role("button", name="Search").click()
    assert tess.get_by_text("Search finds names, never serials or tag codes.").is_visible()
    assert tess.get_by_role("link", name="sw-a").count() == 0
    assert tess.get_by_text("up as a serial or tag code").count() == 0
    assert tess.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(tess, "search-serial-tech-phone-360")
    phone_740.clear_cookies()

    ada = phone_740.new_page()
    log_in(ada, live_server, "ada", PASSWORD)
    ada.goto(f"{live_server.url}/inventory/?q={SERIAL}")
    ada.get_by_text(f"Look “{SERIAL}” up as a serial or tag code (recorded)").click()
    ada.get_by_label("Why you need to look it up").fill("support call from the vendor")
    screenshot(ada, "search-serial-approver-form-phone-360")
    ada.get_by_role("button", name="Look it up").click()
    assert ada.get_by_role("link", name="sw-a").is_visible()
    assert ada.get_by_text(SERIAL).first.is_visible()
    assert ada.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(ada, "search-serial-approver-found-phone-360")
    assert AuditEvent.objects.filter(action="inventory.revealed", actor__username="ada").count() == 1
