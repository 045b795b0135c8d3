"""A PDF made for the person who asked: one mechanism for label sheets (`inventory.models.LabelJob`) and big
runbooks (`maintenance.models.PrintJob`).

A POST asks for it, carrying its form's key: the same request sent again (a double tap, a retry after a lost
reply) finds the same job, and two sent at once are told apart by the unique (asker, request key) index. The
worker claims a queued job under its row's lock, says how far it has come, and finishes or fails it, each in one
audit event. The PDF is kept on the job, in the database every app server and worker reaches, so fetching it is
a read that changes nothing, and only the asker may. After LOCKSTEP_RENDER_JOB_DAYS days a daily task
(`inventory.tasks.clear_render_job_files`) drops the file, one audit event a file, and the job stays: its page
says the file was cleared and where to ask for it again. Every concrete subclass is cleared (`kinds`).

It lives here, not in `lockstep`, because its events go to the audit log, which `lockstep` sits below.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar, Self

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header

from audit.log import record
from lockstep.failures import renderer_failure
from lockstep.http import HtmxHttpRequest

logger = logging.getLogger(__name__)

# A job that has not moved for this long is probably waiting for a worker that is not running.
QUIET = timedelta(minutes=2)
FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def request_key(form_key: str, asked: str, *, refusal: Exception) -> str:
    """One request's identity: `asked` (its form's key and what it asked for, in words), hashed; `refusal`
    raised when the form's key is missing or malformed, so that nothing is asked for."""
    if not FORM_KEY.match(form_key or ""):
        raise refusal
    return hashlib.sha256(asked.encode()).hexdigest()


def files_kept() -> timedelta:
    """How long a made PDF is kept for its asker: LOCKSTEP_RENDER_JOB_DAYS."""
    return timedelta(days=settings.LOCKSTEP_RENDER_JOB_DAYS)


