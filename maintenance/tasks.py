"""Notices that wait for a time: reminders before a window starts, and the overrun check at its planned end.
Each is queued with `run_after` when the window is approved, and checks when it runs that it still applies.
And the PDF of a big runbook (or its as-run record), made here rather than in the request that asked for it.

The models say when to queue them (`window_approved`, `print_asked`, sent inside the change's transaction);
the receivers below queue them, so the task rows commit with the change or not at all. The models never import
this module, which imports them: MaintenanceConfig.ready() connects it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task

from comms.models import NoticeKind
from comms.notices import notices_about
from inventory.tasks import CLEARING_EVERY, keep_clearing
from maintenance import runbook_pdf, window_notices
from maintenance.models import PrintJob, Window, WindowRefused, WindowStatus
from maintenance.models.prints import print_asked
from maintenance.models.windows import window_approved

logger = logging.getLogger(__name__)


def _locked(window_id: int) -> Window | None:
    """The window's row locked (not its run's: the run is read, never changed, by a notice), or None."""
    return (
        Window.objects.select_for_update(of=("self",))
        .select_related("site", "run")
        .filter(pk=window_id)
        .first()
    )


@task()
def remind(window_id: int, planned_start: str) -> str:
    with transaction.atomic():
        window = _locked(window_id)
        # Moved, cancelled or already started since: this reminder no longer tells the truth.
        if window is None or window.status != WindowStatus.APPROVED:
            return "not approved any more"
        if window.planned_start != datetime.fromisoformat(planned_start):
            return "moved"
        window_notices.tell(window, NoticeKind.REMINDER)
    return "reminded"


@task()
def check_overrun(window_id: int, planned_end: str) -> str:
    """At the planned end: work still open (in progress, or rolling back) is announced as running late."""
    with transaction.atomic():
        window = _locked(window_id)
        if window is None or window.planned_end != datetime.fromisoformat(planned_end):
            return "moved"
        if not window.is_live:
            return "not running"
        if notices_about(window).filter(kind=NoticeKind.OVERRUN).exists():
            return "already announced"
        window_notices.tell(window, NoticeKind.OVERRUN)
    return "announced"


@task()
def make_print(job_id: int) -> str:
    """A print job's PDF, stage by stage, kept on the job for the person who asked (maintenance.models.prints)."""
    job = PrintJob.claim(job_id)
    if job is None:
        return "nothing to do"
    keep_clearing(first_run=timezone.now() + CLEARING_EVERY)  # a worker that makes PDFs keeps them cleared
    window = job.window
    return job.make(
        lambda: runbook_pdf.render_runbook_pdf(
            window, as_run=job.as_run, now=job.as_of, progress=job.report_stage
        ),
        refusal=WindowRefused,
        failure=f"The {job.get_document_display().lower()} could not be made: {{problem}}. "
        "Ask for it again from the window's page; if it fails again, tell an admin.",
        version=window.submission,
        filename=runbook_pdf.pdf_filename(window, as_run=job.as_run),
    )


# --- queued when the models say so ---------------------------------------------------------------------


@receiver(window_approved, dispatch_uid="maintenance_queue_window_checks")
def queue_window_checks(sender, *, window: Window, **kwargs) -> None:
    """Approved: reminded before the start (each lead time still ahead), and checked for an overrun at the
    planned end."""
    now = timezone.now()
    start = window.planned_start.isoformat()
    for minutes in settings.LOCKSTEP_REMINDER_MINUTES:
        at = window.planned_start - timedelta(minutes=minutes)
        if at > now:
            remind.using(run_after=at).enqueue(window.pk, start)
    check_overrun.using(run_after=window.planned_end).enqueue(window.pk, window.planned_end.isoformat())


@receiver(print_asked, dispatch_uid="maintenance_queue_print")
def queue_print(sender, *, job: PrintJob, **kwargs) -> None:
    make_print.enqueue(job.pk)
