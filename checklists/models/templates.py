"""Checklist templates and their versions: editing makes a new version; runs keep the steps they were built
from."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.log import record
from checklists.models.states import StepKind, StepRefused


class ChecklistTemplate(models.Model):
    """One version of a checklist. Editing makes a new version; runs keep the steps they were built from."""

    slug = models.SlugField(max_length=64)
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [models.UniqueConstraint(fields=["slug", "version"], name="template_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @classmethod
    def latest(cls, slug: str) -> ChecklistTemplate:
        return cls.objects.filter(slug=slug).order_by("-version").first()

    @classmethod
    def publish(cls, *, slug: str, title: str, steps: list[dict[str, Any]], description: str = "", by=None):
        """A new version of the template `slug` with these steps; earlier versions and their runs stay as they are."""
        with transaction.atomic():
            previous = cls.objects.select_for_update().filter(slug=slug).order_by("-version").first()
            template = cls.objects.create(
                slug=slug,
                title=title,
                description=description,
                version=(previous.version + 1) if previous else 1,
            )
            StepTemplate.objects.bulk_create(
                StepTemplate(template=template, position=i, **step) for i, step in enumerate(steps, start=1)
            )
            record("checklist_template.published", actor=by, obj=template, payload={"steps": len(steps)})
        return template

    # --- revising -------------------------------------------------------------------------------------

    # What a revision may add by hand: destructive steps come only from a window's targets.
    ADDABLE = (StepKind.INSTRUCTION, StepKind.IDENTITY_CHECK, StepKind.HOLD_POINT, StepKind.CUSTOMER_UPDATE)

    @staticmethod
    def may_publish(user) -> bool:
        """Approvers (and admins) change checklists: they are what every runbook is built from."""
        return has_role(user, Role.APPROVER) or has_role(user, Role.ADMIN)

    def as_steps(self) -> list[dict[str, Any]]:
        fields = [
            "kind",
            "title",
            "instructions",
            "target_role",
            "show_neighbours",
            "check_serial",
            "is_rollback",
        ]
        return list(self.steps.order_by("position").values(*fields, "message"))

    def revise(
        self,
        *,
        by,
        why: str,
        add: dict[str, Any] | None = None,
        after: int | None = None,
        remove: int | None = None,
    ) -> ChecklistTemplate:
        """A new version: this one's steps with one added after position `after` (0: first), or the step at
        `remove` taken out. Only the latest version is revised; runbooks already built keep their steps."""
        why = (why or "").strip()
        if not self.may_publish(by):
            raise StepRefused("Only an approver changes a checklist.")
        if not why:
            raise StepRefused("Say why the checklist changes (the debrief's action, for example).")
        steps = self.as_steps()
        if add is not None:
            if add.get("kind") not in self.ADDABLE:
                raise StepRefused("Add an instruction, an identity check, a hold point or a customer update.")
            if not (add.get("title") or "").strip():
                raise StepRefused("Give the new step a title.")
            if add["kind"] == StepKind.CUSTOMER_UPDATE and not (add.get("message") or "").strip():
                raise StepRefused("Write the words customers get: a customer update never sends nothing.")
            if after is None or not 0 <= after <= len(steps):
                raise StepRefused(f"Put the new step after a step from 0 to {len(steps)}.")
            if add["kind"] == StepKind.IDENTITY_CHECK and not add.get("target_role"):
                add = {**add, "target_role": "*"}  # an identity check is about the targets
            steps.insert(
                after, {"show_neighbours": False, "check_serial": False, "is_rollback": False, **add}
            )
        elif remove is not None:
            if not 1 <= remove <= len(steps):
                raise StepRefused(f"There is no step {remove}.")
            gone = steps[remove - 1]
            if gone["kind"] == StepKind.DESTRUCTIVE:
                raise StepRefused("The two-person destructive step stays: it is what the checklist is for.")
            puts_back = [s for s in steps if s["is_rollback"] and s["target_role"]]
            if gone["is_rollback"] and gone["target_role"] and len(puts_back) == 1:
                raise StepRefused(
                    "The last rollback step that puts a target back stays: without it, no way back."
                )
            del steps[remove - 1]
        else:
            raise StepRefused("Add a step or take one out.")
        with transaction.atomic():
            # Lock the versions, then look again: a version committed while this waited is seen by the second
            # read (PostgreSQL's first read decided which rows to lock before the wait).
            list(ChecklistTemplate.objects.select_for_update().filter(slug=self.slug))
            latest = ChecklistTemplate.objects.filter(slug=self.slug).order_by("-version").first()
            if latest.pk != self.pk:
                raise StepRefused(f"{latest} has been published since: revise the latest version.")
            fresh = ChecklistTemplate.publish(
                slug=self.slug, title=self.title, description=self.description, steps=steps, by=by
            )
            record(
                "checklist_template.revised",
                actor=by,
                obj=fresh,
                payload={"from": self.version, "why": why[:2000], "added": add or {}, "removed": remove},
            )
        return fresh


class StepTemplate(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    title = models.CharField(
        max_length=200, help_text="May name the bound asset as {asset} and action as {action}"
    )
    instructions = models.TextField(blank=True)
    # Which of the run's bound assets the step is about: "" for none, "*" for every target, or an action
    # ("unplug", "power_off"...) for the targets with that action. One step is made per bound asset.
    target_role = models.CharField(max_length=40, blank=True)
    show_neighbours = models.BooleanField(default=False, help_text="List nearby assets as DO NOT TOUCH")
    # An identity check may ask for the chassis serial too (a label audit does); destructive steps always do.
    check_serial = models.BooleanField(default=False)
    is_rollback = models.BooleanField(default=False)
    message = models.TextField(blank=True, help_text="For customer updates: the message posted")

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="step_template_position_unique"),
            models.CheckConstraint(condition=Q(kind__in=StepKind.values), name="step_template_kind_valid"),
            # A destructive step without a target would be a signature on nothing.
            models.CheckConstraint(
                condition=~Q(kind=StepKind.DESTRUCTIVE) | ~Q(target_role=""),
                name="destructive_template_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"
