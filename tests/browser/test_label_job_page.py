"""A big print on a phone and on a desk: tess presses the print button, a new tab shows the print waiting for
the worker, the bar moves as the worker reports (htmx asks every two seconds), then the download appears."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from inventory.models import LABEL_JOB_QUIET, LabelJob, LabelJobStatus, Tag
from tests.builders.browser import TARGETS_TOO_SMALL, log_in, screenshot
from tests.builders.people import PASSWORD, make_user
from tests.builders.sites import build_small_site
from tests.builders.workers import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("screen", "width"), [("phone", 360), ("desktop", 1366)])
def test_a_big_print_shows_its_progress_then_its_download(live_server, request, settings, screen, width):
    settings.LOCKSTEP_LABELS_IN_REQUEST = 5
    tess = make_user("tess", Role.TECH)
    site = build_small_site(with_ports=12)
    for asset in [site.sw_a, site.sw_b, site.server, *site.sw_a.ports.all(), *site.sw_b.ports.all()]:
        Tag.issue(asset, by=tess)
    context = request.getfixturevalue(screen)
    page = context.new_page()
    log_in(page, live_server, "tess", PASSWORD)
    page.goto(f"{live_server.url}{site.rack.get_absolute_url()}")

    with context.expect_page() as opened:  # the print form opens its answer in a new tab
        page.get_by_role("button", name="Print the whole rack's labels (PDF)").click()
    job_page = opened.value
    job_page.wait_for_load_state()
    job = LabelJob.objects.get()
    assert job_page.url == f"{live_server.url}{job.get_absolute_url()}"
    assert job_page.get_by_text("Waiting for the worker").is_visible()
    assert job_page.get_by_role("link", name="Refresh").is_visible()
    assert job_page.evaluate("document.documentElement.scrollWidth") <= width
    if screen == "phone":
        assert job_page.evaluate(TARGETS_TOO_SMALL) == []
    screenshot(job_page, f"label-job-waiting-{screen}-{width}")

    # The worker has laid out the first sheet: the page, polling, says so without a reload.
    LabelJob.objects.filter(pk=job.pk).update(status=LabelJobStatus.RENDERING, done=24)
    job_page.locator(".job-progress-words", has_text="24 of 27").wait_for(timeout=6000)
    assert job_page.locator("progress").get_attribute("value") == "24"
    screenshot(job_page, f"label-job-progress-{screen}-{width}")

    LabelJob.objects.filter(pk=job.pk).update(status=LabelJobStatus.QUEUED, done=0)
    run_worker()
    download = job_page.get_by_role("link", name="Download the labels (PDF)")
    download.wait_for(timeout=6000)
    assert job_page.get_by_text("Ready").is_visible()
    if screen == "phone":
        assert job_page.evaluate(TARGETS_TOO_SMALL) == []
    screenshot(job_page, f"label-job-ready-{screen}-{width}")
    response = job_page.request.get(f"{live_server.url}{download.get_attribute('href')}")
    assert response.headers["content-type"] == "application/pdf"


def test_a_print_that_failed_says_why_on_the_phone(live_server, phone, settings):
    settings.LOCKSTEP_LABELS_IN_REQUEST = 1
    make_user("tess", Role.TECH)
    ada = make_user("ada", Role.APPROVER)
    site = build_small_site()
    torn, _ = Tag.issue(site.sw_a, by=ada), Tag.issue(site.sw_b, by=ada)
    page = phone.new_page()
    log_in(page, live_server, "tess", PASSWORD)
    page.goto(f"{live_server.url}{site.rack.get_absolute_url()}")
    screenshot(page, "rack-print-forms-phone-360")
    with phone.expect_page() as opened:
        page.get_by_role("button", name="Print the whole rack's labels (PDF)").click()
    job_page = opened.value
    job_page.wait_for_load_state()

    torn.reissue(reason="label torn", by=ada)
    run_worker()
    job_page.get_by_role("alert").filter(has_text="Revoked tags are never printed").wait_for(timeout=6000)
    assert job_page.get_by_role("link", name="Download the labels (PDF)").count() == 0
    assert job_page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(job_page, "label-job-failed-phone-360")


def test_a_print_no_worker_moves_on_stops_polling_and_says_so_on_the_phone(live_server, phone, settings):
    """No worker runs: once the print has not moved for LABEL_JOB_QUIET, tess's page says the worker may be
    down and stops asking every two seconds; her Refresh, once the worker is back, finds the download."""
    settings.LOCKSTEP_LABELS_IN_REQUEST = 1
    make_user("tess", Role.TECH)
    ada = make_user("ada", Role.APPROVER)
    site = build_small_site()
    Tag.issue(site.sw_a, by=ada)
    Tag.issue(site.sw_b, by=ada)
    page = phone.new_page()
    log_in(page, live_server, "tess", PASSWORD)
    page.goto(f"{live_server.url}{site.rack.get_absolute_url()}")
    with phone.expect_page() as opened:
        page.get_by_role("button", name="Print the whole rack's labels (PDF)").click()
    job_page = opened.value
    job_page.wait_for_load_state()
    job = LabelJob.objects.get()

    LabelJob.objects.filter(pk=job.pk).update(
        requested_at=timezone.now() - LABEL_JOB_QUIET - timedelta(seconds=1)
    )
    job_page.get_by_text("This page has stopped updating by itself").wait_for(timeout=6000)
    assert job_page.get_by_text("may not be running").is_visible()
    assert job_page.locator("#job-status").get_attribute("hx-trigger") is None
    assert job_page.evaluate("document.documentElement.scrollWidth") <= 360
    assert job_page.evaluate(TARGETS_TOO_SMALL) == []
    screenshot(job_page, "label-job-stuck-phone-360")

    run_worker()
    job_page.get_by_role("link", name="Refresh").click()
    job_page.get_by_role("link", name="Download the labels (PDF)").wait_for(timeout=6000)
