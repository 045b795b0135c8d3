"""tess's phone sends her request for a long runbook's PDF twice at the same instant (a double tap on a flaky
connection): one job, one event, one task, and both copies are answered with it (PostgreSQL's unique index
decides)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEvent
from maintenance.models import PrintJob
from tests.checklists.conftest import build_scene, users
from tests.conftest import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def test_the_same_request_sent_twice_at_once_makes_one_job(settings):
    settings.LOCKSTEP_PDF_STEPS_IN_REQUEST = 3
    scene = build_scene()
    tess = users()["tess"]
    url = reverse("maintenance:runbook_pdf", args=[scene.window.pk])
    start = threading.Barrier(2)
    answers: list[str] = []

    def send() -> None:
        try:
            phone = Client()
            phone.force_login(tess)
            start.wait(timeout=10)
            response = phone.post(url, {"idem": "double-tap-0123456789"})
            answers.append(f"{response.status_code} {response.get('Location', '')}")
        except BaseException as exc:  # reported below
            answers.append(f"error: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    job = PrintJob.objects.get()
    assert len(answers) == 2 and answers[0] == answers[1] == f"303 {job.get_absolute_url()}", answers
    assert AuditEvent.objects.filter(action="print.asked").count() == 1
    assert DBTaskResult.objects.filter(task_path="maintenance.tasks.make_print").count() == 1
