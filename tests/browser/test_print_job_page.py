"""A long runbook's as-run record on a phone and on a desk: tess presses the button on her window's page, her
print's page shows it waiting for the worker, then the stage the worker has reached (htmx asks every two
seconds), then the download, with the moment the record was read. And a print that breaks, asked for from the
runbook's own address, says why."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maintenance.models import PrintJob, PrintStatus
from tests.builders.browser import TARGETS_TOO_SMALL, log_in, screenshot
from tests.builders.people import PASSWORD
from tests.builders.scenes import build_scene
from tests.builders.workers import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def fits(page, width: int, screen: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if screen == "phone":
        assert page.evaluate(TARGETS_TOO_SMALL) == []


@pytest.mark.parametrize(("screen", "width"), [("phone", 360), ("desktop", 1366)])
def test_a_long_as_run_record_shows_its_stages_then_its_download(
    live_server, request, settings, screen, width
):
    settings.LOCKSTEP_PDF_STEPS_IN_REQUEST = 3
    scene = build_scene()
    page = request.getfixturevalue(screen).new_page()
    log_in(page, live_server, "tess", PASSWORD)
    page.goto(f"{live_server.url}{scene.window.get_absolute_url()}")

    page.get_by_role("button", name="As-run record so far (PDF)").click()
    page.wait_for_load_state()
    job = PrintJob.objects.get()
    assert page.url == f"{live_server.url}{job.get_absolute_url()}"
    assert page.get_by_text("Waiting for the worker").is_visible()
    assert page.get_by_role("link", name="Refresh").is_visible()
    fits(page, width, screen)
    screenshot(page, f"print-job-waiting-{screen}-{width}")

    # The worker has read the record and is laying out the pages: the page, polling, says so without a reload.
    PrintJob.objects.filter(pk=job.pk).update(status=PrintStatus.LAYING_OUT, as_of=job.requested_at)
    page.locator(".job-progress-words", has_text="Stage 2 of 3").wait_for(timeout=6000)
    assert page.locator("progress").get_attribute("value") == "2"
    assert page.get_by_text("A snapshot: this as-run record shows the work as it stood at").is_visible()
    fits(page, width, screen)
    screenshot(page, f"print-job-progress-{screen}-{width}")

    PrintJob.objects.filter(pk=job.pk).update(status=PrintStatus.QUEUED, as_of=None)
    run_worker()
    download = page.get_by_role("link", name="Download the as-run record (PDF)")
    download.wait_for(timeout=6000)
    assert page.get_by_text("✓ Ready").is_visible()
    assert page.get_by_text("Anything done since is not in it").is_visible()
    fits(page, width, screen)
    screenshot(page, f"print-job-ready-{screen}-{width}")
    response = page.request.get(f"{live_server.url}{download.get_attribute('href')}")
    assert response.headers["content-type"] == "application/pdf"


def test_a_print_that_failed_says_why_on_the_phone(live_server, phone, settings, monkeypatch):
    import lockstep.pdf

    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    settings.LOCKSTEP_PDF_STEPS_IN_REQUEST = 3
    scene = build_scene()
    page = phone.new_page()
    log_in(page, live_server, "tess", PASSWORD)
    page.goto(f"{live_server.url}{scene.window.get_absolute_url()}")
    fits(page, 360, "phone")
    screenshot(page, "window-print-buttons-phone-360")
    # The runbook's address, opened from a bookmark: a page with the button, not a 15-second wait.
    page.goto(f"{live_server.url}{reverse('maintenance:runbook_pdf', args=[scene.window.pk])}")
    fits(page, 360, "phone")
    screenshot(page, "print-offer-phone-360")
    page.get_by_role("button", name="Make the PDF").click()
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}{PrintJob.objects.get().get_absolute_url()}"

    monkeypatch.setattr(lockstep.pdf, "render_pdf", broken)
    run_worker()
    page.get_by_role("alert").filter(has_text="the PDF renderer failed").wait_for(timeout=6000)
    assert page.get_by_role("link", name="Download the runbook (PDF)").count() == 0
    fits(page, 360, "phone")
    screenshot(page, "print-job-failed-phone-360")
