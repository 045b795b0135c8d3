"""One rule for "may this user scan this step now", asked by the page before it offers the scan form and
kept by the scan itself: the page never offers a scan the rule refuses."""

from __future__ import annotations

from checklists.execution import scan
from checklists.models import Step, StepKind
from tests.builders.clients import on_phone
from tests.builders.people import phone, users
from tests.builders.scenes import IDENTITY, build_scene, finish_steps_before


def scan_form_offered(user, step) -> bool:
    return 'id="scan-form"' in on_phone(user).get(step.get_absolute_url()).content.decode()


def test_a_step_whose_earlier_steps_are_open_offers_no_scan(db):
    scene = build_scene()
    tess = users()["tess"]
    identity = scene.run.steps.get(kind=StepKind.IDENTITY_CHECK)
    assert not identity.awaits_scan_by(tess)
    assert not scan_form_offered(tess, identity)

    finish_steps_before(scene, identity.position)
    identity.refresh_from_db()
    assert identity.awaits_scan_by(tess)
    assert scan_form_offered(tess, identity)


def test_an_approver_who_does_not_work_on_the_run_is_offered_no_scan(db):
    scene = build_scene()
    finish_steps_before(scene, kind=IDENTITY)
    identity = scene.step(kind=IDENTITY)
    ada = users()["ada"]
    assert not identity.awaits_scan_by(ada)
    assert not scan_form_offered(ada, identity)


def test_the_performer_is_not_offered_the_second_scan_and_the_verifier_is(db):
    scene = build_scene()
    people = users()
    destructive = scene.run.steps.get(kind=StepKind.DESTRUCTIVE)
    finish_steps_before(scene, destructive.position)
    code = scene.tag_for("sw-a Eth1/1")
    scan(destructive, who=phone(people["tess"]), raw=code, serial="SN-sw-a", method="camera")
    destructive.refresh_from_db()
    assert not destructive.awaits_scan_by(people["tess"])
    assert not scan_form_offered(people["tess"], destructive)
    assert destructive.awaits_scan_by(people["vic"])
    assert scan_form_offered(people["vic"], destructive)


def test_nothing_is_offered_while_the_run_is_paused(db):
    scene = build_scene()
    finish_steps_before(scene, kind=IDENTITY)
    scene.window.pause(by=users()["ada"], reason="Checking the far end first")
    identity = Step.objects.get(pk=scene.step(kind=IDENTITY).pk)  # with its run as it is now
    assert not identity.awaits_scan_by(users()["tess"])
    assert not scan_form_offered(users()["tess"], identity)
