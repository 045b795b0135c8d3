"""tess's phone sends her request for a long runbook's PDF twice at the same instant (a double tap on a flaky
connection): one job, one event, one task, and both copies are answered with it (PostgreSQL's unique index
decides)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEvent
from maintenance.models import PrintJob
from tests.builders.databases import postgres_only
from tests.builders.people import users
from tests.builders.races import posted_twice_at_once
from tests.builders.scenes import build_scene

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def test_the_same_request_sent_twice_at_once_makes_one_job(settings):
    settings.LOCKSTEP_PDF_STEPS_IN_REQUEST = 3
    scene = build_scene()
    url = reverse("maintenance:runbook_pdf", args=[scene.window.pk])

    answers = posted_twice_at_once(users()["tess"], url, {"idem": "double-tap-0123456789"})

    job = PrintJob.objects.get()
    assert len(answers) == 2 and answers[0] == answers[1] == f"303 {job.get_absolute_url()}", answers
    assert AuditEvent.objects.filter(action="print.asked").count() == 1
    assert DBTaskResult.objects.filter(task_path="maintenance.tasks.make_print").count() == 1
