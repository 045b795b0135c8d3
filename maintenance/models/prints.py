"""A big runbook on paper: its PDF (or its as-run record's) made by the worker, not in the request.

A runbook of up to LOCKSTEP_PDF_STEPS_IN_REQUEST steps is printed as it is fetched (a GET that writes nothing).
A bigger one takes WeasyPrint ten seconds and more, so it is asked for with a POST that makes one PrintJob and
writes one audit event; the worker (`maintenance.tasks`) makes the PDF, saying which stage it has reached, and
keeps it here, where the job's page offers it to the person who asked. Fetching it is a read that changes
nothing. The same request sent again (a double tap, a retry after a lost reply) carries the same form key and
finds the same job.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from audit.log import record
from checklists.idempotency import KEY_RE
from maintenance.models.windows import Window, WindowRefused

PRINT_FILES_KEPT = timedelta(days=7)
# A job that has not moved for this long is probably waiting for a worker that is not running.
PRINT_JOB_QUIET = timedelta(minutes=2)


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
    CLEARED = "cleared", "Cleared"  # ready once; its file was dropped after PRINT_FILES_KEPT


# The worker's stages, in order: the page counts them ("stage 2 of 3") as well as naming them.
STAGES = (PrintStatus.GATHERING, PrintStatus.LAYING_OUT, PrintStatus.WRITING)
UNFINISHED = (PrintStatus.QUEUED, *STAGES)


class PrintJob(models.Model):
    """One PDF of a window's runbook or as-run record, made by the worker for the person who asked."""

    # The form's idempotency key, the window and the document, hashed: the same request sent again finds this.
    request_key = models.CharField(max_length=64)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="print_jobs")
    document = models.CharField(max_length=10, choices=Document.choices)
    steps = models.PositiveIntegerField()  # the runbook's length when asked: what makes it a big print
    status = models.CharField(max_length=12, choices=PrintStatus.choices, default=PrintStatus.QUEUED)
    # The moment the worker read the window's record: the document shows the work as it stood then.
    as_of = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)  # the runbook version it was made from
    pages = models.PositiveIntegerField(null=True, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    error = models.CharField(max_length=1000, blank=True)
    moved_at = models.DateTimeField(null=True, blank=True)  # the worker's last word on it
    finished_at = models.DateTimeField(null=True, blank=True)

    files_kept_days = PRINT_FILES_KEPT.days
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
    def finished(self) -> bool:
        return self.status not in UNFINISHED

    @property
    def stage_number(self) -> int:
        """How many of the worker's stages it has begun: 0 while it waits, 3 while it writes the file."""
        return STAGES.index(self.status) + 1 if self.status in STAGES else 0

    @property
    def seems_stuck(self) -> bool:
        return not self.finished and timezone.now() - (self.moved_at or self.requested_at) > PRINT_JOB_QUIET

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
        if not KEY_RE.match(form_key or ""):
            raise UnclearPrintRequest(
                "This request carries no valid form key, so nothing was asked for. Reload the page."
            )
        return hashlib.sha256(f"{form_key} {window.pk} {document}".encode()).hexdigest()

    @classmethod
    def ask(cls, window: Window, *, by, document: Document, form_key: str) -> PrintJob:
        """Queue the PDF of `document` for the worker and log the asking; the job already made for this request,
        or the one of `by`'s still being made for the same document, when there is one. WindowRefused, in
        words, when there is nothing to print or `by` may not read it."""
        from maintenance.runbook_pdf import require_printable
        from maintenance.tasks import make_print

        if not window.may_read_runbook(by):
            raise WindowRefused("Only the people on this window and the desk read its runbook.")
        key = cls.request_key_for(form_key, window, document)
        mine = cls.objects.defer("pdf").filter(requested_by=by)
        asked_before = mine.filter(request_key=key).first()
        if asked_before is not None:
            return asked_before
        require_printable(window, as_run=document == Document.AS_RUN)
        # Asked for again in another tab while the worker is still at it: the same file is coming.
        being_made = mine.filter(window=window, document=document, status__in=UNFINISHED).first()
        if being_made is not None and not being_made.seems_stuck:
            return being_made
        # One the worker stopped moving on (it died mid-way) is never handed back: a new one is made.
        job = cls(
            request_key=key, requested_by=by, window=window, document=document, steps=window.run.steps.count()
        )
        try:
            with transaction.atomic():
                cls.clear_old_files()
                job.save()
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
                # In the same transaction: the task row and the job are committed together, or neither is.
                make_print.enqueue(job.pk)
        except IntegrityError:
            # The same request, sent twice at once: the first to commit made the job; this one answers with it.
            asked_before = mine.filter(request_key=key).first()
            if asked_before is None:
                raise
            return asked_before
        return job

    # --- the worker's side -------------------------------------------------------------------------------

    @classmethod
    def claim(cls, pk: int) -> PrintJob | None:
        """Queued → gathering, under the row's lock: of two workers handed the same job, one makes it. The
        moment of the claim is the moment the document describes (`as_of`)."""
        with transaction.atomic():
            job = cls.objects.select_for_update().defer("pdf").filter(pk=pk).first()
            if job is None or job.status != PrintStatus.QUEUED:
                return None
            job.status = PrintStatus.GATHERING
            job.as_of = job.moved_at = timezone.now()
            job.save(update_fields=["status", "as_of", "moved_at"])
        return job

    def report_stage(self, stage: PrintStatus, *, pages: int | None = None) -> None:
        """The renderer's word on how far it has come; nothing once the job has finished another way."""
        self.status, self.pages = stage, pages if pages is not None else self.pages
        PrintJob.objects.filter(pk=self.pk, status__in=STAGES).update(
            status=stage, pages=self.pages, moved_at=timezone.now()
        )

    def finish(self, pdf: bytes, *, version: int, filename: str) -> None:
        with transaction.atomic():
            job = PrintJob.objects.select_for_update().defer("pdf").get(pk=self.pk)
            if job.finished:
                return
            job.status, job.pdf, job.version, job.filename = PrintStatus.READY, pdf, version, filename[:200]
            job.moved_at = job.finished_at = timezone.now()
            job.save(update_fields=["status", "pdf", "version", "filename", "moved_at", "finished_at"])
            record(
                "print.rendered",
                obj=job,
                payload={
                    "job": job.pk,
                    "requested_by": job.requested_by.get_username(),
                    "window": job.window.reference,
                    "document": job.document,
                    "version": version,
                    "pages": job.pages,
                    "as_of": job.as_of.isoformat() if job.as_of else None,
                },
            )

    def fail(self, error: str) -> None:
        with transaction.atomic():
            job = PrintJob.objects.select_for_update().defer("pdf").get(pk=self.pk)
            if job.finished:
                return
            job.status, job.error = PrintStatus.FAILED, error[:1000]
            job.moved_at = job.finished_at = timezone.now()
            job.save(update_fields=["status", "error", "moved_at", "finished_at"])
            record(
                "print.failed",
                obj=job,
                payload={
                    "job": job.pk,
                    "requested_by": job.requested_by.get_username(),
                    "window": job.window.reference,
                    "document": job.document,
                    "error": job.error,
                },
            )

    @classmethod
    def clear_old_files(cls, now: datetime | None = None) -> int:
        """Drop the PDFs made more than PRINT_FILES_KEPT ago: the job and its audit events stay, and the
        document is asked for again from the window's page if it is wanted."""
        cutoff = (now or timezone.now()) - PRINT_FILES_KEPT
        return cls.objects.filter(status=PrintStatus.READY, finished_at__lt=cutoff).update(
            status=PrintStatus.CLEARED, pdf=None
        )
