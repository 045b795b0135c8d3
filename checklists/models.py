"""The checklist engine: versioned templates, runs built from them, steps bound to real assets, scans and
two-person sign-off.

It knows the inventory but not maintenance windows: whoever builds a run (a window, a label audit) opens it
for work and closes it again. The rules that keep the wrong switch plugged in live here, each enforced in
Python for the message and by the database for the race:

- a step is acted on only while its run is open for work, after every earlier step is complete;
- a destructive step needs a performer's matching scan and then a different person's matching scan, from
  another session on another device, before anything can be signed ("cleared");
- a scan that does not match blocks: it records a discrepancy and holds the run until an approver resolves it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone

from accounts.roles import DESK_ROLES, Role, has_role, roles_of
from audit.log import pending, record
from audit.models import AuditEvent
from checklists.live_checks import LiveCheck, refusal_to_sign
from inventory.actions import Effect, effect_of
from inventory.models import Device, Discrepancy, DiscrepancyStatus, Port, Tag, TagStatus
from inventory.phones import Phone

# The audit event of a tech saying "I have stopped" after a STOP on their phone.
STOP_ACKNOWLEDGED = "step.stop_acknowledged"


class StepRefused(Exception):
    """A refused step action, with a message written for the tech holding the phone."""

    def __init__(self, reason: str, *, discrepancy: Discrepancy | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.discrepancy = discrepancy


class StepKind(models.TextChoices):
    INSTRUCTION = "instruction", "Instruction"
    IDENTITY_CHECK = "identity_check", "Identity check"
    DESTRUCTIVE = "destructive", "Destructive action"
    HOLD_POINT = "hold_point", "Hold point"
    CUSTOMER_UPDATE = "customer_update", "Customer update"


SCANNED_KINDS = (StepKind.IDENTITY_CHECK, StepKind.DESTRUCTIVE)


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


@dataclass(frozen=True)
class Binding:
    """A real asset bound to a run, with what happens to it."""

    asset: Device | Port
    action: str


class RunStatus(models.TextChoices):
    READY = "ready", "Ready (not open for work)"
    ACTIVE = "active", "Open for work"
    PAUSED = "paused", "Paused by an approver"
    HELD = "held", "Held: a discrepancy must be resolved"
    CLOSED = "closed", "Closed"


class RunMode(models.TextChoices):
    NORMAL = "normal", "Normal"
    ROLLBACK = "rollback", "Rolling back"


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


# What the step pages and the actions read about a step, besides its run: its asset's rack and site, its people.
STEP_ASSET = (
    "device__rack",
    "device__site",
    "port__device__rack",
    "port__device__site",
    "performer",
    "verifier",
)


class StepStatus(models.TextChoices):
    PENDING = "pending", "To do"
    SCANNED = "scanned", "Scanned by the performer; waiting for a second person"
    CLEARED = "cleared", "Cleared: both people checked the asset"
    DONE = "done", "Done by the performer; waiting for the verifier's signature"
    COMPLETE = "complete", "Complete"


class Step(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    template = models.ForeignKey(StepTemplate, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    title = models.CharField(max_length=300)
    instructions = models.TextField(blank=True)
    message = models.TextField(blank=True)
    is_rollback = models.BooleanField(default=False)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    port = models.ForeignKey(Port, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, blank=True)
    do_not_touch = models.JSONField(default=list, blank=True)
    check_serial = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING)
    # The two people. Each is set by their own matching scan (or, for a one-person step, by signing).
    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    performer_session = models.CharField(max_length=64, blank=True)
    performer_device = models.CharField(max_length=64, blank=True)
    performed_at = models.DateTimeField(null=True, blank=True)
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verifier_session = models.CharField(max_length=64, blank=True)
    verifier_device = models.CharField(max_length=64, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # Goes up when an approver starts the two-person check again (a phone that scanned was lost): the scans
    # of earlier rounds stay, and each round has its own performer and verifier.
    scan_round = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="step_position_unique"),
            models.CheckConstraint(condition=Q(kind__in=StepKind.values), name="step_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=StepStatus.values), name="step_status_valid"),
            # Two different people, on two sessions, on two devices: the database says so too.
            models.CheckConstraint(
                condition=Q(verifier__isnull=True) | ~Q(verifier=F("performer")),
                name="verifier_is_not_performer",
            ),
            models.CheckConstraint(
                condition=Q(verifier__isnull=True) | ~Q(verifier_session=F("performer_session")),
                name="verifier_on_another_session",
            ),
            models.CheckConstraint(
                condition=Q(verifier__isnull=True) | ~Q(verifier_device=F("performer_device")),
                name="verifier_on_another_device",
            ),
            # A destructive step is never complete without a verifier.
            models.CheckConstraint(
                condition=~Q(kind=StepKind.DESTRUCTIVE, status=StepStatus.COMPLETE)
                | Q(verifier__isnull=False, verified_at__isnull=False, performed_at__isnull=False),
                name="destructive_complete_needs_two",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("checklists:step", args=[self.run_id, self.position])

    @classmethod
    def from_template(cls, run: Run, template: StepTemplate, binding: Binding | None, position: int) -> Step:
        asset = binding.asset if binding else None
        device = asset if isinstance(asset, Device) else None
        port = asset if isinstance(asset, Port) else None
        effect = effect_of(binding.action) if binding else None
        name = (f"{port.device.name} {port.name}" if port else device.name) if asset else ""
        return cls(
            run=run,
            position=position,
            template=template,
            kind=template.kind,
            title=_words(template.title, name, effect)[:300],
            instructions=_words(template.instructions, name, effect),
            message=template.message.replace("{asset}", name),
            is_rollback=template.is_rollback,
            device=device,
            port=port,
            action=binding.action if binding else "",
            do_not_touch=neighbours(asset) if (asset and template.show_neighbours) else [],
            check_serial=template.check_serial,
        )

    @property
    def asset(self) -> Device | Port | None:
        return self.port if self.port_id else self.device

    @property
    def chassis(self) -> Device | None:
        return self.port.device if self.port_id else self.device

    @property
    def performer_phone(self) -> Phone:
        """The phone the performer scanned with (see inventory.phones: the one rule about phones)."""
        return Phone(device=self.performer_device, session=self.performer_session)

    @property
    def verifier_phone(self) -> Phone:
        return Phone(device=self.verifier_device, session=self.verifier_session)

    @property
    def needs_two(self) -> bool:
        return self.kind == StepKind.DESTRUCTIVE

    @property
    def needs_scan(self) -> bool:
        return self.kind in SCANNED_KINDS

    def first_open_earlier(self) -> tuple[int, str] | None:
        """The first earlier step of the same sequence not yet complete (position, title): steps run in order."""
        return (
            Step.objects.filter(
                run_id=self.run_id,
                is_rollback=self.is_rollback,
                position__lt=self.position,
                status__in=[status for status in StepStatus if status != StepStatus.COMPLETE],
            )
            .order_by("position")
            .values_list("position", "title")
            .first()
        )

    def awaits_scan_by(self, user, phone: Phone | None = None) -> bool:
        """May this user scan this step now, from `phone`? Its run is open for work in this step's sequence,
        the user works on it, every earlier step is complete, and the step waits for a first scan, or for a
        second scan by someone other than the performer on a phone other than the performer's (the rule of
        `Phone.made`, which the scan itself asks too)."""
        run = self.run
        if not self.needs_scan or run.status != RunStatus.ACTIVE:
            return False
        if self.is_rollback != (run.mode == RunMode.ROLLBACK):
            return False
        waiting = self.status == StepStatus.PENDING or (
            self.status == StepStatus.SCANNED
            and self.needs_two
            and self.performer_id != user.pk
            and not self.scanned_on(phone)
        )
        return waiting and run.works_on(user) and self.first_open_earlier() is None

    def reset_scans_refusal(self, user, *, oversees: bool | None = None) -> str:
        """Why this user may not start this step's two-person check again now ("" when they may): an approver
        who neither asked for nor works on the change, of a step scanned but not yet signed done, while its run
        is open for work in the step's sequence (a phone that scanned is lost or broke). `oversees`: the run's
        `may_oversee(user)`, when the caller has asked it already."""
        if not has_role(user, Role.APPROVER):
            return "Only an approver starts a step's checks again."
        run = self.run
        if run.status != RunStatus.ACTIVE or self.is_rollback != (run.mode == RunMode.ROLLBACK):
            return "This step's work is not open now, so its checks are not started again."
        if not (run.may_oversee(user) if oversees is None else oversees):
            return "You asked for or work on this change; another approver starts its checks again."
        if self.status not in (StepStatus.SCANNED, StepStatus.CLEARED):
            return (
                "Only a step scanned but not yet done has its scans started again. Once the performer has "
                "signed it done, the verifier signs from the phone they scanned with."
            )
        return ""

    def may_reset_scans(self, user, *, oversees: bool | None = None) -> bool:
        return not self.reset_scans_refusal(user, oversees=oversees)

    @property
    def needs_serial(self) -> bool:
        """The chassis serial as a second identity: always for destructive steps, and where the step asks."""
        return self.needs_two or (self.check_serial and self.needs_scan)

    @property
    def action_words(self) -> str:
        """The action as people say it: "power off", not "power_off"."""
        return effect_of(self.action).verb if self.action else ""

    def scanned_on(self, phone: Phone | None) -> bool:
        """Did the performer scan this step on `phone`? A colleague on that phone is the same phone twice."""
        return phone is not None and self.performer_id is not None and phone.made(self.performer_phone)

    def awaits_signature_by(self, user) -> bool:
        """May this user sign this step now? Its run is open for work in this step's sequence, and: a one-person
        step not yet done, every earlier step complete, the user on the work; or a cleared destructive step
        and its performer; or a done one and its verifier. (The signature itself checks the phone too.)"""
        run = self.run
        if run.status != RunStatus.ACTIVE or self.is_rollback != (run.mode == RunMode.ROLLBACK):
            return False
        if self.kind in (StepKind.INSTRUCTION, StepKind.CUSTOMER_UPDATE):
            return (
                self.status == StepStatus.PENDING and run.works_on(user) and self.first_open_earlier() is None
            )
        if self.kind == StepKind.DESTRUCTIVE:
            return (self.status == StepStatus.CLEARED and self.performer_id == user.pk) or (
                self.status == StepStatus.DONE and self.verifier_id == user.pk
            )
        return False

    # --- cleared: the one rule the phones, the board, the runbook page and the signature ask ------------------

    def uncleared_because(self, **loaded) -> str | None:
        """Why this destructive step is not cleared for its action now, in words for the phone; None when it
        is. Cleared only when everything has answered: both people's scans matched, the work is open for it
        (not paused, held or rolling back), and, where Lockstep can ask the device, the switch said yes before
        the hands move (or an approver who does not work on the change decided it goes on without). A step
        done or complete is past clearing. `loaded`: the device's `access` and the deciding `check`, if the
        caller already read them (the step page, the board)."""
        if self.kind != StepKind.DESTRUCTIVE:
            return "Only a destructive step is cleared: this one is not."
        if self.status in (StepStatus.PENDING, StepStatus.SCANNED):
            return "Not cleared yet: the performer and a second tech must both scan the asset first."
        if self.status != StepStatus.CLEARED:
            return "This step is done already."
        run = self.run
        if run.status != RunStatus.ACTIVE or run.mode != RunMode.NORMAL:
            return f"The work is not open for it now: {run.get_status_display().lower()}."
        return refusal_to_sign(self, **loaded)

    def is_cleared(self, **loaded) -> bool:
        """Cleared for its action now: see `uncleared_because`."""
        return self.uncleared_because(**loaded) is None

    @property
    def status_words(self) -> str:
        """The step's status as the runbook page and the desk say it: a step both people scanned reads as
        cleared only once everything has answered (the switch too)."""
        if self.status != StepStatus.CLEARED:
            return self.get_status_display()
        if self.is_cleared():
            return "Cleared: both scans matched and every check has answered"
        return "Both scans matched; waiting: touch nothing yet"

    def stop_unacknowledged_by(self, user, scans: list[StepScan] | None = None) -> StepScan | None:
        """The user's latest mismatching scan of this step that they have not yet said they stopped for: the
        STOP stays on their phone until they do. `scans`: the step's scans, if the caller loaded them."""
        mine = [s for s in (scans if scans is not None else self.scans.all()) if s.user_id == user.pk]
        latest = max((s for s in mine if not s.matched), key=lambda s: s.pk, default=None)
        if latest is None:
            return None
        acknowledged = AuditEvent.objects.for_object(self).filter(action=STOP_ACKNOWLEDGED, actor=user)
        said = list(acknowledged.values_list("payload", flat=True)) + [
            # Said in this very tap: its answer must not show the STOP again.
            e.payload
            for e in pending(action=STOP_ACKNOWLEDGED, obj=self)
            if e.actor_id == user.pk
        ]
        if any(p.get("scan", 0) >= latest.pk for p in said):
            return None
        return latest


