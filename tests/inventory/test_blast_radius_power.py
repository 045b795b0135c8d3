"""The blast radius knows power: a PDU or a feed off takes down what it feeds, unless a second supply is live."""

from __future__ import annotations

import pytest

from inventory.blast_radius import Cut, blast_radius, build_graph, compute
from inventory.models import Device, DeviceKind, DeviceStatus, Port, PortKind
from tests.builders.topology import Topology, names


def power_port(device: Device, name: str) -> Port:
    return Port.objects.create(device=device, name=name, kind=PortKind.POWER_PORT)


def outlet(pdu: Device, name: str, inlet: Port | None = None) -> Port:
    return Port.objects.create(device=pdu, name=name, kind=PortKind.POWER_OUTLET, power_port=inlet)


class Room(Topology):
    """Two feeds from one panel, a PDU on each, and the gear in the rack plugged into them."""

    def __init__(self) -> None:
        super().__init__()
        self.core = self.switch("core", root=True)
        self.panel = self.device("panel-1", DeviceKind.POWER_PANEL)
        self.feed_a = Port.objects.create(device=self.panel, name="Feed A", kind=PortKind.POWER_FEED)
        self.feed_b = Port.objects.create(device=self.panel, name="Feed B", kind=PortKind.POWER_FEED)
        self.pdu_a, self.pdu_b = self.pdu("pdu-a", self.feed_a), self.pdu("pdu-b", self.feed_b)
        self.free_outlets = {self.pdu_a.pk: 0, self.pdu_b.pk: 0}

    def pdu(self, name: str, feed: Port) -> Device:
        pdu = self.device(name, DeviceKind.PDU)
        inlet = power_port(pdu, "Input")
        self.cable(feed, inlet)
        for n in range(1, 9):
            outlet(pdu, f"Outlet {n}", inlet)
        return pdu

    def plug(self, device: Device, supply: str, pdu: Device) -> Port:
        self.free_outlets[pdu.pk] += 1
        socket = pdu.ports.get(name=f"Outlet {self.free_outlets[pdu.pk]}")
        port = power_port(device, supply)
        self.cable(port, socket)
        return port


@pytest.fixture
def room(db):
    """sw-1 has a supply on each PDU; web-1 (behind sw-1) and db-1 have one supply, on pdu-a."""
    r = Room()
    r.sw = r.switch("sw-1")
    r.link(r.core, "Eth1", r.sw, "Eth49")
    r.plug(r.sw, "PSU1", r.pdu_a)
    r.plug(r.sw, "PSU2", r.pdu_b)
    r.web = r.device("web-1")
    r.link(r.sw, "Eth1", r.web, "eth0")
    r.web_psu = r.plug(r.web, "PSU1", r.pdu_a)
    r.db = r.device("db-1")
    r.link(r.sw, "Eth2", r.db, "eth0")
    r.plug(r.db, "PSU1", r.pdu_a)
    r.service("shop", devices=[r.web])
    return r


def test_a_pdu_off_takes_single_supply_gear_and_dual_supply_gear_survives(room):
    result = blast_radius([Cut.power_off(room.pdu_a)])

    assert names(result) == ["db-1", "pdu-a", "web-1"]
    assert all(device.reasons == ["power off pdu-a"] for device in result.devices)
    assert [service.name for service in result.services] == ["shop"]


def test_both_pdus_off_take_the_dual_supply_switch_and_what_hangs_off_it(room):
    result = blast_radius([Cut.power_off(room.pdu_a), Cut.power_off(room.pdu_b)])

    assert names(result) == ["db-1", "pdu-a", "pdu-b", "sw-1", "web-1"]
    sw = next(device for device in result.devices if device.name == "sw-1")
    assert sw.reasons == ["power off pdu-a", "power off pdu-b"]


def test_a_feed_cut_at_the_panel_is_a_pdu_losing_power_and_so_its_gear(room):
    result = blast_radius([Cut.unplug(room.feed_a)])

    assert names(result) == ["db-1", "pdu-a", "web-1"]
    assert all(device.reasons == ["unplug panel-1 Feed A"] for device in result.devices)


def test_the_power_panel_off_takes_everything_it_feeds(room):
    result = blast_radius([Cut.power_off(room.panel)])

    assert names(result) == ["db-1", "panel-1", "pdu-a", "pdu-b", "sw-1", "web-1"]


def test_unplugging_one_supply_of_a_single_supply_server_loses_it(room):
    result = blast_radius([Cut.unplug(room.web_psu)])

    assert names(result) == ["web-1"]
    assert result.devices[0].reasons == ["unplug web-1 PSU1"]


def test_one_pdu_off_and_the_other_supply_of_the_switch_unplugged_is_a_double_cut(room):
    psu2 = room.sw.ports.get(name="PSU2")

    result = blast_radius([Cut.power_off(room.pdu_a), Cut.unplug(psu2)])

    sw = next(device for device in result.devices if device.name == "sw-1")
    assert sw.reasons == ["power off pdu-a", "unplug sw-1 PSU2"]


