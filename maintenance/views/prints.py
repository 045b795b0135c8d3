"""The printed runbook and the as-run record: made as fetched when short, by the worker (a print job) when long."""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from accounts.roles import role_required
from inventory.render_jobs import job_for_asker, job_page, job_pdf
from lockstep.http import HtmxHttpRequest
from maintenance.models import (
    Document,
    PrintJob,
    PrintStatus,
    UnclearPrintRequest,
    Window,
    WindowRefused,
)
from maintenance.runbook_pdf import pdf_filename, render_runbook_pdf
from maintenance.views.shared import PLANNERS, get_window

# --- printed runbook and as-run record ------------------------------------------------------------------


def _pdf_or_refusal(request: HtmxHttpRequest, pk: int, *, as_run: bool) -> HttpResponse:
    """A short runbook's PDF, made as it is fetched. A long one's is made by the worker: a GET answers with
    the page that asks for it, and only the POST from that page (or the window's) asks, once per form."""
    window = get_window(request, pk)
    if not window.may_read_runbook(request.user):
        raise Http404("No such runbook for you.")
    document = Document.AS_RUN if as_run else Document.RUNBOOK
    try:
        if request.method == "POST":
            job = PrintJob.ask(
                window, by=request.user, document=document, form_key=request.POST.get("idem", "")
            )
            # 303: the browser fetches the job's page with a GET, which a reload repeats without asking again.
            return _SeeOther(job.get_absolute_url())
        window.require_printable(as_run=as_run)
        if PrintJob.made_in_worker(window):
            return _print_offer(request, window, document)
        pdf = render_runbook_pdf(window, as_run=as_run)
    except WindowRefused as refusal:
        context = {"window": window, "reason": refusal.reason, "as_run": as_run}
        status = 400 if isinstance(refusal, UnclearPrintRequest) else 409
        return render(request, "maintenance/runbook_pdf_refused.html", context, status=status)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf_filename(window, as_run=as_run)}"'
    return response


def _print_offer(request: HtmxHttpRequest, window: Window, document: Document) -> HttpResponse:
    """What a GET of a long runbook's PDF address answers: the button that asks the worker for it, and the
    asker's latest print of it. Reads only."""
    latest = (
        PrintJob.objects.defer("pdf")
        .filter(requested_by=request.user, window=window, document=document)
        .exclude(status=PrintStatus.CLEARED)
        .first()
    )
    context = {"window": window, "document": document, "latest": latest, "steps": window.run.steps.count()}
    context["as_run"] = document == Document.AS_RUN
    return render(request, "maintenance/print_offer.html", context)


class _SeeOther(HttpResponseRedirect):
    status_code = 303


@role_required(*PLANNERS)
def runbook_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The runbook to print before the window: DRAFT on every page until it is approved."""
    return _pdf_or_refusal(request, pk, as_run=False)


@role_required(*PLANNERS)
def as_run_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The as-run record: the runbook filled in from what happened, once the window has started."""
    return _pdf_or_refusal(request, pk, as_run=True)


def _print_jobs():
    return PrintJob.objects.select_related("window__site", "window__run")


@role_required(*PLANNERS)
@vary_on_headers("HX-Request")
def print_job(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A big runbook's print: its progress, then its download. Polled by htmx, or refreshed by hand. Only
    its asker sees it, while they may still read the runbook."""
    job = job_for_asker(request, _print_jobs(), pk)
    return job_page(request, job, "maintenance/print_job.html", "print-status", window=job.window)


@role_required(*PLANNERS)
def print_job_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The finished PDF: a read, as often as it is fetched, that writes nothing."""
    job = job_for_asker(request, _print_jobs(), pk, with_pdf=True)
    return job_pdf(job, job.filename)
