"""A big print (a hall's labels before a roll-out) goes to the worker. tess's request only queues it; the
worker lays the sheets out and says how far it has come; the print's page shows the progress, then the
download, to tess alone. A render that fails says why on the same page."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pypdf
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

import inventory.labels
import inventory.printing
import inventory.tasks
from audit.models import AuditEvent
from inventory.models import LABEL_JOB_QUIET, LabelJob, LabelJobStatus, Tag
from tests.builders.labels import ask_for_labels
from tests.builders.sites import SmallSite, build_small_site
from tests.builders.workers import run_worker


@pytest.fixture
def hall(db, sam, settings) -> tuple[SmallSite, list[Tag]]:
    """A rack of 3 devices and 24 ports, all tagged: 27 labels, more than this test's in-request limit."""
    settings.LOCKSTEP_LABELS_IN_REQUEST = 20
    site = build_small_site(with_ports=12)
    assets = [site.sw_a, site.sw_b, site.server, *site.sw_a.ports.all(), *site.sw_b.ports.all()]
    return site, [Tag.issue(asset, by=sam) for asset in assets]


def queue_the_rack(client, site: SmallSite, **data):
    return ask_for_labels(client, reverse("inventory:rack_labels", args=[site.rack.pk]), data, follow=False)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_a_big_print_is_queued_and_not_rendered_in_the_request(client, tess, hall, monkeypatch):
    site, _ = hall

    def in_the_request(*args, **kwargs):
        raise AssertionError("a big print was rendered in the request")

    monkeypatch.setattr(inventory.printing, "render_labels", in_the_request)
    client.force_login(tess)
    response = queue_the_rack(client, site)

    job = LabelJob.objects.get()
    assert response.status_code == 303 and response["Location"] == job.get_absolute_url()
    assert job.status == LabelJobStatus.QUEUED and job.in_worker and job.pdf is None
    assert (job.requested_by, job.done, job.total) == (tess, 0, 27)
    assert DBTaskResult.objects.get().task_path == "inventory.tasks.render_label_job"
    event = AuditEvent.objects.get(action="labels.queued")
    assert event.actor == tess and event.payload["job"] == job.pk and event.payload["count"] == 27
    assert not AuditEvent.objects.filter(action="labels.printed").exists()


