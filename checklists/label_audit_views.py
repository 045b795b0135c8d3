"""Label audits from the inventory: the rack page's panel (registered with inventory, which knows nothing of
checklists) and the tap that starts an audit. The tech then works it on the run's pages like any run."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

from audit.log import record
from checklists.idempotency import tap
from checklists.label_audits import (
    MOST_RACKS,
    label_proofs,
    may_start_label_audit,
    start_label_audit,
    walkers_for,
)
from checklists.models import StepRefused
from inventory.models import Rack, Site, Tag
from lockstep.converters import as_id
from lockstep.http import HtmxHttpRequest


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
        "walkers": walkers_for(request.user) if may_start else [],
        "unlabelled": rack.devices.exclude(
            pk__in=Tag.objects.live().filter(device__isnull=False).values("device_id")
        ).count()
        if may_start
        else 0,
    }
    return render_to_string("checklists/_rack_label_audit.html", context, request=request)


def site_panel(request: HttpRequest, site: Site, racks: list[Rack]) -> str:
    """The site page's "Labels" panel: each rack's last proof, and an audit of every rack of a room, cage or
    row at once for those who may start one."""
    proofs = label_proofs(racks)
    may_start = may_start_label_audit(request.user)
    rooms: dict[int, tuple] = {}
    for rack in racks:
        if rack.location_id:
            rooms.setdefault(rack.location_id, (rack.location, []))[1].append(rack)
    context = {
        "site": site,
        "proofs": [proofs[rack.pk] for rack in racks],
        "may_start": may_start,
        "rooms": [(room, found) for room, found in rooms.values() if len(found) <= MOST_RACKS]
        if may_start
        else [],
        "walkers": walkers_for(request.user) if may_start and rooms else [],
        "next": request.get_full_path(),
    }
    return render_to_string("checklists/_site_label_audits.html", context, request=request)


@tap
def rack_label_audit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Start a label audit of the rack: a retried tap (same key) starts one, not two."""
    if not may_start_label_audit(request.user):
        raise PermissionDenied("A label audit is started by a tech or an approver.")
    rack = get_object_or_404(Rack.objects.select_related("site"), pk=pk)
    return _start(request, [rack], back=rack.get_absolute_url())


@tap
def label_audit_start(request: HtmxHttpRequest) -> HttpResponse:
    """Start one label audit of several racks: every rack of a room, cage or row (`location`, from the site's
    page), or those named (`rack`, once per rack: a window's targets and blast radius)."""
    if not may_start_label_audit(request.user):
        raise PermissionDenied("A label audit is started by a tech or an approver.")
    if "location" in request.POST:
        location = as_id(request.POST["location"][:20])
        given = [str(pk) for pk in Rack.objects.filter(location_id=location).values_list("pk", flat=True)]
    else:
        given = request.POST.getlist("rack")[: MOST_RACKS + 1]
    ids = {as_id(value[:20]) for value in given}
    racks = list(Rack.objects.select_related("site").filter(pk__in=ids - {None}).order_by("name"))
    back = url_has_allowed_host_and_scheme(request.POST.get("next", ""), allowed_hosts={request.get_host()})
    back = request.POST["next"] if back else ""
    if not racks or len(racks) != len(given) or len(racks) > MOST_RACKS:
        refusal = f"Choose from 1 to {MOST_RACKS} racks that exist, each once."
        return _refused(request, refusal, back=back, about=None)
    return _start(request, racks, back=back)


def _start(request: HtmxHttpRequest, racks: list[Rack], *, back: str) -> HttpResponse:
    try:
        walker = _walker(request)
        run = start_label_audit(racks=racks, walker=walker, by=request.user)
    except StepRefused as refusal:
        return _refused(request, refusal.reason, back=back, about=racks[0] if len(racks) == 1 else None)
    # Whoever walks it goes to its first step; an approver who sent someone else, to the run's page.
    return redirect(run.current_step() or run) if walker.pk == request.user.pk else redirect(run)


def _refused(request: HtmxHttpRequest, reason: str, *, back: str, about: Rack | None) -> HttpResponse:
    record("label_audit.refused", actor=request.user, obj=about, payload={"reason": reason})
    context = {"refusal": reason, "back": back}
    return render(request, "checklists/label_audit_refused.html", context, status=409)


def _walker(request: HtmxHttpRequest):
    given = request.POST.get("walker", "")
    if not given:
        return request.user
    pk = as_id(given[:20])
    allowed = {person.pk: person for person in walkers_for(request.user)}
    if pk is None or pk not in allowed | {request.user.pk: request.user}:
        raise StepRefused("Choose who walks the rack from the list.")
    return allowed.get(pk, request.user)