def _words(text: str, asset: str, effect: Effect | None) -> str:
    """A step template's words for one bound asset: {asset}, {action} (the verb, as people say it) and
    {afterwards} (what the techs should see once it is done), as the vocabulary of actions says."""
    return (
        text.replace("{asset}", asset)
        .replace("{action}", effect.verb if effect else "")
        .replace("{afterwards}", effect.afterwards if effect else "")
    )


def neighbours(asset: Device | Port) -> list[str]:
    """What sits next to the asset and must not be touched: the ports beside it, and the devices just above
    and below it in the rack (where a switch of the other half of a pair usually is)."""
    found: list[str] = []
    device = asset.device if isinstance(asset, Port) else asset
    if isinstance(asset, Port):
        siblings = list(device.ports.filter(kind=asset.kind).order_by("pk").values_list("pk", "name"))
        index = next((i for i, (pk, _) in enumerate(siblings) if pk == asset.pk), None)
        if index is not None:
            for pk, name in siblings[max(0, index - 1) : index + 2]:
                if pk != asset.pk:
                    found.append(f"{device.name} {name}")
    if device.rack_id and device.position is not None:
        nearby = Device.objects.filter(
            rack_id=device.rack_id, position__gte=device.position - 2, position__lte=device.position + 2
        ).exclude(pk=device.pk)
        found += [f"{other.name} (U{other.position.normalize():f})" for other in nearby.order_by("-position")]
    return found


