"""The worker's side of a big print: rendering a label job's sheets, and clearing the old files of every kind of
print once a day. Run by `manage.py db_worker`, never in a request."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from inventory.labels import LabelFormat, LabelRefused, labels_in_order, render_labels
from inventory.models import LabelJob
from inventory.render_jobs import clear_old_files_of_every_kind


@task()
def render_label_job(job_id: int) -> str:
    job = LabelJob.claim(job_id)
    if job is None:
        return "nothing to do"
    keep_clearing(first_run=timezone.now() + CLEARING_EVERY)  # a worker that makes PDFs keeps them cleared
    return job.make(
        lambda: render_labels(
            labels_in_order(job.tag_ids), LabelFormat(job.label_format), progress=job.report_progress
        ),
        refusal=LabelRefused,
        failure="The labels could not be made: {problem}. Print them again; if it fails again, tell an admin.",
    )


CLEARING_EVERY = timedelta(days=1)


@task()
def clear_render_job_files() -> dict[str, int]:
    """The daily clearing (`inventory.render_jobs`): the old PDFs of every kind of job dropped, then the next
    day's run queued, unless one is waiting already."""
    try:
        return clear_old_files_of_every_kind()
    finally:  # a failed clearing still leaves tomorrow's queued, or the chain would end here
        keep_clearing(first_run=timezone.now() + CLEARING_EVERY)


def keep_clearing(*, first_run: datetime | None = None) -> bool:
    """Make sure a clearing is waiting in the queue (the next at `first_run`, or as soon as a worker is free):
    called at every start and by every print the worker makes (so an install that never ran `--schedule` starts
    clearing with its first print), so it must not stack a copy. Whether it queued one.

    Two callers at the very same moment may each queue one; the first to run then sees the other waiting and
    queues no successor, so the copies fold back into one within a day."""
    with transaction.atomic():
        waiting = DBTaskResult.objects.filter(
            task_path=clear_render_job_files.module_path, status=TaskResultStatus.READY
        ).exists()
        if waiting:
            return False
        clear_render_job_files.using(run_after=first_run).enqueue()
    return True
