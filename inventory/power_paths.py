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
    """One evaluation of the chains, memoised: None means live, a set of cut indexes means dead (and why)."""

    def __init__(
        self, paths: PowerPaths, cut_by_node: Mapping[int, list[int]], cut_by_device: Mapping[int, list[int]]
    ) -> None:
        self.paths = paths
        self.cut_by_node = cut_by_node
        self.cut_by_device = cut_by_device
        self._devices: dict[int, frozenset[int] | None] = {}
        self._supplies: dict[int, frozenset[int] | None] = {}

    def device(self, device: int) -> frozenset[int] | None:
        if device in self._devices:
            return self._devices[device]
        self._devices[device] = _DEAD_FOR_NOTHING  # a loop in the power chain feeds nothing
        if device in self.cut_by_device:
            result: frozenset[int] | None = frozenset(self.cut_by_device[device])
        elif device in self.paths.dead_devices:
            result = _DEAD_FOR_NOTHING
        else:
            supplies = self.paths.supplies.get(device)
            if not supplies:
                result = None  # no recorded power: taken as powered (a panel's feeds, untraced gear)
            else:
                result = _DEAD_FOR_NOTHING
                for supply in supplies:
                    reasons = self.supply(supply)
                    if reasons is None:
                        result = None
                        break
                    result = result | reasons
        self._devices[device] = result
        return result

    def supply(self, supply: int) -> frozenset[int] | None:
        if supply in self._supplies:
            return self._supplies[supply]
        self._supplies[supply] = _DEAD_FOR_NOTHING
        result = self._supply(supply)
        self._supplies[supply] = result
        return result

    def _supply(self, supply: int) -> frozenset[int] | None:
        if supply in self.cut_by_node:
            return frozenset(self.cut_by_node[supply])
        source = self.paths.source[supply]
        if source in self.cut_by_node:
            return frozenset(self.cut_by_node[source])
        source_device = self.paths.node_device[source]
        if source in self.paths.dead_nodes or source_device in self.paths.dead_devices:
            return _DEAD_FOR_NOTHING
        feeding = self.paths.outlet_supply.get(source)
        if feeding is not None:
            return self.supply(feeding)
        return self.device(source_device)
