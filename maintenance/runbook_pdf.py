"""A window's runbook on paper, and the as-run record of what happened, as PDF.

People at the rack still work from paper, so the printed runbook carries everything the phone would show
(the expected asset, where its serial is, what must not be touched; never a tag code or a serial, which the
techs read at the rack) plus a QR code that opens the same step on a
phone, and boxes to sign. Every page names the window and the runbook's version, so a loose page goes back
where it belongs; a runbook not yet approved says DRAFT on every page.

The as-run record is the same document filled in from the database and the audit log: who signed, what
was scanned, each discrepancy and how it was resolved, the customer updates, the time against the plan,
and whether the audit chain still verifies.

Building the HTML (`runbook_html`) is kept apart from rendering it (`render_runbook_pdf`) so the
benchmark can tell our own cost from WeasyPrint's. The HTML is built in a fixed number of queries,
however many steps there are, and each step's QR code is made once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

import qrcode.constants
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone

from audit.log import ChainReport, verify_chain
from audit.models import AuditEvent
from checklists.live_checks import LiveCheck
from checklists.models import Run, Step, StepKind, StepScan, StepStatus
from comms.models import Notice, NoticeKind
from inventory.labels import qr_png_data_uri
from inventory.models import Device, DeviceType, Port
from live.models import Reading
from lockstep.dates import in_zone, span_in_zone
from lockstep.public import public_url
from maintenance.models import (
    BlastSnapshot,
    PrintStatus,
    Target,
    Window,
    WindowDecision,
    WindowStatus,
    override_prefetches,
)

# Before approval the runbook may still change: every page says so.
DRAFT_STATUSES = (WindowStatus.DRAFT, WindowStatus.SUBMITTED)
# The as-run record describes work that has begun.

# A printed QR is read from a sheet that has been on a clipboard in a cage: error correction M keeps the
# symbol at version 3 for a step URL (larger modules than Q's version 4 at the same printed size), and
# paper stays flat and clean enough that 15 % redundancy is plenty.
_QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


# --- what the template shows, worked out here so the template only places it --------------------------


@dataclass(frozen=True)
class Person:
    name: str
    username: str
    email: str

    @classmethod
    def of(cls, user) -> Person:
        return cls(user.get_full_name(), user.get_username(), user.email or "")

    def __str__(self) -> str:
        return f"{self.name} ({self.username})" if self.name else self.username


@dataclass(frozen=True)
class AssetLines:
    """Where the expected asset is, in the words on the rack."""

    device: str
    port: str
    rack: str
    position: str
    # Where the serial is on this model of chassis, when known; never the serial itself, which the techs
    # read off the chassis: a serial copied from paper is no check at all.
    serial_where: str


@dataclass(frozen=True)
class ScanLine:
    """A scan as the record shows it: who, when, how, and what the label turned out to belong to. Not the
    code nor the serial typed: the as-run record is printed for the techs too."""

    who: str
    role: str
    at: str
    how: str
    tag_asset: str
    matched: bool
    serial_checked: bool
    reason: str
    voided: bool


@dataclass(frozen=True)
class DiscrepancyLine:
    pk: int
    step: int
    summary: str
    reported_by: str
    reported_at: str
    resolved: bool
    resolution: str
    resolved_by: str
    resolved_at: str


# Discrepancies raised by what a switch said (live checks), not by a person's scan.
LIVE_KINDS = frozenset({"live_check_disagrees", "tryout_wrong_port"})


@dataclass(frozen=True)
class LiveLine:
    """What a switch said about a step (live checks): each check's verdict in words, and every reading with its
    time and source. Never a reading's data: a serial the device reports is evidence, not print."""

    kind: str
    verdict: str
    asked_at: str
    answered_at: str
    findings: list[str]
    decided: str
    readings: list[str]


@dataclass
class StepLine:
    position: int
    kind: str
    kind_label: str
    title: str
    instructions: str
    message: str
    is_rollback: bool
    asset: AssetLines | None
    do_not_touch: list[str]
    url: str
    qr: str
    needs_two: bool
    # Filled in for the as-run record only.
    status: str = ""
    complete: bool = False
    performer: str = ""
    performed_at: str = ""
    verifier: str = ""
    verified_at: str = ""
    released_by: str = ""
    scans: list[ScanLine] = field(default_factory=list)
    discrepancies: list[DiscrepancyLine] = field(default_factory=list)
    live: list[LiveLine] = field(default_factory=list)

    # The printed rule each kind of step carries, asked by name so the template spells no kind.
    @property
    def is_destructive(self) -> bool:
        return self.kind == StepKind.DESTRUCTIVE

    @property
    def is_identity_check(self) -> bool:
        return self.kind == StepKind.IDENTITY_CHECK

    @property
    def is_hold_point(self) -> bool:
        return self.kind == StepKind.HOLD_POINT


