"""The switch testifies: before the hands move, and after (the try-out)."""

from __future__ import annotations

import pytest
from django.core import mail

from audit.models import AuditEvent
from checklists.execution import sign
from checklists.live_checks import CheckKind, CheckState, LiveCheck
from checklists.models import RunStatus, StepRefused, StepStatus
from inventory.models import Discrepancy
from live.models import Reading
from maintenance.models import TargetAction
from tests.checklists.conftest import build_scene, finish_steps_before, phone, users
from tests.comms.conftest import run_worker
from tests.live.conftest import ALL_UP, DESTRUCTIVE, TIMEOUT, links, lldp, pair_answers, scan_both


def test_the_switch_agrees_and_the_right_port_goes_down(scene, gear):
    site, step = scene.site, scene.step(DESTRUCTIVE)
    pair_answers(gear, site, after_a={**ALL_UP, "Eth1_1": False}, after_b=ALL_UP)
    people = users()

    step = scan_both(scene, step)
    before = LiveCheck.objects.get(step=step, kind=CheckKind.BEFORE)
    assert before.state == CheckState.AGREED, before.findings
    assert "its LLDP neighbour is web01 eth0, as the inventory says" in before.findings
    assert "Eth1/1 is up" in before.findings and any("traffic counted" in f for f in before.findings)

    said = sign(step, who=phone(people["tess"]))
    assert "watches the links" in said
    # Until the try-out has answered, the verifier waits.
    with pytest.raises(StepRefused, match="Watching the links"):
        sign(step, who=phone(people["vic"]))
    run_worker()
    tryout = LiveCheck.objects.get(step=step, kind=CheckKind.TRYOUT)
    assert tryout.state == CheckState.PASSED, tryout.findings
    assert sorted(tryout.watched) == ["sw-a", "sw-b"]
    sign(step, who=phone(people["vic"]))
    step.refresh_from_db()
    assert step.status == StepStatus.COMPLETE
    # Every reading is kept, with its time and source.
    readings = Reading.objects.filter(step=step)
    assert {(r.device.name, r.getter, r.purpose) for r in readings} >= {
        ("sw-a", "get_interfaces", "before"),
        ("sw-a", "get_lldp_neighbors", "before"),
        ("sw-b", "get_interfaces", "before"),
        ("sw-a", "get_interfaces", "tryout"),
        ("sw-b", "get_interfaces", "tryout"),
    }
    assert all(r.source == "napalm mock 192.0.2.1" and r.taken_at for r in readings)
    actions = list(AuditEvent.objects.filter(action__startswith="live.").values_list("action", flat=True))
    assert actions == ["live.asked", "live.before_agreed", "live.asked", "live.tryout_passed"]


def test_the_wrong_port_going_down_on_the_other_switch_is_caught_within_one_tryout(scene, gear, settings):
    """The seed's accident: the tech unplugs sw-b Eth1/1, web01's other half, instead of sw-a Eth1/1."""
    site, step = scene.site, scene.step(DESTRUCTIVE)
    people = users()
    people["ada"].email = "ada@example.net"
    people["ada"].save()
    pair_answers(gear, site, after_a=ALL_UP, after_b={**ALL_UP, "Eth1_1": False})

    step = scan_both(scene, step)
    sign(step, who=phone(people["tess"]))
    run_worker()

    tryout = LiveCheck.objects.get(step=step, kind=CheckKind.TRYOUT)
    assert tryout.state == CheckState.STOPPED
    assert tryout.went_down == ["sw-b Eth1/1"]
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.HELD and "sw-b Eth1/1 went down" in scene.run.hold_reason
    discrepancy = Discrepancy.objects.get(pk=tryout.discrepancy_id)
    assert discrepancy.kind == "tryout_wrong_port" and discrepancy.found == {"went_down": ["sw-b Eth1/1"]}
    assert list(scene.run.open_discrepancies()) == [discrepancy]
    # The approvers (and coordinators) are told by mail at once, and the record says so.
    assert [m.to for m in mail.outbox] == [["ada@example.net"]] and "sw-b Eth1/1" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="live.alert_sent", payload__told=["ada@example.net"]).exists()
    # The verifier cannot sign it verified: the work is held.
    with pytest.raises(StepRefused, match="held"):
        sign(step, who=phone(people["vic"]))


