"""The edges of asking the switch: silence past the deadline, a STOP resolved, a link that stays up by design,
a verdict that comes too late, a trail through patch panels, and secrets that cannot be read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from checklists.execution import reset_scans, resolve, sign
from checklists.live_checks import CheckKind, CheckState, LiveCheck
from checklists.live_decisions import ask_again, decide_without
from checklists.models import RunStatus, StepRefused, StepStatus
from inventory.models import Cable, Device, Port, PortKind
from live.ports import far_end
from maintenance.models import TargetAction
from tests.checklists.conftest import build_scene, finish_steps_before, phone, users
from tests.comms.conftest import run_worker
from tests.live.conftest import ALL_UP, DESTRUCTIVE, links, lldp, pair_answers, scan_both


def test_an_approver_decides_on_a_check_past_its_deadline_and_a_late_verdict_changes_nothing(scene, gear):
    """The worker died (or hangs on a device): the step is not held for ever."""
    from checklists.execution import scan

    pair_answers(gear, scene.site, after_a=ALL_UP, after_b=ALL_UP)
    step = scene.step(DESTRUCTIVE)
    people = users()
    code = scene.tag_for(str(step.asset))
    scan(step, who=phone(people["tess"]), raw=code, serial=step.chassis.serial, method="camera")
    scan(step, who=phone(people["vic"]), raw=code, serial=step.chassis.serial)
    check = LiveCheck.objects.get(step=step)
    LiveCheck.objects.filter(pk=check.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    step.refresh_from_db()

    decide_without(step, by=people["ada"], reason="Worker down; checked on the console")
    check.refresh_from_db()
    assert (check.state, check.waived) == (CheckState.NO_ANSWER, True)
    sign(step, who=phone(people["tess"]))

    run_worker()  # the queued check finally runs: settled already, it asks nothing and changes nothing
    check.refresh_from_db()
    assert check.state == CheckState.NO_ANSWER and check.decided_by == people["ada"]
    assert not check.readings.exists()
    assert not AuditEvent.objects.filter(action__startswith="live.before_").exists()


def test_after_a_stop_is_resolved_the_switch_is_asked_again_and_the_step_goes_on(scene, gear):
    site = scene.site
    down_a, down_b = {**ALL_UP, "Eth1_1": False}, {**ALL_UP, "Eth1_1": False}
    # Before: all up. The try-out: sw-b Eth1/1 down (the accident). Asked again after sw-b was plugged back
    # and sw-a Eth1/1 unplugged: only the expected one down.
    gear.answers(site.sw_a, "get_interfaces", links(**ALL_UP), links(**ALL_UP), links(**down_a))
    gear.answers(site.sw_a, "get_lldp_neighbors", lldp("Eth1/1", "web01", "eth0"))
    gear.answers(site.sw_a, "get_interfaces_counters", {})
    gear.answers(site.sw_b, "get_interfaces", links(**ALL_UP), links(**down_b), links(**ALL_UP))
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    people = users()
    sign(step, who=phone(people["tess"]))
    run_worker()
    stopped = LiveCheck.objects.get(step=step, kind=CheckKind.TRYOUT)
    assert stopped.state == CheckState.STOPPED
    with pytest.raises(StepRefused):
        ask_again(step, by=people["tess"])  # held: the approver first

    resolve(
        stopped.discrepancy, who=phone(people["ada"]), resolution="sw-b Eth1/1 plugged back; sw-a unplugged"
    )
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.ACTIVE
    step.refresh_from_db()
    with pytest.raises(StepRefused, match="ask the switch again before signing"):
        sign(step, who=phone(people["vic"]))
    ask_again(step, by=people["vic"])
    run_worker()
    assert LiveCheck.objects.filter(step=step, kind=CheckKind.TRYOUT).latest("pk").state == CheckState.PASSED
    sign(step, who=phone(people["vic"]))
    assert scene.step(DESTRUCTIVE).status == StepStatus.COMPLETE


def test_a_link_the_switch_still_sees_up_can_be_decided_by_an_approver(scene, gear):
    pair_answers(gear, scene.site, after_a=ALL_UP, after_b=ALL_UP)
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    people = users()
    sign(step, who=phone(people["tess"]))
    run_worker()
    assert LiveCheck.objects.get(step=step, kind=CheckKind.TRYOUT).state == CheckState.STILL_UP
    with pytest.raises(StepRefused):
        decide_without(step, by=people["tess"], reason="it is fine")
    decide_without(
        step, by=people["ada"], reason="Breakout cable: the switch keeps the lane up; seen unplugged"
    )
    sign(step, who=phone(people["vic"]))
    assert scene.step(DESTRUCTIVE).status == StepStatus.COMPLETE


def test_a_target_silent_during_the_tryout_proves_nothing(scene, gear):
    site = scene.site
    pair_answers(gear, site, after_a={**ALL_UP, "Eth1_1": False}, after_b=ALL_UP)
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    sign(step, who=phone(users()["tess"]))
    gear.unreachable(site.sw_a)  # its management network goes away after the before-check
    run_worker()
    tryout = LiveCheck.objects.get(step=step, kind=CheckKind.TRYOUT)
    assert tryout.state == CheckState.NO_ANSWER and any("sw-a" in f for f in tryout.findings)


def test_a_verdict_for_a_round_whose_scans_were_reset_does_not_hold_the_new_round(scene, gear):
    from checklists.execution import scan

    pair_answers(gear, scene.site, after_a=ALL_UP, after_b=ALL_UP, neighbour=("web02", "eth0"))
    step = scene.step(DESTRUCTIVE)
    people = users()
    code = scene.tag_for(str(step.asset))
    scan(step, who=phone(people["tess"]), raw=code, serial=step.chassis.serial, method="camera")
    scan(step, who=phone(people["vic"]), raw=code, serial=step.chassis.serial)
    reset_scans(step, who=phone(people["ada"]), reason="vic's phone broke")  # round 1 now

    run_worker()  # the round-0 check disagrees, too late to matter
    step.refresh_from_db()
    assert step.scan_round == 1 and step.status == StepStatus.PENDING
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.ACTIVE
    assert LiveCheck.objects.get(step=step).state == CheckState.SUPERSEDED
    assert AuditEvent.objects.filter(action="live.superseded", payload__would_have_said="disagreed").exists()


def test_a_reconnect_watches_only_that_nothing_else_goes_down(db, gear):
    scene = build_scene(targets=lambda site: [(TargetAction.RECONNECT, site.port(site.sw_a, "Eth1/1"))])
    finish_steps_before(scene, DESTRUCTIVE)
    pair_answers(gear, scene.site, after_a=ALL_UP, after_b=ALL_UP)  # back up after the re-seat
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    sign(step, who=phone(users()["tess"]))
    run_worker()
    tryout = LiveCheck.objects.get(step=step, kind=CheckKind.TRYOUT)
    assert tryout.state == CheckState.PASSED and "the expected link went down" not in tryout.findings


def test_the_far_end_is_traced_through_patch_panels_position_by_position(lax1_panels):
    web, switch_port = lax1_panels
    assert far_end(Port.objects.get(pk=switch_port.pk)) == web
    assert far_end(Port.objects.get(pk=web.pk)) == switch_port
    # A port whose only cable is planned has no far end yet.
    assert far_end(Port.objects.get(device__name="panel-b", name="front1")) is None


@pytest.fixture
def lax1_panels(db):
    """sw-a Eth1/3 → panel A front 2 → A rear (2 positions) → trunk → B rear → panel B front 2 → web03 eth0."""
    from tests.maintenance.conftest import _cable, build_redundant_site

    site = build_redundant_site()
    panel_a = Device.objects.create(site=site.site, name="panel-a", kind="patch_panel")
    panel_b = Device.objects.create(site=site.site, name="panel-b", kind="patch_panel")
    web03 = Device.objects.create(site=site.site, name="web03", kind="server")
    ends = {}
    for panel in (panel_a, panel_b):
        rear = Port.objects.create(device=panel, name="rear", kind=PortKind.REAR, positions=2)
        for n in (1, 2):
            Port.objects.create(
                device=panel, name=f"front{n}", kind=PortKind.FRONT, rear_port=rear, rear_port_position=n
            )
        ends[panel.name] = rear
    web = Port.objects.create(device=web03, name="eth0")
    switch_port = site.port(site.sw_a, "Eth1/3")
    _cable(switch_port, panel_a.ports.get(name="front2"))
    _cable(ends["panel-a"], ends["panel-b"])
    _cable(panel_b.ports.get(name="front2"), web)
    planned = Cable.objects.create(label="planned", status="planned")
    Port.objects.filter(pk=panel_b.ports.get(name="front1").pk).update(cable=planned, cable_end="A")
    return web, switch_port


def test_unreadable_device_secrets_say_so_without_a_password(scene, gear, settings):
    pair_answers(gear, scene.site, after_a=ALL_UP, after_b=ALL_UP)
    settings.LOCKSTEP_DEVICE_SECRETS.write_text(
        '{"default": {"username": "x", "password": "pa55-never-shown"'
    )
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    check = LiveCheck.objects.get(step=step)
    assert check.state == CheckState.NO_ANSWER
    assert (
        check.findings[0].startswith("the device secrets cannot be read:") and "pa55" not in check.findings[0]
    )


def test_the_switch_is_not_asked_about_a_step_that_is_done(scene, gear):
    pair_answers(gear, scene.site, after_a={**ALL_UP, "Eth1_1": False}, after_b=ALL_UP)
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    people = users()
    sign(step, who=phone(people["tess"]))
    run_worker()
    sign(step, who=phone(people["vic"]))
    step.refresh_from_db()
    with pytest.raises(StepRefused):
        ask_again(step, by=people["tess"])
