"""What a window does to connectivity: its targets as blast-radius cuts, alone and together with others."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from inventory.blast_radius import Cut, InventoryGraph, build_graph, compute
from maintenance.models import Target, TargetAction, Window

# Replacing or moving a device takes it offline while the work is done; every port action starts by
# unplugging the port (a reconnect too: the link is down until it is plugged back).
_DEVICE_CUTS = {
    TargetAction.POWER_OFF: Cut.power_off,
    TargetAction.REPLACE: Cut.remove,
    TargetAction.MOVE: Cut.remove,
}


def cut_for(target: Target) -> Cut:
    if target.port_id:
        label = f"{target.get_action_display().lower()} {target.port.device.name} {target.port.name}"
        return Cut.unplug(target.port_id, label)
    label = f"{target.get_action_display().lower()} {target.device.name}"
    return _DEVICE_CUTS[TargetAction(target.action)](target.device_id, label)


def cuts_for(targets: Iterable[Target]) -> list[Cut]:
    return [cut_for(target) for target in targets]


def window_targets(window: Window) -> list[Target]:
    return list(window.targets.select_related("device", "port__device"))


def compute_window_blast_radius(window: Window, graph: InventoryGraph | None = None) -> dict[str, Any]:
    graph = graph or build_graph(window.site_id)
    return compute(graph, cuts_for(window_targets(window))).to_dict()
