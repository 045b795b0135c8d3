"""Downtime per service, measured from what Lockstep already records, and the credits it gives.

- An incident: from its start to each service's restoration (or now, while it is not restored), for the
  services it took out (a partial or major outage; degraded performance is not downtime).
- A window: from the destructive step that cut a service (signed done) to the step that put it back, or the
  end of the window. The runbook is replayed against the inventory: a service is down while the cuts open at
  that moment take it down.
- Announced maintenance is taken out, inside its planned window, when the plan says so and the customer was
  told (a message to them sent) at least the plan's notice before the start. An overrun is not excluded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from audit.log import record
from audit.models import AuditEvent
from checklists.interlock import cut_of
from checklists.models import Step, StepKind, StepStatus
from comms.models import Delivery, DeliveryState, NoticeKind
from comms.notices import notices_about
from credits import sla
from credits.models import Credit, CreditRefused, CreditState, SlaPlan
from incidents.models import Impact, Incident, IncidentImpact, IncidentService
from inventory.actions import effect_of
from inventory.blast_radius import build_graph, compute
from inventory.models import Service
from maintenance.models import WORK_BEGAN, Window, WindowStatus

OUTAGE = (Impact.PARTIAL, Impact.MAJOR)


def billing_zone() -> ZoneInfo:
    return ZoneInfo(settings.LOCKSTEP_BILLING_TIME_ZONE)


@dataclass
class Downtime:
    """One service's measured downtime: the spans, and where each came from (for the arithmetic shown)."""

    spans: list[sla.Span] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    excluded: list[sla.Span] = field(default_factory=list)  # announced maintenance, planned window


def outage_spans(row: IncidentService, *, now: datetime) -> list[sla.Span]:
    """When an incident's service was out (a partial or major outage), from its impact's history: from the
    incident's start to its restoration (or now), only the stretches whose impact was an outage."""
    end = row.restored_at or now
    history = sorted(row.history.all(), key=lambda h: (h.at, h.pk)) or [
        IncidentImpact(impact=row.impact, at=row.incident.started_at)
    ]
    spans = []
    for this, following in zip(history, [*history[1:], None], strict=True):
        if this.impact not in OUTAGE:
            continue
        start = max(this.at, row.incident.started_at)
        stop = min(following.at if following else end, end)
        if stop > start:
            spans.append(sla.Span(start, stop))
    return sla.merge(spans)


def _rows(**filters):
    return IncidentService.objects.filter(**filters).select_related("incident").prefetch_related("history")


def incident_spans(service_ids, *, now: datetime) -> dict[int, Downtime]:
    found: dict[int, Downtime] = {}
    for row in _rows(service_id__in=service_ids):
        spans = outage_spans(row, now=now)
        if spans:
            each = found.setdefault(row.service_id, Downtime())
            each.spans.extend(spans)
            each.sources.append(row.incident.reference)
    return found


def window_spans(window: Window, *, now: datetime, graph=None) -> dict[int, list[sla.Span]]:
    """Replay the window's runbook: when each service was down because of the cuts signed in it."""
    if not window.run_id or window.status not in WORK_BEGAN:
        return {}
    steps = (
        Step.objects.filter(run_id=window.run_id)
        .filter(
            Q(kind=StepKind.DESTRUCTIVE, status__in=(StepStatus.DONE, StepStatus.COMPLETE))
            | Q(is_rollback=True, status=StepStatus.COMPLETE)
        )
        .exclude(device__isnull=True, port__isnull=True)
        .select_related("device", "port__device")
    )
    events = []
    for step in steps:
        key = ("port", step.port_id) if step.port_id else ("device", step.device_id)
        if step.is_rollback or not effect_of(step.action).down_after:
            events.append((step.completed_at or step.performed_at, 0, key, None))
        elif step.performed_at:
            events.append((step.performed_at, 1, key, cut_of(step)))
    if not events:
        return {}
    graph = graph or build_graph(window.site_id)
    end = _put_back_at(window) or now
    cuts: dict = {}
    since: dict[int, datetime] = {}
    spans: dict[int, list[sla.Span]] = {}

    def settle(moment: datetime) -> None:
        down = {s.id for s in compute(graph, list(cuts.values())).services} if cuts else set()
        for service in down - since.keys():
            since[service] = moment
        for service in set(since) - down:
            spans.setdefault(service, []).append(sla.Span(since.pop(service), moment))

    for moment, _, key, cut in sorted((e for e in events if e[0] is not None), key=lambda e: (e[0], e[1])):
        if moment > end:
            continue
        if cut is None:
            cuts.pop(key, None)
        else:
            cuts[key] = cut
        settle(moment)
    cuts.clear()
    settle(end)  # the window's end puts everything back
    return spans


