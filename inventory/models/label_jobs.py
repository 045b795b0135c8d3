"""Label jobs: a print of label sheets asked for, rendered in the request or by the worker, and fetched by
whoever asked."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.urls import reverse

from inventory import render_jobs
from inventory.models.devices import Device
from inventory.models.sites import Rack
from inventory.models.tags import Tag


class LabelJobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Not printed"
    CLEARED = "cleared", "Cleared"  # ready once; its file was dropped after LOCKSTEP_RENDER_JOB_DAYS


# A job that has not moved for this long is probably waiting for a worker that is not running.
LABEL_JOB_QUIET = render_jobs.QUIET


class LabelJob(render_jobs.RenderJob):
    """One print of label sheets: who asked, for which tags, and the PDF once it is made.

    Made by the POST that asks for the labels (`inventory.printing.print_labels`), which writes its audit event.
    A small print is rendered there and then; a big one waits for the worker (`inventory.tasks`), which
    reports how far it has come. The PDF is kept here, in the database, where every app server and every worker
    reach it, so fetching it is a plain read that changes nothing, and only the person who asked may
    (`inventory.render_jobs`)."""

    Status = LabelJobStatus
    STAGES = (LabelJobStatus.RENDERING,)
    RENDERED_EVENT = "labels.rendered"
    FAILED_EVENT = "labels.render_failed"

    title = models.CharField(max_length=200)  # what is printed, in words: "rack A01 (LAX1)"
    filename = models.CharField(max_length=200)
    rack = models.ForeignKey(Rack, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    label_format = models.CharField(max_length=20)
    tag_ids = models.JSONField(default=list)  # in print order
    left_out = models.PositiveIntegerField(default=0)  # labels already on their assets, not printed
    in_worker = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=LabelJobStatus.choices, default=LabelJobStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["requested_by", "request_key"], name="one_label_job_per_request"),
            models.CheckConstraint(
                condition=Q(status__in=LabelJobStatus.values), name="label_job_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")), name="label_job_done_within_total"
            ),
            models.CheckConstraint(
                condition=~Q(status=LabelJobStatus.READY) | Q(pdf__isnull=False),
                name="label_job_ready_has_pdf",
            ),
        ]

    def __str__(self) -> str:
        return f"labels for {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:label_job", args=[self.pk])

    @property
    def about(self) -> Rack | Device | None:
        return self.rack or self.device

    def may_download(self, user) -> bool:
        """Only the person who asked sees a print's progress and fetches its PDF, and only while they still
        print labels: the sheet may hold a second copy of a live label."""
        return user.pk == self.requested_by_id and Tag.may_label_assets(user)

    def rendered_facts(self) -> dict[str, Any]:
        return {"count": self.total}

    def report_progress(self, done: int) -> None:
        self.moved(done=min(done, self.total))

    def finish(self, pdf: bytes) -> None:
        super().finish(pdf, done=self.total)
