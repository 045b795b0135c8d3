"""Rollback always proceeds: an abort puts the runbook on its rollback steps, workable at once, even when an
approver had paused the work; a discrepancy still holds it until resolved. When the rollback steps are all
done, a tech or an approver finishes the rollback: the runbook closes and the window leaves the board, still
aborted. The board and the window page offer exactly the buttons the window's rules allow, for that user, now."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from checklists.execution import scan, sign
from checklists.models import RunMode, RunStatus, StepRefused, StepStatus
from inventory.models import Discrepancy
from maintenance.models import WindowRefused, WindowStatus
from tests.builders.clients import key, on_phone
from tests.builders.people import phone, users
from tests.builders.scenes import DESTRUCTIVE, IDENTITY, build_scene, finish_steps_before


@pytest.fixture
def scene(db):
    """A running window that unplugs sw-a Eth1/1, worked by tess and vic, approved by ada, requested by rex."""
    return build_scene()


def pause(scene, by) -> None:
    response = on_phone(by).post(
        reverse("maintenance:window_pause", args=[scene.window.pk]), {"reason": "wait"}
    )
    assert response.status_code == 302
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.PAUSED


def abort(scene, by) -> None:
    response = on_phone(by).post(
        reverse("maintenance:window_action", args=[scene.window.pk, "abort"]), {"reason": "Wrong optics"}
    )
    assert response.status_code == 302
    scene.window.refresh_from_db()
    scene.run.refresh_from_db()
    assert scene.window.status == WindowStatus.ABORTED and scene.run.mode == RunMode.ROLLBACK


def sign_over_http(scene, who, step) -> str:
    response = on_phone(who).post(
        reverse("checklists:step_sign", args=[scene.run.pk, step.position]), {"idem": key()}
    )
    assert response.status_code == 200, response.content.decode()
    return response.content.decode()


def card(board: str, scene) -> str:
    """The live card of the scene's window on the board."""
    return next(part for part in board.split('<article class="card live-card') if scene.window.title in part)


def board_of(user) -> str:
    return on_phone(user).get(reverse("maintenance:board")).content.decode()


def action_url(scene, action: str) -> str:
    return reverse("maintenance:window_action", args=[scene.window.pk, action])


def test_pause_then_abort_opens_the_rollback_at_once_and_it_is_worked_to_the_end(scene):
    people = users()
    finish_steps_before(scene, kind=DESTRUCTIVE)
    pause(scene, people["ada"])
    abort(scene, people["tess"])
    # The abort lifted the pause: the rollback is open for work, now.
    assert scene.run.status == RunStatus.ACTIVE

    rollback = list(scene.run.sequence())
    assert [s.title for s in rollback] == [
        "Put sw-a Eth1/1 back as it was",
        "Tell customers all is as before",
    ]
    page = on_phone(people["tess"]).get(rollback[0].get_absolute_url()).content.decode()
    assert "ROLLING BACK" in page and "paused" not in page.lower()
    assert "Signed: done." in sign_over_http(scene, people["tess"], rollback[0])

    # One rollback step left: nobody is offered to finish yet, and the window page says why.
    assert action_url(scene, "finish_rollback") not in card(board_of(people["ada"]), scene)
    window_page = on_phone(people["tess"]).get(scene.window.get_absolute_url()).content.decode()
    assert action_url(scene, "finish_rollback") not in window_page
    assert "1 rollback step(s) are not complete yet." in window_page

    assert "Nobody was sent this update" in sign_over_http(scene, people["vic"], rollback[1])
    assert action_url(scene, "finish_rollback") in card(board_of(people["ada"]), scene)
    window_page = on_phone(people["tess"]).get(scene.window.get_absolute_url()).content.decode()
    assert action_url(scene, "finish_rollback") in window_page

    response = on_phone(people["tess"]).post(action_url(scene, "finish_rollback"))
    assert response.status_code == 302
    scene.run.refresh_from_db()
    scene.window.refresh_from_db()
    assert scene.run.status == RunStatus.CLOSED and scene.window.status == WindowStatus.ABORTED
    assert AuditEvent.objects.for_object(scene.window).filter(action="window.rolled_back").count() == 1
    assert scene.window.title not in board_of(people["ada"])  # off the board: nothing is being worked


