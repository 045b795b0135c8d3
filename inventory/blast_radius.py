"""Blast radius: which devices lose every path to an upstream root when a window makes its cuts, and which
customer services go down with them, each with the cuts that caused it.

The inventory is read once into a graph of plain integers (one node per port, plus one hub node per device
that forwards), so a window's cuts cost one breadth-first search instead of a query per port. Redundancy
falls out of reachability: a dual-homed server stays up while either of its uplinks still reaches a root.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import Q

from inventory.actions import effect_of
from inventory.models import (
    FORWARDING_KINDS,
    POWER_KINDS,
    Device,
    DeviceStatus,
    Port,
    PortKind,
    Service,
    Site,
    circuits_between_sites,
    sites_reached,
)
from inventory.names import natural_key
from inventory.power_paths import PowerPaths

# Node states during a search.
_UNSEEN = 0
_REACHED = 1
_REMOVED = 2
_LOST = 3  # reached before the cuts, not after

_NO_REASONS: frozenset[int] = frozenset()


class CutAction(StrEnum):
    UNPLUG = "unplug"
    POWER_OFF = "power_off"
    REMOVE = "remove"


_VERBS = {CutAction.UNPLUG: "unplug", CutAction.POWER_OFF: "power off", CutAction.REMOVE: "remove"}


@dataclass(frozen=True, slots=True)
class Cut:
    """One thing a window does to the inventory: unplug a port, or power off or remove a device."""

    action: CutAction
    target_id: int
    # Empty means "name it from the inventory graph" (see InventoryGraph.describe).
    label: str = ""

    def __post_init__(self) -> None:
        # Accept the plain strings a stored window holds, and refuse a typo rather than ignore it.
        object.__setattr__(self, "action", CutAction(self.action))

    @classmethod
    def unplug(cls, port: Port | int, label: str = "") -> Cut:
        if isinstance(port, Port):
            return cls(CutAction.UNPLUG, port.pk, label or f"unplug {port.device.name} {port.name}")
        return cls(CutAction.UNPLUG, port, label)

    @classmethod
    def power_off(cls, device: Device | int, label: str = "") -> Cut:
        return cls._on_device(CutAction.POWER_OFF, device, label)

    @classmethod
    def remove(cls, device: Device | int, label: str = "") -> Cut:
        return cls._on_device(CutAction.REMOVE, device, label)

    @classmethod
    def _on_device(cls, action: CutAction, device: Device | int, label: str) -> Cut:
        if isinstance(device, Device):
            return cls(action, device.pk, label or f"{_VERBS[action]} {device.name}")
        return cls(action, device, label)

    @classmethod
    def for_work(
        cls, action: str, *, device: Device | None = None, port: Port | None = None, label: str = ""
    ):
        """What an action at the rack takes down while it is done (inventory.actions says, per action): a port
        is unplugged for it (a reconnect too: the link is down until it is seated), a device powered off or
        taken out."""
        effect = effect_of(action)
        if not effect.down_during:
            raise ValueError(f"{action!r} takes nothing down, so it is no cut")
        if port is not None:
            return cls.unplug(port, label)
        if effect.powers_off:
            return cls.power_off(device, label)
        return cls.remove(device, label)

    @property
    def on_port(self) -> bool:
        return self.action == CutAction.UNPLUG

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action.value, "target_id": self.target_id, "label": self.label}


@dataclass(slots=True)
class InventoryGraph:
    """The cabling as integers. Nodes 0..len(port_ids)-1 are ports; after them come forwarding devices' hubs,
    then the positions of multi-position rear ports. Devices are numbered separately (their index in
    device_ids)."""

    device_ids: list[int]
    device_names: list[str]
    device_kinds: list[str]
    device_statuses: list[str]
    device_hub: list[int]  # hub node, or -1 for a device that does not forward
    device_ports: list[list[int]]
    port_ids: list[int]
    port_names: list[str]
    node_device: list[int]  # owning device index of every node, ports and hubs alike
    adjacency: list[list[int]]
    roots: list[int]
    service_ids: list[int]
    service_names: list[str]
    service_customers: list[str]
    device_services: dict[int, list[int]]  # device index -> service indexes
    port_services: dict[int, list[int]]  # port node -> service indexes
    device_index: dict[int, int] = field(default_factory=dict)
    port_index: dict[int, int] = field(default_factory=dict)
    position_nodes: dict[int, list[int]] = field(default_factory=dict)  # rear port node -> its positions
    power: PowerPaths = field(default_factory=PowerPaths)
    _baseline: bytearray | None = None

    def __post_init__(self) -> None:
        if not self.device_index:
            self.device_index = {pk: i for i, pk in enumerate(self.device_ids)}
        if not self.port_index:
            self.port_index = {pk: node for node, pk in enumerate(self.port_ids)}

    @property
    def node_count(self) -> int:
        return len(self.adjacency)

    @property
    def baseline(self) -> bytearray:
        """Reachability with nothing cut, computed once per graph: every blast radius compares against it."""
        if self._baseline is None:
            self._baseline = _search(self.adjacency, self.roots, bytearray(self.node_count))
        return self._baseline

    def port_label(self, node: int) -> str:
        return f"{self.device_names[self.node_device[node]]} {self.port_names[node]}"

    def describe(self, cut: Cut) -> str:
        """The cut's own label, or one made from the inventory's names."""
        if cut.label:
            return cut.label
        verb = _VERBS[cut.action]
        if cut.on_port:
            node = self.port_index.get(cut.target_id)
            return f"{verb} {self.port_label(node)}" if node is not None else f"{verb} port #{cut.target_id}"
        device = self.device_index.get(cut.target_id)
        return (
            f"{verb} {self.device_names[device]}" if device is not None else f"{verb} device #{cut.target_id}"
        )

    def port_nodes(self, node: int) -> list[int]:
        """What unplugging a port removes: the port, and every position of a multi-position rear port."""
        return [node, *self.position_nodes.get(node, ())]

    def device_nodes(self, device: int) -> list[int]:
        hub = self.device_hub[device]
        return [*self.device_ports[device], hub] if hub >= 0 else list(self.device_ports[device])

    def device_reachable(self, device: int, state: bytearray) -> bool:
        hub = self.device_hub[device]
        if hub >= 0:
            return state[hub] == _REACHED
        # A server is up while any one of its ports still reaches a root.
        return any(state[port] == _REACHED for port in self.device_ports[device])


@dataclass(slots=True)
class LostDevice:
    id: int
    name: str
    kind: str
    status: str
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "reasons": list(self.reasons),
        }


@dataclass(slots=True)
class LostService:
    id: int
    name: str
    customer: str
    via: list[str]  # the lost devices (and ports) it depends on
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "customer": self.customer,
            "via": list(self.via),
            "reasons": list(self.reasons),
        }


@dataclass(slots=True)
class BlastRadius:
    cuts: list[Cut]
    devices: list[LostDevice]
    services: list[LostService]
    unknown_cuts: list[Cut]
    warning: str = ""

    @property
    def device_count(self) -> int:
        return len(self.devices)

    @property
    def service_count(self) -> int:
        return len(self.services)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, so a window can keep what the approver saw as a snapshot."""
        return {
            "cuts": [cut.to_dict() for cut in self.cuts],
            "unknown_cuts": [cut.to_dict() for cut in self.unknown_cuts],
            "device_count": self.device_count,
            "service_count": self.service_count,
            "devices": [device.to_dict() for device in self.devices],
            "services": [service.to_dict() for service in self.services],
            "warning": self.warning,
        }


