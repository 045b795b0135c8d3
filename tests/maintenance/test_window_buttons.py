"""The window page offers exactly the buttons the window's rules allow, for that user, now, and says in words
why the next one is not there yet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from checklists.models import RunStatus
from tests.builders.clients import on_phone
from tests.builders.people import users
from tests.builders.scenes import build_scene, finish_steps_before


@pytest.fixture
def scene(db):
    return build_scene()


def actions(user, window) -> str:
    page = on_phone(user).get(window.get_absolute_url()).content.decode()
    return page.split("<h2>Actions</h2>", 1)[1]


def url(window, action: str) -> str:
    if action == "pause":
        return reverse("maintenance:window_pause", args=[window.pk])
    return reverse("maintenance:window_action", args=[window.pk, action])


def offered(user, window) -> set[str]:
    html = actions(user, window)
    every = (
        "start",
        "complete",
        "abort",
        "pause",
        "resume",
        "finish_rollback",
        "cancel",
        "recompute",
        "decide",
    )
    return {action for action in every if f'action="{url(window, action)}"' in html}


def test_a_running_window_with_steps_left(scene):
    people = users()
    window = scene.window
    assert offered(people["tess"], window) == {"abort"}
    left = scene.run.outstanding()
    assert f"Not now:</strong> {left} runbook step(s) are not complete yet." in actions(
        people["tess"], window
    )
    assert offered(people["walt"], window) == set()  # a tech, not on this window
    assert offered(people["ada"], window) == {"abort", "pause"}
    window.pause(by=people["ada"], reason="Customer call")
    assert offered(people["ada"], window) == {"abort", "resume"}
    assert offered(people["tess"], window) == {"abort"}


def test_a_running_window_with_every_step_done_may_complete(scene):
    people = users()
    finish_steps_before(scene, 99)
    assert offered(people["tess"], scene.window) == {"complete", "abort"}
    assert "Not now" not in actions(people["tess"], scene.window)


def test_an_approved_window_starts_from_its_planned_start(db):
    scene = build_scene(start=False)
    people = users()
    window = scene.window
    assert offered(people["tess"], window) == set()  # not yet; and tess neither requested it nor approves
    assert "may not start before its planned start" in actions(people["tess"], window)
    window.planned_start -= timedelta(hours=3)
    window.save(update_fields=["planned_start"])
    assert offered(people["tess"], window) == {"start"}
    assert offered(people["rex"], window) == {"cancel"}  # the requester, not assigned: cancels, never starts


def test_the_approvers_pause_button_pauses(scene):
    ada = on_phone(users()["ada"])
    response = ada.post(
        reverse("maintenance:window_pause", args=[scene.window.pk]), {"reason": "hold on", "next": "board"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("maintenance:board")
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.PAUSED
