"""The tech's phone at 360x740 with touch, the approver's desk at 1440x900: the verdict comes to the tech and
stays, the action is on the first screen, and the phone follows the work done elsewhere without a reload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from checklists.models import STOP_ACKNOWLEDGED, StepStatus
from maintenance.models import Window, WindowStatus
from tests.builders.browser import SCREENSHOTS, in_viewport, log_in, screenshot, small_controls
from tests.builders.people import PASSWORD, users
from tests.builders.scenes import HOLD, IDENTITY, build_scene, finish_steps_before

pytestmark = pytest.mark.django_db(transaction=True)


def first_screen(page, name: str) -> None:
    """What the tech sees without scrolling (a full-page picture would misplace the sticky action bar)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_a_stop_comes_to_the_tech_names_the_label_and_stays_until_she_says_she_stopped(
    live_server, phone_740
):
    scene = build_scene()
    finish_steps_before(scene, kind=IDENTITY)
    tess = phone_740.new_page()
    log_in(tess, live_server, "tess", PASSWORD)
    tess.goto(f"{live_server.url}{scene.step(kind=IDENTITY).get_absolute_url()}")
    # The scan control is on the first screen, whatever the title above it.
    assert in_viewport(tess, "#code") and in_viewport(tess, "#scan-form button[type=submit]")
    assert small_controls(tess) == []
    first_screen(tess, "issue11-identity-first-screen-360x740")

    # A typo: refused where she looks, and what she typed is still there to correct.
    tess.locator("#code").fill("ABCD-EFGH-X")
    tess.get_by_role("button", name="Check").click()
    tess.get_by_text("✕ Not done").wait_for()
    assert in_viewport(tess, "#verdict")
    assert tess.locator("#code").input_value() == "ABCD-EFGH-X"
    first_screen(tess, "issue11-typo-refused-360x740")

    # The wrong switch's label.
    tess.locator("#code").fill(scene.tag_for("sw-b Eth1/1"))
    tess.get_by_role("button", name="Check").click()
    tess.get_by_text("Mismatch: STOP").wait_for()
    words = "You scanned the label of sw-b Eth1/1; this step is sw-a Eth1/1."
    assert in_viewport(tess, "#verdict .verdict-stop")
    assert tess.evaluate("document.activeElement.id") == "verdict"
    first_screen(tess, "issue11-stop-360x740")
    # Two of the panel's refreshes (every 3 s) are answered and handled, and the verdict is still there.
    tess.evaluate(
        """() => { window.panelRefreshes = 0;
                   document.addEventListener("htmx:afterRequest", () => { window.panelRefreshes += 1; }); }"""
    )
    tess.wait_for_function("() => window.panelRefreshes >= 2", timeout=10_000)
    assert words in tess.locator("#verdict").inner_text()
    assert in_viewport(tess, "#verdict .verdict-stop")
    assert scene.tag_for("sw-b Eth1/1") not in tess.content()
    screenshot(tess, "issue11-stop-after-refreshes-360x740")

    tess.get_by_role("button", name="I have stopped").click()
    tess.get_by_text("Recorded: you stopped").wait_for()
    event = AuditEvent.objects.get(action=STOP_ACKNOWLEDGED)
    assert event.actor.username == "tess"
    screenshot(tess, "issue11-stopped-recorded-360x740")


def test_a_hold_point_released_on_the_desk_moves_the_phone_within_3_seconds(live_server, phone_740, wide):
    scene = build_scene()
    finish_steps_before(scene, kind=HOLD)
    tess = phone_740.new_page()
    log_in(tess, live_server, "tess", PASSWORD)
    tess.goto(f"{live_server.url}{scene.step(kind=HOLD).get_absolute_url()}")
    tess.get_by_text("Wait for the approver").wait_for()

    ada = wide.new_page()
    log_in(ada, live_server, "ada", PASSWORD)
    ada.goto(f"{live_server.url}{scene.step(kind=HOLD).get_absolute_url()}")
    ada.get_by_role("button", name="Release this hold point").click()
    ada.get_by_text("Hold point released.").wait_for()
    # The poll runs every 3 s; allow half a second for the request itself.
    tess.get_by_role("link", name="Next: step 5").wait_for(timeout=3500)
    assert in_viewport(tess, ".action-bar a")
    first_screen(tess, "issue11-hold-released-followed-360x740")


def test_start_pause_abort_and_roll_back_from_the_phone_to_the_end(live_server, phone_740):
    scene = build_scene(start=False)
    Window.objects.filter(pk=scene.window.pk).update(planned_start=timezone.now() - timedelta(minutes=1))
    people = users()
    tess = phone_740.new_page()
    log_in(tess, live_server, "tess", PASSWORD)
    tess.goto(f"{live_server.url}{reverse('maintenance:tech_today')}")
    assert small_controls(tess) == []
    tess.get_by_role("button", name="Start window").click()
    # Start goes to step 1 on the phone.
    tess.get_by_text("Check in at the rack").first.wait_for()
    assert tess.url.endswith(scene.step(1).get_absolute_url())
    tess.get_by_role("button", name="Done").click()
    tess.get_by_text("Signed: done.").wait_for()
    tess.get_by_role("link", name="Next: step 2").click()

    # The approver pauses the work elsewhere: the phone says so within a refresh, without a reload.
    window = Window.objects.get(pk=scene.window.pk)
    window.pause(by=people["ada"], reason="Customer asked to wait")
    tess.get_by_text("Paused by an approver").first.wait_for(timeout=4000)
    screenshot(tess, "issue11-paused-360x740")
    tess.goto(f"{live_server.url}{reverse('maintenance:tech_today')}")
    assert "Paused" in tess.locator("main").inner_text()

    # Aborted elsewhere: the phone, open on step 2, goes to the first rollback step by itself.
    tess.goto(f"{live_server.url}{scene.step(2).get_absolute_url()}")
    window.abort(by=people["ada"], reason="Customer asked to stop")
    tess.locator(".progress-line", has_text="Rollback step 1 of 2").wait_for(timeout=4000)
    assert "Customer asked to stop" in tess.locator("#verdict").inner_text()
    assert in_viewport(tess, "#verdict .verdict")
    first_screen(tess, "issue11-abort-followed-to-rollback-360x740")
    assert "power_off" not in tess.content() and "poweroff" not in tess.content()

    # Today's work keeps the aborted window, with its rollback steps counted on their own.
    tess.goto(f"{live_server.url}{reverse('maintenance:tech_today')}")
    assert "Rolling back" in tess.locator("main").inner_text()
    screenshot(tess, "issue11-today-rolling-back-360x740")
    tess.get_by_role("link", name="Rollback step 1").click()
    assert "Rollback step 1 of 2" in tess.locator(".progress-line").inner_text()
    tess.get_by_role("button", name="Done").click()
    tess.get_by_text("Signed: done.").wait_for()
    tess.get_by_role("link", name="Next: rollback step 2").click()
    assert "Rollback step 2 of 2" in tess.locator(".progress-line").inner_text()
    tess.get_by_role("button", name="Send this update to customers").click()
    # The last rollback step leads straight to finishing the rollback, on the same screen.
    finish = tess.get_by_role("button", name="Finish the rollback")
    finish.wait_for()
    assert in_viewport(tess, ".action-bar button")
    first_screen(tess, "issue11-finish-rollback-360x740")
    finish.click()
    tess.get_by_text("rolled back: its runbook is closed").wait_for()
    window.refresh_from_db()
    assert window.status == WindowStatus.ABORTED and not window.is_live
    assert all(s.status == StepStatus.COMPLETE for s in scene.run.steps.filter(is_rollback=True))
