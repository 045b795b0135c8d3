"""The status pages and their feeds: what customers see of maintenance, derived from the windows themselves.

A window is public once approved. Its public phase follows its transitions and its runbook's real progress,
never the clock: scheduled (approved), in progress (started), verifying (every planned cut is done and the
checks remain), completed, stopped (aborted and rolled back) or cancelled (after it was announced). The public
page names sites, never customers or their services; a customer's private page names only that customer's
services.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from audit.models import AuditEvent
from checklists.models import StepKind, StepStatus
from incidents.models import Impact, Incident, IncidentService, IncidentUpdate
from inventory.models import Customer, Service, Site
from lockstep.dates import zone_name
from maintenance.models import Window, WindowDecision, WindowStatus

HISTORY_DAYS = 90


class Phase:
    SCHEDULED = "Scheduled"
    IN_PROGRESS = "In progress"
    VERIFYING = "Verifying"
    COMPLETED = "Completed"
    STOPPED = "Stopped and rolled back"
    CANCELLED = "Cancelled"


OPEN_PHASES = (Phase.IN_PROGRESS, Phase.VERIFYING)


class Level:
    """A component's status; when several apply, the worst (the last of WORST_LAST) is shown."""

    OPERATIONAL = "Operational"
    MAINTENANCE = "Under maintenance"
    DEGRADED = "Degraded performance"
    PARTIAL = "Partial outage"
    MAJOR = "Major outage"


WORST_LAST = [Level.OPERATIONAL, Level.MAINTENANCE, Level.DEGRADED, Level.PARTIAL, Level.MAJOR]
IMPACT_LEVEL = {Impact.DEGRADED: Level.DEGRADED, Impact.PARTIAL: Level.PARTIAL, Impact.MAJOR: Level.MAJOR}


def worst(levels) -> str:
    return max(levels, key=WORST_LAST.index, default=Level.OPERATIONAL)


# Post-incident reports are written in debriefs, above this app: it hands the pages each incident's report as
# published to their readers (`customers`: a customer's own page, which also shows reports for customers only),
# through this hook, set in its AppConfig.ready. One query for all the incidents of a page.
ReportSource = Callable[..., dict[int, Any]]
_report_sources: list[ReportSource] = []


def register_reports(source: ReportSource) -> None:
    if source not in _report_sources:  # ready() may run twice: asked once
        _report_sources.append(source)


@dataclass
class PublicIncident:
    incident: Incident
    services: dict[int, datetime | None]  # service id -> restored at
    impacts: dict[int, str]  # service id -> impact
    updates: list[IncidentUpdate]
    report: Any = None  # the post-incident report (debriefs), newest revision, when published to this page

    @property
    def key(self) -> str:
        return f"incident-{self.incident.pk}"

    @property
    def restored(self) -> int:
        return sum(1 for at in self.services.values() if at is not None)

    def service_level(self, service_id: int) -> str:
        """What this incident does to one service now: its impact until it is restored."""
        hit = self.incident.is_open and service_id in self.services and self.services[service_id] is None
        return IMPACT_LEVEL[self.impacts[service_id]] if hit else Level.OPERATIONAL

    @property
    def level(self) -> str:
        """The worst it does to any service shown."""
        return worst(self.service_level(pk) for pk in self.services)


@dataclass
class Maintenance:
    window: Window
    phase: str
    services: frozenset[int]

    @property
    def key(self) -> str:
        return f"maintenance-{self.window.pk}"

    @property
    def title(self) -> str:
        return f"Maintenance at {self.window.site.name}"

    @property
    def summary(self) -> str:
        return self.window.customer_summary or "Planned maintenance."

    @property
    def is_open(self) -> bool:
        return self.phase in OPEN_PHASES or (self.phase == Phase.STOPPED and self.window.is_live)

    @property
    def upcoming(self) -> bool:
        return self.phase == Phase.SCHEDULED


@dataclass
class Component:
    site: Site
    level: str


@dataclass
class Board:
    """Everything a status page shows, loaded in a fixed number of queries, with its validators."""

    components: list[Component]
    maintenance: list[Maintenance]
    services: list[Service]
    incidents: list[PublicIncident]
    last_modified: datetime
    etag: str

    @property
    def open_incidents(self) -> list[PublicIncident]:
        return [i for i in self.incidents if i.incident.is_open]

    @property
    def past_incidents(self) -> list[PublicIncident]:
        return [i for i in self.incidents if not i.incident.is_open]

    @property
    def upcoming(self) -> list[Maintenance]:
        return [m for m in self.maintenance if m.upcoming]

    @property
    def open(self) -> list[Maintenance]:
        return [m for m in self.maintenance if m.is_open]

    @property
    def history(self) -> list[Maintenance]:
        return sorted(
            (m for m in self.maintenance if not m.upcoming and not m.is_open),
            key=lambda m: m.window.planned_start,
            reverse=True,
        )

    @property
    def level(self) -> str:
        return worst(c.level for c in self.components)


