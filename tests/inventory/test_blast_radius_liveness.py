"""Only what carries traffic is a path: an offline switch, a disabled port or a cable that is only planned
is not the redundancy that keeps a server up."""

from __future__ import annotations

import pytest

from inventory.blast_radius import Cut, blast_radius
from inventory.models import Cable, DeviceStatus, Port
from tests.builders.sites import build_redundant_site


@pytest.fixture
def lax1(db):
    return build_redundant_site()


def test_a_dual_homed_server_whose_other_switch_is_offline_goes_down(lax1):
    lax1.sw_b.status = DeviceStatus.OFFLINE
    lax1.sw_b.save()
    result = blast_radius([Cut.unplug(lax1.port(lax1.sw_a, "Eth1/1"))], site=lax1.site)
    assert "web01" in {d.name for d in result.devices}


def test_a_disabled_port_is_no_second_path(lax1):
    Port.objects.filter(pk=lax1.port(lax1.sw_b, "Eth1/1").pk).update(enabled=False)
    result = blast_radius([Cut.unplug(lax1.port(lax1.sw_a, "Eth1/1"))], site=lax1.site)
    assert "web01" in {d.name for d in result.devices}


def test_a_planned_cable_is_no_second_path(lax1):
    Cable.objects.filter(pk=lax1.port(lax1.sw_b, "Eth1/1").cable_id).update(status="planned")
    result = blast_radius([Cut.unplug(lax1.port(lax1.sw_a, "Eth1/1"))], site=lax1.site)
    assert "web01" in {d.name for d in result.devices}


def test_with_both_paths_live_the_server_survives(lax1):
    result = blast_radius([Cut.unplug(lax1.port(lax1.sw_a, "Eth1/1"))], site=lax1.site)
    assert "web01" not in {d.name for d in result.devices}
