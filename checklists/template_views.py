"""Checklist templates on the desk: every version and its steps, and a new version made by adding a step or
taking one out (what a debrief's action asks for). Runbooks already built keep the steps they were built from."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.roles import Role, role_required
from checklists.models import ChecklistTemplate, StepKind, StepRefused
from lockstep.http import HtmxHttpRequest

READERS = (Role.APPROVER, Role.COORDINATOR, Role.ADMIN, Role.TECH)


class AddStepForm(forms.Form):
    form = forms.CharField(widget=forms.HiddenInput, initial="add")
    kind = forms.ChoiceField(
        choices=[(k.value, k.label) for k in map(StepKind, ChecklistTemplate.ADDABLE)], label="Kind of step"
    )
    title = forms.CharField(
        max_length=200, label="Title", help_text="May name the target as {asset} and the work as {action}."
    )
    instructions = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Instructions",
        help_text="May name the target as {asset}, the work as {action}, and what the techs should see once it "
        "is done (down, or back up) as {afterwards}.",
    )
    message = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="For a customer update: the words customers get",
    )
    check_serial = forms.BooleanField(
        required=False, label="An identity check asks for the chassis serial too"
    )
    after = forms.IntegerField(min_value=0, max_value=10_000, label="Put it after step (0: first)")
    why = forms.CharField(max_length=2000, label="Why (the debrief's action, for example)")


class RemoveStepForm(forms.Form):
    form = forms.CharField(widget=forms.HiddenInput, initial="remove")
    position = forms.IntegerField(min_value=1, max_value=10_000)
    why = forms.CharField(max_length=2000, label="Why")


@role_required(*READERS)
def template_list(request: HtmxHttpRequest) -> HttpResponse:
    latest: dict[str, ChecklistTemplate] = {}
    for template in ChecklistTemplate.objects.order_by("slug", "-version"):
        latest.setdefault(template.slug, template)
    return render(request, "checklists/templates.html", {"templates": list(latest.values())})


@role_required(*READERS)
def template_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(ChecklistTemplate, pk=pk)
    latest = ChecklistTemplate.latest(template.slug)
    chosen = request.POST.get("form") if request.method == "POST" else None
    add = AddStepForm(request.POST if chosen == "add" else None, initial={"after": 0})
    remove = RemoveStepForm(request.POST if chosen == "remove" else None)
    bound = {"add": add, "remove": remove}.get(chosen)
    if bound is not None and not ChecklistTemplate.may_publish(request.user):
        return HttpResponse("Only an approver changes a checklist.", status=403)
    if bound is not None and bound.is_valid():
        data = bound.cleaned_data
        try:
            if chosen == "add":
                step = {
                    name: data[name] for name in ("kind", "title", "instructions", "message", "check_serial")
                }
                fresh = template.revise(by=request.user, why=data["why"], add=step, after=data["after"])
            else:
                fresh = template.revise(by=request.user, why=data["why"], remove=data["position"])
        except StepRefused as refused:
            bound.add_error(None, refused.reason)
        else:
            messages.success(request, f"Published {fresh}: runbooks built from now on follow it.")
            return redirect("checklists:template", pk=fresh.pk)
    context = {
        "template": template,
        "latest": latest,
        "steps": template.steps.order_by("position"),
        "versions": ChecklistTemplate.objects.filter(slug=template.slug).order_by("-version"),
        "may_publish": latest.pk == template.pk and ChecklistTemplate.may_publish(request.user),
        "add_form": add,
        "remove_form": remove,
        "runs": template.runs.order_by("-created_at")[:20],
    }
    return render(request, "checklists/template.html", context, status=400 if bound is not None else 200)
