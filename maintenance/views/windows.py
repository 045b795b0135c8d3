"""A maintenance window's pages on the desktop: plan, edit, target, review, approve, run, and write to its customers."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.roles import Role, has_role, role_required
from audit.log import record
from checklists.idempotency import idempotent
from checklists.label_audits import may_start_label_audit, walkers_for
from comms.models import NoticeKind
from comms.notices import preview as comms_preview
from inventory.models import Port
from inventory.names import pick_assets
from lockstep.http import HtmxHttpRequest
from maintenance import window_notices
from maintenance.forms import (
    DecisionForm,
    ReasonForm,
    TargetForm,
    WindowForm,
)
from maintenance.label_checks import audit_racks, label_checks, may_put_audit_first, put_audit_first
from maintenance.models import (
    BEFORE_IT_RUNS,
    DEVICE_ACTIONS,
    PORT_ACTIONS,
    BlastSnapshot,
    Override,
    PrintJob,
    Target,
    TargetAction,
    Window,
    WindowRefused,
    conflicts_among,
)
from maintenance.panels import window_panels
from maintenance.views.shared import PLANNERS, get_window, offers, windows_for_pages


@role_required(*PLANNERS)
def window_list(request: HtmxHttpRequest) -> HttpResponse:
    mine = windows_for_pages().filter(Q(requester=request.user) | Q(assignees=request.user)).distinct()
    active = windows_for_pages().active()
    return render(request, "maintenance/window_list.html", {"mine": mine, "active": active})


@role_required(*PLANNERS)
def window_new(request: HtmxHttpRequest) -> HttpResponse:
    form = WindowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        window = form.save(commit=False)
        window.requester = request.user
        window.save()
        form.save_m2m()
        record("window.created", actor=request.user, obj=window, payload={"title": window.title})
        messages.success(request, f"{window.reference} created as a draft. Add its targets, then submit it.")
        return redirect(window)
    return render(request, "maintenance/window_form.html", {"form": form, "window": None})


@role_required(*PLANNERS)
def window_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    window = get_window(request, pk)
    try:
        window.require_editable(request.user)
    except WindowRefused as refusal:
        messages.error(request, refusal.reason)
        return redirect(window)
    form = WindowForm(request.POST or None, instance=window)
    if request.method == "POST" and form.is_valid():
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
    window = get_window(request, pk)
    snapshot = window.snapshot_list[0] if window.snapshot_list else None
    conflicts = conflicts_among([window])[window.pk] if window.is_draft or window.is_active else []
    can_decide = window.may_decide(request.user)
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
        "not_now": window.next_step_refusal(request.user),
        # What the apps above add (declare an incident, hold the debrief, propose credits): maintenance.panels.
        "panels": window_panels(request, window),
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


@require_POST
@role_required(*PLANNERS)
def target_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    window = get_window(request, pk)
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
    window = get_window(request, pk)
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
    window = get_window(request, pk)
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


@require_POST
@role_required(Role.APPROVER)
def window_pause(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    window = get_window(request, pk)
    try:
        window.pause(by=request.user, reason=_reason(request))
        messages.success(request, f"{window.reference} paused: no step can be acted on until you resume it.")
    except WindowRefused as refusal:
        messages.error(request, refusal.reason)
    return redirect("maintenance:board" if request.POST.get("next") == "board" else window)


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