@dataclass(frozen=True)
class EventLine:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    hash: str


@dataclass(frozen=True)
class UpdateLine:
    """One thing said (or, on runs from before Lockstep sent anything, noted) to customers, and its fate."""

    at: str
    by: str
    message: str
    what: str = "Noted, not sent"
    fate: str = "not sent: Lockstep did not send messages then"


@dataclass(frozen=True)
class Timing:
    planned: str
    actual: str
    verdict: str
    late_start: str


# --- times ------------------------------------------------------------------------------------------------


def _at(moment: datetime | None, tz: tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as the site's clock shows it, with the zone's abbreviation (PST, CEST); in UTC, so
    named, when that clock is beyond the calendar (lockstep.dates)."""
    if moment is None:
        return ""
    return in_zone(moment, tz).strftime(f"{fmt} %Z")


def _duration(delta: timedelta) -> str:
    minutes = round(abs(delta.total_seconds()) / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _span(start: datetime, end: datetime, tz: tzinfo) -> str:
    """'2026-12-05 23:00 PST to 03:35 PST (4 h 35 min)', the end's date given when it is another day."""
    local_start, local_end = span_in_zone(start, end, tz)
    same_day = local_start.date() == local_end.date()
    end_format = "%H:%M %Z" if same_day else "%Y-%m-%d %H:%M %Z"
    return f"{local_start:%Y-%m-%d %H:%M %Z} to {local_end.strftime(end_format)} ({_duration(end - start)})"


def _timing(window: Window, tz: tzinfo) -> Timing:
    planned = _span(window.planned_start, window.planned_end, tz)
    if window.started_at is None:
        return Timing(planned, "not started", "", "")
    late = window.started_at - window.planned_start
    late_start = f"started {_duration(late)} after the planned start" if late >= timedelta(minutes=1) else ""
    if window.ended_at is None:
        return Timing(planned, f"started {_at(window.started_at, tz)}, still running", "", late_start)
    actual = _span(window.started_at, window.ended_at, tz)
    over = window.ended_at - window.planned_end
    if over >= timedelta(minutes=1):
        verdict = f"overran the planned end by {_duration(over)}"
    elif over <= -timedelta(minutes=1):
        verdict = f"finished {_duration(over)} early"
    else:
        verdict = "finished on time"
    return Timing(planned, actual, verdict, late_start)


# --- the fetch --------------------------------------------------------------------------------------------


def _asset_lines(step: Step, serial_where: dict[int, str]) -> AssetLines | None:
    device = step.chassis
    if device is None:
        return None
    return AssetLines(
        device=device.name,
        port=step.port.name if step.port_id else "",
        rack=device.rack.name if device.rack_id else "not in a rack",
        position=f"U{device.position.normalize():f}" if device.position is not None else "no position",
        serial_where=serial_where.get(device.pk, "") if step.needs_serial else "",
    )


def _describe(tag_asset: Device | Port) -> str:
    return f"{tag_asset.device.name} {tag_asset.name}" if isinstance(tag_asset, Port) else tag_asset.name


def _target_line(target: Target) -> dict[str, str]:
    device = target.port.device if target.port_id else target.device
    asset = f"{device.name} {target.port.name}" if target.port_id else device.name
    return {"action": target.get_action_display(), "asset": asset, "place": device.place}


def _watermark(window: Window) -> tuple[str, str]:
    """The word across every page, and the sentence on the cover that says why."""
    if window.status == WindowStatus.SUBMITTED:
        return "DRAFT — NOT APPROVED", "the window is waiting for approval and this runbook may still change."
    if window.status == WindowStatus.DRAFT:
        return "DRAFT — NOT APPROVED", (
            "the window went back to its requester; a new runbook version is built when it is resubmitted."
        )
    if window.status == WindowStatus.CANCELLED:
        return "CANCELLED — DO NOT USE", "this window was cancelled. Do not work from this runbook."
    return "", ""


def runbook_context(window: Window, *, as_run: bool, now: datetime | None = None) -> dict[str, Any]:
    """Everything the document shows, in a fixed number of queries:

    window with site, requester and run; assignees; run templates; the latest blast radius; the approval;
    the steps with their assets and people; and for the as-run record, the scans with their tags and
    discrepancies, the audit events of the window, run, steps and discrepancies, and the chain check.
    """
    window = (
        Window.objects.select_related("site", "requester", "run")
        .prefetch_related(
            Prefetch("assignees", queryset=get_user_model().objects.order_by("username")),
            Prefetch("targets", queryset=Target.objects.select_related("device__rack", "port__device__rack")),
            *override_prefetches(),
        )
        .get(pk=window.pk)
    )
    window.require_printable(as_run=as_run)
    tz = window.site.tz
    run: Run = window.run
    now = now or timezone.now()

    snapshot = BlastSnapshot.objects.filter(window=window).order_by("-computed_at", "-pk").first()
    approval = (
        WindowDecision.objects.filter(
            window=window, submission=window.submission, decision=WindowDecision.Decision.APPROVED
        )
        .select_related("by")
        .first()
    )
    templates = [f"{t.title} v{t.version}" for t in run.templates.order_by("slug", "version")]
    steps = list(
        run.steps.select_related(
            "device__rack", "port__device__rack", "performer", "verifier", "released_by"
        ).order_by("position")
    )

    serial_where = DeviceType.serial_locations([step.chassis for step in steps if step.needs_serial])
    lines: list[StepLine] = []
    for step in steps:
        url = public_url(step.get_absolute_url())
        lines.append(
            StepLine(
                position=step.position,
                kind=step.kind,
                kind_label=StepKind(step.kind).label,
                title=step.title,
                instructions=step.instructions,
                message=step.message,
                is_rollback=step.is_rollback,
                asset=_asset_lines(step, serial_where),
                do_not_touch=list(step.do_not_touch or []),
                url=url,
                qr=qr_png_data_uri(url, error_correction=_QR_ERROR_CORRECTION),
                needs_two=step.needs_two,
            )
        )

    services = (snapshot.result.get("services", []) if snapshot else []) or []
    overrides = window.override_list
    for override in overrides:
        override.local_at = _at(override.at, tz)
    context: dict[str, Any] = {
        "overrides": overrides,
        "services_at_risk_count": len(window.services_at_risk(snapshot)),
        "as_run": as_run,
        "window": window,
        "site": window.site,
        "version": window.submission,
        "templates": templates,
        "status_label": window.get_status_display(),
        "watermark": _watermark(window)[0],
        "watermark_reason": _watermark(window)[1],
        "planned_start": _at(window.planned_start, tz, "%a %d %b %Y %H:%M"),
        "planned_end": _at(window.planned_end, tz, "%a %d %b %Y %H:%M"),
        "planned_length": _duration(window.planned_end - window.planned_start),
        "printed_at": _at(now, tz),
        "requester": Person.of(window.requester),
        "approver": Person.of(approval.by) if approval else None,
        "approved_at": _at(approval.decided_at, tz) if approval else "",
        "approval_comment": approval.comment if approval else "",
        "techs": [Person.of(user) for user in window.assignees.all()],
        "snapshot": snapshot,
        "snapshot_at": _at(snapshot.computed_at, tz) if snapshot else "",
        # Compared here with the site already fetched; snapshot.is_stale would fetch it again.
        "snapshot_stale": bool(snapshot and snapshot.inventory_revision != window.site.revision),
        "services": services,
        "customers": sorted({s.get("customer", "") for s in services} - {""}),
        "lost_devices": (snapshot.result.get("devices", []) if snapshot else []) or [],
        "blast_warning": (snapshot.result.get("warning", "") if snapshot else "") or "",
        "targets": [_target_line(target) for target in window.targets.all()],
        "steps": [s for s in lines if not s.is_rollback],
        "rollback_steps": [s for s in lines if s.is_rollback],
    }
    # The margin boxes of every page read these (CSS string-set), so they stay plain, escaped HTML text.
    doc = "As-run record of runbook" if as_run else "Runbook"
    context["running"] = {
        "left": f"{window.reference} · {doc} v{window.submission}",
        "center": context["watermark"],
        "right": "IN PROGRESS — NOT FINAL"
        if as_run and window.status == WindowStatus.IN_PROGRESS
        else window.site.code,
        "footer": f"{window.reference} {window.title}"[:80] + f" · printed {_at(now, tz)}",
    }
    if as_run:
        context.update(_as_run_context(window, run, steps, lines, tz))
    return context


def _as_run_context(
    window: Window, run: Run, steps: list[Step], lines: list[StepLine], tz: tzinfo
) -> dict[str, Any]:
    scans_by_step: dict[int, list[StepScan]] = defaultdict(list)
    for scan in (
        StepScan.objects.filter(step__run=run)
        .select_related(
            "user",
            "tag__device",
            "tag__port__device",
            "discrepancy__reported_by",
            "discrepancy__resolved_by",
        )
        .order_by("scanned_at", "pk")
    ):
        scans_by_step[scan.step_id].append(scan)

    checks_by_step: dict[int, list[LiveCheck]] = defaultdict(list)
    for check in (
        LiveCheck.objects.filter(step__run=run)
        .select_related("decided_by", "discrepancy__reported_by", "discrepancy__resolved_by")
        .order_by("created_at", "pk")
    ):
        checks_by_step[check.step_id].append(check)
    readings_by_check: dict[int, list[str]] = defaultdict(list)
    for reading in Reading.objects.filter(step__run=run, live_check__isnull=False).select_related("device"):
        readings_by_check[reading.live_check_id].append(
            f"{_at(reading.taken_at, tz, '%H:%M:%S')} {reading.device.name} {reading.getter} via {reading.source}: {reading.said}"
        )

    discrepancies: list[DiscrepancyLine] = []
    for step, line in zip(steps, lines, strict=True):
        line.complete = step.status == StepStatus.COMPLETE
        line.status = _step_status(window, step)
        line.performer = str(Person.of(step.performer)) if step.performer_id else ""
        line.performed_at = _at(step.performed_at, tz, "%Y-%m-%d %H:%M:%S")
        line.verifier = str(Person.of(step.verifier)) if step.verifier_id else ""
        line.verified_at = _at(step.verified_at, tz, "%Y-%m-%d %H:%M:%S")
        line.released_by = str(Person.of(step.released_by)) if step.released_by_id else ""
        seen: set[int] = set()
        for scan in scans_by_step.get(step.pk, []):
            line.scans.append(
                ScanLine(
                    who=str(Person.of(scan.user)),
                    role=scan.get_role_display(),
                    at=_at(scan.scanned_at, tz, "%H:%M:%S"),
                    how=scan.get_method_display(),
                    tag_asset=_describe(scan.tag.asset) if scan.tag_id else "no tag",
                    matched=scan.matched,
                    serial_checked=bool(scan.serial_given),
                    reason=scan.reason,
                    voided=scan.round < step.scan_round,
                )
            )
        for check in checks_by_step.get(step.pk, []):
            line.live.append(
                LiveLine(
                    kind=check.get_kind_display(),
                    verdict=check.get_state_display(),
                    asked_at=_at(check.created_at, tz, "%H:%M:%S"),
                    answered_at=_at(check.finished_at, tz, "%H:%M:%S"),
                    findings=list(check.findings),
                    decided=f"{Person.of(check.decided_by)} decided the step goes on: “{check.decision_reason}”"
                    if check.decided_by_id
                    else "",
                    readings=readings_by_check.get(check.pk, []),
                )
            )
        # Raised by a scan at the rack, or by what a switch said: each once, in that order.
        raised = [scan.discrepancy for scan in scans_by_step.get(step.pk, [])]
        raised += [check.discrepancy for check in checks_by_step.get(step.pk, [])]
        for found in raised:
            if found is not None and found.pk not in seen:
                seen.add(found.pk)
                entry = DiscrepancyLine(
                    pk=found.pk,
                    step=step.position,
                    summary=found.summary,
                    reported_by=f"the switch, on {Person.of(found.reported_by)}'s tap"
                    if found.kind in LIVE_KINDS
                    else str(Person.of(found.reported_by)),
                    reported_at=_at(found.reported_at, tz, "%Y-%m-%d %H:%M:%S"),
                    resolved=found.resolved_at is not None,
                    resolution=found.resolution,
                    resolved_by=str(Person.of(found.resolved_by)) if found.resolved_by_id else "",
                    resolved_at=_at(found.resolved_at, tz, "%Y-%m-%d %H:%M:%S"),
                )
                line.discrepancies.append(entry)
                discrepancies.append(entry)

    # One query for the whole story: the window's, its run's, its steps' and its discrepancies' events.
    about = (
        Q(object_type=Window._meta.label_lower, object_id=str(window.pk))
        | Q(object_type=Run._meta.label_lower, object_id=str(run.pk))
        | Q(object_type=Step._meta.label_lower, object_id__in=[str(s.pk) for s in steps])
    )
    if discrepancies:
        about |= Q(object_type="inventory.discrepancy", object_id__in=[str(d.pk) for d in discrepancies])
    events = list(AuditEvent.objects.filter(about).order_by("seq"))
    updates = [
        UpdateLine(
            at=_at(e.created_at, tz, "%Y-%m-%d %H:%M:%S"),
            by=e.actor_label or "system",
            message=str(e.payload.get("message", "")),
        )
        for e in events
        if e.action in ("customer_update.noted", "customer_update.posted")  # older runs: nothing was sent
    ] + _notices(window, steps, tz)
    ending = next((e for e in reversed(events) if e.action in ("window.completed", "window.aborted")), None)
    # From the latest checkpoint, not the first event: the record costs what the log grew since, not its age.
    chain: ChainReport = verify_chain(since_checkpoint=True)
    return {
        "timing": _timing(window, tz),
        "started_at": _at(window.started_at, tz, "%Y-%m-%d %H:%M:%S"),
        "ended_at": _at(window.ended_at, tz, "%Y-%m-%d %H:%M:%S"),
        "abort_reason": str(ending.payload.get("reason", "")) if ending else "",
        "ended_by": ending.actor_label if ending else "",
        "discrepancies": discrepancies,
        "holds": [line for line in lines if line.kind == StepKind.HOLD_POINT],
        "updates": updates,
        "events": [
            EventLine(
                seq=e.seq,
                at=_at(e.created_at, tz, "%Y-%m-%d %H:%M:%S"),
                actor=e.actor_label or "system",
                action=e.action,
                subject=e.object_repr,
                hash=e.hash[:12],
            )
            for e in events
        ],
        "chain": chain,
        "chain_checked_at": _at(timezone.now(), tz, "%Y-%m-%d %H:%M:%S"),
    }


def _step_status(window: Window, step: Step) -> str:
    if step.status == StepStatus.COMPLETE:
        return "Complete"
    if step.is_rollback and window.status == WindowStatus.COMPLETED:
        return "Not needed: the window completed without rolling back"
    if not step.is_rollback and window.status == WindowStatus.ABORTED:
        return f"Not done: the window was aborted ({step.get_status_display().lower()})"
    return step.get_status_display()


# --- the two entry points ---------------------------------------------------------------------------------


def runbook_html(window: Window, *, as_run: bool = False, now: datetime | None = None) -> str:
    """The document as HTML for WeasyPrint. WindowRefused when there is nothing honest to print."""
    return render_to_string("maintenance/runbook_pdf.html", runbook_context(window, as_run=as_run, now=now))


def render_runbook_pdf(
    window: Window,
    *,
    as_run: bool = False,
    now: datetime | None = None,
    progress: Callable[..., None] | None = None,
) -> bytes:
    """The runbook (or the as-run record) as PDF bytes. WindowRefused when there is nothing to print.
    `progress` (a print job's `report_stage`) is told each later stage as it begins: laying out the pages once
    the HTML is built, then writing the file, with its number of pages."""
    # WeasyPrint takes a moment to import and most requests never print; load it only when one does.
    from lockstep.pdf import render_pdf  # noqa: PLC0415  WeasyPrint is loaded only when a PDF is made

    html = runbook_html(window, as_run=as_run, now=now)
    if progress is None:
        return render_pdf(html)
    progress(PrintStatus.LAYING_OUT)
    return render_pdf(html, laid_out=lambda pages: progress(PrintStatus.WRITING, pages=pages))


def pdf_filename(window: Window, *, as_run: bool = False) -> str:
    return f"{window.reference}-{'as-run' if as_run else 'runbook'}-v{window.submission}.pdf"


def _notices(window: Window, steps: list[Step], tz) -> list[UpdateLine]:
    """Every notice about the window or one of its steps, with how many of its messages were sent and when
    the last went out: what customers were told, and when, is part of what happened."""
    about = Q(about_type=Window._meta.label_lower, about_id=str(window.pk)) | Q(
        about_type=Step._meta.label_lower, about_id__in=[str(s.pk) for s in steps]
    )
    notices = (
        Notice.objects.filter(about).select_related("created_by").with_fates().order_by("created_at", "pk")
    )
    return [
        UpdateLine(
            at=_at(n.created_at, tz, "%Y-%m-%d %H:%M:%S"),
            by=n.created_by.get_username() if n.created_by_id else "Lockstep",
            message=f"{n.subject}. {n.body}" if n.kind == NoticeKind.UPDATE else n.subject,
            what=n.get_kind_display(),
            fate=(
                f"sent to {n.sent} of {n.total}, the last at {_at(n.last_sent, tz, '%Y-%m-%d %H:%M:%S')}"
                if n.sent
                else (f"0 of {n.total} sent" if n.total else "no confirmed customer contact to send to")
            ),
        )
        for n in notices
    ]
