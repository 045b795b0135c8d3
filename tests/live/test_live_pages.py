"""The live checks on the step page: what the phone shows, and what the people on the step may do about it."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from checklists.execution import sign
from checklists.live_checks import CheckKind, CheckState, LiveCheck
from checklists.models import StepStatus
from live.models import Reading
from tests.checklists.conftest import phone, users
from tests.comms.conftest import run_worker
from tests.live.conftest import ALL_UP, DESTRUCTIVE, TIMEOUT, counters, links, lldp, pair_answers, scan_both


def on_phone(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["lockstep_device"] = f"device{user.username}0123456789"
    return client


def _key() -> str:
    import secrets

    return secrets.token_urlsafe(24)


def _post(client, scene, name: str, **data):
    url = reverse(f"checklists:{name}", args=[scene.run.pk, DESTRUCTIVE])
    return client.post(url, {"idem": _key(), **data})


def test_a_device_without_access_says_it_has_no_live_checks(scene):
    html = on_phone(users()["tess"]).get(scene.step(DESTRUCTIVE).get_absolute_url()).content.decode()
    assert "No live check: sw-a has no driver and management address set up in Lockstep." in html


def test_the_phone_shows_the_switchs_answer_and_offers_the_signature_only_then(scene, gear):
    pair_answers(gear, scene.site, after_a={**ALL_UP, "Eth1_1": False}, after_b=ALL_UP)
    step = scene.step(DESTRUCTIVE)
    people = users()
    from checklists.execution import scan

    code = scene.tag_for(str(step.asset))
    scan(step, who=phone(people["tess"]), raw=code, serial=step.chassis.serial, method="camera")
    scan(step, who=phone(people["vic"]), raw=code, serial=step.chassis.serial)
    tess = on_phone(people["tess"])
    html = tess.get(step.get_absolute_url()).content.decode()
    assert "… Asking sw-a" in html and "I did it: sign done" not in html

    run_worker()
    html = tess.get(step.get_absolute_url()).content.decode()
    assert "✓ sw-a agrees with the inventory" in html
    assert "its LLDP neighbour is web01 eth0, as the inventory says" in html
    assert "I did it: sign done" in html
    # Never the password, never a serial.
    assert "pa55-never-shown" not in html and "SN-sw-a" not in html


def test_the_phone_shows_stop_with_the_port_that_went_down(scene, gear):
    pair_answers(gear, scene.site, after_a=ALL_UP, after_b={**ALL_UP, "Eth1_1": False})
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    people = users()
    sign(step, who=phone(people["tess"]))
    run_worker()

    for who in ("tess", "vic"):
        html = on_phone(people[who]).get(step.get_absolute_url()).content.decode()
        assert "✕ STOP: sw-b Eth1/1 went down" in html
        assert "sw-b Eth1/1 went down, which this step must not touch" in html
        assert "I saw it done on this asset: sign verified" not in html


def test_silence_is_decided_by_an_approver_with_a_reason_and_then_the_step_goes_on(scene, gear):
    gear.answers(scene.site.sw_a, "get_interfaces", TIMEOUT, TIMEOUT)
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    people = users()
    tess, ada = on_phone(people["tess"]), Client()
    ada.force_login(people["ada"])
    assert "Go on without the switch's answer" not in tess.get(step.get_absolute_url()).content.decode()
    desk = ada.get(step.get_absolute_url()).content.decode()
    assert "■ No live check: sw-a did not answer" in desk and "Go on without the switch's answer" in desk

    # A tech may not decide it; an empty reason changes nothing.
    assert _post(tess, scene, "step_without_switch", reason="trust me").status_code == 403
    refused = _post(ada, scene, "step_without_switch", reason="  ")
    assert refused.status_code == 409 and LiveCheck.objects.get(step=step).decided_by is None

    assert (
        _post(ada, scene, "step_without_switch", reason="Checked on the console: Eth1/1 to web01").status_code
        == 200
    )
    check = LiveCheck.objects.get(step=step)
    assert check.decided_by == people["ada"] and check.waived
    event = AuditEvent.objects.get(action="live.decided_without_answer")
    assert (
        event.actor == people["ada"] and event.payload["reason"] == "Checked on the console: Eth1/1 to web01"
    )
    html = tess.get(step.get_absolute_url()).content.decode()
    assert "ada decided the step goes on without it" in html and "I did it: sign done" in html
    sign(step, who=phone(people["tess"]))
    assert scene.step(DESTRUCTIVE).status == StepStatus.DONE


def test_the_expected_port_still_up_is_not_done_and_the_switch_is_asked_again(scene, gear):
    site = scene.site
    gear.answers(
        site.sw_a, "get_interfaces", links(**ALL_UP), links(**ALL_UP), links(**{**ALL_UP, "Eth1_1": False})
    )
    gear.answers(site.sw_a, "get_lldp_neighbors", lldp("Eth1/1", "web01", "eth0"))
    gear.answers(site.sw_a, "get_interfaces_counters", counters("Eth1/1"))
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    people = users()
    sign(step, who=phone(people["tess"]))
    run_worker()
    assert LiveCheck.objects.get(step=step, kind=CheckKind.TRYOUT).state == CheckState.STILL_UP
    vic = on_phone(people["vic"])
    html = vic.get(step.get_absolute_url()).content.decode()
    assert "✕ Not done: the switch still sees the link up" in html and "sw-a Eth1/1 is still up" in html
    assert "sign verified" not in html

    assert _post(vic, scene, "step_ask_switch").status_code == 200
    run_worker()
    assert [c.state for c in LiveCheck.objects.filter(step=step, kind=CheckKind.TRYOUT).order_by("pk")] == [
        CheckState.STILL_UP,
        CheckState.PASSED,
    ]
    sign(step, who=phone(people["vic"]))
    assert scene.step(DESTRUCTIVE).status == StepStatus.COMPLETE


def test_the_locate_led_is_offered_where_the_platform_has_one_and_recorded(scene, gear, settings):
    settings.LOCKSTEP_LOCATE_COMMANDS = {"mock": ["locator-led chassis", "no locator-led chassis"]}
    gear.reachable(scene.site.sw_a)
    (gear.root / "sw-a" / "cli.1.locator_led_chassis.0").write_text("")
    people = users()
    tess = on_phone(people["tess"])
    step = scene.step(DESTRUCTIVE)
    assert "Light sw-a's locate LED" in tess.get(step.get_absolute_url()).content.decode()

    assert _post(tess, scene, "step_locate").status_code == 200
    run_worker()
    reading = Reading.objects.get(purpose="locate")
    assert reading.answered and reading.data == {"command": "locator-led chassis"}
    assert AuditEvent.objects.filter(action="device.locate_led_on", actor=people["tess"]).exists()

    settings.LOCKSTEP_LOCATE_COMMANDS = {}
    assert "locate LED" not in tess.get(step.get_absolute_url()).content.decode()
    assert _post(tess, scene, "step_locate").status_code == 409


@pytest.mark.parametrize("reason", ["<script>alert(1)</script>", "x" * 5000])
def test_a_decision_reason_is_text_and_bounded(scene, gear, reason):
    gear.answers(scene.site.sw_a, "get_interfaces", TIMEOUT, TIMEOUT)
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    ada = Client()
    ada.force_login(users()["ada"])
    assert _post(ada, scene, "step_without_switch", reason=reason).status_code == 200
    html = ada.get(step.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert len(LiveCheck.objects.get(step=step).decision_reason) <= 500


def test_credentials_stay_in_the_secrets_file(scene, gear):
    pair_answers(gear, scene.site, after_a={**ALL_UP, "Eth1_1": False}, after_b=ALL_UP)
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    sign(step, who=phone(users()["tess"]))
    run_worker()
    stored = json.dumps(
        [list(Reading.objects.values()), list(LiveCheck.objects.values()), list(AuditEvent.objects.values())],
        default=str,
    )
    assert "pa55-never-shown" not in stored


def test_the_destructive_step_page_polls_in_a_fixed_number_of_queries(scene, gear, django_assert_num_queries):
    """The phone asks every 3 s while the switch is asked and watched: the live checks add two reads to it,
    however many checks and readings the step has."""
    pair_answers(gear, scene.site, after_a={**ALL_UP, "Eth1_1": False}, after_b=ALL_UP)
    step = scan_both(scene, scene.step(DESTRUCTIVE))
    tess = on_phone(users()["tess"])
    url = step.get_absolute_url()
    tess.get(url)
    # session, user; the step with its run and asset; roles; place on the run; the sequence's statuses; the
    # interlock (circuits joining sites, open cuts); the device's access and the deciding check (live); the
    # scans with their people
    with django_assert_num_queries(11):
        tess.get(url, headers={"HX-Request": "true"})
    sign(step, who=phone(users()["tess"]))
    run_worker()
    for _ in range(3):
        LiveCheck.objects.create(
            step=step, round=step.scan_round, kind=CheckKind.TRYOUT, state=CheckState.PASSED
        )
    vic = on_phone(users()["vic"])
    vic.get(url)
    # the same, less the interlock (asked only before the cut)
    with django_assert_num_queries(9):
        vic.get(url, headers={"HX-Request": "true"})
