"""Nothing moves before the evidence is in: a destructive step is cleared only when both scans matched and the
switch has said yes (or an approver who does not work on the change decided it goes on without). Until then
both phones say "Wait: asking the switch", and nothing on them, on the runbook page or on the board reads as go.

tess and vic unplug sw-a Eth1/1; ada approves and watches the board."""

from __future__ import annotations

import secrets

from django.test import Client
from django.urls import reverse

from checklists.live_checks import CheckKind, CheckState, LiveCheck
from checklists.models import StepStatus
from maintenance import runbooks
from tests.checklists.conftest import users
from tests.comms.conftest import run_worker
from tests.live.conftest import ALL_UP, DESTRUCTIVE, TIMEOUT, links, lldp, pair_answers

# What reads as go on a phone: the step's own words and the page's.
GO_WORDS = (
    "✓ Cleared",
    "Cleared by two people",
    "does it now",
    "Watch tess",
    "unplug it",
    "I did it: sign done",
)


def on_phone(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["lockstep_device"] = f"device{user.username}0123456789"
    return client


def at_the_desk(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tap(client, scene, name: str, **data):
    url = reverse(f"checklists:{name}", args=[scene.run.pk, DESTRUCTIVE])
    return client.post(url, {"idem": secrets.token_urlsafe(24), **data})


def both_scan_over_http(scene):
    """tess scans with the page's camera, then vic, each on their own phone; the worker has not asked the
    switch yet. Returns their phones and vic's answer."""
    people = users()
    tess, vic = on_phone(people["tess"]), on_phone(people["vic"])
    code, serial = scene.tag_for("sw-a Eth1/1"), "SN-sw-a"
    assert tap(tess, scene, "step_scan", code=code, serial=serial, method="camera").status_code == 200
    answer = tap(vic, scene, "step_scan", code=code, serial=serial)
    assert answer.status_code == 200
    return tess, vic, answer.content.decode()


def no_go(html: str) -> None:
    said = [words for words in GO_WORDS if words in html]
    assert not said, f"reads as go while the switch is asked: {said}"


def test_both_phones_wait_while_the_switch_is_asked_and_are_cleared_once_it_agrees(scene, gear):
    pair_answers(gear, scene.site, after_a={**ALL_UP, "Eth1_1": False}, after_b=ALL_UP)
    tess, vic, answer = both_scan_over_http(scene)
    step = scene.step(DESTRUCTIVE)
    assert step.status == StepStatus.CLEARED  # both scans matched: that is all it says
    assert LiveCheck.objects.get(step=step).state == CheckState.WAITING

    # vic's tap is answered with his match, and with the wait.
    assert "■ Your scan matched" in answer and "Touch nothing yet. Asking sw-a" in answer
    no_go(answer)
    for phone in (tess, vic):
        html = phone.get(step.get_absolute_url()).content.decode()
        assert "… Wait: asking the switch" in html and "Both scans of sw-a Eth1/1 matched." in html
        no_go(html)
    # The runbook's list of steps does not call it cleared either, and the signature is refused.
    runbook = tess.get(scene.run.get_absolute_url()).content.decode()
    assert "Both scans matched; waiting: touch nothing yet" in runbook and "Cleared" not in runbook
    refused = tap(tess, scene, "step_sign")
    assert refused.status_code == 409 and "Asking sw-a: wait a few seconds." in refused.content.decode()
    assert scene.step(DESTRUCTIVE).status == StepStatus.CLEARED

    run_worker()  # the switch agrees

    html = tess.get(step.get_absolute_url()).content.decode()
    assert "✓ Cleared" in html and "and sw-a agrees with the inventory" in html
    assert "Now unplug: sw-a Eth1/1" in html and "I did it: sign done" in html
    assert "Wait: asking the switch" not in html
    html = vic.get(step.get_absolute_url()).content.decode()
    assert "✓ Cleared" in html and "Watch tess unplug" in html
    assert (
        "Cleared: both scans matched and every check has answered"
        in tess.get(scene.run.get_absolute_url()).content.decode()
    )
    assert tap(tess, scene, "step_sign").status_code == 200
    assert scene.step(DESTRUCTIVE).status == StepStatus.DONE


def test_the_board_says_cleared_only_once_the_switch_has_answered(scene, gear):
    pair_answers(gear, scene.site, after_a={**ALL_UP, "Eth1_1": False}, after_b=ALL_UP)
    both_scan_over_http(scene)
    ada = at_the_desk(users()["ada"])
    board = ada.get(reverse("maintenance:board")).content.decode()
    assert "■ Both scans matched, not cleared yet:</strong> Asking sw-a: wait a few seconds." in board
    assert "✓ Cleared" not in board

    run_worker()

    board = ada.get(reverse("maintenance:board")).content.decode()
    assert "✓ Cleared:</strong> both scans matched and every check has answered." in board
    assert "not cleared yet" not in board


def test_a_silent_switch_keeps_the_step_waiting_until_an_approver_decides(scene, gear):
    gear.answers(scene.site.sw_a, "get_interfaces", TIMEOUT, TIMEOUT)
    tess, vic, _ = both_scan_over_http(scene)
    run_worker()
    step = scene.step(DESTRUCTIVE)
    assert LiveCheck.objects.get(step=step).state == CheckState.NO_ANSWER
    for phone in (tess, vic):
        html = phone.get(step.get_absolute_url()).content.decode()
        assert "■ Wait: the switch has not said yes" in html
        assert "No live check: sw-a did not answer. An approver decides" in html
        assert "No answer by " in html and "Answered at" not in html
        no_go(html)
    # A tech is never the one who decides; the approver who does not work on the change does.
    assert tap(tess, scene, "step_without_switch", reason="we looked").status_code == 403
    ada = at_the_desk(users()["ada"])
    decided = tap(ada, scene, "step_without_switch", reason="Checked on the console: Eth1/1 to web01")
    assert decided.status_code == 200

    html = vic.get(step.get_absolute_url()).content.decode()
    assert "✓ Cleared" in html and "an approver decided it goes on without the switch's answer" in html
    assert "Watch tess unplug" in html
    assert "I did it: sign done" in tess.get(step.get_absolute_url()).content.decode()


def test_the_rule_is_the_steps_own_and_a_paused_run_is_not_cleared(scene, gear):
    pair_answers(gear, scene.site, after_a={**ALL_UP, "Eth1_1": False}, after_b=ALL_UP)
    both_scan_over_http(scene)
    step = scene.step(DESTRUCTIVE)
    assert not step.is_cleared()
    assert step.uncleared_because() == "Asking sw-a: wait a few seconds."
    run_worker()
    step = scene.step(DESTRUCTIVE)
    assert step.is_cleared() and step.uncleared_because() is None

    scene.run.pause(by=users()["ada"], reason="Customer call")
    step = scene.step(DESTRUCTIVE)
    assert not step.is_cleared()
    html = on_phone(users()["vic"]).get(step.get_absolute_url()).content.decode()
    assert "■ Paused by an approver" in html and "✓ Cleared" not in html and "Watch tess" not in html


def test_a_device_without_live_checks_is_cleared_by_the_two_scans(scene):
    _tess, vic, answer = both_scan_over_http(scene)
    assert "Match. Cleared by two people: the performer does it now." in answer
    step = scene.step(DESTRUCTIVE)
    assert step.is_cleared()
    assert "✓ Cleared" in vic.get(step.get_absolute_url()).content.decode()


def test_after_the_switch_disagrees_the_held_step_keeps_showing_what_it_said(scene, gear):
    pair_answers(gear, scene.site, after_a=ALL_UP, after_b=ALL_UP, neighbour=("web02", "eth0"))
    tess, vic, _ = both_scan_over_http(scene)
    run_worker()
    check = LiveCheck.objects.get(step=scene.step(DESTRUCTIVE), kind=CheckKind.BEFORE)
    assert check.state == CheckState.DISAGREED
    step = scene.step(DESTRUCTIVE)
    assert (step.status, step.scan_round) == (StepStatus.PENDING, 1)  # the scans were voided

    answered = f"{check.finished_at.astimezone(scene.site.site.tz):%H:%M:%S %Z}"
    for phone in (tess, vic):
        html = phone.get(step.get_absolute_url()).content.decode()
        assert "✕ STOP: sw-a disagrees with the inventory" in html
        assert (
            "the switch&#x27;s LLDP neighbour on Eth1/1 is web02 eth0, but the inventory&#x27;s cable goes to "
            "web01 eth0" in html
        )
        assert "Eth1/1 is up" in html
        assert f"Answered at {answered}." in html
        assert "is asked when the first tech&#x27;s scan matches" not in html
        no_go(html)

    # Once the approver resolved it, the step is asked again with the next scans: what it said is history.
    ada = at_the_desk(users()["ada"])
    ada.post(
        reverse("checklists:discrepancy_resolve", args=[check.discrepancy_id]),
        {"idem": secrets.token_urlsafe(24), "resolution": "web02 and web01 cables were swapped; fixed"},
    )
    html = tess.get(step.get_absolute_url()).content.decode()
    assert "sw-a is asked when the first tech&#x27;s scan matches." in html and "✕ STOP" not in html


def test_a_tryout_stop_names_the_port_as_the_label_does_with_the_switchs_own_name_beside_it(scene, gear):
    """The switches are EOS: they say Ethernet1/1 where the inventory and the label say Eth1/1."""
    site = scene.site
    eos = {name.replace("Eth", "Ethernet"): up for name, up in ALL_UP.items()}
    gear.answers(site.sw_a, "get_interfaces", links(**eos), links(**eos))
    gear.answers(site.sw_a, "get_lldp_neighbors", lldp("Ethernet1/1", "web01", "eth0"))
    gear.answers(site.sw_a, "get_interfaces_counters", {})
    gear.answers(site.sw_b, "get_interfaces", links(**eos), links(**{**eos, "Ethernet1_1": False}))
    tess, vic, _ = both_scan_over_http(scene)
    run_worker()
    assert tap(tess, scene, "step_sign").status_code == 200
    run_worker()

    tryout = LiveCheck.objects.get(step=scene.step(DESTRUCTIVE), kind=CheckKind.TRYOUT)
    assert tryout.state == CheckState.STOPPED
    assert tryout.went_down == ["sw-b Eth1/1 (Ethernet1/1 on the switch)"]
    html = vic.get(scene.step(DESTRUCTIVE).get_absolute_url()).content.decode()
    assert "✕ STOP: sw-b Eth1/1 (Ethernet1/1 on the switch) went down" in html


def test_a_database_on_the_standard_that_said_unplug_it_gets_todays_steps(db):
    from checklists.models import ChecklistTemplate, StepKind

    said_go = [
        {
            **step,
            "instructions": "Both of you scan {asset} and type its chassis serial. Only when it says CLEARED: "
            "{action} it.",
        }
        if step["kind"] == StepKind.DESTRUCTIVE
        else step
        for step in runbooks.STANDARD_STEPS
    ]
    before = ChecklistTemplate.publish(slug=runbooks.STANDARD_SLUG, title="Standard change", steps=said_go)
    today = runbooks.standard_template()
    assert today.version == before.version + 1
    words = today.steps.get(kind=StepKind.DESTRUCTIVE).instructions
    assert "{action} it" not in words and "CLEARED" not in words
