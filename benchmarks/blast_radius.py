"""A window's blast radius is computed on submit and again on the approver's page, on the whole site.

BENCH blast_radius_100k_ports: milliseconds for one blast radius (unplug all 48 ports of one top-of-rack
switch, power off its partner and one of the rack's two PDUs) on an inventory of 100,000 data ports,
10,000 services and about 25,000 power ports (two PDUs per rack on two panels' feeds, a supply per PDU for
switches and dual-homed servers), with the graph already built, including the no-cut reachability (data and
power) it compares against. A second site (an edge router, a switch and 200 servers) hangs off the core over
a provider circuit, so the graph spans both. BASELINE: building that graph.
"""

from __future__ import annotations

import random
import sys

import _django

_django.setup()

from inventory.blast_radius import Cut, InventoryGraph, build_graph, compute  # noqa: E402
from inventory.models import (  # noqa: E402
    Cable,
    Circuit,
    CircuitTermination,
    Customer,
    Device,
    DeviceKind,
    Port,
    PortKind,
    Service,
    Site,
)

TOTAL_PORTS = _django.size(100_000, 2_000)
SERVICES = _django.size(10_000, 200)
AGGREGATION_PAIRS = _django.size(20, 2)
TOR_PAIRS = _django.size(500, 10)  # 25 per aggregation pair (smoke: 5)
TOR_PORTS = 48  # two uplinks, 46 facing servers
SERVERS = _django.size(5_000, 100)  # 10 per top-of-rack pair; one in five single-homed
CUSTOMERS = _django.size(500, 10)
RUNS = _django.size(5, 1)

rng = random.Random(2024)
site = Site.objects.create(code="bench1", name="Bench 1")
devices: list[Device] = []


def device(name: str, kind: str, *, root: bool = False) -> Device:
    devices.append(Device(site=site, name=name, kind=kind, is_upstream_root=root))
    return devices[-1]


cores = [device(f"core-{n}", DeviceKind.SWITCH, root=True) for n in (1, 2)]
aggs = [
    [device(f"agg-{pair}-{side}", DeviceKind.SWITCH) for side in "ab"] for pair in range(AGGREGATION_PAIRS)
]
tors = [[device(f"tor-{pair}-{side}", DeviceKind.SWITCH) for side in "ab"] for pair in range(TOR_PAIRS)]
servers = [device(f"srv-{n:05}", DeviceKind.SERVER) for n in range(SERVERS)]
Device.objects.bulk_create(devices, batch_size=2000)

# Ports are planned as (device, name), and cables as pairs of indexes into that plan.
plan: list[tuple[Device, str]] = []
links: list[tuple[int, int]] = []
next_port: dict[int, int] = {}


def port(owner: Device, name: str | None = None) -> int:
    number = next_port.get(owner.pk, 0) + 1
    next_port[owner.pk] = number
    plan.append((owner, name or f"Eth1/{number}"))
    return len(plan) - 1


def link(a: Device, b: Device) -> None:
    links.append((port(a), port(b)))


link(cores[0], cores[1])
for pair in aggs:
    for agg in pair:
        for core in cores:
            link(core, agg)
