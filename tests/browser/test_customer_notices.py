"""What customers were told, as the people who tell them see it: the tech's one-tap update on a 360 px
phone, the step that counts its messages sent, and the coordinator's outbox on the desk."""

from __future__ import annotations

from unittest import mock

import pytest

from comms.models import Delivery, DeliveryState
from tests.builders.browser import in_viewport, log_in, screenshot, small_controls
from tests.builders.people import PASSWORD, contacts, make_user
from tests.builders.scenes import IDENTITY, build_scene, finish_steps_before, unplug_web02
from tests.builders.workers import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_one_tap_update_from_the_phone_reaches_the_outbox_sent(live_server, phone_740, wide):
    from accounts.roles import Role

    contacts()
    scene = build_scene(targets=unplug_web02)
    finish_steps_before(scene, kind=IDENTITY)
    tess = phone_740.new_page()
    log_in(tess, live_server, "tess", PASSWORD)
    tess.goto(f"{live_server.url}{scene.run.get_absolute_url()}")
    tess.get_by_text("Tell customers how it is going").click()
    assert small_controls(tess) == []
    screenshot(tess, "issue12-tell-customers-360x740")
    tess.get_by_role("button", name="Work has started").click()
    verdict = tess.get_by_text("Update queued: 2 e-mails to customers.")
    verdict.wait_for()
    # The answer is brought to the top of the screen (the page is written anew, then its script scrolls).
    tess.wait_for_function(
        "() => { const r = document.querySelector('[data-verdict]').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= innerHeight; }",
        timeout=3000,
    )
    assert in_viewport(tess, "[data-verdict]")
    screenshot(tess, "issue12-update-queued-360x740")

    # The approval's notice fails for one address (its mail server refuses), the rest go out.
    real_send = __import__("django.core.mail", fromlist=["EmailMessage"]).EmailMessage.send

    def refuse_cto(message, *args, **kwargs):
        if message.to == ["cto@beta.example"]:
            raise ConnectionRefusedError("550 mailbox unavailable")
        return real_send(message, *args, **kwargs)

    with (
        mock.patch("django.core.mail.EmailMessage.send", refuse_cto),
        mock.patch("django.conf.settings.LOCKSTEP_DELIVERY_ATTEMPTS", 1),
    ):
        run_worker()
    cto = Delivery.objects.filter(recipient="cto@beta.example")
    assert set(cto.values_list("state", flat=True)) == {DeliveryState.FAILED}
    ops = Delivery.objects.filter(recipient="ops@beta.example")
    assert set(ops.values_list("state", flat=True)) == {DeliveryState.SENT}

    make_user("cora", Role.COORDINATOR)
    desk = wide.new_page()
    log_in(desk, live_server, "cora", PASSWORD)
    desk.goto(f"{live_server.url}/outbox/")
    assert "Sent to 1 of 2" in desk.locator("main").inner_text()
    # Newest first: the tap's update heads the list.
    assert desk.locator(".notice-card h2").first.inner_text().startswith("Update on maintenance")
    assert desk.locator(".notice-card h2").last.inner_text().startswith("Scheduled maintenance")
    desk.locator("details").first.locator("summary").click()
    screenshot(desk, "issue12-outbox-1440")
    desk.get_by_role("button", name="Send again").first.click()
    desk.get_by_text("Queued again for cto@beta.example.").wait_for()
    run_worker()
    desk.reload()
    assert "Sent to 2 of 2" in desk.locator("main").inner_text()


def test_the_coordinator_previews_an_update_during_a_window(live_server, wide):
    from accounts.roles import Role

    contacts()
    scene = build_scene(targets=unplug_web02)
    make_user("cora", Role.COORDINATOR)
    desk = wide.new_page()
    log_in(desk, live_server, "cora", PASSWORD)
    desk.goto(f"{live_server.url}{scene.window.get_absolute_url()}")
    desk.get_by_role("link", name="Write to the affected customers").click()
    desk.get_by_label("Update to the affected customers").fill(
        "The work is going to plan; we expect to finish on time."
    )
    desk.get_by_role("button", name="Preview").click()
    desk.get_by_text("As an e-mail arrives").wait_for()
    assert "2 e-mail addresses" in desk.locator("main").inner_text()
    screenshot(desk, "issue12-compose-preview-1440")
    desk.get_by_role("button", name="Send it").click()
    desk.get_by_text("Queued to 2 recipient(s)").wait_for()
