"""The coordinator's credits: proposed from an incident or a window, reviewed with the arithmetic shown,
adjusted with a reason, approved, marked issued, and exported for billing."""

from __future__ import annotations

import csv
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.roles import Role, role_required
from audit.log import record
from checklists.idempotency import idempotent
from credits import downtime
from credits.models import Credit, CreditRefused, CreditState
from incidents.forms import source_from
from incidents.models import Incident
from lockstep.converters import as_id
from lockstep.http import HtmxHttpRequest
from maintenance.models import Window

STATES = [("open", "To review"), *CreditState.choices, ("all", "All")]


def _credits(state: str, source: str):
    found = Credit.objects.select_related(
        "service__customer", "plan", "incident", "window", "decided_by", "issued_by", "proposed_by"
    )
    if state == "open":
        found = found.filter(state__in=[CreditState.PROPOSED, CreditState.APPROVED])
    elif state in CreditState.values:
        found = found.filter(state=state)
    kind, _, number = source.partition("-")
    if (pk := as_id(number)) is not None:
        if kind == "INC":
            found = found.filter(incident_id=pk)
        elif kind == "CHG":
            found = found.filter(window_id=pk)
    return found.order_by("-month", "service__customer__name", "service__name", "-pk")


@role_required(Role.COORDINATOR)
def credit_list(request: HtmxHttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    state = state if state in dict(STATES) else "open"
    source = request.GET.get("for", "")[:24]
    credits = list(_credits(state, source)[:500])
    for credit in credits:  # what this coordinator is offered on each: the credit's own rules, asked here
        credit.offers = {
            "adjust": credit.may_adjust(request.user),
            "approve": credit.may_approve(request.user),
            "issue": credit.may_issue(request.user),
        }
    totals: dict[str, Decimal] = {}
    for credit in credits:
        if credit.state != CreditState.WITHDRAWN:
            totals[credit.currency] = totals.get(credit.currency, Decimal(0)) + credit.amount
    context = {
        "credits": credits,
        "states": STATES,
        "state": state,
        "source": source,
        "totals": sorted(totals.items()),
        "export": reverse("credits:credit_export") + f"?state={state}" + (f"&for={source}" if source else ""),
    }
    return render(request, "credits/credits.html", context)


@require_POST
@role_required(Role.COORDINATOR)
@idempotent
def credit_propose(request: HtmxHttpRequest) -> HttpResponse:
    source = source_from(request.POST)
    if source is None:
        return HttpResponse("Name the incident or the window to propose credits for.", status=400)
    try:
        proposal = downtime.propose(source, by=request.user)
    except CreditRefused as refused:
        return HttpResponse(refused.reason, status=403)
    said = [f"{len(proposal.credits)} credit(s) proposed for {source.reference}"]
    if proposal.unchanged:
        said.append(f"{len(proposal.unchanged)} already proposed and unchanged")
    if proposal.no_downtime:
        said.append(f"{len(proposal.no_downtime)} service(s) had no downtime on record")
    if proposal.no_plan:
        names = ", ".join(str(s) for s in proposal.no_plan[:5])
        more = f" and {len(proposal.no_plan) - 5} more" if len(proposal.no_plan) > 5 else ""
        said.append(f"no SLA plan for {names}{more}: nothing proposed for them")
    messages.success(request, "; ".join(said) + ".")
    return redirect(reverse("credits:credits") + f"?for={source.reference}")


class AdjustForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal(0))
    reason = forms.CharField(max_length=2000)


class IssueForm(forms.Form):
    reference = forms.CharField(max_length=100, required=False)


@require_POST
@role_required(Role.COORDINATOR)
@idempotent
def credit_action(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    credit = get_object_or_404(Credit.objects.select_related("service", "plan"), pk=pk)
    back = request.POST.get("back", "")
    back = back if back.startswith("/credits/") and "//" not in back else reverse("credits:credits")
    try:
        if action == "adjust":
            form = AdjustForm(request.POST)
            if not form.is_valid():
                problems = "; ".join(f"{e}" for errors in form.errors.values() for e in errors)
                messages.error(request, f"{credit}: not adjusted. {problems}")
                return redirect(back)
            credit.adjust(
                by=request.user, amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"]
            )
            messages.success(request, f"{credit}: now {credit.amount} {credit.currency}.")
        elif action == "approve":
            credit.approve(by=request.user)
            messages.success(request, f"{credit}: approved, {credit.amount} {credit.currency}.")
        elif action == "issue":
            form = IssueForm(request.POST)
            if not form.is_valid():
                messages.error(
                    request, f"{credit}: not marked issued. The reference is at most 100 characters."
                )
                return redirect(back)
            credit.mark_issued(by=request.user, reference=form.cleaned_data["reference"])
            messages.success(request, f"{credit}: marked issued.")
        else:
            return HttpResponse("No such action on a credit.", status=404)
    except CreditRefused as refused:
        messages.error(request, f"{credit}: {refused.reason}")
    except (InvalidOperation, ValueError):
        messages.error(request, f"{credit}: that is not an amount.")
    return redirect(back)


# Spreadsheet programs run a cell that starts with one of these as a formula: such text is written with a
# leading apostrophe, which they show as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell(value) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@role_required(Role.COORDINATOR)
def credit_export(request: HtmxHttpRequest) -> HttpResponse:
    state = request.GET.get("state", "approved")
    state = state if state in dict(STATES) else "approved"
    source = request.GET.get("for", "")[:24]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="lockstep-credits-{state}-{stamp}.csv"'
    out = csv.writer(response)
    out.writerow(
        [
            "credit",
            "customer",
            "service",
            "month",
            "plan",
            "state",
            "amount",
            "currency",
            "percent",
            "downtime_minutes",
            "excluded_minutes",
            "for",
            "working",
            "adjust_reason",
            "approved_by",
            "issued_at",
            "issued_reference",
        ]
    )
    record("credits.exported", actor=request.user, payload={"state": state, "for": source})
    for c in _credits(state, source).iterator():
        out.writerow(
            cell(value)
            for value in (
                c.pk,
                c.service.customer.name,
                c.service.name,
                f"{c.month:%Y-%m}",
                c.plan.name,
                c.state,
                c.amount,
                c.currency,
                c.percent,
                c.down_seconds // 60,
                c.excluded_seconds // 60,
                c.incident.reference if c.incident_id else c.window.reference if c.window_id else "",
                c.working,
                c.adjust_reason,
                c.decided_by.get_username() if c.decided_by_id else "",
                c.issued_at.isoformat() if c.issued_at else "",
                c.issued_reference,
            )
        )
    return response


def window_panel(request: HtmxHttpRequest, window: Window) -> str:
    """On a window's page (maintenance.panels): its downtime's credits, proposed by a coordinator once work began."""
    if not Credit.may_propose(request.user, window):
        return ""
    return render_to_string("credits/_propose_for_window.html", {"window": window}, request=request)


def incident_panel(request: HtmxHttpRequest, incident: Incident) -> str:
    """On an incident's page (incidents.panels): credits for the affected services, from the downtime on record."""
    if not Credit.may_propose(request.user, incident):
        return ""
    return render_to_string("credits/_propose_for_incident.html", {"incident": incident}, request=request)
