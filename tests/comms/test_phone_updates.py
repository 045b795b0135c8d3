"""One-tap updates from the phone: worded by Lockstep from the run's real progress, sent only by the people
doing the work while it is under way, once per tap."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from comms.models import Notice, NoticeKind
from comms.notices import notices_about
from tests.builders.people import users
from tests.builders.scenes import IDENTITY, build_scene, finish_steps_before, unplug_web02

pytestmark = pytest.mark.django_db


def on_phone(name: str) -> Client:
    client = Client()
    client.force_login(users()[name])
    return client


def tap(client: Client, run, choice: str, key: str | None = None):
    return client.post(
        reverse("checklists:run_update", args=[run.pk]), {"idem": key or uuid.uuid4().hex, "choice": choice}
    )


@pytest.fixture
def running(people):
    return build_scene(targets=unplug_web02)


def updates_about(run) -> list[str]:
    return list(
        notices_about(run).filter(kind=NoticeKind.UPDATE).order_by("pk").values_list("body", flat=True)
    )


def test_the_tech_on_the_work_sends_worded_updates_with_one_tap(running):
    run = running.run
    finish_steps_before(running, kind=IDENTITY)
    tess = on_phone("tess")
    page = tess.get(run.get_absolute_url()).content.decode()
    assert "Tell customers how it is going" in page and "Running late: about 60 min more" in page

    response = tap(tess, run, "started")
    assert response.status_code == 200
    assert "Update queued: 2 e-mails to customers." in response.content.decode()
    tap(tess, run, "progress")
    before = timezone.localtime(timezone.now() + timedelta(minutes=60), running.site.site.tz)
    tap(tess, run, "late-60")
    started, progress, late = updates_about(run)
    assert started == "Our engineers have started the work on site."
    total = run.steps.filter(is_rollback=False).count()
    assert progress == f"Our engineers are working through the plan: 2 of {total} steps are done."
    assert f"New estimated end: {before:%a} {before.day} {before:%b %Y}, {before:%H:%M}" in late
    assert "(America/Los_Angeles)" in late
    assert Notice.objects.get(body=late).deliveries.count() == 2
    assert AuditEvent.objects.filter(action="customer_update.queued_from_phone").count() == 3


def test_a_retried_tap_queues_its_update_once(running):
    tess = on_phone("tess")
    key = uuid.uuid4().hex
    first = tap(tess, running.run, "started", key)
    again = tap(tess, running.run, "started", key)
    assert first.content == again.content and again["Idempotent-Replay"] == "true"
    assert len(updates_about(running.run)) == 1


def test_only_the_people_on_the_work_send_and_never_a_made_up_choice(running):
    run = running.run
    # ada sees the runbook but does not work on it: no buttons, and a forged tap is refused.
    ada = on_phone("ada")
    assert "Tell customers how it is going" not in ada.get(run.get_absolute_url()).content.decode()
    refused = tap(ada, run, "started")
    assert refused.status_code == 409 and "Only the people doing the work" in refused.content.decode()
    # walt is not on the window: the runbook does not exist for him.
    assert tap(on_phone("walt"), run, "started").status_code == 404
    for forged in ("custom", "<script>", "late-1", ""):
        response = tap(on_phone("tess"), run, forged)
        assert response.status_code == 409 and "not one of the choices" in response.content.decode()
    assert updates_about(run) == []


def test_before_the_window_starts_there_is_nothing_to_tell_from_the_phone(people):
    scene = build_scene(start=False, targets=unplug_web02)
    tess = on_phone("tess")
    assert "Tell customers how it is going" not in tess.get(scene.run.get_absolute_url()).content.decode()
    assert tap(tess, scene.run, "started").status_code == 409
    assert updates_about(scene.run) == []