def _put_back_at(window: Window) -> datetime | None:
    """When the window's work stopped holding anything down: its end, or for an aborted window the moment its
    rollback was signed off (the abort itself puts nothing back). None while that has not happened."""
    if window.status == WindowStatus.ABORTED:
        return (
            AuditEvent.objects.filter(
                action="window.rolled_back", object_type=Window._meta.label_lower, object_id=str(window.pk)
            )
            .values_list("created_at", flat=True)
            .first()
        )
    return window.ended_at


def announced_at(window: Window, service: Service) -> datetime | None:
    """When the customer owning `service` was first sent the window's announcement (None: never). Only a
    message to that customer counts: another customer's, or one that failed, told them nothing."""
    return (
        Delivery.objects.filter(
            notice__in=notices_about(window).filter(kind=NoticeKind.SCHEDULED), state=DeliveryState.SENT
        )
        .filter(Q(subscriber__customer_id=service.customer_id) | Q(webhook__customer_id=service.customer_id))
        .aggregate(first=Min("sent_at"))["first"]
    )


def measure(
    services: list[Service], *, plans: dict[int, SlaPlan], now: datetime | None = None
) -> dict[int, Downtime]:
    """Every service's downtime on record: incidents and windows that ran, merged per service later.
    `plans`: each service's plan (see `plans_of`), which says what announced maintenance leaves out."""
    now = now or timezone.now()
    ids = [s.pk for s in services]
    found = incident_spans(ids, now=now)
    windows = (
        Window.objects.filter(status__in=WORK_BEGAN, run__isnull=False)
        .select_related("site", "run")
        .order_by("planned_start")
    )
    graphs: dict[int, object] = {}
    by_id = {s.pk: s for s in services}
    for window in windows:
        touched = set(window.run.approved_services or []) & set(ids)
        if not touched:
            continue
        if window.site_id not in graphs:
            graphs[window.site_id] = build_graph(window.site_id)
        for service_id, spans in window_spans(window, now=now, graph=graphs[window.site_id]).items():
            if service_id not in touched:
                continue
            each = found.setdefault(service_id, Downtime())
            each.spans.extend(spans)
            each.sources.append(window.reference)
            plan = plans.get(service_id)
            if plan and plan.excludes_announced:
                told = announced_at(window, by_id[service_id])
                if sla.in_time(told, window.planned_start, plan.notice):
                    each.excluded.append(sla.Span(window.planned_start, window.planned_end))
    return found


def plans_of(services: list[Service]) -> dict[int, SlaPlan]:
    """Each service's plan, by the name its `sla_plan` holds (services on no known plan are left out): one
    query for them all."""
    named = SlaPlan.objects.in_bulk({s.sla_plan for s in services if s.sla_plan}, field_name="name")
    return {s.pk: named[s.sla_plan] for s in services if s.sla_plan in named}


@dataclass
class Proposal:
    credits: list[Credit]
    unchanged: list[Credit]
    no_plan: list[Service]
    no_downtime: list[Service]


def services_of(source: Incident | Window) -> list[Service]:
    if isinstance(source, Incident):
        ids = source.affected.values_list("service_id", flat=True)
    else:
        ids = source.run.approved_services if source.run_id else []
    return list(Service.objects.filter(pk__in=list(ids)).select_related("customer").order_by("name"))


