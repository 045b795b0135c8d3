"""Inventory pages: browse and search on a phone or a desktop, the tag landing page (/t/CODE),
commissioning, revoking and reissuing tags. Each view: fetch and authorize, act, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_POST

from accounts.roles import Role, has_role, role_required
from audit.log import record
from inventory import codes
from inventory.forms import NetBoxImportForm
from inventory.labels import (
    LabelFormat,
    LabelRefused,
    TooManyLabels,
    ordered,
    rack_scope,
    render_labels,
    selection_scope,
)
from inventory.models import (
    Device,
    Discrepancy,
    DiscrepancyStatus,
    InventoryRefused,
    Port,
    Rack,
    Site,
    Tag,
    TagQuerySet,
    TagStatus,
    may_reveal_identity,
    reveal_identity,
)
from inventory.names import natural_key, port_search
from lockstep.http import HtmxHttpRequest

ANY_ROLE = (Role.TECH, Role.APPROVER, Role.COORDINATOR, Role.ADMIN)
TAG_MANAGERS = (Role.APPROVER, Role.ADMIN)
SEARCH_LIMIT = 25


def _live_tags():
    return Prefetch("tags", queryset=Tag.objects.live(), to_attr="live_tags")


class TagNotFound(Exception):
    """A scanned or typed code that leads to no tag, with the words to show the person holding the phone."""


def _get_tag(code: str) -> tuple[Tag, str]:
    """The tag behind a code read from its label (the QR's long code or the short code under it), and that
    code as given, normalized: the pages about a tag only ever echo the code their visitor brought."""
    try:
        kind, given = codes.parse_any(code)
    except codes.BadCode as exc:
        raise TagNotFound(str(exc)) from None
    try:
        tag = Tag.objects.select_related(
            "device__rack", "device__site", "port__device__rack", "port__device__site"
        ).get(**{"code" if kind == "code" else "short_code": given})
    except Tag.DoesNotExist:
        raise TagNotFound("No Lockstep tag has this code. Check that you scanned a Lockstep label.") from None
    return tag, given


def with_tag(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve the URL's code to its tag, or answer 404 with a page that says what was wrong."""

    @wraps(view)
    def wrapped(request: HtmxHttpRequest, code: str) -> HttpResponse:
        try:
            tag, given = _get_tag(code)
        except TagNotFound as problem:
            return render(request, "inventory/tag_not_found.html", {"problem": str(problem)}, status=404)
        return view(request, tag, given)

    return wrapped


def _tag_page(request: HtmxHttpRequest, tag: Tag, given: str, *, refusal: str = "", status: int = 0):
    """A tag's page: its state and asset, never its code. Its forms post back the code `given`, the one the
    visitor scanned or typed, so the page tells nobody a code they did not already hold."""
    status = status or (410 if tag.status == TagStatus.REVOKED else 200)
    context = {"tag": tag, "asset": tag.asset, "given": given, "refusal": refusal}
    return render(request, "inventory/tag.html", context, status=status)


@role_required(*ANY_ROLE)
def index(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    results: dict = {}
    error = ""
    if query:
        try:
            kind, value = codes.parse_any(query)
        except codes.BadCode:
            kind = ""
        if kind:
            tag = Tag.objects.by_code(kind, value)
            if tag is not None:
                # To the page for the code as typed: never to /t/<long code>, which would hand the QR's
                # code to someone who typed the short one.
                return redirect(f"{reverse('inventory:tag_enter')}?{urlencode({'code': value})}")
            error = "No tag has this code."
        results = _search(query)
    sites = Site.objects.annotate(
        rack_count=Count("racks", distinct=True), device_count=Count("devices", distinct=True)
    )
    return render(
        request,
        "inventory/index.html",
        {"query": query, "results": results, "error": error, "sites": sites},
    )


def _search(query: str) -> dict:
    device_match = Q(name__icontains=query) | Q(serial__iexact=query) | Q(asset_tag__iexact=query)
    devices = sorted(
        Device.objects.filter(device_match)
        .select_related("site", "rack")
        .order_by("site__code", "name")[:SEARCH_LIMIT],
        key=lambda d: (d.site.code, natural_key(d.name)),
    )
    racks = list(Rack.objects.filter(name__icontains=query).select_related("site")[:SEARCH_LIMIT])
    # "sw-a Eth1/1" or "pp-row3 Port 1": a device name and a port name, either with spaces; or a port alone.
    ports = sorted(
        Port.objects.filter(port_search(query)).select_related("device__site")[:SEARCH_LIMIT],
        key=lambda p: (natural_key(p.device.name), natural_key(p.name)),
    )
    return {
        "devices": devices,
        "racks": racks,
        "ports": ports,
        "count": len(devices) + len(racks) + len(ports),
    }


@role_required(*ANY_ROLE)
def site_detail(request: HtmxHttpRequest, code: str) -> HttpResponse:
    site = get_object_or_404(Site, code=code)
    racks = sorted(
        site.racks.select_related("location").annotate(device_count=Count("devices")),
        key=lambda rack: natural_key(rack.name),  # R2 before R10
    )
    unserialed = site.devices.filter(serial="").count()
    return render(request, "inventory/site.html", {"site": site, "racks": racks, "unserialed": unserialed})


@role_required(*ANY_ROLE)
def rack_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    rack = get_object_or_404(Rack.objects.select_related("site", "location"), pk=pk)
    # Top of the rack first: the order a tech reads it standing in front of it; then by name, as people count.
    devices = sorted(
        rack.devices.prefetch_related(_live_tags()),
        key=lambda d: (-(d.position or 0), d.position is None, natural_key(d.name)),
    )
    return render(request, "inventory/rack.html", {"rack": rack, "devices": devices})


@role_required(*ANY_ROLE)
def device_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(
        Device.objects.select_related("site", "rack").prefetch_related(_live_tags(), "services__customer"),
        pk=pk,
    )
    ports = (
        device.ports.select_related("cable")
        .prefetch_related(
            _live_tags(), Prefetch("cable__ends", queryset=Port.objects.select_related("device"))
        )
        .order_by("kind", "name")
    )
    ports = sorted(ports, key=lambda p: (p.kind, natural_key(p.name)))  # Port 2 before Port 10
    context = {
        "device": device,
        "ports": ports,
        "may_reveal": may_reveal_identity(request.user),
        "may_read_serial": device.may_read_serial(request.user),
        "pending_reading": None if device.serial else device.pending_serial_reading(),
        "read_at_rack_by": device.serial_read_at_rack_by() if device.serial else [],
    }
    return render(request, "inventory/device.html", context)


SERIAL_READING_SAID = {
    "waiting": "Your reading is recorded. A second person now reads the serial on their own phone, without "
    "being told yours; when the two agree it goes on record.",
    "agreed": "Both readings agree: the serial is on record, read at the rack by two people. This device's "
    "tags can now be applied.",
}


@require_POST
@role_required(*ANY_ROLE)
def serial_reading(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One person's reading of a chassis serial at the rack (the inventory has none)."""
    device = get_object_or_404(Device, pk=pk)
    try:
        outcome = device.read_serial_at_rack(
            request.POST.get("serial", "")[:1000],
            by=request.user,
            session_key=request.session.session_key or "",
        )
    except InventoryRefused as refusal:
        messages.error(request, refusal.reason)
        return redirect(device.get_absolute_url())
    if outcome == "differ":
        messages.error(
            request,
            "The two readings differ, so nothing was recorded. Both were set aside and the approver was told "
            "(a discrepancy). Read the serial again, both of you, carefully.",
        )
    else:
        messages.success(request, SERIAL_READING_SAID[outcome])
    return redirect(device.get_absolute_url())


@role_required(*ANY_ROLE)
def port_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    port = get_object_or_404(
        Port.objects.select_related("device__site", "device__rack", "cable", "rear_port").prefetch_related(
            _live_tags(),
            Prefetch("cable__ends", queryset=Port.objects.select_related("device")),
            "services__customer",
        ),
        pk=pk,
    )
    return render(
        request, "inventory/port.html", {"port": port, "may_reveal": may_reveal_identity(request.user)}
    )


@role_required(*ANY_ROLE)
def missing_serials(request: HtmxHttpRequest) -> HttpResponse:
    devices = sorted(
        Device.objects.filter(serial="").select_related("site", "rack"),
        key=lambda device: (device.site.code, natural_key(device.name)),
    )
    return render(request, "inventory/missing_serials.html", {"devices": devices})


@role_required(*ANY_ROLE)
@with_tag
def tag_landing(request: HtmxHttpRequest, tag: Tag, given: str) -> HttpResponse:
    """Where a phone camera lands after reading a label's QR."""
    return _tag_page(request, tag, given)


@role_required(*ANY_ROLE)
def tag_enter(request: HtmxHttpRequest) -> HttpResponse:
    """Typing the short code printed under the QR, for when the camera cannot read it."""
    error = ""
    typed = request.GET.get("code", "")[:100]
    if typed:
        try:
            kind, value = codes.parse_any(typed)
        except codes.BadCode as exc:
            error = str(exc)
        else:
            tag = Tag.objects.by_code(kind, value)
            if tag is not None:
                # The tag's page right here, by the code typed: a redirect to /t/<long code> would put the
                # QR's code in the address bar of someone who only typed the short one.
                return _tag_page(request, tag, value)
            error = "No tag has this code. Check the label and type it again."
    return render(
        request, "inventory/tag_enter.html", {"typed": typed, "error": error}, status=400 if error else 200
    )


@require_POST
@role_required(*ANY_ROLE)
@with_tag
def tag_commission(request: HtmxHttpRequest, tag: Tag, given: str) -> HttpResponse:
    try:
        tag.commission(serial=request.POST.get("serial", "")[:200], by=request.user)
    except InventoryRefused as refusal:
        return _tag_page(request, tag, given, refusal=refusal.reason, status=409)
    messages.success(request, f"Tag applied: it is now on {tag.asset}.")
    return redirect(tag.asset.get_absolute_url())


@require_POST
@role_required(*TAG_MANAGERS)
@with_tag
def tag_revoke(request: HtmxHttpRequest, tag: Tag, given: str) -> HttpResponse:
    try:
        tag.revoke(reason=request.POST.get("reason", "")[:300], by=request.user)
    except InventoryRefused as refusal:
        messages.error(request, refusal.reason)
        return redirect("tag", given)
    messages.success(request, f"The tag on {tag.asset} is revoked. It will never verify again.")
    return redirect(tag.asset.get_absolute_url())


@require_POST
@role_required(*TAG_MANAGERS)
@with_tag
def tag_reissue(request: HtmxHttpRequest, tag: Tag, given: str) -> HttpResponse:
    try:
        tag.reissue(reason=request.POST.get("reason", "")[:300], by=request.user)
    except InventoryRefused as refusal:
        messages.error(request, refusal.reason)
        return redirect("tag", given)
    messages.success(
        request, f"The tag on {tag.asset} is revoked and a new one issued. Print its label, then apply it."
    )
    return redirect(tag.asset.get_absolute_url())


@require_POST
@role_required(*TAG_MANAGERS)
def tag_issue(request: HtmxHttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in ("device", "port"):
        raise Http404("Tags are issued for devices and ports.")
    asset = get_object_or_404(Device if kind == "device" else Port, pk=pk)
    try:
        Tag.issue(asset, by=request.user)
    except InventoryRefused as refusal:
        messages.error(request, refusal.reason)
        return redirect(asset.get_absolute_url())
    messages.success(request, f"Tag issued for {asset}. Print its label, then apply it.")
    return redirect(asset.get_absolute_url())


@require_POST
def reveal(request: HtmxHttpRequest, kind: str, pk: int) -> HttpResponse:
    """An approver or admin asks to see one asset's tag code and chassis serial (a label to reprint, a
    support call): a deliberate POST with a reason, recorded, answered on this page only."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    # Who first, before anything is read: the same 403 whether or not the asset exists.
    if not may_reveal_identity(request.user):
        raise PermissionDenied("Only an approver or an admin sees a tag code or a serial in Lockstep.")
    if kind not in ("device", "port"):
        raise Http404("Codes and serials are revealed for devices and ports.")
    model = Device if kind == "device" else Port
    asset = get_object_or_404(model.objects.select_related(*(["device"] if kind == "port" else [])), pk=pk)
    try:
        revealed = reveal_identity(asset, by=request.user, reason=request.POST.get("reason", "")[:300])
    except InventoryRefused as refusal:
        messages.error(request, refusal.reason)
        return redirect(asset.get_absolute_url())
    response = render(request, "inventory/revealed.html", {"revealed": revealed})
    response["Cache-Control"] = "no-store"  # not kept by the browser, nor by anything between
    return response


@role_required(Role.ADMIN)
def import_csv(request: HtmxHttpRequest) -> HttpResponse:
    form = NetBoxImportForm(request.POST or None, request.FILES or None)
    report = form.run(by=request.user) if request.method == "POST" and form.is_valid() else None
    status = 400 if (request.method == "POST" and (report is None or not report.ok)) else 200
    return render(request, "inventory/import.html", {"form": form, "report": report}, status=status)


@role_required(Role.APPROVER, Role.ADMIN)
def discrepancies(request: HtmxHttpRequest) -> HttpResponse:
    items = Discrepancy.objects.filter(status=DiscrepancyStatus.OPEN).select_related(
        "device__site", "port__device", "tag", "reported_by"
    )
    return render(request, "inventory/discrepancies.html", {"discrepancies": items})


MAX_LABELS = 2000
SKIPPED_KEPT = 200  # codes of labels left out that a print's audit event names (all of them are counted)


def _labels_refused(request: HtmxHttpRequest, reason: str, status: int, about=None) -> HttpResponse:
    record("labels.refused", actor=request.user, obj=about, payload={"reason": reason})
    return render(request, "inventory/labels_refused.html", {"reason": reason}, status=status)


def _labels_response(request: HtmxHttpRequest, scope: TagQuerySet, filename: str, about=None) -> HttpResponse:
    """Print the labels of the live tags in `scope`: by default only those not yet applied. A second copy of
    a label already on its asset (an active tag) is how a label ends up on the wrong device, so only an
    approver or admin reprints one. Every sheet printed, and every print refused, is in the audit log."""
    try:
        fmt = LabelFormat(request.GET.get("format", LabelFormat.A4_3X8))
    except ValueError:
        return _labels_refused(request, "Unknown label format.", 400, about)
    reprint = request.GET.get("applied") == "1"
    if reprint and not any(has_role(request.user, role) for role in TAG_MANAGERS):
        return _labels_refused(
            request,
            "Only an approver or admin prints a second copy of a label already on its asset. "
            "If a label is damaged, ask them to reissue its tag.",
            403,
            about,
        )
    # The labels left out because they are already applied: counted, and the first codes kept for the record.
    applied = scope.none() if reprint else scope.filter(status=TagStatus.ACTIVE)
    skipped_count = applied.count()
    skipped = (
        list(applied.order_by("short_code").values_list("short_code", flat=True)[:SKIPPED_KEPT])
        if skipped_count
        else []
    )
    try:
        tags = ordered(scope if reprint else scope.exclude(status=TagStatus.ACTIVE), limit=MAX_LABELS)
        if not tags and skipped_count:
            return _labels_refused(
                request,
                f"All {skipped_count} labels here are already on their assets (active tags), so none were "
                "printed: a second copy of a live label is how labels end up on the wrong device. An "
                "approver can reprint them; a damaged label's tag is reissued instead.",
                409,
                about,
            )
        pdf = render_labels(tags, fmt)
    except TooManyLabels as refusal:
        return _labels_refused(request, refusal.reason, 400, about)
    except LabelRefused as refusal:
        return _labels_refused(request, refusal.reason, 409, about)
    record(
        "labels.printed",
        actor=request.user,
        obj=about,
        payload={
            "format": fmt.value,
            "count": len(tags),
            "tags": [tag.short_code for tag in tags],
            "reprinted": [tag.short_code for tag in tags if tag.status == TagStatus.ACTIVE],
            "not_printed_already_applied": skipped,
            "not_printed_count": skipped_count,
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    # A device or rack name may hold anything an import brought (quotes, newlines): let Django encode it.
    response["Content-Disposition"] = content_disposition_header(False, f"{filename}-{fmt.value}.pdf")
    if skipped_count:
        response["X-Labels-Not-Printed"] = f"{skipped_count} already applied"
    return response


@role_required(*ANY_ROLE)
def rack_labels(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    rack = get_object_or_404(Rack.objects.select_related("site"), pk=pk)
    return _labels_response(request, rack_scope(rack), f"labels-{rack.site.code}-{rack.name}", rack)


@role_required(*ANY_ROLE)
def device_labels(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(Device.objects.select_related("site"), pk=pk)
    include_ports = request.GET.get("ports", "1") != "0"
    return _labels_response(
        request,
        selection_scope(devices=[device], include_ports=include_ports),
        f"labels-{device.name}",
        device,
    )


@role_required(*ANY_ROLE)
def selection_labels(request: HtmxHttpRequest) -> HttpResponse:
    def ids(name: str) -> list[int]:
        values = request.GET.getlist(name)[: MAX_LABELS + 1]
        # isascii: "²".isdigit() is true, and int() refuses it.
        return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 12]

    devices, ports = ids("device"), ids("port")
    if not devices and not ports:
        reason = "Tick the devices (or ports) to print labels for."
        return _labels_refused(request, reason, 400)
    scope = selection_scope(devices=devices, ports=ports, include_ports=request.GET.get("ports", "1") != "0")
    return _labels_response(request, scope, "labels-selection")
