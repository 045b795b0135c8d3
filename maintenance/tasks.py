"""Notices that wait for a time: reminders before a window starts, and the overrun check at its planned end.
Each is queued with `run_after` when the window is approved, and checks when it runs that it still applies.
And the PDF of a big runbook (or its as-run record), made here rather than in the request that asked for it."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django_tasks import task

from comms.models import NoticeKind
from lockstep.failures import renderer_failure
from maintenance import notices
from maintenance.models import PrintJob, Window, WindowRefused, WindowStatus

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
        notices.tell(window, NoticeKind.REMINDER)
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
        if notices.notices_about(window).filter(kind=NoticeKind.OVERRUN).exists():
            return "already announced"
        notices.tell(window, NoticeKind.OVERRUN)
    return "announced"


@task()
def make_print(job_id: int) -> str:
    """A print job's PDF, stage by stage, kept on the job for the person who asked (maintenance.models.prints)."""
    from maintenance.runbook_pdf import pdf_filename, render_runbook_pdf

    job = PrintJob.claim(job_id)
    if job is None:
        return "nothing to do"
    window = job.window
    try:
        pdf = render_runbook_pdf(window, as_run=job.as_run, now=job.as_of, progress=job.report_stage)
    except WindowRefused as refusal:
        job.fail(refusal.reason)
        return "refused"
    except Exception as problem:  # whatever breaks the renderer is this job's failure, said on its page
        logger.exception("Print job %s failed", job.pk)  # its words to the log only: they can quote anything
        job.fail(
            f"The {job.get_document_display().lower()} could not be made: {renderer_failure(problem)}. "
            "Ask for it again from the window's page; if it fails again, tell an admin."
        )
        return "failed"
    job.finish(pdf, version=window.submission, filename=pdf_filename(window, as_run=job.as_run))
    return "ready"
