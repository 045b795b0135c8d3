"""The debrief page: the questions (what and how, never who), the timeline and the impact from the record, and
the actions that change the next runbook."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.roles import Role, role_required
from checklists.idempotency import idempotent
from checklists.models import ChecklistTemplate
from debriefs import reports
from debriefs.models import (
    QUESTIONS,
    REPORT_PARTS,
    ActionItem,
    ActionState,
    Debrief,
    DebriefRefused,
    ReportAudience,
)
from incidents.forms import source_from
from incidents.models import Incident
from lockstep.dates import refuse_unlikely_date
from lockstep.forms import IdChoiceField
from lockstep.http import HtmxHttpRequest
from maintenance.models import Window

HOLDERS = (Role.COORDINATOR, Role.APPROVER)


class AnswersForm(forms.Form):
    form = forms.CharField(widget=forms.HiddenInput, initial="answers")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, (label, question) in QUESTIONS.items():
            self.fields[name] = forms.CharField(
                label=label,
                help_text=question,
                required=False,
                max_length=10_000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )


class ActionForm(forms.Form):
    form = forms.CharField(widget=forms.HiddenInput, initial="action")
    what = forms.CharField(max_length=500, label="What will change")
    owner = IdChoiceField(queryset=get_user_model().objects.none(), label="Owner")
    due = forms.DateField(
        label="Due", widget=forms.DateInput(attrs={"type": "date"}), validators=[refuse_unlikely_date]
    )
    template = IdChoiceField(
        queryset=ChecklistTemplate.objects.none(),
        required=False,
        label="Checklist it changes (optional)",
        help_text="Done when a newer version of it is published: the lesson is in the next runbook.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        people = get_user_model().objects.filter(is_active=True, groups__name__in=[r.value for r in Role])
        self.fields["owner"].queryset = people.distinct().order_by("username")
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        latest = {}
        for template in ChecklistTemplate.objects.order_by("slug", "-version"):
            latest.setdefault(template.slug, template.pk)
        self.fields["template"].queryset = ChecklistTemplate.objects.filter(pk__in=latest.values())


@role_required(*HOLDERS)
def debrief_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every debrief, newest first, and the actions still open, the overdue first and the viewer's own marked."""
    debriefs_ = list(
        Debrief.objects.select_related("window", "incident").annotate(
            open_actions=Count("actions", filter=Q(actions__state=ActionState.OPEN))
        )[:200]
    )
    actions = list(
        ActionItem.objects.filter(state=ActionState.OPEN)
        .select_related("owner", "template", "debrief__window", "debrief__incident")
        .order_by("due", "pk")[:500]
    )
    context = {"debriefs": debriefs_, "actions": actions, "today": timezone.localdate()}
    return render(request, "debriefs/debriefs.html", context)


class ReportForm(forms.Form):
    form = forms.CharField(widget=forms.HiddenInput, initial="report")
    audience = forms.ChoiceField(choices=ReportAudience.choices, label="Who reads it")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, label in REPORT_PARTS.items():
            self.fields[name] = forms.CharField(
                label=label,
                max_length=200 if name == "title" else 10_000,
                widget=forms.TextInput() if name == "title" else forms.Textarea(attrs={"rows": 3}),
            )


@require_POST
@role_required(*HOLDERS)
@idempotent
def debrief_open(request: HtmxHttpRequest) -> HttpResponse:
    subject = source_from(request.POST)
    if subject is None:
        return HttpResponse("Name the incident or the window to debrief.", status=400)
    try:
        debrief = Debrief.open_for(subject, by=request.user)
    except DebriefRefused as refused:
        return HttpResponse(refused.reason, status=403)
    return redirect(debrief)


