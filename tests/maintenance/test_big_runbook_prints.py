"""A long runbook's PDF is made by the worker, not in the request. tess, on rex's running window, presses the
print button: her request only queues it; the worker gathers the record, lays out the pages and writes the
file, saying which stage it is at; her print's page shows that, then the download, to her alone and only while
she still reads the runbook. A render that breaks says why on the same page.

The window's runbook has 9 steps; this file's limit for printing in the request is 3."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

import lockstep.pdf
import maintenance.runbook_pdf
from accounts.roles import Role
from audit.models import AuditEvent
from maintenance.models import Document, PrintJob, PrintStatus, prints
from tests.builders.people import make_user, users
from tests.builders.scenes import Scene, build_scene
from tests.builders.workers import run_worker


@pytest.fixture
def scene(db, settings) -> Scene:
    settings.LOCKSTEP_PDF_STEPS_IN_REQUEST = 3
    return build_scene()


def print_tasks():
    """The worker's queue, less what approving the window queued (its reminders and overrun check)."""
    return DBTaskResult.objects.filter(task_path="maintenance.tasks.make_print")


def ask(client, scene: Scene, *, as_run: bool = False, key: str = "tess-taps-print-0001", follow=False):
    """The print button as the window's page sends it: a POST carrying the form's key."""
    url = reverse("maintenance:as_run_pdf" if as_run else "maintenance:runbook_pdf", args=[scene.window.pk])
    return client.post(url, {"idem": key}, follow=follow)


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def no_rendering_here(monkeypatch) -> None:
    def in_the_request(*args, **kwargs):
        raise AssertionError("a long runbook was rendered in the request")

    monkeypatch.setattr(maintenance.runbook_pdf, "render_runbook_pdf", in_the_request)
    monkeypatch.setattr(lockstep.pdf, "render_pdf", in_the_request)


def test_the_window_page_asks_for_a_long_runbook_with_a_post_button(client, scene):
    client.force_login(users()["tess"])

    page = client.get(scene.window.get_absolute_url()).content.decode()

    runbook = reverse("maintenance:runbook_pdf", args=[scene.window.pk])
    as_run = reverse("maintenance:as_run_pdf", args=[scene.window.pk])
    assert (
        f'<form method="post" action="{runbook}"' in page and f'<form method="post" action="{as_run}"' in page
    )
    assert f'href="{runbook}"' not in page
    assert "Printable runbook (PDF)" in page and "As-run record so far (PDF)" in page


def test_a_long_runbook_is_queued_not_rendered_in_the_request(client, scene, monkeypatch):
    no_rendering_here(monkeypatch)
    tess = users()["tess"]
    client.force_login(tess)

    response = ask(client, scene)

    job = PrintJob.objects.get()
    assert response.status_code == 303 and response["Location"] == job.get_absolute_url()
    assert (job.status, job.requested_by, job.window, job.document) == (
        PrintStatus.QUEUED,
        tess,
        scene.window,
        Document.RUNBOOK,
    )
    assert job.steps == scene.run.steps.count() == 9 and job.pdf is None
    assert print_tasks().get().args_kwargs["args"] == [job.pk]
    event = AuditEvent.objects.get(action="print.asked")
    assert event.actor == tess
    assert event.payload == {
        "job": job.pk,
        "window": scene.window.reference,
        "document": "runbook",
        "steps": 9,
    }


