"""Inventory pages: browse and search on a phone or a desktop, the tag landing page (/t/CODE),
commissioning, revoking and reissuing tags. Each view: fetch and authorize, act, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.roles import Role, role_required
from audit.log import record
from inventory import codes, printing
from inventory.forms import NetBoxImportForm
from inventory.labels import LabelFormat, LabelRefused, TooManyLabels, rack_scope, selection_scope
from inventory.models import (
    Device,
    Discrepancy,
    DiscrepancyStatus,
    InventoryRefused,
    LabelJob,
    LabelJobStatus,
    Port,
    Rack,
    Site,
    Tag,
    TagQuerySet,
    TagStatus,
    find_by_identity,
    may_reveal_identity,
    reveal_identity,
)
from inventory.names import natural_key, port_search
from inventory.panels import device_panels, rack_panels, site_panels
from inventory.phones import Phone
from inventory.render_jobs import job_for_asker, job_page, job_pdf
from lockstep.http import HtmxHttpRequest

ANY_ROLE = (Role.TECH, Role.APPROVER, Role.COORDINATOR, Role.ADMIN)
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
    def wrapped(request: HtmxHttpRequest, code: str, **options) -> HttpResponse:
        try:
            tag, given = _get_tag(code)
        except TagNotFound as problem:
            return render(request, "inventory/tag_not_found.html", {"problem": str(problem)}, status=404)
        return view(request, tag, given, **options)

    return wrapped


def _tag_page(request: HtmxHttpRequest, tag: Tag, given: str, *, refusal: str = "", status: int = 0):
    """A tag's page: its state and asset, never its code. Its forms post back the code `given`, the one the
    visitor scanned or typed, so the page tells nobody a code they did not already hold."""
    status = status or (410 if tag.status == TagStatus.REVOKED else 200)
    context = {
        "tag": tag,
        "asset": tag.asset,
        "given": given,
        "refusal": refusal,
        "may_apply": tag.status == TagStatus.ISSUED and Tag.may_label_assets(request.user),
        "may_manage_tags": Tag.may_manage(request.user),
    }
    return render(request, "inventory/tag.html", context, status=status)


@role_required(*ANY_ROLE)
def index(request: HtmxHttpRequest) -> HttpResponse:
    """Search by name: racks, devices, ports. Never by serial or tag code, whatever was typed: the same answer
    for a right guess and a wrong one. A code from a label is opened on the page for typing one, and whom
    `may_reveal_identity` allows looks serials and codes up on purpose (`identity_search`), recorded."""
    query = request.GET.get("q", "").strip()[:100]
    results = _search(query) if query else {}
    sites = Site.objects.annotate(
        rack_count=Count("racks", distinct=True), device_count=Count("devices", distinct=True)
    )
    context = {
        "query": query,
        "results": results,
        "code_typed": _looks_like_a_tag_code(query),
        "may_reveal": may_reveal_identity(request.user),
        "sites": sites,
    }
    return render(request, "inventory/index.html", context)


def _looks_like_a_tag_code(query: str) -> bool:
    try:
        codes.parse_any(query)
    except codes.BadCode:
        return False
    return bool(query)


def _search(query: str) -> dict:
    device_match = Q(name__icontains=query) | Q(asset_tag__iexact=query)
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


@require_POST
def identity_search(request: HtmxHttpRequest) -> HttpResponse:
    """An approver or admin looks a serial or a tag code up (a support call, a label found loose): a
    deliberate POST with a reason, each asset found recorded as a reveal, answered on this page only."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("inventory:index"))
    if not may_reveal_identity(request.user):
        raise PermissionDenied("Only an approver or an admin looks assets up by serial or tag code.")
    query = request.POST.get("q", "").strip()[:100]
    try:
        found = find_by_identity(query, by=request.user, reason=request.POST.get("reason", "")[:300])
    except InventoryRefused as refusal:
        messages.error(request, refusal.reason)
        return redirect(f"{reverse('inventory:index')}?{urlencode({'q': query})}")
    response = render(request, "inventory/identity_search.html", {"query": query, "found": found})
    response["Cache-Control"] = "no-store"  # not kept by the browser, nor by anything between
    return response


