"""The seed's outage, planned: two windows on the two halves of one redundant pair. In Chromium, ada approves
the second only by naming Acme's site and saying why; at the rack the second cut waits, on the tech's phone
and on ada's board, until the first is put back."""

from __future__ import annotations

import pytest

from maintenance.models import WindowStatus
from tests.builders.browser import log_in, screenshot
from tests.builders.pairs import build_pair, clear_b, cut_a, running_pair
from tests.builders.people import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_second_half_is_approved_only_with_a_named_override(live_server, desktop):
    from datetime import timedelta

    pair = build_pair(b_starts_in=timedelta(hours=0))
    pair.a.submit(by=pair.people["rex"])
    pair.a.approve(by=pair.people["ada"], comment="sw-a")
    pair.b.submit(by=pair.people["rex"])
    page = desktop.new_page()
    log_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}{pair.b.get_absolute_url()}")
    assert page.get_by_text("Approving needs an override").is_visible()
    screenshot(page, "override-needed-desktop")

    page.get_by_role("button", name="Approve").click()
    assert page.get_by_text("Both halves of a redundant pair would be cut").is_visible()
    pair.b.refresh_from_db()
    assert pair.b.status == WindowStatus.SUBMITTED

    page.get_by_label("Acme: acme-LAX1").check()
    page.get_by_label("Why approve anyway").fill("Vendor engineer on site tonight only")
    page.get_by_role("button", name="Approve").click()
    assert page.get_by_text("Approved over a redundant pair.").is_visible()
    assert page.get_by_text("High (approved over a redundant pair)").is_visible()
    screenshot(page, "override-recorded-desktop")
    pair.b.refresh_from_db()
    assert pair.b.status == WindowStatus.APPROVED


def test_the_second_cut_waits_on_the_phone_and_on_the_board(live_server, phone, desktop):
    pair = running_pair()
    cut_a(pair)
    step = clear_b(pair)

    tech = phone.new_page()
    log_in(tech, live_server, "walt", PASSWORD)
    tech.goto(f"{live_server.url}{step.get_absolute_url()}")
    wait = tech.get_by_text("Wait: do not unplug yet")
    assert wait.is_visible()
    assert tech.get_by_role("button", name="I did it: sign done").count() == 0
    screenshot(tech, "interlock-wait-phone-360")

    approver = desktop.new_page()
    log_in(approver, live_server, "ada", PASSWORD)
    approver.goto(f"{live_server.url}/approvals/board/")
    assert approver.get_by_text(f"Interlock holds step {step.position}").is_visible()
    screenshot(approver, "interlock-board-desktop")