NO_ROOTS_WARNING = (
    "No device here is marked as an upstream root (core or edge), so losing connectivity cannot be "
    "computed: only devices cut directly are listed. Mark the core or edge devices as upstream roots."
)


def _power_paths(
    port_rows: list[tuple], port_index: dict[int, int], node_device: list[int], live_device: list[bool]
) -> PowerPaths:
    """The power chains among the ports: which supply (power port) takes power from which outlet or feed."""
    power_cable_ends: dict[int, list[int]] = {}
    outlet_supply: dict[int, int] = {}
    dead_nodes: set[int] = set()
    for node, row in enumerate(port_rows):
        kind, cable_id, enabled, cable_status, power_port_id = row[3], row[5], row[6], row[7], row[10]
        if kind not in POWER_KINDS:
            continue
        if not enabled:
            dead_nodes.add(node)  # a feed marked offline
        if power_port_id is not None and power_port_id in port_index:
            outlet_supply[node] = port_index[power_port_id]
        if cable_id is not None and cable_status == "connected":
            power_cable_ends.setdefault(cable_id, []).append(node)
    power = PowerPaths(
        node_device=node_device,
        outlet_supply=outlet_supply,
        dead_devices=frozenset(device for device, live in enumerate(live_device) if not live),
        dead_nodes=frozenset(dead_nodes),
    )
    for ends in power_cable_ends.values():
        if len(ends) != 2:
            continue
        # A supply takes its power from an outlet or a feed; any other pairing carries nothing.
        for supply, source in (ends, ends[::-1]):
            if port_rows[supply][3] == PortKind.POWER_PORT and port_rows[source][3] != PortKind.POWER_PORT:
                power.supplies.setdefault(node_device[supply], []).append(supply)
                power.source[supply] = source
    return power


