"""Blast radius: what a window's cuts take down, aware of redundancy, and why."""

from __future__ import annotations

import json

import pytest

from inventory.blast_radius import NO_ROOTS_WARNING, Cut, blast_radius, build_graph, compute
from inventory.models import DeviceKind, PortKind
from tests.builders.topology import Topology, names


@pytest.fixture
def dual_homed(db):
    """core (root) feeds sw-a and sw-b; web-1 has one uplink to each."""
    t = Topology()
    t.core = t.switch("core", root=True)
    t.sw_a = t.switch("sw-a")
    t.sw_b = t.switch("sw-b")
    t.web = t.device("web-1")
    t.link(t.core, "Eth1", t.sw_a, "Eth49")
    t.link(t.core, "Eth2", t.sw_b, "Eth49")
    t.a_down, _ = t.link(t.sw_a, "Eth1/1", t.web, "eth0")
    t.b_down, _ = t.link(t.sw_b, "Eth1/1", t.web, "eth1")
    return t


def test_dual_homed_server_survives_one_uplink_unplugged(dual_homed):
    result = blast_radius([Cut.unplug(dual_homed.a_down)])

    assert result.devices == []
    assert result.services == []


def test_dual_homed_server_goes_down_when_both_uplinks_are_unplugged_naming_both_cuts(dual_homed):
    result = blast_radius([Cut.unplug(dual_homed.a_down), Cut.unplug(dual_homed.b_down)])

    assert names(result) == ["web-1"]
    assert result.devices[0].reasons == ["unplug sw-a Eth1/1", "unplug sw-b Eth1/1"]


def test_single_homed_server_goes_down_when_its_one_uplink_is_unplugged(db):
    t = Topology()
    core, db_1 = t.switch("core", root=True), t.device("db-1")
    uplink, _ = t.link(core, "Eth1", db_1, "eth0")

    result = blast_radius([Cut.unplug(uplink)])

    assert names(result) == ["db-1"]
    assert result.devices[0].reasons == ["unplug core Eth1"]


@pytest.fixture
def chain(db):
    """core (root) → agg → tor → app-1, and core → tor-2 → app-2 on a separate branch."""
    t = Topology()
    t.core, t.agg, t.tor = t.switch("core", root=True), t.switch("agg"), t.switch("tor")
    t.app = t.device("app-1")
    t.link(t.core, "Eth1", t.agg, "Eth49")
    t.link(t.agg, "Eth1", t.tor, "Eth49")
    t.tor_down, _ = t.link(t.tor, "Eth1", t.app, "eth0")
    t.tor_2, t.app_2 = t.switch("tor-2"), t.device("app-2")
    t.link(t.core, "Eth2", t.tor_2, "Eth49")
    t.link(t.tor_2, "Eth1", t.app_2, "eth0")
    return t


def test_powering_off_the_aggregation_switch_takes_down_everything_behind_it(chain):
    result = blast_radius([Cut.power_off(chain.agg)])

    assert names(result) == ["agg", "app-1", "tor"]
    assert {device.name: device.reasons for device in result.devices} == {
        "agg": ["power off agg"],
        "tor": ["power off agg"],
        "app-1": ["power off agg"],
    }


def test_a_port_unplugged_behind_a_switch_that_went_down_is_not_named_as_its_reason(chain):
    result = blast_radius([Cut.power_off(chain.agg), Cut.unplug(chain.tor_down)])

    reasons = {device.name: device.reasons for device in result.devices}
    assert reasons["tor"] == ["power off agg"]
    # app-1 lost both its path and its cable: both are why.
    assert reasons["app-1"] == ["power off agg", "unplug tor Eth1"]


def test_a_server_does_not_forward_so_what_hangs_off_it_was_never_up_and_is_never_lost(db):
    t = Topology()
    core, web = t.switch("core", root=True), t.device("web-1")
    uplink, _ = t.link(core, "Eth1", web, "eth0")
    t.link(web, "eth1", t.device("behind-web"), "eth0")

    result = blast_radius([Cut.unplug(uplink)])

    assert names(result) == ["web-1"]


def test_a_patch_panel_passes_a_front_port_to_its_own_rear_port_only(db):
    t = Topology()
    core, panel = t.switch("core", root=True), t.device("pp-1", DeviceKind.PATCH_PANEL)
    rear_1 = t.port(panel, "R1", PortKind.REAR)
    rear_2 = t.port(panel, "R2", PortKind.REAR)  # no cable behind it
    front_1 = t.port(panel, "F1", PortKind.FRONT, rear=rear_1)
    front_2 = t.port(panel, "F2", PortKind.FRONT, rear=rear_2)
    core_port = t.port(core, "Eth1")
    t.cable(core_port, rear_1)
    t.cable(front_1, t.port(t.device("web-1"), "eth0"))
    t.cable(front_2, t.port(t.device("web-2"), "eth0"))

    result = blast_radius([Cut.unplug(core_port)])

    # web-2 sits behind F2, whose rear port leads nowhere: never up, so never lost.
    assert names(result) == ["pp-1", "web-1"]
    assert result.devices[1].reasons == ["unplug core Eth1"]


def test_a_powered_off_server_is_lost_because_of_its_own_cut(dual_homed):
    result = blast_radius([Cut.power_off(dual_homed.web)])

    assert names(result) == ["web-1"]
    assert result.devices[0].reasons == ["power off web-1"]


