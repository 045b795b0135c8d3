"""Maintenance windows on the desktop: plan, review, approve, and the approver's queue and board."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from accounts.roles import Role, has_role, role_required
from checklists import interlock
from checklists.idempotency import idempotent
from checklists.label_audits import label_audits_walked_by, may_start_label_audit, walkers_for
from checklists.models import CutRefusal, Run, RunMode, Step, StepScan, StepStatus
from comms.models import TOKEN_SHAPE, NoticeKind, StatusLink
from comms.notices import notices_about
from comms.notices import preview as comms_preview
from inventory.models import Discrepancy, DiscrepancyStatus, Port, Site
from inventory.names import pick_assets
from inventory.render_jobs import job_for_asker, job_page, job_pdf
from live.models import LiveCheck, read_for
from lockstep.converters import as_id
from lockstep.http import HtmxHttpRequest
from lockstep.public import public_url
from maintenance import status, window_notices
from maintenance.forms import (
    DecisionForm,
    ImpactForm,
    IncidentForm,
    IncidentUpdateForm,
    ReasonForm,
    RestoreForm,
    TargetForm,
    WindowForm,
)
from maintenance.label_checks import audit_racks, label_checks, may_put_audit_first, put_audit_first
from maintenance.models import (
    ACTIVE_STATUSES,
    BEFORE_IT_RUNS,
    DEVICE_ACTIONS,
    PORT_ACTIONS,
    BlastSnapshot,
    Credit,
    Debrief,
    Document,
    Impact,
    Incident,
    IncidentRefused,
    IncidentService,
    Override,
    PrintJob,
    PrintStatus,
    RedundancyOverride,
    Target,
    TargetAction,
    UnclearPrintRequest,
    Window,
    WindowRefused,
    WindowStatus,
    conflicts_among,
    needing_override,
    override_prefetches,
)

PLANNERS = (Role.TECH, Role.APPROVER, Role.COORDINATOR, Role.ADMIN)
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


def _windows():
    return Window.objects.select_related("site", "requester").prefetch_related(
        Prefetch("targets", queryset=Target.objects.select_related("device__rack", "port__device__rack")),
        "assignees",
        Prefetch(
            "snapshots",
            queryset=BlastSnapshot.objects.order_by("-computed_at", "-pk"),
            to_attr="snapshot_list",
        ),
        *override_prefetches(),
    )


def _get_window(request: HtmxHttpRequest, pk: int) -> Window:
    """Every role can read every window: the whole team sees what is planned. Changing is per method."""
    return get_object_or_404(_windows().select_related("run"), pk=pk)


def offers(window: Window, user, *, steps_left: int | None = None) -> dict[str, bool]:
    """The window's buttons this user gets now: exactly what the window's own rules allow, asked of it.
    `steps_left`: the runbook's steps not done yet, if the page has counted them already."""
    return {
        "start": window.may_start(user),
        "complete": window.may_complete(user, steps_left=steps_left),
        "abort": window.may_abort(user),
        "pause": window.may_pause(user),
        "resume": window.may_resume(user),
        "finish_rollback": window.may_finish_rollback(user, steps_left=steps_left),
        "cancel": window.may_cancel(user),
        "recompute": window.may_recompute(user),
    }


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
    can_decide = window.status == WindowStatus.SUBMITTED and window.may_approve(request.user)
    can_edit = window.may_edit(request.user)
    find = request.GET.get("find", "")[:200] if can_edit else ""
    picks, more_picks = pick_assets(window.site, find)
    # What each pick may be added as: the model's own sets (add_target refuses any other).
    port_actions = [(a.value, a.label) for a in TargetAction if a in PORT_ACTIONS]
    device_actions = [(a.value, a.label) for a in TargetAction if a in DEVICE_ACTIONS]
    context = {
        "window": window,
        "snapshot": snapshot,
        # What approving would take down together with windows already approved: an override names them.
        "pair_outages": window.pair_outages() if can_decide else [],
        "services_at_risk": window.services_at_risk(snapshot),
        "conflicts": conflicts,
        "decisions": window.decisions.select_related("by"),
        "find": find,
        "picks": [
            (asset, True, port_actions) if isinstance(asset, Port) else (asset, False, device_actions)
            for asset in picks
        ],
        "more_picks": more_picks,
        "can_edit": can_edit,
        "can_decide": can_decide,
        "offers": offers(window, request.user),
        "not_now": _not_now(window, request.user),
        # Something went wrong during the work: declared from here, its blast radius fills the form in.
        "may_declare": window.may_declare_incident(request.user),
        "may_credit": Credit.may_propose(request.user, window),
        "may_debrief": Debrief.may_open(request.user, window),
        "debrief": Debrief.objects.filter(window=window).first() if Debrief.may_hold(request.user) else None,
        "may_tell": window.may_tell_customers(request.user),
        "may_read_runbook": window.may_read_runbook(request.user),
        # A long runbook's PDFs are asked of the worker by POST; a short one's are plain links.
        "prints_in_worker": window.may_read_runbook(request.user) and PrintJob.made_in_worker(window),
        **_labels(window, request.user, snapshot),
    }
    return render(request, "maintenance/window_detail.html", context)


