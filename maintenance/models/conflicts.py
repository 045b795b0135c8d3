"""Conflicts between windows, and the blackouts normal changes may not fall in. Below windows.py: the windows
are taken as parameters (their own class queries the others), never imported; `Window.pair_outages` and
approval call down here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Prefetch, Q
from django.utils import timezone

from checklists.models import RunStatus
from inventory.blast_radius import InventoryGraph, build_graph, compute
from inventory.models import Site, circuits_between_sites, sites_reached
from maintenance.models.impact import Target, cuts_for
from maintenance.models.states import ACTIVE_STATUSES, UNDER_WAY, WindowStatus, WindowType

if TYPE_CHECKING:
    from maintenance.models.windows import Window


class Blackout(models.Model):
    """A period when a site takes no normal changes (peak season, a customer's launch)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="blackouts")
    starts = models.DateTimeField()
    ends = models.DateTimeField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["starts"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="blackout_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.site.code} blackout: {self.reason}"


def overlapping(start: datetime, end: datetime) -> Q:
    return Q(planned_start__lt=end, planned_end__gt=start)


# --- conflicts between windows ------------------------------------------------------------------------
# At one site (and, for a redundant pair, at the sites its active circuits join it to: their cuts meet in one
# blast radius). Two windows conflict when their times overlap and they touch the same port, device or rack;
# when their cuts together take down a service that neither takes down alone (each works on one switch of a
# redundant pair); when a normal change falls in a blackout; or when one tech is booked on both.


@dataclass(frozen=True)
class Conflict:
    kind: str  # same_port, same_device, same_rack, combined_outage, blackout, double_booked
    reason: str
    other: Window | None = None
    services: dict[int, str] | None = None  # combined_outage: lost together, neither alone (id → name)

    @property
    def needs_override(self) -> bool:
        """Both halves of a pair, with a window already approved or running: approving needs an override.
        (With one still waiting, the conflict is shown, and decided when that one comes up.)"""
        return self.kind == "combined_outage" and self.other.status in (WindowStatus.APPROVED, *UNDER_WAY)


def needing_override(conflicts: Sequence[Conflict]) -> list[tuple[Window, dict[int, str]]]:
    return [(c.other, c.services) for c in conflicts if c.needs_override]


def _with_targets(queryset):
    return queryset.select_related("site").prefetch_related(
        Prefetch("targets", queryset=Target.objects.select_related("device__rack", "port__device__rack")),
        "assignees",
    )


@dataclass
class _Touch:
    ports: dict[int, str]
    devices: dict[int, str]
    racks: dict[int, str]


def _touch(window: Window) -> _Touch:
    touch = _Touch({}, {}, {})
    for target in window.targets.all():
        device = target.port.device if target.port_id else target.device
        if target.port_id:
            touch.ports[target.port_id] = f"{device.name} {target.port.name}"
        touch.devices[device.pk] = device.name
        if device.rack_id:
            touch.racks[device.rack_id] = device.rack.name
    return touch


_OPEN_ENDED = datetime.max.replace(tzinfo=UTC)


def _ends(window: Window, now: datetime) -> datetime:
    """When a window stops holding its assets: its planned end; or, if it is still under way past it (it
    overran, or it is being rolled back), not until it ends, whenever that is."""
    if window.status in UNDER_WAY and (window.planned_end <= now or window.status == WindowStatus.ABORTED):
        return _OPEN_ENDED
    return window.planned_end


class _Outages:
    """Services lost by windows' cuts made together, with one inventory graph per site and each window's own
    blast radius computed once."""

    def __init__(self) -> None:
        self.graphs: dict[int, InventoryGraph] = {}
        self.alone: dict[int, dict[int, str]] = {}

    def lost(self, *members: Window) -> dict[int, str]:
        site_id = members[0].site_id
        if site_id not in self.graphs:
            self.graphs[site_id] = build_graph(site_id)
        cuts = [cut for member in members for cut in cuts_for(member.targets.all())]
        return {
            service.id: f"{service.customer}: {service.name}"
            for service in compute(self.graphs[site_id], cuts).services
        }

    def lost_alone(self, member: Window) -> dict[int, str]:
        if member.pk not in self.alone:
            self.alone[member.pk] = self.lost(member)
        return self.alone[member.pk]

    def together(self, window: Window, other: Window) -> dict[int, str]:
        """What the two take down together that neither takes down alone: both halves of a redundant pair."""
        both = self.lost(window, other)
        return {
            pk: both[pk]
            for pk in sorted(both.keys() - self.lost_alone(window).keys() - self.lost_alone(other).keys())
        }


def find_conflicts(window: Window) -> list[Conflict]:
    """Conflicts of one window with every other active window at its site."""
    window = _with_targets(type(window).objects.filter(pk=window.pk)).get()
    return conflicts_among([window])[window.pk]


def conflicts_among(windows: Sequence[Window]) -> dict[int, list[Conflict]]:
    """Conflicts for each of `windows` against every active window overlapping it, in a fixed number of
    queries and one inventory graph per site, so a queue of 200 windows costs the same queries as one."""
    result: dict[int, list[Conflict]] = {w.pk: [] for w in windows}
    if not windows:
        return result
    # A window's redundancy reaches every site its circuits join it to: other windows there count too.
    _ports, neighbours = circuits_between_sites()
    joined = {w.site_id: sites_reached(w.site_id, neighbours) for w in windows}
    sites = set().union(*joined.values())
    start = min(w.planned_start for w in windows)
    end = max(w.planned_end for w in windows)
    # Work under way holds its assets until it ends, whatever its plan said: a window that overran, or was
    # aborted and is still being rolled back, is counted as running until now at least.
    now = timezone.now()
    windows_of_the_app = type(windows[0]).objects  # the Window class itself, without importing it from above
    others = list(
        _with_targets(
            windows_of_the_app.filter(site_id__in=sites).filter(
                Q(status__in=ACTIVE_STATUSES, planned_start__lt=end, planned_end__gt=start)
                | Q(status__in=UNDER_WAY, planned_start__lt=end) & ~Q(run__status=RunStatus.CLOSED)
            )
        )
    )
    by_pk = {w.pk: w for w in others} | {w.pk: w for w in windows}
    blackouts = list(Blackout.objects.filter(site_id__in=sites).filter(starts__lt=end, ends__gt=start))
    touches = {pk: _touch(w) for pk, w in by_pk.items()}
    outages = _Outages()
    for window in windows:
        found = result[window.pk]
        mine = touches[window.pk]
        for other in others:
            if other.pk == window.pk or other.site_id not in joined[window.site_id]:
                continue
            if not (other.planned_start < window.planned_end and _ends(other, now) > window.planned_start):
                continue
            theirs = touches[other.pk]
            shared_ports = mine.ports.keys() & theirs.ports.keys()
            shared_devices = mine.devices.keys() & theirs.devices.keys()
            shared_racks = mine.racks.keys() & theirs.racks.keys()
            if shared_ports:
                names = ", ".join(sorted(mine.ports[p] for p in shared_ports))
                found.append(
                    Conflict(
                        "same_port",
                        f"{other.reference} works on the same port at the same time: {names}",
                        other,
                    )
                )
            elif shared_devices:
                names = ", ".join(sorted(mine.devices[d] for d in shared_devices))
                found.append(
                    Conflict(
                        "same_device",
                        f"{other.reference} works on the same device at the same time: {names}",
                        other,
                    )
                )
            elif shared_racks:
                names = ", ".join(sorted(mine.racks[r] for r in shared_racks))
                found.append(
                    Conflict(
                        "same_rack",
                        f"{other.reference} works in the same rack at the same time: rack {names}",
                        other,
                    )
                )
            together = outages.together(window, other)
            if together:
                names = list(together.values())[:5]
                more = f" and {len(together) - 5} more" if len(together) > 5 else ""
                found.append(
                    Conflict(
                        "combined_outage",
                        f"Together with {other.reference}, {len(together)} service(s) lose every path that neither "
                        f"window takes down alone (a redundant pair cut on both sides): {', '.join(names)}{more}",
                        other,
                        together,
                    )
                )
            for person in {u.pk: u for u in window.assignees.all()}.keys() & {
                u.pk for u in other.assignees.all()
            }:
                name = next(u.get_username() for u in window.assignees.all() if u.pk == person)
                found.append(
                    Conflict(
                        "double_booked", f"{name} is also booked on {other.reference} at the same time", other
                    )
                )
        if window.type == WindowType.NORMAL:
            for blackout in blackouts:
                if (
                    blackout.site_id == window.site_id
                    and blackout.starts < window.planned_end
                    and blackout.ends > window.planned_start
                ):
                    found.append(
                        Conflict(
                            "blackout", f"Falls in the blackout “{blackout.reason}”: no normal changes then"
                        )
                    )
    return result
