"""Runs: checklists built from templates for real assets, opened for work and closed by whoever built them
(a window, a label audit); paused, held on a discrepancy, rolled back."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models, transaction
from django.db.models import Case, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone

from accounts.roles import DESK_ROLES, Role, has_role, roles_of
from audit.log import record
from checklists.live_checks import LiveCheck
from checklists.models.scans import StepScan
from checklists.models.states import Binding, RunMode, RunStatus, StepRefused, StepStatus
from checklists.models.steps import Step
from checklists.models.templates import ChecklistTemplate
from inventory.models import Discrepancy, DiscrepancyStatus


class Run(models.Model):
    title = models.CharField(max_length=250)
    site = models.ForeignKey("inventory.Site", on_delete=models.PROTECT, related_name="+")
    templates = models.ManyToManyField(ChecklistTemplate, related_name="runs")
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="checklist_runs")
    # Whoever asked for the work: like the people doing it, never the one who releases its hold points or
    # resolves its discrepancies.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Whoever put the work forward for approval (a window's submitter), when that is not the owner: like the
    # owner, never the one who oversees it.
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.READY)
    mode = models.CharField(max_length=10, choices=RunMode.choices, default=RunMode.NORMAL)
    hold_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The services whoever built the run agreed it may take down (a window's approved blast radius, as ids).
    # The run-time interlock refuses a cut that would take down any other, counting other runs' open cuts.
    approved_services = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="run_status_valid"),
            models.CheckConstraint(condition=Q(mode__in=RunMode.values), name="run_mode_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("checklists:run", args=[self.pk])

    # --- building ------------------------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        *,
        title: str,
        site,
        templates: list[ChecklistTemplate],
        bindings: list[Binding],
        people=(),
        owner=None,
        submitter=None,
        by=None,
    ) -> Run:
        """Steps from the templates, in order, each step template repeated for each asset its role binds."""
        with transaction.atomic():
            run = cls.objects.create(title=title[:250], site=site, owner=owner, submitter=submitter)
            run.templates.set(templates)
            run.people.set(people)
            steps: list[Step] = []
            position = 0
            for template in templates:
                for step_template in template.steps.order_by("position"):
                    role = step_template.target_role
                    if not role:
                        bound: list[Binding | None] = [None]
                    else:
                        bound = [b for b in bindings if role == "*" or b.action == role]
                        if not bound:
                            continue  # a step about assets this run has none of
                    for binding in bound:
                        position += 1
                        steps.append(Step.from_template(run, step_template, binding, position))
            Step.objects.bulk_create(steps)
            record(
                "run.built",
                actor=by,
                obj=run,
                payload={"steps": len(steps), "templates": [str(t) for t in templates]},
            )
        return run

    # --- opened and closed from above ------------------------------------------------------------------

    def _set(self, *, status: str, by, action: str, reason: str = "", mode: str | None = None) -> None:
        with transaction.atomic():
            run = Run.objects.select_for_update().get(pk=self.pk)
            run.status = status
            run.hold_reason = reason[:300]
            if mode:
                run.mode = mode
            run.save(update_fields=["status", "hold_reason", "mode"])
            record(action, actor=by, obj=run, payload={"reason": reason[:300], "mode": run.mode})
        self.status, self.hold_reason, self.mode = run.status, run.hold_reason, run.mode

    def open_for_work(self, *, by) -> None:
        self._set(status=RunStatus.ACTIVE, by=by, action="run.opened")

    # Its state as the pages say it, asked by name so no template spells a status.
    @property
    def is_active(self) -> bool:
        return self.status == RunStatus.ACTIVE

    @property
    def is_paused(self) -> bool:
        return self.status == RunStatus.PAUSED

    @property
    def is_held(self) -> bool:
        return self.status == RunStatus.HELD

    @property
    def is_closed(self) -> bool:
        return self.status == RunStatus.CLOSED

    @property
    def is_rolling_back(self) -> bool:
        return self.mode == RunMode.ROLLBACK

    @property
    def pausable(self) -> bool:
        """Open for work, or held by a discrepancy: an approver may stop it where it is."""
        return self.status in (RunStatus.ACTIVE, RunStatus.HELD)

    def pause(self, *, by, reason: str) -> None:
        if not self.pausable:
            raise StepRefused("Only a run that is open for work can be paused.")
        self._set(
            status=RunStatus.PAUSED, by=by, action="run.paused", reason=reason or "Paused by an approver"
        )

    def resume(self, *, by) -> None:
        if self.status != RunStatus.PAUSED:
            raise StepRefused("This run is not paused.")
        held = self.open_discrepancies().exists()
        self._set(
            status=RunStatus.HELD if held else RunStatus.ACTIVE,
            by=by,
            action="run.resumed",
            reason="A discrepancy is still open" if held else "",
        )

    def begin_rollback(self, *, by, reason: str) -> None:
        # Rolling back is how work is stopped, so it is workable at once: an approver's pause is lifted by it.
        # An open discrepancy still holds it (that is about the hardware, and an approver resolves it first);
        # resolving it opens the rollback, as it would have opened the work.
        held = self.open_discrepancies().exists()
        self._set(
            status=RunStatus.HELD if held else RunStatus.ACTIVE,
            by=by,
            action="run.rollback_started",
            reason=reason,
            mode=RunMode.ROLLBACK,
        )

    def close(self, *, by) -> None:
        self._set(status=RunStatus.CLOSED, by=by, action="run.closed")

    def may_oversee(self, user) -> bool:
        """Releasing a hold point or resolving a discrepancy is an approver's call, and never one of the
        people who asked for or do the work."""
        return (
            has_role(user, Role.APPROVER)
            and user.pk not in (self.owner_id, self.submitter_id)
            and not self.people.filter(pk=user.pk).exists()
        )

    def may_view(self, user) -> bool:
        """Who reads this run and every record of it: its pages, its steps, the printed runbook and the as-run
        record. The people on it and whoever asked for it or put it forward; and the desk, every run: the
        approvers who oversee the work, the coordinators who tell customers about it and debrief it, the
        admins. Anyone else, another tech included, learns nothing of it (the pages answer 404)."""
        roles = roles_of(user)
        if roles & DESK_ROLES:
            return True
        if not roles:  # a login whose role was taken away reads nothing, even of work it was on
            return False
        return user.pk in (self.owner_id, self.submitter_id) or self.works_on(user)

    def works_on(self, user) -> bool:
        """Is this user one of the people assigned to the work? Asked once per run object."""
        cache = self.__dict__.setdefault("_works_on", {})
        if user.pk not in cache:
            cache[user.pk] = Run.people.through.objects.filter(run_id=self.pk, user_id=user.pk).exists()
        return cache[user.pk]

    def may_tell_customers(self, user) -> bool:
        """A one-tap update to customers: from the people doing the work, while it is under way (running,
        held or paused: customers are told most when it is held)."""
        return self.status in (RunStatus.ACTIVE, RunStatus.HELD, RunStatus.PAUSED) and self.works_on(user)

    def open_discrepancies(self):
        """Raised by a scan at the rack, or by what a switch said about a step (live checks)."""
        return Discrepancy.objects.filter(status=DiscrepancyStatus.OPEN).filter(
            Q(pk__in=StepScan.objects.filter(step__run=self).values("discrepancy"))
            | Q(pk__in=LiveCheck.objects.filter(step__run=self).values("discrepancy"))
        )

    # --- reading -------------------------------------------------------------------------------------------

    def sequence(self):
        """The steps being worked through now: the normal ones, or the rollback ones while rolling back."""
        return self.steps.filter(is_rollback=(self.mode == RunMode.ROLLBACK)).order_by("position")

    def current_step(self) -> Step | None:
        return (
            self.sequence()
            .exclude(status=StepStatus.COMPLETE)
            .select_related("device__rack", "port__device__rack")
            .first()
        )

    @classmethod
    def current_steps(cls, runs: Iterable[Run]) -> models.QuerySet[Step]:
        """The current step of each run (as `current_step`), in one query however many runs and steps: the
        database picks each run's first step not complete, walking the (run, position) index, instead of
        every open step being loaded to keep the first. A run with every step complete has none."""
        first_open = (
            Step.objects.filter(run=OuterRef("pk"), is_rollback=OuterRef("rolling_back"))
            .exclude(status=StepStatus.COMPLETE)
            .order_by("position")
            .values("pk")[:1]
        )
        current = (
            cls.objects.filter(pk__in=[run.pk for run in runs])
            .annotate(
                rolling_back=Case(
                    When(mode=RunMode.ROLLBACK, then=Value(True)),
                    default=Value(False),
                    output_field=models.BooleanField(),
                )
            )
            .values(step=Subquery(first_open))
        )
        return Step.objects.filter(pk__in=current)

    def outstanding(self) -> int:
        return self.steps.filter(is_rollback=False).exclude(status=StepStatus.COMPLETE).count()

    def steps_left(self) -> int:
        """Steps of the sequence being worked now (the rollback steps, while rolling back) not complete yet."""
        return self.sequence().exclude(status=StepStatus.COMPLETE).count()
