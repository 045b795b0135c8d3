"""A big runbook on paper: its PDF (or its as-run record's) made by the worker, not in the request.

A runbook of up to LOCKSTEP_PDF_STEPS_IN_REQUEST steps is printed as it is fetched (a GET that writes nothing).
A bigger one takes WeasyPrint ten seconds and more, so it is asked for with a POST that makes one PrintJob and
writes one audit event; the worker (`maintenance.tasks`) makes the PDF, saying which stage it has reached, and
keeps it here, where the job's page offers it to the person who asked. Fetching it is a read that changes
nothing. The same request sent again (a double tap, a retry after a lost reply) carries the same form key and
finds the same job.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.dispatch import Signal
from django.urls import reverse

from audit.log import record
from inventory import render_jobs
from inventory.render_jobs import RenderJob
from maintenance.models.windows import Window, WindowRefused

# A job that has not moved for this long is probably waiting for a worker that is not running.
PRINT_JOB_QUIET = render_jobs.QUIET


# Sent inside the transaction that made a new job (sender=PrintJob, job=): maintenance/tasks.py queues the
# worker's task for it, so this model never imports the tasks that import it.
print_asked = Signal()


class UnclearPrintRequest(WindowRefused):
    """A request that does not show it came from our form: refused for how it was asked, not for what."""


class Document(models.TextChoices):
    RUNBOOK = "runbook", "Runbook"
    AS_RUN = "as_run", "As-run record"


class PrintStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    GATHERING = "gathering", "Gathering the record"
    LAYING_OUT = "laying_out", "Laying out the pages"
    WRITING = "writing", "Writing the PDF"
    READY = "ready", "Ready"
    FAILED = "failed", "Not made"
    CLEARED = "cleared", "Cleared"  # ready once; its file was dropped after LOCKSTEP_RENDER_JOB_DAYS


# The worker's stages, in order: the page counts them ("stage 2 of 3") as well as naming them.
STAGES = (PrintStatus.GATHERING, PrintStatus.LAYING_OUT, PrintStatus.WRITING)
UNFINISHED = (PrintStatus.QUEUED, *STAGES)


class PrintJob(RenderJob):
    """One PDF of a window's runbook or as-run record, made by the worker for the person who asked
    (`inventory.render_jobs`)."""

    Status = PrintStatus
    STAGES = STAGES
    RENDERED_EVENT = "print.rendered"
    FAILED_EVENT = "print.failed"

    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="print_jobs")
    document = models.CharField(max_length=10, choices=Document.choices)
    steps = models.PositiveIntegerField()  # the runbook's length when asked: what makes it a big print
    status = models.CharField(max_length=12, choices=PrintStatus.choices, default=PrintStatus.QUEUED)
    # The moment the worker read the window's record: the document shows the work as it stood then.
    as_of = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)  # the runbook version it was made from
    pages = models.PositiveIntegerField(null=True, blank=True)
    filename = models.CharField(max_length=200, blank=True)

    stage_count = len(STAGES)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["requested_by", "request_key"], name="one_print_job_per_request"),
            models.CheckConstraint(condition=Q(status__in=PrintStatus.values), name="print_job_status_valid"),
            models.CheckConstraint(
                condition=Q(document__in=Document.values), name="print_job_document_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=PrintStatus.READY) | Q(pdf__isnull=False), name="print_job_ready_has_pdf"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_document_display().lower()} of {self.window.reference}"

    def get_absolute_url(self) -> str:
        return reverse("maintenance:print_job", args=[self.pk])

    @property
    def as_run(self) -> bool:
        return self.document == Document.AS_RUN

    @property
    def stage_number(self) -> int:
        """How many of the worker's stages it has begun: 0 while it waits, 3 while it writes the file."""
        return STAGES.index(self.status) + 1 if self.status in STAGES else 0

    # --- the rules ---------------------------------------------------------------------------------------

    @staticmethod
    def made_in_worker(window: Window) -> bool:
        """A runbook longer than LOCKSTEP_PDF_STEPS_IN_REQUEST steps is too slow to print in a request: its PDFs
        (the runbook and the as-run record) are asked for with a POST and made by the worker."""
        return window.run_id is not None and window.run.steps.count() > settings.LOCKSTEP_PDF_STEPS_IN_REQUEST

    def may_download(self, user) -> bool:
        """Only the person who asked sees a print's progress and fetches its PDF, and only while they may still
        read the window's runbook (`Window.may_read_runbook`, which is `Run.may_view`)."""
        return user.pk == self.requested_by_id and self.window.may_read_runbook(user)

    # --- asking ------------------------------------------------------------------------------------------

    @staticmethod
    def request_key_for(form_key: str, window: Window, document: Document) -> str:
        """One request's identity: the key its form carried, for this window's this document. The same form
        sent again is the same request; the key sent to another window or document is another one."""
        return render_jobs.request_key(
            form_key,
            f"{form_key} {window.pk} {document}",
            refusal=UnclearPrintRequest(
                "This request carries no valid form key, so nothing was asked for. Reload the page."
            ),
        )

    @classmethod
    def ask(cls, window: Window, *, by, document: Document, form_key: str) -> PrintJob:
        """Queue the PDF of `document` for the worker and log the asking; the job already made for this request,
        or the one of `by`'s still being made for the same document, when there is one. WindowRefused, in
        words, when there is nothing to print or `by` may not read it."""
        if not window.may_read_runbook(by):
            raise WindowRefused("Only the people on this window and the desk read its runbook.")
        key = cls.request_key_for(form_key, window, document)
        asked_before = cls.asked_before(by, key)
        if asked_before is not None:
            return asked_before
        window.require_printable(as_run=document == Document.AS_RUN)
        # Asked for again in another tab while the worker is still at it: the same file is coming.
        being_made = (
            cls.objects.defer("pdf")
            .filter(requested_by=by, window=window, document=document, status__in=UNFINISHED)
            .first()
        )
        if being_made is not None and not being_made.seems_stuck:
            return being_made
        # One the worker stopped moving on (it died mid-way) is never handed back: a new one is made.
        job = cls(
            request_key=key, requested_by=by, window=window, document=document, steps=window.run.steps.count()
        )

        def then(job: PrintJob) -> None:
            record(
                "print.asked",
                actor=by,
                obj=job,
                payload={
                    "job": job.pk,
                    "window": window.reference,
                    "document": job.document,
                    "steps": job.steps,
                },
            )
            # In the same transaction: the task row (queued by maintenance/tasks.py) and the job are committed
            # together, or neither is.
            print_asked.send(sender=cls, job=job)

        return cls.save_asked(job, then)

    # --- the worker's side -------------------------------------------------------------------------------

    def claimed(self) -> list[str]:
        """The moment of the claim is the moment the document describes (`as_of`)."""
        self.as_of = self.moved_at
        return ["as_of"]

    def audit_facts(self) -> dict[str, Any]:
        return {"window": self.window.reference, "document": self.document}

    def rendered_facts(self) -> dict[str, Any]:
        return {
            **self.audit_facts(),
            "version": self.version,
            "pages": self.pages,
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }

    def report_stage(self, stage: PrintStatus, *, pages: int | None = None) -> None:
        """The renderer's word on how far it has come; nothing once the job has finished another way."""
        self.status, self.pages = stage, pages if pages is not None else self.pages
        self.moved(status=stage, pages=self.pages)

    def finish(self, pdf: bytes, *, version: int, filename: str) -> None:
        super().finish(pdf, version=version, filename=filename[:200])
