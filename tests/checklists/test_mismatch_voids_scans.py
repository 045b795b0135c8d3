"""A mismatch on a step voids every scan of that step made before it.

The story from the field: the labels of sw-a and sw-b were swapped. tess, at sw-b, scanned the label there
(sw-a's) and typed sw-a's serial from paper: "match". vic, at the same chassis, read the real serial: mismatch,
held. ada resolved it ("labels corrected"); vic then scanned the real sw-a, and the step cleared on the
strength of tess's scan at the wrong chassis. Now, after the mismatch, both people scan again, in order."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from checklists.execution import resolve, scan, sign
from checklists.models import RunStatus, StepRefused, StepScan, StepStatus
from inventory.models import Discrepancy
from maintenance.runbook_pdf import runbook_html
from tests.builders.people import phone, users
from tests.builders.scenes import DESTRUCTIVE, finish_steps_before

RIGHT_LABEL = "sw-a Eth1/1"  # after the labels are corrected, on sw-a; before, stuck on sw-b


@pytest.fixture
def held(scene):
    """tess's match at the wrong chassis, then vic's mismatch there: the run is held."""
    finish_steps_before(scene, kind=DESTRUCTIVE)
    tess, vic = users()["tess"], users()["vic"]
    step = scene.step(kind=DESTRUCTIVE)
    first = scan(step, who=phone(tess), raw=scene.tag_for(RIGHT_LABEL), serial="SN-sw-a", method="camera")
    assert first.matched  # the label and the serial from paper both say sw-a
    second = scan(step, who=phone(vic), raw=scene.tag_for(RIGHT_LABEL), serial="SN-sw-b")
    assert not second.matched and "serial typed does not match" in second.message
    return scene


def test_the_mismatch_voids_the_performers_earlier_match(held):
    step = held.step(kind=DESTRUCTIVE)
    assert step.status == StepStatus.PENDING and step.performer is None and step.verifier is None
    assert step.scan_round == 1
    held.run.refresh_from_db()
    assert held.run.status == RunStatus.HELD
    # Both scans stay in the record, in the round they were made in.
    assert [(s.user.username, s.matched, s.round) for s in StepScan.objects.filter(step=step)] == [
        ("tess", True, 0),
        ("vic", False, 0),
    ]
    event = AuditEvent.objects.get(action="step.scan_mismatch")
    assert event.payload["earlier_scans_voided"] is True and event.payload["round"] == 1


def test_the_mismatch_says_the_earlier_scan_no_longer_counts(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    step = scene.step(kind=DESTRUCTIVE)
    scan(step, who=phone(users()["tess"]), raw=scene.tag_for(RIGHT_LABEL), serial="SN-sw-a", method="camera")
    result = scan(step, who=phone(users()["vic"]), raw=scene.tag_for(RIGHT_LABEL), serial="SN-sw-b")
    assert "The earlier scan of this step no longer counts" in result.message


def test_after_the_resolution_both_scan_again_in_order(held):
    tess, vic, ada = users()["tess"], users()["vic"], users()["ada"]
    resolve(Discrepancy.objects.get(), who=phone(ada), resolution="labels corrected")
    step = held.step(kind=DESTRUCTIVE)

    # vic, now at the real sw-a, scans first: he is the performer of the new round, not tess's verifier.
    result = scan(step, who=phone(vic), raw=held.tag_for(RIGHT_LABEL), serial="SN-sw-a", method="camera")
    assert result.matched and result.role == StepScan.Role.PERFORMER
    step = held.step(kind=DESTRUCTIVE)
    assert step.status == StepStatus.SCANNED  # NOT cleared on tess's scan from the wrong chassis
    with pytest.raises(StepRefused, match="Not cleared yet"):
        sign(step, who=phone(vic))

    # tess scans again, at sw-a, as the verifier: only now two people have checked the right switch.
    assert scan(step, who=phone(tess), raw=held.tag_for(RIGHT_LABEL), serial="SN-sw-a").role == "verifier"
    step = held.step(kind=DESTRUCTIVE)
    assert step.status == StepStatus.CLEARED
    assert (step.performer, step.verifier) == (vic, tess)
    sign(step, who=phone(vic))
    assert sign(step, who=phone(tess)) == "Verified. Step complete."


def test_the_step_page_shows_the_voided_scan_as_voided(held):
    client = Client()
    client.force_login(users()["vic"])
    html = client.get(held.step(kind=DESTRUCTIVE).get_absolute_url()).content.decode()
    assert "tess (performer) scanned with the in-page camera at" in html
    assert "<strong>voided</strong>, no longer counts" in html
    assert "vic (verifier) scanned by typing the code at" in html and "<strong>mismatch</strong>" in html


def test_the_as_run_record_shows_the_voided_scan_as_voided(held):
    resolve(Discrepancy.objects.get(), who=phone(users()["ada"]), resolution="labels corrected")
    html = runbook_html(held.window, as_run=True)
    assert "VOIDED</strong>, no longer counted" in html


def test_once_the_action_is_done_a_mismatch_holds_but_voids_nothing(scene):
    """The performer already unplugged it: voiding the scans would not undo that. The hold is what counts."""
    finish_steps_before(scene, kind=DESTRUCTIVE)
    tess, vic = users()["tess"], users()["vic"]
    step = scene.step(kind=DESTRUCTIVE)
    scan(step, who=phone(tess), raw=scene.tag_for(RIGHT_LABEL), serial="SN-sw-a", method="camera")
    scan(step, who=phone(vic), raw=scene.tag_for(RIGHT_LABEL), serial="SN-sw-a")
    sign(step, who=phone(tess))
    result = scan(step, who=phone(vic), raw=scene.tag_for("sw-b Eth1/1"), serial="SN-sw-b")
    assert not result.matched
    step = scene.step(kind=DESTRUCTIVE)
    assert step.status == StepStatus.DONE and (step.performer, step.verifier) == (tess, vic)
    assert step.scan_round == 0
    assert AuditEvent.objects.get(action="step.scan_mismatch").payload["earlier_scans_voided"] is False
