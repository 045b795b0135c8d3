"""The rack's Labels panel on a 360px phone and on a desk: tess starts a label audit from the rack and lands
on its first step; after a clean audit the rack says when and by whom; ada, at her desk, sends vic."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from checklists.execution import scan
from checklists.models import Run
from inventory.models import Device, Rack, Tag
from tests.builders.browser import TARGETS_TOO_SMALL, log_in, screenshot
from tests.builders.people import PASSWORD, make_user
from tests.builders.people import phone as on_phone_of
from tests.builders.sites import build_redundant_site

pytestmark = pytest.mark.django_db(transaction=True)


def labelled_a01(by) -> Rack:
    lax1 = build_redundant_site()
    for device in Device.objects.filter(site=lax1.site).exclude(name="web01"):  # web01's label is not printed
        tag = Tag.issue(device, by=by)
        tag.commission(serial=device.serial, by=by)
    return Rack.objects.get(name="A01")


def test_a_tech_starts_a_label_audit_from_the_rack_on_her_phone(live_server, phone_740):
    tess = make_user("tess", Role.TECH)
    a01 = labelled_a01(tess)
    page = phone_740.new_page()
    log_in(page, live_server, "tess", PASSWORD)

    page.goto(f"{live_server.url}{a01.get_absolute_url()}")
    assert page.get_by_text("Labels never proven").is_visible()
    assert page.get_by_text("1 device here carries no label").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The panel's own targets are big enough for a gloved thumb (the device table's pick boxes are not ours).
    assert [t for t in page.evaluate(TARGETS_TOO_SMALL) if 'name="device"' not in t["el"]] == []
    screenshot(page, "rack-labels-never-proven-phone-360")

    page.get_by_role("button", name="Start a label audit of this rack").click()
    page.wait_for_load_state()
    assert page.get_by_text("Scan the label on sw-a").first.is_visible()
    screenshot(page, "label-audit-first-step-phone-360")

    # Her list of today's work leads back to it.
    page.goto(f"{live_server.url}/tech/")
    assert page.get_by_role("link", name="Scan the label on sw-a").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(TARGETS_TOO_SMALL) == []
    screenshot(page, "tech-today-label-audit-phone-360")

    run = Run.objects.get()
    for step in run.sequence():
        code = Tag.objects.live().get(device=step.device).code
        assert scan(step, who=on_phone_of(tess), raw=code, serial=step.device.serial).matched
    page.goto(f"{live_server.url}{a01.get_absolute_url()}")
    assert page.get_by_text("✓ Labels proven").is_visible()
    assert page.get_by_text("by tess").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "rack-labels-proven-phone-360")

    # The site's page lists each rack's labels: A01 proven, B01 never.
    page.goto(f"{live_server.url}/inventory/sites/LAX1/")
    assert page.get_by_text("LAX1 rack B01 has never had a label audit").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "site-labels-phone-360")


def test_an_approver_sends_a_tech_to_audit_the_rack_from_her_desk(live_server, desktop):
    ada = make_user("ada", Role.APPROVER)
    vic = make_user("vic", Role.TECH)
    a01 = labelled_a01(ada)
    page = desktop.new_page()
    log_in(page, live_server, "ada", PASSWORD)

    page.goto(f"{live_server.url}{a01.get_absolute_url()}")
    page.get_by_label("Who walks the rack").select_option(str(vic.pk))
    screenshot(page, "rack-labels-desktop")
    page.get_by_role("button", name="Start a label audit of this rack").click()
    page.wait_for_load_state()

    run = Run.objects.get()
    assert list(run.people.all()) == [vic] and page.url.endswith(run.get_absolute_url())
    page.goto(f"{live_server.url}{a01.get_absolute_url()}")
    assert page.get_by_role("link", name=f"Audit under way: {run.title}").is_visible()
    assert page.get_by_role("button", name="Start another label audit of this rack").is_visible()
    screenshot(page, "rack-labels-audit-under-way-desktop")


def test_the_approver_reads_the_labels_doubt_and_puts_the_audit_first(live_server, desktop):
    from maintenance.models import TargetAction
    from tests.builders.windows import make_window

    ada = make_user("ada", Role.APPROVER)
    rex = make_user("rex", Role.TECH)
    labelled_a01(ada)
    window = make_window(rex, Rack.objects.get(name="A01").site)
    window.add_target(by=rex, action=TargetAction.POWER_OFF, device=Device.objects.get(name="sw-a"))
    window.submit(by=rex)
    page = desktop.new_page()
    log_in(page, live_server, "ada", PASSWORD)

    page.goto(f"{live_server.url}{window.get_absolute_url()}")
    assert page.get_by_text("LAX1 rack A01 has never had a label audit").is_visible()
    screenshot(page, "window-labels-not-proven-desktop")
    page.get_by_role("button", name="Put a label audit of A01 first in the runbook").click()
    page.wait_for_load_state()
    assert page.get_by_text("Its runbook starts with a label audit of A01").is_visible()
    assert page.get_by_role("button", name="Approve").is_visible()  # information, never a refusal