@role_required(*HOLDERS)
def debrief_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The page; a POST (one of its forms) acts once per key: a retried post gets the first answer again."""
    return _debrief_once(request, pk) if request.method == "POST" else _debrief(request, pk)


def _debrief(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    debrief = get_object_or_404(
        Debrief.objects.select_related("window__site", "incident__site", "incident__window"), pk=pk
    )
    chosen = request.POST.get("form") if request.method == "POST" else None
    answers = AnswersForm(
        request.POST if chosen == "answers" else None,
        initial={name: getattr(debrief, name) for name in QUESTIONS},
    )
    action = ActionForm(request.POST if chosen == "action" else None)
    entries = reports.timeline(debrief)
    numbers = reports.impact(debrief, entries)
    report = ReportForm(
        request.POST if chosen == "report" else None,
        initial=debrief.report_draft(reports.impact_words(numbers)),
    )
    bound = {"answers": answers, "action": action, "report": report}.get(chosen)
    if bound is not None and bound.is_valid():
        data = bound.cleaned_data
        try:
            if chosen == "answers":
                changed = debrief.write(by=request.user, answers={name: data[name] for name in QUESTIONS})
                done = (
                    f"Saved: {', '.join(QUESTIONS[n][0].lower() for n in changed)}."
                    if changed
                    else "No change."
                )
            elif chosen == "report":
                published = debrief.publish_report(
                    by=request.user,
                    parts={name: data[name] for name in REPORT_PARTS},
                    audience=data["audience"],
                )
                done = f"Report published (revision {published.revision}): it is on the status pages now."
            else:
                debrief.add_action(
                    by=request.user,
                    what=data["what"],
                    owner=data["owner"],
                    due=data["due"],
                    template=data["template"],
                )
                done = "Action added."
        except DebriefRefused as refused:
            bound.add_error(None, refused.reason)
        else:
            messages.success(request, done)
            return redirect(debrief)
    actions = list(debrief.actions.select_related("owner", "template", "done_with", "done_by"))
    for item in actions:
        item.closable = item.may_close(request.user)
    context = {
        "debrief": debrief,
        "subject": debrief.subject,
        "answers": answers,
        "action_form": action,
        "entries": entries,
        "impact": numbers,
        "report_form": report,
        "reports": list(debrief.reports.select_related("published_by")),
        "actions": actions,
        "zone": debrief.site.time_zone,
    }
    return render(request, "debriefs/debrief.html", context, status=400 if request.method == "POST" else 200)


_debrief_once = idempotent(_debrief)


@require_POST
@role_required(*HOLDERS)
@idempotent
def action_close(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ActionItem.objects.select_related("debrief", "template"), pk=pk)
    try:
        item.close(by=request.user)
    except DebriefRefused as refused:
        messages.error(request, refused.reason)
    else:
        messages.success(request, f"Done: {item.what}")
    return redirect(item.debrief)


@role_required(*HOLDERS)
def debrief_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Renders and writes nothing: a link followed from anywhere cannot put an event in the reader's name. The
    PDF carries the chain's head when it was made, which is what the archive needs to check it later."""
    debrief = get_object_or_404(
        Debrief.objects.select_related("window__site", "incident__site", "incident__window"), pk=pk
    )
    response = HttpResponse(reports.pdf(debrief), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{debrief.subject.reference}-debrief.pdf"'
    return response


def _hold_panel(request: HtmxHttpRequest, subject: Window | Incident, field: str) -> str:
    """The subject's debrief to open, or the button that holds it, for those who may."""
    debrief = Debrief.objects.filter(**{field: subject}).first() if Debrief.may_hold(request.user) else None
    if debrief is None and not Debrief.may_open(request.user, subject):
        return ""
    context = {"debrief": debrief, "subject": subject, "field": field}
    return render_to_string("debriefs/_hold.html", context, request=request)


def window_panel(request: HtmxHttpRequest, window: Window) -> str:
    """On a window's page (maintenance.panels), once its work began."""
    return _hold_panel(request, window, "window")


def incident_panel(request: HtmxHttpRequest, incident: Incident) -> str:
    """On an incident's page (incidents.panels)."""
    return _hold_panel(request, incident, "incident")
