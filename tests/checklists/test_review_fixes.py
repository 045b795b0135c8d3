"""Attacks found in review, each now refused: the requester releasing their own go-ahead, an abort that
would have lifted a hold, a wrong label sent without a serial, an approver's pause, odd input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from checklists.execution import release, resolve, scan
from checklists.models import RunMode, RunStatus, StepRefused
from inventory.models import Discrepancy
from tests.checklists.conftest import build_scene, finish_steps_before, phone, users
from tests.checklists.test_step_pages import key, on_phone

HOLD = 4
DESTRUCTIVE = 5


def test_the_requester_cannot_release_the_hold_point_of_their_own_change(db):
    from django.contrib.auth.models import Group

    scene = build_scene()
    rex = users()["rex"]
    rex.groups.add(Group.objects.get_or_create(name="approver")[0])  # rex is an approver too
    finish_steps_before(scene, HOLD)
    with pytest.raises(StepRefused, match="another approver releases"):
        release(scene.step(HOLD), who=phone(rex))


def test_an_approver_working_the_change_cannot_resolve_its_discrepancy(scene):
    from django.contrib.auth.models import Group

    people = users()
    vic = people["vic"]
    vic.groups.add(Group.objects.get_or_create(name="approver")[0])
    finish_steps_before(scene, 3)
    scan(scene.step(3), who=phone(people["tess"]), raw=scene.tag_for("sw-b Eth1/1"))
    with pytest.raises(StepRefused, match="another approver resolves"):
        resolve(Discrepancy.objects.get(), who=phone(vic), resolution="fine")


def test_aborting_a_held_window_keeps_it_held_for_the_approver(scene):
    people = users()
    finish_steps_before(scene, 3)
    scan(scene.step(3), who=phone(people["tess"]), raw=scene.tag_for("sw-b Eth1/1"))
    scene.window.abort(by=people["tess"], reason="Something is wrong with the labels")
    scene.run.refresh_from_db()
    assert scene.run.mode == RunMode.ROLLBACK and scene.run.status == RunStatus.HELD
    board = on_phone(people["ada"]).get(reverse("maintenance:board")).content.decode()
    assert "Discrepancy:" in board and scene.window.title in board


def test_a_wrong_label_blocks_even_without_a_serial(scene):
    finish_steps_before(scene, DESTRUCTIVE)
    result = scan(
        scene.step(DESTRUCTIVE), who=phone(users()["tess"]), raw=scene.tag_for("sw-b Eth1/1"), serial=""
    )
    assert not result.matched
    assert Discrepancy.objects.count() == 1


def test_the_approvers_pause_button_pauses(scene):
    ada = on_phone(users()["ada"])
    response = ada.post(
        reverse("maintenance:window_pause", args=[scene.window.pk]), {"reason": "hold on", "next": "board"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("maintenance:board")
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.PAUSED


def test_an_impossible_date_is_a_form_error_not_a_500(db):
    from accounts.roles import Role
    from tests.conftest import make_user
    from tests.maintenance.conftest import build_redundant_site

    site = build_redundant_site()
    client = on_phone(make_user("rex", Role.TECH))
    response = client.post(
        reverse("maintenance:window_new"),
        {
            "site": site.site.pk,
            "title": "x",
            "type": "normal",
            "risk": "low",
            "planned_start": "9999-12-31T23:59",
            "planned_end": "9999-12-31T23:59",
        },
    )
    assert response.status_code == 200
    assert "9999 is not a year Lockstep takes" in response.content.decode()


def test_a_key_reused_by_the_same_user_for_another_window_action_is_refused(scene):
    tess = on_phone(users()["tess"])
    shared = key()
    tess.post(reverse("checklists:step_sign", args=[scene.run.pk, 1]), {"idem": shared})
    response = tess.post(reverse("checklists:step_sign", args=[scene.run.pk, 2]), {"idem": shared})
    assert response.status_code == 409