@role_required(*ANY_ROLE)
def site_detail(request: HtmxHttpRequest, code: str) -> HttpResponse:
    site = get_object_or_404(Site, code=code)
    racks = sorted(
        site.racks.select_related("location").annotate(device_count=Count("devices")),
        key=lambda rack: natural_key(rack.name),  # R2 before R10
    )
    unserialed = site.devices.filter(serial="").count()
    context = {
        "site": site,
        "racks": racks,
        "unserialed": unserialed,
        # What apps above inventory add about the site's racks (their labels' last audits, from checklists).
        "panels": site_panels(request, site, racks),
    }
    return render(request, "inventory/site.html", context)


@role_required(*ANY_ROLE)
def rack_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    rack = get_object_or_404(Rack.objects.select_related("site", "location"), pk=pk)
    # Top of the rack first: the order a tech reads it standing in front of it; then by name, as people count.
    devices = sorted(
        rack.devices.prefetch_related(_live_tags()),
        key=lambda d: (-(d.position or 0), d.position is None, natural_key(d.name)),
    )
    context = {
        "rack": rack,
        "devices": devices,
        "may_print": Tag.may_label_assets(request.user),
        "may_reprint": Tag.may_reprint_labels(request.user),
        # What apps above inventory add about the rack (the labels' last audit, from checklists).
        "panels": rack_panels(request, rack),
    }
    return render(request, "inventory/rack.html", context)


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
    pending = None if device.serial else device.pending_serial_reading()
    context = {
        "device": device,
        "ports": ports,
        "may_reveal": may_reveal_identity(request.user),
        "may_print": Tag.may_label_assets(request.user),
        "may_reprint": Tag.may_reprint_labels(request.user),
        "may_manage_tags": Tag.may_manage(request.user),
        "may_read_serial": device.may_read_serial(request.user, _phone(request)),
        "pending_reading": pending,
        "read_on_this_phone": pending is not None and _phone(request).made(pending.phone),
        "read_at_rack_by": device.serial_read_at_rack_by() if device.serial else [],
        # What apps above inventory add about the device (live checks: whether it has them, and its serial as
        # the device itself last reported it, in words).
        "panels": device_panels(request, device),
    }
    return render(request, "inventory/device.html", context)


def _phone(request: HtmxHttpRequest) -> Phone:
    """The phone this request came from: its device cookie (lockstep.middleware) and its login session."""
    return Phone.of(device_id=getattr(request, "device_id", ""), session_key=request.session.session_key)


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
            request.POST.get("serial", "")[:1000], by=request.user, phone=_phone(request)
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
    context = {
        "port": port,
        "may_reveal": may_reveal_identity(request.user),
        "may_manage_tags": Tag.may_manage(request.user),
    }
    return render(request, "inventory/port.html", context)


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
    if not Tag.may_label_assets(request.user):
        raise PermissionDenied("Only a tech or an approver applies a tag.")
    try:
        tag.commission(serial=request.POST.get("serial", "")[:200], by=request.user)
    except InventoryRefused as refusal:
        return _tag_page(request, tag, given, refusal=refusal.reason, status=409)
    messages.success(request, f"Tag applied: it is now on {tag.asset}.")
    return redirect(tag.asset.get_absolute_url())


@require_POST
@role_required(*Tag.MANAGERS)
@with_tag
def tag_revoke(request: HtmxHttpRequest, tag: Tag, given: str, *, replace: bool = False) -> HttpResponse:
    """The tag page's one form: revoke the tag, and with `replace` (its reissue URL) issue the replacement for
    the same asset in the same step."""
    act, done = (
        (tag.reissue, "is revoked and a new one issued. Print its label, then apply it.")
        if replace
        else (tag.revoke, "is revoked. It will never verify again.")
    )
    try:
        act(reason=request.POST.get("reason", "")[:300], by=request.user)
    except InventoryRefused as refusal:
        messages.error(request, refusal.reason)
        return redirect("tag", given)
    messages.success(request, f"The tag on {tag.asset} {done}")
    return redirect(tag.asset.get_absolute_url())


@require_POST
@role_required(*Tag.MANAGERS)
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


def _labels_refused(request: HtmxHttpRequest, reason: str, status: int, about=None) -> HttpResponse:
    record("labels.refused", actor=request.user, obj=about, payload={"reason": reason})
    return render(request, "inventory/labels_refused.html", {"reason": reason, "about": about}, status=status)


