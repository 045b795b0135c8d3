"""Rule 1's other conditions: the window open for work, earlier steps done, hold points released by an approver,
the right people; and pausing, aborting and rolling back."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from checklists.execution import release, scan, sign
from checklists.models import RunMode, RunStatus, StepKind, StepRefused, StepStatus
from maintenance.models import WindowRefused, WindowStatus
from tests.builders.people import phone, users
from tests.builders.scenes import DESTRUCTIVE, HOLD, IDENTITY, build_scene, finish_steps_before


def test_nothing_is_signed_before_the_window_starts(db):
    scene = build_scene(start=False)
    assert scene.window.status == WindowStatus.APPROVED
    with pytest.raises(StepRefused, match="not open for work"):
        sign(scene.step(1), who=phone(users()["tess"]))


def test_steps_run_in_order(scene):
    with pytest.raises(StepRefused, match=r"Step 1 \(Check in at the rack\) comes first"):
        scan(scene.step(kind=IDENTITY), who=phone(users()["tess"]), raw=scene.tag_for("sw-a Eth1/1"))


def test_a_hold_point_waits_for_an_approver(scene):
    finish_steps_before(scene, kind=HOLD)
    with pytest.raises(StepRefused, match="released by an approver"):
        sign(scene.step(kind=HOLD), who=phone(users()["tess"]))
    with pytest.raises(StepRefused, match="Only an approver"):
        release(scene.step(kind=HOLD), who=phone(users()["tess"]))
    # And nothing after it moves until it is released.
    with pytest.raises(StepRefused, match="Step 4"):
        scan(
            scene.step(kind=DESTRUCTIVE),
            who=phone(users()["tess"]),
            raw=scene.tag_for("sw-a Eth1/1"),
            serial="SN-sw-a",
        )
    release(scene.step(kind=HOLD), who=phone(users()["ada"]))
    assert (
        scene.step(kind=HOLD).status == StepStatus.COMPLETE
        and scene.step(kind=HOLD).released_by.username == "ada"
    )


def test_a_customer_update_step_needs_one_person(scene):
    update = scene.run.steps.get(kind=StepKind.CUSTOMER_UPDATE, is_rollback=False)
    finish_steps_before(scene, update.position)
    assert sign(update, who=phone(users()["vic"])).startswith("Signed. Nobody was sent this update")
    update.refresh_from_db()
    assert update.status == StepStatus.COMPLETE


def test_someone_not_assigned_to_the_window_cannot_act(scene):
    with pytest.raises(StepRefused, match="not assigned"):
        sign(scene.step(1), who=phone(users()["walt"]))


def test_a_paused_window_stops_every_step_until_resumed(scene):
    ada = users()["ada"]
    scene.window.pause(by=ada, reason="Customer escalation")
    with pytest.raises(StepRefused, match="paused"):
        sign(scene.step(1), who=phone(users()["tess"]))
    with pytest.raises(WindowRefused, match="Only an approver"):
        scene.window.resume(by=users()["tess"])
    scene.window.resume(by=ada)
    sign(scene.step(1), who=phone(users()["tess"]))


def put_back_step(scene):
    """The rollback's first step: put sw-a Eth1/1 back as it was."""
    return scene.step(kind=StepKind.INSTRUCTION, asset="sw-a Eth1/1", rollback=True)


def test_a_window_cannot_complete_with_steps_outstanding(scene):
    with pytest.raises(WindowRefused, match="not complete yet"):
        scene.window.complete(by=users()["tess"])
    put_back = put_back_step(scene)
    finish_steps_before(scene, put_back.position)  # every step before the rollback's
    scene.window.complete(by=users()["tess"])
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.CLOSED
    with pytest.raises(StepRefused, match="closed"):
        sign(put_back, who=phone(users()["tess"]))


def test_aborting_opens_the_rollback_steps_and_nothing_destructive(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    scene.window.abort(by=users()["ada"], reason="Wrong optics delivered")
    scene.run.refresh_from_db()
    assert scene.run.mode == RunMode.ROLLBACK and scene.run.status == RunStatus.ACTIVE
    with pytest.raises(StepRefused, match="rolling back"):
        scan(
            scene.step(kind=DESTRUCTIVE),
            who=phone(users()["tess"]),
            raw=scene.tag_for("sw-a Eth1/1"),
            serial="SN-sw-a",
        )
    rollback = scene.run.sequence()
    assert [s.title for s in rollback] == [
        "Put sw-a Eth1/1 back as it was",
        "Tell customers all is as before",
    ]
    sign(rollback[0], who=phone(users()["tess"]))


def test_rollback_steps_are_not_done_in_a_normal_run(scene):
    put_back = put_back_step(scene)
    finish_steps_before(scene, put_back.position)  # every step before the rollback's
    with pytest.raises(StepRefused, match="only when rolling back"):
        sign(put_back, who=phone(users()["tess"]))


def test_the_requester_cannot_release_the_hold_point_of_their_own_change(db):
    scene = build_scene()
    rex = users()["rex"]
    rex.groups.add(Group.objects.get_or_create(name="approver")[0])  # rex is an approver too
    finish_steps_before(scene, kind=HOLD)
    with pytest.raises(StepRefused, match="another approver releases"):
        release(scene.step(kind=HOLD), who=phone(rex))