def propose(source: Incident | Window, *, by, now: datetime | None = None) -> Proposal:
    """Credits for the services `source` took down, for each billing month it touched: the month's whole
    downtime on record (this and any other outage, counted once), less what the month was credited already.
    Proposing again with nothing new changes nothing; with new downtime, the open proposal is withdrawn and
    replaced."""
    if not Credit.may_propose(by, source):
        raise CreditRefused("Only a coordinator proposes credits, for an incident or for work that began.")
    now = now or timezone.now()
    zone = billing_zone()
    services = services_of(source)
    plans = plans_of(services)
    measured = measure(services, plans=plans, now=now)
    caused = caused_by(source, now=now)
    result = Proposal([], [], [], [])
    with transaction.atomic():
        for service in services:
            plan = plans.get(service.pk)
            if plan is None:
                result.no_plan.append(service)
                continue
            downtime = measured.get(service.pk)
            mine = caused.get(service.pk, [])
            if not downtime or not mine:
                result.no_downtime.append(service)
                continue
            for month in sla.months_touched(mine, zone):
                credit, new = _month_credit(source, service, plan, downtime, month, zone, by)
                (result.credits if new else result.unchanged).append(credit)
    return result


def caused_by(source: Incident | Window, *, now: datetime | None = None) -> dict[int, list[sla.Span]]:
    """Downtime per service that this incident or window caused (not the month's other outages)."""
    now = now or timezone.now()
    if isinstance(source, Incident):
        found: dict[int, list[sla.Span]] = {}
        for row in _rows(incident=source):
            if spans := outage_spans(row, now=now):
                found[row.service_id] = spans
        return found
    return window_spans(source, now=now)


def _month_credit(
    source, service, plan: SlaPlan, downtime: Downtime, month: date, zone, by
) -> tuple[Credit, bool]:
    """The month's credit proposal, and whether it is new (False: the open one already says this)."""
    span = sla.month_span(month, zone)
    down = sla.clip(downtime.spans, span)
    excluded = sla.clip(downtime.excluded, span)
    counted = sla.subtract(down, excluded)
    month_seconds = int((span.end - span.start).total_seconds())
    outcome = sla.credit(
        plan.terms(),
        down_seconds=sla.seconds(counted),
        month_seconds=month_seconds,
        fee=plan.monthly_fee,
        currency=plan.currency,
    )
    already = Credit.credited(service.pk, month)
    amount = max(outcome.amount - already, 0)
    excluded_seconds = sla.seconds(down) - sla.seconds(counted)
    working = f"{month:%B %Y}: down {sla.minutes_text(sla.seconds(down))} ({', '.join(sorted(set(downtime.sources)))})"
    if excluded_seconds:
        working += (
            f", less {sla.minutes_text(excluded_seconds)} of maintenance announced in time: "
            f"{sla.minutes_text(sla.seconds(counted))} counted"
        )
    working += f". {outcome.working}"
    if already:
        working += f"; less {already} {plan.currency} credited already = {amount} {plan.currency}"
    # Two coordinators proposing for one service at once (from the incident and from the window): the
    # service's row is the lock, so the second sees the first's proposal instead of making a second.
    Service.objects.select_for_update().filter(pk=service.pk).first()
    open_one = (
        Credit.objects.select_for_update(of=("self",))
        .filter(service=service, month=month, state=CreditState.PROPOSED)
        .order_by("pk")
        .first()
    )
    same = open_one is not None and (open_one.computed, open_one.already, open_one.working) == (
        outcome.amount,
        already,
        working,
    )
    if same:
        return open_one, False
    if open_one is not None:
        open_one.state = CreditState.WITHDRAWN
        open_one.save(update_fields=["state"])
        record("credit.withdrawn", actor=by, obj=open_one, payload={"why": "measured again"})
    credit = Credit.objects.create(
        service=service,
        month=month,
        plan=plan,
        incident=source if isinstance(source, Incident) else None,
        window=source if isinstance(source, Window) else None,
        down_seconds=sla.seconds(counted),
        excluded_seconds=excluded_seconds,
        percent=outcome.percent,
        computed=outcome.amount,
        already=already,
        amount=amount,
        currency=plan.currency,
        working=working,
        proposed_by=by,
    )
    record(
        "credit.proposed",
        actor=by,
        obj=credit,
        payload={
            "service": service.pk,
            "month": month.isoformat(),
            "amount": str(amount),
            "working": working,
            "replaces": open_one.pk if open_one else None,
        },
    )
    return credit, True