def test_the_worker_makes_it_stage_by_stage_and_the_page_shows_each_then_the_link(client, scene, monkeypatch):
    client.force_login(users()["tess"])
    ask(client, scene)
    job = PrintJob.objects.get()

    waiting = client.get(job.get_absolute_url()).content.decode()
    assert "Waiting for the worker" in waiting and 'hx-trigger="every 2s"' in waiting
    # A plain link refreshes it without JavaScript too.
    assert f'<a class="btn btn-quiet" href="{job.get_absolute_url()}">Refresh</a>' in waiting

    # What tess's page (polled by htmx) says at each stage, read while the worker is at it.
    seen = []

    def look() -> None:
        polled = client.get(job.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
        assert 'hx-trigger="every 2s"' in polled and "<progress" in polled and "<html" not in polled
        seen.append(words(polled))

    build, report = maintenance.runbook_pdf.runbook_html, PrintJob.report_stage

    def look_then_build(*args, **kwargs):
        look()
        return build(*args, **kwargs)

    def report_and_look(self, stage, **kwargs):
        report(self, stage, **kwargs)
        look()

    monkeypatch.setattr(maintenance.runbook_pdf, "runbook_html", look_then_build)
    monkeypatch.setattr(PrintJob, "report_stage", report_and_look)
    run_worker()

    job.refresh_from_db()
    assert job.status == PrintStatus.READY and job.pages >= 3
    assert [s.split(":")[0] for s in seen] == ["Stage 1 of 3", "Stage 2 of 3", "Stage 3 of 3"]
    assert "building the pages of 9 steps" in seen[0]
    assert "laying out the pages" in seen[1]
    assert f"writing the PDF of {job.pages} pages" in seen[2]

    ready = client.get(job.get_absolute_url()).content.decode()
    download = reverse("maintenance:print_job_pdf", args=[job.pk])
    assert "✓ Ready" in ready and f'href="{download}"' in ready and "hx-trigger" not in ready
    assert f"{job.pages} pages, runbook v1, made at" in words(ready)
    pdf = client.get(download)
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'inline; filename="{scene.window.reference}-runbook-v1.pdf"'
    assert f"{scene.window.reference} · Runbook v1" in pdf_text(pdf.content)
    assert AuditEvent.objects.get(action="print.rendered").payload == {
        "job": job.pk,
        "requested_by": "tess",
        "window": scene.window.reference,
        "document": "runbook",
        "version": 1,
        "pages": job.pages,
        "as_of": job.as_of.isoformat(),
    }


def test_an_as_run_record_says_when_its_snapshot_was_taken(client, scene):
    client.force_login(users()["tess"])
    ask(client, scene, as_run=True)
    job = PrintJob.objects.get()
    assert "It will show the work as it stands when the worker starts on it" in words(
        client.get(job.get_absolute_url()).content.decode()
    )

    run_worker()

    job.refresh_from_db()
    page = client.get(job.get_absolute_url()).content.decode()
    assert job.document == Document.AS_RUN and job.as_of is not None
    as_of = job.as_of.astimezone(scene.window.site.tz).strftime("%Y-%m-%d %H:%M")
    assert f"this as-run record shows the work as it stood at {as_of}" in words(page)
    assert "Anything done since is not in it" in page
    assert "IN PROGRESS — NOT FINAL" in pdf_text(
        client.get(reverse("maintenance:print_job_pdf", args=[job.pk])).content
    )


def test_the_same_request_sent_again_makes_one_job(client, scene):
    client.force_login(users()["tess"])

    first = ask(client, scene, key="retried-tap-0123456789")
    again = ask(client, scene, key="retried-tap-0123456789")  # a double tap, a lost reply

    assert again.status_code == 303 and again["Location"] == first["Location"]
    assert PrintJob.objects.count() == 1 and print_tasks().count() == 1
    assert AuditEvent.objects.filter(action="print.asked").count() == 1

    # Asked again from a second tab while the worker is still at it: the same file is coming.
    assert ask(client, scene, key="second-tab-0123456789")["Location"] == first["Location"]
    assert PrintJob.objects.count() == 1
    # The as-run record is another document: another job.
    ask(client, scene, key="retried-tap-0123456789", as_run=True)
    assert PrintJob.objects.count() == 2

    # Once it is made, a new press is a new print (the runbook, or the record, may have changed since).
    run_worker()
    ask(client, scene, key="a-day-later-0123456789")
    assert PrintJob.objects.count() == 3


def test_a_post_without_the_form_key_asks_for_nothing(client, scene):
    client.force_login(users()["tess"])

    response = ask(client, scene, key="")

    assert response.status_code == 400 and b"no valid form key" in response.content
    assert not PrintJob.objects.exists() and not print_tasks().exists()


def test_only_the_person_who_asked_downloads_it(client, scene):
    make_user("cora", Role.COORDINATOR)
    people = users()
    client.force_login(people["tess"])
    ask(client, scene)
    run_worker()
    job = PrintJob.objects.get()
    download = reverse("maintenance:print_job_pdf", args=[job.pk])
    assert client.get(download).status_code == 200

    # vic works the same window and ada, cora read every run: the runbook, not tess's print of it.
    for other in ("vic", "rex", "ada", "cora", "walt"):
        client.force_login(people[other])
        assert client.get(download).status_code == 404, other
        assert client.get(job.get_absolute_url()).status_code == 404, other
    client.logout()
    assert client.get(download)["Location"].startswith(reverse("login"))


def test_she_downloads_it_only_while_she_still_reads_the_runbook(client, scene):
    tess = users()["tess"]
    client.force_login(tess)
    ask(client, scene)
    run_worker()
    job = PrintJob.objects.get()
    download = reverse("maintenance:print_job_pdf", args=[job.pk])

    # Taken off the work: she reads neither the run nor the runbook she printed while on it.
    scene.run.people.remove(tess)
    scene.window.assignees.remove(tess)

    assert not scene.run.may_view(tess)
    assert client.get(download).status_code == 404
    assert client.get(job.get_absolute_url()).status_code == 404


def test_a_render_that_breaks_records_the_error_and_the_page_says_so(client, scene, monkeypatch):
    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(lockstep.pdf, "render_pdf", broken)
    client.force_login(users()["tess"])
    ask(client, scene)
    run_worker()

    job = PrintJob.objects.get()
    assert job.status == PrintStatus.FAILED and job.pdf is None
    assert "the PDF renderer failed (MemoryError)" in job.error
    event = AuditEvent.objects.get(action="print.failed")
    assert event.payload["error"] == job.error and event.payload["requested_by"] == "tess"
    page = client.get(job.get_absolute_url()).content.decode()
    assert "✕ Not made" in page and "the PDF renderer failed (MemoryError)" in page
    assert "hx-trigger" not in page
    download = reverse("maintenance:print_job_pdf", args=[job.pk])
    assert download not in page
    assert client.get(download)["Location"] == job.get_absolute_url()


def test_a_short_runbook_still_prints_as_it_is_fetched(client, scene, settings):
    settings.LOCKSTEP_PDF_STEPS_IN_REQUEST = 9
    client.force_login(users()["tess"])

    response = client.get(reverse("maintenance:runbook_pdf", args=[scene.window.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert not PrintJob.objects.exists()
    page = client.get(scene.window.get_absolute_url()).content.decode()
    assert f'href="{reverse("maintenance:runbook_pdf", args=[scene.window.pk])}"' in page


def test_the_polled_page_costs_five_queries(client, scene):
    client.force_login(users()["tess"])
    ask(client, scene)
    job = PrintJob.objects.get()

    # The session; the user; the user's roles; the job with its window, site and run (never its PDF); whether
    # she is one of the people on the run (Run.may_view).
    with CaptureQueriesContext(connection) as polled:
        client.get(job.get_absolute_url(), headers={"HX-Request": "true"})

    assert len(polled) == 5, [q["sql"] for q in polled]
    assert '"pdf"' not in polled[3]["sql"]


def test_a_print_the_worker_stopped_moving_on_is_not_handed_back(scene):
    """The worker died mid-way: asking again makes a new job instead of returning the stuck one for ever."""
    from datetime import timedelta

    from django.utils import timezone

    from maintenance.models.prints import PRINT_JOB_QUIET

    tess = users()["tess"]
    first = PrintJob.ask(scene.window, by=tess, document=Document.RUNBOOK, form_key="a" * 32)
    PrintJob.objects.filter(pk=first.pk).update(
        status=PrintStatus.LAYING_OUT, moved_at=timezone.now() - PRINT_JOB_QUIET - timedelta(seconds=1)
    )
    again = PrintJob.ask(scene.window, by=tess, document=Document.RUNBOOK, form_key="b" * 32)
    assert again.pk != first.pk and again.status == PrintStatus.QUEUED


def test_a_print_the_worker_stopped_moving_on_stops_polling_its_page(client, scene):
    """The worker died mid-way: tess's page says so and stops asking every two seconds, keeping a Refresh."""
    client.force_login(users()["tess"])
    ask(client, scene)
    job = PrintJob.objects.get()
    PrintJob.objects.update(
        status=PrintStatus.LAYING_OUT,
        moved_at=datetime.now(UTC) - prints.PRINT_JOB_QUIET - timedelta(seconds=1),
    )

    polled = client.get(job.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in polled and "may not be running" in polled and "stopped updating" in polled
    assert f'<a class="btn btn-quiet" href="{job.get_absolute_url()}">Refresh</a>' in polled
