"""What a window does to connectivity: its targets as blast-radius cuts, alone and together with others."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from inventory.blast_radius import Cut, InventoryGraph, build_graph, compute
from maintenance.models import Target, Window


def cut_for(target: Target) -> Cut:
    """The target's action as a blast-radius cut (the one mapping, in `Cut.for_work`)."""
    verb = target.get_action_display().lower()
    if target.port_id:
        return Cut.for_work(
            target.action, port=target.port, label=f"{verb} {target.port.device.name} {target.port.name}"
        )
    return Cut.for_work(target.action, device=target.device, label=f"{verb} {target.device.name}")


def cuts_for(targets: Iterable[Target]) -> list[Cut]:
    return [cut_for(target) for target in targets]


def window_targets(window: Window) -> list[Target]:
    return list(window.targets.select_related("device", "port__device"))


def compute_window_blast_radius(window: Window, graph: InventoryGraph | None = None) -> dict[str, Any]:
    graph = graph or build_graph(window.site_id)
    return compute(graph, cuts_for(window_targets(window))).to_dict()
