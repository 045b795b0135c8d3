"""The status pages as a customer sees them on a 360 px phone, without logging in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.models import StatusLink
from inventory.models import Customer
from maintenance.models import TargetAction, Window
from tests.browser.conftest import screenshot
from tests.browser.test_phone_follows_the_work import in_viewport, small_controls
from tests.checklists.conftest import build_scene, users

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_public_and_a_private_page_on_a_phone(live_server, phone_740):
    scene = build_scene(
        start=False, targets=lambda site: [(TargetAction.UNPLUG, site.port(site.sw_a, "Eth1/2"))]
    )
    Window.objects.filter(pk=scene.window.pk).update(
        customer_summary="Network upgrade: your site may be offline for up to 10 minutes.",
        planned_start=timezone.now() - timedelta(minutes=5),
    )
    scene.window.refresh_from_db()
    scene.window.start(by=users()["tess"])

    page = phone_740.new_page()
    page.goto(f"{live_server.url}/status/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert in_viewport(page, ".status-banner")
    assert "Maintenance under way" in page.locator(".status-banner").inner_text()
    assert small_controls(page) == []
    main = page.locator("main").inner_text()
    assert "Beta" not in main and "Acme" not in main
    screenshot(page, "issue12-status-public-360x740")

    link = StatusLink.current(Customer.objects.get(name="Beta"))
    page.goto(f"{live_server.url}/status/c/{link.token}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert "Beta" in page.locator(".components").inner_text()
    assert "Under maintenance" in page.locator(".components").inner_text()
    assert small_controls(page) == []
    screenshot(page, "issue12-status-private-360x740")


def test_following_a_site_by_e_mail_on_a_phone(live_server, phone_740):
    scene = build_scene(
        start=False, targets=lambda site: [(TargetAction.UNPLUG, site.port(site.sw_a, "Eth1/2"))]
    )
    page = phone_740.new_page()
    page.goto(f"{live_server.url}/status/sites/{scene.site.site.code}/")
    page.get_by_role("link", name="Notices about Los Angeles 1 by e-mail").click()
    page.get_by_label("Your e-mail address").fill("not an address")
    page.get_by_role("button", name="Send me a confirmation link").click()
    assert page.locator(".field-error").is_visible()
    screenshot(page, "issue12-subscribe-error-360x740")
    page.get_by_label("Your e-mail address").fill("follower@example.org")
    page.get_by_role("button", name="Send me a confirmation link").click()
    page.get_by_text("Check your inbox.").wait_for()
    assert in_viewport(page, ".alert-good")
    assert small_controls(page) == []
    screenshot(page, "issue12-subscribe-asked-360x740")


def test_an_incident_on_the_desk_and_on_the_public_page(live_server, phone_740, browser):
    from accounts.roles import Role
    from incidents.models import Impact, Incident
    from tests.browser.conftest import log_in
    from tests.conftest import PASSWORD, make_user

    scene = build_scene(targets=lambda site: [(TargetAction.UNPLUG, site.port(site.sw_a, "Eth1/2"))])
    cora = make_user("cora", Role.COORDINATOR)
    incident = Incident.declare(
        by=cora,
        site=scene.site.site,
        title="Websites unreachable",
        impact=Impact.MAJOR,
        message="We are investigating reports that some websites are unreachable.",
        services=list(scene.run.approved_services),
        window=scene.window,
        started_at=timezone.now() - timedelta(minutes=20),
    )
    desk = browser.new_context(viewport={"width": 1440, "height": 900})
    page = desk.new_page()
    log_in(page, live_server, "cora", PASSWORD)
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    # The words follow the chosen state while untouched; typed words are the coordinator's.
    page.get_by_label("State").select_option("identified")
    assert page.get_by_label("Update to customers").input_value().startswith("We have found the cause")
    page.get_by_label("Update to customers").fill("A cable was unplugged by mistake; we are putting it back.")
    page.get_by_label("State").select_option("monitoring")
    assert page.get_by_label("Update to customers").input_value().startswith("A cable was unplugged")
    page.get_by_label("State").select_option("identified")
    page.get_by_role("button", name="Post to the status pages and send").click()
    page.get_by_text("Update posted").wait_for()
    # Better than feared: a partial outage, on the service that has it.
    impact = page.locator("form", has=page.get_by_role("button", name="Change the impact"))
    impact.get_by_role("checkbox").first.check()
    impact.get_by_label("Impact now").select_option("partial_outage")
    impact.get_by_role("button", name="Change the impact").click()
    page.get_by_text("Impact now partial outage on 1 service(s).").wait_for()
    assert "Partial outage" in page.locator("main").inner_text()
    screenshot(page, "issue12-incident-desk-1440")

    phone = phone_740.new_page()
    phone.goto(f"{live_server.url}/status/")
    main = phone.locator("main").inner_text()
    assert "0 of 1 affected services restored" in main
    # The worst of what applies: an open partial outage outweighs the maintenance under way.
    assert "Partial outage" in phone.locator(".status-banner").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "issue12-incident-public-360x740")

    restore = page.locator("form", has=page.get_by_role("button", name="Mark restored"))
    restore.get_by_role("checkbox").first.check()
    restore.get_by_role("button", name="Mark restored").click()
    page.get_by_text("1 service(s) marked restored.").wait_for()
    assert "1 of 1" in page.locator("main").inner_text()
    desk.close()
    phone.reload()
    assert "1 of 1 affected services restored" in phone.locator("main").inner_text()
    # Restored: the incident stays open (monitoring is the coordinator's call), the outage is over.
    assert "Maintenance under way" in phone.locator(".status-banner").inner_text()
    screenshot(phone, "issue12-incident-restored-public-360x740")
