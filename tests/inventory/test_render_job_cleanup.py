"""A PDF the worker made is kept LOCKSTEP_RENDER_JOB_DAYS days for the person who asked, then a daily task drops
the file: one audit event a file, the job stays, and its page says the file was cleared and where to make it
again. tess printed a rack's labels; the clearing runs from the worker's queue, where it keeps itself going
once a day, and from `manage.py clear_render_jobs`."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.log import verify_chain
from audit.models import AuditEvent
from inventory.models import LabelJob, LabelJobStatus
from inventory.render_jobs import RenderJob
from inventory.tasks import keep_clearing
from maintenance.models import PrintJob
from tests.builders.labels import labels_made
from tests.builders.workers import run_worker

CLEARING = "inventory.tasks.clear_render_job_files"


@pytest.fixture
def three_days(settings):
    settings.LOCKSTEP_RENDER_JOB_DAYS = 3


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def waiting_clearings():
    return DBTaskResult.objects.filter(task_path=CLEARING, status="READY")


def test_every_kind_of_job_is_cleared_labels_and_runbooks_alike():
    assert {LabelJob, PrintJob} <= set(RenderJob.kinds())


def test_an_old_file_is_cleared_audited_and_the_job_stays(client, tess, three_days):
    old = labels_made(tess, days_ago=4)
    fresh = labels_made(tess, days_ago=2, title="rack A02 (LAX1)")

    call_command("clear_render_jobs", verbosity=0)

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, old.pdf) == (LabelJobStatus.CLEARED, None)
    assert (fresh.status, bytes(fresh.pdf)) == (LabelJobStatus.READY, b"%PDF-1.7 tess's labels")
    event = AuditEvent.objects.get(action="pdf.cleared")
    assert (event.object_type, event.object_id, event.actor) == ("inventory.labeljob", str(old.pk), None)
    assert event.payload == {
        "job": old.pk,
        "requested_by": "tess",
        "made_at": old.finished_at.isoformat(),
        "kept_days": 3,
    }
    assert verify_chain().ok

    # Cleared once is cleared: another run writes nothing more.
    call_command("clear_render_jobs", verbosity=0)
    assert AuditEvent.objects.filter(action="pdf.cleared").count() == 1


def test_the_page_of_a_cleared_job_says_so_and_offers_to_print_again(client, tess, lax1, three_days):
    old = labels_made(tess, days_ago=4)
    old.rack = lax1.rack
    old.save(update_fields=["rack"])
    call_command("clear_render_jobs", verbosity=0)
    client.force_login(tess)

    page = client.get(old.get_absolute_url()).content.decode()

    assert "File cleared" in page and "cleared after 3 days" in words(page)
    assert f'href="{lax1.rack.get_absolute_url()}">Print the labels again from' in page
    assert "Download the labels" not in page
    # Its download address sends tess back to the page that says so.
    pdf = client.get(reverse("inventory:label_job_pdf", args=[old.pk]))
    assert pdf.status_code == 302 and pdf["Location"] == old.get_absolute_url()


def test_a_fresh_file_is_kept_and_its_page_says_for_how_long(client, tess, three_days):
    fresh = labels_made(tess, days_ago=2)
    call_command("clear_render_jobs", verbosity=0)
    client.force_login(tess)

    page = words(client.get(fresh.get_absolute_url()).content.decode())

    assert "Download the labels (PDF)" in page and "It is kept for 3 days." in page
    assert not AuditEvent.objects.filter(action="pdf.cleared").exists()


def test_the_command_says_what_it_cleared(tess, three_days):
    labels_made(tess, days_ago=4)
    said = StringIO()

    call_command("clear_render_jobs", stdout=said)

    assert "inventory.LabelJob: 1 file older than 3 days cleared." in said.getvalue()
    assert "maintenance.PrintJob: 0 files older than 3 days cleared." in said.getvalue()


def test_scheduling_at_every_start_queues_one_clearing(db):
    said = StringIO()
    call_command("clear_render_jobs", "--schedule", stdout=said)
    call_command("clear_render_jobs", "--schedule", stdout=said)  # the server restarted

    assert waiting_clearings().count() == 1
    assert said.getvalue().splitlines() == [
        "The daily clearing is queued.",
        "The daily clearing was already waiting.",
    ]


def test_the_clearing_runs_in_the_worker_and_queues_itself_for_tomorrow(tess, three_days):
    old = labels_made(tess, days_ago=4)
    keep_clearing()

    run_worker()

    old.refresh_from_db()
    assert old.status == LabelJobStatus.CLEARED
    ran = DBTaskResult.objects.get(task_path=CLEARING, status="SUCCESSFUL")
    assert ran.return_value == {"inventory.LabelJob": 1, "maintenance.PrintJob": 0}
    tomorrow = waiting_clearings().get()
    assert timedelta(hours=23) < tomorrow.run_after - timezone.now() <= timedelta(days=1)
    assert keep_clearing() is False  # a restart now queues no second one


def test_two_copies_queued_at_once_fold_back_into_one(db):
    keep_clearing()
    DBTaskResult.objects.create(
        **{
            field: value
            for field, value in waiting_clearings().values().get().items()
            if field not in ("id", "enqueued_at")
        }
    )
    assert waiting_clearings().count() == 2

    run_worker()

    assert DBTaskResult.objects.filter(task_path=CLEARING, status="SUCCESSFUL").count() == 2
    assert waiting_clearings().count() == 1


def test_a_clearing_that_fails_still_queues_tomorrows(db, monkeypatch):
    def broken():
        raise RuntimeError("the database went away mid-clearing")

    monkeypatch.setattr("inventory.tasks.clear_old_files_of_every_kind", broken)
    keep_clearing()

    run_worker()

    assert DBTaskResult.objects.filter(task_path=CLEARING, status="FAILED").count() == 1
    tomorrow = waiting_clearings().get()
    assert timedelta(hours=23) < tomorrow.run_after - timezone.now() <= timedelta(days=1)
