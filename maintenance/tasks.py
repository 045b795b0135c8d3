"""Notices that wait for a time: reminders before a window starts, and the overrun check at its planned end.
Each is queued with `run_after` when the window is approved, and checks when it runs that it still applies."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django_tasks import task

from comms.models import NoticeKind
from maintenance import notices
from maintenance.models import Window, WindowStatus


@task()
def remind(window_id: int, planned_start: str) -> str:
    with transaction.atomic():
        window = (
            Window.objects.select_for_update(of=("self",))
            .select_related("site", "run")
            .filter(pk=window_id)
            .first()
        )
        # Moved, cancelled or already started since: this reminder no longer tells the truth.
        if window is None or window.status != WindowStatus.APPROVED:
            return "not approved any more"
        if window.planned_start != datetime.fromisoformat(planned_start):
            return "moved"
        notices.tell(window, NoticeKind.REMINDER)
    return "reminded"


@task()
def check_overrun(window_id: int, planned_end: str) -> str:
    """At the planned end: work still open (in progress, or rolling back) is announced as running late."""
    with transaction.atomic():
        window = (
            Window.objects.select_for_update(of=("self",))
            .select_related("site", "run")
            .filter(pk=window_id)
            .first()
        )
        if window is None or window.planned_end != datetime.fromisoformat(planned_end):
            return "moved"
        if not window.is_live:
            return "not running"
        if notices.notices_about(window).filter(kind=NoticeKind.OVERRUN).exists():
            return "already announced"
        notices.tell(window, NoticeKind.OVERRUN)
    return "announced"
