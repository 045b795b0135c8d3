from __future__ import annotations

import pytest
from django.core.management import call_command

from maintenance.models import Window, WindowStatus
from tests.builders.browser import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_approver_reviews_the_queue_and_approves_a_window(live_server, desktop):
    call_command("load_demo")
    page = desktop.new_page()
    log_in(page, live_server, "ada", "ada-lockstep")
    assert page.url == f"{live_server.url}/approvals/"
    assert page.get_by_role("heading", name="Waiting for approval").is_visible()
    # The two windows on the redundant pair of rack A02 warn about each other.
    assert page.get_by_text("lose every path that neither window takes down alone").first.is_visible()
    screenshot(page, "approval-queue-desktop")

    page.get_by_role("link", name="Replace optics on lax1-a02-tor-a").click()
    assert page.get_by_role("heading", name="Blast radius").is_visible()
    screenshot(page, "window-review-desktop")
    page.get_by_label("Comment (required to reject)").fill("Do it after CHG-2 is rescheduled")
    page.get_by_role("button", name="Reject").click()
    assert page.get_by_text("rejected and sent back").is_visible()
    assert Window.objects.get(title="Replace optics on lax1-a02-tor-a").status == WindowStatus.DRAFT

    page.goto(f"{live_server.url}/approvals/board/")
    assert page.get_by_text("Move lax1-a03-web10 to rack A04").is_visible()
    screenshot(page, "board-desktop")


def test_the_window_review_page_reads_on_a_phone(live_server, phone):
    call_command("load_demo")
    page = phone.new_page()
    log_in(page, live_server, "ada", "ada-lockstep")
    page.get_by_role("link", name="Firmware upgrade lax1-a02-tor-b").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "window-review-phone-360")