class RenderJob(models.Model):
    """A PDF made for whoever asked, in the request or by the worker. A subclass names its `Status` (with
    QUEUED, READY, FAILED and CLEARED), the `STAGES` a claimed job goes through (the first is where `claim`
    puts it), the audit events it writes, declares its `status` field, and says who may download it."""

    Status: ClassVar[type[models.TextChoices]]
    STAGES: ClassVar[tuple[str, ...]]
    RENDERED_EVENT: ClassVar[str]
    FAILED_EVENT: ClassVar[str]
    # One event for every kind: the clearing is this class's doing, and the event's object says which job.
    CLEARED_EVENT: ClassVar[str] = "pdf.cleared"

    # The form's idempotency key and what the form asked, hashed: the same request sent again finds this job.
    request_key = models.CharField(max_length=64)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    error = models.CharField(max_length=1000, blank=True)
    moved_at = models.DateTimeField(null=True, blank=True)  # the worker's last word on it
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    # Where it stands, asked by name so the job pages spell no status.
    @property
    def is_queued(self) -> bool:
        return self.status == self.Status.QUEUED

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def is_cleared(self) -> bool:
        """Ready once; its file was dropped after the days it is kept."""
        return self.status == self.Status.CLEARED

    @property
    def finished(self) -> bool:
        return self.status not in (self.Status.QUEUED, *self.STAGES)

    @property
    def files_kept_days(self) -> int:
        return files_kept().days

    @property
    def seems_stuck(self) -> bool:
        return not self.finished and timezone.now() - (self.moved_at or self.requested_at) > QUIET

    @property
    def polls(self) -> bool:
        """Whether its page asks again by itself: while the worker is at it, not once it has stopped moving
        (then the page says so and offers a refresh by hand, instead of polling for ever)."""
        return not self.finished and not self.seems_stuck

    def may_download(self, user) -> bool:
        raise NotImplementedError

    def audit_facts(self) -> dict[str, Any]:
        """What its audit events name besides the job and who asked."""
        return {}

    def rendered_facts(self) -> dict[str, Any]:
        """What the event of its finished PDF names besides the job and who asked."""
        return self.audit_facts()

    # --- asking ------------------------------------------------------------------------------------------

    @classmethod
    def asked_before(cls, by, key: str) -> Self | None:
        return cls.objects.defer("pdf").filter(requested_by=by, request_key=key).first()

    @classmethod
    def save_asked(cls, job: Self, then: Callable[[Self], None]) -> Self:
        """Save a new job and, in the same transaction, `then` (its audit event, its task): both are committed
        or neither is. The same request sent twice at once: the first to commit made the job, and the other is
        answered with it."""
        try:
            with transaction.atomic():
                job.save()
                then(job)
        except IntegrityError:
            asked_before = cls.asked_before(job.requested_by, job.request_key)
            if asked_before is None:
                raise
            return asked_before
        return job

    # --- the worker's side -------------------------------------------------------------------------------

    @classmethod
    def claim(cls, pk: int) -> Self | None:
        """Queued → its first stage, under the row's lock: of two workers handed the same job, one makes it."""
        with transaction.atomic():
            job = cls.objects.select_for_update().defer("pdf").filter(pk=pk).first()
            if job is None or job.status != cls.Status.QUEUED:
                return None
            job.status, job.moved_at = cls.STAGES[0], timezone.now()
            job.save(update_fields=["status", "moved_at", *job.claimed()])
        return job

    def claimed(self) -> list[str]:
        """What else a claim sets on the job, as the names of the fields it set."""
        return []

    def moved(self, **changes) -> None:
        """The renderer's word on how far it has come; nothing once the job has finished another way."""
        type(self).objects.filter(pk=self.pk, status__in=self.STAGES).update(
            moved_at=timezone.now(), **changes
        )

    def finish(self, pdf: bytes, **fields) -> None:
        with transaction.atomic():
            job = type(self).objects.select_for_update().defer("pdf").get(pk=self.pk)
            if job.status not in self.STAGES:
                return
            job.status, job.pdf = self.Status.READY, pdf
            for name, value in fields.items():
                setattr(job, name, value)
            job.moved_at = job.finished_at = timezone.now()
            job.save(update_fields=["status", "pdf", *fields, "moved_at", "finished_at"])
            record(self.RENDERED_EVENT, obj=job, payload={**job.asker_facts(), **job.rendered_facts()})

    def make(self, render: Callable[[], bytes], *, refusal: type[Exception], failure: str, **fields) -> str:
        """The worker's turn on a claimed job: `render` makes the PDF, and the job is finished with it (and
        `fields`). A `refusal` (with its `reason`, written for the asker) fails it in those words; anything else
        that breaks fails it with `failure`, whose `{problem}` is the renderer's failure in our words: its own
        words go to the log only, as they can quote anything. What happened, for the task's result."""
        try:
            pdf = render()
        except refusal as refused:
            self.fail(refused.reason)
            return "refused"
        except Exception as problem:
            logger.exception("%s %s failed", type(self).__name__, self.pk)
            self.fail(failure.format(problem=renderer_failure(problem)))
            return "failed"
        self.finish(pdf, **fields)
        return "ready"

    def fail(self, error: str) -> None:
        with transaction.atomic():
            job = type(self).objects.select_for_update().defer("pdf").get(pk=self.pk)
            if job.finished:
                return
            job.status, job.error = self.Status.FAILED, error[:1000]
            job.moved_at = job.finished_at = timezone.now()
            job.save(update_fields=["status", "error", "moved_at", "finished_at"])
            payload = {**job.asker_facts(), **job.audit_facts(), "error": job.error}
            record(self.FAILED_EVENT, obj=job, payload=payload)

    def asker_facts(self) -> dict[str, Any]:
        return {"job": self.pk, "requested_by": self.requested_by.get_username()}

    # --- clearing old files ------------------------------------------------------------------------------

    @staticmethod
    def kinds() -> list[type[RenderJob]]:
        """Every concrete kind of job, whichever app declares it: the clearing and the admin cover them all."""
        return [model for model in apps.get_models() if issubclass(model, RenderJob)]

    @classmethod
    def clear_old_files(cls, now: datetime | None = None) -> int:
        """Drop the PDFs made more than `files_kept()` ago, each under its row's lock with its audit event: the
        job and its earlier events stay, and the PDF is asked for again if it is wanted. How many were dropped."""
        now = now or timezone.now()
        old = cls.objects.filter(status=cls.Status.READY, finished_at__lt=now - files_kept())
        # The ids first, then one short transaction each: no cursor stays open over the writes.
        return sum(cls._clear_file(pk, now) for pk in list(old.values_list("pk", flat=True)))

    @classmethod
    def _clear_file(cls, pk: int, now: datetime) -> bool:
        with transaction.atomic():
            job = cls.objects.select_for_update().defer("pdf").filter(pk=pk).first()
            # Cleared by another run since the list was read (a second worker, the command by hand): left be.
            if job is None or not job.is_ready or job.finished_at >= now - files_kept():
                return False
            job.status, job.pdf = cls.Status.CLEARED, None
            job.save(update_fields=["status", "pdf"])
            payload = {
                **job.asker_facts(),
                **job.audit_facts(),
                "made_at": job.finished_at.isoformat(),
                "kept_days": job.files_kept_days,
            }
            record(cls.CLEARED_EVENT, obj=job, payload=payload)
        return True


def clear_old_files_of_every_kind(now: datetime | None = None) -> dict[str, int]:
    """`clear_old_files` for every kind of job: how many files each dropped, by the kind's name."""
    return {kind._meta.label: kind.clear_old_files(now) for kind in RenderJob.kinds()}


# --- the pages: the asker's alone --------------------------------------------------------------------------


def job_for_asker(request: HtmxHttpRequest, jobs: QuerySet, pk: int, *, with_pdf: bool = False) -> RenderJob:
    """The job, to the person who may download it; to anyone else, as if it did not exist. Its PDF is read
    only when it is fetched."""
    job = get_object_or_404(jobs if with_pdf else jobs.defer("pdf"), pk=pk)
    if not job.may_download(request.user):
        raise Http404("No such print of yours.")
    return job


def job_page(
    request: HtmxHttpRequest, job: RenderJob, template: str, partial: str, **context
) -> HttpResponse:
    """A job's progress, then its download: the whole page, or (to htmx polling it) its status partial."""
    return render(request, f"{template}#{partial}" if request.htmx else template, {"job": job, **context})


def job_pdf(job: RenderJob, filename: str, headers: dict[str, str] | None = None) -> HttpResponse:
    """The finished PDF, a read that writes nothing; the job's page while there is none to fetch."""
    if not job.is_ready:
        return redirect(job.get_absolute_url())
    response = HttpResponse(bytes(job.pdf), content_type="application/pdf")
    # A name may hold anything an import brought (quotes, newlines): Django encodes it.
    response["Content-Disposition"] = content_disposition_header(False, filename)
    # Kept by neither the browser's cache nor anything between: only the asker may fetch it.
    response["Cache-Control"] = "private, no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response
