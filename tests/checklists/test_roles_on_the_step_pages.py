"""An approver's tap (resolve a discrepancy, release a hold point, start a step's checks again) checks the role
before it reads anything: olive, who has no role, and tess, a tech on the work, get the same 403 whether or not
the thing exists, and the answer tells them nothing about it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from checklists.execution import scan
from checklists.models import StepStatus
from inventory.models import Discrepancy, DiscrepancyStatus
from tests.builders.clients import key, on_phone
from tests.builders.people import phone, users
from tests.builders.scenes import HOLD, IDENTITY, finish_steps_before

MISSING = 987654


@pytest.fixture
def held(scene):
    """tess scanned the label of sw-b at sw-a: a discrepancy is open and the run is held."""
    finish_steps_before(scene, kind=IDENTITY)
    scan(scene.step(kind=IDENTITY), who=phone(users()["tess"]), raw=scene.tag_for("sw-b Eth1/1"))
    return scene


def _without_csrf_tokens(response) -> str:
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "TOKEN", response.content.decode())


def _same_answer(first, second) -> None:
    """The same status and the same page: two renders differ only in their (masked) CSRF tokens."""
    assert first.status_code == second.status_code == 403
    assert _without_csrf_tokens(first) == _without_csrf_tokens(second)


def _tells_nothing(response, scene) -> None:
    body = response.content.decode()
    assert "scan did not match" not in body and "sw-a" not in body and "sw-b" not in body
    assert scene.window.title not in body and scene.run.title not in body
    assert "for the approver role" in body  # what they are told instead: whose tap it is


@pytest.mark.parametrize("who", ["olive", "tess"])
def test_resolving_a_discrepancy_is_a_403_that_says_nothing_whether_or_not_it_exists(held, who):
    from tests.builders.people import make_user

    person = make_user("olive") if who == "olive" else users()["tess"]
    discrepancy = Discrepancy.objects.get()
    phone_ = on_phone(person)
    real = phone_.post(
        reverse("checklists:discrepancy_resolve", args=[discrepancy.pk]), {"idem": key(), "resolution": "ok"}
    )
    missing = phone_.post(
        reverse("checklists:discrepancy_resolve", args=[MISSING]), {"idem": key(), "resolution": "ok"}
    )
    _same_answer(real, missing)
    _tells_nothing(real, held)
    # The answer is kept for the tap's key, so a phone's queue moves on instead of sending it again.
    assert real["Idempotent-Answer"] == "true"
    discrepancy.refresh_from_db()
    assert discrepancy.status == DiscrepancyStatus.OPEN
    assert not AuditEvent.objects.filter(action__startswith="discrepancy.resolve").exists()


@pytest.mark.parametrize("who", ["olive", "tess"])
def test_releasing_a_hold_point_is_a_403_that_says_nothing_whether_or_not_it_exists(scene, who):
    from tests.builders.people import make_user

    finish_steps_before(scene, kind=HOLD)
    person = make_user("olive") if who == "olive" else users()["tess"]
    phone_ = on_phone(person)
    real = phone_.post(
        reverse("checklists:step_release", args=[scene.run.pk, scene.step(kind=HOLD).position]),
        {"idem": key()},
    )
    no_step = phone_.post(reverse("checklists:step_release", args=[scene.run.pk, MISSING]), {"idem": key()})
    no_run = phone_.post(reverse("checklists:step_release", args=[MISSING, 1]), {"idem": key()})
    _same_answer(real, no_step)
    _same_answer(real, no_run)
    _tells_nothing(real, scene)
    assert scene.step(kind=HOLD).status == StepStatus.PENDING


@pytest.mark.parametrize("who", ["olive", "tess"])
def test_starting_a_steps_checks_again_is_a_403_that_says_nothing_whether_or_not_it_exists(scene, who):
    from tests.builders.people import make_user

    finish_steps_before(scene, kind=IDENTITY)
    person = make_user("olive") if who == "olive" else users()["tess"]
    phone_ = on_phone(person)
    data = {"reason": "my phone broke"}
    real = phone_.post(
        reverse("checklists:step_reset", args=[scene.run.pk, scene.step(kind=IDENTITY).position]),
        {"idem": key(), **data},
    )
    no_run = phone_.post(
        reverse("checklists:step_reset", args=[MISSING, scene.step(kind=IDENTITY).position]),
        {"idem": key(), **data},
    )
    _same_answer(real, no_run)
    _tells_nothing(real, scene)


def test_the_approver_still_resolves_and_a_retried_tap_is_answered_the_same(held):
    ada = on_phone(users()["ada"])
    discrepancy = Discrepancy.objects.get()
    data = {"idem": key(), "resolution": "Labels of sw-a and sw-b swapped back"}
    url = reverse("checklists:discrepancy_resolve", args=[discrepancy.pk])
    first = ada.post(url, data)
    again = ada.post(url, data)
    assert first.status_code == again.status_code == 200 and again["Idempotent-Replay"] == "true"
    discrepancy.refresh_from_db()
    assert discrepancy.status == DiscrepancyStatus.RESOLVED
    assert AuditEvent.objects.filter(action="discrepancy.resolved").count() == 1
