"""The worker's side of a big print: rendering a label job's sheets. Run by `manage.py db_worker`, never in a
request."""

from __future__ import annotations

import logging

from django_tasks import task

from inventory.labels import LabelFormat, LabelRefused, labels_in_order, render_labels
from inventory.models import LabelJob
from lockstep.failures import renderer_failure

logger = logging.getLogger(__name__)


@task()
def render_label_job(job_id: int) -> str:
    job = LabelJob.claim(job_id)
    if job is None:
        return "nothing to do"
    try:
        tags = labels_in_order(job.tag_ids)
        pdf = render_labels(tags, LabelFormat(job.label_format), progress=job.report_progress)
    except LabelRefused as refusal:
        job.fail(refusal.reason)
        return "refused"
    except Exception as problem:  # whatever breaks the renderer is this job's failure, said on its page
        logger.exception("Label job %s failed", job.pk)  # its words to the log only: they can quote anything
        job.fail(
            f"The labels could not be made: {renderer_failure(problem)}. Print them again; if it fails again, "
            "tell an admin."
        )
        return "failed"
    job.finish(pdf)
    return "ready"
