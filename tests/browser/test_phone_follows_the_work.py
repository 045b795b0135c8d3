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
from tests.browser.conftest import SCREENSHOTS, log_in, screenshot
from tests.checklists.conftest import build_scene, finish_steps_before, users
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IDENTITY, HOLD = 3, 4


def first_screen(page, name: str) -> None:
    """What the tech sees without scrolling (a full-page picture would misplace the sticky action bar)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] >= 0


def small_controls(page) -> list[str]:
    """Every visible control smaller than 44 px either way (a checkbox: its label), by its text."""
    return page.evaluate(
        """() => [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')]
          .filter(el => el.offsetParent !== null && !el.closest('.skip-link') && !el.classList.contains('skip-link'))
          // Inside a closed <details> only its summary shows.
          .filter(el => el.tagName === 'SUMMARY' || !el.closest('details:not([open])'))
          // A checkbox is hit through its label: the label is the target that must be a thumb's size.
          .map(el => [el, (['checkbox', 'radio'].includes(el.type) && el.closest('label') || el).getBoundingClientRect()])
          .filter(([el, r]) => r.height < 44 || r.width < 44)
          .map(([el, r]) => `${el.tagName} "${(el.textContent || el.name || '').trim().slice(0, 40)}" ${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )


def test_a_stop_comes_to_the_tech_names_the_label_and_stays_until_she_says_she_stopped(
    live_server, phone_740
):
    scene = build_scene()
    finish_steps_before(scene, IDENTITY)
    tess = phone_740.new_page()
    log_in(tess, live_server, "tess", PASSWORD)
    tess.goto(f"{live_server.url}{scene.step(IDENTITY).get_absolute_url()}")
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
    tess.wait_for_timeout(7000)  # two of the panel's refreshes
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
    finish_steps_before(scene, HOLD)
    tess = phone_740.new_page()
    log_in(tess, live_server, "tess", PASSWORD)
    tess.goto(f"{live_server.url}{scene.step(HOLD).get_absolute_url()}")
    tess.get_by_text("Wait for the approver").wait_for()

    ada = wide.new_page()
    log_in(ada, live_server, "ada", PASSWORD)
    ada.goto(f"{live_server.url}{scene.step(HOLD).get_absolute_url()}")
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
