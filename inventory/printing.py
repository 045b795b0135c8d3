"""Asking for labels: who may print which, and whether the request renders them or the worker does.

A print is a POST that makes one LabelJob and writes one audit event. Up to LOCKSTEP_LABELS_IN_REQUEST labels
are rendered in that request; a bigger print waits for the worker (`inventory.tasks`), and its page shows how
far it has come. Either way the PDF is kept on the job, so fetching it (a reload, a second tab, a link) is a
plain read that changes nothing. The same request sent again (a double click, a retry after a lost reply)
carries the same form key and gets the same job: it never prints, queues or logs twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from audit.log import record
from inventory import render_jobs
from inventory.labels import LabelFormat, LabelRefused, ordered, render_labels
from inventory.models import Device, LabelJob, LabelJobStatus, Rack, Tag, TagQuerySet, TagStatus
from inventory.tasks import render_label_job

MAX_LABELS = 2000
SKIPPED_KEPT = 200  # codes of labels left out that a print's audit event names (all of them are counted)


class LabelsForbidden(LabelRefused):
    """Refused for who asked, not for what they asked."""


class UnclearPrintRequest(LabelRefused):
    """A request that does not say clearly what to print, or that it is a request made by our form."""


def request_key(form_key: str, path: str, fields: Iterable[tuple[str, str]]) -> str:
    """One print request's identity: the key its form carried and everything it asked for. The same form sent
    again is the same request; the same page used again for another sheet (another format, other devices)
    is another request, though its form key is the same."""
    asked = sorted((name, value) for name, value in fields if name not in ("idem", "csrfmiddlewaretoken"))
    return render_jobs.request_key(
        form_key,
        json.dumps([form_key, path, asked]),
        refusal=UnclearPrintRequest(
            "This print request carries no valid form key, so nothing was printed. Reload the page."
        ),
    )


def print_labels(
    scope: TagQuerySet,
    *,
    by,
    key: str,
    label_format: str,
    reprint: bool,
    title: str,
    filename: str,
    about: Rack | Device | None = None,
) -> LabelJob:
    """Print the labels of the live tags in `scope`: by default only those not yet applied; with `reprint`,
    an approver's second copies of labels already on their assets too. Returns the job, ready or queued;
    LabelRefused (LabelsForbidden for who asked, UnclearPrintRequest for what) when nothing may be printed."""
    if not Tag.may_label_assets(by):
        raise LabelsForbidden("Only a tech or an approver prints labels.")
    asked_before = LabelJob.asked_before(by, key)
    if asked_before is not None:
        return asked_before
    try:
        fmt = LabelFormat(label_format)
    except ValueError:
        raise UnclearPrintRequest("Unknown label format.") from None
    if reprint and not Tag.may_reprint_labels(by):
        raise LabelsForbidden(
            "Only an approver prints a second copy of a label already on its asset. "
            "If a label is damaged, ask them to reissue its tag."
        )
    # The labels left out because they are already applied: counted, and the first codes kept for the record.
    applied = scope.none() if reprint else scope.filter(status=TagStatus.ACTIVE)
    skipped_count = applied.count()
    skipped = (
        list(applied.order_by("short_code").values_list("short_code", flat=True)[:SKIPPED_KEPT])
        if skipped_count
        else []
    )
    tags = ordered(scope if reprint else scope.exclude(status=TagStatus.ACTIVE), limit=MAX_LABELS)
    if not tags and skipped_count:
        raise LabelRefused(
            f"All {skipped_count} labels here are already on their assets (active tags), so none were "
            "printed: a second copy of a live label is how labels end up on the wrong device. An "
            "approver can reprint them; a damaged label's tag is reissued instead."
        )
    if not tags:
        raise LabelRefused("There are no tags to print here. Issue tags for the devices and ports first.")
    job = LabelJob(
        request_key=key,
        requested_by=by,
        title=title[:200],
        filename=filename[:200],
        rack=about if isinstance(about, Rack) else None,
        device=about if isinstance(about, Device) else None,
        label_format=fmt.value,
        tag_ids=[tag.pk for tag in tags],
        left_out=skipped_count,
        total=len(tags),
        in_worker=len(tags) > settings.LOCKSTEP_LABELS_IN_REQUEST,
    )
    if not job.in_worker:
        # Rendered before the transaction: a few seconds of WeasyPrint must not hold the database's write lock.
        job.pdf = render_labels(tags, fmt)
        job.status, job.done, job.finished_at = LabelJobStatus.READY, job.total, timezone.now()

    def then(job: LabelJob) -> None:
        record(
            "labels.queued" if job.in_worker else "labels.printed",
            actor=by,
            obj=about,
            payload={
                "job": job.pk,
                "format": fmt.value,
                "count": len(tags),
                "tags": [tag.short_code for tag in tags],
                "reprinted": [tag.short_code for tag in tags if tag.status == TagStatus.ACTIVE],
                "not_printed_already_applied": skipped,
                "not_printed_count": skipped_count,
            },
        )
        if job.in_worker:
            render_label_job.enqueue(job.pk)

    return LabelJob.save_asked(job, then)
