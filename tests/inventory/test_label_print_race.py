"""tess's phone sends her print twice at the same instant (a double tap on a flaky connection): one job, one
event, one task, and both copies are answered with it (PostgreSQL's unique index decides)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEvent
from inventory.models import LabelJob, Tag
from tests.builders.databases import postgres_only
from tests.builders.races import posted_twice_at_once
from tests.builders.sites import build_small_site

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("in_request", "event"), [(200, "labels.printed"), (1, "labels.queued")])
def test_the_same_print_sent_twice_at_once_makes_one_job(tess, sam, settings, in_request, event):
    settings.LOCKSTEP_LABELS_IN_REQUEST = in_request
    site = build_small_site()
    for asset in (site.sw_a, site.sw_b, site.sw_a_port):
        Tag.issue(asset, by=sam)
    url = reverse("inventory:rack_labels", args=[site.rack.pk])

    answers = posted_twice_at_once(tess, url, {"idem": "double-tap-0123456789", "format": "a4-3x8"})

    job = LabelJob.objects.get()
    assert len(answers) == 2 and answers[0] == answers[1], answers
    assert answers[0].startswith("303 ")
    assert AuditEvent.objects.filter(action=event).count() == 1
    assert DBTaskResult.objects.count() == (1 if job.in_worker else 0)