for index, pair in enumerate(tors):
    for tor in pair:
        for agg in aggs[index // (TOR_PAIRS // AGGREGATION_PAIRS)]:
            link(agg, tor)
for index, server in enumerate(servers):
    tor_a, tor_b = tors[index * TOR_PAIRS // SERVERS]
    if index % 5:
        link(tor_a, server)
        link(tor_b, server)
    else:
        link(rng.choice((tor_a, tor_b)), server)
# The rest of every switch is unused ports; the rest of the budget goes to servers' spare and management ports.
for switch in [*cores, *(agg for pair in aggs for agg in pair)]:
    while next_port[switch.pk] < 64:
        port(switch)
for pair in tors:
    for tor in pair:
        while next_port[tor.pk] < TOR_PORTS:
            port(tor)
spare = TOTAL_PORTS - len(plan)
for index, server in enumerate(servers):
    for _ in range(spare // SERVERS + (index < spare % SERVERS)):
        port(server, f"eth{next_port.get(server.pk, 0)}")
assert len(plan) == TOTAL_PORTS, len(plan)

cables = Cable.objects.bulk_create([Cable() for _ in links], batch_size=5000)
ports = [Port(device=owner, name=name) for owner, name in plan]
for cable, (a, b) in zip(cables, links, strict=True):
    ports[a].cable, ports[a].cable_end = cable, "A"
    ports[b].cable, ports[b].cable_end = cable, "B"
Port.objects.bulk_create(ports, batch_size=5000)

customers = Customer.objects.bulk_create([Customer(name=f"customer-{n}") for n in range(CUSTOMERS)])
services = Service.objects.bulk_create(
    [Service(customer=customers[n % CUSTOMERS], name=f"site-{n:05}") for n in range(SERVICES)],
    batch_size=5000,
)
on_devices = Service.devices.through
Service.devices.through.objects.bulk_create(
    [
        on_devices(service=service, device=server)
        for service in services
        for server in rng.sample(servers, rng.choice((1, 1, 2)))
    ],
    batch_size=5000,
)
# One service in ten also names the switch port its cross-connect lands on.
server_ports = [ports[b] for _, b in links[-SERVERS:]]
Service.ports.through.objects.bulk_create(
    [Service.ports.through(service=service, port=rng.choice(server_ports)) for service in services[::10]],
    batch_size=5000,
)

# Power, per rack (a top-of-rack pair and its servers): pdu-N-a on panel A's feed N, pdu-N-b on panel B's.
OUTLETS = 24
panels = Device.objects.bulk_create(
    [Device(site=site, name=f"panel-{side}", kind=DeviceKind.POWER_PANEL) for side in "ab"]
)
pdus = Device.objects.bulk_create(
    [
        Device(site=site, name=f"pdu-{rack}-{side}", kind=DeviceKind.PDU)
        for rack in range(TOR_PAIRS)
        for side in "ab"
    ],
    batch_size=2000,
)
feeds = Port.objects.bulk_create(
    [
        Port(device=panels[index % 2], name=f"Feed {index // 2}", kind=PortKind.POWER_FEED)
        for index in range(len(pdus))
    ],
    batch_size=5000,
)
inlets = Port.objects.bulk_create(
    [Port(device=pdu, name="Input", kind=PortKind.POWER_PORT) for pdu in pdus], batch_size=5000
)
outlets = Port.objects.bulk_create(
    [
        Port(device=pdu, name=f"Outlet {n}", kind=PortKind.POWER_OUTLET, power_port=inlet)
        for pdu, inlet in zip(pdus, inlets, strict=True)
        for n in range(1, OUTLETS + 1)
    ],
    batch_size=5000,
)
power_links: list[tuple[Port, Port]] = list(zip(feeds, inlets, strict=True))
supplies: list[Port] = []
used = [0] * len(pdus)


def supply(owner: Device, pdu_index: int) -> None:
    supplies.append(Port(device=owner, name=f"PSU{len(supplies)}", kind=PortKind.POWER_PORT))
    power_links.append((supplies[-1], outlets[pdu_index * OUTLETS + used[pdu_index]]))
    used[pdu_index] += 1


for rack, pair in enumerate(tors):
    for tor in pair:
        supply(tor, 2 * rack)
        supply(tor, 2 * rack + 1)
for index, server in enumerate(servers):
    rack = index * TOR_PAIRS // SERVERS
    supply(server, 2 * rack)
    if index % 5:
        supply(server, 2 * rack + 1)
Port.objects.bulk_create(supplies, batch_size=5000)
power_cables = Cable.objects.bulk_create([Cable(type="power") for _ in power_links], batch_size=5000)
for cable, (a, b) in zip(power_cables, power_links, strict=True):
    a.cable, a.cable_end, b.cable, b.cable_end = cable, "A", cable, "B"
Port.objects.bulk_update(
    [end for pair in power_links for end in pair], ["cable", "cable_end"], batch_size=5000
)

# The far site: reached only over circuit CID-1 from core-1.
far = Site.objects.create(code="bench2", name="Bench 2")
edge = Device.objects.create(site=far, name="edge-1", kind=DeviceKind.ROUTER)
far_switch = Device.objects.create(site=far, name="far-sw-1", kind=DeviceKind.SWITCH)
far_servers = Device.objects.bulk_create(
    [Device(site=far, name=f"far-srv-{n:03}", kind=DeviceKind.SERVER) for n in range(200)]
)
far_ports = Port.objects.bulk_create(
    [
        Port(device=edge, name="et-0/0/0"),
        Port(device=edge, name="et-0/0/1"),
        Port(device=far_switch, name="Uplink1"),
        *(Port(device=far_switch, name=f"Ethernet{n + 1}") for n in range(200)),
        *(Port(device=server, name="eno1") for server in far_servers),
    ]
)
far_links = [(far_ports[1], far_ports[2])] + [(far_ports[3 + n], far_ports[203 + n]) for n in range(200)]
far_cables = Cable.objects.bulk_create([Cable() for _ in far_links])
for cable, (a, b) in zip(far_cables, far_links, strict=True):
    a.cable, a.cable_end, b.cable, b.cable_end = cable, "A", cable, "B"
Port.objects.bulk_update([end for pair in far_links for end in pair], ["cable", "cable_end"])
circuit = Circuit.objects.create(cid="CID-1", provider="Fibre Co")
core_handoff = Port.objects.create(device=cores[0], name="Ethernet9/1")
CircuitTermination.objects.create(circuit=circuit, term_side="A", site=site, port=core_handoff)
CircuitTermination.objects.create(circuit=circuit, term_side="Z", site=far, port=far_ports[0])

unplugged, powered_off = tors[7]
cuts = [Cut.unplug(p.pk, f"unplug {unplugged.name} {p.name}") for p in ports if p.device is unplugged]
cuts.append(Cut.power_off(powered_off))
cuts.append(Cut.power_off(pdus[2 * 7]))
assert len(cuts) == TOR_PORTS + 2

graph: InventoryGraph = build_graph()


def one_blast_radius() -> None:
    # Forget the cached no-cut reachability: a window's first blast radius pays for it too.
    graph._baseline = None
    graph.power._baseline = None
    compute(graph, cuts)


result = compute(graph, cuts)
# Top-of-rack pair 7 is cut off altogether: its servers are lost, and services with them.
assert result.device_count >= SERVERS // TOR_PAIRS, result.device_count
assert result.service_count > 0, result.service_count
print(
    f"# {graph.node_count} nodes; {result.device_count} devices and {result.service_count} services lost",
    file=sys.stderr,
)
baseline_s = _django.best_of(RUNS, build_graph)
bench_s = _django.best_of(RUNS, one_blast_radius)
_django.report("blast_radius_100k_ports", bench_s * 1000, "ms", baseline=baseline_s * 1000)