def _labels(window: Window, user, snapshot: BlastSnapshot | None) -> dict:
    """Whether the labels of the targets' racks were proven recently (before the window runs); whether this
    user may put a label audit of them first in the runbook, or start one now of the targets' racks and the
    blast radius's."""
    if window.status not in BEFORE_IT_RUNS:
        return {}
    check = label_checks([window])[window.pk]
    may_start = may_start_label_audit(user)
    return {
        "labels": check,
        "may_audit_first": may_put_audit_first(window, user, check),
        "audit_racks": audit_racks(window, snapshot) if may_start else [],
        "walkers": walkers_for(user) if may_start else [],
    }


def _not_now(window: Window, user) -> str:
    """Why the window's next step is not offered to this user now, in words ("" when it is)."""
    if window.status == WindowStatus.SUBMITTED:
        return window.approval_refusal(user) if has_role(user, Role.APPROVER) else ""
    if window.status == WindowStatus.APPROVED:
        return window.start_refusal(user)
    if window.status == WindowStatus.IN_PROGRESS:
        return window.complete_refusal(user)
    if window.status == WindowStatus.ABORTED and window.is_live:
        return window.finish_rollback_refusal(user)
    return ""


@require_POST
@role_required(*PLANNERS)
def target_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    window = _get_window(request, pk)
    form = TargetForm(request.POST, site=window.site)
    if not form.is_valid():
        for field in ("__all__", "device", "port", "action"):
            for error in form.errors.get(field, []):
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
    at_stake = {pk: name for _, services in window.pair_outages() for pk, name in services.items()}
    form = DecisionForm(request.POST, services=at_stake)
    if not form.is_valid():
        if "override_service" in form.errors:
            raise WindowRefused(
                "The services ticked for the override are no longer the ones at stake. Review them again."
            )
        if "override_reason" in form.errors or "comment" in form.errors:
            raise WindowRefused(
                "Keep the comment and the reason to 2,000 characters each. Nothing was decided."
            )
        raise WindowRefused("Choose approve or reject.")
    approve = form.cleaned_data["decision"] == "approve"
    if approve:
        ticked = form.cleaned_data["override_service"]
        reason = form.cleaned_data["override_reason"].strip()
        override = Override(tuple(ticked), reason) if (ticked or reason) else None
        window.approve(by=request.user, comment=form.cleaned_data["comment"], override=override)
    else:
        window.reject(by=request.user, comment=form.cleaned_data["comment"])
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


def _audit_first(window: Window, request: HtmxHttpRequest) -> str:
    added = put_audit_first(window, by=request.user)
    return f"The runbook now starts with a label audit: {added} step{'s' if added != 1 else ''} added first."