class ScanMethod(models.TextChoices):
    CAMERA = "camera", "in-page camera"
    CAMERA_APP = "camera_app", "phone's camera app"
    TYPED = "typed", "typed"


CAMERA_METHODS = (ScanMethod.CAMERA, ScanMethod.CAMERA_APP)


class StepScan(models.Model):
    """Every scan, matching or not, kept: the as-run record shows what was scanned, by whom and how."""

    class Role(models.TextChoices):
        PERFORMER = "performer", "Performer"
        VERIFIER = "verifier", "Verifier"

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="scans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices)
    session_hash = models.CharField(max_length=64)
    device_hash = models.CharField(max_length=64, blank=True)
    raw = models.CharField(max_length=300)
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    serial_given = models.CharField(max_length=100, blank=True)
    matched = models.BooleanField()
    reason = models.CharField(max_length=300, blank=True)
    discrepancy = models.ForeignKey(
        Discrepancy, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scanned_at = models.DateTimeField(default=timezone.now)
    round = models.PositiveSmallIntegerField(default=0)  # the step's scan_round when this scan was made
    method = models.CharField(max_length=12, choices=ScanMethod.choices, default=ScanMethod.TYPED)

    class Meta:
        ordering = ["scanned_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(method__in=ScanMethod.values), name="scan_method_valid"),
            # One performer and one verifier per step (and round), whatever a race between two phones does.
            models.UniqueConstraint(
                fields=["step", "role", "round"],
                condition=Q(matched=True),
                name="one_matched_scan_per_role_per_step_round",
            ),
        ]

    def __str__(self) -> str:
        return f"{'match' if self.matched else 'MISMATCH'} by {self.user} on {self.step}"

    @property
    def how(self) -> str:
        """How the code was read, in words for a sentence: 'tess scanned with the in-page camera'."""
        return _SCANNED_HOW.get(self.method, "by typing the code")

    def stop_words(self) -> str:
        """What a mismatching scan found, in the names on the labels: never a tag's code or a serial. Load
        the scan with its tag's asset and its step's."""
        step, words = self.step, []
        tag = self.tag
        if tag is not None and (tag.device_id, tag.port_id) != (step.device_id, step.port_id):
            theirs, ours = _asset_name(tag.asset), _asset_name(step.asset)
            there, here = _chassis_of(tag.asset), step.chassis
            if there is not None and there.site_id != here.site_id:
                # Another site's label, perhaps on a device of the same name: both sites named, or the two
                # names would read the same.
                theirs, ours = f"{theirs} at {there.site.code}", f"{ours} at {here.site.code}"
            words.append(f"You scanned the label of {theirs}; this step is {ours}.")
        elif tag is not None and tag.status != TagStatus.ACTIVE:
            words.append(
                f"The label you scanned on {_asset_name(step.asset)} is not a working tag "
                "(revoked, or never applied)."
            )
        if "serial" in self.reason:
            words.append(f"The serial typed is not {step.chassis.name}'s serial.")
        return " ".join(words) or f"Your scan did not match {_asset_name(step.asset)}."

    @property
    def voided(self) -> bool:
        """A match made in an earlier round of the step's checks (a mismatch or an approver started them
        again): kept in the record, no longer counted. A mismatch is never voided: it is what stopped the
        work. Reads the step, so load it with the scan."""
        return self.matched and self.round < self.step.scan_round


def _chassis_of(asset: Device | Port | None) -> Device | None:
    return asset.device if isinstance(asset, Port) else asset


def _asset_name(asset: Device | Port | None) -> str:
    if isinstance(asset, Port):
        return f"{asset.device.name} {asset.name}"
    return asset.name if asset is not None else "nothing Lockstep knows"


_SCANNED_HOW = {
    ScanMethod.CAMERA: "with the in-page camera",
    ScanMethod.CAMERA_APP: "with the phone's camera app",
    ScanMethod.TYPED: "by typing the code",
}


class CutRefusal(models.Model):
    """The run-time interlock refused a destructive step: another run's cut, not yet restored, together with
    this one would take down services this run was not approved to take down. Kept for the approver's board
    and the as-run record; the step itself is unchanged."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="cut_refusals")
    blocking_step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="+")
    services = models.JSONField(default=list)  # names, as the refusal said them
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return self.reason


class TapRecord(models.Model):
    """A state-changing tap, by its client-made idempotency key: a retry is answered as the first was."""

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField(default=0)
    headers = models.JSONField(default=dict)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"tap {self.key}"