def test_the_worker_renders_it_with_progress_and_the_page_shows_it_then_the_link(
    client, tess, hall, monkeypatch
):
    site, tags = hall
    monkeypatch.setattr(inventory.labels, "LABELS_PER_STEP", 24)  # one A4 sheet a step: 24, then 27
    client.force_login(tess)
    queue_the_rack(client, site)
    job = LabelJob.objects.get()

    waiting = client.get(job.get_absolute_url()).content.decode()
    assert "Waiting for the worker" in waiting and 'hx-trigger="every 2s"' in waiting
    # A plain link refreshes it without JavaScript too.
    assert f'<a class="btn btn-quiet" href="{job.get_absolute_url()}">Refresh</a>' in waiting

    # What tess's page (polled by htmx) says each time the worker reports, read while it renders.
    seen = []
    report = LabelJob.report_progress

    def report_and_look(self, done):
        report(self, done)
        polled = client.get(job.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
        seen.append((done, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", polled)).strip(), polled))

    monkeypatch.setattr(LabelJob, "report_progress", report_and_look)
    run_worker()

    assert [done for done, _, _ in seen] == [24, 27]
    assert seen[0][1].startswith("24 of 27 labels laid out")
    assert seen[1][1].startswith("All 27 labels laid out: writing the PDF")
    for _, _, polled in seen:
        assert 'hx-trigger="every 2s"' in polled and "<progress" in polled and "<html" not in polled

    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (LabelJobStatus.READY, 27, 27)
    ready = client.get(job.get_absolute_url()).content.decode()
    download = reverse("inventory:label_job_pdf", args=[job.pk])
    assert "✓ Ready" in ready and f'href="{download}"' in ready and "hx-trigger" not in ready
    pdf = client.get(download)
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert all(tag.display_short_code in text for tag in tags)
    assert AuditEvent.objects.get(action="labels.rendered").payload == {
        "job": job.pk,
        "requested_by": "tess",
        "count": 27,
    }


def test_the_same_request_sent_again_never_makes_a_second_job(client, tess, hall):
    site, _ = hall
    client.force_login(tess)
    first = queue_the_rack(client, site, idem="retried-tap-0123456789")
    again = queue_the_rack(client, site, idem="retried-tap-0123456789")  # a double click, a lost reply
    assert again["Location"] == first["Location"]
    assert LabelJob.objects.count() == 1 and DBTaskResult.objects.count() == 1
    assert AuditEvent.objects.filter(action="labels.queued").count() == 1

    # The same page, still open, used for another sheet: that is another print.
    queue_the_rack(client, site, idem="retried-tap-0123456789", format="port-strip")
    assert LabelJob.objects.count() == 2


def test_only_the_person_who_asked_sees_it_or_downloads_it(client, tess, vic, ada, cora, sam, olive, hall):
    site, _ = hall
    client.force_login(tess)
    queue_the_rack(client, site)
    run_worker()
    job = LabelJob.objects.get()
    download = reverse("inventory:label_job_pdf", args=[job.pk])
    assert client.get(download).status_code == 200

    for other in (vic, ada, cora, sam):
        client.force_login(other)
        assert client.get(download).status_code == 404, other
        assert client.get(job.get_absolute_url()).status_code == 404, other
    client.force_login(olive)
    assert client.get(download).status_code == 403
    client.logout()
    assert client.get(download)["Location"].startswith(reverse("login"))


def test_a_tag_revoked_before_the_worker_gets_to_it_fails_the_print_and_the_page_says_why(
    client, tess, ada, hall
):
    site, tags = hall
    client.force_login(tess)
    queue_the_rack(client, site)
    tags[5].reissue(reason="label torn", by=ada)
    run_worker()

    job = LabelJob.objects.get()
    assert job.status == LabelJobStatus.FAILED and job.pdf is None
    assert "Revoked tags are never printed" in job.error
    event = AuditEvent.objects.get(action="labels.render_failed")
    assert event.payload["error"] == job.error
    page = client.get(job.get_absolute_url()).content.decode()
    assert "✕ Not printed" in page and f"the tags of {tags[5].asset} were revoked" in page
    assert tags[5].short_code not in page and tags[5].display_short_code not in page
    assert "hx-trigger" not in page
    assert reverse("inventory:label_job_pdf", args=[job.pk]) not in page
    assert client.get(reverse("inventory:label_job_pdf", args=[job.pk]))["Location"] == job.get_absolute_url()


def test_a_renderer_that_breaks_fails_the_print_and_the_page_says_so(client, tess, hall, monkeypatch):
    site, _ = hall

    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(inventory.tasks, "render_labels", broken)
    client.force_login(tess)
    queue_the_rack(client, site)
    run_worker()

    job = LabelJob.objects.get()
    assert job.status == LabelJobStatus.FAILED
    assert "the PDF renderer failed (MemoryError)" in job.error
    assert "the PDF renderer failed (MemoryError)" in client.get(job.get_absolute_url()).content.decode()
    assert AuditEvent.objects.filter(action="labels.render_failed").count() == 1


def test_a_stalled_print_says_the_worker_may_be_down(client, tess, hall):
    site, _ = hall
    client.force_login(tess)
    queue_the_rack(client, site)
    LabelJob.objects.update(requested_at=timezone.now() - timedelta(minutes=5))
    job = LabelJob.objects.get()
    assert (
        "the worker (<code>manage.py db_worker</code>) may not be running"
        in client.get(job.get_absolute_url()).content.decode()
    )


def test_a_stuck_print_stops_polling_and_a_refresh_by_hand_finds_it_once_the_worker_is_back(
    client, tess, hall
):
    """No worker runs: tess's page polls while the print may still move, then stops asking every two seconds
    for ever, says so, and keeps a Refresh link. The worker started again, her refresh shows the download."""
    site, _ = hall
    client.force_login(tess)
    queue_the_rack(client, site)
    job = LabelJob.objects.get()
    assert (
        'hx-trigger="every 2s"'
        in client.get(job.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    )

    LabelJob.objects.update(requested_at=timezone.now() - LABEL_JOB_QUIET - timedelta(seconds=1))
    polled = client.get(job.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    page = client.get(job.get_absolute_url()).content.decode()
    for seen in (polled, page):
        assert "hx-trigger" not in seen and "hx-get" not in seen
        assert "may not be running" in seen and "stopped updating by itself" in seen
        assert f'<a class="btn btn-quiet" href="{job.get_absolute_url()}">Refresh</a>' in seen
    assert "<html" not in polled

    run_worker()
    refreshed = client.get(job.get_absolute_url()).content.decode()
    assert "✓ Ready" in refreshed and reverse("inventory:label_job_pdf", args=[job.pk]) in refreshed


def test_a_finished_pdf_is_cleared_after_a_week_and_its_page_says_so(client, tess, hall):
    site, _ = hall
    client.force_login(tess)
    queue_the_rack(client, site)
    run_worker()
    old = LabelJob.objects.get()
    LabelJob.objects.update(finished_at=timezone.now() - timedelta(days=8))

    call_command("clear_render_jobs", verbosity=0)  # the daily clearing
    old.refresh_from_db()
    assert old.status == LabelJobStatus.CLEARED and old.pdf is None
    assert "File cleared" in client.get(old.get_absolute_url()).content.decode()
    assert client.get(reverse("inventory:label_job_pdf", args=[old.pk]))["Location"] == old.get_absolute_url()


def test_the_first_print_the_worker_makes_starts_the_daily_clearing(client, tess, hall):
    """An install that never ran `clear_render_jobs --schedule` (a deploy by an older README) still has its old
    PDFs cleared: the worker queues the daily clearing with the first print it makes, and only once."""
    site, _ = hall
    client.force_login(tess)
    queue_the_rack(client, site)
    queue_the_rack(client, site)

    run_worker()

    assert LabelJob.objects.filter(status=LabelJobStatus.READY).count() == 2
    clearing = DBTaskResult.objects.get(task_path="inventory.tasks.clear_render_job_files")
    assert clearing.status == "READY"
    assert timedelta(hours=23) < clearing.run_after - timezone.now() <= timedelta(days=1)