def _phase(window: Window) -> str | None:
    if window.status == WindowStatus.APPROVED:
        return Phase.SCHEDULED
    if window.status == WindowStatus.IN_PROGRESS:
        return Phase.VERIFYING if window.run_id and window.cuts_left == 0 else Phase.IN_PROGRESS
    if window.status == WindowStatus.COMPLETED:
        return Phase.COMPLETED
    if window.status == WindowStatus.ABORTED:
        return Phase.STOPPED
    if window.status == WindowStatus.CANCELLED and window.was_approved:
        return Phase.CANCELLED
    return None


def public_windows(now: datetime):
    """Windows customers have been told of, from the last 90 days on: one query."""
    cuts_left = Count(
        "run__steps",
        filter=Q(run__steps__kind=StepKind.DESTRUCTIVE, run__steps__is_rollback=False)
        & ~Q(run__steps__status=StepStatus.COMPLETE),
    )
    approved = WindowDecision.objects.filter(window=OuterRef("pk"), decision=WindowDecision.Decision.APPROVED)
    return (
        Window.objects.public()
        .filter(planned_end__gte=now - timedelta(days=HISTORY_DAYS))
        .select_related("site", "run")
        .annotate(cuts_left=cuts_left, was_approved=Exists(approved))
        .order_by("planned_start", "pk")
    )


def board(
    *, customer: Customer | None = None, site: Site | None = None, now: datetime | None = None
) -> Board:
    """The public board (every site), one site's, or one customer's (only its services, and only the
    maintenance that touches them)."""
    now = now or timezone.now()
    # Read first: a change committed while the page is being read then moves the validators past this
    # reading, so the next request sees new ones, never a 304 for what this one missed.
    latest = AuditEvent.objects.order_by("-seq").values_list("seq", "created_at").first() or (0, None)
    windows = public_windows(now)
    if site is not None:
        windows = windows.filter(site=site)
    services: list[Service] = []
    if customer is not None:
        services = list(Service.objects.filter(customer=customer).order_by("name"))
    mine = {s.pk for s in services}
    maintenance = []
    for window in windows:
        phase = _phase(window)
        if phase is None:
            continue
        touched = frozenset(window.run.approved_services if window.run_id else [])
        if customer is not None and not touched & mine:
            continue
        maintenance.append(Maintenance(window, phase, touched))
    incidents = _incidents(now, site=site, mine=mine if customer is not None else None)
    sites = [site] if site is not None else list(Site.objects.order_by("name"))
    if customer is not None:
        touched_sites = {m.window.site_id for m in maintenance} | {i.incident.site_id for i in incidents}
        sites = [s for s in sites if s.pk in touched_sites]
    components = []
    for each in sites:
        levels = (
            [Level.MAINTENANCE] if any(m.window.site_id == each.pk and m.is_open for m in maintenance) else []
        )
        levels += [i.level for i in incidents if i.incident.site_id == each.pk and i.incident.is_open]
        components.append(Component(each, worst(levels)))
    horizon = now - timedelta(days=HISTORY_DAYS)
    # The last moment something left the 90 days shown (one query each): that changed the page too.
    left = [
        Window.objects.filter(planned_end__lt=horizon).aggregate(at=Max("planned_end"))["at"],
        Incident.objects.filter(resolved_at__lt=horizon).aggregate(at=Max("resolved_at"))["at"],
    ]
    passed = [at + timedelta(days=HISTORY_DAYS) for at in left if at is not None]
    validators = _validators(maintenance, incidents, latest, passed, now)
    return Board(components, maintenance, services, incidents, *validators)


def _incidents(now: datetime, *, site: Site | None, mine: set[int] | None) -> list[PublicIncident]:
    """Open incidents and those resolved in the last 90 days, with their services and updates: three queries.
    `mine`: only incidents touching these services (a customer's page), showing only these services."""
    found = Incident.objects.filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=now - timedelta(days=HISTORY_DAYS))
    )
    if site is not None:
        found = found.filter(site=site)
    if mine is not None:
        found = found.filter(affected__service__in=mine).distinct()
    found = found.select_related("site").prefetch_related(
        Prefetch("affected", queryset=IncidentService.objects.order_by("pk")),
        Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-created_at", "-pk")),
    )
    result = []
    for incident in found.order_by("-started_at", "-pk"):
        shown = [row for row in incident.affected.all() if mine is None or row.service_id in mine]

        result.append(
            PublicIncident(
                incident,
                {row.service_id: row.restored_at for row in shown},
                {row.service_id: row.impact for row in shown},
                list(incident.updates.all()),
            )
        )
    if result:  # one more query, only for a page with incidents
        for reports in _report_sources:
            shown = reports([i.incident.pk for i in result], customers=mine is not None)
            for each in result:
                each.report = shown.get(each.incident.pk)
    return result


