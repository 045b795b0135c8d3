"""A running window whose runbook unplugs sw-a Eth1/1, worked by tess and vic, approved by ada.

Every switch and switch port carries an active tag, so the swapped-label accident can be staged: the label
that says sw-b Eth1/1 is what a tech scans when they stand at the wrong switch."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from checklists.execution import Who
from checklists.models import Run, Step
from inventory.models import Tag
from maintenance.models import TargetAction, Window
from tests.conftest import make_user
from tests.maintenance.conftest import RedundantSite, build_redundant_site, make_window


def phone(user, name: str = "") -> Who:
    """The user on a phone of their own: their own session and their own device."""
    label = name or user.username
    return Who.of(user, session_key=f"session-{label}", device_id=f"device{label}0123456789")


@dataclass
class Scene:
    site: RedundantSite
    window: Window
    run: Run
    tags: dict[str, Tag]

    def step(self, position: int) -> Step:
        return self.run.steps.get(position=position)

    def tag_for(self, key: str) -> str:
        return self.tags[key].code


def tag_everything(site: RedundantSite, by) -> dict[str, Tag]:
    tags = {}
    for device in (site.sw_a, site.sw_b, site.sw_c, site.core):
        tag = Tag.issue(device, by=by)
        tag.commission(serial=device.serial, by=by)
        tags[device.name] = tag
        for port in device.ports.all():
            port_tag = Tag.issue(port, by=by)
            port_tag.commission(serial=device.serial, by=by)
            tags[f"{device.name} {port.name}"] = port_tag
    return tags


def build_scene(*, start: bool = True, targets=None) -> Scene:
    """`targets`: a function of the site giving (action, asset) pairs; by default, unplug sw-a Eth1/1."""
    from accounts.roles import Role

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


@pytest.fixture
def scene(db) -> Scene:
    return build_scene()


def users():
    from django.contrib.auth.models import User

    return {u.username: u for u in User.objects.all()}


def finish_steps_before(scene: Scene, position: int) -> None:
    """Work the runbook honestly up to (not including) `position`, the way tess and vic would."""
    from checklists.execution import release, scan, sign
    from checklists.models import StepKind

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
