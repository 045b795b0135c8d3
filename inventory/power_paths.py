"""Which devices lose power when a window makes its cuts: the power half of the blast radius.

NetBox draws power as a chain: a power panel's feed is cabled to a PDU's power port (its inlet); the PDU's
outlets, each fed by one of its inlets, are cabled to the power ports (the supplies) of the gear in the rack.
A device stays powered while any one of its supplies still has a live chain back to a feed: dual-supply gear
on two PDUs survives one PDU off, single-supply gear does not. A device whose power nobody recorded (no
supply cabled) is taken as powered: Lockstep never invents a loss it cannot trace.

Kept apart from the data graph, with the same integer nodes (see blast_radius.InventoryGraph): a device that
loses power is then cut from the data graph like one powered off, and its reasons are the power cuts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

_DEAD_FOR_NOTHING: frozenset[int] = frozenset()  # dead before any cut (a feed marked offline, say)


@dataclass(slots=True)
class PowerPaths:
    node_device: Sequence[int] = ()  # the data graph's: owning device index of every node
    # device index -> its supplies (power port nodes) that are cabled to a source
    supplies: dict[int, list[int]] = field(default_factory=dict)
    # supply node -> the outlet or feed node at the far end of its cable
    source: dict[int, int] = field(default_factory=dict)
    # outlet node -> the supply of its own PDU that feeds it (absent: the outlet is live while its PDU is)
    outlet_supply: dict[int, int] = field(default_factory=dict)
    # devices (PDUs, panels) that are not active, and disabled outlets or feeds: dead before any cut
    dead_devices: frozenset[int] = frozenset()
    dead_nodes: frozenset[int] = frozenset()
    _baseline: frozenset[int] | None = None

    def __bool__(self) -> bool:
        return bool(self.supplies)

    @property
    def powered_before(self) -> frozenset[int]:
        """The devices with recorded supplies that are powered with nothing cut, computed once."""
        if self._baseline is None:
            walk = _Walk(self, {}, {})
            self._baseline = frozenset(device for device in self.supplies if walk.device(device) is None)
        return self._baseline

    def losses(
        self, cut_by_node: Mapping[int, list[int]], cut_by_device: Mapping[int, list[int]]
    ) -> dict[int, frozenset[int]]:
        """The devices powered before the cuts and not after (other than those cut themselves), each with the
        cuts (indexes) that took its power: for each of its supplies, whatever broke that supply's chain."""
        if not self.supplies or not (cut_by_node or cut_by_device):
            return {}
        walk = _Walk(self, cut_by_node, cut_by_device)
        lost: dict[int, frozenset[int]] = {}
        for device in self.powered_before:
            if device in cut_by_device:
                continue
            reasons = walk.device(device)
            if reasons is not None:
                lost[device] = reasons
        return lost


class _Walk:
    """One evaluation of the chains under a set of cuts. Liveness is a least fixpoint, so a loop in the
    chains (a PDU fed from another PDU that it feeds) powers nothing by itself, whatever order the ports came
    in; then, for the dead, why: None means live, a set of cut indexes means dead (and which cuts)."""

    def __init__(
        self, paths: PowerPaths, cut_by_node: Mapping[int, list[int]], cut_by_device: Mapping[int, list[int]]
    ) -> None:
        self.paths = paths
        self.cut_by_node = cut_by_node
        self.cut_by_device = cut_by_device
        self.live = self._live_devices()
        self._reasons: dict[tuple[str, int], frozenset[int]] = {}

    # Liveness -------------------------------------------------------------------------------------------

    def _up(self, device: int) -> bool:
        return device not in self.cut_by_device and device not in self.paths.dead_devices

    def _live_devices(self) -> set[int]:
        paths = self.paths
        # Devices whose power nobody recorded are live unless cut; gear with supplies waits for a live chain.
        live = {
            device
            for device in self._devices_in_chains()
            if device not in paths.supplies and self._up(device)
        }
        waiting = [device for device in paths.supplies if self._up(device)]
        changed = True
        while changed and waiting:
            changed = False
            still = []
            for device in waiting:
                if any(self._supply_live(supply, live, set()) for supply in paths.supplies[device]):
                    live.add(device)
                    changed = True
                else:
                    still.append(device)
            waiting = still
        return live

    def _devices_in_chains(self) -> set[int]:
        node_device = self.paths.node_device
        return {node_device[source] for source in self.paths.source.values()}

    def _supply_live(self, supply: int, live: set[int], seen: set[int]) -> bool:
        if supply in self.cut_by_node or supply in seen:
            return False
        source = self.paths.source.get(supply)
        if source is None:
            return False  # an inlet nobody cabled carries nothing
        if source in self.cut_by_node or source in self.paths.dead_nodes:
            return False
        source_device = self.paths.node_device[source]
        if source_device not in live:
            return False
        # An outlet is fed by one of its PDU's inlets; an inlet whose cable nobody recorded (or a feeding port
        # that is no inlet) says nothing, and the outlet is live while its PDU is.
        feeding = self.paths.outlet_supply.get(source)
        if feeding is None or feeding not in self.paths.source:
            return True
        seen.add(supply)
        return self._supply_live(feeding, live, seen)

    # Reasons --------------------------------------------------------------------------------------------

    def device(self, device: int) -> frozenset[int] | None:
        """None if the device is live; else the cuts that took it down (empty: dark before any cut)."""
        if device in self.live and device not in self.cut_by_device:
            return None
        return self._why("device", device)

    def _why(self, what: str, item: int) -> frozenset[int]:
        key = (what, item)
        if key in self._reasons:
            return self._reasons[key]
        self._reasons[key] = _DEAD_FOR_NOTHING  # a loop adds no reasons of its own
        reasons = self._device_reasons(item) if what == "device" else self._supply_reasons(item)
        self._reasons[key] = reasons
        return reasons

    def _device_reasons(self, device: int) -> frozenset[int]:
        if device in self.cut_by_device:
            return frozenset(self.cut_by_device[device])
        if device in self.paths.dead_devices:
            return _DEAD_FOR_NOTHING
        reasons = _DEAD_FOR_NOTHING
        for supply in self.paths.supplies.get(device, ()):
            reasons = reasons | self._why("supply", supply)
        return reasons

    def _supply_reasons(self, supply: int) -> frozenset[int]:
        if supply in self.cut_by_node:
            return frozenset(self.cut_by_node[supply])
        source = self.paths.source.get(supply)
        if source is None or source in self.paths.dead_nodes:
            return _DEAD_FOR_NOTHING
        if source in self.cut_by_node:
            return frozenset(self.cut_by_node[source])
        source_device = self.paths.node_device[source]
        reasons = _DEAD_FOR_NOTHING if source_device in self.live else self._why("device", source_device)
        feeding = self.paths.outlet_supply.get(source)
        if feeding is not None and feeding in self.paths.source:
            reasons = reasons | self._why("supply", feeding)
        return reasons
