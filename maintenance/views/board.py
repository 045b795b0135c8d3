"""The approver's queue and board, and the tech's today: the windows in front of each, with their live progress."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers

from accounts.roles import Role, role_required
from checklists import interlock
from checklists.label_audits import label_audits_walked_by
from checklists.live_checks import LiveCheck, read_for
from checklists.models import CutRefusal, Run, RunMode, Step, StepScan, StepStatus
from inventory.models import Discrepancy, DiscrepancyStatus
from lockstep.http import HtmxHttpRequest
from maintenance.label_checks import label_checks
from maintenance.models import (
    RedundancyOverride,
    Window,
    WindowStatus,
    conflicts_among,
    needing_override,
    override_prefetches,
)
from maintenance.views.shared import offers, windows_for_pages

BOARD_DAYS = 7
# What the board reads of each current step: its place, words and state, who is on it, and the asset the
# interlock asks about (never its instructions or the neighbours list).
BOARD_STEP_FIELDS = (
    "run_id",
    "position",
    "kind",
    "title",
    "status",
    "scan_round",
    "is_rollback",
    "action",
    "device__name",
    "port__name",
    "port__device__name",
    "performer__username",
    "verifier__username",
)


@role_required(Role.APPROVER)
def queue(request: HtmxHttpRequest) -> HttpResponse:
    windows = list(windows_for_pages().awaiting_decision().order_by("planned_start"))
    conflicts = conflicts_among(windows)
    labels = label_checks(windows)
    rows = [
        {
            "window": w,
            "snapshot": w.snapshot_list[0] if w.snapshot_list else None,
            "services_at_risk": w.services_at_risk(w.snapshot_list[0] if w.snapshot_list else None),
            "conflicts": conflicts[w.pk],
            "pair_outages": needing_override(conflicts[w.pk]),
            # "" when this approver may decide on it; otherwise why not, in words (they requested it...).
            "approval_refusal": w.approval_refusal(request.user),
            # The labels of its targets' racks not proven recently: said, not refused.
            "labels": labels[w.pk],
        }
        for w in windows
    ]
    overridden = list(
        RedundancyOverride.objects.filter(
            window__status__in=[WindowStatus.APPROVED, WindowStatus.IN_PROGRESS]
        ).select_related("window__site", "other", "by")
    )
    return render(request, "maintenance/queue.html", {"rows": rows, "overridden": overridden})


@role_required(Role.APPROVER)
@vary_on_headers("HX-Request")
def board(request: HtmxHttpRequest) -> HttpResponse:
    now = timezone.now()
    windows = list(
        # An aborted window stays on the board while its rollback is still being worked.
        _board_windows().on_board(now=now, days=BOARD_DAYS).order_by("planned_start")
    )
    live = live_progress([w for w in windows if w.is_live])
    # The buttons each card offers, asked of the window's rules with the step counts already made above.
    allowed = {
        w.pk: offers(
            w, request.user, steps_left=live[w.pk]["total"] - live[w.pk]["done"] if w.pk in live else None
        )
        for w in windows
    }
    template = "maintenance/board.html#board-body" if request.htmx else "maintenance/board.html"
    # One time convention: the sites' time when the board shows one zone, UTC when it spans several.
    zones = {w.site.time_zone for w in windows}
    zone = zones.pop() if len(zones) == 1 else "UTC"
    context = {
        "windows": windows,
        "live": live,
        "offers": allowed,
        "now": now,
        "zone": zone,
        "days": BOARD_DAYS,
    }
    return render(request, template, context)


def _board_windows():
    """What the board shows of each window: its site, its run, its techs and the overrides it is part of.
    Not the targets and blast-radius snapshots the review pages read, nor the long texts."""
    return (
        Window.objects.select_related("site", "run")
        .defer("description", "rollback_plan", "customer_summary")
        .prefetch_related(
            Prefetch("assignees", queryset=get_user_model().objects.only("pk", "username")),
            *override_prefetches(),
        )
    )


def live_progress(windows: list[Window]) -> dict[int, dict]:
    """For each running window: its current step and who is on it, progress, open discrepancies, in a fixed
    number of queries however many windows run at once and however long their runbooks."""
    if not windows:
        return {}
    runs = {w.run_id: w.run for w in windows}
    counts = {
        row["run_id"]: row
        for row in Step.objects.filter(run__in=runs)
        .values("run_id", "is_rollback")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(status=StepStatus.COMPLETE)))
        .values("run_id", "is_rollback", "total", "done")
        if row["is_rollback"] == (runs[row["run_id"]].mode == RunMode.ROLLBACK)
    }
    current: dict[int, Step] = {}
    for step in (
        Run.current_steps(runs.values())
        .select_related("performer", "verifier", "device", "port__device")
        .only(*BOARD_STEP_FIELDS)
    ):
        step.run = runs[step.run_id]
        current[step.run_id] = step
    # Who scanned the current steps, and how (camera, camera app, typed): never what they scanned.
    scans_now: dict[int, list[StepScan]] = {}
    scanned = {s.pk: s for s in current.values() if s.status != StepStatus.PENDING}
    if scanned:
        for scan_row in StepScan.objects.filter(step__in=list(scanned), matched=True).select_related("user"):
            step = scanned[scan_row.step_id]
            if scan_row.round == step.scan_round:
                scans_now.setdefault(step.run_id, []).append(scan_row)
    problems: dict[int, list[Discrepancy]] = {}
    for scan_row in (
        StepScan.objects.filter(step__run__in=runs, discrepancy__status=DiscrepancyStatus.OPEN)
        .select_related("discrepancy__reported_by", "step")
        .order_by("discrepancy_id")
    ):
        found = problems.setdefault(scan_row.step.run_id, [])
        if scan_row.discrepancy not in found:
            found.append(scan_row.discrepancy)
    # And those the switch raised (live checks): a wrong port gone down in a try-out above all.
    for check in (
        LiveCheck.objects.filter(step__run__in=runs, discrepancy__status=DiscrepancyStatus.OPEN)
        .select_related("discrepancy__reported_by", "step")
        .order_by("discrepancy_id")
    ):
        found = problems.setdefault(check.step.run_id, [])
        if check.discrepancy not in found:
            found.append(check.discrepancy)
    # What the run-time interlock stopped and is still waiting: the step is not signed done yet.
    stopped: dict[int, list[CutRefusal]] = {}
    for refusal in (
        CutRefusal.objects.filter(
            step__run__in=runs, step__status__in=[StepStatus.CLEARED, StepStatus.SCANNED]
        )
        .select_related("step", "blocking_step__run", "by")
        .order_by("-at", "-pk")
    ):
        kept = stopped.setdefault(refusal.step.run_id, [])
        if all(other.step_id != refusal.step_id for other in kept):
            kept.append(refusal)  # the latest per step
    # A cleared destructive step that the interlock holds back now, before anyone tries to sign it: asked of
    # all of them at once (one inventory graph per site, however many there are).
    held = interlock.check_many(step for step in current.values() if step.status == StepStatus.CLEARED)
    waiting = {step.run_id: held[step.pk] for step in current.values() if step.pk in held}
    # Whether each current step both techs scanned is cleared (the switch has answered too): the step's own
    # rule, asked with every such step's device access and before-check read at once.
    both_scanned = [step for step in current.values() if step.status == StepStatus.CLEARED]
    read = read_for(both_scanned)
    unclear = {step.run_id: step.uncleared_because(**read[step.pk]) for step in both_scanned}
    return {
        w.pk: {
            "run": w.run,
            "step": current.get(w.run_id),
            "interlock": waiting.get(w.run_id),
            "cleared": w.run_id in unclear and unclear[w.run_id] is None,
            "waits_for": unclear.get(w.run_id),
            "scans": scans_now.get(w.run_id, []),
            "cut_refusals": stopped.get(w.run_id, []),
            "done": counts.get(w.run_id, {}).get("done", 0),
            "total": counts.get(w.run_id, {}).get("total", 0),
            "discrepancies": problems.get(w.run_id, []),
        }
        for w in windows
    }


@role_required(Role.TECH)
def tech_today(request: HtmxHttpRequest) -> HttpResponse:
    """The tech's phone: the windows they work today (running, rolling back after an abort, or approved and
    planned for today at the site), each with its current step, how far along it is, and what ends it."""
    now = timezone.now()
    mine = (
        Window.objects.today_for(request.user, now=now)
        .select_related("site", "run")
        .prefetch_related("assignees")
        .order_by("planned_start")
    )
    rows = []
    for window in mine:
        row = {"window": window, "current": None, "number": 0, "total": 0}
        if window.run_id and window.is_live:
            statuses = list(window.run.sequence().values_list("position", "status"))
            row["current"] = window.run.current_step()
            row["total"] = len(statuses)
            row["left"] = sum(1 for _, status in statuses if status != StepStatus.COMPLETE)
            if row["current"]:
                row["number"] = [p for p, _ in statuses].index(row["current"].position) + 1
            row["offers"] = offers(window, request.user, steps_left=row["left"])
        rows.append(row)
    # Label audits sent to this tech (from a rack's page), with the step each is at.
    audits = list(label_audits_walked_by(request.user))
    current = {step.run_id: step for step in Run.current_steps(audits)}
    audits = [(run, current.get(run.pk)) for run in audits]
    return render(request, "maintenance/tech_today.html", {"rows": rows, "audits": audits})
