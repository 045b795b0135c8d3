"""Patch panels as NetBox draws them: a rear port of several positions carries each as its own path."""

from __future__ import annotations

import pytest

from inventory.blast_radius import Cut, blast_radius
from inventory.models import DeviceKind, Port, PortKind
from tests.builders.topology import Topology, names


def panel(t: Topology, name: str, positions: int) -> tuple[Port, list[Port]]:
    """A panel with one rear port of `positions` positions and a front port on each."""
    device = t.device(name, DeviceKind.PATCH_PANEL)
    rear = Port.objects.create(device=device, name="R1", kind=PortKind.REAR, positions=positions)
    fronts = [
        Port.objects.create(
            device=device, name=f"F{n}", kind=PortKind.FRONT, rear_port=rear, rear_port_position=n
        )
        for n in range(1, positions + 1)
    ]
    return rear, fronts


@pytest.fixture
def trunk(db):
    """core Eth1 and Eth2 -> pp-a F1/F2 -> a 2-position trunk -> pp-b F1/F2 -> web-1 and web-2."""
    t = Topology()
    t.core = t.switch("core", root=True)
    t.rear_a, fronts_a = panel(t, "pp-a", 2)
    t.rear_b, fronts_b = panel(t, "pp-b", 2)
    t.cable(t.rear_a, t.rear_b)
    t.core_ports = []
    for n, (front_a, front_b) in enumerate(zip(fronts_a, fronts_b, strict=True), start=1):
        core_port = t.port(t.core, f"Eth{n}")
        t.core_ports.append(core_port)
        t.cable(core_port, front_a)
        t.cable(front_b, t.port(t.device(f"web-{n}"), "eth0"))
    return t


def test_unplugging_one_fibre_of_a_trunk_loses_only_the_server_on_that_position(trunk):
    result = blast_radius([Cut.unplug(trunk.core_ports[0])])

    # Before positions were kept apart, web-1 reached the core through its neighbour's fibre and survived.
    assert names(result) == ["web-1"]
    assert result.devices[0].reasons == ["unplug core Eth1"]


def test_unplugging_the_trunk_loses_every_position_behind_it(trunk):
    result = blast_radius([Cut.unplug(trunk.rear_a)])

    assert names(result) == ["pp-b", "web-1", "web-2"]
    assert {reason for device in result.devices for reason in device.reasons} == {"unplug pp-a R1"}


def test_a_trunk_cut_at_the_far_panel_is_the_same_loss(trunk):
    # pp-b's own front ports go dark with it; pp-a still hangs off the core.
    assert names(blast_radius([Cut.unplug(trunk.rear_b)])) == ["pp-b", "web-1", "web-2"]


def test_a_breakout_cable_feeds_every_position_from_one_port(db):
    t = Topology()
    core = t.switch("core", root=True)
    rear, fronts = panel(t, "pp-1", 4)
    uplink = t.port(core, "Eth1")
    t.cable(uplink, rear)
    for n, front in enumerate(fronts, start=1):
        t.cable(front, t.port(t.device(f"web-{n}"), "eth0"))

    assert blast_radius([]).devices == []
    assert names(blast_radius([Cut.unplug(uplink)])) == ["pp-1", "web-1", "web-2", "web-3", "web-4"]


def test_a_front_port_on_a_position_past_the_rear_ports_count_leads_nowhere(db):
    t = Topology()
    core = t.switch("core", root=True)
    rear, _fronts = panel(t, "pp-1", 1)
    t.cable(t.port(core, "Eth1"), rear)
    stray = Port.objects.create(
        device=rear.device, name="F9", kind=PortKind.FRONT, rear_port=rear, rear_port_position=9
    )
    uplink = t.port(t.device("web-9"), "eth0")
    t.cable(stray, uplink)

    # web-9 was never reachable, so powering off the core does not claim to lose it.
    assert "web-9" not in names(blast_radius([Cut.power_off(core)]))


def test_a_device_with_no_ports_powered_off_loses_the_services_on_it(db):
    t = Topology()
    t.switch("core", root=True)
    shelf = t.device("storage-shelf-1", DeviceKind.OTHER)
    t.service("archive", devices=[shelf])

    result = blast_radius([Cut.power_off(shelf)])

    assert names(result) == ["storage-shelf-1"]
    assert result.devices[0].reasons == ["power off storage-shelf-1"]
    assert [service.name for service in result.services] == ["archive"]