def build_graph(site: Site | int | None = None) -> InventoryGraph:
    """Read the inventory in six queries, whatever its size: all of it, or one site's together with every
    site its active circuits reach (a core switch off at one site takes what hangs off the circuit at the
    other)."""
    circuit_ports, site_neighbours = circuits_between_sites()
    devices = Device.objects.all()
    ports = Port.objects.all()
    device_links = Service.devices.through.objects.all()
    port_links = Service.ports.through.objects.all()
    if site is not None:
        sites = sites_reached(site.pk if isinstance(site, Site) else site, site_neighbours)
        devices = devices.filter(site__in=sites)
        ports = ports.filter(device__site__in=sites)
        device_links = device_links.filter(device__site__in=sites)
        port_links = port_links.filter(port__device__site__in=sites)
    # order_by("pk") also drops the models' default orderings, which would join in other tables.
    device_rows = list(devices.order_by("pk").values_list("id", "name", "kind", "is_upstream_root", "status"))
    port_rows = list(
        ports.order_by("pk").values_list(
            "id",
            "device_id",
            "name",
            "kind",
            "rear_port_id",
            "cable_id",
            "enabled",
            "cable__status",
            "positions",
            "rear_port_position",
            "power_port_id",
        )
    )
    services = Service.objects.filter(
        Q(pk__in=device_links.values("service_id")) | Q(pk__in=port_links.values("service_id"))
    )
    service_rows = list(
        services.order_by("customer__name", "name").values_list("id", "name", "customer__name")
    )
    device_link_rows = list(device_links.values_list("service_id", "device_id"))
    port_link_rows = list(port_links.values_list("service_id", "port_id"))

    device_ids = [row[0] for row in device_rows]
    device_index = {pk: i for i, pk in enumerate(device_ids)}
    # Only what carries traffic counts as a path: a device that is not active (offline, failed, planned…),
    # a disabled port or a cable that is not connected would otherwise pass for the redundancy that saves a
    # server, and the blast radius would say "survives" about a server that goes down.
    live_device = [row[4] == DeviceStatus.ACTIVE for row in device_rows]
    forwards = [row[2] in FORWARDING_KINDS and live_device[i] for i, row in enumerate(device_rows)]
    # The queries above are not one snapshot: a port whose device arrived after the device query is left out.
    port_rows = [row for row in port_rows if row[1] in device_index]

    port_index = {row[0]: node for node, row in enumerate(port_rows)}
    node_device = [device_index[row[1]] for row in port_rows]
    device_hub = [-1] * len(device_rows)
    for device, forwarding in enumerate(forwards):
        if forwarding:
            device_hub[device] = len(node_device)
            node_device.append(device)
    device_ports: list[list[int]] = [[] for _ in device_rows]
    # A rear port with several positions carries each as its own path: one node per position, so that a
    # front port reaches only the front port on the same position at the far end of the trunk, never its
    # neighbours on the same panel. The rear port's own node then links to nothing; unplugging it removes
    # every position with it (InventoryGraph.port_nodes).
    position_nodes: dict[int, list[int]] = {}
    for node, row in enumerate(port_rows):
        if row[3] == PortKind.REAR and row[8] > 1:
            position_nodes[node] = list(range(len(node_device), len(node_device) + row[8]))
            node_device.extend([node_device[node]] * row[8])
    adjacency: list[list[int]] = [[] for _ in node_device]

    def link(a: int, b: int) -> None:
        adjacency[a].append(b)
        adjacency[b].append(a)

    power = _power_paths(port_rows, port_index, node_device, live_device)
    # Gear that has no power with nothing cut (its only PDU is offline, say) is no more up than gear marked
    # offline: it carries nothing, so it is never lost and never anyone's redundancy.
    for device in power.supplies:
        if device not in power.powered_before:
            live_device[device] = False
            forwards[device] = False

    cable_ends: dict[int, list[int]] = {}
    for node, row in enumerate(port_rows):
        kind, rear_port_id, cable_id, enabled, cable_status, _positions, rear_position, _power_port_id = row[
            3:
        ]
        device = node_device[node]
        device_ports[device].append(node)
        device_ports[device].extend(position_nodes.get(node, ()))
        if kind in POWER_KINDS:
            continue  # power is traced apart (power_paths): a power cable carries no traffic
        if not (enabled and live_device[device]):
            continue  # a port that carries nothing links to nothing
        # Only interfaces are switched; front and rear ports are passive even on a switch's chassis.
        if forwards[device] and kind == PortKind.INTERFACE:
            link(node, device_hub[device])
        if rear_port_id is not None:
            rear = port_index.get(rear_port_id)
            if rear is not None:
                # A position past the rear port's count (bad data) leads nowhere.
                position = rear_position or 1
                positions = position_nodes.get(rear)
                if positions is None:
                    if position == 1:
                        link(node, rear)
                elif position <= len(positions):
                    link(node, positions[position - 1])
        # A cable whose far end is on another site (or not loaded) leads nowhere this graph can see.
        if cable_id is not None and cable_status == "connected":
            cable_ends.setdefault(cable_id, []).append(node)

    def join(a: int, b: int) -> None:
        """Two ports joined end to end (a cable, a circuit), position by position where they have several."""
        a_positions, b_positions = position_nodes.get(a), position_nodes.get(b)
        if a_positions and b_positions:
            # A trunk between two panels: position n at one end is position n at the other.
            for a_position, b_position in zip(a_positions, b_positions, strict=False):
                link(a_position, b_position)
        elif a_positions or b_positions:
            # A multi-position rear port cabled to a single port (a breakout): every position meets it.
            single = b if a_positions else a
            for position in a_positions or b_positions:
                link(single, position)
        else:
            link(a, b)

    for ends in cable_ends.values():
        if len(ends) == 2:
            join(*ends)
    # A circuit joins the ports its two ends are cabled to, as a cable would.
    for a_port, b_port in circuit_ports.values():
        ends = [port_index.get(a_port), port_index.get(b_port)]
        if all(node is not None and port_rows[node][6] and live_device[node_device[node]] for node in ends):
            join(*ends)

    roots: list[int] = []
    for device, (_pk, _name, _kind, is_upstream_root, _status) in enumerate(device_rows):
        if is_upstream_root:
            hub = device_hub[device]
            # A root that does not forward (a provider's handoff panel, say) feeds through any of its ports.
            roots.extend([hub] if hub >= 0 else device_ports[device])

    service_index = {row[0]: i for i, row in enumerate(service_rows)}
    device_services: dict[int, list[int]] = {}
    for service_id, device_id in device_link_rows:
        if service_id in service_index and device_id in device_index:
            device_services.setdefault(device_index[device_id], []).append(service_index[service_id])
    port_services: dict[int, list[int]] = {}
    for service_id, port_id in port_link_rows:
        if service_id in service_index and port_id in port_index:
            port_services.setdefault(port_index[port_id], []).append(service_index[service_id])

    return InventoryGraph(
        device_ids=device_ids,
        device_names=[row[1] for row in device_rows],
        device_kinds=[row[2] for row in device_rows],
        device_statuses=[row[4] for row in device_rows],
        device_hub=device_hub,
        device_ports=device_ports,
        port_ids=[row[0] for row in port_rows],
        port_names=[row[2] for row in port_rows],
        node_device=node_device,
        adjacency=adjacency,
        roots=roots,
        service_ids=[row[0] for row in service_rows],
        service_names=[row[1] for row in service_rows],
        service_customers=[row[2] for row in service_rows],
        device_services=device_services,
        port_services=port_services,
        device_index=device_index,
        port_index=port_index,
        position_nodes=position_nodes,
        power=power,
    )


