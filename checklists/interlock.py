"""The run-time interlock: a redundant pair is never cut twice.

Whatever was planned or approved, a destructive step is refused while, counting every asset that other open
runs at the site have cut and not yet restored, it would take down a service that its own run was not
approved to take down. It asks the inventory (the blast radius) about the cuts as they are now, so it holds
when windows overrun, were approved at different times, or were approved with an override.

A cut is made when a destructive step is signed done, if its action leaves the asset down (inventory.actions
says which do). It is restored when a later step of the same run on the same asset is signed and puts it back
(a reconnect, a replacement, or a rollback step), or when its run is closed (its window completed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from checklists.models import Run, RunStatus, Step, StepKind, StepStatus
from inventory.actions import effect_of
from inventory.blast_radius import Cut, build_graph, compute
from inventory.models import Site, circuits_between_sites, joined_sites, sites_reached

_SIGNED = (StepStatus.DONE, StepStatus.COMPLETE)


@dataclass(frozen=True)
class Blocked:
    """Why a cut is refused now: the other runs' steps whose cuts are still open, and the services lost."""

    blocking: list[Step]
    services: list[str]

    def reason(self) -> str:
        """The refusal of a signature, for the tech who tried."""
        return (
            "Not now: "
            + self.summary()
            + " Wait until that work puts it back. The approver has been told; nothing was signed."
        )

    def summary(self) -> str:
        first = self.blocking[0]
        others = f" (and {len(self.blocking) - 1} more open cut(s))" if len(self.blocking) > 1 else ""
        names = ", ".join(self.services[:5]) + (
            f" and {len(self.services) - 5} more" if len(self.services) > 5 else ""
        )
        return (
            f"{first.run.title}, step {first.position} ({first.title}), has cut "
            f"{describe(first)} and it is not restored yet{others}. Doing this too would take down "
            f"{names}, which this work was not approved to take down: the other half of a redundant pair."
        )


def describe(step: Step) -> str:
    return f"{step.port.device.name} {step.port.name}" if step.port_id else step.device.name


def cut_of(step: Step) -> Cut:
    return Cut.for_work(
        step.action, device=step.device, port=step.port, label=f"{step.action} {describe(step)}"
    )


def _asset_key(step: Step) -> tuple[str, int]:
    return ("port", step.port_id) if step.port_id else ("device", step.device_id)


# What a cut and a refusal's words read of a step: asked on every poll of a cleared step and every cut, of
# every open cut at the site, so never the step's instructions or the assets' other columns.
_CUT_FIELDS = (
    "run__title",
    "run__site_id",
    "position",
    "title",
    "kind",
    "status",
    "is_rollback",
    "action",
    "device__name",
    "port__name",
    "port__device__name",
)


def open_cuts(
    site_ids: int | Iterable[int], *, exclude_run_id: int | None = None, only_run_id: int | None = None
) -> list[Step]:
    """Destructive steps signed done in open runs at the sites whose asset has not been put back since."""
    sites = [site_ids] if isinstance(site_ids, int) else list(site_ids)
    runs = Run.objects.filter(site_id__in=sites).exclude(status__in=[RunStatus.CLOSED, RunStatus.READY])
    if exclude_run_id is not None:
        runs = runs.exclude(pk=exclude_run_id)
    if only_run_id is not None:
        runs = runs.filter(pk=only_run_id)
    steps = list(
        Step.objects.filter(run__in=runs)
        .filter(
            Q(kind=StepKind.DESTRUCTIVE, status__in=_SIGNED) | Q(is_rollback=True, status=StepStatus.COMPLETE)
        )
        .exclude(device__isnull=True, port__isnull=True)
        .select_related("run", "device", "port__device")
        .only(*_CUT_FIELDS)
        .order_by("run_id", "position")
    )
    cut: dict[tuple[int, tuple[str, int]], Step] = {}
    for step in steps:  # in order within each run: a later restoring step puts back an earlier cut
        key = (step.run_id, _asset_key(step))
        if step.is_rollback or not effect_of(step.action).down_after:
            cut.pop(key, None)
        else:
            cut[key] = step
    return list(cut.values())


def check(step: Step) -> Blocked | None:
    """Would signing this destructive step done take down, together with the other runs' open cuts, a service
    its run was not approved to take down? Call with the site locked (see `lock_site`) to act on the answer."""
    # Checked for what the asset takes down while the step is done, whether or not it is back after it.
    if step.kind != StepKind.DESTRUCTIVE or not effect_of(step.action).down_during:
        return None
    run = step.run
    # Runs at every site a circuit joins this one to: their cuts and these meet in one blast radius.
    others = open_cuts(joined_sites(run.site_id), exclude_run_id=run.pk)
    if not others:
        return None
    mine = open_cuts(run.site_id, only_run_id=run.pk)
    return _verdict(step, others, mine, {})


def check_many(steps: Iterable[Step]) -> dict[int, Blocked]:
    """`check` for several steps at once, by step id (only those it would refuse): a page that shows every
    running window's current step asks this in a fixed number of queries, however many there are (the
    sites' circuits, the open cuts at all their sites, one inventory graph per site)."""
    steps = [s for s in steps if s.kind == StepKind.DESTRUCTIVE and effect_of(s.action).down_during]
    if not steps:
        return {}
    _ports, neighbours = circuits_between_sites()
    reach = {site_id: sites_reached(site_id, neighbours) for site_id in {s.run.site_id for s in steps}}
    cuts = open_cuts(set().union(*reach.values()))
    graphs: dict = {}
    blocked = {}
    for step in steps:
        run = step.run
        others = [cut for cut in cuts if cut.run.site_id in reach[run.site_id] and cut.run_id != run.pk]
        if others:
            mine = [cut for cut in cuts if cut.run_id == run.pk]
            if (verdict := _verdict(step, others, mine, graphs)) is not None:
                blocked[step.pk] = verdict
    return blocked


def _verdict(step: Step, others: list[Step], mine_before: list[Step], graphs: dict) -> Blocked | None:
    """The interlock's answer for `step`, given the other runs' open cuts and its own run's."""
    run = step.run
    mine = [cut_of(s) for s in mine_before] + [cut_of(step)]
    if run.site_id not in graphs:
        graphs[run.site_id] = build_graph(run.site_id)
    graph = graphs[run.site_id]
    other_cuts = [cut_of(s) for s in others]
    already_down = {service.id for service in compute(graph, other_cuts).services}
    approved = set(run.approved_services or [])
    lost = [
        service
        for service in compute(graph, other_cuts + mine).services
        if service.id not in already_down and service.id not in approved
    ]
    if not lost:
        return None
    lost_ids = {service.id for service in lost}
    # Name the other runs' cuts that take part: those that, with this run's cuts alone, lose one of them.
    blocking = [
        other
        for other in others
        if lost_ids & {service.id for service in compute(graph, [cut_of(other), *mine]).services}
    ] or others
    return Blocked(blocking, [f"{service.customer}: {service.name}" for service in lost])


def lock_site(site_id: int) -> None:
    """Cuts at one site (and the sites its circuits join it to) are decided one at a time: two techs signing
    the two halves of a pair at the same instant on two windows queue here, and the second sees the first's
    cut."""
    Site.lock_joined(site_id)