def _finish_rollback(window: Window, request: HtmxHttpRequest) -> str:
    window.finish_rollback(by=request.user)
    return f"{window.reference} rolled back: its runbook is closed."


# Each action, and the roles it is for: checked before the window is read, so someone without the role gets
# the same 403 whether or not the window exists. Who among them may act on this window is the window's call.
ACTIONS: dict[str, tuple[Callable[[Window, HtmxHttpRequest], str], tuple[Role, ...]]] = {
    "resume": (_resume, (Role.APPROVER,)),
    "submit": (_submit, PLANNERS),
    "decide": (_decide, (Role.APPROVER,)),
    "start": (_start, PLANNERS),
    "complete": (_complete, PLANNERS),
    "abort": (_abort, PLANNERS),
    "finish_rollback": (_finish_rollback, PLANNERS),
    "cancel": (_cancel, PLANNERS),
    "recompute": (_recompute, PLANNERS),
    "audit_first": (_audit_first, PLANNERS),
}


@require_POST
@role_required(*PLANNERS)
def window_action(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        return render(request, "404.html", status=404)
    handler, roles = ACTIONS[action]
    if not any(has_role(request.user, role) for role in roles):
        raise PermissionDenied(f"This is for the {' or '.join(role.label.lower() for role in roles)} role.")
    window = _get_window(request, pk)
    try:
        messages.success(request, handler(window, request))
    except WindowRefused as refusal:
        messages.error(request, refusal.reason)
    else:
        # A tech who starts the work goes straight to its first step, on the phone.
        if action == "start" and window.run_id and window.run.works_on(request.user):
            return redirect("checklists:run_current", window.run_id)
    if request.POST.get("next") == "today":
        return redirect("maintenance:tech_today")
    return redirect("maintenance:board" if request.POST.get("next") == "board" else window)


@role_required(Role.APPROVER)
def queue(request: HtmxHttpRequest) -> HttpResponse:
    windows = list(_windows().filter(status=WindowStatus.SUBMITTED).order_by("planned_start"))
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


# --- printed runbook and as-run record ------------------------------------------------------------------


def _pdf_or_refusal(request: HtmxHttpRequest, pk: int, *, as_run: bool) -> HttpResponse:
    """A short runbook's PDF, made as it is fetched. A long one's is made by the worker: a GET answers with
    the page that asks for it, and only the POST from that page (or the window's) asks, once per form."""
    from maintenance.runbook_pdf import pdf_filename, render_runbook_pdf

    window = _get_window(request, pk)
    if not window.may_read_runbook(request.user):
        raise Http404("No such runbook for you.")
    document = Document.AS_RUN if as_run else Document.RUNBOOK
    try:
        if request.method == "POST":
            job = PrintJob.ask(
                window, by=request.user, document=document, form_key=request.POST.get("idem", "")
            )
            # 303: the browser fetches the job's page with a GET, which a reload repeats without asking again.
            return _SeeOther(job.get_absolute_url())
        window.require_printable(as_run=as_run)
        if PrintJob.made_in_worker(window):
            return _print_offer(request, window, document)
        pdf = render_runbook_pdf(window, as_run=as_run)
    except WindowRefused as refusal:
        context = {"window": window, "reason": refusal.reason, "as_run": as_run}
        status = 400 if isinstance(refusal, UnclearPrintRequest) else 409
        return render(request, "maintenance/runbook_pdf_refused.html", context, status=status)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf_filename(window, as_run=as_run)}"'
    return response


def _print_offer(request: HtmxHttpRequest, window: Window, document: Document) -> HttpResponse:
    """What a GET of a long runbook's PDF address answers: the button that asks the worker for it, and the
    asker's latest print of it. Reads only."""
    latest = (
        PrintJob.objects.defer("pdf")
        .filter(requested_by=request.user, window=window, document=document)
        .exclude(status=PrintStatus.CLEARED)
        .first()
    )
    context = {"window": window, "document": document, "latest": latest, "steps": window.run.steps.count()}
    return render(request, "maintenance/print_offer.html", context)


