"""One vocabulary of actions (inventory.actions) says, per action, whether its asset is down while the step is
done and after it, and what the switch's try-out expects; the blast radius, the run-time interlock, the try-out
and the runbook's words all ask it. Each action is walked through all four here, on the redundant pair at LAX1:
CHG-A unplugs sw-a Eth1/1, CHG-B does the action to sw-b (a port, or the switch), and web01 (Acme) hangs off
both."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from checklists.live_asking import expected_down
from inventory.actions import Action, Tryout
from inventory.blast_radius import blast_radius
from lockstep.middleware import DEVICE_COOKIE
from maintenance.models import cut_for
from tests.builders.pairs import clear, clear_b, cut_a, running_pair_with
from tests.builders.scenes import finish_steps_before

WALKS = [
    (action, on)
    for action in Action
    for on, allowed in (("port", action.does.on_port), ("device", action.does.on_device))
    if allowed
]


def on_their_phone(user) -> Client:
    """The user's own phone (the one tests.checklists.conftest.phone scans with), as it posts a tap."""
    client = Client()
    client.force_login(user)
    client.cookies[DEVICE_COOKIE] = f"device{user.username}0123456789"
    return client


def sign_over_http(user, step) -> str:
    url = reverse("checklists:step_sign", args=[step.run_id, step.position])
    return on_their_phone(user).post(url, {"idem": uuid.uuid4().hex}).content.decode()


def b_does(action: Action, on: str):
    def change(target, site):
        target.action = action
        target.port, target.device = (
            (site.port(site.sw_b, "Eth1/1"), None) if on == "port" else (None, site.sw_b)
        )

    return change


def test_every_action_has_a_word_for_each_of_the_four():
    for action in Action:
        effect = action.does
        assert effect.verb and (effect.on_port or effect.on_device)
        assert effect.tryout == (Tryout.TARGET_DOWN if effect.down_after else Tryout.NOTHING_DOWN)


def test_a_replacement_is_down_while_it_is_done_and_back_after_it():
    assert Action.REPLACE.does.down_during and not Action.REPLACE.does.down_after


@pytest.mark.parametrize("action, on", WALKS, ids=[f"{a.value}-{on}" for a, on in WALKS])
def test_while_the_step_is_done(db, action, on):
    """Down during: the blast radius counts it, and the interlock refuses it while CHG-A's cut is open."""
    effect = action.does
    pair = running_pair_with(b_does(action, on))
    a_target, b_target = pair.a.targets.get(), pair.b.targets.get()

    lost = blast_radius([cut_for(a_target), cut_for(b_target)], pair.site.site).services
    assert (pair.site.acme.pk in {s.id for s in lost}) == effect.down_during

    cut_a(pair)
    said = sign_over_http(pair.people["walt"], clear_b(pair))
    assert ("Not now" in said) == effect.down_during
    assert ("Signed: done" in said) == (not effect.down_during)


@pytest.mark.parametrize("action, on", WALKS, ids=[f"{a.value}-{on}" for a, on in WALKS])
def test_after_the_step_is_done(db, action, on):
    """Down after: the interlock keeps it cut (CHG-A must wait), the try-out expects the step's own links down,
    and the runbook tells the techs so; an action that puts its asset back leaves CHG-A free to go."""
    effect = action.does
    pair = running_pair_with(b_does(action, on))
    b_step = clear_b(pair)

    assert b_step.title == f"{effect.verb}: {b_step.asset}" and b_step.action_words == effect.verb
    assert b_step.instructions.endswith(effect.afterwards)
    assert ("It stays down once this is done" in b_step.instructions) == effect.down_after
    assert bool(expected_down(b_step)) == (effect.tryout == Tryout.TARGET_DOWN)

    assert "Signed: done" in sign_over_http(pair.people["walt"], b_step)
    a_step = pair.destructive(pair.a)
    finish_steps_before(pair.scene(pair.a), a_step.position)
    clear(pair, a_step, pair.people["tess"], pair.people["vic"])
    said = sign_over_http(pair.people["tess"], pair.destructive(pair.a))
    assert ("Not now" in said) == effect.down_after
    assert ("Signed: done" in said) == (not effect.down_after)


def test_once_sw_b_is_replaced_sw_a_may_be_unplugged(db):
    """The interlock used to count a replaced switch as cut until its window closed, while the try-out expected it
    back: walt and wes replace sw-b and sign it done; tess's unplug of sw-a is not held up by a switch that is back."""
    pair = running_pair_with(b_does(Action.REPLACE, "device"))
    assert "Signed: done" in sign_over_http(pair.people["walt"], clear_b(pair))
    a_step = pair.destructive(pair.a)
    finish_steps_before(pair.scene(pair.a), a_step.position)
    clear(pair, a_step, pair.people["tess"], pair.people["vic"])

    assert "Signed: done" in sign_over_http(pair.people["tess"], pair.destructive(pair.a))
