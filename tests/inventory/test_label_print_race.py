"""tess's phone sends her print twice at the same instant (a double tap on a flaky connection): one job, one
event, one task, and both copies are answered with it (PostgreSQL's unique index decides)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEvent
from inventory.models import LabelJob, Tag
from tests.conftest import postgres_only
from tests.inventory.conftest import build_small_site

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("in_request", "event"), [(200, "labels.printed"), (1, "labels.queued")])
def test_the_same_print_sent_twice_at_once_makes_one_job(tess, sam, settings, in_request, event):
    settings.LOCKSTEP_LABELS_IN_REQUEST = in_request
    site = build_small_site()
    for asset in (site.sw_a, site.sw_b, site.sw_a_port):
        Tag.issue(asset, by=sam)
    url = reverse("inventory:rack_labels", args=[site.rack.pk])
    start = threading.Barrier(2)
    answers: list[str] = []

    def send() -> None:
        try:
            phone = Client()
            phone.force_login(tess)
            start.wait(timeout=10)
            response = phone.post(url, {"idem": "double-tap-0123456789", "format": "a4-3x8"})
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

    job = LabelJob.objects.get()
    assert len(answers) == 2 and answers[0] == answers[1], answers
    assert answers[0].startswith("303 ")
    assert AuditEvent.objects.filter(action=event).count() == 1
    assert DBTaskResult.objects.count() == (1 if job.in_worker else 0)