def service_level(board: Board, service: Service) -> str:
    levels = [Level.MAINTENANCE for m in board.maintenance if m.is_open and service.pk in m.services]
    levels += [i.service_level(service.pk) for i in board.open_incidents]
    return worst(levels)


def _validators(
    maintenance: list[Maintenance],
    incidents: list[PublicIncident],
    latest: tuple[int, datetime | None],
    horizon_passed: list[datetime],
    now: datetime,
) -> tuple[datetime, str]:
    """Last-Modified and ETag. Every change of state is an audit event, so the newest event's time is never
    earlier than a change a page shows (a conservative bound: an unrelated event also moves it); the only
    other thing that changes a page is the clock passing a window's start or end, or something leaving the
    90 days shown. The ETag also names what is shown, so any difference in content is a different tag."""
    seq, at = latest
    passed = [
        moment
        for m in maintenance
        for moment in (m.window.planned_start, m.window.planned_end)
        if moment <= now
    ]
    last = max([*passed, *horizon_passed, *([at] if at else [])], default=now)
    # Whole seconds, rounded up: HTTP dates have no fraction, and rounding down would claim a change is older.
    if last.microsecond:
        last = last.replace(microsecond=0) + timedelta(seconds=1)
    shown = ",".join(
        [f"{m.key}:{m.phase}" for m in maintenance]
        + [
            f"{i.key}:{i.incident.state}:{i.restored}:{sorted(i.impacts.items())}:{i.report.pk if i.report else 0}"
            for i in incidents
        ]
    )
    etag = hashlib.sha256(f"{seq}|{last.isoformat()}|{shown}".encode()).hexdigest()[:32]
    return last, f'"{etag}"'


# --- feeds -------------------------------------------------------------------------------------------------


def changed_at(m: Maintenance) -> datetime:
    return m.window.status_changed_at


def atom(board: Board, *, title: str, link: str, feed_url: str) -> str:

    feed = Atom1Feed(title=title, link=link, description=title, feed_url=feed_url, language="en")
    for m in sorted(board.maintenance, key=changed_at, reverse=True):
        start, end = m.window.local_start, m.window.local_end
        when = f"{start:%a %d %b %Y %H:%M} to {end:%a %d %b %Y %H:%M} ({zone_name(start)})"
        feed.add_item(
            title=f"{m.title}: {m.phase}",
            link=f"{link}#{m.key}",
            description=f"{m.phase}. {when}. {m.summary}",
            unique_id=f"{link}#{m.key}",
            unique_id_is_permalink=False,
            pubdate=m.window.submitted_at or m.window.created_at,
            updateddate=changed_at(m),
        )
    return feed.writeString("utf-8")


def _ical_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """RFC 5545: lines of at most 75 octets, continued with a space, never splitting a character."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def ical(board: Board, *, name: str, host: str, now: datetime | None = None) -> str:

    now = now or timezone.now()

    def utc(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Lockstep//Status page//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_ical_text(name)}",
    ]
    for m in board.maintenance:
        w = m.window
        lines += [
            "BEGIN:VEVENT",
            f"UID:{m.key}@{host}",
            f"DTSTAMP:{utc(now)}",
            f"DTSTART:{utc(w.planned_start)}",
            f"DTEND:{utc(w.planned_end)}",
            # A calendar keeps the copy with the higher sequence: a cancellation must outrank the announcement.
            f"SEQUENCE:{w.submission + (1 if m.phase == Phase.CANCELLED else 0)}",
            f"LAST-MODIFIED:{utc(changed_at(m))}",
            f"SUMMARY:{_ical_text(f'{m.title} ({m.phase})')}",
            f"DESCRIPTION:{_ical_text(m.summary)}",
            f"LOCATION:{_ical_text(w.site.name)}",
            f"STATUS:{'CANCELLED' if m.phase == Phase.CANCELLED else 'CONFIRMED'}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def as_json(board: Board, *, with_services: bool = False) -> dict:
    def maintenance(m: Maintenance) -> dict:
        return {
            "id": m.key,
            "title": m.title,
            "phase": m.phase,
            "site": m.window.site.code,
            "starts": m.window.planned_start.isoformat(),
            "ends": m.window.planned_end.isoformat(),
            "time_zone": m.window.site.time_zone,
            "summary": m.summary,
        }

    data = {
        "status": board.level,
        "updated": board.last_modified.isoformat(),
        "components": [{"id": c.site.code, "name": c.site.name, "status": c.level} for c in board.components],
        "open": [maintenance(m) for m in board.open],
        "upcoming": [maintenance(m) for m in board.upcoming],
        "history": [maintenance(m) for m in board.history],
    }
    if with_services:
        data["services"] = [{"name": str(s), "status": service_level(board, s)} for s in board.services]
    return data
