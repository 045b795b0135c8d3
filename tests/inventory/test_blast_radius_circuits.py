"""Circuits join sites: a core switch off at one site takes down what hangs off the circuit at the other."""

from __future__ import annotations

import pytest

from inventory.blast_radius import Cut, blast_radius, build_graph
from inventory.models import Circuit, CircuitStatus, CircuitTermination, Port, Site
from tests.builders.topology import Topology, names


@pytest.fixture
def two_sites(db):
    """ams1's core feeds rtm1's edge router over circuit CID-1; rtm1 has a switch and a server, no root."""
    ams, rtm = Topology("ams1"), Topology("rtm1")
    ams.core = ams.switch("ams-core", root=True)
    rtm.edge = rtm.device("rtm-edge", "router")
    rtm.sw = rtm.switch("rtm-sw")
    rtm.web = rtm.device("rtm-web")
    rtm.link(rtm.edge, "Eth2", rtm.sw, "Eth49")
    rtm.link(rtm.sw, "Eth1", rtm.web, "eth0")
    rtm.service("shop", devices=[rtm.web])
    circuit = Circuit.objects.create(cid="CID-1", provider="Fibre Co")
    ams.handoff = ams.port(ams.core, "Eth1")
    rtm.handoff = rtm.port(rtm.edge, "Eth1")
    CircuitTermination.objects.create(circuit=circuit, term_side="A", site=ams.site, port=ams.handoff)
    CircuitTermination.objects.create(circuit=circuit, term_side="Z", site=rtm.site, port=rtm.handoff)
    return ams, rtm, circuit


def test_the_core_off_at_one_site_loses_the_far_site_behind_the_circuit(two_sites):
    ams, _rtm, _ = two_sites

    result = blast_radius([Cut.power_off(ams.core)], site=ams.site)

    assert names(result) == ["ams-core", "rtm-edge", "rtm-sw", "rtm-web"]
    assert result.devices[-1].reasons == ["power off ams-core"]
    assert [(service.customer, service.name) for service in result.services] == [("Acme rtm1", "shop")]


def test_a_window_at_the_far_site_sees_the_near_sites_root_through_the_circuit(two_sites):
    _ams, rtm, _ = two_sites

    result = blast_radius([Cut.power_off(rtm.sw)], site=rtm.site)

    assert not result.warning  # the root is at ams1, reached over the circuit
    assert names(result) == ["rtm-sw", "rtm-web"]


def test_unplugging_the_handoff_port_cuts_the_circuit(two_sites):
    ams, _rtm, _ = two_sites

    assert names(blast_radius([Cut.unplug(ams.handoff)], site=ams.site)) == ["rtm-edge", "rtm-sw", "rtm-web"]


def test_a_far_site_with_its_own_root_survives(two_sites):
    ams, rtm, _ = two_sites
    rtm.link(rtm.switch("rtm-core", root=True), "Eth1", rtm.edge, "Eth3")

    assert names(blast_radius([Cut.power_off(ams.core)], site=ams.site)) == ["ams-core"]


def test_a_circuit_that_is_not_active_joins_nothing(two_sites):
    ams, _rtm, circuit = two_sites
    Circuit.objects.filter(pk=circuit.pk).update(status=CircuitStatus.OFFLINE)

    graph = build_graph(site=ams.site)

    assert "rtm-web" not in graph.device_names
    assert names(blast_radius([Cut.power_off(ams.core)], site=ams.site)) == ["ams-core"]


def test_a_circuit_cabled_at_one_end_only_joins_nothing(two_sites):
    ams, rtm, circuit = two_sites
    CircuitTermination.objects.filter(circuit=circuit, term_side="Z").update(port=None)

    assert names(blast_radius([Cut.power_off(ams.core)], site=ams.site)) == ["ams-core"]
    assert Port.objects.filter(pk=rtm.handoff.pk).exists()


def test_a_circuit_landing_on_a_multi_position_rear_port_feeds_each_position(two_sites):
    ams, rtm, circuit = two_sites
    panel = rtm.device("rtm-pp", "patch_panel")
    rear = Port.objects.create(device=panel, name="R1", kind="rear_port", positions=2)
    front = Port.objects.create(
        device=panel, name="F1", kind="front_port", rear_port=rear, rear_port_position=1
    )
    CircuitTermination.objects.filter(circuit=circuit, term_side="Z").update(port=rear)
    rtm.cable(front, rtm.port(rtm.edge, "Eth9"))

    assert names(blast_radius([Cut.power_off(ams.core)], site=ams.site)) == [
        "ams-core",
        "rtm-edge",
        "rtm-pp",
        "rtm-sw",
        "rtm-web",
    ]


def test_a_change_at_the_far_site_makes_the_near_sites_snapshots_stale(two_sites):
    ams, rtm, _ = two_sites
    before = Site.objects.get(pk=ams.site.pk).revision

    Port.objects.get(device=rtm.web, name="eth0").save()  # any change the blast radius reads at rtm1

    assert Site.objects.get(pk=ams.site.pk).revision > before


def test_a_circuit_end_moved_to_another_port_bumps_both_ports_sites(two_sites):
    _ams, rtm, circuit = two_sites
    lax = Topology("lax1")
    lax_port = lax.port(lax.switch("lax-edge"), "Eth1")
    before = Site.objects.get(pk=rtm.site.pk).revision
    end = CircuitTermination.objects.get(circuit=circuit, term_side="Z")

    end.port = lax_port
    end.save()

    assert Site.objects.get(pk=rtm.site.pk).revision > before