class _SeeOther(HttpResponseRedirect):
    status_code = 303


@role_required(*PLANNERS)
def runbook_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The runbook to print before the window: DRAFT on every page until it is approved."""
    return _pdf_or_refusal(request, pk, as_run=False)


@role_required(*PLANNERS)
def as_run_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The as-run record: the runbook filled in from what happened, once the window has started."""
    return _pdf_or_refusal(request, pk, as_run=True)


def _print_jobs():
    return PrintJob.objects.select_related("window__site", "window__run")


@role_required(*PLANNERS)
@vary_on_headers("HX-Request")
def print_job(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A big runbook's print: its progress, then its download. Polled by htmx, or refreshed by hand. Only
    its asker sees it, while they may still read the runbook."""
    job = job_for_asker(request, _print_jobs(), pk)
    return job_page(request, job, "maintenance/print_job.html", "print-status", window=job.window)


@role_required(*PLANNERS)
def print_job_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The finished PDF: a read, as often as it is fetched, that writes nothing."""
    job = job_for_asker(request, _print_jobs(), pk, with_pdf=True)
    return job_pdf(job, job.filename)


# --- status pages (no login) ------------------------------------------------------------------------------


def _conditional(
    request: HtmxHttpRequest, board: status.Board, respond: Callable[[], HttpResponse], *, public: bool = True
) -> HttpResponse:
    """A 304 when the caller's copy is current; otherwise the answer, with its validators and a short cache
    life. A customer's private page is never kept by a shared cache."""
    not_modified = get_conditional_response(
        request, etag=board.etag, last_modified=board.last_modified.timestamp()
    )
    response = not_modified or respond()
    response["ETag"] = board.etag
    response["Last-Modified"] = http_date(board.last_modified.timestamp())
    if public:
        patch_cache_control(response, public=True, max_age=30)
    else:
        patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
    return response


@require_safe
def status_page(request: HtmxHttpRequest) -> HttpResponse:
    board = status.board()
    return _conditional(
        request,
        board,
        lambda: render(request, "maintenance/status_page.html", {"board": board, "public": True}),
    )


@require_safe
def status_site(request: HtmxHttpRequest, code: str) -> HttpResponse:
    site = get_object_or_404(Site, code=code)
    board = status.board(site=site)
    context = {"board": board, "public": True, "site": site}
    return _conditional(request, board, lambda: render(request, "maintenance/status_page.html", context))


@require_safe
def status_json(request: HtmxHttpRequest) -> HttpResponse:
    board = status.board()
    return _conditional(request, board, lambda: JsonResponse(status.as_json(board)))


@require_safe
def status_atom(request: HtmxHttpRequest, code: str | None = None) -> HttpResponse:
    site = get_object_or_404(Site, code=code) if code else None
    board = status.board(site=site)
    page = reverse("maintenance:status_site", args=[site.code]) if site else reverse("maintenance:status")
    title = f"Maintenance at {site.name}" if site else "Maintenance and status"

    def respond() -> HttpResponse:
        xml = status.atom(board, title=title, link=public_url(page), feed_url=public_url(request.path))
        return HttpResponse(xml, content_type="application/atom+xml; charset=utf-8")

    return _conditional(request, board, respond)


@require_safe
def status_ics(request: HtmxHttpRequest) -> HttpResponse:
    board = status.board()

    def respond() -> HttpResponse:
        body = status.ical(board, name="Scheduled maintenance", host=settings.LOCKSTEP_PUBLIC_HOST)
        return HttpResponse(body, content_type="text/calendar; charset=utf-8")

    return _conditional(request, board, respond)


def _status_link(token: str) -> StatusLink | None:
    if not TOKEN_SHAPE.match(token):
        return None
    return StatusLink.objects.select_related("customer").filter(token=token).first()


def status_private(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """A customer's own page, by its unguessable link. POST makes a new link and retires this one."""
    link = _status_link(token)
    if link is None or link.retired_at is not None:
        context = {"retired": link is not None}
        return render(request, "maintenance/status_link_gone.html", context, status=404)
    if request.method == "POST":
        try:
            fresh = link.rotate()
        except PermissionError:  # replaced a moment ago (a double click): this one no longer works
            return render(request, "maintenance/status_link_gone.html", {"retired": True}, status=404)
        return redirect("maintenance:status_private", fresh.token)
    board = status.board(customer=link.customer)
    services = [(service, status.service_level(board, service)) for service in board.services]
    context = {"board": board, "public": False, "customer": link.customer, "link": link, "services": services}
    return _conditional(
        request, board, lambda: render(request, "maintenance/status_page.html", context), public=False
    )


@require_safe
def status_private_ics(request: HtmxHttpRequest, token: str) -> HttpResponse:
    link = _status_link(token)
    if link is None or link.retired_at is not None:
        return HttpResponse(
            "This calendar link is not known, or was replaced.", status=404, content_type="text/plain"
        )
    board = status.board(customer=link.customer)

    def respond() -> HttpResponse:
        name = f"Maintenance for {link.customer}"
        return HttpResponse(
            status.ical(board, name=name, host=settings.LOCKSTEP_PUBLIC_HOST),
            content_type="text/calendar; charset=utf-8",
        )

    return _conditional(request, board, respond, public=False)


# --- incidents (the coordinator's and approver's desk) ------------------------------------------------------

INCIDENT_ROLES = (Role.COORDINATOR, Role.APPROVER)


@role_required(*INCIDENT_ROLES)
def incident_list(request: HtmxHttpRequest) -> HttpResponse:
    since = timezone.now() - timedelta(days=status.HISTORY_DAYS)
    incidents = list(
        Incident.objects.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=since))
        .select_related("site", "window")
        .prefetch_related("affected")  # each incident's impact now, and its progress
        .order_by("-started_at", "-pk")
    )
    return render(request, "maintenance/incidents.html", {"incidents": incidents})


