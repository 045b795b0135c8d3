"""Starting a step's two-person check again (a phone that scanned was lost) is one rule, `Step.may_reset_scans`:
the phone's step page and the approver's desk offer the form exactly when it allows, and the POST refuses when
it does not. A paused run is one it refuses: the page no longer offers the form there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from checklists.execution import scan
from checklists.models import Step, StepStatus
from tests.builders.clients import key, on_phone
from tests.builders.people import make_user, phone, users
from tests.builders.scenes import DESTRUCTIVE, build_scene, finish_steps_before


@pytest.fixture
def scene(db):
    scene = build_scene()
    finish_steps_before(scene, kind=DESTRUCTIVE)
    scan(
        scene.step(kind=DESTRUCTIVE),
        who=phone(users()["tess"]),
        raw=scene.tag_for("sw-a Eth1/1"),
        serial="SN-sw-a",
    )
    return scene


def reset_url(scene) -> str:
    return reverse("checklists:step_reset", args=[scene.run.pk, scene.step(kind=DESTRUCTIVE).position])


def offered(scene, user) -> bool:
    """On the page this user gets: the desk for an approver who does not work on the change, else the phone's."""
    page = on_phone(user).get(scene.step(kind=DESTRUCTIVE).get_absolute_url())
    return f'action="{reset_url(scene)}"' in page.content.decode()


def rule(scene, user) -> bool:
    return Step.objects.select_related("run").get(pk=scene.step(kind=DESTRUCTIVE).pk).may_reset_scans(user)


def test_the_form_is_offered_exactly_to_whom_the_rule_allows(scene):
    people = users()
    april = make_user("april", Role.APPROVER)
    scene.run.people.add(april)  # an approver who works on the change
    for name, user in (*people.items(), ("april", april)):
        assert offered(scene, user) == rule(scene, user), name
    assert rule(scene, people["ada"]) and not rule(scene, people["tess"]) and not rule(scene, april)


def test_a_paused_run_is_not_offered_and_the_post_refuses(scene):
    ada = users()["ada"]
    assert offered(scene, ada)
    scene.window.pause(by=ada, reason="Customer on the phone")
    assert not rule(scene, ada)
    assert not offered(scene, ada)  # the page offered it here, and the POST refused
    refused = on_phone(ada).post(reset_url(scene), {"idem": key(), "reason": "tess's phone broke"})
    assert refused.status_code == 409 and "paused this work" in refused.content.decode()
    assert scene.step(kind=DESTRUCTIVE).status == StepStatus.SCANNED


def test_an_approver_on_the_change_is_not_offered_and_the_post_refuses(scene):
    april = make_user("april", Role.APPROVER)
    scene.run.people.add(april)
    assert not offered(scene, april)
    refused = on_phone(april).post(reset_url(scene), {"idem": key(), "reason": "tess's phone broke"})
    assert refused.status_code == 409 and "another approver" in refused.content.decode()
    assert scene.step(kind=DESTRUCTIVE).status == StepStatus.SCANNED


def test_the_approver_resets_where_offered(scene):
    ada = users()["ada"]
    assert offered(scene, ada)
    done = on_phone(ada).post(reset_url(scene), {"idem": key(), "reason": "tess's phone broke"})
    assert done.status_code == 200 and "The checks start again" in done.content.decode()
    assert scene.step(kind=DESTRUCTIVE).status == StepStatus.PENDING
    assert not offered(scene, ada) and not rule(scene, ada)  # nothing scanned to start again now
