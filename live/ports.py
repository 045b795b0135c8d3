"""A device's word on its ports against the inventory's: a cable's far end traced through patch panels, and
names compared the way switches spell them (`Ethernet1/1` is `Eth1/1`; a host name with its domain is the host).

Device-level: no step here. The step-level checks (`checklists.live_asking`) ask these.
"""

from __future__ import annotations

import re

from netutils.interface import canonical_interface_name

from inventory.models import Port, PortKind


def far_end(port: Port) -> Port | None:
    """The interface at the other end of the port's cable, followed through patch panels (front to rear port,
    along the trunk, rear to the front port of the same position). None if the trail ends without one."""
    current, position = port, 1
    for _ in range(16):  # a trail longer than this is a loop in the inventory, not a cable
        if current is None or current.cable_id is None or current.cable.status != "connected":
            return None  # a planned or decommissioned cable carries nothing
        other = (
            Port.objects.filter(cable_id=current.cable_id)
            .exclude(pk=current.pk)
            .select_related("device")
            .first()
        )
        if other is None:
            return None
        if other.kind == PortKind.FRONT:
            position = other.rear_port_position or 1
            current = Port.objects.filter(pk=other.rear_port_id).first()
        elif other.kind == PortKind.REAR:
            # Out through the front port of the same position; its own cable goes on.
            current = other.front_ports.filter(rear_port_position=position).select_related("device").first()
        else:
            return other
    return None


def same_name(reported: str, inventory: str) -> bool:
    """A hostname as LLDP or the device gives it against the inventory's name: equal ignoring case, or the
    same name with a domain after it."""
    a, b = (reported or "").strip().lower().rstrip("."), (inventory or "").strip().lower()
    return bool(a) and (a == b or a.startswith(b + ".") or b.startswith(a + "."))


def _canonical(name: str) -> str:
    name = re.sub(r"\.\d+$", "", name.strip())  # Junos names a port's logical unit too: xe-0/0/1.0
    try:
        return canonical_interface_name(name).lower()
    except Exception:  # a name netutils does not know: compared as written
        return name.strip().lower()


def same_port(reported: str, inventory: str) -> bool:
    return bool(reported) and _canonical(reported) == _canonical(inventory)


def interface(interfaces: dict, name: str) -> tuple[str, dict] | None:
    """The interface the device reports under the inventory's `name`, with its facts."""
    for reported, facts in (interfaces or {}).items():
        if same_port(reported, name):
            return reported, facts if isinstance(facts, dict) else {}
    return None


def link_states(interfaces: dict) -> dict[str, bool]:
    """Each interface's link, as a plain map kept with the reading."""
    return {
        name: bool(facts.get("is_up"))
        for name, facts in (interfaces or {}).items()
        if isinstance(facts, dict)
    }
