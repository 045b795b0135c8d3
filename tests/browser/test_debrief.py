"""A debrief held in a real browser: opened from the incident, answered, an action agreed; the timeline shows
when customers were told. On the desk and on a phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from debriefs.models import Debrief
from incidents.models import Impact, Incident
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_phone_follows_the_work import small_controls
from tests.checklists.conftest import build_scene
from tests.comms.conftest import contacts, run_worker, unplug_web02
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_debrief_is_opened_answered_and_given_an_action(live_server, wide, phone_740):
    contacts()
    cora = make_user("cora", Role.COORDINATOR, first_name="Cora", last_name="Coordinator")
    scene = build_scene(targets=unplug_web02)
    incident = Incident.declare(
        by=cora,
        site=scene.site.site,
        title="Websites unreachable",
        impact=Impact.MAJOR,
        message="We are investigating reports that websites are unreachable.",
        services=list(scene.run.approved_services),
        window=scene.window,
        started_at=timezone.now() - timedelta(minutes=50),
    )
    run_worker()
    incident.restore(by=cora, services=list(scene.run.approved_services))

    desk = wide.new_page()
    log_in(desk, live_server, "cora", PASSWORD)
    desk.goto(f"{live_server.url}{incident.get_absolute_url()}")
    desk.get_by_role("button", name="Hold the debrief").click()
    desk.get_by_role("heading", name=f"Debrief of {incident.reference}: Websites unreachable").wait_for()
    timeline = desk.locator(".debrief-timeline").inner_text()
    assert "Incident declared" in timeline and "Customers told: incident update" in timeline
    assert "sent to 2 of 2" in timeline
    numbers = desk.locator(".debrief-impact").inner_text()
    assert "1 service down · 1 customer" in numbers and "customers first told" in numbers

    desk.get_by_label("Summary").fill("A port on the wrong switch was unplugged during a planned change.")
    desk.get_by_label("What went well").fill("The first update reached every customer within minutes.")
    desk.get_by_role("button", name="Save the debrief").click()
    desk.get_by_text("Saved: summary, what went well.").wait_for()
    desk.get_by_label("What will change").fill("Audit the labels on both switches before any switch work")
    desk.get_by_label("Owner").select_option(label="Cora Coordinator")
    desk.get_by_label("Due").fill(f"{timezone.localdate() + timedelta(days=14):%Y-%m-%d}")
    desk.get_by_label("Checklist it changes (optional)").select_option(index=1)
    desk.get_by_role("button", name="Add the action").click()
    desk.get_by_text("Action added.").wait_for()
    assert "Done when a version of “Standard change” newer than" in desk.locator("main").inner_text()
    desk.reload()
    assert "The first update reached every customer" in desk.get_by_label("What went well").input_value()
    screenshot(desk, "issue13-debrief-1440")
    assert Debrief.objects.get().actions.count() == 1

    # The lesson goes into the checklist (an approver's change), and the action is done with it.
    approver = wide.browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    log_in(approver, live_server, "ada", PASSWORD)
    approver.goto(
        f"{live_server.url}{desk.get_by_role('link', name='Change the checklist').get_attribute('href')}"
    )
    approver.get_by_label("Kind of step").select_option("identity_check")
    approver.get_by_label("Title").fill("Audit the label on {asset}")
    approver.get_by_label("An identity check asks for the chassis serial too").check()
    approver.get_by_label("Put it after step (0: first)").fill("1")
    approver.get_by_label("Why (the debrief's action, for example)").fill(f"Debrief of {incident.reference}")
    approver.get_by_role("button", name="Publish with this step").click()
    approver.get_by_text("runbooks built from now on follow it").wait_for()
    screenshot(approver, "issue13-checklist-revised-1440")
    desk.reload()
    desk.get_by_role("button", name="carries it").click()
    desk.get_by_text("Done: Audit the labels").wait_for()
    assert "Runbooks built from it since: none yet." in desk.locator("main").inner_text()

    # The report: drafted from the debrief, published to everyone, read on a phone as a customer would.
    desk.get_by_label("What happened").fill(
        "During planned work a cable was unplugged from the wrong switch."
    )
    desk.get_by_label("What we did").fill("We plugged it back within the hour and checked every service.")
    desk.get_by_label("Who reads it").select_option("public")
    assert "This was our mistake" in desk.get_by_label("Our responsibility").input_value()
    desk.get_by_role("button", name="Publish to the status pages").click()
    desk.get_by_text("Report published (revision 1)").wait_for()
    reader = phone_740.browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    ).new_page()
    reader.goto(f"{live_server.url}/status/")
    report = reader.locator(".incident-report")
    assert "During planned work a cable was unplugged" in report.inner_text()
    assert "This was our mistake" in report.inner_text()
    assert reader.evaluate("document.documentElement.scrollWidth") <= 360
    report.scroll_into_view_if_needed()
    screenshot(reader, "issue13-report-public-360x740")

    phone = phone_740.new_page()
    log_in(phone, live_server, "cora", PASSWORD)
    phone.goto(f"{live_server.url}{Debrief.objects.get().get_absolute_url()}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert small_controls(phone) == []
    screenshot(phone, "issue13-debrief-360x740")
    phone.goto(f"{live_server.url}/debriefs/")
    assert (
        "Audit the labels on both switches" not in phone.locator("main").inner_text().split("All debriefs")[0]
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert small_controls(phone) == []
    screenshot(phone, "issue13-debriefs-360x740")