def test_an_lldp_neighbour_that_disagrees_blocks_the_step_like_a_mismatch(scene, gear):
    site, step = scene.site, scene.step(DESTRUCTIVE)
    pair_answers(gear, site, after_a=ALL_UP, after_b=ALL_UP, neighbour=("web02.lax1.example.net", "eth0"))
    people = users()

    step = scan_both(scene, step)

    before = LiveCheck.objects.get(step=step, kind=CheckKind.BEFORE)
    assert before.state == CheckState.DISAGREED
    assert before.findings[0] == (
        "the switch's LLDP neighbour on Eth1/1 is web02.lax1.example.net eth0, "
        "but the inventory's cable goes to web01 eth0"
    )
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.HELD
    assert Discrepancy.objects.get(pk=before.discrepancy_id).kind == "live_check_disagrees"
    # Like a scan mismatch, the step's earlier scans no longer count: both scan again once it is resolved.
    assert (step.status, step.performer_id, step.scan_round) == (StepStatus.PENDING, None, 1)
    with pytest.raises(StepRefused):
        sign(step, who=phone(people["tess"]))


def test_a_serial_the_device_reports_that_disagrees_blocks_a_power_off(db, gear):
    scene = build_scene(targets=lambda site: [(TargetAction.POWER_OFF, site.sw_c)])
    finish_steps_before(scene, DESTRUCTIVE)
    step = scene.step(DESTRUCTIVE)
    gear.answers(scene.site.sw_c, "get_facts", {"hostname": "sw-c", "serial_number": "JPE-SOMETHING-ELSE"})

    step = scan_both(scene, step)

    before = LiveCheck.objects.get(step=step, kind=CheckKind.BEFORE)
    assert before.state == CheckState.DISAGREED
    assert "the serial the device reports is not the one in the inventory" in before.findings
    # What the phone reads never holds a serial: neither the inventory's nor the device's (rule 7).
    assert not any("SN-sw-c" in f or "JPE-SOMETHING-ELSE" in f for f in before.findings)
    assert "the device calls itself sw-c" in before.findings


def test_a_device_that_times_out_leaves_the_decision_to_an_approver(scene, gear):
    site, step = scene.site, scene.step(DESTRUCTIVE)
    gear.answers(site.sw_a, "get_interfaces", TIMEOUT, TIMEOUT)
    people = users()

    step = scan_both(scene, step)

    before = LiveCheck.objects.get(step=step, kind=CheckKind.BEFORE)
    assert before.state == CheckState.NO_ANSWER
    assert "sw-a did not answer get_interfaces: timed out (napalm mock 192.0.2.1)" in before.findings
    with pytest.raises(StepRefused, match=r"No live check: sw-a did not answer\. An approver decides"):
        sign(step, who=phone(people["tess"]))
    assert scene.run.steps.get(pk=step.pk).status == StepStatus.CLEARED  # nothing else changed


def test_the_as_run_record_keeps_what_the_switches_said(scene, gear):
    from maintenance.runbook_pdf import runbook_html

    site, step = scene.site, scene.step(DESTRUCTIVE)
    pair_answers(gear, site, after_a=ALL_UP, after_b={**ALL_UP, "Eth1_1": False})
    step = scan_both(scene, step)
    sign(step, who=phone(users()["tess"]))
    run_worker()

    html = runbook_html(scene.window, as_run=True)
    assert "The switch, before the step:</strong> The device agrees with the inventory" in html
    assert "The switch, try-out after the step:</strong> Another link went down" in html
    assert "sw-b Eth1/1 went down, which this step must not touch" in html
    assert "sw-b get_interfaces via napalm mock 192.0.2.1: answered" in html
    assert "STILL OPEN" in html  # the try-out's discrepancy, until an approver resolves it
    assert "pa55-never-shown" not in html and "SN-sw-a" not in html
    # Looked at as a picture too, like every PDF we print (var/screenshots/live-as-run-*.png).
    import subprocess

    from maintenance.runbook_pdf import render_runbook_pdf
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = SCREENSHOTS / "live-as-run.pdf"
    pdf.write_bytes(render_runbook_pdf(scene.window, as_run=True))
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(SCREENSHOTS / "live-as-run")], check=True)


