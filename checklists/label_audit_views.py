"""Label audits from the inventory: the rack page's panel (registered with inventory, which knows nothing of
checklists) and the tap that starts an audit. The tech then works it on the run's pages like any run."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from accounts.roles import Role, has_role
from audit.log import record
from checklists.idempotency import idempotent
from checklists.label_audits import label_proofs, may_start_label_audit, start_label_audit
from checklists.models import StepRefused
from inventory.models import Rack, Tag
from lockstep.converters import as_id
from lockstep.http import HtmxHttpRequest


def _walkers(user) -> list:
    """Whom an approver may send to walk the rack: the techs (and themselves, first). A tech walks it."""
    if not has_role(user, Role.APPROVER):
        return []
    techs = get_user_model().objects.filter(groups__name=Role.TECH, is_active=True).exclude(pk=user.pk)
    return [user, *techs.order_by("username")]


def rack_panel(request: HttpRequest, rack: Rack) -> str:
    """The rack page's "Labels" panel: when its labels were last proven and by whom, what is open, the
    audits under way, and the button to start one for those who may."""
    proof = label_proofs([rack])[rack.pk]
    may_start = may_start_label_audit(request.user)
    context = {
        "rack": rack,
        "proof": proof,
        "under_way": [run for run in proof.under_way if run.may_view(request.user)],
        "may_start": may_start,
        "walkers": _walkers(request.user) if may_start else [],
        "unlabelled": rack.devices.exclude(
            pk__in=Tag.objects.live().filter(device__isnull=False).values("device_id")
        ).count()
        if may_start
        else 0,
    }
    return render_to_string("checklists/_rack_label_audit.html", context, request=request)


@require_POST
@login_required
@idempotent
def rack_label_audit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Start a label audit of the rack: a retried tap (same key) starts one, not two."""
    if not may_start_label_audit(request.user):
        raise PermissionDenied("A label audit is started by a tech or an approver.")
    rack = get_object_or_404(Rack.objects.select_related("site"), pk=pk)
    try:
        walker = _walker(request)
        run = start_label_audit(racks=[rack], walker=walker, by=request.user)
    except StepRefused as refusal:
        record(
            "label_audit.refused",
            actor=request.user,
            obj=rack,
            payload={"reason": refusal.reason},
        )
        context = {"rack": rack, "refusal": refusal.reason}
        return render(request, "checklists/label_audit_refused.html", context, status=409)
    # Whoever walks it goes to its first step; an approver who sent someone else, to the run's page.
    return redirect(run.current_step() or run) if walker.pk == request.user.pk else redirect(run)


def _walker(request: HtmxHttpRequest):
    given = request.POST.get("walker", "")
    if not given:
        return request.user
    pk = as_id(given[:20])
    walker = get_user_model().objects.filter(pk=pk, is_active=True).first() if pk else None
    if walker is None or walker.pk not in {w.pk for w in _walkers(request.user)} | {request.user.pk}:
        raise StepRefused("Choose who walks the rack from the list.")
    return walker