@role_required(*INCIDENT_ROLES)
def incident_new(request: HtmxHttpRequest) -> HttpResponse:
    window = None
    raw = request.GET.get("window") or request.POST.get("window", "")
    if (pk := as_id(raw)) is not None:  # an id, not a number too big for the database
        window = Window.objects.select_related("site", "run").filter(pk=pk).first()
    form = IncidentForm(request.POST or None, window=window)
    if request.method == "POST" and form.is_valid():
        try:
            incident = Incident.declare(
                by=request.user,
                site=form.cleaned_data["site"],
                title=form.cleaned_data["title"],
                impact=form.cleaned_data["impact"],
                message=form.cleaned_data["message"],
                services=[s.pk for s in form.cleaned_data["services"]],
                window=window,
                started_at=form.cleaned_data["started_at"],
            )
        except IncidentRefused as refused:
            form.add_error(None, refused.reason)
        else:
            queued = notices_about(incident).first().deliveries.count()
            messages.success(
                request,
                f"{incident.reference} declared; its first update is queued for {queued} recipient(s).",
            )
            return redirect(incident)
    status_code = 400 if request.method == "POST" else 200
    return render(
        request, "maintenance/incident_new.html", {"form": form, "window": window}, status=status_code
    )


@role_required(*INCIDENT_ROLES)
def incident_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The page; a POST (an update, a restoration, an impact) acts once per key: a retry gets the first answer."""
    return _incident_once(request, pk) if request.method == "POST" else _incident(request, pk)


def _incident(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    services = IncidentService.objects.select_related("service__customer").order_by(
        "restored_at", "service__name"
    )
    incident = get_object_or_404(
        Incident.objects.select_related("site", "window", "declared_by").prefetch_related(
            Prefetch("affected", queryset=services)
        ),
        pk=pk,
    )
    chosen = request.POST.get("form") if request.method == "POST" else None
    forms_ = {
        name: form_class(request.POST if chosen == name else None, incident=incident)
        for name, form_class in (
            ("update", IncidentUpdateForm),
            ("restore", RestoreForm),
            ("impact", ImpactForm),
        )
    }
    bound = forms_.get(chosen)
    if bound is not None and bound.is_valid():
        data = bound.cleaned_data
        try:
            if chosen == "update":
                incident.post_update(by=request.user, state=data["state"], message=data["message"])
                queued = notices_about(incident).first().deliveries.count()
                done = f"Update posted to the status pages and queued for {queued} recipient(s)."
            elif chosen == "restore":
                services = [row.service_id for row in data["services"]]
                marked = incident.restore(by=request.user, services=services, at=data["at"])
                done = f"{marked} service(s) marked restored."
            else:
                services = [row.service_id for row in data["services"]]
                changed = incident.set_impact(by=request.user, services=services, impact=data["impact"])
                done = f"Impact now {Impact(data['impact']).label.lower()} on {changed} service(s)."
        except IncidentRefused as refused:
            bound.add_error(None, refused.reason)
        else:
            messages.success(request, done)
            return redirect(incident)
    rows = incident.affected.all()
    context = {
        "incident": incident,
        "rows": rows,
        "updates": incident.updates.select_related("by").order_by("-created_at", "-pk"),
        "progress": incident.progress(),
        "update_form": forms_["update"],
        "restore_form": forms_["restore"],
        "impact_form": forms_["impact"],
        "may_manage": incident.may_manage(request.user),
        "may_credit": Credit.may_propose(request.user, incident),
        "may_debrief": Debrief.may_open(request.user, incident),
        "debrief": Debrief.objects.filter(incident=incident).first()
        if Debrief.may_hold(request.user)
        else None,
    }
    return render(
        request, "maintenance/incident.html", context, status=400 if request.method == "POST" else 200
    )


_incident_once = idempotent(_incident)


# --- the coordinator writes to a window's customers ---------------------------------------------------------


class ComposeForm(forms.Form):
    message = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 5}), label="Update to the affected customers"
    )


@role_required(Role.COORDINATOR)
def window_compose(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Write an update, see it as each channel will carry it and how many will get it, then send it."""
    window = get_object_or_404(Window.objects.select_related("site", "run"), pk=pk)
    if not window.may_tell_customers(request.user):
        raise PermissionDenied("Customers hear about a window once it is approved, from a coordinator.")
    form = ComposeForm(request.POST or None)
    shown = None
    if request.method == "POST" and form.is_valid():
        shown = comms_preview(
            NoticeKind.UPDATE,
            services=window_notices.service_ids(window),
            values=window_notices.values(window, message=form.cleaned_data["message"]),
            site=window.site,
            reference=window.reference,
        )
    context = {"window": window, "form": form, "preview": shown}
    return render(
        request,
        "maintenance/compose.html",
        context,
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )


@require_POST
@role_required(Role.COORDINATOR)  # before the key is kept: a tap record needs a user
@idempotent
def window_compose_send(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    window = get_object_or_404(Window.objects.select_related("site", "run"), pk=pk)
    if not window.may_tell_customers(request.user):
        raise PermissionDenied("Customers hear about a window once it is approved, from a coordinator.")
    form = ComposeForm(request.POST)
    if not form.is_valid():
        return render(request, "maintenance/compose.html", {"window": window, "form": form}, status=400)
    with transaction.atomic():
        notice = window_notices.tell(
            window, NoticeKind.UPDATE, by=request.user, message=form.cleaned_data["message"]
        )
    messages.success(
        request, f"Queued to {notice.deliveries.count()} recipient(s): the outbox shows each as it is sent."
    )
    return redirect("comms:outbox")