def test_the_debrief_timeline_tells_what_the_switches_said(scene, gear):
    from debriefs.models import Debrief
    from debriefs.reports import timeline

    site, step = scene.site, scene.step(DESTRUCTIVE)
    pair_answers(gear, site, after_a=ALL_UP, after_b={**ALL_UP, "Eth1_1": False})
    step = scan_both(scene, step)
    sign(step, who=phone(users()["tess"]))
    run_worker()

    debrief = Debrief.open_for(scene.window, by=users()["ada"])
    entries = [(e.what, e.detail) for e in timeline(debrief)]
    agreed = next(d for w, d in entries if w == "The switch agreed with the inventory")
    assert "its LLDP neighbour is web01 eth0, as the inventory says" in agreed
    stopped = next(d for w, d in entries if w == "Try-out: ANOTHER LINK WENT DOWN")
    assert stopped == "sw-b Eth1/1 went down, which this step must not touch"


def test_the_tryout_watches_for_its_whole_time_and_catches_a_link_lost_late(scene, gear, settings):
    """Read every interval for the configured time, each read a task of its own (the worker stays free)."""
    import time

    settings.LOCKSTEP_TRYOUT_SECONDS, settings.LOCKSTEP_TRYOUT_INTERVAL = 0.2, 0.1
    site, step = scene.site, scene.step(DESTRUCTIVE)
    down = {**ALL_UP, "Eth1_1": False}
    gear.answers(site.sw_a, "get_interfaces", links(**ALL_UP), links(**down), links(**down))
    gear.answers(site.sw_a, "get_lldp_neighbors", lldp("Eth1/1", "web01", "eth0"))
    gear.answers(site.sw_a, "get_interfaces_counters", {})
    gear.answers(site.sw_b, "get_interfaces", links(**ALL_UP), links(**ALL_UP), links(**down))
    step = scan_both(scene, step)
    sign(step, who=phone(users()["tess"]))

    run_worker()
    tryout = LiveCheck.objects.get(step=step, kind=CheckKind.TRYOUT)
    assert (tryout.state, tryout.polls) == (CheckState.WAITING, 1)  # the first read was fine: watching on
    time.sleep(0.15)
    run_worker()
    tryout.refresh_from_db()
    assert (tryout.state, tryout.polls, tryout.went_down) == (CheckState.STOPPED, 2, ["sw-b Eth1/1"])


def test_the_approver_reads_what_the_switch_said_on_the_discrepancy_page(scene, gear):
    from django.test import Client

    pair_answers(gear, scene.site, after_a=ALL_UP, after_b={**ALL_UP, "Eth1_1": False})
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    sign(step, who=phone(users()["tess"]))
    run_worker()
    tryout = LiveCheck.objects.get(step=step, kind=CheckKind.TRYOUT)
    ada = Client()
    ada.force_login(users()["ada"])
    html = ada.get(f"/discrepancies/{tryout.discrepancy_id}/").content.decode()
    assert "<dt>Expected to go down</dt><dd>Sw-a Eth1/1, web01 eth0</dd>" in html
    assert "<dt>Went down too</dt><dd>Sw-b Eth1/1</dd>" in html
    assert "the switch did (live checks)" in html and "found while applying a label" not in html


def test_the_board_shows_a_wrong_port_gone_down_at_once(scene, gear):
    from django.test import Client

    pair_answers(gear, scene.site, after_a=ALL_UP, after_b={**ALL_UP, "Eth1_1": False})
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    sign(step, who=phone(users()["tess"]))
    run_worker()
    ada = Client()
    ada.force_login(users()["ada"])
    html = ada.get("/approvals/board/").content.decode()
    assert "STOP: sw-b Eth1/1 went down" in html and "expected only sw-a Eth1/1, web01 eth0" in html
