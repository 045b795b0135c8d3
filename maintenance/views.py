"""Maintenance windows on the desktop: plan, review, approve, and the approver's queue and board."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.roles import Role, has_role, role_required
from checklists.models import RunMode, RunStatus, Step, StepScan, StepStatus
from inventory.models import Discrepancy, DiscrepancyStatus
from lockstep.http import HtmxHttpRequest
from maintenance.conflicts import conflicts_among
from maintenance.forms import DecisionForm, ReasonForm, TargetForm, WindowForm
from maintenance.models import (
    ACTIVE_STATUSES,
    BlastSnapshot,
    Target,
    Window,
    WindowRefused,
    WindowStatus,
)

PLANNERS = (Role.TECH, Role.APPROVER, Role.COORDINATOR, Role.ADMIN)
BOARD_DAYS = 7


def _windows():
    return Window.objects.select_related("site", "requester").prefetch_related(
        Prefetch("targets", queryset=Target.objects.select_related("device__rack", "port__device__rack")),
        "assignees",
        Prefetch(
            "snapshots",
            queryset=BlastSnapshot.objects.order_by("-computed_at", "-pk"),
            to_attr="snapshot_list",
        ),
    )


def _get_window(request: HtmxHttpRequest, pk: int) -> Window:
    """Every role can read every window: the whole team sees what is planned. Changing is per method."""
    return get_object_or_404(_windows(), pk=pk)


@role_required(*PLANNERS)
def window_list(request: HtmxHttpRequest) -> HttpResponse:
    mine = _windows().filter(Q(requester=request.user) | Q(assignees=request.user)).distinct()
    active = _windows().filter(status__in=ACTIVE_STATUSES)
    return render(request, "maintenance/window_list.html", {"mine": mine, "active": active})


@role_required(*PLANNERS)
def window_new(request: HtmxHttpRequest) -> HttpResponse:
    form = WindowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        window = form.save(commit=False)
        window.requester = request.user
        window.save()
        form.save_m2m()
        from audit.log import record

        record("window.created", actor=request.user, obj=window, payload={"title": window.title})
        messages.success(request, f"{window.reference} created as a draft. Add its targets, then submit it.")
        return redirect(window)
    return render(request, "maintenance/window_form.html", {"form": form, "window": None})


@role_required(*PLANNERS)
def window_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    window = _get_window(request, pk)
    try:
        window.require_editable(request.user)
    except WindowRefused as refusal:
        messages.error(request, refusal.reason)
        return redirect(window)
    form = WindowForm(request.POST or None, instance=window)
    if request.method == "POST" and form.is_valid():
        from audit.log import record

        changed = sorted(form.changed_data)
        try:
            with transaction.atomic():
                # Still a draft, under its lock; and only the form's own fields are written, never the
                # status or runbook a concurrent submit just set.
                window._locked().require_editable(request.user)
                edited = form.save(commit=False)
                edited.save(update_fields=[f for f in changed if f != "assignees"] or ["title"])
                form.save_m2m()
                record(
                    "window.edited",
                    actor=request.user,
                    obj=window,
                    payload={
                        "changed": changed,
                        "after": {f: str(form.cleaned_data.get(f))[:500] for f in changed},
                    },
                )
        except WindowRefused as refusal:
            messages.error(request, refusal.reason)
            return redirect(window)
        messages.success(request, "Saved.")
        return redirect(window)
    return render(request, "maintenance/window_form.html", {"form": form, "window": window})


@role_required(*PLANNERS)
@vary_on_headers("HX-Request")
def window_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    window = _get_window(request, pk)
    snapshot = window.snapshot_list[0] if window.snapshot_list else None
    conflicts = (
        conflicts_among([window])[window.pk]
        if window.status in (WindowStatus.DRAFT, *ACTIVE_STATUSES)
        else []
    )
    context = {
        "window": window,
        "snapshot": snapshot,
        "conflicts": conflicts,
        "decisions": window.decisions.select_related("by"),
        "target_form": TargetForm(site=window.site),
        "can_edit": window.status == WindowStatus.DRAFT and request.user.pk == window.requester_id,
        "can_decide": window.status == WindowStatus.SUBMITTED
        and has_role(request.user, Role.APPROVER)
        and request.user.pk != window.requester_id,
        "is_worker": has_role(request.user, Role.APPROVER)
        or any(u.pk == request.user.pk for u in window.assignees.all()),
        "is_requester": request.user.pk == window.requester_id,
        "is_approver": has_role(request.user, Role.APPROVER),
    }
    return render(request, "maintenance/window_detail.html", context)


@require_POST
@role_required(*PLANNERS)
def target_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    window = _get_window(request, pk)
    form = TargetForm(request.POST, site=window.site)
    if not form.is_valid():
        for error in (
            form.errors.get("__all__", []) + form.errors.get("asset", []) + form.errors.get("action", [])
        ):
            messages.error(request, error)
        return redirect(window)
    try:
        target = window.add_target(
            by=request.user,
            action=form.cleaned_data["action"],
            device=form.cleaned_data["device"],
            port=form.cleaned_data["port"],
        )
    except WindowRefused as refusal:
        messages.error(request, refusal.reason)
    else:
        messages.success(request, f"Added: {target}.")
    return redirect(window)


@require_POST
@role_required(*PLANNERS)
def target_remove(request: HtmxHttpRequest, pk: int, target_pk: int) -> HttpResponse:
    window = _get_window(request, pk)
    target = get_object_or_404(Target, pk=target_pk, window=window)
    try:
        window.remove_target(by=request.user, target=target)
    except WindowRefused as refusal:
        messages.error(request, refusal.reason)
    return redirect(window)


def _submit(window: Window, request: HtmxHttpRequest) -> str:
    snapshot = window.submit(by=request.user)
    return f"Submitted for approval. Blast radius: {snapshot.service_count} service(s) affected."


def _decide(window: Window, request: HtmxHttpRequest) -> str:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise WindowRefused("Choose approve or reject.")
    approve = form.cleaned_data["decision"] == "approve"
    window.decide(by=request.user, approve=approve, comment=form.cleaned_data["comment"])
    return (
        f"{window.reference} approved."
        if approve
        else f"{window.reference} rejected and sent back to its requester."
    )


def _reason(request: HtmxHttpRequest) -> str:
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


def _start(window: Window, request: HtmxHttpRequest) -> str:
    window.start(by=request.user)
    return f"{window.reference} is in progress."


def _complete(window: Window, request: HtmxHttpRequest) -> str:
    window.complete(by=request.user)
    return f"{window.reference} completed."


def _abort(window: Window, request: HtmxHttpRequest) -> str:
    window.abort(by=request.user, reason=_reason(request))
    return f"{window.reference} aborted: roll back."


def _cancel(window: Window, request: HtmxHttpRequest) -> str:
    window.cancel(by=request.user, reason=_reason(request))
    return f"{window.reference} cancelled."


def _recompute(window: Window, request: HtmxHttpRequest) -> str:
    snapshot = window.recompute_blast_radius(by=request.user)
    return f"Blast radius recomputed: {snapshot.service_count} service(s) affected."


def _resume(window: Window, request: HtmxHttpRequest) -> str:
    window.resume(by=request.user)
    return f"{window.reference} resumed."


ACTIONS: dict[str, Callable[[Window, HtmxHttpRequest], str]] = {
    "resume": _resume,
    "submit": _submit,
    "decide": _decide,
    "start": _start,
    "complete": _complete,
    "abort": _abort,
    "cancel": _cancel,
    "recompute": _recompute,
}


@require_POST
@role_required(*PLANNERS)
def window_action(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    window = _get_window(request, pk)
    handler = ACTIONS.get(action)
    if handler is None:
        return render(request, "404.html", status=404)
    try:
        messages.success(request, handler(window, request))
    except WindowRefused as refusal:
        messages.error(request, refusal.reason)
    return redirect(window)


@role_required(Role.APPROVER)
def queue(request: HtmxHttpRequest) -> HttpResponse:
    windows = list(_windows().filter(status=WindowStatus.SUBMITTED).order_by("planned_start"))
    conflicts = conflicts_among(windows)
    rows = [
        {
            "window": w,
            "snapshot": w.snapshot_list[0] if w.snapshot_list else None,
            "conflicts": conflicts[w.pk],
            "own": w.requester_id == request.user.pk,
        }
        for w in windows
    ]
    return render(request, "maintenance/queue.html", {"rows": rows})


@role_required(Role.APPROVER)
@vary_on_headers("HX-Request")
def board(request: HtmxHttpRequest) -> HttpResponse:
    now = timezone.now()
    windows = list(
        _windows()
        .select_related("run")
        .filter(
            Q(status=WindowStatus.IN_PROGRESS)
            # An aborted window stays on the board while its rollback is still being worked.
            | Q(
                status=WindowStatus.ABORTED,
                run__status__in=[RunStatus.ACTIVE, RunStatus.HELD, RunStatus.PAUSED],
            )
            | Q(
                status__in=[WindowStatus.SUBMITTED, WindowStatus.APPROVED],
                planned_end__gte=now,
                planned_start__lt=now + timedelta(days=BOARD_DAYS),
            )
        )
        .order_by("planned_start")
    )
    live = live_progress(
        [w for w in windows if w.status in (WindowStatus.IN_PROGRESS, WindowStatus.ABORTED) and w.run_id]
    )
    template = "maintenance/board.html#board-body" if request.htmx else "maintenance/board.html"
    return render(request, template, {"windows": windows, "live": live, "now": now, "days": BOARD_DAYS})


def live_progress(windows: list[Window]) -> dict[int, dict]:
    """For each running window: its current step and who is on it, progress, open discrepancies, in a fixed
    number of queries however many windows run at once."""
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
        Step.objects.filter(run__in=runs)
        .exclude(status=StepStatus.COMPLETE)
        .select_related("performer", "verifier", "device", "port__device")
        .order_by("run_id", "position")
    ):
        if step.is_rollback == (runs[step.run_id].mode == RunMode.ROLLBACK):
            current.setdefault(step.run_id, step)
    problems: dict[int, list[Discrepancy]] = {}
    for scan_row in (
        StepScan.objects.filter(step__run__in=runs, discrepancy__status=DiscrepancyStatus.OPEN)
        .select_related("discrepancy__reported_by", "step")
        .order_by("discrepancy_id")
    ):
        found = problems.setdefault(scan_row.step.run_id, [])
        if scan_row.discrepancy not in found:
            found.append(scan_row.discrepancy)
    return {
        w.pk: {
            "run": w.run,
            "step": current.get(w.run_id),
            "done": counts.get(w.run_id, {}).get("done", 0),
            "total": counts.get(w.run_id, {}).get("total", 0),
            "discrepancies": problems.get(w.run_id, []),
        }
        for w in windows
    }


@require_POST
@role_required(Role.APPROVER)
def window_pause(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    window = _get_window(request, pk)
    try:
        window.pause(by=request.user, reason=_reason(request))
        messages.success(request, f"{window.reference} paused: no step can be acted on until you resume it.")
    except WindowRefused as refusal:
        messages.error(request, refusal.reason)
    return redirect("maintenance:board" if request.POST.get("next") == "board" else window)


@role_required(Role.TECH)
def tech_today(request: HtmxHttpRequest) -> HttpResponse:
    """The tech's phone: the windows they work today (running, or approved and planned for today at the
    site), each with its current step."""
    now = timezone.now()
    mine = (
        Window.objects.filter(assignees=request.user)
        .filter(
            Q(status=WindowStatus.IN_PROGRESS)
            | Q(
                status=WindowStatus.APPROVED, planned_start__lt=now + timedelta(hours=24), planned_end__gt=now
            )
        )
        .select_related("site", "run")
        .order_by("planned_start")
    )
    rows = [{"window": w, "current": w.run.current_step() if w.run_id else None} for w in mine]
    return render(request, "maintenance/tech_today.html", {"rows": rows})


# --- printed runbook and as-run record ------------------------------------------------------------------


def _pdf_or_refusal(request: HtmxHttpRequest, pk: int, *, as_run: bool) -> HttpResponse:
    from maintenance.runbook_pdf import pdf_filename, render_runbook_pdf

    window = _get_window(request, pk)
    try:
        pdf = render_runbook_pdf(window, as_run=as_run)
    except WindowRefused as refusal:
        context = {"window": window, "reason": refusal.reason, "as_run": as_run}
        return render(request, "maintenance/runbook_pdf_refused.html", context, status=409)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf_filename(window, as_run=as_run)}"'
    return response


@role_required(*PLANNERS)
def runbook_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The runbook to print before the window: DRAFT on every page until it is approved."""
    return _pdf_or_refusal(request, pk, as_run=False)


@role_required(*PLANNERS)
def as_run_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The as-run record: the runbook filled in from what happened, once the window has started."""
    return _pdf_or_refusal(request, pk, as_run=True)