def _print_labels(
    request: HtmxHttpRequest, scope: TagQuerySet, *, title: str, filename: str, about=None
) -> HttpResponse:
    """A POST that asks for the labels of `scope`: a small print is answered with its PDF's address, a big one
    with its job's page. Every print and every refusal is in the audit log; see inventory.printing."""
    try:
        key = printing.request_key(
            request.POST.get("idem", ""),
            request.path,
            [(name, value) for name, values in request.POST.lists() for value in values],
        )
        job = printing.print_labels(
            scope,
            by=request.user,
            key=key,
            label_format=request.POST.get("format", LabelFormat.A4_3X8),
            reprint=request.POST.get("applied") == "1",
            title=title,
            filename=filename,
            about=about,
        )
    except printing.LabelsForbidden as refusal:
        return _labels_refused(request, refusal.reason, 403, about)
    except (TooManyLabels, printing.UnclearPrintRequest) as refusal:
        return _labels_refused(request, refusal.reason, 400, about)
    except LabelRefused as refusal:
        return _labels_refused(request, refusal.reason, 409, about)
    # 303: the browser fetches the answer with a GET, which a reload repeats without asking to print again.
    if job.status == LabelJobStatus.READY and not job.in_worker:
        return _SeeOther(reverse("inventory:label_job_pdf", args=[job.pk]))
    return _SeeOther(job.get_absolute_url())


class _SeeOther(HttpResponseRedirect):
    status_code = 303


def _labels_by_post_only(request: HtmxHttpRequest, about=None) -> HttpResponse:
    # A link (on any site) opens this with the visitor's session: it must not print, nor write a word.
    response = render(
        request,
        "inventory/labels_refused.html",
        {
            "reason": "Labels are printed with the print button on a rack's or a device's page.",
            "about": about,
        },
        status=405,
    )
    response["Allow"] = "POST"
    return response


@role_required(*ANY_ROLE)
def rack_labels(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    rack = get_object_or_404(Rack.objects.select_related("site"), pk=pk)
    if request.method != "POST":
        return _labels_by_post_only(request, rack)
    return _print_labels(
        request,
        rack_scope(rack),
        title=f"rack {rack.name} ({rack.site.code})",
        filename=f"labels-{rack.site.code}-{rack.name}",
        about=rack,
    )


@role_required(*ANY_ROLE)
def device_labels(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(Device.objects.select_related("site"), pk=pk)
    if request.method != "POST":
        return _labels_by_post_only(request, device)
    include_ports = request.POST.get("ports", "1") != "0"
    return _print_labels(
        request,
        selection_scope(devices=[device], include_ports=include_ports),
        title=f"{device.name}{' and its ports' if include_ports else ''}",
        filename=f"labels-{device.name}",
        about=device,
    )


@role_required(*ANY_ROLE)
def selection_labels(request: HtmxHttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _labels_by_post_only(request)

    def ids(name: str) -> list[int]:
        values = request.POST.getlist(name)[: printing.MAX_LABELS + 1]
        # isascii: "²".isdigit() is true, and int() refuses it.
        return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 12]

    devices, ports = ids("device"), ids("port")
    if not devices and not ports:
        return _labels_refused(request, "Tick the devices (or ports) to print labels for.", 400)
    count = len(devices) + len(ports)
    scope = selection_scope(devices=devices, ports=ports, include_ports=request.POST.get("ports", "1") != "0")
    return _print_labels(
        request,
        scope,
        title=f"a selection ({count} picked)",
        filename="labels-selection",
    )


def _label_jobs():
    return LabelJob.objects.select_related("rack__site", "device")


@role_required(*ANY_ROLE)
@vary_on_headers("HX-Request")
def label_job(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A print's progress, then its download: polled by htmx, or refreshed by hand."""
    job = job_for_asker(request, _label_jobs(), pk)
    return job_page(
        request, job, "inventory/label_job.html", "job-status", format=LabelFormat(job.label_format)
    )


@role_required(*ANY_ROLE)
def label_job_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The finished PDF: a read, as often as it is fetched, that writes nothing. Live tag codes: only its
    asker fetches it, and nothing between keeps it."""
    job = job_for_asker(request, _label_jobs(), pk, with_pdf=True)
    headers = {"X-Labels-Not-Printed": f"{job.left_out} already applied"} if job.left_out else {}
    return job_pdf(job, f"{job.filename}-{job.label_format}.pdf", headers)
