"""The incident desk (declare, update, restore, change the impact) and the public status pages and feeds
that customers read without logging in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from accounts.roles import Role, role_required
from checklists.idempotency import idempotent
from comms.models import TOKEN_SHAPE, StatusLink
from comms.notices import notices_about
from incidents import panels, status
from incidents.forms import ImpactForm, IncidentForm, IncidentUpdateForm, RestoreForm
from incidents.models import Impact, Incident, IncidentRefused, IncidentService
from inventory.models import Site
from lockstep.converters import as_id
from lockstep.http import HtmxHttpRequest
from lockstep.public import public_url
from maintenance.models import Window

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
        lambda: render(request, "incidents/status_page.html", {"board": board, "public": True}),
    )


@require_safe
def status_site(request: HtmxHttpRequest, code: str) -> HttpResponse:
    site = get_object_or_404(Site, code=code)
    board = status.board(site=site)
    context = {"board": board, "public": True, "site": site}
    return _conditional(request, board, lambda: render(request, "incidents/status_page.html", context))


@require_safe
def status_json(request: HtmxHttpRequest) -> HttpResponse:
    board = status.board()
    return _conditional(request, board, lambda: JsonResponse(status.as_json(board)))


@require_safe
def status_atom(request: HtmxHttpRequest, code: str | None = None) -> HttpResponse:
    site = get_object_or_404(Site, code=code) if code else None
    board = status.board(site=site)
    page = reverse("incidents:status_site", args=[site.code]) if site else reverse("incidents:status")
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
        return render(request, "incidents/status_link_gone.html", context, status=404)
    if request.method == "POST":
        try:
            fresh = link.rotate()
        except PermissionError:  # replaced a moment ago (a double click): this one no longer works
            return render(request, "incidents/status_link_gone.html", {"retired": True}, status=404)
        return redirect("incidents:status_private", fresh.token)
    board = status.board(customer=link.customer)
    services = [(service, status.service_level(board, service)) for service in board.services]
    context = {"board": board, "public": False, "customer": link.customer, "link": link, "services": services}
    return _conditional(
        request, board, lambda: render(request, "incidents/status_page.html", context), public=False
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
    return render(request, "incidents/incidents.html", {"incidents": incidents})


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
        request, "incidents/incident_new.html", {"form": form, "window": window}, status=status_code
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
        # What the apps above add (a debrief to hold, credits to propose): incidents.panels.
        "panels": panels.incident_panels(request, incident),
    }
    return render(
        request, "incidents/incident.html", context, status=400 if request.method == "POST" else 200
    )


_incident_once = idempotent(_incident)


def declare_panel(request: HtmxHttpRequest, window: Window) -> str:
    """On a window's page (maintenance.panels): something went wrong during the work, so an incident is declared
    from here, its blast radius filling the form in."""
    if not Incident.may_declare_from(window, request.user):
        return ""
    return render_to_string("incidents/_declare_from_window.html", {"window": window}, request=request)