def _search(adjacency: list[list[int]], roots: list[int], state: bytearray) -> bytearray:
    """Mark every node reachable from the roots without entering a _REMOVED node; returns `state`."""
    frontier = [root for root in roots if state[root] == _UNSEEN]
    for root in frontier:
        state[root] = _REACHED
    while frontier:
        following = []
        for node in frontier:
            for neighbour in adjacency[node]:
                if not state[neighbour]:
                    state[neighbour] = _REACHED
                    following.append(neighbour)
        frontier = following
    return state


def compute(graph: InventoryGraph, cuts: Iterable[Cut]) -> BlastRadius:
    """What the cuts, made together, take down: the devices that were reachable and no longer are, plus the
    devices cut directly, and the services that depend on any of them."""
    known: list[Cut] = []
    unknown: list[Cut] = []
    cut_by_node: dict[int, list[int]] = {}  # removed node -> indexes in `known` of the cuts removing it
    cut_by_device: dict[int, list[int]] = {}  # device index -> its own power off / remove cuts
    for cut in cuts:
        if cut.on_port:
            node = graph.port_index.get(cut.target_id)
            if node is None:
                unknown.append(Cut(cut.action, cut.target_id, graph.describe(cut)))
                continue
            removed = graph.port_nodes(node)
        else:
            device = graph.device_index.get(cut.target_id)
            if device is None:
                unknown.append(Cut(cut.action, cut.target_id, graph.describe(cut)))
                continue
            cut_by_device.setdefault(device, []).append(len(known))
            removed = graph.device_nodes(device)
        for node in removed:
            cut_by_node.setdefault(node, []).append(len(known))
        known.append(Cut(cut.action, cut.target_id, graph.describe(cut)))

    # Devices that lose every supply go down as if powered off, for the power cuts behind it; their data
    # ports then take down what hangs off them.
    power_lost = graph.power.losses(cut_by_node, cut_by_device)
    for device, reasons in power_lost.items():
        for node in graph.device_nodes(device):
            cut_by_node.setdefault(node, []).extend(reasons)

    baseline = graph.baseline
    state = bytearray(graph.node_count)
    for node in cut_by_node:
        state[node] = _REMOVED
    _search(graph.adjacency, graph.roots, state)
    damage = _Damage(graph, cut_by_node, baseline, state)

    lost_devices: dict[int, frozenset[int]] = {}
    node_device = graph.node_device
    # The devices cut directly count even with no port in the graph (a PDU, a shelf): so do their services.
    for device in (
        set(map(node_device.__getitem__, damage.lost_nodes))
        | set(map(node_device.__getitem__, cut_by_node))
        | set(cut_by_device)
    ):
        if device in cut_by_device:
            lost_devices[device] = frozenset(cut_by_device[device])
        elif device in power_lost:
            lost_devices[device] = power_lost[device]
        elif graph.device_reachable(device, baseline) and not graph.device_reachable(device, state):
            hub = graph.device_hub[device]
            if hub >= 0:
                # A switch is down because its hub is.
                lost_devices[device] = damage.reasons(hub)
            else:
                # A server is down because each of its ports is, each for its own reasons.
                found = {damage.reasons(port) for port in graph.device_ports[device]}
                lost_devices[device] = found.pop() if len(found) == 1 else frozenset().union(*found)

    # service index -> (what it depended on that went, the cuts behind it)
    lost_services: dict[int, tuple[list[str], set[int]]] = {}

    def lose(service: int, via: str, reasons: frozenset[int]) -> None:
        names, causes = lost_services.setdefault(service, ([], set()))
        if via not in names:
            names.append(via)
        causes |= reasons

    for device, reasons in lost_devices.items():
        for service in graph.device_services.get(device, ()):
            lose(service, graph.device_names[device], reasons)
    # A port can go while its device stays up: the port itself unplugged, or the only cable to it cut.
    # Few ports carry services, so looking at each is cheaper than looking at every lost node.
    for port, port_services in graph.port_services.items():
        if state[port] == _REMOVED or state[port] == _LOST:
            reasons = damage.reasons(port)
        elif node_device[port] in lost_devices:
            reasons = lost_devices[node_device[port]]
        else:
            continue
        for service in port_services:
            lose(service, graph.port_label(port), reasons)

    label_cache: dict[frozenset[int], tuple[str, ...]] = {}

    def labels(indexes: frozenset[int]) -> list[str]:
        if indexes not in label_cache:
            label_cache[indexes] = tuple(known[index].label for index in sorted(indexes))
        return list(label_cache[indexes])

    devices = sorted(
        (
            LostDevice(
                id=graph.device_ids[device],
                name=graph.device_names[device],
                kind=graph.device_kinds[device],
                status=graph.device_statuses[device],
                reasons=labels(reasons),
            )
            for device, reasons in lost_devices.items()
        ),
        key=lambda lost: (natural_key(lost.name), lost.id),
    )
    services = [
        LostService(
            id=graph.service_ids[service],
            name=graph.service_names[service],
            customer=graph.service_customers[service],
            via=names,
            reasons=labels(frozenset(reasons)),
        )
        # Service indexes follow the graph's (customer, name) order.
        for service, (names, reasons) in sorted(lost_services.items())
    ]
    return BlastRadius(
        cuts=known,
        devices=devices,
        services=services,
        unknown_cuts=unknown,
        warning="" if graph.roots else NO_ROOTS_WARNING,
    )


