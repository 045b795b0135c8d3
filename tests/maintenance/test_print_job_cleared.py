"""A long runbook's PDF, made by the worker for tess, is kept LOCKSTEP_RENDER_JOB_DAYS days like every print
(`inventory.render_jobs`); then the daily clearing drops it, audited, and her print's page says so and offers
the button that makes it again. sam sees her prints in the admin, with the label prints' columns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from maintenance.models import Document, PrintJob, PrintStatus
from tests.builders.people import make_user, users
from tests.builders.scenes import Scene, build_scene


@pytest.fixture
def scene(db, settings) -> Scene:
    settings.LOCKSTEP_RENDER_JOB_DAYS = 3
    return build_scene()


def runbook_made(scene: Scene, *, days_ago: float, document=Document.RUNBOOK) -> PrintJob:
    made = timezone.now() - timedelta(days=days_ago)
    return PrintJob.objects.create(
        request_key=f"{document}-{days_ago}",
        requested_by=users()["tess"],
        requested_at=made,
        window=scene.window,
        document=document,
        steps=scene.run.steps.count(),
        status=PrintStatus.READY,
        pdf=b"%PDF-1.7 the runbook",
        as_of=made,
        version=scene.window.submission,
        pages=4,
        filename="runbook.pdf",
        moved_at=made,
        finished_at=made,
    )


def test_an_old_runbook_is_cleared_audited_and_its_page_offers_to_make_it_again(client, scene):
    old = runbook_made(scene, days_ago=4, document=Document.AS_RUN)
    fresh = runbook_made(scene, days_ago=1)

    call_command("clear_render_jobs", verbosity=0)

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, old.pdf, fresh.status) == (PrintStatus.CLEARED, None, PrintStatus.READY)
    event = AuditEvent.objects.get(action="pdf.cleared")
    assert (event.object_type, event.object_id) == ("maintenance.printjob", str(old.pk))
    assert event.payload["window"] == scene.window.reference and event.payload["document"] == "as_run"

    client.force_login(users()["tess"])
    page = client.get(old.get_absolute_url()).content.decode()
    assert "File cleared" in page and "cleared after 3 days" in page
    again = reverse("maintenance:as_run_pdf", args=[scene.window.pk])
    assert f'<form method="post" action="{again}"' in page and "Make the as-run record again (PDF)" in page
    assert "Download the" not in page


def test_sam_lists_the_runbook_prints_in_the_admin_and_changes_none(client, scene):
    job = runbook_made(scene, days_ago=1)
    sam = make_user("sam", Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(sam)

    page = client.get(reverse("admin:maintenance_printjob_changelist")).content.decode()

    assert f"runbook of {scene.window.reference}" in page and "tess" in page and "20\xa0bytes" in page
    assert "?status__exact=cleared" in page
    assert reverse("admin:maintenance_printjob_change", args=[job.pk]) not in page
    assert client.post(reverse("admin:maintenance_printjob_change", args=[job.pk]), {}).status_code == 403
