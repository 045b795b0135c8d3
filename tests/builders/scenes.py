"""A running window whose runbook unplugs sw-a Eth1/1, worked by tess and vic, approved by ada.

The standard runbook of that window, in order: check in at the rack, agree the rollback plan, the identity
check of sw-a Eth1/1, the approver's hold point, the unplug (destructive), check the result, tell customers;
then the rollback steps. Tests find a step by what it is (`scene.step(kind=StepKind.DESTRUCTIVE)`); a
position is only for a story about order."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.roles import Role
from checklists.execution import release, scan, sign
from checklists.models import Run, Step, StepKind
from inventory.models import Tag
from maintenance.models import TargetAction, Window
from tests.builders.people import make_user, phone, users
from tests.builders.sites import RedundantSite, build_redundant_site, tag_everything
from tests.builders.windows import make_window

# The steps a story most often works up to, by what they are: `scene.step(kind=DESTRUCTIVE)`.
IDENTITY = StepKind.IDENTITY_CHECK
HOLD = StepKind.HOLD_POINT
DESTRUCTIVE = StepKind.DESTRUCTIVE


@dataclass
class Scene:
    site: RedundantSite
    window: Window
    run: Run
    tags: dict[str, Tag]

    def step(
        self, position: int | None = None, *, kind: str | None = None, asset=None, rollback: bool = False
    ) -> Step:
        """The one step of this `kind` (on this `asset`: the asset or its name), outside the rollback unless
        `rollback`; or, for a story about order, the step at `position`."""
        if position is not None:
            return self.run.steps.get(position=position)
        steps = self.run.steps.filter(is_rollback=rollback).order_by("position")
        if kind is not None:
            steps = steps.filter(kind=kind)
        found = [s for s in steps if asset is None or s.asset == asset or str(s.asset) == str(asset)]
        assert len(found) == 1, f"{len(found)} steps of kind {kind!r} on {asset!r}, not one"
        return found[0]

    def tag_for(self, key: str) -> str:
        return self.tags[key].code


def build_scene(*, start: bool = True, targets=None) -> Scene:
    """`targets`: a function of the site giving (action, asset) pairs; by default, unplug sw-a Eth1/1."""
    site = build_redundant_site()
    rex = make_user("rex", Role.TECH)
    ada = make_user("ada", Role.APPROVER)
    tess = make_user("tess", Role.TECH)
    vic = make_user("vic", Role.TECH)
    make_user("walt", Role.TECH)
    tags = tag_everything(site, ada)
    window = make_window(rex, site.site)
    window.assignees.add(tess, vic)
    chosen = targets(site) if targets else [(TargetAction.UNPLUG, site.port(site.sw_a, "Eth1/1"))]
    for action, asset in chosen:
        key = "port" if asset.__class__.__name__ == "Port" else "device"
        window.add_target(by=rex, action=action, **{key: asset})
    window.submit(by=rex)
    window.approve(by=ada, comment="go")
    if start:
        window.start(by=tess, now=window.planned_start)
    window.refresh_from_db()
    return Scene(site, window, window.run, tags)


def unplug_web02(site):
    """web02 hangs off sw-a Eth1/2 alone: unplugging it takes down beta's service, and only beta's."""
    return [(TargetAction.UNPLUG, site.port(site.sw_a, "Eth1/2"))]


def finish_steps_before(
    scene: Scene, position: int | None = None, *, kind: str | None = None, asset=None
) -> None:
    """Work the runbook honestly up to (not including) the step of this `kind` (on this `asset`), or the step
    at `position`, the way tess and vic would. Steps already complete are left as they are."""
    if position is None:
        position = scene.step(kind=kind, asset=asset).position
    people = users()
    for step in scene.run.sequence().filter(position__lt=position).exclude(status="complete"):
        if step.kind == StepKind.IDENTITY_CHECK:
            scan(step, who=phone(people["tess"]), raw=scene.tags[str(step.asset)].code)
        elif step.kind == StepKind.HOLD_POINT:
            release(step, who=phone(people["ada"]))
        elif step.kind == StepKind.DESTRUCTIVE:
            chassis = step.chassis.serial
            code = scene.tags[str(step.asset)].code
            # tess reads the label with the page's camera: one of the two scans is a camera's (the site asks).
            scan(step, who=phone(people["tess"]), raw=code, serial=chassis, method="camera")
            scan(step, who=phone(people["vic"]), raw=code, serial=chassis)
            sign(step, who=phone(people["tess"]))
            sign(step, who=phone(people["vic"]))
        else:
            sign(step, who=phone(people["tess"]))