def test_the_board_offers_no_resume_for_an_aborted_window(scene):
    people = users()
    pause(scene, people["ada"])
    assert action_url(scene, "resume") in card(board_of(people["ada"]), scene)
    abort(scene, people["ada"])
    live = card(board_of(people["ada"]), scene)
    assert action_url(scene, "resume") not in live
    assert "Abort…" not in live  # it is aborted already
    # Resuming by hand is refused in words, and changes nothing.
    with pytest.raises(WindowRefused, match="not paused"):
        scene.window.resume(by=people["ada"])


def test_a_held_run_aborted_stays_held_until_resolved_then_the_rollback_proceeds(scene):
    people = users()
    finish_steps_before(scene, kind=IDENTITY)
    scan(scene.step(kind=IDENTITY), who=phone(people["tess"]), raw=scene.tag_for("sw-b Eth1/1"))  # a mismatch
    pause(scene, people["ada"])  # the approver stops everything too
    abort(scene, people["tess"])
    assert scene.run.status == RunStatus.HELD  # the pause is lifted; the discrepancy still holds it

    rollback = list(scene.run.sequence())
    with pytest.raises(StepRefused, match="held until an approver resolves"):
        sign(rollback[0], who=phone(people["tess"]))
    live = card(board_of(people["ada"]), scene)
    assert "Discrepancy:" in live
    assert action_url(scene, "resume") not in live and action_url(scene, "finish_rollback") not in live

    discrepancy = Discrepancy.objects.get()
    on_phone(people["ada"]).post(
        reverse("checklists:discrepancy_resolve", args=[discrepancy.pk]),
        {"idem": key(), "resolution": "Labels of sw-a and sw-b swapped back"},
    )
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.ACTIVE and scene.run.mode == RunMode.ROLLBACK
    for step in rollback:
        sign_over_http(scene, people["tess"], step)
    assert {s.status for s in scene.run.sequence()} == {StepStatus.COMPLETE}
    scene.window.finish_rollback(by=people["ada"])
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.CLOSED


def test_an_approver_may_pause_a_rollback_and_the_board_then_offers_resume(scene):
    people = users()
    abort(scene, people["tess"])
    assert action_url(scene, "resume") not in card(board_of(people["ada"]), scene)
    pause(scene, people["ada"])
    live = card(board_of(people["ada"]), scene)
    assert (
        action_url(scene, "resume") in live
        and reverse("maintenance:window_pause", args=[scene.window.pk]) not in live
    )
    with pytest.raises(StepRefused, match="paused"):
        sign(scene.run.sequence().first(), who=phone(people["tess"]))
    on_phone(people["ada"]).post(action_url(scene, "resume"), {"next": "board"})
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.ACTIVE and scene.run.mode == RunMode.ROLLBACK


def test_finishing_a_rollback_is_refused_in_words_until_it_may_be(scene):
    people = users()
    with pytest.raises(WindowRefused, match="Only a window that is rolling back"):
        scene.window.finish_rollback(by=people["tess"])
    abort(scene, people["tess"])
    with pytest.raises(WindowRefused, match="2 rollback step"):
        scene.window.finish_rollback(by=people["tess"])
    finish_steps_before(scene, 99)
    with pytest.raises(WindowRefused, match="Only a tech assigned"):
        scene.window.finish_rollback(by=people["walt"])  # a tech, not on this window
    scene.window.finish_rollback(by=people["vic"])
    with pytest.raises(WindowRefused, match="Only a window that is rolling back"):
        scene.window.finish_rollback(by=people["vic"])


def test_a_completed_window_never_offers_the_rollback(db):
    scene = build_scene()
    people = users()
    finish_steps_before(scene, 8)
    scene.window.complete(by=people["tess"])
    assert not scene.window.may_finish_rollback(people["tess"])
    assert not scene.window.may_resume(people["ada"]) and not scene.window.may_pause(people["ada"])


def test_aborting_a_held_window_keeps_it_held_for_the_approver(scene):
    people = users()
    finish_steps_before(scene, kind=IDENTITY)
    scan(scene.step(kind=IDENTITY), who=phone(people["tess"]), raw=scene.tag_for("sw-b Eth1/1"))
    scene.window.abort(by=people["tess"], reason="Something is wrong with the labels")
    scene.run.refresh_from_db()
    assert scene.run.mode == RunMode.ROLLBACK and scene.run.status == RunStatus.HELD
    board = on_phone(people["ada"]).get(reverse("maintenance:board")).content.decode()
    assert "Discrepancy:" in board and scene.window.title in board
