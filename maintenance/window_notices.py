"""What a window's transitions tell its customers: the window asks, comms writes and queues.

(comms/notices.py writes any notice and queues its messages; this module words the ones about a window.)

Each function is called by the window's own method, inside its transaction, so a notice exists exactly when
the change it reports does. The services are the window's approved blast radius (set at approval, and the
same list the run-time interlock holds the work to)."""

from __future__ import annotations

from datetime import datetime

from django.utils.dateformat import format as date_format

from comms.models import NoticeKind
from comms.notices import announce, notices_about
from lockstep.dates import zone_name


def _local(window, moment: datetime) -> str:
    shown = window.local(moment)
    return f"{date_format(shown, 'D j M Y, H:i')} ({zone_name(shown)})"


def service_ids(window) -> list[int]:
    if window.run_id and window.run.approved_services:
        return list(window.run.approved_services)
    return sorted(window.services_at_risk())


def values(window, **more: str) -> dict[str, str]:
    return {
        "reference": window.reference,
        # The window's own title is internal (device names, rack positions): customers read the summary.
        "title": f"Maintenance at {window.site.name}",
        "site": window.site.name,
        "start": _local(window, window.planned_start),
        "end": _local(window, window.planned_end),
        "summary": window.customer_summary or "Planned maintenance.",
        "services": "your services listed below",
        **more,
    }


def tell(window, kind: str, *, by=None, **more: str):
    return announce(
        kind,
        services=service_ids(window),
        values=values(window, **more),
        about=window,
        site=window.site,
        reference=window.reference,
        by=by,
    )


def was_announced(window) -> bool:
    return notices_about(window).filter(kind=NoticeKind.SCHEDULED).exists()


def scheduled(window, *, by) -> None:
    """Approved: told now. The reminders before the start and the overrun check at the planned end are queued
    by maintenance/tasks.py, on the same approval."""
    tell(window, NoticeKind.SCHEDULED, by=by)


def started(window, *, by) -> None:
    tell(window, NoticeKind.STARTED, by=by)


def completed(window, *, by) -> None:
    tell(window, NoticeKind.COMPLETED, by=by)


def aborted(window, *, by) -> None:
    tell(window, NoticeKind.ROLLED_BACK, by=by)


def cancelled(window, *, by) -> None:
    """Only customers who were told it was coming are told it is not."""
    if was_announced(window):
        tell(window, NoticeKind.CANCELLED, by=by)
