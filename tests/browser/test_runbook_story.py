"""The story end to end, in real Chromium: two techs on two phones (two browser contexts, each with a camera
that sees one QR label) run a window whose runbook unplugs a port on switch sw-a. At the wrong switch the
camera reads the swapped label of sw-b: the step is blocked and the approver's board shows it. After the
approver resolves it, both techs scan the right switch, the step is cleared, signed by both and complete.
A tap made without a connection waits in the page, says so, and is sent when the connection is back."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from checklists.models import RunStatus, StepStatus
from inventory.models import Discrepancy, DiscrepancyStatus
from tests.browser.fakecam import make_qr_y4m
from tests.builders.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, log_in, screenshot
from tests.builders.people import PASSWORD
from tests.builders.scenes import DESTRUCTIVE, HOLD, IDENTITY, build_scene, finish_steps_before

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def camera_seeing(browser, tmp_path):
    """camera_seeing(url) -> a phone context whose camera sees the QR of `url`; each its own Chromium."""
    launched = []

    def open_phone(url: str):
        video = make_qr_y4m(url, tmp_path / f"qr-{len(launched)}.y4m")
        chromium = browser.browser_type.launch(
            executable_path=CHROMIUM,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        launched.append(chromium)
        return chromium.new_context(**PHONE, permissions=["camera"])

    yield open_phone
    for chromium in launched:
        chromium.close()


def tap(page, name: str) -> None:
    page.get_by_role("button", name=name).click()


def wait_for_text(page, text: str, timeout: float = 15_000) -> None:
    page.get_by_text(text).first.wait_for(timeout=timeout)


def scan_with_camera(page, serial: str | None = None) -> None:
    if serial is not None:
        page.get_by_label("Serial on the chassis (or its last 6)").fill(serial)
    tap(page, "Scan with camera")


def test_the_swapped_label_is_caught_then_two_techs_clear_and_sign_the_unplug(
    live_server, camera_seeing, desktop
):
    scene = build_scene()
    wrong = f"https://lockstep.example/t/{scene.tag_for('sw-b Eth1/1')}"
    right = f"https://lockstep.example/t/{scene.tag_for('sw-a Eth1/1')}"

    # Tess, at the wrong switch: her camera sees sw-b's port label.
    tess = camera_seeing(wrong).new_page()
    log_in(tess, live_server, "tess", PASSWORD)
    tess.get_by_role("link", name="Step 1: Check in at the rack").click()
    tap(tess, "Done")
    wait_for_text(tess, "Signed: done.")
    tess.get_by_role("link", name="Next: step 2").click()
    tap(tess, "Done")  # the rollback plan agreed
    wait_for_text(tess, "Signed: done.")
    tess.get_by_role("link", name="Next: step 3").click()
    screenshot(tess, "step-identity-check-phone-360")
    scan_with_camera(tess)
    wait_for_text(tess, "Mismatch: STOP")
    assert "You scanned the label of sw-b Eth1/1" in tess.locator("#step-panel").inner_text()
    screenshot(tess, "scan-mismatch-phone-360")
    assert scene.run.__class__.objects.get(pk=scene.run.pk).status == RunStatus.HELD

    # Ada's board shows it at once (it refreshes itself); she resolves it.
    board = desktop.new_page()
    log_in(board, live_server, "ada", PASSWORD)
    board.goto(f"{live_server.url}/approvals/board/")
    wait_for_text(board, "Discrepancy:")
    screenshot(board, "board-discrepancy-desktop")
    board.get_by_role("link", name="Resolve").click()
    board.get_by_label("How was it resolved?").fill(
        "sw-a and sw-b labels were swapped; corrected and re-audited"
    )
    tap(board, "Resolve and let the work go on")
    wait_for_text(board, "Resolved.")
    assert Discrepancy.objects.get().status == DiscrepancyStatus.RESOLVED

    # Tess moves to the right switch: now her camera sees sw-a's label.
    tess = camera_seeing(right).new_page()
    log_in(tess, live_server, "tess", PASSWORD)
    tess.goto(f"{live_server.url}{scene.step(kind=IDENTITY).get_absolute_url()}")
    scan_with_camera(tess)
    wait_for_text(tess, "✓ Match")
    screenshot(tess, "scan-match-phone-360")

    # The hold point: ada releases it.
    board.goto(f"{live_server.url}{scene.step(kind=HOLD).get_absolute_url()}")
    tap(board, "Release this hold point")
    wait_for_text(board, "Hold point released.")

    # The unplug: tess scans and types the serial, then waits for a second tech.
    tess.goto(f"{live_server.url}{scene.step(kind=DESTRUCTIVE).get_absolute_url()}")
    scan_with_camera(tess, serial="SN-sw-a")
    wait_for_text(tess, "Waiting for a second tech")
    screenshot(tess, "destructive-waiting-for-verifier-phone-360")

    # Vic, on his own phone, scans the same asset independently.
    vic = camera_seeing(right).new_page()
    log_in(vic, live_server, "vic", PASSWORD)
    vic.goto(f"{live_server.url}{scene.step(kind=DESTRUCTIVE).get_absolute_url()}")
    assert "Verify independently" in vic.locator("#step-panel").inner_text()
    scan_with_camera(vic, serial="sw-a")  # too short: not the serial, nor its last six
    wait_for_text(vic, "Mismatch: STOP")
    # That was a mistyped serial, not a wrong switch: ada resolves it. The mismatch voided tess's scan too
    # (it could have been made at the same wrong chassis), so both scan again, in order: tess, then vic.
    resolve_latest(board, live_server, "Verifier mistyped the serial; re-checked")
    tess.goto(f"{live_server.url}{scene.step(kind=DESTRUCTIVE).get_absolute_url()}")
    assert "voided" in tess.locator("#step-panel").inner_text()
    scan_with_camera(tess, serial="SN-sw-a")
    wait_for_text(tess, "Waiting for a second tech")
    vic.goto(f"{live_server.url}{scene.step(kind=DESTRUCTIVE).get_absolute_url()}")
    scan_with_camera(vic, serial="SN-sw-a")
    wait_for_text(vic, "Cleared")

    # Both phones show "cleared"; tess's page was polling and now offers her signature.
    wait_for_text(tess, "I did it: sign done")
    screenshot(tess, "destructive-cleared-phone-360")
    tap(tess, "I did it: sign done")
    wait_for_text(tess, "Now the verifier signs")
    vic.reload()
    tap(vic, "I saw it done on this asset: sign verified")
    wait_for_text(vic, "Verified. Step complete.")
    step = scene.step(kind=DESTRUCTIVE)
    assert step.status == StepStatus.COMPLETE
    assert (step.performer.username, step.verifier.username) == ("tess", "vic")
    # The page's camera filled the code in, and said so with it.
    assert set(step.scans.values_list("method", flat=True)) == {"camera"}

    # Step 6 with no connection: the tap waits in the page, says so, and goes when the connection is back.
    tess.goto(f"{live_server.url}{scene.step(6).get_absolute_url()}")
    tess.context.set_offline(True)
    tap(tess, "Done")
    wait_for_text(tess, "Waiting to send 1 tap")
    screenshot(tess, "waiting-to-send-phone-360")
    assert scene.step(6).status == StepStatus.PENDING
    tess.context.set_offline(False)
    wait_for_text(tess, "Signed: done.")
    assert scene.step(6).status == StepStatus.COMPLETE


def resolve_latest(page, live_server, resolution: str) -> None:
    latest = Discrepancy.objects.filter(status=DiscrepancyStatus.OPEN).latest("pk")
    page.goto(f"{live_server.url}/discrepancies/{latest.pk}/")
    page.get_by_label("How was it resolved?").fill(resolution)
    tap(page, "Resolve and let the work go on")
    wait_for_text(page, "Resolved.")


def test_a_tap_queued_offline_survives_closing_the_page(live_server, phone):
    scene = build_scene()
    page = phone.new_page()
    log_in(page, live_server, "tess", PASSWORD)
    page.goto(f"{live_server.url}{scene.step(1).get_absolute_url()}")
    phone.set_offline(True)
    tapped = timezone.now()
    tap(page, "Done")
    wait_for_text(page, "Waiting to send 1 tap")
    # A real interval, the point of the story: a tap that waited over 5 s says when it was made (taps.js), so
    # the record can show both times. No page event marks it; the phone's clock must really move on.
    page.wait_for_timeout(6000)
    page.close()
    assert scene.step(1).status == StepStatus.PENDING
    phone.set_offline(False)
    # Opening Lockstep again sends what was waiting: nothing signed is lost.
    again = phone.new_page()
    again.goto(f"{live_server.url}{scene.step(2).get_absolute_url()}")
    # The queue empties once the server has answered the tap.
    again.wait_for_function(
        "() => JSON.parse(localStorage.getItem('lockstep.taps.v1') || '[]').length === 0", timeout=15_000
    )
    assert scene.step(1).status == StepStatus.COMPLETE
    # The record keeps the server's time of signing and, beside it, when the phone says the tap was made.
    signed = AuditEvent.objects.get(action="step.signed", object_id=str(scene.step(1).pk))
    queued = datetime.fromisoformat(signed.payload["queued_on_phone_at"])
    assert abs(queued - tapped) < timedelta(seconds=3)
    assert signed.created_at - queued > timedelta(seconds=5)


def test_the_phone_cameras_own_app_hands_the_scan_to_the_open_step(live_server, phone):
    """The camera app opens https://HOST/t/CODE in the browser, where the tech is logged in with step 3 open:
    the scan is offered to that step, one tap away (never sent by itself: a tech who only wanted to look
    an asset up must not hold the work by accident)."""
    scene = build_scene()
    finish_steps_before(scene, kind=IDENTITY)
    page = phone.new_page()
    log_in(page, live_server, "tess", PASSWORD)
    page.goto(f"{live_server.url}{scene.step(kind=IDENTITY).get_absolute_url()}")
    page.goto(f"{live_server.url}/t/{scene.tag_for('sw-a Eth1/1')}")
    tap(page, "Check this tag for step 3")
    wait_for_text(page, "✓ Match")
    screenshot(page, "camera-app-handoff-match-phone-360")
    assert scene.step(kind=IDENTITY).status == StepStatus.COMPLETE
    assert page.url.endswith(scene.step(kind=IDENTITY).get_absolute_url())
