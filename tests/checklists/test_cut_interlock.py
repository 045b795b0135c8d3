"""The run-time interlock: whatever was approved, the second half of a redundant pair is not cut while the
first is not restored. CHG-A overran into CHG-B's time; neither approval saw the other as overlapping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from checklists.execution import sign
from checklists.models import CutRefusal, StepRefused, StepStatus
from tests.builders.pairs import (
    build_pair,
    clear,
    clear_b,
    cut_a,
    running_pair,
    running_pair_with,
    split_across_sites,
)
from tests.builders.people import PASSWORD, phone
from tests.builders.scenes import finish_steps_before


def test_the_second_cut_is_refused_while_the_first_is_not_restored(db):
    pair = running_pair()
    cut_a(pair)
    step = clear_b(pair)

    with pytest.raises(StepRefused) as refused:
        sign(step, who=phone(pair.people["walt"]))

    reason = refused.value.reason
    a_step = pair.destructive(pair.a)
    assert f"CHG-{pair.a.pk}" in reason and f"step {a_step.position}" in reason
    assert "Acme: acme-LAX1" in reason and "nothing was signed" in reason
    assert pair.destructive(pair.b).status == StepStatus.CLEARED
    [kept] = CutRefusal.objects.all()
    assert kept.step == step and kept.blocking_step == a_step and kept.services == ["Acme: acme-LAX1"]
    assert AuditEvent.objects.filter(action="step.cut_refused").count() == 1


def test_it_is_allowed_once_the_first_window_completes(db):
    pair = running_pair()
    cut_a(pair)
    step = clear_b(pair)
    with pytest.raises(StepRefused):
        sign(step, who=phone(pair.people["walt"]))

    a_step = pair.destructive(pair.a)
    sign(a_step, who=phone(pair.people["vic"]))
    for later in pair.scene(pair.a).run.sequence().filter(position__gt=a_step.position):
        sign(later, who=phone(pair.people["tess"]))
    pair.a.complete(by=pair.people["tess"])

    assert "Signed: done" in sign(pair.destructive(pair.b), who=phone(pair.people["walt"]))


def test_it_is_allowed_once_the_first_cut_is_put_back_by_the_rollback(db):
    pair = running_pair()
    cut_a(pair)
    step = clear_b(pair)
    pair.a.abort(by=pair.people["tess"], reason="optic DOA")
    with pytest.raises(StepRefused):
        sign(step, who=phone(pair.people["walt"]))
    put_back = pair.scene(pair.a).run.sequence().get(port=pair.site.port(pair.site.sw_a, "Eth1/1"))
    sign(put_back, who=phone(pair.people["tess"]))

    assert "Signed: done" in sign(pair.destructive(pair.b), who=phone(pair.people["walt"]))


def test_an_override_given_at_approval_does_not_let_both_cuts_happen_at_once(db):
    pair = running_pair(override=True)
    cut_a(pair)
    step = clear_b(pair)
    with pytest.raises(StepRefused, match="redundant pair"):
        sign(step, who=phone(pair.people["walt"]))


def test_a_cut_that_loses_nothing_new_is_not_held_up(db):
    pair = running_pair()
    # CHG-B's sw-b Eth1/1 is cut first; CHG-A's sw-a Eth1/1 then would take Acme down: the first one
    # through is never the one refused, whichever window it belongs to.
    step = clear_b(pair)
    assert "Signed: done" in sign(step, who=phone(pair.people["walt"]))
    a_step = pair.destructive(pair.a)
    finish_steps_before(pair.scene(pair.a), a_step.position)
    clear(pair, a_step, pair.people["tess"], pair.people["vic"])
    with pytest.raises(StepRefused, match=f"CHG-{pair.b.pk}"):
        sign(pair.destructive(pair.a), who=phone(pair.people["tess"]))


def test_the_step_page_offers_no_sign_button_and_the_board_shows_the_refusal(db):
    pair = running_pair()
    cut_a(pair)
    step = clear_b(pair)
    walt = Client()
    walt.login(username="walt", password=PASSWORD)
    page = walt.get(step.get_absolute_url()).content.decode()
    assert "Wait: do not unplug yet" in page and f"CHG-{pair.a.pk}" in page
    assert "sign done" not in page

    with pytest.raises(StepRefused):
        sign(step, who=phone(pair.people["walt"]))
    ada = Client()
    ada.login(username="ada", password=PASSWORD)
    board = ada.get(reverse("maintenance:board")).content.decode()
    assert "Interlock:" in board and "Acme: acme-LAX1" in board


def test_a_reconnect_of_the_other_half_is_interlocked_too(db):
    """A reconnect takes the link down while the cable is moved: checked like an unplug."""

    def reconnect(target, site):
        target.action = "reconnect"

    pair = running_pair_with(reconnect)
    cut_a(pair)
    step = clear_b(pair)
    assert step.action == "reconnect"
    with pytest.raises(StepRefused, match="redundant pair"):
        sign(step, who=phone(pair.people["walt"]))


def test_powering_off_the_other_switch_is_interlocked(db):
    def power_off_sw_b(target, site):
        target.port, target.device, target.action = None, site.sw_b, "power_off"

    pair = running_pair_with(power_off_sw_b)
    cut_a(pair)
    with pytest.raises(StepRefused, match="Acme"):
        sign(clear_b(pair), who=phone(pair.people["walt"]))


def test_a_cut_its_own_window_was_approved_to_make_goes_through(db):
    """CHG-B unplugs sw-a Eth1/2, Beta's only path: approved with Beta in its blast radius, so CHG-A's open
    cut elsewhere does not hold it back."""

    def beta_port(target, site):
        target.port = site.port(site.sw_a, "Eth1/2")

    pair = running_pair_with(beta_port)
    pair.b.refresh_from_db()
    assert pair.site.beta.pk in pair.b.run.approved_services
    cut_a(pair)
    assert "Signed: done" in sign(clear_b(pair), who=phone(pair.people["walt"]))


def test_the_second_cut_is_refused_when_the_pairs_halves_are_at_two_sites_joined_by_a_circuit(db):
    """sw-b stands at LAX2, joined to LAX1 by circuit CID-9; CHG-B is LAX2's window. web01 at LAX1 still
    hangs off both switches: the interlock must see CHG-A's open cut across the circuit."""
    pair = build_pair(b_starts_in=timedelta(hours=4), hours=3)
    split_across_sites(pair)
    rex, ada = pair.people["rex"], pair.people["ada"]
    pair.a.submit(by=rex)
    pair.a.approve(by=ada, comment="sw-a")
    pair.b.submit(by=rex)
    pair.b.approve(by=ada, comment="sw-b")
    pair.a.start(by=pair.people["tess"], now=pair.a.planned_start)
    pair.b.start(by=pair.people["walt"], now=pair.b.planned_start)
    cut_a(pair)
    step = clear_b(pair)

    with pytest.raises(StepRefused) as refused:
        sign(step, who=phone(pair.people["walt"]))

    assert "Acme: acme-LAX1" in refused.value.reason and f"CHG-{pair.a.pk}" in refused.value.reason
    assert pair.destructive(pair.b).status == StepStatus.CLEARED