class _Damage:
    """What the cuts broke, and why, worked out only around the removed nodes: never a scan of the graph.

    The lost nodes (reached before, not now, not removed themselves) fall into connected regions. Each region
    borders removed nodes, because its old path from a root ran through one. Together the regions and the
    removed nodes form a small "damage graph"; walking it outwards from the live side, level by level, each
    region or removed node inherits the cuts of its neighbours one level nearer the live side. So a switch
    behind a powered-off aggregation switch gets "power off agg" but not a port unplugged further downstream,
    while a server behind both gets both.

    Marks the lost nodes _LOST in `state`.
    """

    def __init__(
        self, graph: InventoryGraph, cut_by_node: dict[int, list[int]], baseline: bytearray, state: bytearray
    ) -> None:
        self.cut_by_node = cut_by_node
        self.region_of: list[int] = [-1] * graph.node_count
        self.lost_nodes: list[int] = []
        self._border: list[set[int]] = []  # per region: the removed nodes around it
        self._find_regions(graph.adjacency, baseline, state)
        self._region_reasons: list[frozenset[int]] = [_NO_REASONS] * len(self._border)
        self._removed_reasons: dict[int, frozenset[int]] = {}
        self._trace_reasons(graph, baseline, state)

    def reasons(self, node: int) -> frozenset[int]:
        if node in self.cut_by_node:
            return self._removed_reasons.get(node) or frozenset(self.cut_by_node[node])
        region = self.region_of[node]
        if region < 0:
            return _NO_REASONS
        # Only empty if the walk could not reach the region, which the invariant above rules out; every
        # bordering cut is a better answer than none.
        return self._region_reasons[region] or frozenset(
            cut for removed in self._border[region] for cut in self.cut_by_node[removed]
        )

    def _find_regions(self, adjacency: list[list[int]], baseline: bytearray, state: bytearray) -> None:
        region_of, lost_nodes = self.region_of, self.lost_nodes
        for removed in self.cut_by_node:
            for start in adjacency[removed]:
                if state[start] != _UNSEEN or not baseline[start]:
                    continue
                region = len(self._border)
                border: set[int] = set()
                self._border.append(border)
                state[start] = _LOST
                region_of[start] = region
                pending = [start]
                while pending:
                    node = pending.pop()
                    lost_nodes.append(node)
                    for neighbour in adjacency[node]:
                        neighbour_state = state[neighbour]
                        if not neighbour_state:
                            if baseline[neighbour]:
                                state[neighbour] = _LOST
                                region_of[neighbour] = region
                                pending.append(neighbour)
                        elif neighbour_state == _REMOVED:
                            border.add(neighbour)

    def _trace_reasons(self, graph: InventoryGraph, baseline: bytearray, state: bytearray) -> None:
        adjacency, cut_by_node, region_of = graph.adjacency, self.cut_by_node, self.region_of
        roots = set(graph.roots)
        region_reasons: list[set[int]] = [set() for _ in self._border]
        removed_reasons: dict[int, set[int]] = {}
        # Level 0: removed nodes that touch the live side (or are roots): their own cuts are the whole story.
        removed_level: dict[int, int] = {}
        for node in cut_by_node:
            if baseline[node] and (
                node in roots or any(state[neighbour] == _REACHED for neighbour in adjacency[node])
            ):
                removed_level[node] = 0
                removed_reasons[node] = set(cut_by_node[node])
        region_level: dict[int, int] = {}
        frontier = [(False, node) for node in removed_level]
        level = 0
        while frontier:
            following: list[tuple[bool, int]] = []
            for is_region, item in frontier:
                if is_region:
                    reasons = region_reasons[item]
                    removed_neighbours: Iterable[int] = self._border[item]
                else:
                    reasons = removed_reasons[item]
                    removed_neighbours = [n for n in adjacency[item] if state[n] == _REMOVED and baseline[n]]
                    for neighbour in adjacency[item]:
                        region = region_of[neighbour]
                        if region < 0:
                            continue
                        seen_at = region_level.get(region)
                        if seen_at is None:
                            region_level[region] = level + 1
                            following.append((True, region))
                        if seen_at is None or seen_at == level + 1:
                            region_reasons[region] |= reasons
                for neighbour in removed_neighbours:
                    seen_at = removed_level.get(neighbour)
                    if seen_at is None:
                        removed_level[neighbour] = level + 1
                        removed_reasons[neighbour] = set(cut_by_node[neighbour])
                        following.append((False, neighbour))
                    if seen_at is None or seen_at == level + 1:
                        removed_reasons[neighbour] |= reasons
            frontier = following
            level += 1
        # Frozen, so that devices and services sharing a cause share one set (and one list of labels).
        interned: dict[frozenset[int], frozenset[int]] = {}
        self._region_reasons = [interned.setdefault(frozenset(r), frozenset(r)) for r in region_reasons]
        self._removed_reasons = {
            node: interned.setdefault(frozenset(r), frozenset(r)) for node, r in removed_reasons.items()
        }


def blast_radius(cuts: Iterable[Cut], site: Site | int | None = None) -> BlastRadius:
    """Build the graph (of one site, or everything) and compute the blast radius of the cuts on it."""
    return compute(build_graph(site), cuts)
