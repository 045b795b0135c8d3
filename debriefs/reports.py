"""What a debrief is assembled from: the timeline (the audit log, the runbook, the scans and the notices: who
did what, when, and when customers were told) and the impact in numbers. Read only; nothing here is typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from audit.log import verify_chain
from audit.models import AuditEvent, AuditHead
from checklists.models import Run, Step
from comms.models import Notice
from credits import downtime, sla
from debriefs.models import QUESTIONS, Debrief
from incidents.models import Incident
from inventory.models import Service
from live.failures import plain_finding
from maintenance.models import Window

# An incident's audit events: those recorded before incidents had their own app keep the label they were
# signed with (the log is append-only).
INCIDENT_LABELS = (Incident._meta.label_lower, "maintenance.incident")

# How the record's actions read in a timeline; any other reads as its name.
WORDS = {
    "window.submitted": "Submitted for approval",
    "window.approved": "Approved",
    "window.started": "Work started",
    "window.completed": "Work completed",
    "window.aborted": "Work stopped; rollback",
    "window.paused": "Work paused",
    "window.resumed": "Work resumed",
    "step.signed": "Step signed",
    "step.verified": "Step verified",
    "step.scanned": "Label scanned",
    "step.scan_matched": "Label scanned: matched",
    "step.scan_mismatch": "Label scanned: MISMATCH",
    "step.cut_refused": "A cut refused by the interlock",
    "step.released": "Hold point released",
    "discrepancy.raised": "Discrepancy raised",
    "discrepancy.resolved": "Discrepancy resolved",
    "incident.declared": "Incident declared",
    "incident.updated": "Public update posted",
    "incident.restored": "Services marked restored",
    "incident.impact_changed": "Impact changed",
    "incident.silence_alert": "Coordinator alerted: customers had heard nothing",
    "step.refused": "A tap refused",
    "run.rollback_started": "Rollback started",
    "window.rolled_back": "Rollback finished",
    "customer_update.queued": "Customer update signed in the runbook",
    "window.created": "Planned",
    "window.target_added": "Target added",
    "run.built": "Runbook built",
    "run.opened": "Runbook opened for work",
    "run.closed": "Runbook closed",
    # What the switches said (live checks), each with its findings.
    "live.asked": "The switch asked",
    "live.before_agreed": "The switch agreed with the inventory",
    "live.before_disagreed": "The switch DISAGREED with the inventory",
    "live.before_no_answer": "The switch did not answer",
    "live.tryout_passed": "Try-out: only the expected link went down",
    "live.tryout_still_up": "Try-out: the expected link was still up",
    "live.tryout_stopped": "Try-out: ANOTHER LINK WENT DOWN",
    "live.tryout_no_answer": "Try-out: the switches did not answer",
    "live.decided_without_answer": "Approver let the step go on without the switch's answer",
    "live.alert_sent": "Approvers and coordinators alerted",
    "live.alert_not_sent": "Nobody could be alerted by mail",
    "live.locate_asked": "Locate LED asked for",
    "live.tryout_not_made": "No try-out: nothing was read before the step",
    "live.superseded": "A late answer from the switch, kept but superseded",
    "step.live_mismatch": "Work held on the switch's word",
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    what: str
    who: str
    detail: str
    told: bool = False  # a notice to customers: the moments the debrief is asked about


def _subjects(debrief: Debrief) -> tuple[list[Window], list[Incident]]:
    """The window and the incidents that belong to one story: an incident's window, a window's incidents."""
    if debrief.incident_id:
        incident = debrief.incident
        return ([incident.window] if incident.window_id else []), [incident]
    window = debrief.window
    return [window], list(window.incidents.all())


def timeline(debrief: Debrief) -> list[Entry]:
    windows, incidents = _subjects(debrief)
    runs = [w.run_id for w in windows if w.run_id]
    steps = [str(pk) for pk in Step.objects.filter(run_id__in=runs).values_list("pk", flat=True)]
    about = Q(pk__in=[])
    notices = Q(pk__in=[])
    for window in windows:
        about |= Q(object_type=Window._meta.label_lower, object_id=str(window.pk))
        notices |= Q(about_type=Window._meta.label_lower, about_id=str(window.pk))
    for run in runs:
        about |= Q(object_type=Run._meta.label_lower, object_id=str(run))
        notices |= Q(about_type=Run._meta.label_lower, about_id=str(run))
    if steps:
        about |= Q(object_type=Step._meta.label_lower, object_id__in=steps)
        notices |= Q(about_type=Step._meta.label_lower, about_id__in=steps)
    for incident in incidents:
        about |= Q(object_type__in=INCIDENT_LABELS, object_id=str(incident.pk))
        notices |= Q(about_type=Incident._meta.label_lower, about_id=str(incident.pk))
    entries = [
        Entry(
            at=e.created_at,
            what=WORDS.get(e.action, e.action.replace("_", " ").replace(".", ": ")),
            who=e.actor_label or "Lockstep",
            detail=_detail(e),
        )
        for e in AuditEvent.objects.filter(about).exclude(action__startswith="notice.").order_by("seq")
    ]
    entries += [
        Entry(at=i.started_at, what="Incident began: services down", who="", detail=i.title)
        for i in incidents
    ]
    for n in Notice.objects.filter(notices).select_related("created_by").with_fates():
        fate = (
            f"sent to {n.sent} of {n.total}"
            if n.sent
            else (f"0 of {n.total} sent" if n.total else "nobody to send to")
        )
        entries.append(
            Entry(
                at=n.created_at,
                what=f"Customers told: {n.get_kind_display().lower()}",
                who=n.created_by.get_username() if n.created_by_id else "Lockstep",
                detail=f"“{n.subject}” ({fate})",
                told=True,
            )
        )
    return sorted(entries, key=lambda e: e.at)


def _detail(event: AuditEvent) -> str:
    payload = event.payload or {}
    for key in ("message", "reason", "said", "summary", "resolution"):
        if payload.get(key):
            return str(payload[key])[:300]
    if isinstance(payload.get("findings"), list) and payload["findings"]:
        # An event written before failures were classified may quote a driver's error: it cannot be changed
        # (append-only), so it is told in classified words here.
        return "; ".join(plain_finding(f) for f in payload["findings"])[:300]
    return event.object_repr[:200] if event.object_type == Step._meta.label_lower else ""


@dataclass(frozen=True)
class Impact:
    services: int
    customers: int
    minutes: int  # service-minutes of downtime, each service counted once
    longest: int  # minutes, the longest any one service was down
    told_first: datetime | None  # when customers were first told, once the first service was down
    started: datetime | None  # when the first service went down

    @property
    def minutes_to_tell(self) -> int | None:
        if self.told_first is None or self.started is None:
            return None
        return max(int((self.told_first - self.started).total_seconds() // 60), 0)


def impact(debrief: Debrief, entries: list[Entry] | None = None, *, now: datetime | None = None) -> Impact:
    now = now or timezone.now()
    caused = downtime.caused_by(debrief.subject, now=now)
    per_service = {pk: sla.seconds(spans) for pk, spans in caused.items()}
    customers = (
        Service.objects.filter(pk__in=list(per_service)).values("customer").distinct().count()
        if per_service
        else 0
    )
    starts = [span.start for spans in caused.values() for span in spans]
    started = min(starts, default=None)
    told = [
        e.at
        for e in (entries if entries is not None else timeline(debrief))
        if e.told and (started is None or e.at >= started)
    ]
    return Impact(
        services=len(per_service),
        customers=customers,
        minutes=sum(per_service.values()) // 60,
        longest=max(per_service.values(), default=0) // 60,
        told_first=min(told, default=None),
        started=started,
    )


def impact_words(numbers: Impact) -> str:
    """The impact in a sentence customers can read (no customer is named)."""
    if not numbers.services:
        return "No service was down."
    return (
        f"{numbers.services} service{'s' if numbers.services != 1 else ''} of {numbers.customers} "
        f"customer{'s' if numbers.customers != 1 else ''} {'were' if numbers.services != 1 else 'was'} down, "
        f"the longest for {sla.minutes_text(numbers.longest * 60)}."
    )


def pdf(debrief: Debrief, *, now: datetime | None = None) -> bytes:
    """The debrief for the archive: answers, impact, actions, timeline, and the audit chain's head when it was
    made, checked from the latest checkpoint (`verify_audit --at HASH` later confirms the log still runs through
    that event, unchanged)."""
    from lockstep.pdf import render_pdf  # noqa: PLC0415  WeasyPrint loads only when a PDF is made

    now = now or timezone.now()
    entries = timeline(debrief)
    numbers = impact(debrief, entries, now=now)
    chain = verify_chain(since_checkpoint=True)
    head = AuditHead(seq=chain.head_seq, hash=chain.head_hash)
    context = {
        "debrief": debrief,
        "subject": debrief.subject,
        "answers": [(label, getattr(debrief, name)) for name, (label, _) in QUESTIONS.items()],
        "impact": numbers,
        "impact_words": impact_words(numbers),
        "entries": entries,
        "actions": list(debrief.actions.select_related("owner", "template", "done_with")),
        "report": debrief.reports.order_by("-revision").first(),
        "head": head,
        "chain": chain,
        "now": now,
        "zone": debrief.site.time_zone,
    }
    return render_pdf(render_to_string("debriefs/debrief_pdf.html", context))
