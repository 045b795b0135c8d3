"""The current step of many runs at once (the approver's board asks it of every running window in one query)
is each run's own current step: the first not complete of the sequence it works through now, the rollback
steps once it rolls back, and none once every step of that sequence is complete."""

from __future__ import annotations

from checklists.models import Run, StepKind, StepStatus
from maintenance.models import TargetAction
from tests.builders.people import users
from tests.builders.scenes import Scene, build_scene, finish_steps_before
from tests.builders.windows import make_window


def another_window(scene: Scene, title: str) -> Scene:
    """Another running window at the scene's site, worked by tess and vic: it unplugs sw-c Eth1/2."""
    people = users()
    window = make_window(people["rex"], scene.site.site, title=title)
    window.assignees.add(people["tess"], people["vic"])
    window.add_target(
        by=people["rex"], action=TargetAction.UNPLUG, port=scene.site.port(scene.site.sw_c, "Eth1/2")
    )
    window.submit(by=people["rex"])
    window.approve(by=people["ada"], comment="")
    window.start(by=people["tess"], now=window.planned_start)
    window.refresh_from_db()
    return Scene(scene.site, window, window.run, scene.tags)


def test_each_run_gets_the_step_it_would_get_alone(db):
    working = build_scene()
    rolling_back = another_window(working, "Rolled back")
    finished = another_window(working, "All done")
    check = working.run.steps.get(kind=StepKind.IDENTITY_CHECK)
    finish_steps_before(working, check.position)
    rolling_back.window.abort(by=users()["tess"], reason="Wrong optics")
    rolling_back.run.refresh_from_db()
    finish_steps_before(finished, finished.run.steps.filter(is_rollback=False).count() + 1)

    current = {step.run_id: step for step in Run.current_steps([working.run, rolling_back.run, finished.run])}

    assert current[working.run.pk] == check == working.run.current_step()
    first_rollback = rolling_back.run.steps.filter(is_rollback=True).order_by("position").first()
    assert current[rolling_back.run.pk] == first_rollback == rolling_back.run.current_step()
    assert finished.run.pk not in current and finished.run.current_step() is None
    assert all(step.status != StepStatus.COMPLETE for step in current.values())