def test_an_outlet_fed_by_the_pdus_other_inlet_stays_live(db):
    r = Room()
    pdu = r.device("pdu-ab", DeviceKind.PDU)
    inlet_a, inlet_b = power_port(pdu, "Input A"), power_port(pdu, "Input B")
    feed_c = Port.objects.create(device=r.panel, name="Feed C", kind=PortKind.POWER_FEED)
    feed_d = Port.objects.create(device=r.panel, name="Feed D", kind=PortKind.POWER_FEED)
    r.cable(feed_c, inlet_a)
    r.cable(feed_d, inlet_b)
    on_a, on_b = outlet(pdu, "A1", inlet_a), outlet(pdu, "B1", inlet_b)
    left, right = r.device("left"), r.device("right")
    r.cable(power_port(left, "PSU1"), on_a)
    r.cable(power_port(right, "PSU1"), on_b)

    assert names(blast_radius([Cut.unplug(feed_c)])) == ["left"]


def test_gear_whose_power_nobody_recorded_is_taken_as_powered(room):
    unrecorded = room.device("unrecorded")
    power_port(unrecorded, "PSU1")  # a supply with no cable: power unknown

    assert "unrecorded" not in names(blast_radius([Cut.power_off(room.panel)]))


def test_gear_on_an_offline_pdu_was_never_powered_so_is_never_lost(room):
    Device.objects.filter(pk=room.pdu_a.pk).update(status=DeviceStatus.OFFLINE)

    result = blast_radius([Cut.power_off(room.pdu_b)])

    # db-1 and web-1 were already dark; sw-1 loses its last live supply.
    assert names(result) == ["pdu-b", "sw-1"]


def test_a_feed_marked_offline_is_no_redundancy(room):
    Port.objects.filter(pk=room.feed_b.pk).update(enabled=False)

    assert "sw-1" in names(blast_radius([Cut.power_off(room.pdu_a)]))


def test_power_cables_carry_no_traffic(room):
    # Powering off the core: the PDUs and the panel are still powered, and nothing reaches the servers
    # through a power cable.
    result = blast_radius([Cut.power_off(room.core)])

    assert names(result) == ["core", "db-1", "sw-1", "web-1"]


def test_the_graph_answers_many_windows_from_one_power_baseline(room):
    graph = build_graph()

    first = compute(graph, [Cut.power_off(room.pdu_a)])
    second = compute(graph, [Cut.power_off(room.pdu_b)])
    nothing = compute(graph, [])

    assert names(first) == ["db-1", "pdu-a", "web-1"]
    assert names(second) == ["pdu-b"]
    assert nothing.devices == []


def test_an_outlet_whose_inlet_nobody_cabled_is_live_while_its_pdu_is(db):
    r = Room()
    pdu = r.device("pdu-loose", DeviceKind.PDU)
    inlet = power_port(pdu, "Input")  # no cable recorded behind it
    socket = outlet(pdu, "O1", inlet)
    web = r.device("web-9")
    r.cable(power_port(web, "PSU1"), socket)

    assert build_graph().power.powered_before >= {build_graph().device_index[web.pk]}
    assert names(blast_radius([Cut.power_off(pdu)])) == ["pdu-loose", "web-9"]
    assert names(blast_radius([Cut.power_off(r.panel)])) == ["panel-1", "pdu-a", "pdu-b"]


def test_an_outlet_pointing_at_a_port_that_is_no_inlet_does_not_break_the_blast_radius(db):
    r = Room()
    pdu = r.device("pdu-odd", DeviceKind.PDU)
    data_port = Port.objects.create(device=pdu, name="mgmt")
    socket = outlet(pdu, "O1", data_port)
    web = r.device("web-9")
    r.cable(power_port(web, "PSU1"), socket)

    assert names(blast_radius([Cut.power_off(pdu)])) == ["pdu-odd", "web-9"]


def test_pdus_feeding_each_other_in_a_loop_power_nothing_by_themselves(db):
    """pdu-x takes one inlet from the feed and one from pdu-y's outlet; pdu-y is fed only from pdu-x.
    Unplugging the feed darkens both, and the server on pdu-y, whatever order the ports were made in."""
    r = Room()
    pdu_x, pdu_y = r.device("pdu-x", DeviceKind.PDU), r.device("pdu-y", DeviceKind.PDU)
    x_from_y = power_port(pdu_x, "In2")  # made first: the lower id
    x_from_feed = power_port(pdu_x, "In1")
    y_in = power_port(pdu_y, "In")
    feed = Port.objects.create(device=r.panel, name="Feed X", kind=PortKind.POWER_FEED)
    r.cable(feed, x_from_feed)
    r.cable(y_in, outlet(pdu_x, "X1", x_from_feed))
    r.cable(x_from_y, outlet(pdu_y, "Y1", y_in))
    web = r.device("web-y")
    r.cable(power_port(web, "PSU1"), outlet(pdu_y, "Y2", y_in))

    assert names(blast_radius([Cut.unplug(feed)])) == ["pdu-x", "pdu-y", "web-y"]
