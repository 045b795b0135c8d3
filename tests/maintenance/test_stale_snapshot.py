"""The blast radius reviewed is the one submitted; when the inventory changes it says so and offers to recompute."""

from __future__ import annotations

import pytest

from inventory.models import Port
from maintenance.models import TargetAction, WindowRefused, WindowStatus
from tests.builders.windows import make_window


@pytest.fixture
def submitted(lax1, rex):
    window = make_window(rex, lax1.site)
    window.add_target(by=rex, action=TargetAction.POWER_OFF, device=lax1.sw_a)
    window.submit(by=rex)
    return window


def test_the_snapshot_names_what_goes_down_and_why(submitted):
    snapshot = submitted.latest_snapshot
    # web02 is single-homed to sw-a: Beta goes down; web01 survives on sw-b: Acme stays up.
    assert [s["customer"] for s in snapshot.result["services"]] == ["Beta"]
    assert snapshot.result["services"][0]["reasons"] == ["power off sw-a"]
    assert not snapshot.is_stale


def test_an_inventory_change_makes_the_snapshot_stale_and_blocks_approval(submitted, lax1, ada, rex):
    # Someone re-cables web01's second leg away from sw-b in the admin: now Acme depends on sw-a alone.
    leg = Port.objects.get(device=lax1.web01, name="eth1")
    leg.cable = None
    leg.cable_end = ""
    leg.save()

    snapshot = submitted.latest_snapshot
    assert snapshot.is_stale
    with pytest.raises(WindowRefused, match="Recompute it"):
        submitted.approve(by=ada, comment="")
    submitted.refresh_from_db()
    assert submitted.status == WindowStatus.SUBMITTED

    fresh = submitted.recompute_blast_radius(by=ada)
    assert not fresh.is_stale
    assert sorted(s["customer"] for s in fresh.result["services"]) == ["Acme", "Beta"]
    submitted.approve(by=ada, comment="Reviewed the new radius")
    assert submitted.status == WindowStatus.APPROVED


def test_a_change_at_another_site_does_not_make_it_stale(submitted, rex):
    from tests.builders.sites import build_redundant_site

    build_redundant_site("SFO1")
    assert not submitted.latest_snapshot.is_stale


def test_a_tech_cannot_recompute_someone_elses_window(submitted, tess):
    with pytest.raises(WindowRefused, match="requester or an approver"):
        submitted.recompute_blast_radius(by=tess)