def test_a_service_on_a_dual_homed_server_survives_one_cut(dual_homed):
    dual_homed.service("shop", devices=[dual_homed.web])

    assert blast_radius([Cut.unplug(dual_homed.b_down)]).services == []


def test_a_service_on_two_servers_is_lost_when_either_server_is_lost(chain):
    shop = chain.service("shop", devices=[chain.app, chain.app_2])

    for cut in (Cut.unplug(chain.tor_down), Cut.power_off(chain.tor_2)):
        result = blast_radius([cut])

        assert [(s.id, s.name, s.customer) for s in result.services] == [(shop.pk, "shop", "Acme lax1")]
        assert result.services[0].reasons == [cut.label]
    assert blast_radius([Cut.power_off(chain.tor_2)]).services[0].via == ["app-2"]


def test_a_service_on_a_port_is_lost_when_that_port_is_unplugged(dual_homed):
    # A customer's cross-connect: it needs that very port, not just the switch behind it.
    dual_homed.service("cross-connect", ports=[dual_homed.a_down])

    result = blast_radius([Cut.unplug(dual_homed.a_down)])

    assert [s.name for s in result.services] == ["cross-connect"]
    assert result.services[0].via == ["sw-a Eth1/1"]
    assert result.services[0].reasons == ["unplug sw-a Eth1/1"]
    assert result.devices == []


def test_two_cuts_of_a_redundant_pair_are_safe_one_at_a_time_but_not_together(dual_homed):
    """Two windows that each touch one side of the pair: safe apart, an outage if they overlap."""
    dual_homed.service("shop", devices=[dual_homed.web])
    graph = build_graph()
    tess_cut, vic_cut = Cut.unplug(dual_homed.a_down), Cut.unplug(dual_homed.b_down)

    assert compute(graph, [tess_cut]).services == []
    assert compute(graph, [vic_cut]).services == []
    together = compute(graph, [tess_cut, vic_cut])
    assert [s.name for s in together.services] == ["shop"]
    assert together.services[0].reasons == ["unplug sw-a Eth1/1", "unplug sw-b Eth1/1"]


def test_cuts_on_ports_and_devices_not_in_the_graph_are_ignored_and_listed(dual_homed):
    elsewhere = Topology("ord1")
    far_switch = elsewhere.switch("far-switch", root=True)
    far_port = elsewhere.port(far_switch, "Eth9")
    cuts = [
        Cut.power_off(far_switch),
        Cut.unplug(far_port),
        Cut.unplug(999_999),
        Cut.unplug(dual_homed.a_down),
    ]

    result = blast_radius(cuts, site=dual_homed.site)

    assert result.devices == []
    assert [cut.label for cut in result.unknown_cuts] == [
        "power off far-switch",
        "unplug far-switch Eth9",
        "unplug port #999999",
    ]
    assert result.to_dict()["unknown_cuts"][2] == {
        "action": "unplug",
        "target_id": 999_999,
        "label": "unplug port #999999",
    }
    assert [cut.label for cut in result.cuts] == ["unplug sw-a Eth1/1"]


def test_without_an_upstream_root_there_is_a_warning_not_everything_lost(db):
    t = Topology()
    sw, web, db_1 = t.switch("sw"), t.device("web-1"), t.device("db-1")
    t.link(sw, "Eth1", web, "eth0")
    t.link(sw, "Eth2", db_1, "eth0")

    result = blast_radius([Cut.power_off(sw)])

    assert result.warning == NO_ROOTS_WARNING
    # Only what the window touches directly is certain.
    assert names(result) == ["sw"]


def test_the_result_is_a_json_snapshot(dual_homed):
    dual_homed.service("shop", devices=[dual_homed.web])

    snapshot = blast_radius([Cut.unplug(dual_homed.a_down), Cut.unplug(dual_homed.b_down)]).to_dict()

    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["device_count"] == 1
    assert snapshot["services"][0]["via"] == ["web-1"]
    assert snapshot["cuts"][0] == {
        "action": "unplug",
        "target_id": dual_homed.a_down.pk,
        "label": "unplug sw-a Eth1/1",
    }


def test_cuts_given_by_id_are_named_from_the_inventory(chain):
    result = blast_radius([Cut("power_off", chain.agg.pk), Cut("unplug", chain.tor_down.pk)])

    assert [cut.label for cut in result.cuts] == ["power off agg", "unplug tor Eth1"]


def test_an_unknown_action_is_refused(db):
    with pytest.raises(ValueError):
        Cut("unscrew", 1)


def build_rows(t: Topology, racks: int) -> None:
    """A root, then `racks` switches each with two dual-homed servers and a service on each."""
    core = t.switch(f"core-{t.site.code}", root=True)
    for rack in range(racks):
        tor = t.switch(f"tor-{rack}")
        t.link(core, f"Eth{rack}", tor, "Eth49")
        for n in range(2):
            server = t.device(f"srv-{rack}-{n}")
            _, port = t.link(tor, f"Eth{n}", server, "eth0")
            t.service(f"svc-{rack}-{n}", devices=[server], ports=[port])


@pytest.mark.parametrize("racks", [1, 12])
def test_building_the_graph_takes_the_same_few_queries_however_big_the_inventory(
    db, django_assert_num_queries, racks
):
    t = Topology()
    build_rows(t, racks)
    build_rows(Topology("ord1"), 2)

    # circuits, devices, ports, services (customer joined), service→device links, service→port links
    with django_assert_num_queries(6):
        graph = build_graph(site=t.site)

    assert len(graph.device_ids) == 1 + racks * 3
    assert len(graph.service_ids) == racks * 2
